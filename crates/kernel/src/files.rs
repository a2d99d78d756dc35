//! Uploaded files: the `files` table, uploads streamed into [`crate::storage::Storage`] with the
//! type taken from the bytes ([`sniff`]) and the size capped while reading, owner-only metadata
//! and deletion, and downloads through expiring signed links.
//!
//! A file is private to its uploader; a signed link is the only way anyone else reads it. Domains
//! that show files to others (chat attachments) check ownership with [`owned_by`] when the file is
//! attached and hand out [`link`]s only to people allowed to see the thing it is attached to.
//!
//! Deleting a file that a domain still references is refused with 409 `FILE_IN_USE`: domains
//! reference `files.id` with a plain foreign key (`NO ACTION`: no cascade, the delete fails), and
//! drop the reference when the thing holding it goes (a deleted chat message lets go of its
//! attachments). Not `RESTRICT`: SQLite reports that as a trigger failure, not a foreign key one.
//!
//! All files of one user together may take `files_quota_bytes`; an upload past it is refused
//! with 413 `QUOTA_EXCEEDED` (413 like a too-large file: this body cannot be taken) and nothing
//! is kept. The check and the new row share one write transaction, serialised per user, so
//! parallel uploads cannot together pass the quota. Uploads never attached to anything are swept
//! after a day, and a deleted account's files go with it ([`cleanup`]).

pub mod api;
pub mod cleanup;
pub mod model;
pub mod sniff;

pub use cleanup::{FileInUse, FileInUseChecks, delete_owned_by};

use std::collections::HashSet;

use axum::body::Body;
use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;
use uuid::Uuid;

pub use api::router;

use crate::db::begin_write;
use crate::storage::{LinkError, SignedLink, Storage};
use crate::{AppError, AppResult, AppState, UserId};

/// Longest stored file name, in characters.
pub const NAME_MAX: usize = 200;
/// Room for the multipart framing and small extra fields around the file: the request body may
/// be this much bigger than `files_max_bytes`.
pub const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// A file as its owner sees it, with a fresh download link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct FileView {
    pub id: Uuid,
    /// The original name, sanitised (no path, no control characters, ≤ 200 characters).
    pub name: String,
    /// Taken from the bytes: image/png, image/jpeg, image/gif, image/webp, application/pdf or
    /// text/plain.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// Download link, relative to the server: `/files/{id}?exp=…&sig=…`.
    pub url: String,
    pub url_expires_at: DateTime<Utc>,
}

/// A download link for file `id`, made now (for the views of domains that show files).
pub fn link(state: &AppState, id: Uuid) -> SignedLink {
    state.storage.link(id, state.clock.now())
}

fn view(state: &AppState, f: &model::Model) -> FileView {
    let link = link(state, f.id);
    FileView {
        id: f.id,
        name: f.name.clone(),
        content_type: f.content_type.clone(),
        size: f.size.max(0) as u64,
        url: link.url,
        url_expires_at: link.expires_at,
    }
}

fn too_large(max: u64) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "FILE_TOO_LARGE",
        format!("A file may be at most {max} bytes"),
    )
    .with_extra("max_bytes", serde_json::json!(max))
}

fn unsupported() -> AppError {
    AppError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_FILE_TYPE",
        "Only PNG, JPEG, GIF, WebP and PDF files and UTF-8 text can be uploaded",
    )
}

fn unreadable(e: &MultipartError, max: u64) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(max)
    } else {
        AppError::bad_request(
            "MALFORMED_MULTIPART",
            "The upload could not be read as multipart/form-data",
        )
    }
}

