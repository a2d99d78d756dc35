//! `/messages` (the sidebar and the most recent conversation), browsing and creating rooms, a
//! room's page, and the room forms: post, join, leave, mark read.

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;
use vertechie_accounts::service::profile;
use vertechie_kernel::{AppError, AppState, CurrentUser};
use vertechie_web::{CsrfForm, FieldErrors, PageCtx, SignedIn, redirect_with_flash, render};

use super::conversation::{self, Loaded, Target, ViewParams};
use super::sidebar::{Latest, Sidebar};
use super::{back_to, is_form_error, parse_id, query_value};
use crate::service::chat::{
    self, Invite, PostMessage, Posted, RoomCreate, RoomQuery, ScheduledView,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages", get(home))
        .route("/messages/rooms", get(browse))
        .route("/messages/rooms/new", get(new_form).post(create))
        .route("/messages/rooms/{id}", get(room))
        .route("/messages/rooms/{id}/messages", post(send))
        .route("/messages/rooms/{id}/join", post(join))
        .route("/messages/rooms/{id}/leave", post(leave))
        .route("/messages/rooms/{id}/read", post(mark_read))
        .route("/messages/rooms/{id}/members", post(add_member))
}

// ---- the messages home ----

#[derive(Template)]
#[template(path = "messages_home.html")]
struct HomePage<'a> {
    ctx: &'a PageCtx,
    side: Sidebar,
}

#[derive(Deserialize, Default)]
struct HomeParams {
    /// A notification's link: `/messages?room=<id>`.
    room: Option<String>,
    /// Only the list of conversations (what small screens show as "Conversations").
    list: Option<String>,
}

/// Opens the most recent conversation, or an empty state with ways to start one.
async fn home(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    params: Result<Query<HomeParams>, QueryRejection>,
) -> Response {
    let params = params.map(|Query(p)| p).unwrap_or_default();
    if let Some(room) = params
        .room
        .as_deref()
        .and_then(|r| Uuid::parse_str(r.trim()).ok())
    {
        return Redirect::to(&format!("/messages/rooms/{room}")).into_response();
    }
    let side = match Sidebar::load(&state, &user, None).await {
        Ok(s) => s,
        Err(e) => return ctx.fail(e),
    };
    let target = match side.latest.filter(|_| params.list.is_none()) {
        Some(Latest::Room(id)) => Target::Room(id),
        Some(Latest::Direct(id)) => Target::Direct(id),
        None => return render(StatusCode::OK, &HomePage { ctx: &ctx, side }),
    };
    show(&state, &ctx, &user, target, &ViewParams::default()).await
}

/// Renders the conversation `target` (or follows the redirect it asks for).
pub(super) async fn show(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    target: Target,
    params: &ViewParams,
) -> Response {
    match conversation::load(state, user, target, params).await {
        Ok(Loaded::Show(b)) => {
            let (side, c, composer) = *b;
            conversation::page(ctx, StatusCode::OK, side, c, composer)
        }
        Ok(Loaded::Redirect(to)) => Redirect::to(&to).into_response(),
        Err(e) => ctx.fail(e),
    }
}

/// Renders the conversation again with the composer's refused post and its errors.
pub(super) async fn refused(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    target: Target,
    f: &MessageForm,
    err: AppError,
) -> Response {
    let params = ViewParams::default();
    match conversation::load(state, user, target, &params).await {
        Ok(Loaded::Show(b)) => {
            let (side, c, mut composer) = *b;
            composer.body = f.body.clone();
            composer.send_at = f.send_at.clone();
            composer.errors = FieldErrors::from(&err);
            if let Some(r) = f.reply_to() {
                composer.reply = conversation::quote(state, user, r).await;
            }
            conversation::page(ctx, err.status, side, c, composer)
        }
        Ok(Loaded::Redirect(to)) => Redirect::to(&to).into_response(),
        Err(e) => ctx.fail(e),
    }
}

// ---- a room ----

async fn room(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    params: Result<Query<ViewParams>, QueryRejection>,
) -> Response {
    let id = match parse_id(&id, "Room") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let params = params.map(|Query(p)| p).unwrap_or_default();
    show(&state, &ctx, &user, Target::Room(id), &params).await
}

