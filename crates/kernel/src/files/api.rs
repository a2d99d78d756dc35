//! The files routes (tag `files`): upload, metadata and deletion for the owner under
//! `/api/v1/files`, and the signed download link `/files/{id}` for anyone holding it.

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{FileView, MULTIPART_OVERHEAD};
use crate::{
    ApiOk, ApiPath, AppError, AppResult, AppState, Created, CurrentUser, Envelope, NoContent,
};

/// The routes. The upload route has no framework body limit: it enforces `files_max_bytes`
/// (plus the multipart framing) itself while it streams, so the global `body_limit_bytes` does
/// not cut uploads.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::disable())
        .routes(routes!(get_file, delete_file))
        .routes(routes!(download))
}

/// The multipart form of an upload (for the API description only).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file. Its type is read from its bytes; the name is kept (sanitised) for downloads.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Upload a file (multipart/form-data, field `file`). Allowed: PNG, JPEG, GIF, WebP, PDF and
/// UTF-8 text, judged by the bytes, not the name. Answers the file with a download link. An upload
/// that is never attached to anything is deleted after 24 hours.
#[utoipa::path(post, path = "/api/v1/files", tag = "files", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "Stored", body = Envelope<FileView>),
        (status = 400, description = "MALFORMED_MULTIPART"), (status = 401, description = "Not signed in"),
        (status = 413, description = "FILE_TOO_LARGE (beyond files_max_bytes, default 10 MiB), or QUOTA_EXCEEDED (your files together would pass files_quota_bytes, default 500 MiB; nothing is kept)"),
        (status = 415, description = "UNSUPPORTED_FILE_TYPE, or UNSUPPORTED_MEDIA_TYPE when the body is not multipart"),
        (status = 422, description = "VALIDATION_ERROR: `file` missing or empty")))]
pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    req: Request,
) -> AppResult<Created<FileView>> {
    let limit = usize::try_from(state.storage.max_bytes + MULTIPART_OVERHEAD).unwrap_or(usize::MAX);
    // A hard bound on everything read, framing and other fields included.
    let req = req.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    let form = Multipart::from_request(req, &state).await.map_err(|_| {
        AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Expected a multipart/form-data request with a `file` field",
        )
    })?;
    super::upload(&state, user.id, form).await.map(Created)
}

/// One of your files, with a fresh download link (others' files are 404).
#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "files", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The file", body = Envelope<FileView>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such file of yours")))]
pub async fn get_file(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<FileView>> {
    super::get(&state, user.id, id).await.map(ApiOk)
}

/// Delete one of your files. A file attached to a message is kept until the message is deleted.
#[utoipa::path(delete, path = "/api/v1/files/{id}", tag = "files", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such file of yours"), (status = 409, description = "FILE_IN_USE")))]
pub async fn delete_file(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<NoContent> {
    super::delete(&state, user.id, id).await.map(|_| NoContent)
}

/// Download a file through a signed link (as given in `url` of a file or an attachment). No
/// sign-in: the link is the permission, until `exp`. Served with the stored type, `nosniff`, a
/// sandboxing Content-Security-Policy, `inline` for images (else `attachment`, PDF included).
#[utoipa::path(get, path = "/files/{id}", tag = "files",
    params(("id" = Uuid, Path), ("exp" = i64, Query, description = "Expiry, Unix seconds"),
        ("sig" = String, Query, description = "base64url HMAC-SHA256 of `{id}:{exp}`")),
    responses((status = 200, description = "The bytes, with the stored content type", content_type = "application/octet-stream", body = String),
        (status = 403, description = "LINK_INVALID (missing, tampered, another file's) or LINK_EXPIRED"),
        (status = 404, description = "The file was deleted")))]
pub async fn download(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    super::download(&state, &id, query.as_deref()).await
}
