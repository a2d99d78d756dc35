//! Messages: posting (with replies, mentions and attachments), the cursor-paginated list,
//! editing with history, deleting (tombstones), reactions, read markers and search.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TryInsertResult,
};
use serde_json::json;
use uuid::Uuid;
use vertechie_accounts::people;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::fts::fts_terms;
use vertechie_kernel::notify::{Notice, notify};
use vertechie_kernel::{
    AppError, AppResult, AppState, CurrentUser, FieldError, Page, PageQuery, UserId,
};

use super::access::{
    Access, check_body, check_emoji, fail_on, message_deleted, postable, publish_frame, readable,
    readable_message,
};
use super::{
    ATTACHMENTS_MAX, DIRECT, EditView, KIND_MENTION, MESSAGES_DEFAULT_LIMIT, MESSAGES_MAX_LIMIT,
    MessagePage, MessageQuery, MessageView, NewMessage, ReadReceipt, SearchHit, SearchQuery,
    UserRef, markdown, search, views,
};
use crate::model::{
    chat_member as member, chat_message as message, chat_message_attachment as attachment,
    chat_message_edit as edit, chat_reaction as reaction, chat_room as room,
};

/// At most this many users are notified of one message's mentions.
const MENTIONS_MAX: usize = 50;
/// Characters of the message quoted in a mention's notification.
const EXCERPT_CHARS: usize = 200;

pub(super) fn me_ref(me: &CurrentUser) -> UserRef {
    UserRef {
        id: me.id.as_uuid(),
        username: me.username.clone(),
        display_name: me.display_name.clone(),
    }
}

fn username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// The distinct `@username`s of a body (the accounts username charset, lower-cased). An `@`
/// inside a word (an email address) is not a mention.
pub(super) fn mentioned_usernames(body: &str) -> Vec<String> {
    let chars: Vec<char> = body.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() && out.len() < MENTIONS_MAX {
        if chars[i] == '@' && (i == 0 || !username_char(chars[i - 1])) {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && username_char(chars[end]) {
                end += 1;
            }
            let name: String = chars[start..end].iter().collect::<String>().to_lowercase();
            if (3..=30).contains(&name.len()) && !out.contains(&name) {
                out.push(name);
            }
            i = end.max(start);
        } else {
            i += 1;
        }
    }
    out
}

/// The room members mentioned in `body`, in the order they are first mentioned.
async fn resolve_mentions<C: ConnectionTrait>(
    conn: &C,
    room_id: Uuid,
    body: &str,
) -> AppResult<Vec<Uuid>> {
    let names = mentioned_usernames(body);
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let named = people::find_by_usernames(conn, &names).await?;
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let members: Vec<Uuid> = member::Entity::find()
        .select_only()
        .column(member::Column::UserId)
        .filter(member::Column::RoomId.eq(room_id))
        .filter(member::Column::UserId.is_in(named.iter().map(|p| p.id)))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(names
        .iter()
        .filter_map(|n| named.iter().find(|p| &p.username == n).map(|p| p.id))
        .filter(|id| members.contains(id))
        .collect())
}

/// Queues a `chat.mention` notice for each of `users` but the author, in the transaction.
async fn notify_mentions<C: ConnectionTrait>(
    state: &AppState,
    txn: &C,
    room: &room::Model,
    author: &UserRef,
    body: &str,
    users: &[Uuid],
) -> AppResult<()> {
    let place = match &room.name {
        Some(name) if room.kind != DIRECT => format!(" in {name}"),
        _ => " in a direct message".to_owned(),
    };
    let mut excerpt: String = body.chars().take(EXCERPT_CHARS).collect();
    if body.chars().count() > EXCERPT_CHARS {
        excerpt.push('…');
    }
    for user in users.iter().filter(|u| **u != author.id) {
        notify(
            &state.queue,
            txn,
            state.clock.now(),
            Notice {
                user_id: UserId(*user),
                kind: KIND_MENTION.to_owned(),
                title: format!("{} mentioned you{place}", author.display_name),
                body: excerpt.clone(),
                link: Some(format!("/messages?room={}", room.id)),
            },
        )
        .await?;
    }
    Ok(())
}

