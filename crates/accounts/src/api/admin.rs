use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use vertechie_kernel::audit::AuditRecord;
use vertechie_kernel::mail::OutboxMail;
use vertechie_kernel::{
    ApiJson, ApiOk, ApiPath, ApiQuery, AppResult, AppState, CurrentUser, Envelope, Page, PageQuery,
    UserId,
};

use crate::service::admin::{self as svc, AdminUserUpdate, UserSearch};
use crate::service::views::UserView;
use vertechie_kernel::middleware::Client;

/// Search users by name, email or username; filter by role and status (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(UserSearch),
    responses((status = 200, description = "A page of users", body = Envelope<Page<UserView>>), (status = 403, description = "FORBIDDEN_ROLE")))]
pub async fn list_users(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<UserSearch>,
) -> AppResult<ApiOk<Page<UserView>>> {
    svc::list_users(&state, &user, q).await.map(ApiOk)
}

/// Change a user's roles or active flag (admins; only a super admin grants or removes admin roles). Audited.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = AdminUserUpdate,
    responses((status = 200, description = "Updated", body = Envelope<UserView>), (status = 403, description = "FORBIDDEN_ROLE"),
        (status = 404, description = "No such user"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn update_user(
    State(state): State<AppState>,
    user: CurrentUser,
    client: Client,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<AdminUserUpdate>,
) -> AppResult<ApiOk<UserView>> {
    svc::update_user(&state, &user, UserId(id), input, &client.into())
        .await
        .map(ApiOk)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// At most 100 (default 50).
    pub limit: Option<u64>,
}

/// The newest audit log entries (admins).
#[utoipa::path(get, path = "/api/v1/admin/audit-log", tag = "users", security(("bearer" = [])), params(LimitQuery),
    responses((status = 200, description = "Newest first", body = Envelope<Vec<AuditRecord>>), (status = 403, description = "FORBIDDEN_ROLE")))]
pub async fn audit_log(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<LimitQuery>,
) -> AppResult<ApiOk<Vec<AuditRecord>>> {
    user.require_admin()?;
    let limit = q.limit.unwrap_or(50).clamp(1, 100);
    Ok(ApiOk(
        vertechie_kernel::audit::recent(&state.db, limit).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// Only mail to this address.
    pub to: Option<String>,
    pub page: Option<u64>,
    pub limit: Option<u64>,
}

/// Development mail stored because no SMTP server is configured (super admins only; the query
/// values of links, such as verification and reset tokens, are masked as `…`).
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "users", security(("bearer" = [])), params(OutboxQuery),
    responses((status = 200, description = "Newest first, links masked", body = Envelope<Vec<OutboxMail>>),
        (status = 403, description = "FORBIDDEN_ROLE (admins too: super admins only)")))]
pub async fn outbox(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> AppResult<ApiOk<Vec<OutboxMail>>> {
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    };
    svc::outbox(&state, &user, q.to.as_deref(), page.limit(), page.offset())
        .await
        .map(ApiOk)
}
