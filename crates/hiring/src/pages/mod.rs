//! HTML pages for hiring, using the services directly (never HTTP calls to ourselves).
//!
//! Candidate side: job search, the job page with "how you match" and the apply form, saved jobs,
//! my applications with their timeline, public company pages. Company side: the hiring
//! dashboard, company settings and members, the jobs editor, the pipeline kanban with the
//! candidate drawer.

mod company_admin;
mod company_public;
mod job_editor;
mod jobs;
mod mine;
mod pipeline;

use axum::Router;
use vertechie_kernel::AppState;
use vertechie_web::{NavEntry, icons};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(jobs::router())
        .merge(mine::router())
        .merge(company_public::router())
        .merge(company_admin::router())
        .merge(job_editor::router())
        .merge(pipeline::router())
}

/// The navigation entries hiring contributes.
pub fn nav() -> [NavEntry; 3] {
    [
        NavEntry::new(200, "Jobs", "/jobs", icons::BRIEFCASE),
        NavEntry::new(210, "Applications", "/applications", icons::INBOX),
        NavEntry::new(220, "Hiring", "/hiring", icons::BOARD),
    ]
}
