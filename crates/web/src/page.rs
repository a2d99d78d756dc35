//! What every page needs: the signed-in user, CSRF token, flash messages, theme and navigation;
//! the page middleware that keeps the cookies right; form parsing with CSRF checks; error pages.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;
pub use vertechie_kernel::auth::CSRF_COOKIE;
use vertechie_kernel::auth::{SESSION_COOKIE, constant_time_eq, cookie};
use vertechie_kernel::middleware::RequestId;
use vertechie_kernel::module::NavEntry;
use vertechie_kernel::ratelimit::Limiter;
use vertechie_kernel::{AppError, AppState, CurrentUser, MaybeUser};

use crate::assets::Assets;

pub const FLASH_COOKIE: &str = "vt_flash";
pub const THEME_COOKIE: &str = "vt_theme";
pub const CSRF_FIELD: &str = "csrf_token";

/// The navigation of every module, sorted by each entry's `order`; built by [`crate::install`].
#[derive(Debug, Clone, Default)]
pub struct Navigation(pub Vec<NavEntry>);

#[derive(Debug, Clone)]
pub struct NavLink {
    pub label: &'static str,
    pub href: &'static str,
    pub icon: &'static str,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct Flash {
    /// success | error | info
    pub kind: String,
    pub message: String,
}

/// The signed-in user as the layout shows them.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub username: String,
    pub display_name: String,
    pub initials: String,
    pub is_admin: bool,
    pub current: CurrentUser,
}

/// Layout data, available to every page template as `ctx`.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub user: Option<Viewer>,
    pub csrf: String,
    pub flash: Vec<Flash>,
    /// light | dark | system
    pub theme: String,
    pub nav: Vec<NavLink>,
    pub path: String,
    pub request_id: String,
    pub assets: Assets,
}

impl PageCtx {
    /// Hashed URL of a static asset.
    pub fn asset(&self, path: &str) -> String {
        self.assets.url(path)
    }
    /// Stylesheets every signed-in page links (modules' `Asset::everywhere`).
    pub fn every_page_css(&self) -> Vec<String> {
        self.assets.every_page().0
    }
    /// Module scripts every signed-in page loads.
    pub fn every_page_js(&self) -> Vec<String> {
        self.assets.every_page().1
    }
    pub fn signed_in(&self) -> bool {
        self.user.is_some()
    }
    /// A friendly error page for `err` in the layout (401 → sign-in redirect).
    pub fn fail(&self, err: AppError) -> Response {
        error_page(self, err)
    }
}

/// Extractor for page handlers.
pub struct Page(pub PageCtx);

/// CSRF token of the request (from the cookie, or a fresh one the middleware will set).
#[derive(Clone)]
struct CsrfToken(String);

/// Marks a request whose session cookie is no longer valid, so the response clears it.
#[derive(Clone)]
struct StaleSession;

impl FromRequestParts<AppState> for Page {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = match MaybeUser::from_request_parts(parts, state).await {
            Ok(MaybeUser(u)) => u,
            Err(_) => None,
        };
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|c| c.0.clone())
            .or_else(|| cookie(&parts.headers, CSRF_COOKIE).map(str::to_owned))
            .unwrap_or_default();
        let flash = cookie(&parts.headers, FLASH_COOKIE)
            .and_then(decode_flash)
            .into_iter()
            .collect();
        let theme = match cookie(&parts.headers, THEME_COOKIE) {
            Some(t @ ("light" | "dark")) => t.to_owned(),
            _ => "system".to_owned(),
        };
        let path = parts.uri.path().to_owned();
        let nav = match (&user, state.ext::<Navigation>()) {
            (Some(u), Some(nav)) => nav
                .0
                .iter()
                .filter(|i| i.roles.is_empty() || i.roles.iter().any(|r| u.has_role(*r)))
                .map(|i| NavLink {
                    label: i.label,
                    href: i.href,
                    icon: i.icon,
                    active: path == i.href
                        || (i.href != "/" && path.starts_with(&format!("{}/", i.href))),
                })
                .collect(),
            _ => Vec::new(),
        };
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let user = user.map(|u| Viewer {
            username: u.username.clone(),
            initials: initials(&u.display_name),
            display_name: u.display_name.clone(),
            is_admin: u.is_admin(),
            current: u,
        });
        let assets = state
            .ext::<Assets>()
            .cloned()
            .unwrap_or_else(|| Assets::new(Vec::new()));
        Ok(Page(PageCtx {
            user,
            csrf,
            flash,
            theme,
            nav,
            path,
            request_id,
            assets,
        }))
    }
}

