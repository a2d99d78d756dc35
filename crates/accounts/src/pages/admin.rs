//! Admin pages: the users list (search, filters, pagination, activation and role changes), the
//! development mail outbox and the newest audit log entries. Every rule is enforced by the
//! services; the pages only hide actions the viewer may not take.

use std::collections::HashMap;
use std::str::FromStr;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use vertechie_kernel::{AppError, AppState, CurrentUser, Role, UserId};
use vertechie_web::{CsrfForm, PageCtx, SignedIn, redirect_with_flash, render, safe_next};

use super::auth::BrowserClient;
use crate::model::user;
use crate::service::admin::{self as svc, AdminUserUpdate, UserSearch};
use crate::service::views::UserView;

/// Users per page on the users list.
const USERS_PER_PAGE: u64 = 20;
/// Mails per page in the outbox.
const MAILS_PER_PAGE: u64 = 20;
/// Audit entries shown.
const AUDIT_LIMIT: u64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin_home))
        .route("/admin/users", get(users))
        .route("/admin/users/{id}/active", post(set_active))
        .route("/admin/users/{id}/roles", post(set_roles))
        .route("/admin/outbox", get(outbox))
        .route("/admin/audit", get(audit))
}

async fn admin_home(SignedIn(ctx, user): SignedIn) -> Response {
    if let Err(e) = user.require_admin() {
        return ctx.fail(e);
    }
    Redirect::to("/admin/users").into_response()
}

// ---- users list ----

/// Query of the users list. Everything is a string so a hand-edited URL never fails to parse.
#[derive(Deserialize, Default)]
pub struct UsersQuery {
    q: Option<String>,
    role: Option<String>,
    status: Option<String>,
    page: Option<String>,
}

/// The filters as understood.
struct Filters {
    q: String,
    role: Option<Role>,
    /// "", "active" or "disabled".
    status: &'static str,
    page: u64,
}

impl Filters {
    fn from_query(q: UsersQuery) -> Self {
        Self {
            q: q.q.unwrap_or_default().trim().to_owned(),
            role: q.role.as_deref().and_then(|r| Role::from_str(r).ok()),
            status: match q.status.as_deref() {
                Some("active") => "active",
                Some("disabled") => "disabled",
                _ => "",
            },
            page: parse_page(q.page.as_deref()),
        }
    }

    fn is_active(&self) -> Option<bool> {
        match self.status {
            "active" => Some(true),
            "disabled" => Some(false),
            _ => None,
        }
    }

    fn any(&self) -> bool {
        !self.q.is_empty() || self.role.is_some() || !self.status.is_empty()
    }

    /// The list URL with these filters on page `page` (page 1 is left out).
    fn url(&self, page: u64) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            s.append_pair("q", &self.q);
        }
        if let Some(r) = self.role {
            s.append_pair("role", r.as_str());
        }
        if !self.status.is_empty() {
            s.append_pair("status", self.status);
        }
        if page > 1 {
            s.append_pair("page", &page.to_string());
        }
        let qs = s.finish();
        if qs.is_empty() {
            "/admin/users".to_owned()
        } else {
            format!("/admin/users?{qs}")
        }
    }
}

fn parse_page(p: Option<&str>) -> u64 {
    p.and_then(|p| p.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000)
}

struct RoleOption {
    value: &'static str,
    selected: bool,
}

struct RoleBox {
    value: &'static str,
    checked: bool,
    /// Shown checked but not changeable (a super admin's own super_admin role).
    locked: bool,
}

