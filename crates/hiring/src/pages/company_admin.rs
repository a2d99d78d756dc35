//! The company side's home: the hiring dashboard (`/hiring`), creating a company, and a
//! company's settings and members. Every rule lives in the services; the pages hide the forms
//! a role may not use and show the services' refusals next to the form they are about.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;
use vertechie_accounts::people;
use vertechie_kernel::{AppError, AppState, CurrentUser, Patch};
use vertechie_web::{CsrfForm, FieldErrors, PageCtx, SignedIn, redirect_with_flash, render};

use crate::service::applications::{self as apps, StuckQuery};
use crate::service::companies::{
    self as svc, CompanyCreate, CompanyUpdate, CompanyView, SIZES, companies_of,
};
use crate::service::jobs::{self as jobs_svc, EDITORS};
use crate::service::members::{self, MemberInput, MemberView};
use crate::service::{CompanyRole, role_in};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hiring", get(dashboard))
        .route("/hiring/companies/new", get(new_form).post(create))
        .route("/hiring/companies/{id}", get(settings).post(update))
        .route("/hiring/companies/{id}/members", post(add_member))
        .route(
            "/hiring/companies/{id}/members/{user_id}",
            post(change_role),
        )
        .route(
            "/hiring/companies/{id}/members/{user_id}/remove",
            post(remove_member),
        )
}

// ---- helpers shared by the company-side pages ----

pub(super) use vertechie_web::{is_form_error, parse_id};

/// "21 Nov 2026".
pub(super) fn day(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y").to_string()
}

/// "full_time" → "Full time".
pub(super) fn humanize(s: &str) -> String {
    let s = s.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The first value of a field in a raw form.
pub(super) fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// What a role may do, as the company pages phrase it.
fn role_label(r: CompanyRole) -> &'static str {
    match r {
        CompanyRole::Owner => "Owner",
        CompanyRole::Admin => "Admin",
        CompanyRole::Recruiter => "Recruiter",
        CompanyRole::Interviewer => "Interviewer",
    }
}

// ---- dashboard ----

struct StuckRow {
    id: Uuid,
    name: String,
    stage: String,
    days: i64,
}

struct JobRow {
    id: Uuid,
    title: String,
    status: String,
    status_label: String,
    active: u64,
    total: u64,
    stale: bool,
    created: String,
    stuck_after_days: i32,
    stuck: Vec<StuckRow>,
}

struct CompanyBlock {
    id: Uuid,
    name: String,
    slug: String,
    verified: bool,
    role: &'static str,
    /// Owners and admins: settings and members.
    manage: bool,
    /// Owners, admins and recruiters: post and edit jobs.
    edit_jobs: bool,
    jobs: Vec<JobRow>,
}

#[derive(Template)]
#[template(path = "hiring_dashboard.html")]
struct DashboardPage<'a> {
    ctx: &'a PageCtx,
    companies: Vec<CompanyBlock>,
}