/// The name to keep: the last path segment, without control or bidirectional-override
/// characters (which could disguise `exe.txt` as `txt.exe`), trimmed, at most [`NAME_MAX`]
/// characters (keeping a short extension), `file` when nothing is left.
pub fn sanitize_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let name = cleaned.trim();
    let name = if name.chars().count() <= NAME_MAX {
        name.to_owned()
    } else {
        match name.rsplit_once('.') {
            Some((stem, ext)) if (1..=16).contains(&ext.chars().count()) => {
                let keep = NAME_MAX - 1 - ext.chars().count();
                let stem: String = stem.chars().take(keep).collect();
                format!("{}.{ext}", stem.trim_end())
            }
            _ => name
                .chars()
                .take(NAME_MAX)
                .collect::<String>()
                .trim_end()
                .to_owned(),
        }
    };
    if name.is_empty() || name == "." || name == ".." {
        "file".to_owned()
    } else {
        name
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// An object written by an upload, waiting for its row.
struct Received {
    id: Uuid,
    key: String,
    name: String,
    content_type: &'static str,
    size: u64,
    sha256: String,
    created_at: DateTime<Utc>,
}

/// Stores the multipart field `file` and records it for `owner`. The body is read to its end
/// (bounded by the route's limit) even after a refusal, so the client gets the answer instead of
/// a reset connection; nothing is kept unless the whole request was fine.
pub async fn upload(state: &AppState, owner: UserId, mut form: Multipart) -> AppResult<FileView> {
    let storage = &state.storage;
    let max = storage.max_bytes;
    let mut outcome: Option<AppResult<Received>> = None;
    let mut broken: Option<AppError> = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                if outcome.is_none() && field.name() == Some("file") {
                    outcome = Some(receive(state, field).await);
                }
                // Other fields (and the rest of a refused file) are skipped by `next_field`.
            }
            Ok(None) => break,
            Err(e) => {
                broken = Some(unreadable(&e, max));
                break;
            }
        }
    }
    let received = match (outcome, broken) {
        (Some(Ok(r)), None) => r,
        (Some(Ok(r)), Some(e)) => {
            discard(storage, &r.key).await;
            return Err(e);
        }
        // The file's own refusal says more than the unreadable rest.
        (Some(Err(e)), _) => return Err(e),
        (None, Some(e)) => return Err(e),
        (None, None) => return Err(AppError::field("file", "is required")),
    };
    let key = received.key.clone();
    match record(state, owner, received).await {
        Ok(row) => Ok(view(state, &row)),
        Err(e) => {
            // No row, no object: an orphan would never be found again.
            discard(storage, &key).await;
            Err(e)
        }
    }
}

fn quota_exceeded(quota: u64, used: u64) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "QUOTA_EXCEEDED",
        format!(
            "Your files may take at most {quota} bytes together and {used} are taken; delete some first"
        ),
    )
    .with_extra("quota_bytes", serde_json::json!(quota))
    .with_extra("used_bytes", serde_json::json!(used))
}

