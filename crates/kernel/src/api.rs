//! The JSON API envelope, input extractors that answer in the envelope, and pagination.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, FieldError};

/// `{"status":"success","data":…,"message":…}`
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always `success`.
    pub status: &'static str,
    pub data: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// 200 with the success envelope.
pub struct ApiOk<T>(pub T);

/// 201 with the success envelope.
pub struct Created<T>(pub T);

/// 200 with the success envelope and a human message.
pub struct ApiMessage<T>(pub T, pub &'static str);

fn envelope<T: Serialize>(status: StatusCode, data: T, message: Option<String>) -> Response {
    (
        status,
        axum::Json(Envelope {
            status: "success",
            data,
            message,
        }),
    )
        .into_response()
}

impl<T: Serialize> IntoResponse for ApiOk<T> {
    fn into_response(self) -> Response {
        envelope(StatusCode::OK, self.0, None)
    }
}

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        envelope(StatusCode::CREATED, self.0, None)
    }
}

impl<T: Serialize> IntoResponse for ApiMessage<T> {
    fn into_response(self) -> Response {
        envelope(StatusCode::OK, self.0, Some(self.1.to_owned()))
    }
}

/// 204 with no body.
pub struct NoContent;

impl IntoResponse for NoContent {
    fn into_response(self) -> Response {
        StatusCode::NO_CONTENT.into_response()
    }
}

/// JSON body extractor: wrong content type, malformed JSON, wrong shape and oversized bodies all
/// answer in the error envelope, with the offending field named where serde knows it.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "Expected a request with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::payload_too_large()
            } else {
                AppError::bad_request("BAD_REQUEST", "Could not read the request body")
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON bytes into `T`, mapping syntax errors to 400 and shape errors to 422 with the field path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            use serde_json::error::Category;
            match inner.classify() {
                Category::Syntax | Category::Eof | Category::Io => Err(AppError::bad_request(
                    "MALFORMED_JSON",
                    "The request body is not valid JSON",
                )),
                Category::Data => {
                    let msg = inner.to_string();
                    // serde's message ends with " at line X column Y": not useful to a client.
                    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
                    let field = if path == "." {
                        missing_field(&msg).unwrap_or_default()
                    } else {
                        path
                    };
                    let field = if field.is_empty() {
                        "body".to_owned()
                    } else {
                        field
                    };
                    Err(AppError::validation(vec![FieldError::new(field, msg)]))
                }
            }
        }
    }
}

fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// Query extractor answering bad parameters with 400 `INVALID_QUERY`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(ApiQuery(v)),
            Err(err) => {
                let path = err.path().to_string();
                let msg = err.into_inner().to_string();
                let field = if path == "." {
                    missing_field(&msg).unwrap_or_else(|| "query".into())
                } else {
                    path
                };
                let mut e = AppError::bad_request("INVALID_QUERY", "Invalid query parameters");
                e.details = vec![FieldError::new(field, msg)];
                Err(e)
            }
        }
    }
}

fn form_urlencoded_parse(q: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(q.as_bytes())
}

impl From<QueryRejection> for AppError {
    fn from(rej: QueryRejection) -> Self {
        AppError::bad_request("INVALID_QUERY", rej.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(rej: PathRejection) -> Self {
        match rej {
            PathRejection::FailedToDeserializePathParams(e) => {
                let mut err = AppError::bad_request("INVALID_PATH", "Invalid path parameter");
                err.details = vec![FieldError::new("path", e.body_text())];
                err
            }
            other => AppError::internal(anyhow::anyhow!("path extraction: {}", other.body_text())),
        }
    }
}

/// Path extractor answering bad parameters with 400 `INVALID_PATH`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

pub const DEFAULT_PAGE_LIMIT: u64 = 20;
pub const MAX_PAGE_LIMIT: u64 = 100;

/// `?page=&limit=`; page starts at 1, limit is capped at 100.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Items per page, 1–100 (default 20; larger values are capped at 100).
    pub limit: Option<u64>,
}

impl PageQuery {
    pub fn page(&self) -> u64 {
        self.page.unwrap_or(1).max(1)
    }
    pub fn limit(&self) -> u64 {
        self.limit
            .unwrap_or(DEFAULT_PAGE_LIMIT)
            .clamp(1, MAX_PAGE_LIMIT)
    }
    /// Capped at `i64::MAX`: the database drivers bind offsets as signed 64-bit integers (and
    /// panic on a larger value), so an absurd page is just an empty one.
    pub fn offset(&self) -> u64 {
        (self.page() - 1)
            .saturating_mul(self.limit())
            .min(i64::MAX as u64)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Pagination {
    pub total: u64,
    pub page: u64,
    pub limit: u64,
    pub pages: u64,
}

impl Pagination {
    pub fn new(total: u64, q: &PageQuery) -> Self {
        let limit = q.limit();
        Self {
            total,
            page: q.page(),
            limit,
            pages: total.div_ceil(limit),
        }
    }
}

/// `data` of a list response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: u64, q: &PageQuery) -> Self {
        Self {
            items,
            pagination: Pagination::new(total, q),
        }
    }
}

/// One field of a PATCH body: left out (leave it as it is), `null` (clear it) or a value (set
/// it). Declare it with `#[serde(default)]` so a missing field is [`Patch::Absent`]; in the
/// OpenAPI document it is "the value or null" (with `#[schema(value_type = Option<T>)]` on the
/// field, as the derive needs for a generic type).
///
/// ```ignore
/// #[derive(Deserialize, ToSchema)]
/// struct ProfileUpdate {
///     #[serde(default)]
///     #[schema(value_type = Option<String>)]
///     bio: Patch<String>,
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Not in the body: leave as is.
    #[default]
    Absent,
    /// `null`: clear.
    Null,
    /// A value: set.
    Value(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Patch::Null)
    }

    /// The value, when one is given.
    pub fn value(&self) -> Option<&T> {
        match self {
            Patch::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_ref(&self) -> Patch<&T> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(v) => Patch::Value(v),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(v) => Patch::Value(f(v)),
        }
    }

    /// `None` when absent, `Some(None)` for `null`, `Some(Some(v))` for a value: the change to
    /// apply, if any.
    pub fn into_option(self) -> Option<Option<T>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(v) => Some(Some(v)),
        }
    }
}

