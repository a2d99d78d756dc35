//! Who may do what in a room, the checks on user input, and the bus events.

use sea_orm::sea_query::SelectStatement;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use serde_json::{Value, json};
use uuid::Uuid;
use vertechie_accounts::people::{self, PersonBrief};
use vertechie_kernel::bus::Event;
use vertechie_kernel::text::{has_control, is_unwanted_control};
use vertechie_kernel::{AppError, AppResult, AppState, FieldError};

use super::{
    BODY_MAX, DIRECT, NAME_MAX, PUBLIC, RoomRole, TOPIC_EVENT, TOPIC_MAX, TOPIC_MEMBERSHIP,
};
use crate::model::{chat_member as member, chat_message as message, chat_room as room};

/// A room and the user's membership of it.
pub(super) struct Access {
    pub room: room::Model,
    pub member: Option<member::Model>,
}

impl Access {
    pub fn role(&self) -> Option<RoomRole> {
        self.member.as_ref().and_then(|m| RoomRole::parse(&m.role))
    }

    pub fn manages(&self) -> bool {
        self.role().is_some_and(RoomRole::manages)
    }

    pub fn is_direct(&self) -> bool {
        self.room.kind == DIRECT
    }

    /// The membership, or 403 `NOT_A_MEMBER` (the room is visible, the user just is not in it).
    pub fn require_member(&self) -> AppResult<&member::Model> {
        self.member.as_ref().ok_or_else(not_a_member)
    }

    /// 403 unless the user owns or moderates the room.
    pub fn require_manager(&self) -> AppResult<RoomRole> {
        match self.role() {
            Some(r) if r.manages() => Ok(r),
            Some(_) => Err(AppError::forbidden(
                "FORBIDDEN_ROOM_ROLE",
                "Only the room's owners and moderators can do this",
            )),
            None => Err(not_a_member()),
        }
    }
}

pub(super) fn not_a_member() -> AppError {
    AppError::forbidden("NOT_A_MEMBER", "Join the room first")
}

pub(super) fn room_not_found() -> AppError {
    AppError::not_found("No such room")
}

pub(super) fn direct_room() -> AppError {
    AppError::conflict(
        "DIRECT_ROOM",
        "A direct conversation always has its two members and no name",
    )
}

pub(super) fn message_deleted() -> AppError {
    AppError::conflict("MESSAGE_DELETED", "This message was deleted")
}

pub(super) async fn membership<C: ConnectionTrait>(
    conn: &C,
    room_id: Uuid,
    user: Uuid,
) -> AppResult<Option<member::Model>> {
    Ok(member::Entity::find_by_id((room_id, user))
        .one(conn)
        .await?)
}

/// `SELECT room_id FROM chat_members WHERE user_id = user`, for `in_subquery`.
pub(super) fn rooms_of(user: Uuid) -> SelectStatement {
    member::Entity::find()
        .select_only()
        .column(member::Column::RoomId)
        .filter(member::Column::UserId.eq(user))
        .into_query()
}

/// The room if `user` may read it (a public room, or one they are a member of); 404 otherwise.
pub(super) async fn readable<C: ConnectionTrait>(
    conn: &C,
    room_id: Uuid,
    user: Uuid,
) -> AppResult<Access> {
    let room = room::Entity::find_by_id(room_id)
        .one(conn)
        .await?
        .ok_or_else(room_not_found)?;
    let member = membership(conn, room_id, user).await?;
    if member.is_none() && room.kind != PUBLIC {
        return Err(room_not_found());
    }
    Ok(Access { room, member })
}

/// The room if `user` is a member (404 when they may not even read it, 403 `NOT_A_MEMBER` for
/// a public room they did not join).
pub(super) async fn postable<C: ConnectionTrait>(
    conn: &C,
    room_id: Uuid,
    user: Uuid,
) -> AppResult<Access> {
    let access = readable(conn, room_id, user).await?;
    access.require_member()?;
    Ok(access)
}

