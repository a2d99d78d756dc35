//! The forms on one message: edit (its author), delete (its author, or the room's owners and
//! moderators) and reactions (toggled). Each goes back to the conversation it was posted from.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use serde::Deserialize;
use vertechie_kernel::AppState;
use vertechie_web::{CsrfForm, SignedIn, redirect_with_flash};

use super::{back_to, is_form_error, parse_id};
use crate::service::chat;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages/m/{id}/edit", post(edit))
        .route("/messages/m/{id}/delete", post(delete))
        .route("/messages/m/{id}/react", post(react))
}

/// `back` with the message's anchor; the window (`before`, `after`, `at`) is kept, an open
/// editor or reply is not.
fn back_at(back: Option<&str>, message: uuid::Uuid) -> String {
    let back = back_to(back);
    let back = back.split('#').next().unwrap_or("/messages");
    let (path, query) = back.split_once('?').unwrap_or((back, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| {
            ["before=", "after=", "at="]
                .iter()
                .any(|k| p.starts_with(k))
        })
        .collect();
    if kept.is_empty() {
        format!("{path}#m-{message}")
    } else {
        format!("{path}?{}#m-{message}", kept.join("&"))
    }
}

#[derive(Deserialize, Default)]
struct EditForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    back: Option<String>,
}

async fn edit(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<EditForm>,
) -> Response {
    let id = match parse_id(&id, "Message") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    match chat::edit_message(&state, &user, id, f.body).await {
        Ok(m) => Redirect::to(&back_at(f.back.as_deref(), m.id)).into_response(),
        Err(err) if is_form_error(&err) => {
            // Back to the editor, with the reason on top.
            let back = back_to(f.back.as_deref());
            let path = back.split('?').next().unwrap_or("/messages");
            let message = match err.details.first() {
                Some(d) => format!("The message was not changed: it {}.", d.message),
                None => err.message.clone(),
            };
            redirect_with_flash(&format!("{path}?edit={id}#m-{id}"), "error", &message)
        }
        Err(err) => ctx.fail(err),
    }
}

#[derive(Deserialize, Default)]
struct BackForm {
    #[serde(default)]
    back: Option<String>,
}

async fn delete(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<BackForm>,
) -> Response {
    let id = match parse_id(&id, "Message") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let back = back_at(f.back.as_deref(), id);
    match chat::delete_message(&state, &user, id).await {
        Ok(_) => redirect_with_flash(&back, "success", "The message was deleted."),
        Err(err) if is_form_error(&err) => redirect_with_flash(&back, "error", &err.message),
        Err(err) => ctx.fail(err),
    }
}

#[derive(Deserialize, Default)]
struct ReactForm {
    #[serde(default)]
    emoji: String,
    #[serde(default)]
    back: Option<String>,
}

/// Adds the reader's reaction with this emoji, or takes it back when they already reacted so.
async fn react(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ReactForm>,
) -> Response {
    let id = match parse_id(&id, "Message") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let back = back_at(f.back.as_deref(), id);
    let current = match chat::get_message(&state, &user, id).await {
        Ok(m) => m,
        Err(e) => return ctx.fail(e),
    };
    let me = user.id.as_uuid();
    let emoji = f.emoji.trim().to_owned();
    let reacted = current
        .reactions
        .iter()
        .any(|r| r.emoji == emoji && r.user_ids.contains(&me));
    let res = if reacted {
        chat::remove_reaction(&state, &user, id, emoji).await
    } else {
        chat::add_reaction(&state, &user, id, emoji).await
    };
    match res {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(err) if is_form_error(&err) => redirect_with_flash(&back, "error", &err.message),
        Err(err) => ctx.fail(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_drops_the_query_and_anchors_the_message() {
        let id = uuid::Uuid::nil();
        assert_eq!(
            back_at(Some("/messages/rooms/r?edit=x"), id),
            format!("/messages/rooms/r#m-{id}")
        );
        assert_eq!(
            back_at(Some("/messages/rooms/r?before=b&reply_to=x#m-y"), id),
            format!("/messages/rooms/r?before=b#m-{id}")
        );
        assert_eq!(back_at(Some("https://x"), id), format!("/messages#m-{id}"));
    }
}