fn initials(name: &str) -> String {
    let s: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    if s.is_empty() {
        "?".into()
    } else {
        s.to_uppercase()
    }
}

/// Requires a signed-in user on a page; otherwise redirects to sign-in and back.
pub struct SignedIn(pub PageCtx, pub CurrentUser);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Page(ctx) = Page::from_request_parts(parts, state)
            .await
            .map_err(|e| match e {})?;
        match ctx.user.as_ref().map(|v| v.current.clone()) {
            Some(u) => Ok(SignedIn(ctx, u)),
            None => Err(signin_redirect(
                parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/"),
            )),
        }
    }
}

pub fn signin_redirect(next: &str) -> Response {
    let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Redirect::to(&format!("/signin?next={next}")).into_response()
}

/// Only a path on this site may be a `next` target (no open redirects): one leading `/`, and
/// no backslash or control character, neither as given nor percent-decoded (again and again, so
/// double encoding does not hide one). Browsers drop tabs and newlines from URLs and read a
/// backslash as `/`, so `/<TAB>/evil.example` or `/\evil.example` would leave the site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if next_is_on_site(n) => n.to_owned(),
        _ => "/dashboard".to_owned(),
    }
}

fn next_is_on_site(next: &str) -> bool {
    let on_site = |p: &[u8]| {
        p.starts_with(b"/")
            && !p.starts_with(b"//")
            && !p.contains(&b'\\')
            && !String::from_utf8_lossy(p).chars().any(char::is_control)
    };
    let mut current = next.as_bytes().to_vec();
    // Each round removes one level of encoding; a path still changing after four is refused.
    for _ in 0..4 {
        if !on_site(&current) {
            return false;
        }
        let decoded = percent_decode(&current);
        if decoded == current {
            return true;
        }
        current = decoded;
    }
    false
}

/// `%XY` → the byte XY; anything else (a stray `%` included) as it is.
fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && let (Some(h), Some(l)) = (
                s.get(i + 1).copied().and_then(hex),
                s.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// A urlencoded form whose CSRF token matched the cookie. A mismatch answers 403 with a page.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let expected = cookie(&parts.headers, CSRF_COOKIE).map(str::to_owned);
        let limiter = parts.extensions.get::<Limiter>().cloned();
        let Page(ctx) = Page::from_request_parts(&mut parts, state)
            .await
            .map_err(|e| match e {})?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| ctx.fail(AppError::payload_too_large()))?;
        let fields: HashMap<String, String> =
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let given = fields.get(CSRF_FIELD).map(String::as_str).unwrap_or("");
        let ok = expected
            .as_deref()
            .is_some_and(|e| !e.is_empty() && constant_time_eq(e.as_bytes(), given.as_bytes()));
        if !ok {
            return Err(ctx.fail(AppError::forbidden(
                "CSRF_FAILED",
                "This form has expired. Go back, reload the page and try again.",
            )));
        }
        // A signed-in user's form post spends their write budget (after the CSRF check, so
        // another site cannot use it up).
        if let (Some(limiter), Some(viewer)) = (&limiter, &ctx.user) {
            limiter
                .spend_user_write(viewer.current.id)
                .map_err(|e| ctx.fail(e))?;
        }
        serde_urlencoded::from_bytes::<T>(&bytes)
            .map(CsrfForm)
            .map_err(|e| {
                ctx.fail(AppError::bad_request(
                    "BAD_FORM",
                    format!("The form could not be read: {e}"),
                ))
            })
    }
}

/// Field errors for re-rendering a form next to its inputs.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors {
    pub fields: HashMap<String, String>,
    /// A message for the whole form (e.g. wrong credentials).
    pub form: Option<String>,
}

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.form.is_none()
    }
    pub fn form_error(message: impl Into<String>) -> Self {
        Self {
            fields: HashMap::new(),
            form: Some(message.into()),
        }
    }
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut f = Self::default();
        f.fields.insert(field.to_owned(), message.into());
        f
    }
}

