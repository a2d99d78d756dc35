//! One message on its own: `/messages/messages/{id}/edits` (its versions, newest first) and
//! `/messages/messages/{id}/thread` (the message, its replies oldest first, and a reply form
//! for members). Both are the 404 page for people who may not read the message.

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, PageQuery};
use vertechie_web::{PageCtx, SignedIn, render};

use super::sidebar::Sidebar;
use super::{parse_id, when};
use crate::service::chat::{self, MessageView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages/messages/{id}/edits", get(edits))
        .route("/messages/messages/{id}/thread", get(thread))
}

const REPLIES_PER_PAGE: u64 = 50;

/// Where a message was posted, as these pages name and link it.
struct Place {
    room_id: Uuid,
    /// "#General" or the other person's name.
    title: String,
    /// The conversation's path.
    path: String,
    /// Where its composer posts.
    post_action: String,
    member: bool,
}

async fn place(state: &AppState, me: &CurrentUser, room_id: Uuid) -> AppResult<Place> {
    let room = chat::get_room(state, me, room_id).await?;
    if room.kind == chat::DIRECT {
        let members = chat::list_members(
            state,
            me,
            room_id,
            PageQuery {
                page: None,
                limit: Some(2),
            },
        )
        .await?;
        let other = members
            .items
            .into_iter()
            .find(|m| m.user.id != me.id.as_uuid())
            .ok_or_else(|| AppError::not_found("conversation not found"))?;
        return Ok(Place {
            room_id,
            title: other.user.display_name,
            path: format!("/messages/direct/{}", other.user.id),
            post_action: format!("/messages/direct/{}/messages", other.user.id),
            member: room.my_role.is_some(),
        });
    }
    Ok(Place {
        room_id,
        title: format!("#{}", room.name.unwrap_or_default()),
        path: format!("/messages/rooms/{room_id}"),
        post_action: format!("/messages/rooms/{room_id}/messages"),
        member: room.my_role.is_some(),
    })
}

/// One message as these pages show it.
struct Shown {
    id: Uuid,
    author: String,
    author_username: String,
    time: String,
    iso: String,
    body_html: String,
    deleted: bool,
    edited: bool,
    files: usize,
}

fn shown(m: MessageView, now: chrono::DateTime<chrono::Utc>) -> Shown {
    Shown {
        id: m.id,
        author: m
            .author
            .as_ref()
            .map(|a| a.display_name.clone())
            .unwrap_or_else(|| "Deleted user".to_owned()),
        author_username: m.author.map(|a| a.username).unwrap_or_default(),
        time: when(m.created_at, now),
        iso: m.created_at.to_rfc3339(),
        body_html: m.body_html,
        deleted: m.deleted,
        edited: m.is_edited,
        files: m.attachments.len(),
    }
}

/// One version of a message.
struct Version {
    body_html: String,
    /// "Current version, since" or "Before the edit of" (followed by the time).
    label: &'static str,
    time: String,
    iso: String,
}

#[derive(Template)]
#[template(path = "messages_edits.html")]
struct EditsPage<'a> {
    ctx: &'a PageCtx,
    side: Sidebar,
    place: Place,
    msg: Shown,
    versions: Vec<Version>,
}

/// The versions of a message, newest first: the current body, then each earlier one.
async fn edits(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&id, "Message") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let m = match chat::get_message(&state, &user, id).await {
        Ok(m) => m,
        Err(e) => return ctx.fail(e),
    };
    let history = match chat::edits(&state, &user, id).await {
        Ok(h) => h,
        Err(e) => return ctx.fail(e),
    };
    let (place, side) = match load_place(&state, &user, m.room_id).await {
        Ok(p) => p,
        Err(e) => return ctx.fail(e),
    };
    let now = state.clock.now();
    let mut versions = Vec::with_capacity(history.len() + 1);
    if !m.deleted {
        let since = m.edited_at.unwrap_or(m.created_at);
        versions.push(Version {
            body_html: m.body_html.clone(),
            label: "Current version, since",
            time: when(since, now),
            iso: since.to_rfc3339(),
        });
    }
    // `edits` is oldest first; each row is the body an edit replaced, at that edit's time.
    for e in history.into_iter().rev() {
        versions.push(Version {
            body_html: e.previous_body_html,
            label: "Before the edit of",
            time: when(e.edited_at, now),
            iso: e.edited_at.to_rfc3339(),
        });
    }
    render(
        StatusCode::OK,
        &EditsPage {
            ctx: &ctx,
            side,
            place,
            msg: shown(m, now),
            versions,
        },
    )
}

async fn load_place(
    state: &AppState,
    me: &CurrentUser,
    room_id: Uuid,
) -> AppResult<(Place, Sidebar)> {
    let place = place(state, me, room_id).await?;
    let side = Sidebar::load(state, me, Some(place.room_id)).await?;
    Ok((place, side))
}

#[derive(Template)]
#[template(path = "messages_thread.html")]
struct ThreadPage<'a> {
    ctx: &'a PageCtx,
    side: Sidebar,
    place: Place,
    msg: Shown,
    replies: Vec<Shown>,
    total: u64,
    page: u64,
    pages: u64,
    /// This page's path, where the reply form comes back to.
    here: String,
}

#[derive(Deserialize, Default)]
struct ThreadParams {
    page: Option<String>,
}

/// A message and its replies, with a reply form for members.
async fn thread(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    params: Result<Query<ThreadParams>, QueryRejection>,
) -> Response {
    let id = match parse_id(&id, "Message") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let page = params
        .ok()
        .and_then(|Query(p)| p.page)
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let m = match chat::get_message(&state, &user, id).await {
        Ok(m) => m,
        Err(e) => return ctx.fail(e),
    };
    let replies = match chat::replies(
        &state,
        &user,
        id,
        PageQuery {
            page: Some(page),
            limit: Some(REPLIES_PER_PAGE),
        },
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return ctx.fail(e),
    };
    let (place, side) = match load_place(&state, &user, m.room_id).await {
        Ok(p) => p,
        Err(e) => return ctx.fail(e),
    };
    let now = state.clock.now();
    render(
        StatusCode::OK,
        &ThreadPage {
            ctx: &ctx,
            side,
            place,
            msg: shown(m, now),
            total: replies.pagination.total,
            page: replies.pagination.page,
            pages: replies.pagination.pages,
            replies: replies.items.into_iter().map(|r| shown(r, now)).collect(),
            here: format!("/messages/messages/{id}/thread"),
        },
    )
}
