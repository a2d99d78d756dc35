use axum::extract::State;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;
use vertechie_kernel::{
    ApiJson, ApiOk, ApiPath, ApiQuery, AppResult, AppState, Created, CurrentUser, Envelope,
    MaybeUser, NoContent, Page, PageQuery,
};

use crate::service::jobs::{
    self as svc, JobCreate, JobSearch, JobUpdate, JobView, Removed, SavedJobView,
};
use crate::service::matching::MatchResult;

/// Open jobs: full-text search over title, description and skills, with filters (public).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "hiring", params(JobSearch),
    responses((status = 200, description = "A page of open jobs", body = Envelope<Page<JobView>>),
        (status = 400, description = "INVALID_QUERY")))]
pub async fn list_jobs(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<JobSearch>,
) -> AppResult<ApiOk<Page<JobView>>> {
    svc::list(&state, q).await.map(ApiOk)
}

/// Post a job (the company's owners, admins and recruiters).
#[utoipa::path(post, path = "/api/v1/jobs", tag = "hiring", security(("bearer" = [])), request_body = JobCreate,
    responses((status = 201, description = "Created", body = Envelope<JobView>), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_COMPANY_ROLE"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn create_job(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<JobCreate>,
) -> AppResult<Created<JobView>> {
    svc::create(&state, &user, input).await.map(Created)
}

/// A job with its company; drafts and closed jobs only for company members. A signed-in reader
/// also gets `match`.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "hiring", security((), ("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The job", body = Envelope<JobView>), (status = 404, description = "No such job")))]
pub async fn get_job(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<JobView>> {
    svc::get(&state, user.as_ref(), id).await.map(ApiOk)
}

/// Change a job (the company's owners, admins and recruiters); absent fields stay, `null` clears.
#[utoipa::path(patch, path = "/api/v1/jobs/{id}", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = JobUpdate,
    responses((status = 200, description = "Updated", body = Envelope<JobView>), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_COMPANY_ROLE"), (status = 404, description = "No such job"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn update_job(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<JobUpdate>,
) -> AppResult<ApiOk<JobView>> {
    svc::update(&state, &user, id, input).await.map(ApiOk)
}

/// Delete a draft (204), or close any other job (200 with the job).
#[utoipa::path(delete, path = "/api/v1/jobs/{id}", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "The draft was deleted"), (status = 200, description = "The job was closed", body = Envelope<JobView>),
        (status = 401, description = "Not signed in"), (status = 403, description = "FORBIDDEN_COMPANY_ROLE"),
        (status = 404, description = "No such job")))]
pub async fn delete_job(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Response> {
    Ok(match svc::delete(&state, &user, id).await? {
        Removed::Deleted => NoContent.into_response(),
        Removed::Closed(job) => ApiOk(*job).into_response(),
    })
}

/// How you match the job (signed in).
#[utoipa::path(get, path = "/api/v1/jobs/{id}/match", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The match and its explanation", body = Envelope<MatchResult>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such job")))]
pub async fn job_match(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<MatchResult>> {
    svc::match_for(&state, &user, id).await.map(ApiOk)
}

/// Save a job (idempotent).
#[utoipa::path(put, path = "/api/v1/jobs/{id}/save", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Saved"), (status = 401, description = "Not signed in"), (status = 404, description = "No such job")))]
pub async fn save_job(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<NoContent> {
    svc::save(&state, &user, id).await.map(|_| NoContent)
}

/// Forget a saved job (idempotent).
#[utoipa::path(delete, path = "/api/v1/jobs/{id}/save", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Not saved any more"), (status = 401, description = "Not signed in")))]
pub async fn unsave_job(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<NoContent> {
    svc::unsave(&state, &user, id).await.map(|_| NoContent)
}

/// Your saved jobs, newest first.
#[utoipa::path(get, path = "/api/v1/users/me/saved-jobs", tag = "hiring", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "A page of saved jobs", body = Envelope<Page<SavedJobView>>),
        (status = 401, description = "Not signed in")))]
pub async fn saved_jobs(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> AppResult<ApiOk<Page<SavedJobView>>> {
    svc::saved(&state, &user, page).await.map(ApiOk)
}
