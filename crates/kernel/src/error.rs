//! One error type for the whole platform: a status, a stable code and a user message.
//! Internal detail is logged with the request id and never sent to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

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
        }
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

    /// True for a unique-constraint conflict on a constraint whose name (or the database's message)
    /// contains `needle`, e.g. `"email"` for `uq_users_email`.
    pub fn is_conflict_on(&self, needle: &str) -> bool {
        self.code == "CONFLICT"
            && self
                .source
                .as_ref()
                .is_some_and(|s| format!("{s:#}").contains(needle))
    }

    /// A unique-constraint conflict becomes `precise()` (a domain code such as `ALREADY_APPLIED`);
    /// any other error passes through unchanged.
    pub fn on_conflict(self, precise: impl FnOnce() -> AppError) -> AppError {
        if self.code == "CONFLICT" {
            precise()
        } else {
            self
        }
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
/// together with the request id.
#[derive(Clone, Debug)]
pub struct InternalErrorDetail(pub String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if let Some(src) = self.source {
            res.extensions_mut()
                .insert(InternalErrorDetail(format!("{src:#}")));
        }
        res
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            let mut e = AppError::conflict("CONFLICT", "A record with these values already exists");
            e.source = Some(err.into());
            return e;
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
