//! Settings: change password, sessions with revoke, delete account.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;
use vertechie_kernel::{AppError, AppState, CurrentUser};
use vertechie_web::{
    CsrfForm, FieldErrors, PageCtx, SignedIn, redirect_with_flash, render, set_session_cookie,
};

use super::auth::{BrowserClient, EmptyForm};
use super::{form_errors, is_form_error};
use crate::service::auth::{self as svc, ChangePasswordInput};
use crate::service::views::SessionView;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(settings))
        .route("/settings/password", post(change_password))
        .route("/settings/sessions/{id}/revoke", post(revoke_session))
        .route("/settings/delete", post(delete_account))
}

/// A session as the table shows it.
pub struct SessionRow {
    id: Uuid,
    device: String,
    user_agent: String,
    ip: String,
    created: String,
    last_used: String,
    current: bool,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// "Firefox on Linux" from a user agent; empty when nothing is recognised.
fn device(ua: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("HeadlessChrome/", "Chrome (headless)"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("reqwest", "reqwest"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => o.to_owned(),
        (None, None) => String::new(),
    }
}

impl From<SessionView> for SessionRow {
    fn from(s: SessionView) -> Self {
        let ua = s.user_agent.unwrap_or_default();
        let device = match device(&ua) {
            d if d.is_empty() && ua.is_empty() => "Unknown device".to_owned(),
            d if d.is_empty() => ua.chars().take(60).collect(),
            d => d,
        };
        Self {
            id: s.id,
            device,
            user_agent: ua,
            ip: s.ip.unwrap_or_else(|| "unknown".into()),
            created: when(s.created_at),
            last_used: when(s.last_used_at),
            current: s.current,
        }
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage<'a> {
    ctx: &'a PageCtx,
    email: String,
    sessions: Vec<SessionRow>,
    password_errors: FieldErrors,
    delete_errors: FieldErrors,
}

impl SettingsPage<'_> {
    fn others(&self) -> usize {
        self.sessions.iter().filter(|s| !s.current).count()
    }
}

async fn show(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    status: StatusCode,
    password_errors: FieldErrors,
    delete_errors: FieldErrors,
) -> Response {
    let loaded = async {
        let me = crate::service::profile::me(state, user.id).await?;
        let sessions = svc::list_sessions(state, user.id, user.session_id).await?;
        Ok::<_, AppError>((me, sessions))
    }
    .await;
    let (me, sessions) = match loaded {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    render(
        status,
        &SettingsPage {
            ctx,
            email: me.email,
            sessions: sessions.into_iter().map(SessionRow::from).collect(),
            password_errors,
            delete_errors,
        },
    )
}

pub async fn settings(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> Response {
    show(
        &state,
        &ctx,
        &user,
        StatusCode::OK,
        FieldErrors::default(),
        FieldErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    BrowserClient(client): BrowserClient,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Response {
    let input = ChangePasswordInput {
        current_password: f.current_password,
        new_password: f.new_password,
    };
    match svc::change_password(&state, user.id, user.session_id, input, &client).await {
        Ok(()) => redirect_with_flash(
            "/settings",
            "success",
            "Your password is changed. Your other devices were signed out.",
        ),
        Err(err) if is_form_error(&err) => {
            show(
                &state,
                &ctx,
                &user,
                err.status,
                form_errors(&err),
                FieldErrors::default(),
            )
            .await
        }
        Err(err) => ctx.fail(err),
    }
}

pub async fn revoke_session(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return ctx.fail(AppError::not_found("Session not found"));
    };
    if id == user.session_id.0 {
        // Revoking this browser's own session is signing out.
        if let Err(err) = svc::logout(&state, user.id, user.session_id).await {
            return ctx.fail(err);
        }
        let mut res = redirect_with_flash("/", "info", "You are signed out.");
        set_session_cookie(&state, &mut res, None);
        return res;
    }
    match svc::delete_session(&state, user.id, id).await {
        Ok(()) => redirect_with_flash(
            "/settings#sessions",
            "success",
            "That device is signed out.",
        ),
        Err(err) if err.status == StatusCode::NOT_FOUND => redirect_with_flash(
            "/settings#sessions",
            "info",
            "That session had already ended.",
        ),
        Err(err) => ctx.fail(err),
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    password: String,
}

pub async fn delete_account(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    BrowserClient(client): BrowserClient,
    CsrfForm(f): CsrfForm<DeleteForm>,
) -> Response {
    match crate::service::profile::delete_me(&state, user.id, &f.password, &client).await {
        Ok(()) => {
            let mut res = redirect_with_flash(
                "/",
                "info",
                "Your account is deleted, and you are signed out. Goodbye!",
            );
            set_session_cookie(&state, &mut res, None);
            res
        }
        Err(err) if is_form_error(&err) => {
            show(
                &state,
                &ctx,
                &user,
                err.status,
                FieldErrors::default(),
                form_errors(&err),
            )
            .await
        }
        Err(err) => ctx.fail(err),
    }
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn devices_are_named() {
        assert_eq!(
            device("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
            "Firefox on Linux"
        );
        assert_eq!(
            device(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
            ),
            "Safari on iPhone"
        );
        assert_eq!(device(""), "");
    }
}