impl From<&AppError> for FieldErrors {
    fn from(e: &AppError) -> Self {
        let mut f = FieldErrors::default();
        for d in &e.details {
            f.fields
                .entry(d.field.clone())
                .or_insert_with(|| d.message.clone());
        }
        if f.fields.is_empty() {
            f.form = Some(e.message.clone());
        }
        f
    }
}

/// Renders a template with a status.
pub fn render<T: Template>(status: StatusCode, tpl: &T) -> Response {
    match tpl.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<h1>Something went wrong</h1>".to_owned()),
            )
                .into_response()
        }
    }
}

/// 303 to `to`, showing `message` on the next page.
pub fn redirect_with_flash(to: &str, kind: &str, message: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    let value: String =
        form_urlencoded::byte_serialize(format!("{kind}|{message}").as_bytes()).collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FLASH_COOKIE}={value}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn decode_flash(raw: &str) -> Option<Flash> {
    let decoded: String = form_urlencoded::parse(format!("v={raw}").as_bytes())
        .next()?
        .1
        .into_owned();
    let (kind, message) = decoded.split_once('|')?;
    let kind = match kind {
        "success" | "error" | "info" => kind,
        _ => "info",
    };
    Some(Flash {
        kind: kind.to_owned(),
        message: message.chars().take(300).collect(),
    })
}

/// Builds a `Set-Cookie` value with the platform's attributes.
pub fn cookie_header(
    name: &str,
    value: &str,
    max_age_secs: i64,
    http_only: bool,
    secure: bool,
) -> Option<HeaderValue> {
    let mut s = format!("{name}={value}; Path=/; Max-Age={max_age_secs}; SameSite=Lax");
    if http_only {
        s.push_str("; HttpOnly");
    }
    if secure {
        s.push_str("; Secure");
    }
    HeaderValue::from_str(&s).ok()
}

/// Sets (or, with `None`, clears) the browser session cookie on `res`.
pub fn set_session_cookie(state: &AppState, res: &mut Response, value: Option<&str>) {
    let max_age = match value {
        Some(_) => state.config.refresh_token_ttl_days as i64 * 86_400,
        None => 0,
    };
    if let Some(v) = cookie_header(
        SESSION_COOKIE,
        value.unwrap_or(""),
        max_age,
        true,
        state.config.is_tls(),
    ) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn is_page_path(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/static/")
        // Signed file downloads: no session cookie checks, no CSRF cookie, no HTML errors.
        || path.starts_with("/files/")
        || matches!(path, "/health" | "/ready" | "/metrics"))
}

