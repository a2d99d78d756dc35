use axum::extract::State;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;
use vertechie_kernel::{
    ApiJson, ApiOk, ApiPath, AppResult, AppState, Created, CurrentUser, Envelope, NoContent,
};

use crate::service::members::{self as svc, MemberInput, MemberView};

/// The company's members, owners first (members only).
#[utoipa::path(get, path = "/api/v1/companies/{id}/members", operation_id = "list_company_members", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Members", body = Envelope<Vec<MemberView>>), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_COMPANY_ROLE"), (status = 404, description = "No such company")))]
pub async fn list_members(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<Vec<MemberView>>> {
    svc::list(&state, &user, id).await.map(ApiOk)
}

/// Add a member or change a member's role (owners and admins; only owners make or change
/// owners; the last owner cannot be demoted).
#[utoipa::path(post, path = "/api/v1/companies/{id}/members", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = MemberInput,
    responses(
        (status = 201, description = "Added", body = Envelope<MemberView>),
        (status = 200, description = "Role changed", body = Envelope<MemberView>),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_COMPANY_ROLE"),
        (status = 404, description = "No such company"),
        (status = 409, description = "LAST_OWNER"),
        (status = 422, description = "VALIDATION_ERROR"),
    ))]
pub async fn upsert_member(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<MemberInput>,
) -> AppResult<Response> {
    let (member, created) = svc::upsert(&state, &user, id, input).await?;
    Ok(if created {
        Created(member).into_response()
    } else {
        ApiOk(member).into_response()
    })
}

/// Remove a member (owners and admins; only owners remove owners), or leave yourself. The last
/// owner can neither leave nor be removed.
#[utoipa::path(delete, path = "/api/v1/companies/{id}/members/{user_id}", operation_id = "remove_company_member", tag = "hiring", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_COMPANY_ROLE"), (status = 404, description = "No such company or member"),
        (status = 409, description = "LAST_OWNER")))]
pub async fn remove_member(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, user_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<NoContent> {
    svc::remove(&state, &user, id, user_id)
        .await
        .map(|_| NoContent)
}
