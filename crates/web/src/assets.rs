//! Static assets embedded in the binary and served under content-hashed URLs with long cache
//! lifetimes (`/static/css/app.3f9a1c2b7d.css`); the unhashed path works too, uncached.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::Digest;

struct Asset {
    path: &'static str,
    bytes: &'static [u8],
    content_type: &'static str,
}

macro_rules! asset {
    ($path:literal, $ct:literal) => {
        Asset {
            path: $path,
            bytes: include_bytes!(concat!("../static/", $path)),
            content_type: $ct,
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("css/app.css", "text/css; charset=utf-8"),
    asset!("js/app.js", "text/javascript; charset=utf-8"),
    asset!("css/hiring.css", "text/css; charset=utf-8"),
    asset!("js/kanban.js", "text/javascript; charset=utf-8"),
    asset!("css/chat.css", "text/css; charset=utf-8"),
    asset!("js/realtime.js", "text/javascript; charset=utf-8"),
    asset!("js/chat.js", "text/javascript; charset=utf-8"),
    asset!("js/notifications.js", "text/javascript; charset=utf-8"),
    asset!("icons/logo.svg", "image/svg+xml"),
    asset!("icons/favicon.svg", "image/svg+xml"),
];

struct Table {
    /// logical path → hashed path
    hashed: HashMap<&'static str, String>,
    /// any served path (hashed or logical) → (asset index, immutable?)
    served: HashMap<String, (usize, bool)>,
    etags: Vec<String>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut hashed = HashMap::new();
        let mut served = HashMap::new();
        let mut etags = Vec::new();
        for (i, a) in ASSETS.iter().enumerate() {
            let digest = hex::encode(sha2::Sha256::digest(a.bytes));
            let short = &digest[..10];
            let name = match a.path.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}.{short}.{ext}"),
                None => format!("{}.{short}", a.path),
            };
            served.insert(name.clone(), (i, true));
            served.insert(a.path.to_owned(), (i, false));
            hashed.insert(a.path, name);
            etags.push(format!("\"{short}\""));
        }
        Table {
            hashed,
            served,
            etags,
        }
    })
}

/// The URL of an asset by its logical path (`css/app.css` → `/static/css/app.<hash>.css`).
pub fn url(path: &str) -> String {
    match table().hashed.get(path) {
        Some(h) => format!("/static/{h}"),
        None => format!("/static/{path}"),
    }
}

pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let t = table();
    let Some(&(i, immutable)) = t.served.get(path.as_str()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let asset = &ASSETS[i];
    let etag = &t.etags[i];
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag.clone()),
                (header::CACHE_CONTROL, cache.to_owned()),
            ],
        )
            .into_response();
    }
    let mut res = asset.bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_urls_are_stable_and_distinct() {
        let css = url("css/app.css");
        assert!(
            css.starts_with("/static/css/app.")
                && css.ends_with(".css")
                && css.len() > "/static/css/app.css".len()
        );
        assert_eq!(css, url("css/app.css"));
        assert_ne!(url("js/app.js"), url("css/app.css"));
    }
}
