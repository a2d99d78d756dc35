//! Applications and the ATS pipeline: stages, apply, the candidate's list and withdrawal, the
//! members' list, detail, move, reject, notes, scorecards and the stuck list.

use axum::extract::State;
use uuid::Uuid;
use vertechie_kernel::{
    ApiJson, ApiOk, ApiPath, ApiQuery, AppResult, AppState, Created, CurrentUser, Envelope,
    NoContent, Page, PageQuery,
};

use crate::service::applications::{
    self as svc, ApplicationSummary, ApplicationView, ApplicationsQuery, ApplyInput,
    BulkRejectInput, BulkRejectResult, MoveInput, MyApplication, NoteInput, NoteView, RejectInput,
    ScorecardInput, ScorecardList, ScorecardView, StuckQuery,
};
use crate::service::pipeline::{self, StageCreate, StageUpdate, StageView};

/// The stages of a job, in order (company members; others 404).
#[utoipa::path(get, path = "/api/v1/jobs/{id}/stages", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The stages", body = Envelope<Vec<StageView>>), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such job, or not a member")))]
pub async fn list_stages(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<Vec<StageView>>> {
    pipeline::list(&state, &user, id).await.map(ApiOk)
}

/// Add a stage (owners, admins, recruiters); answers the stages in their new order.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/stages", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = StageCreate,
    responses((status = 201, description = "Added", body = Envelope<Vec<StageView>>), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_COMPANY_ROLE"), (status = 404, description = "No such job"),
        (status = 409, description = "STAGE_EXISTS, TOO_MANY_STAGES"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn add_stage(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<StageCreate>,
) -> AppResult<Created<Vec<StageView>>> {
    pipeline::add(&state, &user, id, input).await.map(Created)
}

/// Rename and/or move a stage (owners, admins, recruiters).
#[utoipa::path(patch, path = "/api/v1/jobs/{id}/stages/{stage_id}", tag = "hiring", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("stage_id" = Uuid, Path)), request_body = StageUpdate,
    responses((status = 200, description = "The stages", body = Envelope<Vec<StageView>>), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_COMPANY_ROLE"), (status = 404, description = "No such job or stage"),
        (status = 409, description = "STAGE_EXISTS"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn update_stage(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, stage_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(input): ApiJson<StageUpdate>,
) -> AppResult<ApiOk<Vec<StageView>>> {
    pipeline::update(&state, &user, id, stage_id, input)
        .await
        .map(ApiOk)
}

/// Delete an empty stage that is not the first (owners, admins, recruiters).
#[utoipa::path(delete, path = "/api/v1/jobs/{id}/stages/{stage_id}", tag = "hiring", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("stage_id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_COMPANY_ROLE"), (status = 404, description = "No such job or stage"),
        (status = 409, description = "STAGE_FIRST, STAGE_NOT_EMPTY")))]
pub async fn delete_stage(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, stage_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<NoContent> {
    pipeline::delete(&state, &user, id, stage_id)
        .await
        .map(|_| NoContent)
}

/// Apply to an open job.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/apply", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = ApplyInput,
    responses((status = 201, description = "Applied (status `rejected` with a kind message after a knockout answer)", body = Envelope<ApplicationView>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such job"),
        (status = 409, description = "ALREADY_APPLIED, JOB_CLOSED"), (status = 422, description = "VALIDATION_ERROR (answers.<id>)")))]
pub async fn apply(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ApplyInput>,
) -> AppResult<Created<ApplicationView>> {
    svc::apply(&state, &user, id, input).await.map(Created)
}

/// Your applications, newest first.
#[utoipa::path(get, path = "/api/v1/users/me/applications", tag = "hiring", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "A page of applications", body = Envelope<Page<MyApplication>>),
        (status = 401, description = "Not signed in")))]
pub async fn my_applications(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> AppResult<ApiOk<Page<MyApplication>>> {
    svc::mine(&state, &user, page).await.map(ApiOk)
}

/// Withdraw your own active application.
#[utoipa::path(post, path = "/api/v1/applications/{id}/withdraw", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Withdrawn", body = Envelope<ApplicationView>), (status = 401, description = "Not signed in"),
        (status = 404, description = "Not your application"), (status = 409, description = "APPLICATION_CLOSED")))]
pub async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<ApplicationView>> {
    svc::withdraw(&state, &user, id).await.map(ApiOk)
}