/// The composer's fields.
#[derive(Deserialize, Default)]
pub(super) struct MessageForm {
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub reply_to: String,
    /// "Send later": a `datetime-local` value (`2026-11-22T14:05`), the browser's local time.
    #[serde(default)]
    pub send_at: String,
    /// The browser's `Date.getTimezoneOffset()` for that time (minutes, UTC − local), filled
    /// by chat.js; without JavaScript it stays 0 and the time is read as UTC (the label says so).
    #[serde(default)]
    pub tz_offset: String,
    /// Where to go after posting (the thread page's reply form), inside `/messages`.
    #[serde(default)]
    pub back: Option<String>,
}

/// The widest offsets real time zones have (UTC−12 … UTC+14), in minutes.
const TZ_OFFSET_MAX: i64 = 14 * 60;

impl MessageForm {
    pub fn reply_to(&self) -> Option<Uuid> {
        Uuid::parse_str(self.reply_to.trim()).ok()
    }

    /// `send_at` in UTC: `None` when empty; a 422 on `send_at` when it is not a date and time.
    fn send_at(&self) -> Result<Option<DateTime<Utc>>, AppError> {
        let raw = self.send_at.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let local = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
            .map_err(|_| AppError::field("send_at", "must be a date and time"))?;
        // An offset out of range is not a browser's: read the time as UTC, as without JS.
        let offset = self
            .tz_offset
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|m| m.abs() <= TZ_OFFSET_MAX)
            .unwrap_or(0);
        Ok(Some((local + Duration::minutes(offset)).and_utc()))
    }

    /// The post: now, or later when `send_at` is filled in.
    pub fn to_post(&self) -> Result<PostMessage, AppError> {
        Ok(PostMessage {
            body: self.body.clone(),
            reply_to: self.reply_to(),
            send_at: self.send_at()?,
            ..PostMessage::default()
        })
    }

    /// Where a posted message is shown: `back` (the thread page) or the conversation.
    pub fn after_post(&self, conversation: &str, message: Uuid) -> String {
        match &self.back {
            Some(b) if !b.trim().is_empty() => {
                let back = back_to(Some(b.trim()));
                let back = back.split('#').next().unwrap_or("/messages");
                format!("{back}#m-{message}")
            }
            _ => format!("{conversation}#m-{message}"),
        }
    }
}

/// What the flash says when a message was scheduled.
pub(super) fn scheduled_flash(s: &ScheduledView) -> String {
    format!(
        "Your message will be sent on {} UTC. You can cancel it under Scheduled messages.",
        s.send_at.format("%-d %b %Y at %H:%M")
    )
}

/// Posts the composer's message to a room or a direct conversation and answers the form.
pub(super) async fn post_composer(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    target: Target,
    f: &MessageForm,
) -> Response {
    let conversation = match target {
        Target::Room(id) => format!("/messages/rooms/{id}"),
        Target::Direct(id) => format!("/messages/direct/{id}"),
    };
    let posted = match f.to_post() {
        Ok(m) => match target {
            Target::Room(id) => chat::post_message(state, user, id, m).await,
            Target::Direct(id) => chat::post_direct(state, user, id, m).await,
        },
        Err(e) => Err(e),
    };
    match posted {
        Ok(Posted::Now(m)) => Redirect::to(&f.after_post(&conversation, m.id)).into_response(),
        Ok(Posted::Later(s)) => redirect_with_flash(&conversation, "success", &scheduled_flash(&s)),
        // Yourself is a 422 too, but there is no conversation to show it in.
        Err(err)
            if is_form_error(&err)
                && !matches!(target, Target::Direct(to) if to == user.id.as_uuid()) =>
        {
            refused(state, ctx, user, target, f, err).await
        }
        Err(err) => ctx.fail(err),
    }
}

async fn send(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<MessageForm>,
) -> Response {
    let id = match parse_id(&id, "Room") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    post_composer(&state, &ctx, &user, Target::Room(id), &f).await
}

#[derive(Deserialize, Default)]
struct BackForm {
    #[serde(default)]
    back: Option<String>,
}

async fn join(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<BackForm>,
) -> Response {
    let id = match parse_id(&id, "Room") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    match chat::join_room(&state, &user, id).await {
        Ok(room) => redirect_with_flash(
            &format!("/messages/rooms/{id}"),
            "success",
            &format!("You joined {}.", room.name.unwrap_or_default()),
        ),
        Err(err) if is_form_error(&err) => {
            redirect_with_flash(&back_to(f.back.as_deref()), "error", &err.message)
        }
        Err(err) => ctx.fail(err),
    }
}

