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
//! The index is written by [`index_message`] / [`unindex_message`] in the transaction that
//! posts, edits or deletes the message, so a deleted message is never found. Results are the
//! messages of rooms the user is a member of (public rooms they joined, private rooms, their
//! direct conversations), newest first, all terms required.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, FromQueryResult, Statement};
use uuid::Uuid;
use vertechie_kernel::fts::{SqlParams, index_text, sqlite_match, sqlite_rowid};

use crate::model::chat_message as message;

/// Writes (or rewrites) the message's entry in the index. Call in the message's transaction.
pub async fn index_message<C: ConnectionTrait>(conn: &C, m: &message::Model) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE chat_messages SET search_tsv = to_tsvector('simple', $1) WHERE id = $2",
            [index_text(&m.body).into(), m.id.into()],
        ))
        .await?;
    } else {
        unindex_message(conn, m.id).await?;
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO chat_messages_fts (rowid, message_id, body) VALUES (?, ?, ?)",
            [
                sqlite_rowid(m.id).into(),
                m.id.into(),
                index_text(&m.body).into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// Removes the message from the index.
pub async fn unindex_message<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let (sql, key) = if backend == DatabaseBackend::Postgres {
        (
            "UPDATE chat_messages SET search_tsv = NULL WHERE id = $1",
            id.into(),
        )
    } else {
        (
            "DELETE FROM chat_messages_fts WHERE rowid = ?",
            sqlite_rowid(id).into(),
        )
    };
    conn.execute_raw(Statement::from_sql_and_values(backend, sql, [key]))
        .await?;
    Ok(())
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
    let matched = if backend == DatabaseBackend::Postgres {
        let ph = p.push(terms.join(" "));
        format!("m.search_tsv @@ plainto_tsquery('simple', {ph})")
    } else {
        let ph = p.push(sqlite_match(terms));
        format!(
            "m.id IN (SELECT message_id FROM chat_messages_fts WHERE chat_messages_fts MATCH {ph})"
        )
    };
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
