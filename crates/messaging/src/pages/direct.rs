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
use super::rooms::{MessageForm, refused, show};
use super::{is_form_error, parse_id};
use crate::service::chat;

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
    match chat::send_direct(&state, &user, other, f.to_message()).await {
        Ok(m) => Redirect::to(&format!("/messages/direct/{other}#m-{}", m.id)).into_response(),
        // Yourself is a 422 too, but there is no conversation to show it in.
        Err(err) if is_form_error(&err) && other != user.id.as_uuid() => {
            refused(&state, &ctx, &user, Target::Direct(other), &f, err).await
        }
        Err(err) => ctx.fail(err),
    }
}
