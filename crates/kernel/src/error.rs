//! One error type for the whole platform: a status, a stable code from the closed catalogue
//! ([`ERROR_CODES`]) and a user message. Internal detail is logged with the request id and never
//! sent to the client: the cause of a 5xx by the edge middleware, the reason for a refusal (4xx)
//! by [`log_refusals`]. Unique violations map to precise codes by constraint ([`UniqueKey`]).

mod codes;
mod unique;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub use codes::{ERROR_CODES, ErrorCode, allows as code_allows, lookup as code_info};
pub use unique::{UniqueKey, UniqueViolation};

/// A field-level validation problem.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The error every handler and service returns.
#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<FieldError>,
    pub retry_after: Option<u64>,
    /// Extra machine-readable data merged into the error object (e.g. tier errors).
    pub extra: Option<Box<serde_json::Map<String, serde_json::Value>>>,
    /// Internal cause: logged, never sent.
    pub source: Option<anyhow::Error>,
    /// For a `CONFLICT` made from a unique violation: the constraint the database named.
    violated: Option<Box<UniqueViolation>>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
            extra: None,
            source: None,
            violated: None,
        }
    }

    /// The generic 409 `CONFLICT` for a unique violation of `violated` (`None`: the database
    /// named nothing recognisable), keeping `source` for the log. [`AppError::on_conflict`] turns
    /// it into a precise code when the constraint is the expected one.
    pub fn unique_violation(
        violated: Option<UniqueViolation>,
        source: impl Into<anyhow::Error>,
    ) -> Self {
        let mut e = Self::conflict("CONFLICT", "A record with these values already exists");
        e.violated = violated.map(Box::new);
        e.source = Some(source.into());
        e
    }

    pub fn validation(details: Vec<FieldError>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERROR",
            "Invalid input data",
        );
        e.details = details;
        e
    }

    pub fn field(field: &str, message: &str) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn locked(message: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut e = Self::new(StatusCode::LOCKED, "ACCOUNT_LOCKED", message);
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "Too many requests; slow down and try again later",
        );
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "Request body is too large",
        )
    }

    /// An unexpected failure. The cause is logged; the client sees only `INTERNAL`.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "Something went wrong on our side",
        );
        e.source = Some(source.into());
        e
    }

    /// True for the generic `CONFLICT` of a unique violation of exactly `key` (by constraint
    /// name on PostgreSQL, by table and columns on SQLite); false for any other constraint.
    pub fn is_conflict_on(&self, key: &UniqueKey) -> bool {
        self.code == "CONFLICT" && self.violated.as_ref().is_some_and(|v| key.matches(v))
    }

    /// A unique violation of `key` becomes `precise()` (a domain code such as
    /// `ALREADY_APPLIED`); a violation of any other constraint stays the generic 409 `CONFLICT`,
    /// and any other error passes through unchanged.
    pub fn on_conflict(self, key: &UniqueKey, precise: impl FnOnce() -> AppError) -> AppError {
        if self.is_conflict_on(key) {
            precise()
        } else {
            self
        }
    }

    /// Adds why a request is refused, for the log only (e.g. `forbidden(..).because("not a
    /// member of company X")`): the client still sees the code and the kind message.
    pub fn because(mut self, reason: impl std::fmt::Display + Send + Sync + 'static) -> Self {
        self.source = Some(match self.source.take() {
            Some(source) => source.context(reason),
            None => anyhow::anyhow!("{reason}"),
        });
        self
    }

    pub fn with_extra(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra
            .get_or_insert_with(Default::default)
            .insert(key.to_owned(), value);
        self
    }

    /// Serialises the error to the envelope body (also used by non-HTTP renderers).
    pub fn body(&self) -> serde_json::Value {
        let body = ErrorEnvelope {
            status: "error",
            error: ErrorObject {
                code: self.code,
                message: &self.message,
                details: &self.details,
                retry_after: self.retry_after,
                extra: self.extra.as_deref(),
            },
        };
        serde_json::to_value(body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    status: &'static str,
    error: ErrorObject<'a>,
}

#[derive(Serialize)]
struct ErrorObject<'a> {
    code: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    details: &'a [FieldError],
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    extra: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for AppError {}

/// Marker put into response extensions so the logging middleware can report the internal cause
/// of a server error together with the request id.
#[derive(Clone, Debug)]
pub struct InternalErrorDetail(pub String);

/// What a refused request (a 4xx `AppError`) was refused for, put into the response's
/// extensions for [`log_refusals`].
#[derive(Clone, Debug)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    /// The internal reason ([`AppError::because`], or a cause such as the violated constraint).
    pub reason: Option<String>,
    /// The fields named by a validation error.
    pub fields: Vec<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if code_info(self.code).is_none() {
            tracing::error!(
                code = self.code,
                "error code missing from the catalogue (crates/kernel/src/error/codes.rs)"
            );
        }
        let mut res = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        let source = self.source.map(|src| format!("{src:#}"));
        if self.status.is_server_error() {
            if let Some(detail) = source {
                res.extensions_mut().insert(InternalErrorDetail(detail));
            }
        } else {
            res.extensions_mut().insert(Refusal {
                code: self.code,
                message: self.message,
                reason: source,
                fields: self.details.into_iter().map(|d| d.field).collect(),
            });
        }
        res
    }
}

