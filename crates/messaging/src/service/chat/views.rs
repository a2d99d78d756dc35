//! Building the views from rows, in batches (one query per kind of data, not per message).
//! Attachment links are signed here, for whoever the view is built for: the callers have checked
//! that they may read the messages.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use uuid::Uuid;
use vertechie_accounts::people::{self, PersonBrief};
use vertechie_kernel::fts::SqlParams;
use vertechie_kernel::{AppResult, AppState};

use super::markdown;
use super::{AttachmentView, MemberView, MessageView, ReactionView, RoomView, UserRef};
use crate::model::{
    chat_member as member, chat_message as message, chat_reaction as reaction, chat_room as room,
};

/// How chat shows a user: as the accounts people API names them (the full name, else the
/// username; "Deleted user" once deleted).
pub(crate) fn user_ref(u: &PersonBrief) -> UserRef {
    UserRef {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
    }
}

/// The users with these ids (deleted ones too: their messages keep an author).
pub(super) async fn users<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, PersonBrief>> {
    people::briefs(conn, ids).await
}

pub(super) fn mentions_of(m: &message::Model) -> Vec<Uuid> {
    serde_json::from_str(&m.mentions).unwrap_or_default()
}

/// The reactions of each message, emojis in the order they were first used.
pub(super) async fn reactions<C: ConnectionTrait>(
    conn: &C,
    message_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<ReactionView>>> {
    let mut out: HashMap<Uuid, Vec<ReactionView>> = HashMap::new();
    if message_ids.is_empty() {
        return Ok(out);
    }
    let rows = reaction::Entity::find()
        .filter(reaction::Column::MessageId.is_in(message_ids.iter().copied()))
        .order_by_asc(reaction::Column::CreatedAt)
        .order_by_asc(reaction::Column::UserId)
        .all(conn)
        .await?;
    for r in rows {
        let list = out.entry(r.message_id).or_default();
        match list.iter_mut().find(|v| v.emoji == r.emoji) {
            Some(v) => {
                v.count += 1;
                v.user_ids.push(r.user_id);
            }
            None => list.push(ReactionView {
                emoji: r.emoji,
                count: 1,
                user_ids: vec![r.user_id],
            }),
        }
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct AttachedFile {
    message_id: Uuid,
    file_id: Uuid,
    name: String,
    content_type: String,
    size: i64,
}

/// The files attached to each of the messages (deleted ones have none), in their order, with
/// download links made now: one query for the whole page.
pub(super) async fn attachments<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    rows: &[message::Model],
) -> AppResult<HashMap<Uuid, Vec<AttachmentView>>> {
    let ids: Vec<Uuid> = rows
        .iter()
        .filter(|m| m.deleted_at.is_none())
        .map(|m| m.id)
        .collect();
    let mut out: HashMap<Uuid, Vec<AttachmentView>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut p = SqlParams::new(conn.get_database_backend());
    let list = in_list(&mut p, &ids);
    let sql = format!(
        "SELECT a.message_id AS message_id, f.id AS file_id, f.name AS name, \
                f.content_type AS content_type, f.size AS size \
         FROM chat_message_attachments a JOIN files f ON f.id = a.file_id \
         WHERE a.message_id IN ({list}) ORDER BY a.message_id, a.position"
    );
    let found =
        AttachedFile::find_by_statement(Statement::from_sql_and_values(p.backend, sql, p.values))
            .all(conn)
            .await?;
    for f in found {
        out.entry(f.message_id).or_default().push(AttachmentView {
            url: vertechie_kernel::files::link(state, f.file_id).url,
            id: f.file_id,
            name: f.name,
            content_type: f.content_type,
            size: f.size.max(0) as u64,
        });
    }
    Ok(out)
}

fn message_view(
    m: &message::Model,
    authors: &HashMap<Uuid, PersonBrief>,
    reactions: &mut HashMap<Uuid, Vec<ReactionView>>,
    attachments: &mut HashMap<Uuid, Vec<AttachmentView>>,
    replies: &HashMap<Uuid, u64>,
) -> MessageView {
    let deleted = m.deleted_at.is_some();
    MessageView {
        id: m.id,
        room_id: m.room_id,
        author: m.author_id.and_then(|a| authors.get(&a)).map(user_ref),
        body: if deleted {
            String::new()
        } else {
            m.body.clone()
        },
        body_html: if deleted {
            String::new()
        } else {
            markdown::render(&m.body)
        },
        reply_to: m.reply_to,
        mentions: if deleted { Vec::new() } else { mentions_of(m) },
        reactions: if deleted {
            Vec::new()
        } else {
            reactions.remove(&m.id).unwrap_or_default()
        },
        attachments: if deleted {
            Vec::new()
        } else {
            attachments.remove(&m.id).unwrap_or_default()
        },
        reply_count: replies.get(&m.id).copied().unwrap_or(0),
        is_edited: m.is_edited,
        edited_at: m.edited_at,
        deleted,
        created_at: m.created_at,
    }
}

/// Replies per message of `ids` (deleted ones included, as the thread lists them): one grouped
/// query on the `reply_to` index.
async fn reply_counts<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<HashMap<Uuid, u64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Option<Uuid>, i64)> = message::Entity::find()
        .select_only()
        .column(message::Column::ReplyTo)
        .column_as(Expr::expr(Func::count(Expr::col(message::Column::Id))), "n")
        .filter(message::Column::ReplyTo.is_in(ids.iter().copied()))
        .group_by(message::Column::ReplyTo)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(parent, n)| parent.map(|p| (p, u64::try_from(n).unwrap_or(0))))
        .collect())
}