/// The body of a new message: trimmed and checked like any body, except that it may be empty
/// when files are attached.
pub(super) fn check_new_body(errors: &mut Vec<FieldError>, body: &str, with_files: bool) -> String {
    if with_files && body.trim().is_empty() {
        return String::new();
    }
    check_body(errors, "body", body)
}

/// Checks the files to attach: at most [`ATTACHMENTS_MAX`], none twice, each an upload of
/// `owner` (anything else is a 422 on `attachments[i]`, whether the file is someone else's or
/// does not exist, so nobody learns which ids exist).
pub(super) async fn check_attachments<C: ConnectionTrait>(
    conn: &C,
    errors: &mut Vec<FieldError>,
    owner: Uuid,
    ids: &[Uuid],
) -> AppResult<()> {
    if ids.len() > ATTACHMENTS_MAX {
        errors.push(FieldError::new(
            "attachments",
            format!("at most {ATTACHMENTS_MAX} files per message"),
        ));
        return Ok(());
    }
    let owned = vertechie_kernel::files::owned_by(conn, owner, ids).await?;
    for (i, id) in ids.iter().enumerate() {
        let field = format!("attachments[{i}]");
        if ids[..i].contains(id) {
            errors.push(FieldError::new(field, "is listed twice"));
        } else if !owned.contains(id) {
            errors.push(FieldError::new(field, "must be a file you uploaded"));
        }
    }
    Ok(())
}