/// Writes the row of a received upload if it fits the owner's quota, in one write transaction
/// serialised per owner (SQLite's single writer; an advisory lock on PostgreSQL).
async fn record(state: &AppState, owner: UserId, r: Received) -> AppResult<model::Model> {
    use sea_orm::{FromQueryResult, Statement};
    let quota = state.config.files_quota_bytes;
    let txn = begin_write(&state.db).await?;
    let backend = txn.get_database_backend();
    let pg = backend == sea_orm::DatabaseBackend::Postgres;
    if pg {
        let [a, b, c, d, ..] = *owner.as_uuid().as_bytes();
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT pg_advisory_xact_lock($1, $2)",
            [
                QUOTA_LOCK_CLASS.into(),
                i32::from_be_bytes([a, b, c, d]).into(),
            ],
        ))
        .await?;
    }
    #[derive(FromQueryResult)]
    struct Used {
        n: i64,
    }
    let used = Used::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS n FROM files WHERE owner_id = {}",
            if pg { "$1" } else { "?" }
        ),
        [owner.as_uuid().into()],
    ))
    .one(&txn)
    .await?
    .map_or(0, |u| u.n.max(0) as u64);
    if used.saturating_add(r.size) > quota {
        return Err(quota_exceeded(quota, used));
    }
    let row = model::ActiveModel {
        id: Set(r.id),
        owner_id: Set(owner.as_uuid()),
        name: Set(r.name),
        content_type: Set(r.content_type.to_owned()),
        size: Set(r.size as i64),
        sha256: Set(r.sha256),
        storage_key: Set(r.key),
        created_at: Set(r.created_at),
        in_use_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The first key of the PostgreSQL advisory lock that serialises one owner's uploads (the
/// second is taken from the owner's id).
const QUOTA_LOCK_CLASS: i32 = 727_002;

async fn discard(storage: &Storage, key: &str) {
    if let Err(e) = storage.delete(key).await {
        tracing::warn!(key, error = %e, "could not delete an object of a failed upload");
    }
}

/// Streams one field into a new object, checking size and type on the way.
async fn receive(state: &AppState, mut field: Field<'_>) -> AppResult<Received> {
    let storage = &state.storage;
    let name = sanitize_name(field.file_name().unwrap_or_default());
    let id = Uuid::now_v7();
    let created_at = state.clock.now();
    // Spread over month directories so no local directory grows without bound.
    let key = format!("{}/{id}", created_at.format("%Y/%m"));
    let mut writer = storage.writer(&key);
    let written = async {
        let mut sniffer = sniff::Sniffer::new();
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| unreadable(&e, storage.max_bytes))?
        {
            size += chunk.len() as u64;
            if size > storage.max_bytes {
                return Err(too_large(storage.max_bytes));
            }
            sniffer.feed(&chunk).map_err(|_| unsupported())?;
            hasher.update(&chunk);
            writer.put(chunk).await.map_err(AppError::internal)?;
        }
        if size == 0 {
            return Err(AppError::field("file", "must not be empty"));
        }
        let content_type = sniffer.finish().map_err(|_| unsupported())?;
        Ok((content_type, size, hex::encode(hasher.finalize())))
    }
    .await;
    let (content_type, size, sha256) = match written {
        Ok(done) => done,
        Err(e) => {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(key, error = %abort, "could not abort a refused upload");
            }
            return Err(e);
        }
    };
    if let Err(e) = writer.shutdown().await {
        discard(storage, &key).await;
        return Err(AppError::internal(e));
    }
    Ok(Received {
        id,
        key,
        name,
        content_type,
        size,
        sha256,
        created_at,
    })
}

async fn owned_row<C: ConnectionTrait>(
    conn: &C,
    owner: UserId,
    id: Uuid,
) -> AppResult<model::Model> {
    model::Entity::find_by_id(id)
        .filter(model::Column::OwnerId.eq(owner.as_uuid()))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("No such file"))
}

/// One of `owner`'s files with a fresh link; anyone else's is 404.
pub async fn get(state: &AppState, owner: UserId, id: Uuid) -> AppResult<FileView> {
    let row = owned_row(&state.db, owner, id).await?;
    Ok(view(state, &row))
}

/// Deletes one of `owner`'s files (others' are 404): the row, then the object. A file something
/// still references is 409 `FILE_IN_USE`.
pub async fn delete(state: &AppState, owner: UserId, id: Uuid) -> AppResult<()> {
    let txn = begin_write(&state.db).await?;
    let row = owned_row(&txn, owner, id).await?;
    if let Err(e) = model::Entity::delete_by_id(id).exec(&txn).await {
        return Err(match e.sql_err() {
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => AppError::conflict(
                "FILE_IN_USE",
                "This file is attached to a message; delete the message first",
            ),
            _ => e.into(),
        });
    }
    txn.commit().await?;
    // After the commit: a failure here leaves an unreachable object, never a row without one.
    discard(&state.storage, &row.storage_key).await;
    Ok(())
}

/// Which of `ids` exist and belong to `owner`.
pub async fn owned_by<C: ConnectionTrait>(
    conn: &C,
    owner: Uuid,
    ids: &[Uuid],
) -> AppResult<HashSet<Uuid>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(model::Entity::find()
        .filter(model::Column::Id.is_in(ids.iter().copied()))
        .filter(model::Column::OwnerId.eq(owner))
        .all(conn)
        .await?
        .into_iter()
        .map(|f| f.id)
        .collect())
}

