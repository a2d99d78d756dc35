//! `/messages/search?q=`: full-text search over the messages of the reader's rooms and direct
//! conversations, newest first, each hit linking to the conversation around it.

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;
use vertechie_kernel::AppState;
use vertechie_web::{PageCtx, SignedIn, render};

use super::sidebar::Sidebar;
use super::{is_form_error, query_value, when};
use crate::service::chat::{self, SearchQuery};

pub fn router() -> Router<AppState> {
    Router::new().route("/messages/search", get(search))
}

struct Hit {
    room_id: Uuid,
    message_id: Uuid,
    place: String,
    direct: bool,
    author: String,
    time: String,
    iso: String,
    body_html: String,
}

#[derive(Template)]
#[template(path = "messages_search.html")]
struct SearchPage<'a> {
    ctx: &'a PageCtx,
    side: Sidebar,
    q: String,
    q_param: String,
    error: Option<String>,
    searched: bool,
    hits: Vec<Hit>,
    total: u64,
    page: u64,
    pages: u64,
}

#[derive(Deserialize, Default)]
struct SearchParams {
    q: Option<String>,
    page: Option<String>,
}

async fn search(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let q = p.q.unwrap_or_default().trim().to_owned();
    let page = p
        .page
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let side = match Sidebar::load(&state, &user, None).await {
        Ok(s) => s,
        Err(e) => return ctx.fail(e),
    };
    let mut out = SearchPage {
        ctx: &ctx,
        side,
        q_param: format!("q={}&", query_value(&q)),
        error: None,
        searched: !q.is_empty(),
        hits: Vec::new(),
        total: 0,
        page,
        pages: 0,
        q,
    };
    if !out.searched {
        return render(StatusCode::OK, &out);
    }
    let found = chat::search_messages(
        &state,
        &user,
        SearchQuery {
            q: Some(out.q.clone()),
            page: Some(page),
            limit: Some(20),
        },
    )
    .await;
    let now = state.clock.now();
    match found {
        Ok(found) => {
            out.total = found.pagination.total;
            out.pages = found.pagination.pages;
            out.hits = found
                .items
                .into_iter()
                .map(|h| Hit {
                    room_id: h.room_id,
                    message_id: h.message.id,
                    direct: h.room_kind == chat::DIRECT,
                    place: h.room_name.unwrap_or_default(),
                    author: h
                        .message
                        .author
                        .map(|a| a.display_name)
                        .unwrap_or_else(|| "Deleted user".to_owned()),
                    time: when(h.message.created_at, now),
                    iso: h.message.created_at.to_rfc3339(),
                    body_html: h.message.body_html,
                })
                .collect();
            render(StatusCode::OK, &out)
        }
        Err(err) if is_form_error(&err) => {
            let status = err.status;
            out.error = Some(
                err.details
                    .first()
                    .map(|d| format!("Search: {}.", d.message))
                    .unwrap_or(err.message),
            );
            render(status, &out)
        }
        Err(err) => ctx.fail(err),
    }
}
