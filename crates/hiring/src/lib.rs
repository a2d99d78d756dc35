//! Hiring: companies with their members and roles, admin verification, job postings with
//! full-text search, saved jobs and freshness, and the match-score engine that explains how a
//! candidate fits a job, applications (screening answers, knockouts, the stored match) and the
//! ATS pipeline (per-job stages, move/reject, timeline, notes, scorecards, the stuck list).

mod api;
mod migrations;
pub mod model;
mod pages;
pub mod service;

use std::sync::Arc;
use std::time::Duration;

use vertechie_kernel::module::{Asset, Module, SeedArgs, SeedHook, SeedParam};
use vertechie_kernel::{AppResult, AppState};

use service::jobs::{CLOSE_STALE_EVERY_HOURS, CLOSE_STALE_JOBS};

/// Hiring as a module: the companies, jobs and applications API, the job and hiring pages with
/// their assets, the stale-job closer (daily), the job search cache and its listener, and the
/// demo companies, jobs and applications.
pub fn module() -> Module {
    let mut m = Module::new("hiring")
        .tag(
            "hiring",
            "Companies, their members and roles, company verification, jobs, job search, saved jobs, applications and the pipeline",
        )
        .api(api::router())
        .pages(pages::router())
        .migrations(migrations::migrations())
        .every(
            CLOSE_STALE_JOBS,
            Duration::from_secs(CLOSE_STALE_EVERY_HOURS as u64 * 3600),
        )
        .asset(Asset::css(
            "css/hiring.css",
            include_bytes!("../static/css/hiring.css"),
        ))
        .asset(Asset::js(
            "js/kanban.js",
            include_bytes!("../static/js/kanban.js"),
        ))
        .extension(service::search_cache::SearchCache::default())
        .requires::<vertechie_accounts::service::cache::UserViewCache>()
        .on_start(|state| drop(service::search_cache::spawn_listener(state)))
        .seed(Arc::new(DemoHiring))
        .on_user_deleted(Arc::new(service::account_deletion::HiringAccountDeletion));
    for (kind, handler) in service::jobs::task_handlers() {
        m = m.task(kind, handler);
    }
    for entry in pages::nav() {
        m = m.nav(entry);
    }
    m
}

const SEED_PARAMS: &[SeedParam] = &[
    SeedParam {
        name: "companies",
        default: 50,
        help: "Demo companies (demo user N owns company N); 0 seeds no hiring data",
    },
    SeedParam {
        name: "jobs",
        default: 2_000,
        help: "Open jobs in total over the demo companies",
    },
    SeedParam {
        name: "applications",
        default: 3_000,
        help: "Applications in total, from demo users numbered after the owners",
    },
];

struct DemoHiring;

#[async_trait::async_trait]
impl SeedHook for DemoHiring {
    fn params(&self) -> &'static [SeedParam] {
        SEED_PARAMS
    }

    async fn seed(&self, state: &AppState, args: &SeedArgs) -> AppResult<String> {
        let [companies, jobs, applications] = [0, 1, 2].map(|i| args.count(&SEED_PARAMS[i]));
        if companies == 0 {
            return Ok("no hiring demo data asked for".into());
        }
        Ok(
            service::seed::seed_demo(state, companies, jobs, applications, args.users)
                .await?
                .to_string(),
        )
    }
}
