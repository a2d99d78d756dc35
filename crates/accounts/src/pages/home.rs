//! The start page: landing for visitors, dashboard for signed-in people.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vertechie_kernel::AppState;
use vertechie_web::{Page, PageCtx, SignedIn, render};

use crate::service::discovery::{Completeness, completeness};
use crate::service::views::UserView;

pub async fn index(Page(ctx): Page) -> Response {
    if ctx.signed_in() {
        Redirect::to("/dashboard").into_response()
    } else {
        vertechie_web::landing(&ctx)
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard<'a> {
    ctx: &'a PageCtx,
    me: UserView,
    done: Completeness,
    first_name: String,
}

pub async fn dashboard(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> Response {
    let me = match crate::service::profile::me(&state, user.id).await {
        Ok(m) => m,
        Err(e) => return ctx.fail(e),
    };
    let done = match completeness(&state, user.id).await {
        Ok(c) => c,
        Err(e) => return ctx.fail(e),
    };
    let first_name = me
        .full_name
        .as_deref()
        .and_then(|n| n.split_whitespace().next())
        .unwrap_or(&me.username)
        .to_owned();
    render(
        StatusCode::OK,
        &Dashboard {
            ctx: &ctx,
            me,
            done,
            first_name,
        },
    )
}