/// Page middleware: validates the session cookie once (clearing it when stale), makes sure a
/// CSRF cookie exists, and clears a flash message once a page has shown it.
pub async fn page_middleware(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    if !is_page_path(&path) {
        return next.run(req).await;
    }
    let mut stale = false;
    if let Some(value) = cookie(req.headers(), SESSION_COOKIE)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
    {
        let (mut parts, body) = req.into_parts();
        if MaybeUser::from_request_parts(&mut parts, &state)
            .await
            .is_err()
        {
            // Revoked, expired or disabled: behave as signed out and drop the cookie.
            stale = true;
            strip_cookie(&mut parts.headers, SESSION_COOKIE);
            parts.extensions.insert(StaleSession);
            tracing::debug!(cookie_len = value.len(), "stale browser session cookie");
        }
        req = Request::from_parts(parts, body);
    }
    let new_csrf = match cookie(req.headers(), CSRF_COOKIE) {
        Some(c) if c.len() >= 20 => None,
        _ => {
            let token = vertechie_kernel::auth::new_opaque_token().0;
            req.extensions_mut().insert(CsrfToken(token.clone()));
            Some(token)
        }
    };
    let had_flash = cookie(req.headers(), FLASH_COOKIE).is_some();
    let is_get = req.method() == Method::GET;
    let mut res = next.run(req).await;
    let secure = state.config.is_tls();
    if stale
        && !res
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.as_bytes().starts_with(SESSION_COOKIE.as_bytes()))
    {
        set_session_cookie(&state, &mut res, None);
    }
    if let Some(token) = new_csrf
        && let Some(v) = cookie_header(CSRF_COOKIE, &token, 365 * 86_400, true, secure)
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    let sets_flash = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(FLASH_COOKIE.as_bytes()));
    if had_flash
        && is_get
        && !res.status().is_redirection()
        && !sets_flash
        && let Some(v) = cookie_header(FLASH_COOKIE, "", 0, true, secure)
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn strip_cookie(headers: &mut http::HeaderMap, name: &str) {
    let kept: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|s| {
            s.split(';')
                .map(|p| p.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.starts_with(&format!("{name}=")))
        .collect();
    headers.remove(header::COOKIE);
    if !kept.is_empty()
        && let Ok(v) = HeaderValue::from_str(&kept.join("; "))
    {
        headers.insert(header::COOKIE, v);
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    ctx: &'a PageCtx,
    status: u16,
    title: &'a str,
    message: &'a str,
}

/// A friendly page for an error, in the layout. 401 sends the visitor to sign in.
pub fn error_page(ctx: &PageCtx, err: AppError) -> Response {
    if err.status == StatusCode::UNAUTHORIZED {
        return signin_redirect(&ctx.path);
    }
    let status = err.status;
    if status.is_server_error()
        && let Some(src) = &err.source
    {
        tracing::error!(request_id = %ctx.request_id, error = %format!("{src:#}"), "page failed");
    }
    let retry_after = err.retry_after;
    let (title, message) = match status {
        StatusCode::NOT_FOUND => (
            "Page not found",
            "We could not find that page. It may have moved, or the link may be wrong.",
        ),
        StatusCode::FORBIDDEN => ("Not allowed", err.message.as_str()),
        s if s.is_server_error() => (
            "Something went wrong",
            "Something went wrong on our side. Please try again in a moment.",
        ),
        _ => ("Something is not right", err.message.as_str()),
    };
    let mut res = render(
        status,
        &ErrorTemplate {
            ctx,
            status: status.as_u16(),
            title,
            message,
        },
    );
    if let Some(secs) = retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// Fallback for unknown page paths: a 404 page in the layout.
pub async fn not_found(Page(ctx): Page) -> Response {
    error_page(&ctx, AppError::not_found("not found"))
}

/// An id in a page path. A malformed one names nothing that exists, so it is the 404 page's
/// error ("<what> not found").
pub fn parse_id(raw: &str, what: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw).map_err(|_| AppError::not_found(format!("{what} not found")))
}

/// Whether a service error belongs next to the form that caused it (a 4xx other than 404 and
/// 401) rather than on an error page.
pub fn is_form_error(err: &AppError) -> bool {
    err.status.is_client_error()
        && err.status != StatusCode::NOT_FOUND
        && err.status != StatusCode::UNAUTHORIZED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets_stay_on_site() {
        assert_eq!(
            safe_next(Some("/profile?tab=skills")),
            "/profile?tab=skills"
        );
        assert_eq!(safe_next(Some("//evil.example")), "/dashboard");
        assert_eq!(safe_next(Some("https://evil.example")), "/dashboard");
        assert_eq!(safe_next(None), "/dashboard");
        assert_eq!(safe_next(Some("/jobs?q=a%20b")), "/jobs?q=a%20b");
    }

    #[test]
    fn next_refuses_backslashes_and_control_characters_encoded_or_not() {
        for evil in [
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\u{7f}/evil.example",
            "/\u{85}/evil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0D%0A/evil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%2509/evil.example",
            "/%252F/evil.example",
            "/%2F/evil.example",
            "/%00",
        ] {
            assert_eq!(safe_next(Some(evil)), "/dashboard", "{evil:?}");
        }
        // A stray percent sign is not an encoding and does no harm.
        assert_eq!(safe_next(Some("/search?q=100%")), "/search?q=100%");
    }

    #[test]
    fn flash_round_trip() {
        let res = redirect_with_flash("/x", "success", "Saved | done");
        let set = res
            .headers()
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let raw = set.split(';').next().unwrap().split_once('=').unwrap().1;
        let f = decode_flash(raw).unwrap();
        assert_eq!(
            (f.kind.as_str(), f.message.as_str()),
            ("success", "Saved | done")
        );
    }

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("grace"), "G");
        assert_eq!(initials(""), "?");
    }
}
