use axum::extract::State;
use uuid::Uuid;
use vertechie_kernel::{
    ApiJson, ApiOk, ApiPath, ApiQuery, AppResult, AppState, CurrentUser, Envelope,
};

use crate::service::notifications::{
    self as svc, NotificationList, NotificationQuery, NotificationView, Preferences, ReadAll,
};

/// Your notifications, newest first, with your unread count; `unread=true` lists only unread ones.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "messaging", security(("bearer" = [])), params(NotificationQuery),
    responses((status = 200, description = "A page of notifications", body = Envelope<NotificationList>),
        (status = 400, description = "INVALID_QUERY"), (status = 401, description = "Not signed in")))]
pub async fn list_notifications(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> AppResult<ApiOk<NotificationList>> {
    svc::list(&state, &user, q).await.map(ApiOk)
}

/// Mark one of your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "messaging", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Read", body = Envelope<NotificationView>), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such notification of yours")))]
pub async fn read_notification(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<NotificationView>> {
    svc::mark_read(&state, &user, id).await.map(ApiOk)
}

/// Mark all your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "messaging", security(("bearer" = [])),
    responses((status = 200, description = "How many were marked read", body = Envelope<ReadAll>), (status = 401, description = "Not signed in")))]
pub async fn read_all_notifications(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<ApiOk<ReadAll>> {
    svc::mark_all_read(&state, &user).await.map(ApiOk)
}

/// Your delivery channel per notification kind (`{kind: channel}`); kinds not listed use `both`.
#[utoipa::path(get, path = "/api/v1/notifications/preferences", tag = "messaging", security(("bearer" = [])),
    responses((status = 200, description = "Your preferences", body = Envelope<Preferences>), (status = 401, description = "Not signed in")))]
pub async fn get_preferences(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<ApiOk<Preferences>> {
    svc::preferences(&state, &user).await.map(ApiOk)
}

/// Replace your preferences: `{kind: channel}` with channel in_app | email | both | none and kinds
/// of 1–50 characters `[a-z0-9_.]`. `in_app` stores and pushes, `email` only mails, `both` does
/// both, `none` drops the notification.
#[utoipa::path(put, path = "/api/v1/notifications/preferences", tag = "messaging", security(("bearer" = [])), request_body = Preferences,
    responses((status = 200, description = "Saved", body = Envelope<Preferences>), (status = 401, description = "Not signed in"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn put_preferences(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<Preferences>,
) -> AppResult<ApiOk<Preferences>> {
    svc::set_preferences(&state, &user, input).await.map(ApiOk)
}