/// Logs each refused request with its code, status, route and internal reason: at `warn` for
/// 403, 423 and 429 (denials, locks and limits worth watching), at `info` for other refusals.
/// Applied to every route by the server (inside the edge middleware, which sets the request id).
pub async fn log_refusals(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let request_id = req
        .extensions()
        .get::<crate::middleware::RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let method = req.method().clone();
    let res = next.run(req).await;
    if let Some(refusal) = res.extensions().get::<Refusal>() {
        let status = res.status().as_u16();
        let reason = refusal.reason.as_deref().unwrap_or("");
        let fields = refusal.fields.join(",");
        if matches!(status, 403 | 423 | 429) {
            tracing::warn!(request_id = %request_id, method = %method, route = %route, status, code = refusal.code, user_message = %refusal.message, reason, fields, "request refused");
        } else {
            tracing::info!(request_id = %request_id, method = %method, route = %route, status, code = refusal.code, user_message = %refusal.message, reason, fields, "request refused");
        }
    }
    res
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            return AppError::unique_violation(UniqueViolation::of(&err), err);
        }
        // Every connection busy for the whole acquire timeout: the server is overloaded, not
        // broken. Shed the request with a 503 the client may retry, and keep the cause in the log.
        if matches!(
            err,
            sea_orm::DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout)
        ) {
            let mut e = AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "BUSY",
                "The server is busy; try again in a moment",
            );
            e.retry_after = Some(1);
            e.source = Some(err.into());
            return e;
        }
        AppError::internal(err)
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::internal(err)
    }
}

/// Collects validation problems and turns them into one 422.
#[derive(Default, Debug)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }
    pub fn check(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.add(field, message);
        }
    }
    /// Checks an optional string's length in characters.
    pub fn max_len(&mut self, value: Option<&str>, field: &str, max: usize) {
        if let Some(v) = value
            && v.chars().count() > max
        {
            self.add(field, format!("must be at most {max} characters"));
        }
    }
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
    pub fn finish(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(self.errors))
        }
    }
}

pub const STATUS_MESSAGE_NOT_FOUND: &str = "The requested resource was not found";

