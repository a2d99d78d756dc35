//! Hiring: companies with their members and roles, admin verification, job postings with
//! full-text search, saved jobs and freshness, and the match-score engine that explains how a
//! candidate fits a job, applications (screening answers, knockouts, the stored match) and the
//! ATS pipeline (per-job stages, move/reject, timeline, notes, scorecards, the stuck list).

mod api;
mod migrations;
pub mod model;
mod pages;
pub mod service;

pub use api::router;
pub use migrations::migrations;
pub use pages::{nav, router as pages_router};
pub use service::jobs::job_handlers;

/// Makes sure the recurring hiring jobs (closing stale postings) are queued; idempotent, so every
/// instance may call it at start-up.
pub async fn schedule(state: &vertechie_kernel::AppState) -> vertechie_kernel::AppResult<()> {
    service::jobs::schedule(state).await.map(|_| ())
}