/// The views of `rows`, in the same order.
pub(super) async fn messages<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    rows: &[message::Model],
) -> AppResult<Vec<MessageView>> {
    let authors = users(conn, rows.iter().filter_map(|m| m.author_id)).await?;
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let mut reactions = reactions(conn, &ids).await?;
    let mut attachments = attachments(state, conn, rows).await?;
    let replies = reply_counts(conn, &ids).await?;
    Ok(rows
        .iter()
        .map(|m| message_view(m, &authors, &mut reactions, &mut attachments, &replies))
        .collect())
}

pub(super) async fn message<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    row: &message::Model,
) -> AppResult<MessageView> {
    let authors = users(conn, row.author_id).await?;
    let mut reactions = reactions(conn, &[row.id]).await?;
    let mut attachments = attachments(state, conn, std::slice::from_ref(row)).await?;
    let replies = reply_counts(conn, &[row.id]).await?;
    Ok(message_view(
        row,
        &authors,
        &mut reactions,
        &mut attachments,
        &replies,
    ))
}

pub(super) fn member_view(m: &member::Model, u: &PersonBrief) -> MemberView {
    MemberView {
        user: user_ref(u),
        role: m.role.clone(),
        joined_at: m.joined_at,
        last_read_message_id: m.last_read_message_id,
        last_read_at: m.last_read_at,
    }
}

#[derive(Debug, FromQueryResult)]
struct RoomCount {
    room_id: Uuid,
    n: i64,
}

fn in_list(p: &mut SqlParams, ids: &[Uuid]) -> String {
    ids.iter()
        .map(|id| p.push(*id))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn room_counts<C: ConnectionTrait>(
    conn: &C,
    sql: String,
    p: SqlParams,
) -> AppResult<HashMap<Uuid, u64>> {
    let rows =
        RoomCount::find_by_statement(Statement::from_sql_and_values(p.backend, sql, p.values))
            .all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.room_id, r.n.max(0) as u64))
        .collect())
}

/// Members per room.
pub(super) async fn member_counts<C: ConnectionTrait>(
    conn: &C,
    room_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, u64>> {
    if room_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut p = SqlParams::new(conn.get_database_backend());
    let list = in_list(&mut p, room_ids);
    let sql = format!(
        "SELECT room_id, COUNT(*) AS n FROM chat_members WHERE room_id IN ({list}) GROUP BY room_id"
    );
    room_counts(conn, sql, p).await
}

/// Unread messages of `user` per room: newer than their read marker, not theirs, not deleted.
/// Rooms they are not a member of have none.
pub(super) async fn unread_counts<C: ConnectionTrait>(
    conn: &C,
    user: Uuid,
    room_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, u64>> {
    if room_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut p = SqlParams::new(conn.get_database_backend());
    // Pushed in the order the placeholders appear: SQLite's `?` are positional.
    let me = p.push(user);
    let list = in_list(&mut p, room_ids);
    let me_again = p.push(user);
    let sql = format!(
        "SELECT m.room_id AS room_id, COUNT(*) AS n FROM chat_messages m \
         JOIN chat_members cm ON cm.room_id = m.room_id AND cm.user_id = {me} \
         WHERE m.room_id IN ({list}) AND m.deleted_at IS NULL \
           AND (m.author_id IS NULL OR m.author_id <> {me_again}) \
           AND (cm.last_read_message_id IS NULL OR m.id > cm.last_read_message_id) \
         GROUP BY m.room_id"
    );
    room_counts(conn, sql, p).await
}

/// The newest message of the room that is not deleted.
pub(super) async fn last_message<C: ConnectionTrait>(
    conn: &C,
    room_id: Uuid,
) -> AppResult<Option<message::Model>> {
    Ok(message::Entity::find()
        .filter(message::Column::RoomId.eq(room_id))
        .filter(message::Column::DeletedAt.is_null())
        .order_by_desc(message::Column::Id)
        .one(conn)
        .await?)
}

/// The newest live message of each room, as views.
pub(super) async fn last_messages<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    room_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, MessageView>> {
    let mut rows = Vec::new();
    for id in room_ids {
        if let Some(m) = last_message(conn, *id).await? {
            rows.push(m);
        }
    }
    Ok(messages(state, conn, &rows)
        .await?
        .into_iter()
        .map(|v| (v.room_id, v))
        .collect())
}

/// The rooms as `user` sees them, in the same order.
pub(super) async fn rooms<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    user: Uuid,
    rows: &[room::Model],
) -> AppResult<Vec<RoomView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let counts = member_counts(conn, &ids).await?;
    let unread = unread_counts(conn, user, &ids).await?;
    let mut last = last_messages(state, conn, &ids).await?;
    let roles: HashMap<Uuid, String> = member::Entity::find()
        .filter(member::Column::UserId.eq(user))
        .filter(member::Column::RoomId.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.room_id, m.role))
        .collect();
    Ok(rows
        .iter()
        .map(|r| RoomView {
            id: r.id,
            kind: r.kind.clone(),
            name: r.name.clone(),
            topic: r.topic.clone(),
            object_type: r.object_type.clone(),
            object_id: r.object_id,
            member_count: counts.get(&r.id).copied().unwrap_or(0),
            my_role: roles.get(&r.id).cloned(),
            unread_count: unread.get(&r.id).copied().unwrap_or(0),
            last_message: last.remove(&r.id),
            created_at: r.created_at,
        })
        .collect())
}

pub(super) async fn room<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    user: Uuid,
    row: &room::Model,
) -> AppResult<RoomView> {
    let mut views = rooms(state, conn, user, std::slice::from_ref(row)).await?;
    views
        .pop()
        .ok_or_else(|| vertechie_kernel::AppError::not_found("No such room"))
}
