use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use vertechie_kernel::{
    ApiJson, ApiMessage, ApiOk, ApiPath, ApiQuery, AppResult, AppState, Created, CurrentUser,
    Envelope, NoContent,
};

use crate::service::auth::{
    self as svc, LoginInput, RefreshInput, RegisterInput, ResetConfirmInput, ResetRequestInput,
};
use crate::service::views::{AuthTokens, SessionView, UserView};
use vertechie_kernel::middleware::Client;

/// Create an account. Sends a verification mail and signs the new user in.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterInput,
    responses(
        (status = 201, description = "Account created and signed in", body = Envelope<AuthTokens>),
        (status = 409, description = "EMAIL_TAKEN or USERNAME_TAKEN"),
        (status = 422, description = "VALIDATION_ERROR with field details"),
    ))]
pub async fn register(
    State(state): State<AppState>,
    client: Client,
    ApiJson(input): ApiJson<RegisterInput>,
) -> AppResult<Created<AuthTokens>> {
    svc::register(&state, input, &client.into())
        .await
        .map(Created)
}

/// Sign in with email or username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in", body = Envelope<AuthTokens>),
        (status = 401, description = "INVALID_CREDENTIALS"),
        (status = 403, description = "ACCOUNT_DISABLED"),
        (status = 423, description = "ACCOUNT_LOCKED, with Retry-After"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    client: Client,
    ApiJson(input): ApiJson<LoginInput>,
) -> AppResult<ApiOk<AuthTokens>> {
    svc::login(&state, input, &client.into()).await.map(ApiOk)
}

/// Exchange a refresh token for a new pair; the old one stops working.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshInput,
    responses(
        (status = 200, description = "New token pair", body = Envelope<AuthTokens>),
        (status = 401, description = "TOKEN_INVALID, TOKEN_EXPIRED, SESSION_REVOKED, or TOKEN_REUSED (the session is revoked)"),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RefreshInput>,
) -> AppResult<ApiOk<AuthTokens>> {
    svc::refresh(&state, &input.refresh_token).await.map(ApiOk)
}

/// Sign out: revokes the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Signed out"), (status = 401, description = "Not signed in")))]
pub async fn logout(State(state): State<AppState>, user: CurrentUser) -> AppResult<NoContent> {
    svc::logout(&state, user.id, user.session_id)
        .await
        .map(|_| NoContent)
}

/// The signed-in user's live sessions (devices).
#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "Sessions, most recently used first", body = Envelope<Vec<SessionView>>)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<ApiOk<Vec<SessionView>>> {
    svc::list_sessions(&state, user.id, user.session_id)
        .await
        .map(ApiOk)
}

/// Revoke one of your sessions (signs that device out).
#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such session of yours")))]
pub async fn delete_session(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<NoContent> {
    svc::delete_session(&state, user.id, id)
        .await
        .map(|_| NoContent)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    pub token: String,
}

/// Confirm an email address with the token from the verification mail.
#[utoipa::path(get, path = "/api/v1/auth/verify-email", tag = "auth", params(TokenQuery),
    responses(
        (status = 200, description = "Verified", body = Envelope<UserView>),
        (status = 400, description = "TOKEN_INVALID or TOKEN_EXPIRED"),
    ))]
pub async fn verify_email(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> AppResult<ApiMessage<UserView>> {
    svc::verify_email(&state, &q.token)
        .await
        .map(|u| ApiMessage(u, "Your email address is verified"))
}

/// Send a new verification mail to the signed-in user.
#[utoipa::path(post, path = "/api/v1/auth/verify-email/resend", tag = "auth", security(("bearer" = [])),
    responses((status = 202, description = "Mail queued"), (status = 409, description = "ALREADY_VERIFIED")))]
pub async fn resend_verification(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Accepted> {
    svc::resend_verification(&state, user.id)
        .await
        .map(|_| Accepted)
}

/// Ask for a password reset link. Always answers 202, whether or not the address has an account.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/request", tag = "auth", request_body = ResetRequestInput,
    responses((status = 202, description = "If the address has an account, a mail is on its way")))]
pub async fn reset_request(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ResetRequestInput>,
) -> AppResult<Accepted> {
    svc::request_password_reset(&state, &input.email)
        .await
        .map(|_| Accepted)
}

/// Set a new password with the token from the reset mail; signs out every session.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirmInput,
    responses(
        (status = 204, description = "Password changed; all sessions revoked"),
        (status = 400, description = "TOKEN_INVALID or TOKEN_EXPIRED"),
        (status = 422, description = "VALIDATION_ERROR"),
    ))]
pub async fn reset_confirm(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ResetConfirmInput>,
) -> AppResult<NoContent> {
    svc::confirm_password_reset(&state, input)
        .await
        .map(|_| NoContent)
}

/// 202 with the success envelope and a message.
pub struct Accepted;

#[derive(Serialize)]
struct AcceptedBody {
    accepted: bool,
}

impl axum::response::IntoResponse for Accepted {
    fn into_response(self) -> axum::response::Response {
        let mut res = ApiMessage(AcceptedBody { accepted: true }, "Accepted").into_response();
        *res.status_mut() = axum::http::StatusCode::ACCEPTED;
        res
    }
}

#[allow(dead_code)]
#[derive(ToSchema)]
struct AcceptedSchema {
    accepted: bool,
}
