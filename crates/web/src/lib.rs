//! Page layout, shared templates and static assets. The full UI shell lands with the web issue;
//! this serves the landing page so `cargo run` shows something useful.

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use vertechie_kernel::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(landing))
}

async fn landing() -> Html<&'static str> {
    Html(include_str!("landing.html"))
}
