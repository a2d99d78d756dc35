//! The handlers of the job form: new, create, edit, save, delete-or-close.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;
use vertechie_kernel::{AppError, AppState, CurrentUser, Patch};
use vertechie_web::{CsrfForm, FieldErrors, PageCtx, SignedIn, redirect_with_flash, render};

use super::form::JobForm;
use super::parse::{parse, place_errors};
use super::render::{StageFeedback, editor};
use crate::pages::company_admin::{hide_from_outsiders, is_form_error, parse_id};
use crate::service::jobs::{self as svc, EDITORS, JobCreate, JobUpdate, JobView, Removed};
use crate::service::members;
use crate::service::pipeline::{self, StageView};
use crate::service::{forbidden_role, role_in};

/// The viewer may edit the company's jobs (members otherwise get 403, outsiders 404).
async fn require_editor(
    state: &AppState,
    user: &CurrentUser,
    company_id: Uuid,
) -> Result<(), AppError> {
    match role_in(&state.db, company_id, user.id).await? {
        Some(r) if EDITORS.contains(&r) => Ok(()),
        Some(_) => Err(forbidden_role(EDITORS)),
        None => Err(AppError::not_found("Not found")),
    }
}

/// The company of a new job, for its members (others 404) who may post jobs (others 403).
async fn company_for_new_job(
    state: &AppState,
    user: &CurrentUser,
    company_id: Uuid,
) -> Result<String, AppError> {
    let company = crate::service::companies::get(state, company_id).await?;
    if let Err(e) = members::list(state, user, company_id).await {
        return Err(hide_from_outsiders(state, company_id, user, e).await);
    }
    require_editor(state, user, company_id).await?;
    Ok(company.name)
}

pub(super) async fn new_form(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&id, "Company") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let name = match company_for_new_job(&state, &user, id).await {
        Ok(n) => n,
        Err(e) => return ctx.fail(e),
    };
    render(
        StatusCode::OK,
        &editor(
            &ctx,
            (id, name),
            None,
            JobForm::blank(),
            FieldErrors::default(),
            Vec::new(),
            StageFeedback::default(),
        ),
    )
}

