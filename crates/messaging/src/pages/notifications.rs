//! `/notifications` (the list, all or unread, marking one or all read, opening one) and
//! `/settings/notifications` (the channel per kind of notification).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;
use vertechie_kernel::AppState;
use vertechie_web::{
    CsrfForm, FieldErrors, PageCtx, SignedIn, redirect_with_flash, render, safe_next,
};

use super::{is_form_error, parse_id, when};
use crate::service::notifications::{self as svc, DEFAULT_CHANNEL, NotificationQuery, Preferences};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read-all", post(read_all))
        .route("/notifications/{id}/read", post(read_one))
        .route(
            "/settings/notifications",
            get(preferences).post(save_preferences),
        )
}

/// The kinds of notification the platform sends today, as the preferences page explains them.
pub(super) const KINDS: [(&str, &str, &str); 4] = [
    (
        "chat.mention",
        "Mentions",
        "Someone mentions you with @username in a room or a direct message.",
    ),
    (
        "chat.added",
        "Added to a room",
        "Someone adds you to a room.",
    ),
    (
        "hiring.new_application",
        "New applications",
        "Someone applies to a job of a company you hire for.",
    ),
    (
        "hiring.status_changed",
        "Application updates",
        "One of your applications moves to another stage or is rejected.",
    ),
];

const CHANNEL_LABELS: [(&str, &str); 4] = [
    ("both", "In the app and by email"),
    ("in_app", "In the app only"),
    ("email", "By email only"),
    ("none", "Off"),
];

struct Row {
    id: Uuid,
    title: String,
    body: String,
    link: Option<String>,
    read: bool,
    time: String,
    iso: String,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    rows: Vec<Row>,
    unread_only: bool,
    unread_count: u64,
    page: u64,
    pages: u64,
    /// This page's path and query, where the forms come back to.
    here: String,
}

#[derive(Deserialize, Default)]
struct ListParams {
    unread: Option<String>,
    page: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Response {
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let unread_only = matches!(p.unread.as_deref(), Some("true" | "1" | "on"));
    let page = p
        .page
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let found = match svc::list(
        &state,
        &user,
        NotificationQuery {
            unread: Some(unread_only),
            page: Some(page),
            limit: Some(20),
        },
    )
    .await
    {
        Ok(f) => f,
        Err(e) => return ctx.fail(e),
    };
    let now = state.clock.now();
    let mut here = String::from("/notifications");
    match (unread_only, page > 1) {
        (true, true) => here.push_str(&format!("?unread=true&page={page}")),
        (true, false) => here.push_str("?unread=true"),
        (false, true) => here.push_str(&format!("?page={page}")),
        (false, false) => {}
    }
    render(
        StatusCode::OK,
        &ListPage {
            ctx: &ctx,
            rows: found
                .items
                .into_iter()
                .map(|n| Row {
                    id: n.id,
                    title: n.title,
                    body: n.body,
                    // Only links on this site are followed.
                    link: n.link.filter(|l| safe_next(Some(l)) == *l),
                    read: n.read,
                    time: when(n.created_at, now),
                    iso: n.created_at.to_rfc3339(),
                })
                .collect(),
            unread_only,
            unread_count: found.unread_count,
            page: found.pagination.page,
            pages: found.pagination.pages,
            here,
        },
    )
}

#[derive(Deserialize, Default)]
struct ReadForm {
    /// Where to go next: the notification's link ("Open") or back to the list.
    #[serde(default)]
    next: Option<String>,
}

async fn read_one(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ReadForm>,
) -> Response {
    let id = match parse_id(&id, "Notification") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    match svc::mark_read(&state, &user, id).await {
        Ok(_) => {
            let next = f
                .next
                .as_deref()
                .map(|n| safe_next(Some(n)))
                .unwrap_or_else(|| "/notifications".to_owned());
            Redirect::to(&next).into_response()
        }
        Err(e) => ctx.fail(e),
    }
}

async fn read_all(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    CsrfForm(f): CsrfForm<ReadForm>,
) -> Response {
    match svc::mark_all_read(&state, &user).await {
        Ok(done) => {
            let next = f
                .next
                .as_deref()
                .map(|n| safe_next(Some(n)))
                .unwrap_or_else(|| "/notifications".to_owned());
            let message = match done.updated {
                0 => "Nothing was unread.".to_owned(),
                1 => "1 notification marked as read.".to_owned(),
                n => format!("{n} notifications marked as read."),
            };
            redirect_with_flash(&next, "success", &message)
        }
        Err(e) => ctx.fail(e),
    }
}

// ---- preferences ----

struct KindRow {
    kind: &'static str,
    label: &'static str,
    hint: &'static str,
    channel: String,
    /// The kind's id as an HTML id (`chat-mention`).
    slug: String,
}

#[derive(Template)]
#[template(path = "notification_settings.html")]
struct PreferencesPage<'a> {
    ctx: &'a PageCtx,
    kinds: Vec<KindRow>,
    channels: &'static [(&'static str, &'static str)],
    errors: FieldErrors,
}

fn kind_rows(chosen: &HashMap<String, String>) -> Vec<KindRow> {
    KINDS
        .iter()
        .map(|(kind, label, hint)| KindRow {
            kind,
            label,
            hint,
            channel: chosen
                .get(*kind)
                .cloned()
                .unwrap_or_else(|| DEFAULT_CHANNEL.to_owned()),
            slug: kind.replace(['.', '_'], "-"),
        })
        .collect()
}

async fn preferences(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> Response {
    match svc::preferences(&state, &user).await {
        Ok(p) => render(
            StatusCode::OK,
            &PreferencesPage {
                ctx: &ctx,
                kinds: kind_rows(&p.0.into_iter().collect()),
                channels: &CHANNEL_LABELS,
                errors: FieldErrors::default(),
            },
        ),
        Err(e) => ctx.fail(e),
    }
}

/// Saves the channel of every kind on the page; kinds set elsewhere (through the API) are kept.
async fn save_preferences(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Response {
    let mut all = match svc::preferences(&state, &user).await {
        Ok(p) => p.0,
        Err(e) => return ctx.fail(e),
    };
    for (kind, _, _) in KINDS {
        if let Some(channel) = form.get(kind) {
            all.insert(kind.to_owned(), channel.trim().to_owned());
        }
    }
    match svc::set_preferences(&state, &user, Preferences(all.clone())).await {
        Ok(_) => redirect_with_flash(
            "/settings/notifications",
            "success",
            "Your notification settings are saved.",
        ),
        Err(err) if is_form_error(&err) => render(
            err.status,
            &PreferencesPage {
                ctx: &ctx,
                errors: FieldErrors::from(&err),
                kinds: kind_rows(&all.into_iter().collect()),
                channels: &CHANNEL_LABELS,
            },
        ),
        Err(err) => ctx.fail(err),
    }
}
