//! Removing files nobody needs: uploads never attached to anything, swept after
//! [`UNATTACHED_HOURS`] by the recurring [`SWEEP_UNATTACHED`] task, and every file of a deleted
//! account ([`delete_owned_by`]). Rows go first, inside a transaction; their objects are deleted
//! afterwards by the [`DELETE_OBJECTS`] task, which that transaction queues, so an object is
//! never deleted while its row may still come back, and a failed object deletion is retried.
//!
//! "In use" means referenced: domains point at `files.id` with `NO ACTION` foreign keys, so the
//! sweep tries to delete each candidate and keeps it when a key refuses; references a foreign
//! key cannot express (a JSON list of ids) are reported by the modules' [`FileInUse`] checks
//! (`Module::uses_files`). A file found in use gets `in_use_at` and is never swept after, even
//! once let go (a deleted message's files stay their owner's to delete).

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model;
use crate::db::begin_write;
use crate::queue::TaskHandler;
use crate::{AppError, AppResult, AppState, UserId};

/// The recurring task that sweeps never-attached uploads.
pub const SWEEP_UNATTACHED: &str = "kernel.files.sweep_unattached";
/// How often the sweep runs.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// Age after which an upload nothing uses is swept.
pub const UNATTACHED_HOURS: i64 = 24;
/// The task that deletes the objects of removed rows: payload `{"keys": [...]}`.
pub const DELETE_OBJECTS: &str = "kernel.files.delete_objects";
/// Candidates examined per sweep transaction.
const SWEEP_BATCH: u64 = 100;
/// Object keys per [`DELETE_OBJECTS`] task.
const KEYS_PER_TASK: usize = 500;

/// A module's answer to "which of these files do you still use?", for references that are not
/// foreign keys. Runs inside the sweep's write transaction.
#[async_trait::async_trait]
pub trait FileInUse: Send + Sync + 'static {
    async fn in_use(&self, txn: &DatabaseTransaction, ids: &[Uuid]) -> AppResult<HashSet<Uuid>>;
}

