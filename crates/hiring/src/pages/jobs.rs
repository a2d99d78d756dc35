//! Candidate job pages: the search (`/jobs`), saved jobs (`/jobs/saved`) with save and unsave,
//! and in [`detail`] the job page with "how you match" and the apply form. Signed-out visitors
//! search and read; saving and applying need an account.

mod detail;
pub(super) mod view;

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;
use vertechie_kernel::money::{Currency, Money, MoneyError};
use vertechie_kernel::{AppError, AppState, PageQuery};
use vertechie_web::page::signin_redirect;
use vertechie_web::{CsrfForm, FieldErrors, Page, PageCtx, SignedIn, redirect_with_flash, render};

use crate::service::jobs::{self as svc, JobSearch, SALARY_AT_LEAST_MAX};
use view::{JobCard, ago};

/// Results per page.
pub const PER_PAGE: u64 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(search))
        .route("/jobs/saved", get(saved))
        .route("/jobs/{id}", get(detail::job_page))
        .route("/jobs/{id}/apply", post(detail::apply))
        .route("/jobs/{id}/save", post(save))
        .route("/jobs/{id}/unsave", post(unsave))
}

/// An id in a job page's path; anything unreadable is a missing job.
pub(super) fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    vertechie_web::parse_id(raw, "Job")
}

/// `path?k=v&…` from the non-empty pairs.
pub(super) fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    match serde_urlencoded::to_string(&kept) {
        Ok(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_owned(),
    }
}

/// Where a sign-in link comes back to.
pub(super) fn signin_url(back: &str) -> String {
    with_query("/signin", &[("next", back.to_owned())])
}

// ---- search ----

const REMOTES: [(&str, &str); 4] = [
    ("", "Any workplace"),
    ("onsite", "On-site"),
    ("hybrid", "Hybrid"),
    ("remote", "Remote"),
];
const TYPES: [(&str, &str); 6] = [
    ("", "Any type"),
    ("full_time", "Full-time"),
    ("part_time", "Part-time"),
    ("contract", "Contract"),
    ("internship", "Internship"),
    ("temporary", "Temporary"),
];
const LEVELS: [(&str, &str); 5] = [
    ("", "Any level"),
    ("fresher", "Fresher"),
    ("junior", "Junior"),
    ("mid", "Mid-level"),
    ("senior", "Senior"),
];
const POSTED: [(&str, &str); 5] = [
    ("", "Any time"),
    ("1", "Past 24 hours"),
    ("7", "Past week"),
    ("14", "Past 2 weeks"),
    ("30", "Past month"),
];
const SORTS: [(&str, &str); 3] = [
    ("relevance", "Best match for the words"),
    ("newest", "Newest"),
    ("salary", "Highest salary"),
];

/// The search form as typed: everything is text, so nothing a visitor types is a 500.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SearchParams {
    q: String,
    location: String,
    remote: String,
    #[serde(rename = "type")]
    employment_type: String,
    level: String,
    skill: String,
    /// In whole currency units (60000), not the API's minor units.
    salary_min: String,
    posted_within: String,
    sort: String,
    /// A company slug or id (from the company page's "all jobs" link).
    company: String,
    page: String,
}

impl SearchParams {
    fn trimmed(mut self) -> Self {
        for s in [
            &mut self.q,
            &mut self.location,
            &mut self.remote,
            &mut self.employment_type,
            &mut self.level,
            &mut self.skill,
            &mut self.salary_min,
            &mut self.posted_within,
            &mut self.sort,
            &mut self.company,
            &mut self.page,
        ] {
            *s = s.trim().chars().take(200).collect();
        }
        self
    }

