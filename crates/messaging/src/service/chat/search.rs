//! Full-text search over message bodies on both databases, like the job search
//! (`vertechie_kernel::fts` for the terms and placeholders):
//!
//! - **SQLite**: an FTS5 table `chat_messages_fts(message_id UNINDEXED, body)` (tokenizer
//!   `unicode61`, diacritics removed). Each message's index row has the rowid
//!   `vertechie_kernel::fts::sqlite_rowid(message id)`, so rewriting or removing it is a rowid
//!   lookup, not a scan of the whole index.
//! - **PostgreSQL**: a `search_tsv` column on `chat_messages` (GIN index) made of
//!   `to_tsvector('simple', body)`.
//!
//! The index is [`MESSAGE_INDEX`] (a `kernel::fts::FtsIndex`), written by [`index_message`] /
//! [`unindex_message`] in the transaction that posts, edits or deletes the message, so a deleted
//! message is never found. (Rooms are not deleted; a feature that deletes one, or its
//! messages, removes their entries with `MESSAGE_INDEX.remove_many` in its transaction.)
//! Results are the messages of rooms the user is a member of (public rooms they joined, private rooms, their
//! direct conversations), newest first, all terms required.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};
use uuid::Uuid;
use vertechie_kernel::fts::{FtsField, FtsIndex, SqlParams};

use crate::model::chat_message as message;

/// Where message bodies are indexed: `chat_messages_fts` (SQLite) or
/// `chat_messages.search_tsv` (PostgreSQL).
pub const MESSAGE_INDEX: FtsIndex = FtsIndex {
    table: "chat_messages",
    tsv_column: "search_tsv",
    fts_table: "chat_messages_fts",
    fts_id: "message_id",
    fields: &[FtsField {
        column: "body",
        bm25: 1.0,
        pg_weight: 'D',
    }],
};

/// Writes (or rewrites) the message's entry in the index. Call in the message's transaction.
pub async fn index_message<C: ConnectionTrait>(conn: &C, m: &message::Model) -> Result<(), DbErr> {
    MESSAGE_INDEX.upsert(conn, m.id, &[&m.body]).await
}

/// Removes the message from the index.
pub async fn unindex_message<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<(), DbErr> {
    MESSAGE_INDEX.remove(conn, id).await
}

#[derive(Debug, FromQueryResult)]
struct IdRow {
    id: Uuid,
}

#[derive(Debug, FromQueryResult)]
struct CountRow {
    n: i64,
}

/// One page of ids of `user`'s readable, live messages matching all `terms` (newest first),
/// and the total. `terms` must not be empty.
pub async fn search<C: ConnectionTrait>(
    conn: &C,
    user: Uuid,
    terms: &[String],
    limit: u64,
    offset: u64,
) -> Result<(Vec<Uuid>, u64), DbErr> {
    let backend = conn.get_database_backend();
    let mut p = SqlParams::new(backend);
    let me = p.push(user);
    let matched = MESSAGE_INDEX.condition(&mut p, terms, "m");
    let from = format!(
        "chat_messages m JOIN chat_members cm ON cm.room_id = m.room_id AND cm.user_id = {me} \
         WHERE m.deleted_at IS NULL AND {matched}"
    );
    let total = CountRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!("SELECT COUNT(*) AS n FROM {from}"),
        p.values.clone(),
    ))
    .one(conn)
    .await?
    .map(|r| r.n.max(0) as u64)
    .unwrap_or(0);
    let limit = p.push(i64::try_from(limit).unwrap_or(i64::MAX));
    let offset = p.push(i64::try_from(offset).unwrap_or(i64::MAX));
    let ids = IdRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!("SELECT m.id AS id FROM {from} ORDER BY m.id DESC LIMIT {limit} OFFSET {offset}"),
        p.values,
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(|r| r.id)
    .collect();
    Ok((ids, total))
}
