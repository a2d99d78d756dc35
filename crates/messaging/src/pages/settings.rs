//! A room's settings: `/messages/rooms/{id}/settings` — the name and topic (owners and
//! moderators), the members with their roles, role changes (owners), removal (owners and
//! moderators; only an owner removes an owner) and adding people by username. Anyone who may
//! read the room sees the page; the forms show for those allowed to use them, and a refused post
//! is explained on the page (private rooms stay a 404 for outsiders).

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, PageQuery};
use vertechie_web::{CsrfForm, FieldErrors, PageCtx, SignedIn, redirect_with_flash, render};

use super::sidebar::Sidebar;
use super::{is_form_error, parse_id};
use crate::service::chat::{self, RoleChange, RoomRole, RoomUpdate, RoomView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages/rooms/{id}/settings", get(settings).post(update))
        .route(
            "/messages/rooms/{id}/members/{user_id}/role",
            post(change_role),
        )
        .route(
            "/messages/rooms/{id}/members/{user_id}/remove",
            post(remove),
        )
}

/// Members listed per page.
const MEMBERS_PER_PAGE: u64 = 50;

struct MemberRow {
    id: Uuid,
    name: String,
    username: String,
    role: String,
    me: bool,
    /// The reader may remove this member.
    removable: bool,
}

#[derive(Template)]
#[template(path = "messages_room_settings.html")]
struct SettingsPage<'a> {
    ctx: &'a PageCtx,
    side: Sidebar,
    room_id: Uuid,
    title: String,
    private: bool,
    /// The reader's role ("" when not a member).
    role: String,
    manages: bool,
    owner: bool,
    /// The rename form's values and errors (not `name`: the form macros have a parameter so
    /// called, which would shadow it).
    f_name: String,
    f_topic: String,
    errors: FieldErrors,
    members: Vec<MemberRow>,
    member_count: u64,
    page: u64,
    pages: u64,
    roles: [&'static str; 3],
}

#[derive(Deserialize, Default)]
struct SettingsParams {
    page: Option<String>,
}

/// A room that has settings: readable by `me` and not a direct conversation (those have
/// none, so they are a 404 here).
async fn group_room(state: &AppState, me: &CurrentUser, id: Uuid) -> AppResult<RoomView> {
    let room = chat::get_room(state, me, id).await?;
    if room.kind == chat::DIRECT {
        return Err(AppError::not_found("Room not found"));
    }
    Ok(room)
}

/// Renders the page for `room` (with the rename form's values and errors).
async fn page(
    state: &AppState,
    ctx: &PageCtx,
    me: &CurrentUser,
    room: RoomView,
    form: Option<(RoomForm, AppError)>,
    page: u64,
) -> Response {
    let members = match chat::list_members(
        state,
        me,
        room.id,
        PageQuery {
            page: Some(page),
            limit: Some(MEMBERS_PER_PAGE),
        },
    )
    .await
    {
        Ok(m) => m,
        Err(e) => return ctx.fail(e),
    };
    let side = match Sidebar::load(state, me, Some(room.id)).await {
        Ok(s) => s,
        Err(e) => return ctx.fail(e),
    };
    let uid = me.id.as_uuid();
    let role = room.my_role.as_deref().and_then(RoomRole::parse);
    let manages = role.is_some_and(RoomRole::manages);
    let owner = role == Some(RoomRole::Owner);
    let (status, f_name, f_topic, errors) = match form {
        Some((f, err)) => (err.status, f.name, f.topic, FieldErrors::from(&err)),
        None => (
            StatusCode::OK,
            room.name.clone().unwrap_or_default(),
            room.topic.clone().unwrap_or_default(),
            FieldErrors::default(),
        ),
    };
    render(
        status,
        &SettingsPage {
            ctx,
            side,
            room_id: room.id,
            title: room.name.clone().unwrap_or_default(),
            private: room.kind == chat::PRIVATE,
            role: room.my_role.clone().unwrap_or_default(),
            manages,
            owner,
            f_name,
            f_topic,
            errors,
            member_count: members.pagination.total,
            page: members.pagination.page,
            pages: members.pagination.pages,
            members: members
                .items
                .into_iter()
                .map(|m| MemberRow {
                    me: m.user.id == uid,
                    removable: m.user.id != uid
                        && manages
                        && (owner || m.role != RoomRole::Owner.as_str()),
                    id: m.user.id,
                    name: m.user.display_name,
                    username: m.user.username,
                    role: m.role,
                })
                .collect(),
            roles: [
                RoomRole::Owner.as_str(),
                RoomRole::Moderator.as_str(),
                RoomRole::Member.as_str(),
            ],
        },
    )
}