/// Serves the bytes of a signed link: `id` as written in the path, `query` the raw query.
/// Every refusal of the link itself is 403 (`LINK_INVALID`, `LINK_EXPIRED`), whatever is wrong.
pub async fn download(state: &AppState, id: &str, query: Option<&str>) -> AppResult<Response> {
    let invalid = || AppError::forbidden("LINK_INVALID", "This download link is not valid");
    let id = Uuid::parse_str(id).map_err(|_| invalid())?;
    let (mut exp, mut sig) = (None, None);
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*k {
            "exp" if exp.is_none() => exp = Some(v.into_owned()),
            "sig" if sig.is_none() => sig = Some(v.into_owned()),
            _ => {}
        }
    }
    let left = state
        .storage
        .verify(id, exp.as_deref(), sig.as_deref(), state.clock.now())
        .map_err(|e| match e {
            LinkError::Invalid => invalid(),
            LinkError::Expired => {
                AppError::forbidden("LINK_EXPIRED", "This download link has expired")
            }
        })?;
    let row = model::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("No such file"))?;
    let object = match state.storage.get(&row.storage_key).await {
        Ok(o) => o,
        Err(object_store::Error::NotFound { .. }) => {
            tracing::warn!(file_id = %id, key = %row.storage_key, "a file's object is missing");
            return Err(AppError::not_found("No such file"));
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    let mut res = Response::new(Body::from_stream(object.into_stream()));
    let content_type = if row.content_type.starts_with("text/") {
        format!("{}; charset=utf-8", row.content_type)
    } else {
        row.content_type.clone()
    };
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_LENGTH, row.size.to_string()),
        (
            header::CONTENT_DISPOSITION,
            content_disposition(&row.name, &row.content_type),
        ),
        (header::CACHE_CONTROL, format!("private, max-age={left}")),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        // Whatever a browser makes of the bytes, nothing in them runs with our origin.
        (
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'".to_owned(),
        ),
    ];
    for (name, value) in headers {
        let value = HeaderValue::from_str(&value).map_err(AppError::internal)?;
        res.headers_mut().insert(name, value);
    }
    Ok(res)
}

/// `inline` for images, `attachment` otherwise (PDF included: browsers' PDF viewers refuse to
/// run under the `sandbox` policy every download carries, so a PDF is saved, not shown), with an
/// ASCII `filename` and the exact name as RFC 6266 / 5987 `filename*`.
pub fn content_disposition(name: &str, content_type: &str) -> String {
    let kind = if content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        // RFC 5987 attr-char; everything else percent-encoded.
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_controls_and_length() {
        let cases = [
            ("report.pdf", "report.pdf"),
            ("C:\\Users\\ann\\cv.pdf", "cv.pdf"),
            ("../../etc/passwd", "passwd"),
            ("  spaced out.txt  ", "spaced out.txt"),
            ("bad\u{0}\nname.txt", "badname.txt"),
            ("evil\u{202E}txt.exe", "eviltxt.exe"),
            ("", "file"),
            ("..", "file"),
            ("dir/", "file"),
            ("caf\u{e9} \u{1f600}.md", "caf\u{e9} \u{1f600}.md"),
        ];
        for (raw, want) in cases {
            assert_eq!(sanitize_name(raw), want, "{raw:?}");
        }
        let long = format!("{}.pdf", "a".repeat(300));
        let cut = sanitize_name(&long);
        assert_eq!(cut.chars().count(), NAME_MAX);
        assert!(cut.ends_with("a.pdf"));
        let long = "\u{e9}".repeat(300);
        assert_eq!(sanitize_name(&long).chars().count(), NAME_MAX);
    }

    #[test]
    fn disposition_is_inline_for_images_only_with_both_names() {
        assert_eq!(
            content_disposition("a b.png", sniff::PNG),
            "inline; filename=\"a b.png\"; filename*=UTF-8''a%20b.png"
        );
        assert_eq!(
            content_disposition("r\u{e9}sum\u{e9} \"x\".pdf", sniff::PDF),
            "attachment; filename=\"r_sum_ _x_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22.pdf"
        );
        assert!(content_disposition("notes.txt", sniff::TEXT).starts_with("attachment; "));
        assert!(HeaderValue::from_str(&content_disposition("\u{1f600};\r\n", sniff::GIF)).is_ok());
    }
}