async fn leave(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(_f): CsrfForm<BackForm>,
) -> Response {
    let id = match parse_id(&id, "Room") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let name = match chat::get_room(&state, &user, id).await {
        Ok(r) => r.name.unwrap_or_default(),
        Err(e) => return ctx.fail(e),
    };
    match chat::leave_room(&state, &user, id).await {
        Ok(()) => redirect_with_flash("/messages", "success", &format!("You left {name}.")),
        Err(err) if is_form_error(&err) => {
            redirect_with_flash(&format!("/messages/rooms/{id}"), "error", &err.message)
        }
        Err(err) => ctx.fail(err),
    }
}

#[derive(Deserialize, Default)]
struct ReadForm {
    #[serde(default)]
    message_id: String,
    #[serde(default)]
    back: Option<String>,
}

async fn mark_read(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ReadForm>,
) -> Response {
    let id = match parse_id(&id, "Room") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let back = back_to(f.back.as_deref());
    let Ok(message) = Uuid::parse_str(f.message_id.trim()) else {
        return redirect_with_flash(&back, "error", "That message could not be found.");
    };
    match chat::mark_read(&state, &user, id, message).await {
        Ok(_) => redirect_with_flash(&back, "success", "Marked as read."),
        Err(err) if is_form_error(&err) => redirect_with_flash(&back, "error", &err.message),
        Err(err) => ctx.fail(err),
    }
}

#[derive(Deserialize, Default)]
struct MemberForm {
    #[serde(default)]
    username: String,
    /// The settings page posts here too and wants to come back to itself.
    #[serde(default)]
    back: Option<String>,
}

