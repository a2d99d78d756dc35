//! `/messages/scheduled`: the reader's messages waiting to be sent (soonest first) with where
//! they go, cancelling one, and the latest that could not be sent with why. Messages are scheduled from the composer's "Send later".

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;
use vertechie_kernel::AppState;
use vertechie_web::{CsrfForm, PageCtx, SignedIn, redirect_with_flash, render};

use super::sidebar::Sidebar;
use super::{excerpt, is_form_error, parse_id, when};
use crate::service::chat::{self, ScheduledFilter, ScheduledQuery};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages/scheduled", get(list))
        .route("/messages/scheduled/{id}/cancel", post(cancel))
}

const PER_PAGE: u64 = 20;
/// Failed messages shown under the pending ones.
const FAILED_SHOWN: u64 = 10;
const EXCERPT_CHARS: usize = 200;

struct Row {
    id: Uuid,
    /// "#General", "Ada Lovelace", or "a room you can no longer see".
    to: String,
    /// The conversation, when the reader can still open it.
    link: Option<String>,
    text: String,
    files: usize,
    time: String,
    iso: String,
    /// Why it was not sent (failed ones).
    error: String,
}

#[derive(Template)]
#[template(path = "messages_scheduled.html")]
struct ScheduledPage<'a> {
    ctx: &'a PageCtx,
    side: Sidebar,
    rows: Vec<Row>,
    failed: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
}

#[derive(Deserialize, Default)]
struct ListParams {
    page: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Response {
    let page = params
        .ok()
        .and_then(|Query(p)| p.page)
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let found = match chat::list_scheduled(
        &state,
        &user,
        ScheduledQuery {
            status: Some(ScheduledFilter::Pending),
            page: Some(page),
            limit: Some(PER_PAGE),
        },
    )
    .await
    {
        Ok(f) => f,
        Err(e) => return ctx.fail(e),
    };
    // The latest messages that could not be sent, with why (on the first page only).
    let failed = if page == 1 {
        match chat::list_scheduled(
            &state,
            &user,
            ScheduledQuery {
                status: Some(ScheduledFilter::Failed),
                page: Some(1),
                limit: Some(FAILED_SHOWN),
            },
        )
        .await
        {
            Ok(f) => f.items,
            Err(e) => return ctx.fail(e),
        }
    } else {
        Vec::new()
    };
    // Room names, once per room of this page (a room the reader left may be private now).
    let mut rooms: HashMap<Uuid, Option<String>> = HashMap::new();
    for id in found.items.iter().chain(&failed).filter_map(|s| s.room_id) {
        if let std::collections::hash_map::Entry::Vacant(e) = rooms.entry(id) {
            e.insert(
                chat::get_room(&state, &user, id)
                    .await
                    .ok()
                    .map(|r| r.name.unwrap_or_default()),
            );
        }
    }
    let now = state.clock.now();
    let to_row = |s: chat::ScheduledView| {
        let (to, link) = match (&s.recipient, s.room_id) {
            (Some(u), _) => (
                u.display_name.clone(),
                Some(format!("/messages/direct/{}", u.id)),
            ),
            (None, Some(r)) => match rooms.get(&r).cloned().flatten() {
                Some(name) => (format!("#{name}"), Some(format!("/messages/rooms/{r}"))),
                None => ("a room you can no longer see".to_owned(), None),
            },
            (None, None) => ("nobody".to_owned(), None),
        };
        Row {
            id: s.id,
            to,
            link,
            text: excerpt(&s.body, EXCERPT_CHARS),
            files: s.attachments.len(),
            time: format!("{} UTC", when(s.send_at, now)),
            iso: s.send_at.to_rfc3339(),
            error: s.error.unwrap_or_default(),
        }
    };
    let rows = found.items.into_iter().map(to_row).collect();
    let failed: Vec<Row> = failed.into_iter().map(to_row).collect();
    let side = match Sidebar::load(&state, &user, None).await {
        Ok(s) => s,
        Err(e) => return ctx.fail(e),
    };
    render(
        StatusCode::OK,
        &ScheduledPage {
            ctx: &ctx,
            side,
            rows,
            failed,
            total: found.pagination.total,
            page: found.pagination.page,
            pages: found.pagination.pages,
        },
    )
}

#[derive(Deserialize, Default)]
struct NoFields {}

/// Cancels one of the reader's pending messages (others' are the 404 page).
async fn cancel(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(_f): CsrfForm<NoFields>,
) -> Response {
    let id = match parse_id(&id, "Scheduled message") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    match chat::cancel_scheduled(&state, &user, id).await {
        Ok(()) => redirect_with_flash(
            "/messages/scheduled",
            "success",
            "The message was cancelled and will not be sent.",
        ),
        Err(err) if is_form_error(&err) => {
            redirect_with_flash("/messages/scheduled", "error", &err.message)
        }
        Err(err) => ctx.fail(err),
    }
}