/// Builds the envelope for statuses produced by the framework (unknown route, wrong method).
pub fn framework_error(status: StatusCode) -> AppError {
    match status {
        StatusCode::NOT_FOUND => AppError::not_found(STATUS_MESSAGE_NOT_FOUND),
        StatusCode::METHOD_NOT_ALLOWED => AppError::new(
            status,
            "METHOD_NOT_ALLOWED",
            "This method is not allowed here",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => AppError::payload_too_large(),
        // The timeout layer answers 503 without a body.
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => {
            AppError::new(status, "TIMEOUT", "The request took too long")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::new(
            status,
            "UNSUPPORTED_MEDIA_TYPE",
            "Expected a request with Content-Type: application/json",
        ),
        s => AppError::new(
            s,
            "ERROR",
            s.canonical_reason().unwrap_or("Error").to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPLIED: UniqueKey = UniqueKey::new(
        "uq_applications_job_user",
        "applications",
        &["job_id", "user_id"],
    );

    fn violation(message: &str) -> AppError {
        AppError::unique_violation(
            UniqueViolation::parse(message),
            anyhow::anyhow!("{message}"),
        )
    }

    fn already() -> AppError {
        AppError::conflict("ALREADY_APPLIED", "You have already applied to this job")
    }

    #[test]
    fn only_the_named_unique_constraint_gets_the_precise_code() {
        for (backend, ours, other) in [
            (
                "PostgreSQL",
                "duplicate key value violates unique constraint \"uq_applications_job_user\"",
                "duplicate key value violates unique constraint \"uq_applications_referral\"",
            ),
            (
                "SQLite",
                "UNIQUE constraint failed: applications.job_id, applications.user_id",
                "UNIQUE constraint failed: applications.referral",
            ),
        ] {
            let e = violation(ours).on_conflict(&APPLIED, already);
            assert_eq!(
                (e.status, e.code),
                (StatusCode::CONFLICT, "ALREADY_APPLIED"),
                "{backend}"
            );
            // A future unique index on the same table, broken by the same insert: generic 409.
            let e = violation(other).on_conflict(&APPLIED, already);
            assert_eq!(
                (e.status, e.code),
                (StatusCode::CONFLICT, "CONFLICT"),
                "{backend}"
            );
            assert!(!violation(other).is_conflict_on(&APPLIED), "{backend}");
            assert!(violation(ours).is_conflict_on(&APPLIED), "{backend}");
        }
        // A violation the database did not name is never taken for a particular one.
        let e = violation("UNIQUE constraint failed").on_conflict(&APPLIED, already);
        assert_eq!(e.code, "CONFLICT");
        // Other errors pass through.
        let e = AppError::not_found("No such job").on_conflict(&APPLIED, already);
        assert_eq!(e.code, "NOT_FOUND");
    }

    #[test]
    fn refusals_carry_their_reason_for_the_log_and_not_for_the_client() {
        let e = AppError::forbidden("FORBIDDEN_COMPANY_ROLE", "Your role does not allow this")
            .because("recruiter of company 42, needs owner");
        let body = e.body();
        assert!(!body.to_string().contains("company 42"), "{body}");
        let res = e.into_response();
        let refusal = res.extensions().get::<Refusal>().unwrap();
        assert_eq!(refusal.code, "FORBIDDEN_COMPANY_ROLE");
        assert_eq!(
            refusal.reason.as_deref(),
            Some("recruiter of company 42, needs owner")
        );
        assert!(res.extensions().get::<InternalErrorDetail>().is_none());
        // A server error's cause goes to the edge log instead.
        let res = AppError::internal(anyhow::anyhow!("disk on fire")).into_response();
        assert!(res.extensions().get::<Refusal>().is_none());
        assert_eq!(
            res.extensions().get::<InternalErrorDetail>().unwrap().0,
            "disk on fire"
        );
    }

    /// A writer collecting what the subscriber prints.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn refused_requests_are_logged_with_code_status_route_and_reason() {
        use tower::ServiceExt;
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = axum::Router::new()
            .route(
                "/api/v1/companies/{id}",
                axum::routing::delete(|| async {
                    AppError::forbidden("FORBIDDEN_COMPANY_ROLE", "Your role does not allow this")
                        .because("recruiter of the company, needs owner")
                }),
            )
            .route(
                "/api/v1/users",
                axum::routing::post(|| async {
                    AppError::validation(vec![FieldError::new("email", "is required")])
                }),
            )
            .layer(axum::middleware::from_fn(log_refusals));
        for (method, uri) in [("DELETE", "/api/v1/companies/7"), ("POST", "/api/v1/users")] {
            let req = axum::http::Request::builder()
                .method(method)
                .uri(uri)
                .body(axum::body::Body::empty())
                .unwrap();
            app.clone().oneshot(req).await.unwrap();
        }
        let out = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{out}");
        let denied = &lines[0];
        assert_eq!(denied["level"], "WARN", "{out}");
        assert_eq!(denied["fields"]["message"], "request refused");
        assert_eq!(denied["fields"]["code"], "FORBIDDEN_COMPANY_ROLE");
        assert_eq!(denied["fields"]["status"], 403);
        assert_eq!(
            denied["fields"]["user_message"],
            "Your role does not allow this"
        );
        assert_eq!(denied["fields"]["route"], "/api/v1/companies/{id}");
        assert_eq!(
            denied["fields"]["reason"],
            "recruiter of the company, needs owner"
        );
        let invalid = &lines[1];
        assert_eq!(invalid["level"], "INFO", "{out}");
        assert_eq!(invalid["fields"]["code"], "VALIDATION_ERROR");
        assert_eq!(invalid["fields"]["status"], 422);
        assert_eq!(invalid["fields"]["fields"], "email");
    }

    #[test]
    fn an_exhausted_pool_is_a_retryable_503_and_other_db_errors_stay_internal() {
        let busy = AppError::from(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::Timeout,
        ));
        assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.code, "BUSY");
        assert_eq!(busy.retry_after, Some(1));
        let res = busy.into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            res.headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );

        let closed = AppError::from(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::ConnectionClosed,
        ));
        assert_eq!(closed.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(closed.code, "INTERNAL");
    }
}
