//! Freshness: the queued job that closes abandoned and expired postings.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use vertechie_kernel::queue::TaskHandler;
use vertechie_kernel::{AppResult, AppState};

use crate::model::job;
use crate::service::search_cache::jobs_changed;

use super::{AUTO_CLOSE_DAYS, CLOSE_STALE_JOBS};

/// Closes open jobs whose pipeline nobody touched for [`AUTO_CLOSE_DAYS`], and open jobs past
/// their `closes_at`. Returns how many were closed.
pub async fn close_stale<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>) -> AppResult<u64> {
    use sea_orm::Condition;
    let res = job::Entity::update_many()
        .col_expr(job::Column::Status, "closed".into())
        .col_expr(job::Column::UpdatedAt, now.into())
        .filter(job::Column::Status.eq("open"))
        .filter(
            Condition::any()
                .add(job::Column::LastPipelineActivityAt.lte(now - Duration::days(AUTO_CLOSE_DAYS)))
                .add(job::Column::ClosesAt.lte(now)),
        )
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// The [`CLOSE_STALE_JOBS`] handler: closes abandoned jobs. The module keeps it recurring every
/// [`CLOSE_STALE_EVERY_HOURS`](super::CLOSE_STALE_EVERY_HOURS) (`Module::every`).
pub struct CloseStaleJobs;

#[async_trait::async_trait]
impl TaskHandler for CloseStaleJobs {
    async fn run(&self, state: &AppState, _payload: serde_json::Value) -> anyhow::Result<()> {
        let now = state.clock.now();
        let closed = close_stale(&state.db, now).await?;
        if closed > 0 {
            tracing::info!(closed, "closed stale jobs");
            jobs_changed(state);
        }
        Ok(())
    }
}

/// The hiring job handlers, keyed by kind, for the server's queue.
pub fn task_handlers() -> Vec<(&'static str, Arc<dyn TaskHandler>)> {
    vec![(CLOSE_STALE_JOBS, Arc::new(CloseStaleJobs))]
}
