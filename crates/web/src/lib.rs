//! Page layout, shared templates, static assets and page helpers: the signed-in viewer, CSRF,
//! flash messages, theme, navigation and friendly error pages. Domain crates render their pages
//! with these and extend `layout.html`.

pub mod assets;
pub mod page;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use vertechie_kernel::AppState;
use vertechie_kernel::module::{Assembly, Module};
pub use vertechie_kernel::module::{Asset, NavEntry};

pub use assets::Assets;
pub use page::{
    CsrfForm, FieldErrors, Flash, Navigation, Page, PageCtx, SignedIn, error_page, is_form_error,
    page_middleware, parse_id, redirect_with_flash, render, safe_next, set_session_cookie,
};

/// Icons for navigation items (24×24 SVG paths).
pub mod icons {
    pub const HOME: &str = "M12 3 2 12h3v8h6v-6h2v6h6v-8h3z";
    pub const USER: &str = "M12 12a5 5 0 1 0 0-10 5 5 0 0 0 0 10zm0 2c-5 0-9 2.5-9 5.5V22h18v-2.5C21 16.5 17 14 12 14z";
    pub const SETTINGS: &str = "M19.4 13a7.6 7.6 0 0 0 0-2l2.1-1.6-2-3.4-2.5 1a7.3 7.3 0 0 0-1.7-1L15 3h-4l-.3 3a7.3 7.3 0 0 0-1.7 1l-2.5-1-2 3.4L6.6 11a7.6 7.6 0 0 0 0 2l-2.1 1.6 2 3.4 2.5-1a7.3 7.3 0 0 0 1.7 1l.3 3h4l.3-3a7.3 7.3 0 0 0 1.7-1l2.5 1 2-3.4zM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7z";
    pub const SHIELD: &str = "M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5z";
    pub const BRIEFCASE: &str = "M9 3h6a2 2 0 0 1 2 2v2h3a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2h3V5a2 2 0 0 1 2-2zm0 4h6V5H9z";
    pub const INBOX: &str = "M4 4h16l2 9v7H2v-7zm1.6 2-1.3 6H9a3 3 0 0 0 6 0h4.7l-1.3-6z";
    pub const BOARD: &str = "M3 4h5v16H3zm6.5 0h5v11h-5zM16 4h5v7h-5z";
    pub const CHAT: &str =
        "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2zm3 5v2h10V8zm0 4v2h7v-2z";
    pub const SEARCH: &str = "M10 2a8 8 0 1 0 4.9 14.3l5.4 5.4 1.4-1.4-5.4-5.4A8 8 0 0 0 10 2zm0 2a6 6 0 1 1 0 12 6 6 0 0 1 0-12z";
}

/// What the phone bottom bar holds, in this order: it has room for five entries, so it takes the
/// everyday ones; Profile, Settings and Admin are also in the account menu, and the other
/// entries (Hiring…) are listed there on small screens (`PageCtx::menu_nav`).
pub const BOTTOM_BAR: [&str; 5] = [
    "/dashboard",
    "/jobs",
    "/messages",
    "/applications",
    "/profile",
];

/// Entries the account menu always links to (so they need no place of their own there).
const IN_ACCOUNT_MENU: [&str; 3] = ["/profile", "/settings", "/admin/users"];

impl page::PageCtx {
    /// The bottom bar's entries (those of `BOTTOM_BAR` this user has), in `BOTTOM_BAR` order.
    pub fn bottom_nav(&self) -> Vec<&page::NavLink> {
        BOTTOM_BAR
            .iter()
            .filter_map(|href| self.nav.iter().find(|n| n.href == *href))
            .collect()
    }

    /// Entries neither in the bottom bar nor fixed in the account menu: the account menu lists
    /// them on small screens, where the side navigation is hidden.
    pub fn menu_nav(&self) -> Vec<&page::NavLink> {
        self.nav
            .iter()
            .filter(|n| !BOTTOM_BAR.contains(&n.href) && !IN_ACCOUNT_MENU.contains(&n.href))
            .collect()
    }
}

/// The web shell as a module: the static asset route, the theme switch and the layout's own
/// assets. The server lists it first.
pub fn module() -> Module {
    let mut m = Module::new("web").pages(
        Router::new()
            .route("/static/{*path}", get(assets::serve))
            .route("/theme", post(set_theme)),
    );
    for a in assets::own() {
        m = m.asset(a);
    }
    m
}

/// Puts what the pages need from every module into the state: the navigation (in `order`) and
/// the asset table. Called by the server once the modules are assembled.
pub fn install(assembly: &mut Assembly) {
    assembly.extensions.insert(Navigation(assembly.nav.clone()));
    assembly
        .extensions
        .insert(Assets::new(assembly.assets.clone()));
}

#[derive(Deserialize)]
struct ThemeForm {
    theme: String,
    back: Option<String>,
}

/// Non-JS theme switch: remembers the choice in a cookie and goes back.
async fn set_theme(
    axum::extract::State(state): axum::extract::State<AppState>,
    CsrfForm(f): CsrfForm<ThemeForm>,
) -> Response {
    let theme = match f.theme.as_str() {
        "light" | "dark" | "system" => f.theme.as_str(),
        _ => "system",
    };
    let back = safe_next(f.back.as_deref());
    let mut res = Redirect::to(&back).into_response();
    if let Some(v) = page::cookie_header(
        page::THEME_COOKIE,
        theme,
        365 * 86_400,
        false,
        state.config.is_tls(),
    ) {
        res.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    res
}

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing<'a> {
    ctx: &'a PageCtx,
}

/// The landing page for signed-out visitors.
pub fn landing(ctx: &PageCtx) -> Response {
    render(StatusCode::OK, &Landing { ctx })
}
