use axum::Router;
use vertechie_kernel::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