async fn dashboard(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> Response {
    match load_dashboard(&state, &user).await {
        Ok(companies) => render(
            StatusCode::OK,
            &DashboardPage {
                ctx: &ctx,
                companies,
            },
        ),
        Err(e) => ctx.fail(e),
    }
}

async fn load_dashboard(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Vec<CompanyBlock>, AppError> {
    let mut out = Vec::new();
    for (c, role) in companies_of(&state.db, user.id).await? {
        let mut rows = Vec::new();
        for cj in jobs_svc::company_jobs(state, user, c.id).await? {
            let j = cj.job;
            // Drafts have no applications; closed jobs no longer move.
            let stuck = if j.status == "open" {
                apps::stuck(state, user, j.id, StuckQuery::default())
                    .await?
                    .into_iter()
                    .map(|a| StuckRow {
                        id: a.id,
                        name: a.candidate.display_name.clone(),
                        stage: a.stage.name,
                        days: a.days_in_stage,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            rows.push(JobRow {
                id: j.id,
                status_label: humanize(&j.status),
                status: j.status,
                title: j.title,
                active: cj.active,
                total: cj.total,
                stale: j.stale,
                created: day(j.created_at),
                stuck_after_days: j.stuck_after_days.unwrap_or(7),
                stuck,
            });
        }
        out.push(CompanyBlock {
            id: c.id,
            name: c.name,
            slug: c.slug,
            verified: c.verified,
            role: role_label(role),
            manage: CompanyRole::MANAGERS.contains(&role),
            edit_jobs: EDITORS.contains(&role),
            jobs: rows,
        });
    }
    Ok(out)
}

// ---- the company form ----

/// The company fields as typed (everything a string so the form always parses).
#[derive(Deserialize, Default)]
pub struct CompanyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    size: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    about: String,
    #[serde(default)]
    logo_url: String,
}

impl CompanyForm {
    fn of(c: &CompanyView) -> Self {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        Self {
            name: c.name.clone(),
            slug: c.slug.clone(),
            website: s(&c.website),
            size: s(&c.size),
            industry: s(&c.industry),
            location: s(&c.location),
            about: s(&c.about),
            logo_url: s(&c.logo_url),
        }
    }

    fn to_create(&self) -> CompanyCreate {
        let o = |s: &String| Some(s.clone());
        CompanyCreate {
            name: o(&self.name),
            slug: o(&self.slug),
            logo_url: o(&self.logo_url),
            website: o(&self.website),
            size: o(&self.size),
            industry: o(&self.industry),
            location: o(&self.location),
            about: o(&self.about),
        }
    }

    fn to_update(&self) -> CompanyUpdate {
        let o = |s: &String| Patch::Value(s.clone());
        CompanyUpdate {
            name: o(&self.name),
            slug: o(&self.slug),
            logo_url: o(&self.logo_url),
            website: o(&self.website),
            size: o(&self.size),
            industry: o(&self.industry),
            location: o(&self.location),
            about: o(&self.about),
        }
    }
}

/// Field errors for the company form; a taken slug lands on the slug field.
fn company_errors(err: &AppError) -> FieldErrors {
    match err.code {
        "SLUG_TAKEN" => FieldErrors::field("slug", err.message.clone()),
        _ => FieldErrors::from(err),
    }
}

#[derive(Template)]
#[template(path = "hiring_company_new.html")]
struct NewCompanyPage<'a> {
    ctx: &'a PageCtx,
    f: CompanyForm,
    errors: FieldErrors,
    sizes: &'static [&'static str],
}

async fn new_form(SignedIn(ctx, _user): SignedIn) -> Response {
    render(
        StatusCode::OK,
        &NewCompanyPage {
            ctx: &ctx,
            f: CompanyForm::default(),
            errors: FieldErrors::default(),
            sizes: &SIZES,
        },
    )
}

async fn create(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    CsrfForm(f): CsrfForm<CompanyForm>,
) -> Response {
    match svc::create(&state, &user, f.to_create()).await {
        Ok(c) => redirect_with_flash(
            &format!("/hiring/companies/{}", c.id),
            "success",
            &format!("{} is created, and you are its owner.", c.name),
        ),
        Err(err) if is_form_error(&err) => render(
            err.status,
            &NewCompanyPage {
                ctx: &ctx,
                errors: company_errors(&err),
                f,
                sizes: &SIZES,
            },
        ),
        Err(err) => ctx.fail(err),
    }
}

// ---- company settings and members ----

struct MemberRow {
    user_id: Uuid,
    username: String,
    name: String,
    role: &'static str,
    role_value: &'static str,
    joined: String,
    is_self: bool,
    /// Managers change roles; only owners touch an owner's.
    can_change: bool,
    /// Managers remove members (owners only by owners); anyone may leave.
    can_remove: bool,
}

/// The add-member form as typed.
#[derive(Deserialize, Default)]
pub struct AddMemberForm {
    /// A username (with or without @) or an email address.
    #[serde(default)]
    who: String,
    #[serde(default)]
    role: String,
}

#[derive(Deserialize, Default)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

#[derive(Template)]
#[template(path = "hiring_company.html")]
struct CompanyPage<'a> {
    ctx: &'a PageCtx,
    company: CompanyView,
    role: &'static str,
    manage: bool,
    members: Vec<MemberRow>,
    /// The roles the viewer may hand out (value, label).
    assignable: Vec<(&'static str, &'static str)>,
    f: CompanyForm,
    errors: FieldErrors,
    add: AddMemberForm,
    add_errors: FieldErrors,
    /// A refused role change or removal.
    member_errors: FieldErrors,
    sizes: &'static [&'static str],
}

