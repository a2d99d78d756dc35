use axum::extract::State;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;
use vertechie_kernel::{
    ApiJson, ApiOk, ApiPath, AppResult, AppState, Created, CurrentUser, Envelope, NoContent, UserId,
};

use crate::service::profile::{
    self as svc, CvInput, CvView, DeleteAccountInput, EducationInput, ExperienceInput,
    ProfileUpdate, SkillInput,
};
use crate::service::views::{EducationView, ExperienceView, PublicUserView, SkillView, UserView};
use vertechie_kernel::middleware::Client;

/// The signed-in user's account.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "Your account", body = Envelope<UserView>), (status = 401, description = "Not signed in")))]
pub async fn get_me(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<ApiOk<UserView>> {
    svc::me(&state, user.id).await.map(ApiOk)
}

/// Update profile fields; absent fields stay as they are, `null` clears.
#[utoipa::path(patch, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])), request_body = ProfileUpdate,
    responses((status = 200, description = "Updated", body = Envelope<UserView>), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn update_me(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<ProfileUpdate>,
) -> AppResult<ApiOk<UserView>> {
    svc::update_me(&state, user.id, input).await.map(ApiOk)
}

/// Delete your account (needs your password): personal data is erased and every session ends.
#[utoipa::path(delete, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])), request_body = DeleteAccountInput,
    responses((status = 204, description = "Deleted"), (status = 422, description = "VALIDATION_ERROR: wrong password"),
        (status = 423, description = "ACCOUNT_LOCKED: too many wrong passwords (they count as failed sign-ins); see retry_after")))]
pub async fn delete_me(
    State(state): State<AppState>,
    user: CurrentUser,
    client: Client,
    ApiJson(input): ApiJson<DeleteAccountInput>,
) -> AppResult<NoContent> {
    svc::delete_me(&state, user.id, &input.password, &client.into())
        .await
        .map(|_| NoContent)
}

/// A user's public profile (never email or phone).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, description = "Public profile", body = Envelope<PublicUserView>), (status = 404, description = "No such user")))]
pub async fn public_profile(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<PublicUserView>> {
    svc::public_profile(&state, UserId(id)).await.map(ApiOk)
}

/// Your skills, strongest first.
#[utoipa::path(get, path = "/api/v1/users/me/skills", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "Skills", body = Envelope<Vec<SkillView>>)))]
pub async fn list_skills(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<ApiOk<Vec<SkillView>>> {
    svc::list_skills(&state, user.id).await.map(ApiOk)
}

/// Add a skill, or change its level if you already have it (names are case-insensitive).
#[utoipa::path(post, path = "/api/v1/users/me/skills", tag = "users", security(("bearer" = [])), request_body = SkillInput,
    responses(
        (status = 201, description = "Added", body = Envelope<SkillView>),
        (status = 200, description = "Level updated", body = Envelope<SkillView>),
        (status = 422, description = "VALIDATION_ERROR"),
    ))]
pub async fn add_skill(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<SkillInput>,
) -> AppResult<Response> {
    let (skill, created) = svc::upsert_skill(&state, user.id, input).await?;
    Ok(if created {
        Created(skill).into_response()
    } else {
        ApiOk(skill).into_response()
    })
}

/// Remove a skill by name (case-insensitive).
#[utoipa::path(delete, path = "/api/v1/users/me/skills/{name}", tag = "users", security(("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "You do not have this skill")))]
pub async fn delete_skill(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(name): ApiPath<String>,
) -> AppResult<NoContent> {
    svc::delete_skill(&state, user.id, &name)
        .await
        .map(|_| NoContent)
}

/// Your CV text.
#[utoipa::path(get, path = "/api/v1/users/me/cv", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "CV", body = Envelope<CvView>)))]
pub async fn get_cv(State(state): State<AppState>, user: CurrentUser) -> AppResult<ApiOk<CvView>> {
    svc::get_cv(&state, user.id).await.map(ApiOk)
}

/// Replace your CV text (at most 100 KB).
#[utoipa::path(put, path = "/api/v1/users/me/cv", tag = "users", security(("bearer" = [])), request_body = CvInput,
    responses((status = 200, description = "Saved", body = Envelope<CvView>), (status = 422, description = "Too long")))]
pub async fn put_cv(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<CvInput>,
) -> AppResult<ApiOk<CvView>> {
    svc::put_cv(&state, user.id, input).await.map(ApiOk)
}

