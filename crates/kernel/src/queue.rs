//! The background queue: a durable table (`queue_tasks`). Enqueue inside the caller's
//! transaction, so a task exists exactly when the change that caused it does; workers
//! (`queue_workers` per `serve`, or `vertechie worker`) claim one due task at a time with a
//! single `UPDATE … RETURNING` (PostgreSQL adds `FOR UPDATE SKIP LOCKED`; SQLite's single writer
//! makes it atomic) and a lease of [`LEASE`], retry failures with exponential backoff
//! ([`backoff`]) and dead-letter a task after `max_attempts`. Handlers are registered by kind
//! from the modules (`Module::task`); kinds a module marks recurring (`Module::every`) get one run
//! queued at start-up and the next queued after each success ([`Queue::start_schedules`]).
//!
//! A finished task keeps only what its handler's [`TaskHandler::redact`] leaves of the payload
//! (a sent mail keeps its recipient, not its body and links), and the hourly
//! [`PURGE_DONE_TASKS`] deletes finished tasks older than `queue_retention_days`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, FromQueryResult, Statement, Value};
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use crate::module::Schedule;
use crate::state::AppState;

/// How long a claimed job is leased to its worker before another may take it.
pub const LEASE: Duration = Duration::from_secs(300);
/// Idle workers look for due jobs at least this often (enqueues in this process wake them at once).
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How long an idle instance waits between purges of finished tasks.
pub const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// The recurring kernel task that deletes finished tasks past `queue_retention_days`.
pub const PURGE_DONE_TASKS: &str = "kernel.queue.purge_done";
/// Rows deleted per statement, so a purge never holds the (SQLite) write lock for long.
const PURGE_BATCH: u64 = 1000;

#[async_trait::async_trait]
pub trait TaskHandler: Send + Sync + 'static {
    async fn run(&self, state: &AppState, payload: serde_json::Value) -> anyhow::Result<()>;

    /// What a finished task keeps of its payload: `None` keeps it whole. Handlers whose payload
    /// holds secrets or personal data return a stub, stored when the task is marked done.
    fn redact(&self, _payload: &serde_json::Value) -> Option<serde_json::Value> {
        None
    }
}

pub type Handlers = HashMap<&'static str, Arc<dyn TaskHandler>>;

#[derive(Clone)]
pub struct Queue {
    inner: Arc<QueueInner>,
}

