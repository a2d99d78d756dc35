//! Finding people: `/search?q=&page=`.

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use vertechie_kernel::AppState;
use vertechie_web::{Page, PageCtx, render};

use super::profile::{experience_label, initials};
use crate::service::discovery::{PeopleQuery, search_people};

pub const PER_PAGE: u64 = 20;

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

/// Query parameters as typed; anything unreadable falls back to the defaults.
#[derive(Deserialize, Default)]
pub struct SearchParams {
    q: Option<String>,
    page: Option<String>,
}

/// A person in the results.
pub struct PersonRow {
    username: String,
    name: String,
    initials: String,
    track: Option<String>,
    level: &'static str,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    ctx: &'a PageCtx,
    q: String,
    people: Vec<PersonRow>,
    total: u64,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
}

/// `/search?q=…&page=n` (no `q` when empty, no `page` for the first).
fn page_url(q: &str, page: u64) -> String {
    let mut params = form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        params.append_pair("q", q);
    }
    if page > 1 {
        params.append_pair("page", &page.to_string());
    }
    let params = params.finish();
    if params.is_empty() {
        "/search".into()
    } else {
        format!("/search?{params}")
    }
}

pub async fn search(
    State(state): State<AppState>,
    Page(ctx): Page,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let q: String = params
        .q
        .as_deref()
        .unwrap_or("")
        .trim()
        .chars()
        .take(100)
        .collect();
    let page = params
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let found = search_people(
        &state,
        PeopleQuery {
            q: Some(q.clone()).filter(|q| !q.is_empty()),
            page: Some(page),
            limit: Some(PER_PAGE),
        },
    )
    .await;
    let found = match found {
        Ok(f) => f,
        Err(e) => return ctx.fail(e),
    };
    let p = found.pagination;
    let people = found
        .items
        .into_iter()
        .map(|s| {
            let name = crate::people::display_name(s.full_name.as_deref(), &s.username);
            PersonRow {
                initials: initials(&name),
                name,
                username: s.username,
                track: s.preferred_career_track,
                level: s
                    .experience_level
                    .as_deref()
                    .map(experience_label)
                    .unwrap_or(""),
            }
        })
        .collect();
    render(
        StatusCode::OK,
        &SearchPage {
            ctx: &ctx,
            prev: (p.page > 1).then(|| page_url(&q, (p.page - 1).min(p.pages.max(1)))),
            next: (p.page < p.pages).then(|| page_url(&q, p.page + 1)),
            q,
            people,
            total: p.total,
            page: p.page,
            pages: p.pages,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::page_url;

    #[test]
    fn page_urls_encode_the_query() {
        assert_eq!(page_url("", 1), "/search");
        assert_eq!(page_url("", 2), "/search?page=2");
        assert_eq!(page_url("a&b c", 3), "/search?q=a%26b+c&page=3");
    }
}