/// A job's applications (company members; others 404).
#[utoipa::path(get, path = "/api/v1/jobs/{id}/applications", tag = "hiring", security(("bearer" = [])),
    params(("id" = Uuid, Path), ApplicationsQuery),
    responses((status = 200, description = "A page of applications", body = Envelope<Page<ApplicationSummary>>),
        (status = 400, description = "INVALID_QUERY"), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such job, or not a member")))]
pub async fn job_applications(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ApplicationsQuery>,
) -> AppResult<ApiOk<Page<ApplicationSummary>>> {
    svc::list_for_job(&state, &user, id, q).await.map(ApiOk)
}

/// An application: everything for company members, the status timeline for the candidate.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The application", body = Envelope<ApplicationView>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such application")))]
pub async fn get_application(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<ApplicationView>> {
    svc::get(&state, &user, id).await.map(ApiOk)
}

/// Move an application to another stage of its job (owners, admins, recruiters).
#[utoipa::path(post, path = "/api/v1/applications/{id}/move", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = MoveInput,
    responses((status = 200, description = "Moved", body = Envelope<ApplicationView>), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_COMPANY_ROLE"), (status = 404, description = "No such application"),
        (status = 409, description = "APPLICATION_CLOSED"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn move_application(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<MoveInput>,
) -> AppResult<ApiOk<ApplicationView>> {
    svc::move_to(&state, &user, id, input).await.map(ApiOk)
}

/// Reject an application with a reason (owners, admins, recruiters).
#[utoipa::path(post, path = "/api/v1/applications/{id}/reject", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = RejectInput,
    responses((status = 200, description = "Rejected", body = Envelope<ApplicationView>), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_COMPANY_ROLE"), (status = 404, description = "No such application"),
        (status = 409, description = "APPLICATION_CLOSED"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn reject_application(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<RejectInput>,
) -> AppResult<ApiOk<ApplicationView>> {
    svc::reject(&state, &user, id, input).await.map(ApiOk)
}

/// Reject several applications of a job with one reason (owners, admins, recruiters). All or
/// nothing; applications already rejected or withdrawn are skipped and listed as such.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/applications/reject", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = BulkRejectInput,
    responses((status = 200, description = "Rejected (and skipped) applications", body = Envelope<BulkRejectResult>),
        (status = 401, description = "Not signed in"), (status = 403, description = "FORBIDDEN_COMPANY_ROLE"),
        (status = 404, description = "No such job, or not a member"),
        (status = 422, description = "VALIDATION_ERROR (reason, note, application_ids, application_ids[i] not of this job)")))]
pub async fn bulk_reject(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<BulkRejectInput>,
) -> AppResult<ApiOk<BulkRejectResult>> {
    svc::bulk_reject(&state, &user, id, input).await.map(ApiOk)
}

/// The notes on an application (company members).
#[utoipa::path(get, path = "/api/v1/applications/{id}/notes", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Notes, oldest first", body = Envelope<Vec<NoteView>>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such application")))]
pub async fn list_notes(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<Vec<NoteView>>> {
    svc::notes(&state, &user, id).await.map(ApiOk)
}

/// Add a note (company members).
#[utoipa::path(post, path = "/api/v1/applications/{id}/notes", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = NoteInput,
    responses((status = 201, description = "Added", body = Envelope<NoteView>), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such application"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn add_note(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NoteInput>,
) -> AppResult<Created<NoteView>> {
    svc::add_note(&state, &user, id, input).await.map(Created)
}

/// Scorecards (company members; an interviewer sees the others' after submitting their own).
#[utoipa::path(get, path = "/api/v1/applications/{id}/scorecards", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Scorecards", body = Envelope<ScorecardList>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such application")))]
pub async fn list_scorecards(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<ScorecardList>> {
    svc::scorecards(&state, &user, id).await.map(ApiOk)
}

/// Submit your scorecard (company members; one each).
#[utoipa::path(post, path = "/api/v1/applications/{id}/scorecards", tag = "hiring", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = ScorecardInput,
    responses((status = 201, description = "Submitted", body = Envelope<ScorecardView>), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such application"), (status = 409, description = "SCORECARD_EXISTS"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn add_scorecard(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ScorecardInput>,
) -> AppResult<Created<ScorecardView>> {
    svc::add_scorecard(&state, &user, id, input)
        .await
        .map(Created)
}

/// Active applications with no stage change for `days` (company members).
#[utoipa::path(get, path = "/api/v1/jobs/{id}/stuck", tag = "hiring", security(("bearer" = [])),
    params(("id" = Uuid, Path), StuckQuery),
    responses((status = 200, description = "Stuck applications, longest waiting first", body = Envelope<Vec<ApplicationSummary>>),
        (status = 400, description = "INVALID_QUERY"), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such job, or not a member")))]
pub async fn stuck(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StuckQuery>,
) -> AppResult<ApiOk<Vec<ApplicationSummary>>> {
    svc::stuck(&state, &user, id, q).await.map(ApiOk)
}
