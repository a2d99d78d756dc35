//! Direct conversations: `/messages/direct/{user_id}` (the conversation with one person, empty
//! before the first message), posting to it, and `/messages/direct?username=` (start one by
//! username).

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use vertechie_accounts::service::profile;
use vertechie_kernel::AppState;
use vertechie_web::{CsrfForm, SignedIn, redirect_with_flash};

use super::conversation::{Target, ViewParams};
use super::parse_id;
use super::rooms::{MessageForm, post_composer, show};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages/direct", get(find))
        .route("/messages/direct/{user_id}", get(direct))
        .route("/messages/direct/{user_id}/messages", post(send))
}

#[derive(Deserialize, Default)]
struct FindParams {
    username: Option<String>,
}

/// "Message someone": the conversation with the user of that username.
async fn find(
    State(state): State<AppState>,
    SignedIn(ctx, _user): SignedIn,
    params: Result<Query<FindParams>, QueryRejection>,
) -> Response {
    let username = params
        .ok()
        .and_then(|Query(p)| p.username)
        .unwrap_or_default()
        .trim()
        .trim_start_matches('@')
        .to_owned();
    if username.is_empty() {
        return redirect_with_flash("/messages", "error", "Enter a username to message.");
    }
    match profile::find_by_username(&state, &username).await {
        Ok(id) => Redirect::to(&format!("/messages/direct/{id}")).into_response(),
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => redirect_with_flash(
            "/messages",
            "error",
            &format!("Nobody is called @{username}."),
        ),
        Err(e) => ctx.fail(e),
    }
}

async fn direct(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(other): Path<String>,
    params: Result<Query<ViewParams>, QueryRejection>,
) -> Response {
    let other = match parse_id(&other, "User") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let params = params.map(|Query(p)| p).unwrap_or_default();
    show(&state, &ctx, &user, Target::Direct(other), &params).await
}

async fn send(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(other): Path<String>,
    CsrfForm(f): CsrfForm<MessageForm>,
) -> Response {
    let other = match parse_id(&other, "User") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    post_composer(&state, &ctx, &user, Target::Direct(other), &f).await
}