/// What a re-rendered company page carries over from a refused form.
#[derive(Default)]
struct CompanyForms {
    edit: Option<CompanyForm>,
    errors: FieldErrors,
    add: AddMemberForm,
    add_errors: FieldErrors,
    member_errors: FieldErrors,
}

/// A refusal as a non-member should see it: a company's private pages do not exist for them.
pub(super) async fn hide_from_outsiders(
    state: &AppState,
    company_id: Uuid,
    user: &CurrentUser,
    err: AppError,
) -> AppError {
    if err.status == StatusCode::FORBIDDEN
        && matches!(role_in(&state.db, company_id, user.id).await, Ok(None))
    {
        return AppError::not_found("Company not found");
    }
    err
}

async fn show_company(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: Uuid,
    status: StatusCode,
    forms: CompanyForms,
) -> Response {
    let loaded = async {
        let company = svc::get(state, id).await?;
        // Members only (the service refuses everyone else).
        let list = match members::list(state, user, id).await {
            Ok(l) => l,
            Err(e) => return Err(hide_from_outsiders(state, id, user, e).await),
        };
        Ok((company, list))
    }
    .await;
    let (company, list) = match loaded {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let Some(me) = list.iter().find(|m| m.user_id == user.id.0).map(|m| m.role) else {
        return ctx.fail(AppError::not_found("Company not found"));
    };
    let manage = CompanyRole::MANAGERS.contains(&me);
    let assignable = CompanyRole::ALL
        .into_iter()
        .filter(|r| me == CompanyRole::Owner || *r != CompanyRole::Owner)
        .map(|r| (r.as_str(), role_label(r)))
        .collect();
    let members = list
        .iter()
        .map(|m: &MemberView| {
            let may_touch = manage && (m.role != CompanyRole::Owner || me == CompanyRole::Owner);
            let is_self = m.user_id == user.id.0;
            MemberRow {
                user_id: m.user_id,
                username: m.username.clone(),
                name: m.display_name.clone(),
                role: role_label(m.role),
                role_value: m.role.as_str(),
                joined: day(m.joined_at),
                is_self,
                can_change: may_touch,
                can_remove: may_touch || is_self,
            }
        })
        .collect();
    let f = forms.edit.unwrap_or_else(|| CompanyForm::of(&company));
    render(
        status,
        &CompanyPage {
            ctx,
            role: role_label(me),
            manage,
            members,
            assignable,
            f,
            errors: forms.errors,
            add: forms.add,
            add_errors: forms.add_errors,
            member_errors: forms.member_errors,
            company,
            sizes: &SIZES,
        },
    )
}

async fn settings(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&id, "Company") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    show_company(
        &state,
        &ctx,
        &user,
        id,
        StatusCode::OK,
        CompanyForms::default(),
    )
    .await
}

async fn update(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<CompanyForm>,
) -> Response {
    let id = match parse_id(&id, "Company") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    match svc::update(&state, &user, id, f.to_update()).await {
        Ok(_) => redirect_with_flash(
            &format!("/hiring/companies/{id}"),
            "success",
            "The company profile is saved.",
        ),
        Err(err) => {
            let err = hide_from_outsiders(&state, id, &user, err).await;
            if !is_form_error(&err) {
                return ctx.fail(err);
            }
            let forms = CompanyForms {
                errors: company_errors(&err),
                edit: Some(f),
                ..CompanyForms::default()
            };
            show_company(&state, &ctx, &user, id, err.status, forms).await
        }
    }
}

