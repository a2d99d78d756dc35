//! Public search over open jobs.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;
use vertechie_kernel::text::clean;
use vertechie_kernel::{AppError, AppResult, AppState, FieldError, Page, PageQuery};

use crate::model::job;
use crate::service::matching;
use crate::service::search::{self, JobQuery, Sort};
use crate::service::search_cache::SearchCache;

use super::rules::clean_lower;
use super::views::views;
use super::{EMPLOYMENT_TYPES, JobSearch, JobView, LEVELS, REMOTE, SALARY_AT_LEAST_MAX};

fn bad_query(field: &str, msg: impl Into<String>) -> AppError {
    let mut e = AppError::bad_request("INVALID_QUERY", "Invalid query parameters");
    e.details = vec![FieldError::new(field, msg)];
    e
}

fn query_enum(field: &str, value: Option<&str>, allowed: &[&str]) -> AppResult<Option<String>> {
    match value.and_then(clean_lower) {
        None => Ok(None),
        Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v)),
        Some(_) => Err(bad_query(
            field,
            format!("must be one of {}", allowed.join(", ")),
        )),
    }
}

/// Public search over open jobs, through this instance's [`SearchCache`].
pub async fn list(state: &AppState, s: JobSearch) -> AppResult<Page<JobView>> {
    SearchCache::get_or_read(state, &s, || search_jobs(state, &s)).await
}

async fn search_jobs(state: &AppState, s: &JobSearch) -> AppResult<Page<JobView>> {
    let now = state.clock.now();
    let page = PageQuery {
        page: s.page,
        limit: s.limit,
    };
    let sort = match s.sort.as_deref().and_then(clean_lower).as_deref() {
        None | Some("relevance") => Sort::Relevance,
        Some("newest") => Sort::Newest,
        Some("salary") => Sort::Salary,
        Some(_) => {
            return Err(bad_query(
                "sort",
                "must be one of relevance, newest, salary",
            ));
        }
    };
    let company = s.company.as_deref().and_then(clean);
    let (company_id, company_slug) = match company {
        None => (None, None),
        Some(c) => match Uuid::parse_str(&c) {
            Ok(id) => (Some(id), None),
            Err(_) => (None, Some(c.to_lowercase())),
        },
    };
    if s.salary_min.is_some_and(|x| x < 0) {
        return Err(bad_query("salary_min", "must not be negative"));
    }
    if s.salary_at_least
        .is_some_and(|x| !(0..=SALARY_AT_LEAST_MAX).contains(&x))
    {
        return Err(bad_query(
            "salary_at_least",
            "must be between 0 and 1000000000000",
        ));
    }
    let query = JobQuery {
        terms: search::fts_terms(s.q.as_deref().unwrap_or_default()),
        location: s.location.as_deref().and_then(clean_lower),
        remote: query_enum("remote", s.remote.as_deref(), &REMOTE)?,
        employment_type: query_enum("type", s.employment_type.as_deref(), &EMPLOYMENT_TYPES)?,
        experience_level: query_enum("level", s.level.as_deref(), &LEVELS)?,
        skill_key: s
            .skill
            .as_deref()
            .and_then(clean)
            .map(|k| matching::canonical_skill(&k)),
        company_id,
        company_slug,
        salary_min: s.salary_min,
        salary_at_least: s.salary_at_least,
        posted_since: s
            .posted_within
            .map(|d| now - Duration::days(i64::from(d.min(36_500)))),
        now,
        sort,
        limit: page.limit(),
        offset: page.offset(),
    };
    let (ids, total) = search::search(&state.db, &query).await?;
    let rows = job::Entity::find()
        .filter(job::Column::Id.is_in(ids.clone()))
        .all(&state.db)
        .await?;
    let ordered: Vec<job::Model> = ids
        .iter()
        .filter_map(|id| rows.iter().find(|r| r.id == *id).cloned())
        .collect();
    let items = views(&state.db, &ordered, now).await?;
    Ok(Page::new(items, total, &page))
}