/// Stores a message in `txn` (the caller checked that the author may post, and that the
/// attachments are the author's files): the reply target checked, mentions resolved and
/// noticed, the files attached, the index written, the room's last activity and the author's
/// read marker moved to it.
pub(super) async fn insert<C: ConnectionTrait>(
    state: &AppState,
    txn: &C,
    room: &room::Model,
    author: &UserRef,
    body: String,
    reply_to: Option<Uuid>,
    attachments: &[Uuid],
) -> AppResult<message::Model> {
    if let Some(parent) = reply_to {
        let same_room = message::Entity::find_by_id(parent)
            .one(txn)
            .await?
            .is_some_and(|p| p.room_id == room.id);
        if !same_room {
            return Err(AppError::field(
                "reply_to",
                "must be a message of this room",
            ));
        }
    }
    let mentions = resolve_mentions(txn, room.id, &body).await?;
    let now = state.clock.now();
    let row = message::ActiveModel {
        id: Set(Uuid::now_v7()),
        room_id: Set(room.id),
        author_id: Set(Some(author.id)),
        body: Set(body),
        reply_to: Set(reply_to),
        mentions: Set(json!(mentions).to_string()),
        is_edited: Set(false),
        edited_at: Set(None),
        deleted_at: Set(None),
        deleted_by: Set(None),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    if !attachments.is_empty() {
        let rows = attachments
            .iter()
            .enumerate()
            .map(|(i, file)| attachment::ActiveModel {
                message_id: Set(row.id),
                file_id: Set(*file),
                position: Set(i as i32),
            });
        if let Err(e) = attachment::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await
        {
            // The file was deleted between the check and now.
            return Err(match e.sql_err() {
                Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => {
                    AppError::field("attachments", "must be files you uploaded")
                }
                _ => e.into(),
            });
        }
    }
    search::index_message(txn, &row).await?;
    room::Entity::update_many()
        .col_expr(room::Column::LastMessageAt, Expr::value(Some(now)))
        .filter(room::Column::Id.eq(room.id))
        .exec(txn)
        .await?;
    member::Entity::update_many()
        .col_expr(member::Column::LastReadMessageId, Expr::value(Some(row.id)))
        .col_expr(member::Column::LastReadAt, Expr::value(Some(now)))
        .filter(member::Column::RoomId.eq(room.id))
        .filter(member::Column::UserId.eq(author.id))
        .exec(txn)
        .await?;
    notify_mentions(state, txn, room, author, &row.body, &mentions).await?;
    Ok(row)
}

/// Publishes a posted message (after the commit): `new_direct_message` in direct rooms,
/// `new_message` elsewhere.
pub(super) fn announce_new(state: &AppState, room: &room::Model, view: &MessageView) {
    let kind = if room.kind == DIRECT {
        "new_direct_message"
    } else {
        "new_message"
    };
    publish_frame(
        state,
        room.id,
        json!({"type": kind, "room_id": room.id, "message": view}),
    );
}

fn announce_updated(state: &AppState, view: &MessageView) {
    publish_frame(
        state,
        view.room_id,
        json!({"type": "message_updated", "room_id": view.room_id, "message": view}),
    );
}

/// Posts a message to a room the user is a member of (the same rules for HTTP and WebSocket).
pub async fn send_message(
    state: &AppState,
    me: &CurrentUser,
    room_id: Uuid,
    m: NewMessage,
) -> AppResult<MessageView> {
    let uid = me.id.as_uuid();
    let txn = begin_write(&state.db).await?;
    let access = postable(&txn, room_id, uid).await?;
    let mut errors = Vec::new();
    let body = check_new_body(&mut errors, &m.body, !m.attachments.is_empty());
    check_attachments(&txn, &mut errors, uid, &m.attachments).await?;
    fail_on(errors)?;
    let row = insert(
        state,
        &txn,
        &access.room,
        &me_ref(me),
        body,
        m.reply_to,
        &m.attachments,
    )
    .await?;
    txn.commit().await?;
    let view = views::message(state, &state.db, &row).await?;
    announce_new(state, &access.room, &view);
    Ok(view)
}

/// A page of a room's messages, newest first. Without a cursor, the newest; with `before`, the
/// ones just older; with `after`, the ones just newer (catching up), still newest first.
pub(super) async fn page<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    room_id: Uuid,
    q: MessageQuery,
) -> AppResult<MessagePage> {
    let limit = q
        .limit
        .unwrap_or(MESSAGES_DEFAULT_LIMIT)
        .clamp(1, MESSAGES_MAX_LIMIT);
    let mut find = message::Entity::find().filter(message::Column::RoomId.eq(room_id));
    if let Some(before) = q.before {
        find = find.filter(message::Column::Id.lt(before));
    }
    if let Some(after) = q.after {
        let mut rows = find
            .filter(message::Column::Id.gt(after))
            .order_by_asc(message::Column::Id)
            .limit(limit + 1)
            .all(conn)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        rows.reverse();
        let next_after = if more {
            rows.first().map(|m| m.id)
        } else {
            None
        };
        return Ok(MessagePage {
            items: views::messages(state, conn, &rows).await?,
            next_before: None,
            next_after,
        });
    }
    let mut rows = find
        .order_by_desc(message::Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_before = if more {
        rows.last().map(|m| m.id)
    } else {
        None
    };
    Ok(MessagePage {
        items: views::messages(state, conn, &rows).await?,
        next_before,
        next_after: None,
    })
}

/// A room's messages (members, and anyone signed in for a public room).
pub async fn list_messages(
    state: &AppState,
    me: &CurrentUser,
    room_id: Uuid,
    q: MessageQuery,
) -> AppResult<MessagePage> {
    readable(&state.db, room_id, me.id.as_uuid()).await?;
    page(state, &state.db, room_id, q).await
}

/// One message, for anyone who may read its room.
pub async fn get_message(
    state: &AppState,
    me: &CurrentUser,
    message_id: Uuid,
) -> AppResult<MessageView> {
    let (msg, _) = readable_message(&state.db, message_id, me.id.as_uuid()).await?;
    views::message(state, &state.db, &msg).await
}

/// The replies to a message, oldest first.
pub async fn replies(
    state: &AppState,
    me: &CurrentUser,
    message_id: Uuid,
    page: PageQuery,
) -> AppResult<Page<MessageView>> {
    readable_message(&state.db, message_id, me.id.as_uuid()).await?;
    let find = message::Entity::find().filter(message::Column::ReplyTo.eq(message_id));
    let total = find.clone().count(&state.db).await?;
    let rows = find
        .order_by_asc(message::Column::Id)
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    Ok(Page::new(
        views::messages(state, &state.db, &rows).await?,
        total,
        &page,
    ))
}

/// A message's earlier bodies, oldest first (none once it is deleted).
pub async fn edits(
    state: &AppState,
    me: &CurrentUser,
    message_id: Uuid,
) -> AppResult<Vec<EditView>> {
    let (msg, _) = readable_message(&state.db, message_id, me.id.as_uuid()).await?;
    if msg.deleted_at.is_some() {
        return Ok(Vec::new());
    }
    let rows = edit::Entity::find()
        .filter(edit::Column::MessageId.eq(message_id))
        .order_by_asc(edit::Column::EditedAt)
        .order_by_asc(edit::Column::Id)
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|e| EditView {
            previous_body_html: markdown::render(&e.previous_body),
            previous_body: e.previous_body,
            edited_at: e.edited_at,
        })
        .collect())
}