/// A user by username (an optional leading @) or email address.
async fn find_person(state: &AppState, who: &str) -> Result<Option<Uuid>, AppError> {
    let who = who.trim();
    let found = if who.contains('@') && !who.starts_with('@') {
        people::find_by_email(&state.db, who).await?
    } else {
        people::find_by_username(&state.db, who).await?
    };
    Ok(found.map(|p| p.id))
}

async fn add_member(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<AddMemberForm>,
) -> Response {
    let id = match parse_id(&id, "Company") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let refused = |errors: FieldErrors, status: StatusCode, f: AddMemberForm| {
        let forms = CompanyForms {
            add: f,
            add_errors: errors,
            ..CompanyForms::default()
        };
        show_company(&state, &ctx, &user, id, status, forms)
    };
    if f.who.trim().is_empty() {
        let e = FieldErrors::field("who", "Enter a username or an email address");
        return refused(e, StatusCode::UNPROCESSABLE_ENTITY, f).await;
    }
    let target = match find_person(&state, &f.who).await {
        Ok(Some(t)) => t,
        Ok(None) => {
            let e = FieldErrors::field("who", "Nobody has this username or email address");
            return refused(e, StatusCode::UNPROCESSABLE_ENTITY, f).await;
        }
        Err(e) => return ctx.fail(e),
    };
    let input = MemberInput {
        user_id: Some(target),
        role: Some(f.role.clone()),
    };
    match members::upsert(&state, &user, id, input).await {
        Ok((m, added)) => {
            let name = m.display_name.clone();
            let msg = if added {
                format!("{name} joined as {}.", role_label(m.role).to_lowercase())
            } else {
                format!(
                    "{name} was already a member; their role is now {}.",
                    role_label(m.role).to_lowercase()
                )
            };
            redirect_with_flash(&format!("/hiring/companies/{id}#members"), "success", &msg)
        }
        Err(err) => {
            let err = hide_from_outsiders(&state, id, &user, err).await;
            if !is_form_error(&err) {
                return ctx.fail(err);
            }
            let mut errors = FieldErrors::from(&err);
            if let Some(msg) = errors.fields.remove("user_id") {
                errors.fields.insert("who".to_owned(), msg);
            }
            refused(errors, err.status, f).await
        }
    }
}

async fn change_role(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((id, member)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<RoleForm>,
) -> Response {
    let (id, member) = match (parse_id(&id, "Company"), parse_id(&member, "Member")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return ctx.fail(e),
    };
    let input = MemberInput {
        user_id: Some(member),
        role: Some(f.role),
    };
    match members::upsert(&state, &user, id, input).await {
        Ok((m, _)) => redirect_with_flash(
            &format!("/hiring/companies/{id}#members"),
            "success",
            &format!(
                "{} is now {}.",
                m.display_name.clone(),
                role_label(m.role).to_lowercase()
            ),
        ),
        Err(err) => member_refused(&state, &ctx, &user, id, err).await,
    }
}

async fn remove_member(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((id, member)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let (id, member) = match (parse_id(&id, "Company"), parse_id(&member, "Member")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return ctx.fail(e),
    };
    match members::remove(&state, &user, id, member).await {
        Ok(()) if member == user.id.0 => {
            redirect_with_flash("/hiring", "success", "You left the company.")
        }
        Ok(()) => redirect_with_flash(
            &format!("/hiring/companies/{id}#members"),
            "success",
            "The member is removed.",
        ),
        Err(err) => member_refused(&state, &ctx, &user, id, err).await,
    }
}

/// A refused role change or removal: the company page with the reason above the members.
async fn member_refused(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: Uuid,
    err: AppError,
) -> Response {
    let err = hide_from_outsiders(state, id, user, err).await;
    if !is_form_error(&err) {
        return ctx.fail(err);
    }
    let message = match err.code {
        "VALIDATION_ERROR" => err
            .details
            .first()
            .map(|d| format!("{}: {}", d.field, d.message))
            .unwrap_or_else(|| err.message.clone()),
        _ => err.message.clone(),
    };
    let forms = CompanyForms {
        member_errors: FieldErrors::form_error(message),
        ..CompanyForms::default()
    };
    show_company(state, ctx, user, id, err.status, forms).await
}
