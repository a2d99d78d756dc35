use axum::extract::State;
use uuid::Uuid;
use vertechie_kernel::{
    ApiJson, ApiOk, ApiPath, ApiQuery, AppResult, AppState, Created, CurrentUser, Envelope,
    NoContent, Page,
};

use crate::service::companies::{
    self as svc, CompanyCreate, CompanySearch, CompanyUpdate, CompanyView,
};
use vertechie_kernel::middleware::Client;

/// Companies A–Z, searchable by name, industry or location (public).
#[utoipa::path(get, path = "/api/v1/companies", tag = "hiring", params(CompanySearch),
    responses((status = 200, description = "A page of companies", body = Envelope<Page<CompanyView>>),
        (status = 400, description = "INVALID_QUERY")))]
pub async fn list_companies(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CompanySearch>,
) -> AppResult<ApiOk<Page<CompanyView>>> {
    svc::list(&state, q).await.map(ApiOk)
}

/// Create a company; you become its owner. Without a slug one is made from the name.
#[utoipa::path(post, path = "/api/v1/companies", tag = "hiring", security(("bearer" = [])), request_body = CompanyCreate,
    responses((status = 201, description = "Created", body = Envelope<CompanyView>), (status = 401, description = "Not signed in"),
        (status = 409, description = "SLUG_TAKEN"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn create_company(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<CompanyCreate>,
) -> AppResult<Created<CompanyView>> {
    svc::create(&state, &user, input).await.map(Created)
}

/// A company (public).
#[utoipa::path(get, path = "/api/v1/companies/{id}", tag = "hiring", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The company", body = Envelope<CompanyView>), (status = 404, description = "No such company")))]
pub async fn get_company(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<CompanyView>> {
    svc::get(&state, id).await.map(ApiOk)
}

/// Change a company (its owners and admins); absent fields stay, `null` clears. A new name or
/// website clears `verified`.
#[utoipa::path(patch, path = "/api/v1/companies/{id}", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = CompanyUpdate,
    responses((status = 200, description = "Updated", body = Envelope<CompanyView>), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_COMPANY_ROLE"), (status = 404, description = "No such company"),
        (status = 409, description = "SLUG_TAKEN"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn update_company(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<CompanyUpdate>,
) -> AppResult<ApiOk<CompanyView>> {
    svc::update(&state, &user, id, input).await.map(ApiOk)
}

/// Delete a company and its memberships (its owners).
#[utoipa::path(delete, path = "/api/v1/companies/{id}", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_COMPANY_ROLE"), (status = 404, description = "No such company")))]
pub async fn delete_company(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<NoContent> {
    svc::delete(&state, &user, id).await.map(|_| NoContent)
}

/// Mark a company verified (platform admins). Audited.
#[utoipa::path(post, path = "/api/v1/admin/companies/{id}/verify", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Verified", body = Envelope<CompanyView>), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_ROLE"), (status = 404, description = "No such company")))]
pub async fn verify_company(
    State(state): State<AppState>,
    user: CurrentUser,
    client: Client,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<CompanyView>> {
    svc::verify(&state, &user, id, client.ip_string())
        .await
        .map(ApiOk)
}