/// Every module's [`FileInUse`] check (an extension the assembly always registers).
#[derive(Clone, Default)]
pub struct FileInUseChecks(pub Vec<(&'static str, Arc<dyn FileInUse>)>);

impl FileInUseChecks {
    async fn in_use(&self, txn: &DatabaseTransaction, ids: &[Uuid]) -> AppResult<HashSet<Uuid>> {
        let mut used = HashSet::new();
        for (_, check) in &self.0 {
            used.extend(check.in_use(txn, ids).await?);
        }
        Ok(used)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct DeleteObjects {
    keys: Vec<String>,
}

/// Queues the deletion of `keys` in `conn`'s transaction: it runs once that commits.
async fn queue_object_deletion<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    keys: Vec<String>,
) -> AppResult<()> {
    let now = state.clock.now();
    for chunk in keys.chunks(KEYS_PER_TASK) {
        let payload = serde_json::to_value(DeleteObjects {
            keys: chunk.to_vec(),
        })
        .map_err(AppError::internal)?;
        state
            .queue
            .enqueue(conn, now, DELETE_OBJECTS, payload)
            .await?;
    }
    Ok(())
}

/// Removes every file row of `user` inside `txn` (the account deletion's transaction) and queues
/// the deletion of their objects for after it commits. Returns how many files there were.
///
/// A file still referenced (say, attached to a message) makes this fail: the module holding it
/// must let go of it in its own deletion hook, which runs before the kernel's.
pub async fn delete_owned_by(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: UserId,
) -> AppResult<u64> {
    let keys: Vec<String> = model::Entity::find()
        .select_only()
        .column(model::Column::StorageKey)
        .filter(model::Column::OwnerId.eq(user.as_uuid()))
        .into_tuple()
        .all(txn)
        .await?;
    if keys.is_empty() {
        return Ok(0);
    }
    model::Entity::delete_many()
        .filter(model::Column::OwnerId.eq(user.as_uuid()))
        .exec(txn)
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => AppError::internal(
                anyhow::anyhow!(
                    "a file of user {user} is still referenced; the module holding it must let go of it first: {e}"
                ),
            ),
            _ => e.into(),
        })?;
    let n = keys.len() as u64;
    queue_object_deletion(state, txn, keys).await?;
    Ok(n)
}

/// Sweeps uploads older than [`UNATTACHED_HOURS`] that nothing uses; returns how many rows went.
pub async fn sweep_unattached(state: &AppState) -> AppResult<u64> {
    let now = state.clock.now();
    let cutoff = now - Duration::hours(UNATTACHED_HOURS);
    let checks = state.ext::<FileInUseChecks>().cloned().unwrap_or_default();
    let mut removed = 0;
    loop {
        let candidates = model::Entity::find()
            .filter(model::Column::InUseAt.is_null())
            .filter(model::Column::CreatedAt.lt(cutoff))
            .order_by_asc(model::Column::CreatedAt)
            .order_by_asc(model::Column::Id)
            .limit(SWEEP_BATCH)
            .all(&state.db)
            .await?;
        if candidates.is_empty() {
            break;
        }
        let txn = begin_write(&state.db).await?;
        let ids: Vec<Uuid> = candidates.iter().map(|f| f.id).collect();
        let mut in_use = checks.in_use(&txn, &ids).await?;
        let mut gone = Vec::new();
        for f in &candidates {
            if in_use.contains(&f.id) {
                continue;
            }
            // A savepoint per file: a refused delete (PostgreSQL) must not end the transaction.
            let attempt = txn.begin().await?;
            let deleted = model::Entity::delete_many()
                .filter(model::Column::Id.eq(f.id))
                .filter(model::Column::InUseAt.is_null())
                .exec(&attempt)
                .await;
            match deleted {
                Ok(r) => {
                    attempt.commit().await?;
                    if r.rows_affected == 1 {
                        gone.push(f.storage_key.clone());
                    }
                }
                Err(e)
                    if matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
                    ) =>
                {
                    attempt.rollback().await?;
                    in_use.insert(f.id);
                }
                Err(e) => return Err(e.into()),
            }
        }
        if !in_use.is_empty() {
            model::Entity::update_many()
                .col_expr(model::Column::InUseAt, Expr::value(Some(now)))
                .filter(model::Column::Id.is_in(in_use.iter().copied()))
                .exec(&txn)
                .await?;
        }
        removed += gone.len() as u64;
        queue_object_deletion(state, &txn, gone).await?;
        txn.commit().await?;
        if (candidates.len() as u64) < SWEEP_BATCH {
            break;
        }
    }
    if removed > 0 {
        tracing::info!(removed, "never-attached uploads swept");
    }
    Ok(removed)
}

struct SweepUnattached;

#[async_trait::async_trait]
impl TaskHandler for SweepUnattached {
    async fn run(&self, state: &AppState, _payload: serde_json::Value) -> anyhow::Result<()> {
        sweep_unattached(state)
            .await
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("sweeping unattached uploads: {e:?}"))
    }
}

struct DeleteObjectsTask;

#[async_trait::async_trait]
impl TaskHandler for DeleteObjectsTask {
    async fn run(&self, state: &AppState, payload: serde_json::Value) -> anyhow::Result<()> {
        let task: DeleteObjects = serde_json::from_value(payload)?;
        let mut failed = 0;
        for key in &task.keys {
            // A missing object counts as deleted, so a retry after a partial failure is fine.
            if let Err(e) = state.storage.delete(key).await {
                tracing::warn!(key, error = %e, "could not delete a removed file's object");
                failed += 1;
            }
        }
        if failed > 0 {
            anyhow::bail!(
                "{failed} of {} objects could not be deleted",
                task.keys.len()
            );
        }
        Ok(())
    }
}

/// The clean-up's task handlers (the sweep recurs every [`SWEEP_EVERY`]).
pub fn task_handlers() -> Vec<(&'static str, Arc<dyn TaskHandler>)> {
    vec![
        (SWEEP_UNATTACHED, Arc::new(SweepUnattached)),
        (DELETE_OBJECTS, Arc::new(DeleteObjectsTask)),
    ]
}

/// The kernel's account-deletion hook: the person's uploads go (rows in the deletion's
/// transaction, objects by the queued task once it commits). It runs last, after the domains
/// above released what referenced the files.
pub struct OwnerDeleted;

#[async_trait::async_trait]
impl crate::module::UserDeletionHook for OwnerDeleted {
    async fn user_deleted(
        &self,
        state: &AppState,
        txn: &DatabaseTransaction,
        user: UserId,
    ) -> AppResult<()> {
        delete_owned_by(state, txn, user).await.map(|_| ())
    }
}