    /// The filters as URL pairs (pagination keeps them).
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.clone()),
            ("location", self.location.clone()),
            ("remote", self.remote.clone()),
            ("type", self.employment_type.clone()),
            ("level", self.level.clone()),
            ("skill", self.skill.clone()),
            ("salary_min", self.salary_min.clone()),
            ("posted_within", self.posted_within.clone()),
            ("sort", self.sort.clone()),
            ("company", self.company.clone()),
        ]
    }

    fn url(&self, page: u64) -> String {
        let mut pairs = self.pairs();
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        with_query("/jobs", &pairs)
    }

    /// Whether a filter behind "More filters" is set (then it opens).
    fn more_filters(&self) -> bool {
        [
            &self.employment_type,
            &self.level,
            &self.skill,
            &self.salary_min,
            &self.posted_within,
        ]
        .iter()
        .any(|s| !s.is_empty())
            || !matches!(self.sort.as_str(), "" | "relevance")
    }

    fn page(&self) -> u64 {
        self.page.parse::<u64>().unwrap_or(1).clamp(1, 100_000)
    }

    /// The service's query; numbers that do not read as numbers are field errors here (the
    /// service checks the rest and answers with the API's messages).
    fn to_search(&self) -> Result<JobSearch, FieldErrors> {
        let mut errors = FieldErrors::default();
        // Whole units of each job's own currency: the service compares them per currency.
        let salary_at_least = match Money::parse(&self.salary_min, Currency::NONE) {
            Err(MoneyError::Empty) => None,
            Ok(m)
                if m.minor >= 0
                    && m.minor % Currency::NONE.minor_per_major() == 0
                    && m.minor / Currency::NONE.minor_per_major() <= SALARY_AT_LEAST_MAX =>
            {
                Some(m.minor / Currency::NONE.minor_per_major())
            }
            _ => {
                errors
                    .fields
                    .insert("salary_min".into(), "must be an amount, like 60000".into());
                None
            }
        };
        let posted_within = match self.posted_within.as_str() {
            "" => None,
            s => match s.parse::<u32>() {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.fields.insert(
                        "posted_within".into(),
                        "must be a whole number of days".into(),
                    );
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let opt = |s: &String| Some(s.clone()).filter(|s| !s.is_empty());
        Ok(JobSearch {
            q: opt(&self.q),
            location: opt(&self.location),
            remote: opt(&self.remote),
            employment_type: opt(&self.employment_type),
            level: opt(&self.level),
            skill: opt(&self.skill),
            company: opt(&self.company),
            salary_min: None,
            salary_at_least,
            posted_within,
            sort: opt(&self.sort),
            page: Some(self.page()),
            limit: Some(PER_PAGE),
        })
    }
}

#[derive(Template)]
#[template(path = "jobs_search.html")]
struct SearchPage<'a> {
    ctx: &'a PageCtx,
    f: SearchParams,
    errors: FieldErrors,
    searched: bool,
    jobs: Vec<JobCard>,
    total: u64,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
    /// The URL without the company filter, when there is one.
    all_companies: Option<String>,
    remotes: [(&'static str, &'static str); 4],
    types: [(&'static str, &'static str); 6],
    levels: [(&'static str, &'static str); 5],
    posted: [(&'static str, &'static str); 5],
    sorts: [(&'static str, &'static str); 3],
}

/// Service errors about query fields, keyed the way the form names them.
fn query_errors(err: &AppError) -> FieldErrors {
    let mut f = FieldErrors::from(err);
    if f.fields.is_empty() {
        return f;
    }
    f.form = Some("Some filters could not be used; check the highlighted ones.".into());
    f
}

pub async fn search(
    State(state): State<AppState>,
    Page(ctx): Page,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let f = params.map(|Query(p)| p).unwrap_or_default().trimmed();
    let now = state.clock.now();
    let mut page = SearchPage {
        ctx: &ctx,
        errors: FieldErrors::default(),
        searched: f.pairs().iter().any(|(_, v)| !v.is_empty()),
        jobs: Vec::new(),
        total: 0,
        page: 1,
        pages: 0,
        prev: None,
        next: None,
        all_companies: None,
        remotes: REMOTES,
        types: TYPES,
        levels: LEVELS,
        posted: POSTED,
        sorts: SORTS,
        f: f.clone(),
    };
    if !f.company.is_empty() {
        let mut without = f.clone();
        without.company.clear();
        page.all_companies = Some(without.url(1));
    }
    let found = match f.to_search() {
        Ok(query) => svc::list(&state, query).await,
        Err(errors) => {
            page.errors = errors;
            page.errors.form =
                Some("Some filters could not be used; check the highlighted ones.".into());
            return render(StatusCode::BAD_REQUEST, &page);
        }
    };
    match found {
        Ok(found) => {
            let p = found.pagination;
            page.jobs = found.items.iter().map(|j| JobCard::of(j, now)).collect();
            page.total = p.total;
            page.page = p.page;
            page.pages = p.pages;
            page.prev = (p.page > 1).then(|| f.url((p.page - 1).min(p.pages.max(1))));
            page.next = (p.page < p.pages).then(|| f.url(p.page + 1));
            render(StatusCode::OK, &page)
        }
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            page.errors = query_errors(&e);
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => ctx.fail(e),
    }
}

// ---- saved jobs ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageParam {
    page: String,
}

/// A saved job with when it was saved.
pub struct SavedRow {
    job: JobCard,
    saved: String,
}

