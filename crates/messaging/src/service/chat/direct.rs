//! Direct conversations: one room of kind `direct` per pair of users, made on the first
//! message (race-safe through the unique `direct_key`), listed with the other user, the last
//! message, the unread count and the other side's read marker.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TryInsertResult};
use uuid::Uuid;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, Page, PageQuery};

use super::access::{fail_on, live_user, publish_membership, reachable_user, rooms_of};
use super::messages::{announce_new, check_attachments, check_new_body, insert, me_ref, page};
use super::rooms::recent_page;
use super::{
    ConversationView, DIRECT, DirectView, MessagePage, MessageQuery, MessageView, NewMessage,
    RoomRole, UserRef, views,
};
use crate::model::{chat_member as member, chat_room as room};

/// `"<smaller uuid>:<larger uuid>"`.
pub(super) fn direct_key(a: Uuid, b: Uuid) -> String {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    format!("{lo}:{hi}")
}

/// 422 when a user addresses themselves.
pub(super) fn not_yourself(me: Uuid, other: Uuid) -> AppResult<()> {
    if me == other {
        return Err(AppError::field(
            "user_id",
            "you cannot send direct messages to yourself",
        ));
    }
    Ok(())
}

/// The direct room of the two users, if they have one.
pub(super) async fn find_direct<C: ConnectionTrait>(
    conn: &C,
    a: Uuid,
    b: Uuid,
) -> AppResult<Option<room::Model>> {
    Ok(room::Entity::find()
        .filter(room::Column::DirectKey.eq(direct_key(a, b)))
        .one(conn)
        .await?)
}

/// The direct room of the two users, made (with both as members) when missing. Returns the
/// room and whether this call made it. Two first messages at once: the unique `direct_key` lets
/// one insert win; the other inserts nothing and reads the winner's room.
pub(super) async fn ensure_direct<C: ConnectionTrait>(
    state: &AppState,
    txn: &C,
    a: Uuid,
    b: Uuid,
) -> AppResult<(room::Model, bool)> {
    if let Some(room) = find_direct(txn, a, b).await? {
        return Ok((room, false));
    }
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let res = room::Entity::insert(room::ActiveModel {
        id: Set(id),
        kind: Set(DIRECT.to_owned()),
        name: Set(None),
        topic: Set(None),
        created_by: Set(Some(a)),
        direct_key: Set(Some(direct_key(a, b))),
        object_type: Set(None),
        object_id: Set(None),
        last_message_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict_do_nothing_on([room::Column::DirectKey])
    .exec_without_returning(txn)
    .await?;
    let created = matches!(res, TryInsertResult::Inserted(n) if n > 0);
    if created {
        for user in [a, b] {
            member::Entity::insert(member::ActiveModel {
                room_id: Set(id),
                user_id: Set(user),
                role: Set(RoomRole::Member.as_str().to_owned()),
                joined_at: Set(now),
                last_read_message_id: Set(None),
                last_read_at: Set(None),
            })
            .exec_without_returning(txn)
            .await?;
        }
    }
    let room = find_direct(txn, a, b)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("direct room vanished")))?;
    Ok((room, created))
}

/// Publishes both members of a direct room that was just made (after the commit).
pub(super) fn announce_direct_room(state: &AppState, room: &room::Model) {
    for m in room
        .direct_key
        .as_deref()
        .unwrap_or_default()
        .split(':')
        .filter_map(|s| s.parse::<Uuid>().ok())
    {
        publish_membership(state, room.id, m, true);
    }
}

/// Sends a direct message to `to`, making the conversation on first contact. Unknown or
/// deleted users are 404, deactivated ones 403 `USER_INACTIVE`; yourself is 422.
pub async fn send_direct(
    state: &AppState,
    me: &CurrentUser,
    to: Uuid,
    m: NewMessage,
) -> AppResult<MessageView> {
    let uid = me.id.as_uuid();
    not_yourself(uid, to)?;
    let mut errors = Vec::new();
    let body = check_new_body(&mut errors, &m.body, !m.attachments.is_empty());
    let txn = begin_write(&state.db).await?;
    reachable_user(&txn, to).await?;
    check_attachments(&txn, &mut errors, uid, &m.attachments).await?;
    fail_on(errors)?;
    let (room, created) = ensure_direct(state, &txn, uid, to).await?;
    let row = insert(
        state,
        &txn,
        &room,
        &me_ref(me),
        body,
        m.reply_to,
        &m.attachments,
    )
    .await?;
    txn.commit().await?;
    if created {
        announce_direct_room(state, &room);
    }
    let view = views::message(state, &state.db, &row).await?;
    announce_new(state, &room, &view);
    Ok(view)
}

/// The conversations of `me` as views, in the order of `rooms`.
async fn conversation_views<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    me: Uuid,
    rooms: &[room::Model],
) -> AppResult<Vec<ConversationView>> {
    let ids: Vec<Uuid> = rooms.iter().map(|r| r.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let others: HashMap<Uuid, member::Model> = member::Entity::find()
        .filter(member::Column::RoomId.is_in(ids.iter().copied()))
        .filter(member::Column::UserId.ne(me))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.room_id, m))
        .collect();
    let users = views::users(conn, others.values().map(|m| m.user_id)).await?;
    let unread = views::unread_counts(conn, me, &ids).await?;
    let mut last = views::last_messages(state, conn, &ids).await?;
    Ok(rooms
        .iter()
        .filter_map(|r| {
            let other = others.get(&r.id)?;
            let user = users.get(&other.user_id)?;
            Some(ConversationView {
                room_id: r.id,
                other_user: views::user_ref(user),
                last_message: last.remove(&r.id),
                unread_count: unread.get(&r.id).copied().unwrap_or(0),
                other_last_read_message_id: other.last_read_message_id,
                other_last_read_at: other.last_read_at,
                last_activity_at: r.last_message_at.unwrap_or(r.created_at),
            })
        })
        .collect())
}

/// The user's direct conversations, most recently active first.
pub async fn conversations(
    state: &AppState,
    me: &CurrentUser,
    page: PageQuery,
) -> AppResult<Page<ConversationView>> {
    let uid = me.id.as_uuid();
    let find = room::Entity::find()
        .filter(room::Column::Kind.eq(DIRECT))
        .filter(room::Column::Id.in_subquery(rooms_of(uid)));
    let (rows, total) = recent_page(&state.db, find, &page).await?;
    Ok(Page::new(
        conversation_views(state, &state.db, uid, &rows).await?,
        total,
        &page,
    ))
}

/// The conversation with `other` (`null` before the first message) and a page of its messages.
pub async fn direct_view(
    state: &AppState,
    me: &CurrentUser,
    other: Uuid,
    q: MessageQuery,
) -> AppResult<DirectView> {
    let uid = me.id.as_uuid();
    not_yourself(uid, other)?;
    let user: UserRef = views::user_ref(&live_user(&state.db, other).await?);
    let Some(room) = find_direct(&state.db, uid, other).await? else {
        return Ok(DirectView {
            user,
            conversation: None,
            messages: MessagePage {
                items: Vec::new(),
                next_before: None,
                next_after: None,
            },
        });
    };
    let conversation = conversation_views(state, &state.db, uid, std::slice::from_ref(&room))
        .await?
        .pop();
    Ok(DirectView {
        user,
        conversation,
        messages: page(state, &state.db, room.id, q).await?,
    })
}