/// The message and its room, if `user` may read the room; 404 otherwise.
pub(super) async fn readable_message<C: ConnectionTrait>(
    conn: &C,
    message_id: Uuid,
    user: Uuid,
) -> AppResult<(message::Model, Access)> {
    let msg = message::Entity::find_by_id(message_id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("No such message"))?;
    let access = readable(conn, msg.room_id, user).await.map_err(|e| {
        if e.code == "NOT_FOUND" {
            AppError::not_found("No such message")
        } else {
            e
        }
    })?;
    Ok((msg, access))
}

/// A live (not deleted) user, or 404.
pub(super) async fn live_user<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<PersonBrief> {
    people::live(conn, id).await
}

/// A user who may be messaged, invited or added: 404 when unknown or deleted, 403
/// `USER_INACTIVE` when deactivated.
pub(super) async fn reachable_user<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> AppResult<PersonBrief> {
    let person = people::live(conn, id).await?;
    person.require_active()?;
    Ok(person)
}

/// Users among `ids` that exist and are active (neither deleted nor deactivated).
pub(super) async fn active_users<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> AppResult<Vec<PersonBrief>> {
    Ok(people::briefs(conn, ids.iter().copied())
        .await?
        .into_values()
        .filter(|p| p.active)
        .collect())
}

// ---- input ----

/// The trimmed body, or a field error: 1–4000 characters.
pub(super) fn check_body(errors: &mut Vec<FieldError>, field: &str, body: &str) -> String {
    let body = body.trim();
    let n = body.chars().count();
    if n == 0 {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if n > BODY_MAX {
        errors.push(FieldError::new(
            field,
            format!("must be at most {BODY_MAX} characters"),
        ));
    } else if body.chars().any(is_unwanted_control) {
        errors.push(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    body.to_owned()
}

/// The trimmed name, or a field error: 1–80 characters.
pub(super) fn check_name(errors: &mut Vec<FieldError>, name: &str) -> String {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 {
        errors.push(FieldError::new("name", "must not be empty"));
    } else if n > NAME_MAX {
        errors.push(FieldError::new(
            "name",
            format!("must be at most {NAME_MAX} characters"),
        ));
    } else if has_control(name) {
        errors.push(FieldError::new("name", "must be one line of text"));
    }
    name.to_owned()
}

/// The trimmed topic (`None` when empty), or a field error: at most 250 characters.
pub(super) fn check_topic(errors: &mut Vec<FieldError>, topic: Option<&str>) -> Option<String> {
    let topic = topic.map(str::trim).filter(|t| !t.is_empty())?;
    if topic.chars().count() > TOPIC_MAX {
        errors.push(FieldError::new(
            "topic",
            format!("must be at most {TOPIC_MAX} characters"),
        ));
    } else if has_control(topic) {
        errors.push(FieldError::new("topic", "must be one line of text"));
    }
    Some(topic.to_owned())
}

/// The emoji, or 422: 1–32 characters without whitespace.
pub(super) fn check_emoji(emoji: &str) -> AppResult<String> {
    let n = emoji.chars().count();
    if n == 0 || n > super::EMOJI_MAX || emoji.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(AppError::field(
            "emoji",
            "must be 1–32 characters without spaces",
        ));
    }
    Ok(emoji.to_owned())
}

pub(super) fn fail_on(errors: Vec<FieldError>) -> AppResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

// ---- bus ----

/// Publishes a room frame (call after the commit).
pub(super) fn publish_frame(state: &AppState, room_id: Uuid, frame: Value) {
    state.bus.publish(Event::new(
        TOPIC_EVENT,
        json!({"room_id": room_id, "frame": frame}),
    ));
}

/// Publishes that `user_id` joined (`member`) or left a room (call after the commit).
pub(super) fn publish_membership(state: &AppState, room_id: Uuid, user_id: Uuid, member: bool) {
    state.bus.publish(Event::new(
        TOPIC_MEMBERSHIP,
        json!({"room_id": room_id, "user_id": user_id, "member": member}),
    ));
}
