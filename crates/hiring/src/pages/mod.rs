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
use vertechie_web::{NavItem, icons};

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
pub fn nav() -> Vec<NavItem> {
    vec![
        NavItem {
            label: "Jobs",
            href: "/jobs",
            icon: icons::BRIEFCASE,
            roles: &[],
        },
        NavItem {
            label: "Applications",
            href: "/applications",
            icon: icons::INBOX,
            roles: &[],
        },
        NavItem {
            label: "Hiring",
            href: "/hiring",
            icon: icons::BOARD,
            roles: &[],
        },
    ]
}