#[derive(Template)]
#[template(path = "jobs_saved.html")]
struct SavedPage<'a> {
    ctx: &'a PageCtx,
    items: Vec<SavedRow>,
    total: u64,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
}

fn saved_url(page: u64) -> String {
    with_query(
        "/jobs/saved",
        &[(
            "page",
            if page > 1 {
                page.to_string()
            } else {
                String::new()
            },
        )],
    )
}

pub async fn saved(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    params: Result<Query<PageParam>, QueryRejection>,
) -> Response {
    let requested = params
        .ok()
        .and_then(|Query(p)| p.page.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let now = state.clock.now();
    let found = svc::saved(
        &state,
        &user,
        PageQuery {
            page: Some(requested),
            limit: Some(PER_PAGE),
        },
    )
    .await;
    let found = match found {
        Ok(f) => f,
        Err(e) => return ctx.fail(e),
    };
    let p = found.pagination;
    render(
        StatusCode::OK,
        &SavedPage {
            ctx: &ctx,
            items: found
                .items
                .iter()
                .map(|s| SavedRow {
                    job: JobCard::of(&s.job, now),
                    saved: ago(s.saved_at, now),
                })
                .collect(),
            total: p.total,
            page: p.page,
            pages: p.pages,
            prev: (p.page > 1).then(|| saved_url((p.page - 1).min(p.pages.max(1)))),
            next: (p.page < p.pages).then(|| saved_url(p.page + 1)),
        },
    )
}

// ---- save and unsave ----

/// Where to go back to after the button (a path on this site; otherwise the job page).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BackForm {
    back: String,
}

fn back_to(back: &str, id: &str) -> String {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back.to_owned()
    } else {
        format!("/jobs/{id}")
    }
}

pub async fn save(
    State(state): State<AppState>,
    Page(ctx): Page,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<BackForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref().map(|v| v.current.clone()) else {
        return signin_redirect(&format!("/jobs/{raw}"));
    };
    let result = match parse_id(&raw) {
        Ok(id) => svc::save(&state, &user, id).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => redirect_with_flash(
            &back_to(&f.back, &raw),
            "success",
            "Job saved. Find it again under Saved jobs.",
        ),
        Err(e) => ctx.fail(e),
    }
}

pub async fn unsave(
    State(state): State<AppState>,
    Page(ctx): Page,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<BackForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref().map(|v| v.current.clone()) else {
        return signin_redirect(&format!("/jobs/{raw}"));
    };
    let result = match parse_id(&raw) {
        Ok(id) => svc::unsave(&state, &user, id).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => redirect_with_flash(
            &back_to(&f.back, &raw),
            "success",
            "Removed from your saved jobs.",
        ),
        Err(e) => ctx.fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> SearchParams {
        let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
        serde_urlencoded::from_str::<SearchParams>(&q)
            .unwrap_or_default()
            .trimmed()
    }

    #[test]
    fn page_urls_keep_the_filters() {
        let f = params(&[("q", "rust & go"), ("remote", "remote"), ("salary_min", "")]);
        assert_eq!(f.url(1), "/jobs?q=rust+%26+go&remote=remote");
        assert_eq!(f.url(3), "/jobs?q=rust+%26+go&remote=remote&page=3");
        assert_eq!(params(&[]).url(1), "/jobs");
        assert_eq!(signin_url("/jobs/1"), "/signin?next=%2Fjobs%2F1");
    }

    #[test]
    fn numbers_are_read_or_refused() {
        let s = params(&[("salary_min", "60,000"), ("posted_within", "7")])
            .to_search()
            .ok()
            .unwrap_or_default();
        assert_eq!(
            (s.salary_at_least, s.salary_min, s.posted_within),
            (Some(60_000), None, Some(7))
        );
        for bad in ["60000.5", "-1", "1e5"] {
            assert!(params(&[("salary_min", bad)]).to_search().is_err(), "{bad}");
        }
        let e = params(&[("salary_min", "abc"), ("posted_within", "-1")])
            .to_search()
            .err()
            .unwrap_or_default();
        assert!(e.has("salary_min") && e.has("posted_within"));
        assert_eq!(params(&[("page", "x")]).page(), 1);
    }

    #[test]
    fn back_stays_on_site() {
        assert_eq!(back_to("/jobs/saved", "x"), "/jobs/saved");
        assert_eq!(back_to("//evil", "x"), "/jobs/x");
        assert_eq!(back_to("", "x"), "/jobs/x");
    }
}