/// A field that is always sent (forms): `None` clears, `Some` sets.
impl<T> From<Option<T>> for Patch<T> {
    fn from(v: Option<T>) -> Self {
        match v {
            Some(v) => Patch::Value(v),
            None => Patch::Null,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    /// Only called when the field is present (`#[serde(default)]` makes a missing one absent).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(d).map(Patch::from)
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    /// Absent and `null` both serialise as `null` (skip absent fields with
    /// `#[serde(skip_serializing_if = "Patch::is_absent")]`).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Value(v) => s.serialize_some(v),
            _ => s.serialize_none(),
        }
    }
}

impl<T: utoipa::PartialSchema> utoipa::PartialSchema for Patch<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(T::schema())
            .description(Some("Left out: unchanged; `null`: cleared; a value: set"))
            .into()
    }
}

impl<T: ToSchema> ToSchema for Patch<T> {
    fn name() -> std::borrow::Cow<'static, str> {
        T::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        T::schemas(schemas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_tells_absent_from_null() {
        #[derive(Deserialize, Serialize, Debug)]
        struct Change {
            #[serde(default, skip_serializing_if = "Patch::is_absent")]
            bio: Patch<String>,
            #[serde(default, skip_serializing_if = "Patch::is_absent")]
            age: Patch<u32>,
        }
        let c: Change = serde_json::from_str(r#"{"bio": null}"#).unwrap();
        assert!(c.bio.is_null() && c.age.is_absent());
        assert_eq!(c.bio.clone().into_option(), Some(None));
        assert_eq!(c.age.clone().into_option(), None);
        let c: Change = serde_json::from_str(r#"{"bio": "hi", "age": 3}"#).unwrap();
        assert_eq!(c.bio.value().map(String::as_str), Some("hi"));
        assert_eq!(c.age.clone().map(|a| a + 1), Patch::Value(4));
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"bio":"hi","age":3}"#
        );
        let c: Change = serde_json::from_str("{}").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "{}");
        assert!(serde_json::from_str::<Change>(r#"{"age": "x"}"#).is_err());
        assert_eq!(Patch::from(Some(1)), Patch::Value(1));
        assert_eq!(Patch::<i32>::from(None), Patch::Null);
        assert_eq!(Patch::<i32>::default(), Patch::Absent);
    }

    #[test]
    fn patch_schema_is_the_value_or_null() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(Patch::<String>::schema()).unwrap();
        let items = schema["oneOf"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["type"], "null");
        assert_eq!(items[1]["type"], "string");
    }

    #[test]
    fn pagination_caps_and_computes_pages() {
        let q = PageQuery {
            page: Some(0),
            limit: Some(1000),
        };
        assert_eq!(q.page(), 1);
        assert_eq!(q.limit(), 100);
        let p = Pagination::new(201, &q);
        assert_eq!(p.pages, 3);
        let q = PageQuery {
            page: None,
            limit: None,
        };
        assert_eq!(Pagination::new(0, &q).pages, 0);
        assert_eq!(
            PageQuery {
                page: Some(3),
                limit: Some(10)
            }
            .offset(),
            20
        );
        let absurd = PageQuery {
            page: Some(u64::MAX),
            limit: Some(100),
        };
        assert_eq!(absurd.offset(), i64::MAX as u64);
    }

    #[test]
    fn json_errors_are_classified() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct In {
            email: String,
            age: u32,
        }
        let e = parse_json::<In>(b"{not json").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.code, "MALFORMED_JSON");
        let e = parse_json::<In>(br#"{"age": 3}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.details[0].field, "email");
        let e = parse_json::<In>(br#"{"email":"a","age":"x"}"#).unwrap_err();
        assert_eq!(e.details[0].field, "age");
    }
}
