//! The public company page (`/companies/{slug}`): who they are and their open jobs.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use vertechie_kernel::{AppError, AppState};
use vertechie_web::{Page, PageCtx, render};

use super::jobs::view::{self, JobCard, TextBlock};
use super::jobs::with_query;
use crate::service::companies::{self as companies, CompanyView};
use crate::service::jobs::{self as jobs, JobSearch};

/// Open jobs listed on the page; the rest are a link to the search away.
const JOBS_SHOWN: u64 = 20;

pub fn router() -> Router<AppState> {
    Router::new().route("/companies/{slug}", get(company_page))
}

#[derive(Template)]
#[template(path = "company_public.html")]
struct CompanyPage<'a> {
    ctx: &'a PageCtx,
    c: CompanyView,
    initials: String,
    about: Vec<TextBlock>,
    jobs: Vec<JobCard>,
    total: u64,
    /// The job search for all of them, when there are more than shown.
    all_jobs: Option<String>,
}

pub async fn company_page(
    State(state): State<AppState>,
    Page(ctx): Page,
    Path(slug): Path<String>,
) -> Response {
    let loaded = async {
        let c = companies::get_by_slug(&state, &slug).await?;
        let open = jobs::list(
            &state,
            JobSearch {
                company: Some(c.id.to_string()),
                sort: Some("newest".into()),
                limit: Some(JOBS_SHOWN),
                ..JobSearch::default()
            },
        )
        .await?;
        Ok::<_, AppError>((c, open))
    }
    .await;
    let (c, open) = match loaded {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let now = state.clock.now();
    let total = open.pagination.total;
    let page = CompanyPage {
        ctx: &ctx,
        initials: c
            .name
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .take(2)
            .collect::<String>()
            .to_uppercase(),
        about: c.about.as_deref().map(view::blocks).unwrap_or_default(),
        jobs: open.items.iter().map(|j| JobCard::of(j, now)).collect(),
        total,
        all_jobs: (total > JOBS_SHOWN).then(|| {
            with_query(
                "/jobs",
                &[("company", c.slug.clone()), ("sort", "newest".into())],
            )
        }),
        c,
    };
    render(StatusCode::OK, &page)
}