/// Adds someone to the room by username (owners and moderators).
async fn add_member(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<MemberForm>,
) -> Response {
    let id = match parse_id(&id, "Room") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let room_path = format!("/messages/rooms/{id}");
    let back = match f.back.as_deref() {
        Some(b) if b.starts_with(&room_path) => back_to(Some(b)),
        _ => room_path,
    };
    let username = f.username.trim().trim_start_matches('@').to_owned();
    let added = match profile::find_by_username(&state, &username).await {
        Ok(other) => {
            chat::invite(
                &state,
                &user,
                id,
                Invite {
                    user_id: other.as_uuid(),
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match added {
        Ok(m) => redirect_with_flash(
            &back,
            "success",
            &format!("{} is now a member.", m.user.display_name),
        ),
        // Either the room or the person is unknown: the room is checked by reading it again.
        Err(err) if err.status == StatusCode::NOT_FOUND => {
            match chat::get_room(&state, &user, id).await {
                Ok(_) if username.is_empty() => {
                    redirect_with_flash(&back, "error", "Enter the username of the person to add.")
                }
                Ok(_) => {
                    redirect_with_flash(&back, "error", &format!("Nobody is called @{username}."))
                }
                Err(e) => ctx.fail(e),
            }
        }
        Err(err) if is_form_error(&err) => redirect_with_flash(&back, "error", &err.message),
        Err(err) => ctx.fail(err),
    }
}

// ---- browsing and creating rooms ----

struct RoomRow {
    id: Uuid,
    name: String,
    topic: Option<String>,
    private: bool,
    members: u64,
    joined: bool,
    unread: u64,
}

#[derive(Template)]
#[template(path = "messages_rooms.html")]
struct BrowsePage<'a> {
    ctx: &'a PageCtx,
    side: Sidebar,
    q: String,
    rooms: Vec<RoomRow>,
    total: u64,
    page: u64,
    pages: u64,
    /// `?q=…&` for the pagination links.
    q_param: String,
}

#[derive(Deserialize, Default)]
struct BrowseParams {
    q: Option<String>,
    page: Option<String>,
}

/// Public rooms (and the private ones the user is in), searchable by name or topic.
async fn browse(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    params: Result<Query<BrowseParams>, QueryRejection>,
) -> Response {
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let q = p.q.unwrap_or_default().trim().to_owned();
    let page = p
        .page
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let found = match chat::list_rooms(
        &state,
        &user,
        RoomQuery {
            q: Some(q.clone()),
            mine: None,
            page: Some(page),
            limit: Some(20),
        },
    )
    .await
    {
        Ok(f) => f,
        Err(e) => return ctx.fail(e),
    };
    let side = match Sidebar::load(&state, &user, None).await {
        Ok(s) => s,
        Err(e) => return ctx.fail(e),
    };
    render(
        StatusCode::OK,
        &BrowsePage {
            ctx: &ctx,
            side,
            q_param: if q.is_empty() {
                String::new()
            } else {
                format!("q={}&", query_value(&q))
            },
            q,
            total: found.pagination.total,
            page: found.pagination.page,
            pages: found.pagination.pages,
            rooms: found
                .items
                .into_iter()
                .map(|r| RoomRow {
                    id: r.id,
                    private: r.kind == chat::PRIVATE,
                    name: r.name.unwrap_or_default(),
                    topic: r.topic,
                    members: r.member_count,
                    joined: r.my_role.is_some(),
                    unread: r.unread_count,
                })
                .collect(),
        },
    )
}

#[derive(Deserialize, Default)]
struct RoomForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    kind: String,
}

#[derive(Template)]
#[template(path = "messages_room_new.html")]
struct NewRoomPage<'a> {
    ctx: &'a PageCtx,
    side: Sidebar,
    f: RoomForm,
    errors: FieldErrors,
}

async fn new_form(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> Response {
    match Sidebar::load(&state, &user, None).await {
        Ok(side) => render(
            StatusCode::OK,
            &NewRoomPage {
                ctx: &ctx,
                side,
                f: RoomForm {
                    kind: chat::PUBLIC.to_owned(),
                    ..RoomForm::default()
                },
                errors: FieldErrors::default(),
            },
        ),
        Err(e) => ctx.fail(e),
    }
}

async fn create(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    CsrfForm(f): CsrfForm<RoomForm>,
) -> Response {
    let input = RoomCreate {
        name: f.name.clone(),
        topic: Some(f.topic.clone()).filter(|t| !t.trim().is_empty()),
        kind: Some(f.kind.clone()).filter(|k| !k.is_empty()),
    };
    match chat::create_room(&state, &user, input).await {
        Ok(room) => redirect_with_flash(
            &format!("/messages/rooms/{}", room.id),
            "success",
            &format!(
                "{} is created. {}",
                room.name.unwrap_or_default(),
                if room.kind == chat::PRIVATE {
                    "Only the people you add can see it."
                } else {
                    "Anyone can find and join it."
                }
            ),
        ),
        Err(err) if is_form_error(&err) => match Sidebar::load(&state, &user, None).await {
            Ok(side) => render(
                err.status,
                &NewRoomPage {
                    ctx: &ctx,
                    side,
                    errors: FieldErrors::from(&err),
                    f,
                },
            ),
            Err(e) => ctx.fail(e),
        },
        Err(err) => ctx.fail(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(send_at: &str, tz_offset: &str) -> MessageForm {
        MessageForm {
            send_at: send_at.to_owned(),
            tz_offset: tz_offset.to_owned(),
            ..MessageForm::default()
        }
    }

    #[test]
    fn send_later_reads_the_browsers_local_time() {
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(form(" ", "0").send_at().unwrap(), None);
        // UTC+2 (getTimezoneOffset -120): 14:05 local is 12:05 UTC.
        assert_eq!(
            form("2026-11-22T14:05", "-120").send_at().unwrap(),
            Some(utc("2026-11-22T12:05:00Z"))
        );
        // UTC−5 with seconds.
        assert_eq!(
            form("2026-11-22T14:05:30", "300").send_at().unwrap(),
            Some(utc("2026-11-22T19:05:30Z"))
        );
        // No (or a nonsense) offset: UTC, as the label says without JavaScript.
        for tz in ["", "x", "100000"] {
            assert_eq!(
                form("2026-11-22T14:05", tz).send_at().unwrap(),
                Some(utc("2026-11-22T14:05:00Z"))
            );
        }
        let err = form("tomorrow", "0").send_at().unwrap_err();
        assert_eq!(err.details[0].field, "send_at");
    }

    #[test]
    fn posts_from_a_thread_go_back_to_it() {
        let id = Uuid::nil();
        let mut f = MessageForm::default();
        assert_eq!(
            f.after_post("/messages/rooms/r", id),
            format!("/messages/rooms/r#m-{id}")
        );
        f.back = Some("/messages/messages/x/thread#m-y".to_owned());
        assert_eq!(
            f.after_post("/messages/rooms/r", id),
            format!("/messages/messages/x/thread#m-{id}")
        );
        f.back = Some("https://evil.example".to_owned());
        assert_eq!(
            f.after_post("/messages/rooms/r", id),
            format!("/messages#m-{id}")
        );
    }
}