struct QueueInner {
    notify: Notify,
    max_attempts: u32,
    handlers: Handlers,
    /// Recurring kinds and their period (`Module::every`).
    recurring: HashMap<&'static str, Duration>,
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct ClaimedTask {
    pub id: Uuid,
    pub kind: String,
    pub payload: String,
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Counts of jobs by status, for `/metrics` and admin views.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueDepth {
    pub queued: u64,
    pub running: u64,
    pub dead: u64,
}

impl Queue {
    pub fn new(max_attempts: u32, handlers: Handlers) -> Self {
        Self::with_schedules(max_attempts, handlers, &[])
    }

    /// A queue that keeps the `schedules`' kinds recurring (see [`Queue::start_schedules`]).
    pub fn with_schedules(max_attempts: u32, handlers: Handlers, schedules: &[Schedule]) -> Self {
        Self {
            inner: Arc::new(QueueInner {
                notify: Notify::new(),
                max_attempts: max_attempts.max(1),
                handlers,
                recurring: schedules.iter().map(|s| (s.kind, s.every)).collect(),
            }),
        }
    }

    /// Makes sure every recurring kind has a run queued (due now when none is waiting);
    /// idempotent, so every instance calls it at start-up (`serve`, `worker`).
    pub async fn start_schedules(&self, state: &AppState) -> Result<(), DbErr> {
        let mut kinds: Vec<&str> = self.inner.recurring.keys().copied().collect();
        kinds.sort_unstable();
        for kind in kinds {
            self.ensure_queued(state, kind, state.clock.now()).await?;
        }
        Ok(())
    }

    /// Queues a `kind` task due at `run_at` unless one is already queued. Instances starting
    /// together do not stack duplicates: the check and the insert run in one write transaction
    /// (SQLite's single writer; a transaction-scoped advisory lock on PostgreSQL).
    pub async fn ensure_queued(
        &self,
        state: &AppState,
        kind: &str,
        run_at: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        #[derive(FromQueryResult)]
        struct Count {
            n: i64,
        }
        let txn = crate::db::begin_write(&state.db).await?;
        let backend = txn.get_database_backend();
        let sql = if backend == DatabaseBackend::Postgres {
            txn.execute_unprepared("SELECT pg_advisory_xact_lock(727001)")
                .await?;
            "SELECT COUNT(*) AS n FROM queue_tasks WHERE kind = $1 AND status = 'queued'"
        } else {
            "SELECT COUNT(*) AS n FROM queue_tasks WHERE kind = ? AND status = 'queued'"
        };
        let queued =
            Count::find_by_statement(Statement::from_sql_and_values(backend, sql, [kind.into()]))
                .one(&txn)
                .await?
                .map_or(0, |c| c.n);
        if queued > 0 {
            return Ok(false);
        }
        let now = state.clock.now();
        self.enqueue_at(&txn, now, run_at, kind, serde_json::json!({}))
            .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Adds a job due now; pass the transaction of the change that causes it.
    pub async fn enqueue<C: ConnectionTrait>(
        &self,
        conn: &C,
        now: DateTime<Utc>,
        kind: &str,
        payload: serde_json::Value,
    ) -> Result<Uuid, DbErr> {
        self.enqueue_at(conn, now, now, kind, payload).await
    }

    /// Adds a job that no worker takes before `run_at` (a time in the past means at once).
    pub async fn enqueue_at<C: ConnectionTrait>(
        &self,
        conn: &C,
        now: DateTime<Utc>,
        run_at: DateTime<Utc>,
        kind: &str,
        payload: serde_json::Value,
    ) -> Result<Uuid, DbErr> {
        let id = Uuid::now_v7();
        let sql = match conn.get_database_backend() {
            DatabaseBackend::Postgres => {
                "INSERT INTO queue_tasks (id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $6)"
            }
            _ => {
                "INSERT INTO queue_tasks (id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at) \
                 VALUES (?, ?, ?, 'queued', 0, ?, ?, ?, ?)"
            }
        };
        let mut values: Vec<Value> = vec![
            id.into(),
            kind.into(),
            payload.to_string().into(),
            (self.inner.max_attempts as i32).into(),
            run_at.into(),
            now.into(),
        ];
        if conn.get_database_backend() != DatabaseBackend::Postgres {
            values.push(now.into());
        }
        conn.execute_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            sql,
            values,
        ))
        .await?;
        self.inner.notify.notify_one();
        Ok(id)
    }

    /// Claims the next due job (or one whose lease ran out), incrementing its attempts.
    pub async fn claim<C: ConnectionTrait>(
        &self,
        conn: &C,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedTask>, DbErr> {
        let backend = conn.get_database_backend();
        let lease_until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let (sql, values): (&str, Vec<Value>) = match backend {
            DatabaseBackend::Postgres => (
                "UPDATE queue_tasks SET status = 'running', attempts = attempts + 1, locked_until = $1, updated_at = $2 \
                 WHERE id = (SELECT id FROM queue_tasks WHERE (status = 'queued' AND run_at <= $2) \
                   OR (status = 'running' AND locked_until < $2) ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, kind, payload, attempts, max_attempts",
                vec![lease_until.into(), now.into()],
            ),
            // SQLite has one writer at a time, so the UPDATE … WHERE id = (SELECT …) is atomic.
            _ => (
                "UPDATE queue_tasks SET status = 'running', attempts = attempts + 1, locked_until = ?, updated_at = ? \
                 WHERE id = (SELECT id FROM queue_tasks WHERE (status = 'queued' AND run_at <= ?) \
                   OR (status = 'running' AND locked_until < ?) ORDER BY run_at LIMIT 1) \
                 RETURNING id, kind, payload, attempts, max_attempts",
                vec![lease_until.into(), now.into(), now.into(), now.into()],
            ),
        };
        ClaimedTask::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .one(conn)
            .await
    }

    /// Runs one due job if there is one. Returns whether a job was run.
    pub async fn run_one(&self, state: &AppState) -> Result<bool, DbErr> {
        let Some(job) = self.claim(&state.db, state.clock.now()).await? else {
            return Ok(false);
        };
        let result = if job.attempts > job.max_attempts {
            Err(anyhow::anyhow!("lease expired on the last attempt"))
        } else {
            match self.inner.handlers.get(job.kind.as_str()) {
                None => Err(anyhow::anyhow!("no handler for job kind {}", job.kind)),
                Some(handler) => match serde_json::from_str(&job.payload) {
                    Ok(payload) => {
                        match tokio::time::timeout(LEASE, handler.run(state, payload)).await {
                            Ok(r) => r,
                            Err(_) => Err(anyhow::anyhow!("job timed out")),
                        }
                    }
                    Err(e) => Err(anyhow::anyhow!("payload is not JSON: {e}")),
                },
            }
        };
        let now = state.clock.now();
        let backend = state.db.get_database_backend();
        let p = |i: usize| {
            if backend == DatabaseBackend::Postgres {
                format!("${i}")
            } else {
                "?".to_owned()
            }
        };
        match result {
            Ok(()) => {
                if let Some(every) = self.inner.recurring.get(job.kind.as_str()) {
                    let next = now + chrono::Duration::from_std(*every).unwrap_or_default();
                    self.ensure_queued(state, &job.kind, next).await?;
                }
                let redacted = self.inner.handlers.get(job.kind.as_str()).and_then(|h| {
                    serde_json::from_str(&job.payload)
                        .ok()
                        .and_then(|payload| h.redact(&payload))
                });
                // Values in the order of their placeholders (SQLite's `?` are positional).
                let mut values: Vec<Value> = vec![now.into()];
                let keep = match redacted {
                    Some(stub) => {
                        values.push(stub.to_string().into());
                        format!(", payload = {}", p(2))
                    }
                    None => String::new(),
                };
                values.push(job.id.into());
                let sql = format!(
                    "UPDATE queue_tasks SET status = 'done', locked_until = NULL, last_error = NULL, updated_at = {}{keep} WHERE id = {}",
                    p(1),
                    p(values.len())
                );
                state
                    .db
                    .execute_raw(Statement::from_sql_and_values(backend, sql, values))
                    .await?;
                metrics::counter!("jobs_completed_total", "kind" => job.kind.clone()).increment(1);
            }
            Err(err) => {
                let dead = job.attempts >= job.max_attempts;
                let message: String = format!("{err:#}").chars().take(2000).collect();
                let status = if dead { "dead" } else { "queued" };
                let run_at = now + backoff(job.attempts as u32);
                let sql = format!(
                    "UPDATE queue_tasks SET status = {}, locked_until = NULL, last_error = {}, run_at = {}, updated_at = {} WHERE id = {}",
                    p(1),
                    p(2),
                    p(3),
                    p(4),
                    p(5)
                );
                state
                    .db
                    .execute_raw(Statement::from_sql_and_values(
                        backend,
                        sql,
                        [
                            status.into(),
                            message.clone().into(),
                            run_at.into(),
                            now.into(),
                            job.id.into(),
                        ],
                    ))
                    .await?;
                if dead {
                    tracing::error!(job_id = %job.id, kind = %job.kind, attempts = job.attempts, error = %message, "job dead-lettered");
                    metrics::counter!("jobs_dead_total", "kind" => job.kind.clone()).increment(1);
                } else {
                    tracing::warn!(job_id = %job.id, kind = %job.kind, attempts = job.attempts, error = %message, "job failed; will retry");
                    metrics::counter!("jobs_retried_total", "kind" => job.kind.clone())
                        .increment(1);
                }
            }
        }
        Ok(true)
    }

    /// Starts `n` workers that run until `shutdown` turns true, finishing the job in hand.
    pub fn spawn_workers(
        &self,
        state: AppState,
        n: usize,
        shutdown: watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        (0..n)
            .map(|_| {
                let queue = self.clone();
                let state = state.clone();
                let mut shutdown = shutdown.clone();
                tokio::spawn(async move {
                    loop {
                        if *shutdown.borrow() {
                            break;
                        }
                        match queue.run_one(&state).await {
                            Ok(true) => continue,
                            Ok(false) => {}
                            Err(e) => tracing::error!(error = %e, "job queue poll failed"),
                        }
                        tokio::select! {
                            _ = queue.inner.notify.notified() => {}
                            _ = tokio::time::sleep(POLL_INTERVAL) => {}
                            _ = shutdown.changed() => {}
                        }
                    }
                })
            })
            .collect()
    }

    pub async fn depth<C: ConnectionTrait>(&self, conn: &C) -> Result<QueueDepth, DbErr> {
        #[derive(FromQueryResult)]
        struct Row {
            status: String,
            n: i64,
        }
        let rows = Row::find_by_statement(Statement::from_string(
            conn.get_database_backend(),
            "SELECT status, COUNT(*) AS n FROM queue_tasks WHERE status <> 'done' GROUP BY status",
        ))
        .all(conn)
        .await?;
        let mut d = QueueDepth::default();
        for r in rows {
            match r.status.as_str() {
                "queued" => d.queued = r.n as u64,
                "running" => d.running = r.n as u64,
                "dead" => d.dead = r.n as u64,
                _ => {}
            }
        }
        Ok(d)
    }
}

/// Deletes finished tasks last updated more than `queue_retention_days` ago, in batches.
/// Returns how many were deleted.
pub async fn purge_done(state: &AppState) -> Result<u64, DbErr> {
    let cutoff =
        state.clock.now() - chrono::Duration::days(i64::from(state.config.queue_retention_days));
    let backend = state.db.get_database_backend();
    let sql = if backend == DatabaseBackend::Postgres {
        format!(
            "DELETE FROM queue_tasks WHERE id IN (SELECT id FROM queue_tasks WHERE status = 'done' AND updated_at < $1 LIMIT {PURGE_BATCH})"
        )
    } else {
        format!(
            "DELETE FROM queue_tasks WHERE id IN (SELECT id FROM queue_tasks WHERE status = 'done' AND updated_at < ? LIMIT {PURGE_BATCH})"
        )
    };
    let mut total = 0;
    loop {
        let deleted = state
            .db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                &sql,
                [cutoff.into()],
            ))
            .await?
            .rows_affected();
        total += deleted;
        if deleted < PURGE_BATCH {
            break;
        }
    }
    if total > 0 {
        tracing::info!(deleted = total, "finished queue tasks purged");
    }
    Ok(total)
}

struct PurgeDone;

#[async_trait::async_trait]
impl TaskHandler for PurgeDone {
    async fn run(&self, state: &AppState, _payload: serde_json::Value) -> anyhow::Result<()> {
        purge_done(state).await?;
        Ok(())
    }
}

/// The queue's own task handlers (the purge of finished tasks, recurring every [`PURGE_EVERY`]).
pub fn task_handlers() -> Vec<(&'static str, Arc<dyn TaskHandler>)> {
    vec![(PURGE_DONE_TASKS, Arc::new(PurgeDone))]
}

/// 10 s, 20 s, 40 s … capped at one hour.
pub fn backoff(attempts: u32) -> chrono::Duration {
    let secs = 10u64
        .saturating_mul(1u64 << attempts.saturating_sub(1).min(20))
        .min(3600);
    chrono::Duration::seconds(secs as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1).num_seconds(), 10);
        assert_eq!(backoff(2).num_seconds(), 20);
        assert_eq!(backoff(3).num_seconds(), 40);
        assert_eq!(backoff(30).num_seconds(), 3600);
    }
}