/// The message for a change by `me`, who must still be a member of its room.
async fn for_change<C: ConnectionTrait>(
    conn: &C,
    message_id: Uuid,
    me: Uuid,
) -> AppResult<(message::Model, Access)> {
    let (msg, access) = readable_message(conn, message_id, me).await?;
    access.require_member()?;
    Ok((msg, access))
}

/// Changes the body of one's own message; the previous body goes to the edit history. Members
/// mentioned for the first time are notified.
pub async fn edit_message(
    state: &AppState,
    me: &CurrentUser,
    message_id: Uuid,
    body: String,
) -> AppResult<MessageView> {
    let uid = me.id.as_uuid();
    let txn = begin_write(&state.db).await?;
    let (msg, access) = for_change(&txn, message_id, uid).await?;
    if msg.author_id != Some(uid) {
        return Err(AppError::forbidden(
            "NOT_AUTHOR",
            "Only the author can edit a message",
        ));
    }
    if msg.deleted_at.is_some() {
        return Err(message_deleted());
    }
    let mut errors = Vec::new();
    let body = check_body(&mut errors, "body", &body);
    fail_on(errors)?;
    if body == msg.body {
        drop(txn);
        return views::message(state, &state.db, &msg).await;
    }
    let now = state.clock.now();
    edit::ActiveModel {
        id: Set(Uuid::now_v7()),
        message_id: Set(msg.id),
        previous_body: Set(msg.body.clone()),
        edited_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let before = views::mentions_of(&msg);
    let mentions = resolve_mentions(&txn, msg.room_id, &body).await?;
    let fresh: Vec<Uuid> = mentions
        .iter()
        .filter(|u| !before.contains(u))
        .copied()
        .collect();
    let mut am: message::ActiveModel = msg.into();
    am.body = Set(body);
    am.mentions = Set(json!(mentions).to_string());
    am.is_edited = Set(true);
    am.edited_at = Set(Some(now));
    let row = am.update(&txn).await?;
    search::index_message(&txn, &row).await?;
    notify_mentions(state, &txn, &access.room, &me_ref(me), &row.body, &fresh).await?;
    txn.commit().await?;
    let view = views::message(state, &state.db, &row).await?;
    announce_updated(state, &view);
    Ok(view)
}

/// Deletes a message (its author, or the room's owners and moderators): a tombstone remains,
/// its body and reactions hidden and out of the search index. Deleting again changes nothing.
pub async fn delete_message(
    state: &AppState,
    me: &CurrentUser,
    message_id: Uuid,
) -> AppResult<MessageView> {
    let uid = me.id.as_uuid();
    let txn = begin_write(&state.db).await?;
    let (msg, access) = readable_message(&txn, message_id, uid).await?;
    let author = msg.author_id == Some(uid);
    if !author && !access.manages() {
        return Err(AppError::forbidden(
            "FORBIDDEN_MESSAGE",
            "Only the author or the room's owners and moderators can delete this message",
        ));
    }
    if msg.deleted_at.is_some() {
        drop(txn);
        return views::message(state, &state.db, &msg).await;
    }
    let mut am: message::ActiveModel = msg.into();
    am.deleted_at = Set(Some(state.clock.now()));
    am.deleted_by = Set(Some(uid));
    let row = am.update(&txn).await?;
    search::unindex_message(&txn, row.id).await?;
    // A tombstone shows no files and holds none: their owner may delete them now.
    attachment::Entity::delete_many()
        .filter(attachment::Column::MessageId.eq(row.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    let view = views::message(state, &state.db, &row).await?;
    announce_updated(state, &view);
    Ok(view)
}

async fn react(
    state: &AppState,
    me: &CurrentUser,
    message_id: Uuid,
    emoji: String,
    add: bool,
) -> AppResult<MessageView> {
    let emoji = check_emoji(&emoji)?;
    let uid = me.id.as_uuid();
    let txn = begin_write(&state.db).await?;
    let (msg, _) = for_change(&txn, message_id, uid).await?;
    if msg.deleted_at.is_some() {
        return Err(message_deleted());
    }
    let changed = if add {
        let res = reaction::Entity::insert(reaction::ActiveModel {
            message_id: Set(msg.id),
            user_id: Set(uid),
            emoji: Set(emoji.clone()),
            created_at: Set(state.clock.now()),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await?;
        matches!(res, TryInsertResult::Inserted(n) if n > 0)
    } else {
        reaction::Entity::delete_many()
            .filter(reaction::Column::MessageId.eq(msg.id))
            .filter(reaction::Column::UserId.eq(uid))
            .filter(reaction::Column::Emoji.eq(emoji.as_str()))
            .exec(&txn)
            .await?
            .rows_affected
            > 0
    };
    txn.commit().await?;
    let view = views::message(state, &state.db, &msg).await?;
    if changed {
        publish_frame(
            state,
            msg.room_id,
            json!({"type": "reaction_updated", "room_id": msg.room_id, "message_id": msg.id,
                   "reactions": view.reactions}),
        );
    }
    Ok(view)
}

/// Adds the user's reaction (adding it again changes nothing).
pub async fn add_reaction(
    state: &AppState,
    me: &CurrentUser,
    message_id: Uuid,
    emoji: String,
) -> AppResult<MessageView> {
    react(state, me, message_id, emoji, true).await
}

/// Removes the user's reaction (removing one that is not there changes nothing).
pub async fn remove_reaction(
    state: &AppState,
    me: &CurrentUser,
    message_id: Uuid,
    emoji: String,
) -> AppResult<MessageView> {
    react(state, me, message_id, emoji, false).await
}

/// Moves the member's read marker forward to `message_id` (never backwards) and publishes the
/// read receipt when it moved.
pub async fn mark_read(
    state: &AppState,
    me: &CurrentUser,
    room_id: Uuid,
    message_id: Uuid,
) -> AppResult<ReadReceipt> {
    let uid = me.id.as_uuid();
    let txn = begin_write(&state.db).await?;
    let access = readable(&txn, room_id, uid).await?;
    let mine = access.require_member()?.clone();
    let in_room = message::Entity::find_by_id(message_id)
        .one(&txn)
        .await?
        .is_some_and(|m| m.room_id == room_id);
    if !in_room {
        return Err(AppError::field(
            "message_id",
            "must be a message of this room",
        ));
    }
    if let (Some(read), Some(at)) = (mine.last_read_message_id, mine.last_read_at)
        && read >= message_id
    {
        return Ok(ReadReceipt {
            room_id,
            user_id: uid,
            last_read_message_id: read,
            read_at: at,
        });
    }
    let now = state.clock.now();
    let mut am: member::ActiveModel = mine.into();
    am.last_read_message_id = Set(Some(message_id));
    am.last_read_at = Set(Some(now));
    am.update(&txn).await?;
    txn.commit().await?;
    let receipt = ReadReceipt {
        room_id,
        user_id: uid,
        last_read_message_id: message_id,
        read_at: now,
    };
    publish_frame(
        state,
        room_id,
        json!({"type": "read_receipt", "room_id": room_id, "user_id": uid,
               "last_read_message_id": message_id, "read_at": now}),
    );
    Ok(receipt)
}

/// Full-text search over the messages of the rooms the user is in, newest first.
pub async fn search_messages(
    state: &AppState,
    me: &CurrentUser,
    q: SearchQuery,
) -> AppResult<Page<SearchHit>> {
    let terms = fts_terms(q.q.as_deref().unwrap_or_default());
    if terms.is_empty() {
        return Err(AppError::field("q", "enter at least one word to find"));
    }
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    };
    let uid = me.id.as_uuid();
    let (ids, total) = search::search(&state.db, uid, &terms, page.limit(), page.offset()).await?;
    let mut rows = message::Entity::find()
        .filter(message::Column::Id.is_in(ids.iter().copied()))
        .all(&state.db)
        .await?;
    rows.sort_by_key(|m| std::cmp::Reverse(m.id));
    let room_ids: Vec<Uuid> = rows.iter().map(|m| m.room_id).collect();
    let rooms: HashMap<Uuid, room::Model> = room::Entity::find()
        .filter(room::Column::Id.is_in(room_ids.iter().copied()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let names = direct_names(state, uid, &rooms).await?;
    let items = views::messages(state, &state.db, &rows)
        .await?
        .into_iter()
        .filter_map(|message| {
            let room = rooms.get(&message.room_id)?;
            Some(SearchHit {
                room_id: room.id,
                room_kind: room.kind.clone(),
                room_name: room.name.clone().or_else(|| names.get(&room.id).cloned()),
                message,
            })
        })
        .collect();
    Ok(Page::new(items, total, &page))
}

/// For each direct room among `rooms`, the other member's display name.
async fn direct_names(
    state: &AppState,
    me: Uuid,
    rooms: &HashMap<Uuid, room::Model>,
) -> AppResult<HashMap<Uuid, String>> {
    let direct: Vec<Uuid> = rooms
        .values()
        .filter(|r| r.kind == DIRECT)
        .map(|r| r.id)
        .collect();
    if direct.is_empty() {
        return Ok(HashMap::new());
    }
    let others = member::Entity::find()
        .filter(member::Column::RoomId.is_in(direct))
        .filter(member::Column::UserId.ne(me))
        .all(&state.db)
        .await?;
    let users = views::users(&state.db, others.iter().map(|m| m.user_id)).await?;
    Ok(others
        .iter()
        .filter_map(|m| {
            users
                .get(&m.user_id)
                .map(|u| (m.room_id, views::user_ref(u).display_name))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::mentioned_usernames;

    #[test]
    fn mentions_are_usernames_after_an_at() {
        assert_eq!(
            mentioned_usernames("hi @Ann and @bob_2, cc @ann"),
            vec!["ann", "bob_2"]
        );
        assert!(mentioned_usernames("mail ann@example.com").is_empty());
        assert!(mentioned_usernames("@ab is too short, @ alone").is_empty());
        assert_eq!(mentioned_usernames("(@carol-x)"), vec!["carol-x"]);
    }
}
