//! JSON handlers for messaging, annotated for OpenAPI. Thin: parse, call a service, answer.

mod notifications;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vertechie_kernel::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(notifications::list_notifications))
        .routes(routes!(notifications::read_notification))
        .routes(routes!(notifications::read_all_notifications))
        .routes(routes!(
            notifications::get_preferences,
            notifications::put_preferences
        ))
}