pub(super) async fn create(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let id = match parse_id(&id, "Company") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let name = match company_for_new_job(&state, &user, id).await {
        Ok(n) => n,
        Err(e) => return ctx.fail(e),
    };
    let mut f = JobForm::from_pairs(&fields);
    let mut errors = FieldErrors::default();
    let p = parse(&mut f, &mut errors);
    let refused = |f: JobForm, errors: FieldErrors, status: StatusCode| {
        render(
            status,
            &editor(
                &ctx,
                (id, name.clone()),
                None,
                f,
                errors,
                Vec::new(),
                StageFeedback::default(),
            ),
        )
    };
    if !errors.fields.is_empty() {
        return refused(f, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let opt = |s: &str| Some(s.to_owned());
    let input = JobCreate {
        company_id: Some(id),
        title: opt(&f.title),
        description: opt(&f.description),
        requirements: opt(&f.requirements),
        skills: Some(p.skills.clone()),
        location: opt(&f.location),
        remote: opt(&f.remote),
        employment_type: opt(&f.employment_type),
        experience_level: opt(&f.experience_level),
        salary_min: p.salary_min,
        salary_max: p.salary_max,
        currency: opt(&f.currency),
        screening_questions: Some(p.questions.clone()),
        status: opt(&f.status),
        closes_at: p.closes_at,
        stuck_after_days: p.stuck_after_days,
    };
    match svc::create(&state, &user, input).await {
        Ok(j) => redirect_with_flash(
            &format!("/hiring/jobs/{}/edit", j.id),
            "success",
            &format!(
                "“{}” is saved as {}. Its pipeline has the default stages; change them below.",
                j.title,
                if j.status == "open" {
                    "an open job"
                } else {
                    "a draft"
                }
            ),
        ),
        Err(err) if is_form_error(&err) => {
            let errors = place_errors(&mut f, &p, &err);
            refused(f, errors, err.status)
        }
        Err(err) => ctx.fail(err),
    }
}

/// Loads what the edit page shows; outsiders 404, interviewers 403.
async fn load_job(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<(JobView, Vec<StageView>), AppError> {
    // The stage list is for members only, so it also keeps outsiders out of open jobs' editor.
    let stages = pipeline::list(state, user, id).await?;
    let job = svc::get(state, Some(user), id).await?;
    require_editor(state, user, job.company.id).await?;
    Ok((job, stages))
}

pub(super) async fn show_edit(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: Uuid,
    status: StatusCode,
    form: Option<(JobForm, FieldErrors)>,
    feedback: StageFeedback,
) -> Response {
    let (job, stages) = match load_job(state, user, id).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let (f, errors) = form.unwrap_or_else(|| (JobForm::of(&job), FieldErrors::default()));
    render(
        status,
        &editor(
            ctx,
            (job.company.id, job.company.name.clone()),
            Some(&job),
            f,
            errors,
            stages,
            feedback,
        ),
    )
}

pub(super) async fn edit_form(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&id, "Job") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    show_edit(
        &state,
        &ctx,
        &user,
        id,
        StatusCode::OK,
        None,
        StageFeedback::default(),
    )
    .await
}

pub(super) async fn save(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let id = match parse_id(&id, "Job") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let current = match load_job(&state, &user, id).await {
        Ok((j, _)) => j,
        Err(e) => return ctx.fail(e),
    };
    let mut f = JobForm::from_pairs(&fields);
    let mut errors = FieldErrors::default();
    let p = parse(&mut f, &mut errors);
    if !errors.fields.is_empty() {
        return show_edit(
            &state,
            &ctx,
            &user,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some((f, errors)),
            StageFeedback::default(),
        )
        .await;
    }
    let set = |s: &str| Patch::Value(s.to_owned());
    // An unchanged closing date is not sent: a date already past must not block other edits.
    let same_day = current.closes_at.map(|d| d.format("%Y-%m-%d").to_string())
        == (!f.closes_at.trim().is_empty()).then(|| f.closes_at.trim().to_owned());
    let input = JobUpdate {
        title: set(&f.title),
        description: set(&f.description),
        requirements: set(&f.requirements),
        skills: Patch::Value(p.skills.clone()),
        location: set(&f.location),
        remote: set(&f.remote),
        employment_type: set(&f.employment_type),
        experience_level: set(&f.experience_level),
        salary_min: p.salary_min.into(),
        salary_max: p.salary_max.into(),
        currency: set(&f.currency),
        screening_questions: Patch::Value(p.questions.clone()),
        status: set(&f.status),
        closes_at: if same_day {
            Patch::Absent
        } else {
            p.closes_at.into()
        },
        stuck_after_days: p.stuck_after_days.into(),
    };
    match svc::update(&state, &user, id, input).await {
        Ok(j) => redirect_with_flash(
            &format!("/hiring/jobs/{id}/edit"),
            "success",
            &format!("“{}” is saved.", j.title),
        ),
        Err(err) if is_form_error(&err) => {
            let errors = place_errors(&mut f, &p, &err);
            show_edit(
                &state,
                &ctx,
                &user,
                id,
                err.status,
                Some((f, errors)),
                StageFeedback::default(),
            )
            .await
        }
        Err(err) => ctx.fail(err),
    }
}

pub(super) async fn delete(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let id = match parse_id(&id, "Job") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    match svc::delete(&state, &user, id).await {
        Ok(Removed::Deleted) => redirect_with_flash(
            "/hiring",
            "success",
            "The draft is deleted. Nobody had seen it, so nothing else changed.",
        ),
        Ok(Removed::Closed(j)) => redirect_with_flash(
            &format!("/hiring/jobs/{id}/edit"),
            "info",
            &format!(
                "“{}” is closed rather than deleted: it was published, so its applications are kept. It no longer takes applications.",
                j.title
            ),
        ),
        Err(err) => ctx.fail(err),
    }
}