async fn settings(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    params: Result<Query<SettingsParams>, QueryRejection>,
) -> Response {
    let id = match parse_id(&id, "Room") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let n = p
        .page
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    match group_room(&state, &user, id).await {
        Ok(room) => page(&state, &ctx, &user, room, None, n).await,
        Err(e) => ctx.fail(e),
    }
}

#[derive(Deserialize, Default)]
struct RoomForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    topic: String,
}

/// Renames the room and sets its topic (an empty topic clears it).
async fn update(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<RoomForm>,
) -> Response {
    let id = match parse_id(&id, "Room") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    if let Err(e) = group_room(&state, &user, id).await {
        return ctx.fail(e);
    }
    let input = RoomUpdate {
        name: Some(f.name.clone()),
        topic: Some(f.topic.clone())
            .filter(|t| !t.trim().is_empty())
            .into(),
    };
    match chat::update_room(&state, &user, id, input).await {
        Ok(room) => redirect_with_flash(
            &format!("/messages/rooms/{id}/settings"),
            "success",
            &format!(
                "Saved. The room is now called {}.",
                room.name.unwrap_or_default()
            ),
        ),
        // 422 (the fields) and 403 (not an owner or moderator) are shown with what was typed.
        Err(err) if is_form_error(&err) => match group_room(&state, &user, id).await {
            Ok(room) => page(&state, &ctx, &user, room, Some((f, err)), 1).await,
            Err(e) => ctx.fail(e),
        },
        Err(err) => ctx.fail(err),
    }
}

#[derive(Deserialize, Default)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

/// Parses the room and member ids of a member form.
fn ids(room: &str, user: &str) -> AppResult<(Uuid, Uuid)> {
    Ok((parse_id(room, "Room")?, parse_id(user, "Member")?))
}

async fn change_role(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((room, member)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<RoleForm>,
) -> Response {
    let (room, member) = match ids(&room, &member) {
        Ok(ids) => ids,
        Err(e) => return ctx.fail(e),
    };
    let back = format!("/messages/rooms/{room}/settings");
    match chat::set_role(
        &state,
        &user,
        room,
        member,
        RoleChange {
            role: f.role.clone(),
        },
    )
    .await
    {
        Ok(m) => redirect_with_flash(
            &back,
            "success",
            &format!("{} is now {}.", m.user.display_name, with_article(&m.role)),
        ),
        Err(err) if is_form_error(&err) => redirect_with_flash(&back, "error", &refusal(&err)),
        Err(err) => ctx.fail(err),
    }
}

async fn remove(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((room, member)): Path<(String, String)>,
    CsrfForm(_f): CsrfForm<NoFields>,
) -> Response {
    let (room, member) = match ids(&room, &member) {
        Ok(ids) => ids,
        Err(e) => return ctx.fail(e),
    };
    let back = format!("/messages/rooms/{room}/settings");
    // Removing yourself is leaving (the room's Leave button); here it is refused so that a
    // stray form never takes the reader out of the room.
    if member == user.id.as_uuid() {
        return match group_room(&state, &user, room).await {
            Ok(_) => redirect_with_flash(
                &back,
                "error",
                "To leave the room, use Leave on the room's page.",
            ),
            Err(e) => ctx.fail(e),
        };
    }
    let name = match chat::list_members(
        &state,
        &user,
        room,
        PageQuery {
            page: None,
            limit: Some(100),
        },
    )
    .await
    {
        Ok(p) => p
            .items
            .into_iter()
            .find(|m| m.user.id == member)
            .map(|m| m.user.display_name),
        Err(e) => return ctx.fail(e),
    };
    match chat::remove_member(&state, &user, room, member).await {
        Ok(()) => redirect_with_flash(
            &back,
            "success",
            &format!(
                "{} was removed from the room.",
                name.as_deref().unwrap_or("The member")
            ),
        ),
        // An unknown member of a room the reader sees: say so rather than a 404 page.
        Err(err) if err.status == StatusCode::NOT_FOUND && name.is_none() => {
            match group_room(&state, &user, room).await {
                Ok(_) => redirect_with_flash(&back, "error", "That person is not a member."),
                Err(e) => ctx.fail(e),
            }
        }
        Err(err) if is_form_error(&err) => redirect_with_flash(&back, "error", &refusal(&err)),
        Err(err) => ctx.fail(err),
    }
}

/// A form with only its CSRF token.
#[derive(Deserialize, Default)]
struct NoFields {}

/// "an owner", "a moderator", "a member".
fn with_article(role: &str) -> String {
    if role == RoomRole::Owner.as_str() {
        "an owner".to_owned()
    } else {
        format!("a {role}")
    }
}

/// A refusal as a sentence (a field error names its field's rule).
fn refusal(err: &AppError) -> String {
    match err.details.first() {
        Some(d) if d.field == "role" => format!("The role {}.", d.message),
        _ => err.message.clone(),
    }
}