struct UserRow {
    id: String,
    name: String,
    username: String,
    email: String,
    /// (role, privileged)
    roles: Vec<(&'static str, bool)>,
    verified: bool,
    active: bool,
    joined: String,
    is_self: bool,
    can_toggle_active: bool,
    can_edit_roles: bool,
    role_boxes: Vec<RoleBox>,
}

/// What `viewer` may do to `target`, mirroring `service::admin::update_user`.
fn row_for(viewer: &CurrentUser, u: UserView) -> UserRow {
    let is_super = viewer.has_role(Role::SuperAdmin);
    let is_self = u.id == viewer.id;
    let privileged_target = u.roles.iter().any(Role::is_privileged);
    let may_edit = is_super || !privileged_target;
    let role_boxes = Role::ALL
        .iter()
        .filter(|r| is_super || !r.is_privileged())
        .map(|r| RoleBox {
            value: r.as_str(),
            checked: u.roles.contains(r),
            locked: is_self && *r == Role::SuperAdmin && u.roles.contains(r),
        })
        .collect();
    UserRow {
        id: u.id.to_string(),
        name: crate::people::display_name(u.full_name.as_deref(), &u.username),
        username: u.username.clone(),
        email: u.email.clone(),
        roles: u
            .roles
            .iter()
            .map(|r| (r.as_str(), r.is_privileged()))
            .collect(),
        verified: u.is_verified,
        active: u.is_active,
        joined: u.created_at.format("%Y-%m-%d").to_string(),
        is_self,
        can_toggle_active: may_edit && !is_self,
        can_edit_roles: may_edit,
        role_boxes,
    }
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage<'a> {
    ctx: &'a PageCtx,
    tab: &'static str,
    q: String,
    status: &'static str,
    role_options: Vec<RoleOption>,
    filtered: bool,
    rows: Vec<UserRow>,
    total: u64,
    page: u64,
    pages: u64,
    prev_url: Option<String>,
    next_url: Option<String>,
    /// This list's URL, where the row forms come back to.
    back: String,
    is_super: bool,
}

pub async fn users(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(query): Query<UsersQuery>,
) -> Response {
    if let Err(e) = user.require_admin() {
        return ctx.fail(e);
    }
    let filters = Filters::from_query(query);
    let result = svc::list_users(
        &state,
        &user,
        UserSearch {
            q: Some(filters.q.clone()).filter(|q| !q.is_empty()),
            role: filters.role,
            is_active: filters.is_active(),
            page: Some(filters.page),
            limit: Some(USERS_PER_PAGE),
        },
    )
    .await;
    let list = match result {
        Ok(l) => l,
        Err(e) => return ctx.fail(e),
    };
    let p = list.pagination;
    let prev_url = (p.page > 1).then(|| filters.url((p.page - 1).min(p.pages.max(1))));
    let next_url = (p.page < p.pages).then(|| filters.url(p.page + 1));
    let role_options = Role::ALL
        .iter()
        .map(|r| RoleOption {
            value: r.as_str(),
            selected: filters.role == Some(*r),
        })
        .collect();
    let page = UsersPage {
        ctx: &ctx,
        tab: "users",
        q: filters.q.clone(),
        status: filters.status,
        role_options,
        filtered: filters.any(),
        rows: list.items.into_iter().map(|u| row_for(&user, u)).collect(),
        total: p.total,
        page: p.page,
        pages: p.pages,
        prev_url,
        next_url,
        back: filters.url(p.page),
        is_super: user.has_role(Role::SuperAdmin),
    };
    render(StatusCode::OK, &page)
}

/// Where a row action returns to: a users list URL the form carried, or the plain list.
fn back_to(back: Option<&str>) -> String {
    let back = safe_next(back);
    let on_list = back == "/admin/users" || back.starts_with("/admin/users?");
    if on_list && back.chars().all(|c| c.is_ascii_graphic()) {
        back
    } else {
        "/admin/users".to_owned()
    }
}

/// A service refusal as a one-line message for the flash.
fn refusal(err: &AppError) -> String {
    if err.details.is_empty() {
        err.message.clone()
    } else {
        let msgs: Vec<String> = err.details.iter().map(|d| capitalize(&d.message)).collect();
        msgs.join(". ")
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn handle_update(
    ctx: &PageCtx,
    back: &str,
    result: Result<UserView, AppError>,
    ok: impl FnOnce(&UserView) -> String,
) -> Response {
    match result {
        Ok(u) => redirect_with_flash(back, "success", &ok(&u)),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::UNAUTHORIZED => {
            redirect_with_flash(back, "error", &refusal(&e))
        }
        Err(e) => ctx.fail(e),
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    active: String,
    back: Option<String>,
}

pub async fn set_active(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    BrowserClient(client): BrowserClient,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ActiveForm>,
) -> Response {
    if let Err(e) = user.require_admin() {
        return ctx.fail(e);
    }
    let Ok(target) = UserId::from_str(&id) else {
        return ctx.fail(AppError::not_found("no such user"));
    };
    let back = back_to(f.back.as_deref());
    let active = match f.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return redirect_with_flash(&back, "error", "Choose activate or deactivate."),
    };
    let result = svc::update_user(
        &state,
        &user,
        target,
        AdminUserUpdate {
            roles: None,
            is_active: Some(active),
        },
        &client,
    )
    .await;
    handle_update(&ctx, &back, result, |u| {
        if active {
            format!("@{} is active again and can sign in.", u.username)
        } else {
            format!("@{} is deactivated and signed out everywhere.", u.username)
        }
    })
}

pub async fn set_roles(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    BrowserClient(client): BrowserClient,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = user.require_admin() {
        return ctx.fail(e);
    }
    let Ok(target) = UserId::from_str(&id) else {
        return ctx.fail(AppError::not_found("no such user"));
    };
    let back = back_to(
        fields
            .iter()
            .find(|(k, _)| k == "back")
            .map(|(_, v)| v.as_str()),
    );
    let mut roles: Vec<Role> = Vec::new();
    for (k, v) in &fields {
        if k != "roles" {
            continue;
        }
        match Role::from_str(v) {
            Ok(r) if !roles.contains(&r) => roles.push(r),
            Ok(_) => {}
            Err(()) => {
                return redirect_with_flash(&back, "error", &format!("There is no role {v:?}."));
            }
        }
    }
    let result = svc::update_user(
        &state,
        &user,
        target,
        AdminUserUpdate {
            roles: Some(roles),
            is_active: None,
        },
        &client,
    )
    .await;
    handle_update(&ctx, &back, result, |u| {
        let names: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
        format!("Roles of @{}: {}.", u.username, names.join(", "))
    })
}

// ---- outbox ----

#[derive(Deserialize, Default)]
pub struct OutboxQuery {
    to: Option<String>,
    page: Option<String>,
}

/// A piece of a mail's text: plain text or a web link.
struct Segment {
    text: String,
    link: bool,
}

/// Splits text into plain runs and `http(s)://` links (up to the next whitespace, without
/// trailing punctuation). Only these schemes become links.
fn segments(text: &str) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let start = match (rest.find("http://"), rest.find("https://")) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(start) = start else {
            out.push(Segment {
                text: rest.to_owned(),
                link: false,
            });
            break;
        };
        if start > 0 {
            out.push(Segment {
                text: rest[..start].to_owned(),
                link: false,
            });
        }
        let tail = &rest[start..];
        let mut end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        while end > 0 && tail[..end].ends_with(['.', ',', ';', ':', ')', '!', '?', '"', '\'', '>'])
        {
            end -= 1;
        }
        let url = &tail[..end];
        let scheme_only = url == "http://" || url == "https://";
        out.push(Segment {
            text: url.to_owned(),
            link: !scheme_only,
        });
        rest = &tail[end..];
        if end == 0 {
            // Cannot happen (a scheme is at least 7 characters), but never loop forever.
            out.push(Segment {
                text: rest.to_owned(),
                link: false,
            });
            break;
        }
    }
    out
}

struct MailRow {
    to: String,
    subject: String,
    when: String,
    body: Vec<Segment>,
    has_html: bool,
}

#[derive(Template)]
#[template(path = "admin_outbox.html")]
struct OutboxPage<'a> {
    ctx: &'a PageCtx,
    tab: &'static str,
    to: String,
    mails: Vec<MailRow>,
    page: u64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

fn outbox_url(to: &str, page: u64) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    if !to.is_empty() {
        s.append_pair("to", to);
    }
    if page > 1 {
        s.append_pair("page", &page.to_string());
    }
    let qs = s.finish();
    if qs.is_empty() {
        "/admin/outbox".to_owned()
    } else {
        format!("/admin/outbox?{qs}")
    }
}

