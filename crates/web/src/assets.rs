//! Static assets embedded in the binary and served under content-hashed URLs with long cache
//! lifetimes (`/static/css/app.3f9a1c2b7d.css`); the unhashed path works too, uncached.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::Digest;
use vertechie_kernel::AppState;
pub use vertechie_kernel::module::Asset;

/// The web crate's own assets: the layout's stylesheet and script, the shared JS modules
/// (`realtime.js`, imported by domain scripts) and the icons. Domains list theirs in their module.
pub fn own() -> Vec<Asset> {
    macro_rules! file {
        ($path:literal) => {
            include_bytes!(concat!("../static/", $path))
        };
    }
    vec![
        Asset::css("css/app.css", file!("css/app.css")),
        Asset::js("js/app.js", file!("js/app.js")),
        Asset::js("js/realtime.js", file!("js/realtime.js")),
        Asset::svg("icons/logo.svg", file!("icons/logo.svg")),
        Asset::svg("icons/favicon.svg", file!("icons/favicon.svg")),
    ]
}

/// Every module's assets with their hashed names; an extension of the state, built once by
/// [`crate::install`] from the assembled modules.
#[derive(Clone)]
pub struct Assets(Arc<Table>);

struct Table {
    assets: Vec<Asset>,
    /// logical path → hashed path
    hashed: HashMap<&'static str, String>,
    /// any served path (hashed or logical) → (asset index, immutable?)
    served: HashMap<String, (usize, bool)>,
    etags: Vec<String>,
}

impl std::fmt::Debug for Assets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assets")
            .field("count", &self.0.assets.len())
            .finish()
    }
}

impl Assets {
    pub fn new(assets: Vec<Asset>) -> Self {
        let mut hashed = HashMap::new();
        let mut served = HashMap::new();
        let mut etags = Vec::new();
        for (i, a) in assets.iter().enumerate() {
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
        Self(Arc::new(Table {
            assets,
            hashed,
            served,
            etags,
        }))
    }

    /// The URL of an asset by its logical path (`css/app.css` → `/static/css/app.<hash>.css`).
    pub fn url(&self, path: &str) -> String {
        match self.0.hashed.get(path) {
            Some(h) => format!("/static/{h}"),
            None => format!("/static/{path}"),
        }
    }

    /// Hashed URLs of the stylesheets and scripts every signed-in page links.
    pub fn every_page(&self) -> (Vec<String>, Vec<String>) {
        let (mut css, mut js) = (Vec::new(), Vec::new());
        for a in self.0.assets.iter().filter(|a| a.on_every_page) {
            if a.content_type.starts_with("text/css") {
                css.push(self.url(a.path));
            } else {
                js.push(self.url(a.path));
            }
        }
        (css, js)
    }
}

pub async fn serve(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(Assets(t)) = state.ext::<Assets>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(&(i, immutable)) = t.served.get(path.as_str()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let asset = &t.assets[i];
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
        let assets = Assets::new(own());
        let url = |p| assets.url(p);
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