/// Your work experience, current first.
#[utoipa::path(get, path = "/api/v1/users/me/experiences", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "Experiences", body = Envelope<Vec<ExperienceView>>)))]
pub async fn list_experiences(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<ApiOk<Vec<ExperienceView>>> {
    svc::list_experiences(&state, user.id).await.map(ApiOk)
}

/// Add a work experience.
#[utoipa::path(post, path = "/api/v1/users/me/experiences", tag = "users", security(("bearer" = [])), request_body = ExperienceInput,
    responses((status = 201, description = "Added", body = Envelope<ExperienceView>), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn add_experience(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<ExperienceInput>,
) -> AppResult<Created<ExperienceView>> {
    svc::add_experience(&state, user.id, input)
        .await
        .map(Created)
}

#[utoipa::path(get, path = "/api/v1/users/me/experiences/{id}", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Experience", body = Envelope<ExperienceView>), (status = 404, description = "Not yours or not found")))]
pub async fn get_experience(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<ExperienceView>> {
    svc::get_experience(&state, user.id, id).await.map(ApiOk)
}

/// Change a work experience; absent fields stay.
#[utoipa::path(patch, path = "/api/v1/users/me/experiences/{id}", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = ExperienceInput,
    responses((status = 200, description = "Updated", body = Envelope<ExperienceView>), (status = 404, description = "Not yours or not found"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn update_experience(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ExperienceInput>,
) -> AppResult<ApiOk<ExperienceView>> {
    svc::update_experience(&state, user.id, id, input)
        .await
        .map(ApiOk)
}

#[utoipa::path(delete, path = "/api/v1/users/me/experiences/{id}", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "Not yours or not found")))]
pub async fn delete_experience(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<NoContent> {
    svc::delete_experience(&state, user.id, id)
        .await
        .map(|_| NoContent)
}

/// Your education, most recent first.
#[utoipa::path(get, path = "/api/v1/users/me/education", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "Education", body = Envelope<Vec<EducationView>>)))]
pub async fn list_education(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<ApiOk<Vec<EducationView>>> {
    svc::list_education(&state, user.id).await.map(ApiOk)
}

#[utoipa::path(post, path = "/api/v1/users/me/education", tag = "users", security(("bearer" = [])), request_body = EducationInput,
    responses((status = 201, description = "Added", body = Envelope<EducationView>), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn add_education(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<EducationInput>,
) -> AppResult<Created<EducationView>> {
    svc::add_education(&state, user.id, input)
        .await
        .map(Created)
}

#[utoipa::path(get, path = "/api/v1/users/me/education/{id}", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Education entry", body = Envelope<EducationView>), (status = 404, description = "Not yours or not found")))]
pub async fn get_education(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<EducationView>> {
    svc::get_education(&state, user.id, id).await.map(ApiOk)
}

#[utoipa::path(patch, path = "/api/v1/users/me/education/{id}", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = EducationInput,
    responses((status = 200, description = "Updated", body = Envelope<EducationView>), (status = 404, description = "Not yours or not found"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn update_education(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<EducationInput>,
) -> AppResult<ApiOk<EducationView>> {
    svc::update_education(&state, user.id, id, input)
        .await
        .map(ApiOk)
}

#[utoipa::path(delete, path = "/api/v1/users/me/education/{id}", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "Not yours or not found")))]
pub async fn delete_education(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<NoContent> {
    svc::delete_education(&state, user.id, id)
        .await
        .map(|_| NoContent)
}

/// How complete your profile is and what is missing.
#[utoipa::path(get, path = "/api/v1/users/me/completeness", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "Percent and missing items", body = Envelope<crate::service::discovery::Completeness>)))]
pub async fn completeness(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<ApiOk<crate::service::discovery::Completeness>> {
    crate::service::discovery::completeness(&state, user.id)
        .await
        .map(ApiOk)
}

/// Change your password; your other sessions are signed out.
#[utoipa::path(post, path = "/api/v1/users/me/password", tag = "users", security(("bearer" = [])),
    request_body = crate::service::auth::ChangePasswordInput,
    responses((status = 204, description = "Changed"), (status = 422, description = "VALIDATION_ERROR: wrong current password or weak new one"),
        (status = 423, description = "ACCOUNT_LOCKED: too many wrong passwords (they count as failed sign-ins); see retry_after")))]
pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    client: Client,
    ApiJson(input): ApiJson<crate::service::auth::ChangePasswordInput>,
) -> AppResult<NoContent> {
    crate::service::auth::change_password(&state, user.id, user.session_id, input, &client.into())
        .await
        .map(|_| NoContent)
}

/// Find people by name or username (public profile fields only).
#[utoipa::path(get, path = "/api/v1/people", tag = "users", params(crate::service::discovery::PeopleQuery),
    responses((status = 200, description = "A page of people", body = Envelope<vertechie_kernel::Page<crate::service::discovery::PersonSummary>>)))]
pub async fn search_people(
    State(state): State<AppState>,
    vertechie_kernel::ApiQuery(q): vertechie_kernel::ApiQuery<
        crate::service::discovery::PeopleQuery,
    >,
) -> AppResult<ApiOk<vertechie_kernel::Page<crate::service::discovery::PersonSummary>>> {
    crate::service::discovery::search_people(&state, q)
        .await
        .map(ApiOk)
}