pub async fn outbox(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Query(q): Query<OutboxQuery>,
) -> Response {
    let to = q.to.unwrap_or_default().trim().to_lowercase();
    let page = parse_page(q.page.as_deref());
    let offset = (page - 1).saturating_mul(MAILS_PER_PAGE);
    // One more than a page tells whether there is a next page.
    let mut mails = match crate::service::admin::outbox(
        &state,
        &user,
        Some(to.as_str()),
        MAILS_PER_PAGE + 1,
        offset,
    )
    .await
    {
        Ok(m) => m,
        Err(e) => return ctx.fail(e),
    };
    let has_next = mails.len() as u64 > MAILS_PER_PAGE;
    mails.truncate(MAILS_PER_PAGE as usize);
    let rows = mails
        .into_iter()
        .map(|m| MailRow {
            body: segments(&m.body_text),
            has_html: m.body_html.is_some(),
            to: m.to_addr,
            subject: m.subject,
            when: m.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect();
    render(
        StatusCode::OK,
        &OutboxPage {
            ctx: &ctx,
            tab: "outbox",
            prev_url: (page > 1).then(|| outbox_url(&to, page - 1)),
            next_url: has_next.then(|| outbox_url(&to, page + 1)),
            to,
            mails: rows,
            page,
        },
    )
}

// ---- audit log ----

struct AuditRow {
    when: String,
    action: String,
    actor: String,
    target: String,
    details: String,
    ip: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage<'a> {
    ctx: &'a PageCtx,
    tab: &'static str,
    rows: Vec<AuditRow>,
    limit: u64,
}

pub async fn audit(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> Response {
    if let Err(e) = user.require_admin() {
        return ctx.fail(e);
    }
    let records = match vertechie_kernel::audit::recent(&state.db, AUDIT_LIMIT).await {
        Ok(r) => r,
        Err(e) => return ctx.fail(e.into()),
    };
    // Usernames of the people involved, in one query.
    let mut ids: Vec<uuid::Uuid> = records.iter().filter_map(|r| r.actor_id).collect();
    ids.extend(
        records
            .iter()
            .filter(|r| r.target_type == "user")
            .filter_map(|r| r.target_id.as_deref())
            .filter_map(|t| uuid::Uuid::parse_str(t).ok()),
    );
    ids.sort();
    ids.dedup();
    let names: HashMap<uuid::Uuid, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        match user::Entity::find()
            .filter(user::Column::Id.is_in(ids))
            .all(&state.db)
            .await
        {
            Ok(users) => users.into_iter().map(|u| (u.id, u.username)).collect(),
            Err(e) => return ctx.fail(e.into()),
        }
    };
    let who = |id: uuid::Uuid| {
        names
            .get(&id)
            .map(|n| format!("@{n}"))
            .unwrap_or_else(|| id.to_string())
    };
    let rows = records
        .into_iter()
        .map(|r| {
            let target = match (&r.target_id, r.target_type.as_str()) {
                (Some(t), "user") => match uuid::Uuid::parse_str(t) {
                    Ok(id) => who(id),
                    Err(_) => t.clone(),
                },
                (Some(t), kind) => format!("{kind} {t}"),
                (None, kind) => kind.to_owned(),
            };
            AuditRow {
                when: r.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                actor: r.actor_id.map(who).unwrap_or_else(|| "system".to_owned()),
                action: r.action,
                target,
                details: if r.details == "{}" || r.details == "null" {
                    String::new()
                } else {
                    r.details
                },
                ip: r.ip.unwrap_or_default(),
            }
        })
        .collect();
    render(
        StatusCode::OK,
        &AuditPage {
            ctx: &ctx,
            tab: "audit",
            rows,
            limit: AUDIT_LIMIT,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_segments(text: &str) -> Vec<(String, bool)> {
        segments(text)
            .into_iter()
            .map(|s| (s.text, s.link))
            .collect()
    }

    #[test]
    fn links_in_mail_text() {
        assert_eq!(
            render_segments("Open http://x.test/verify?token=ab_1. Thanks"),
            vec![
                ("Open ".to_owned(), false),
                ("http://x.test/verify?token=ab_1".to_owned(), true),
                (". Thanks".to_owned(), false),
            ]
        );
        assert_eq!(
            render_segments("no links"),
            vec![("no links".to_owned(), false)]
        );
        assert_eq!(
            render_segments("https://"),
            vec![("https://".to_owned(), false)]
        );
        assert_eq!(
            render_segments("javascript:alert(1) <https://a.test/x>"),
            vec![
                ("javascript:alert(1) <".to_owned(), false),
                ("https://a.test/x".to_owned(), true),
                (">".to_owned(), false),
            ]
        );
    }

    #[test]
    fn back_targets_stay_on_the_users_list() {
        assert_eq!(
            back_to(Some("/admin/users?q=ada&page=2")),
            "/admin/users?q=ada&page=2"
        );
        assert_eq!(back_to(Some("/settings")), "/admin/users");
        assert_eq!(back_to(Some("//evil.example")), "/admin/users");
        assert_eq!(back_to(Some("/admin/users?q=a\r\nX: y")), "/admin/users");
        assert_eq!(back_to(None), "/admin/users");
    }

    #[test]
    fn filter_urls_keep_the_filters() {
        let f = Filters::from_query(UsersQuery {
            q: Some(" ada lovelace ".into()),
            role: Some("mentor".into()),
            status: Some("disabled".into()),
            page: Some("3".into()),
        });
        assert_eq!(
            f.url(2),
            "/admin/users?q=ada+lovelace&role=mentor&status=disabled&page=2"
        );
        let none = Filters::from_query(UsersQuery {
            role: Some("pope".into()),
            status: Some("weird".into()),
            page: Some("-1".into()),
            ..Default::default()
        });
        assert_eq!(
            (none.url(none.page), none.any()),
            ("/admin/users".to_owned(), false)
        );
    }
}
