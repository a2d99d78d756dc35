//! The pipeline kanban: columns per stage with a move form on every card (the no-JS and
//! keyboard path; `kanban.js` adds drag and drop over the same form) and bulk reject.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use vertechie_kernel::{ApiOk, AppError, AppState, CurrentUser};
use vertechie_web::{CsrfForm, FieldErrors, PageCtx, SignedIn, redirect_with_flash, render};

use super::{back_or, board_url, message_of, reason_options};
use crate::pages::company_admin::{day, field, is_form_error, parse_id};
use crate::service::applications::{
    self as apps, ApplicationSummary, ApplicationsQuery, BulkRejectInput, MoveInput,
};
use crate::service::jobs::{self as jobs_svc, EDITORS};
use crate::service::pipeline::{self, StageView};
use crate::service::role_in;

/// Most active applications the board shows (100 per service page).
const BOARD_PAGES: u64 = 5;
const PAGE_SIZE: u64 = 100;

struct Card {
    id: Uuid,
    name: String,
    score: i32,
    days: i64,
    applied: String,
    stage_id: Uuid,
    checked: bool,
}

struct Column {
    id: Uuid,
    name: String,
    cards: Vec<Card>,
}

struct ClosedRow {
    id: Uuid,
    name: String,
}

#[derive(Default)]
/// The bulk-reject bar as typed, with the service's refusal.
struct BulkForm {
    ids: Vec<Uuid>,
    reason: String,
    note: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "hiring_pipeline.html")]
struct BoardPage<'a> {
    ctx: &'a PageCtx,
    job_id: Uuid,
    title: String,
    status: String,
    company_id: Uuid,
    company_name: String,
    sort: &'static str,
    back: String,
    columns: Vec<Column>,
    stages: Vec<(Uuid, String)>,
    can_move: bool,
    active: u64,
    shown: usize,
    rejected: Vec<ClosedRow>,
    rejected_total: u64,
    withdrawn: Vec<ClosedRow>,
    withdrawn_total: u64,
    reasons: Vec<(&'static str, String)>,
    bulk: BulkForm,
}

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    sort: Option<String>,
}

fn sort_of(s: Option<&str>) -> &'static str {
    match s {
        Some("match") => "match",
        _ => "newest",
    }
}

async fn list_all(
    state: &AppState,
    user: &CurrentUser,
    job: Uuid,
    status: &str,
    sort: &str,
    pages: u64,
) -> Result<(Vec<ApplicationSummary>, u64), AppError> {
    let mut items = Vec::new();
    let mut total = 0;
    for page in 1..=pages {
        let q = ApplicationsQuery {
            status: Some(status.to_owned()),
            sort: Some(sort.to_owned()),
            page: Some(page),
            limit: Some(PAGE_SIZE),
            ..ApplicationsQuery::default()
        };
        let p = apps::list_for_job(state, user, job, q).await?;
        total = p.pagination.total;
        let n = p.items.len() as u64;
        items.extend(p.items);
        if n < PAGE_SIZE {
            break;
        }
    }
    Ok((items, total))
}

fn closed_rows(items: Vec<ApplicationSummary>) -> Vec<ClosedRow> {
    items
        .into_iter()
        .map(|a| ClosedRow {
            id: a.id,
            name: a.candidate.display_name.clone(),
        })
        .collect()
}

async fn show_board(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    job_id: Uuid,
    sort: &'static str,
    status: StatusCode,
    bulk: BulkForm,
) -> Response {
    let loaded = async {
        // Members only: everyone else gets 404 from the service.
        let stages: Vec<StageView> = pipeline::list(state, user, job_id).await?;
        let job = jobs_svc::get(state, Some(user), job_id).await?;
        let (active, active_total) =
            list_all(state, user, job_id, "active", sort, BOARD_PAGES).await?;
        let (rejected, rejected_total) =
            list_all(state, user, job_id, "rejected", "newest", 1).await?;
        let (withdrawn, withdrawn_total) =
            list_all(state, user, job_id, "withdrawn", "newest", 1).await?;
        let role = role_in(&state.db, job.company.id, user.id).await?;
        Ok::<_, AppError>((
            stages,
            job,
            active,
            active_total,
            rejected,
            rejected_total,
            withdrawn,
            withdrawn_total,
            role,
        ))
    }
    .await;
    let (
        stages,
        job,
        active,
        active_total,
        rejected,
        rejected_total,
        withdrawn,
        withdrawn_total,
        role,
    ) = match loaded {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let shown = active.len();
    let mut columns: Vec<Column> = stages
        .iter()
        .map(|s| Column {
            id: s.id,
            name: s.name.clone(),
            cards: Vec::new(),
        })
        .collect();
    for a in active {
        let Some(col) = columns.iter_mut().find(|c| c.id == a.stage.id) else {
            continue;
        };
        col.cards.push(Card {
            id: a.id,
            name: a.candidate.display_name.clone(),
            score: a.match_score,
            days: a.days_in_stage,
            applied: day(a.applied_at),
            stage_id: a.stage.id,
            checked: bulk.ids.contains(&a.id),
        });
    }
    render(
        status,
        &BoardPage {
            ctx,
            job_id,
            title: job.title,
            status: job.status,
            company_id: job.company.id,
            company_name: job.company.name,
            sort,
            back: board_url(job_id, sort),
            columns,
            stages: stages.into_iter().map(|s| (s.id, s.name)).collect(),
            can_move: role.is_some_and(|r| EDITORS.contains(&r)),
            active: active_total,
            shown,
            rejected: closed_rows(rejected),
            rejected_total,
            withdrawn: closed_rows(withdrawn),
            withdrawn_total,
            reasons: reason_options(),
            bulk,
        },
    )
}

pub(super) async fn board(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Response {
    let id = match parse_id(&id, "Job") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let sort = sort_of(q.sort.as_deref());
    show_board(
        &state,
        &ctx,
        &user,
        id,
        sort,
        StatusCode::OK,
        BulkForm::default(),
    )
    .await
}

pub(super) async fn bulk_reject(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let id = match parse_id(&id, "Job") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let sort = sort_of(Some(field(&fields, "sort")));
    // An id that is not one (a hand-edited form) is refused by the service like a foreign one.
    let ids: Vec<Uuid> = fields
        .iter()
        .filter(|(k, _)| k == "application_ids")
        .map(|(_, v)| Uuid::parse_str(v.trim()).unwrap_or(Uuid::nil()))
        .collect();
    let mut form = BulkForm {
        ids: ids.clone(),
        reason: field(&fields, "reason").to_owned(),
        note: field(&fields, "note").to_owned(),
        errors: FieldErrors::default(),
    };
    let input = BulkRejectInput {
        application_ids: Some(ids),
        reason: Some(form.reason.clone()),
        note: Some(form.note.clone()),
    };
    match apps::bulk_reject(&state, &user, id, input).await {
        Ok(done) => {
            let n = done.rejected.len();
            let mut msg = match n {
                1 => "1 application is rejected; the candidate is told kindly.".to_owned(),
                n => format!("{n} applications are rejected; the candidates are told kindly."),
            };
            if !done.skipped.is_empty() {
                msg.push_str(&format!(
                    " {} {} already closed and left as {}.",
                    done.skipped.len(),
                    if done.skipped.len() == 1 {
                        "was"
                    } else {
                        "were"
                    },
                    if done.skipped.len() == 1 {
                        "it was"
                    } else {
                        "they were"
                    },
                ));
            }
            redirect_with_flash(&board_url(id, sort), "success", &msg)
        }
        Err(err) if is_form_error(&err) => {
            let mut errors = FieldErrors::from(&err);
            // Ids refer to cards; say it once, above the bar.
            let about_ids: Vec<String> = errors
                .fields
                .keys()
                .filter(|k| k.starts_with("application_ids["))
                .cloned()
                .collect();
            if !about_ids.is_empty() {
                for k in about_ids {
                    errors.fields.remove(&k);
                }
                errors.fields.insert(
                    "application_ids".to_owned(),
                    "Some chosen applications are not in this job's pipeline; reload the board and choose again.".to_owned(),
                );
            }
            form.errors = errors;
            show_board(&state, &ctx, &user, id, sort, err.status, form).await
        }
        Err(err) => ctx.fail(err),
    }
}

/// Moves a card. A browser without JS gets a redirect back with a flash; `kanban.js` asks for
/// JSON (`Accept: application/json`) and gets the new stage, or the error with its status.
pub(super) async fn move_card(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let id = match parse_id(&id, "Application") {
        Ok(id) => id,
        Err(e) if wants_json => return e.into_response(),
        Err(e) => return ctx.fail(e),
    };
    let stage_id = match field(&fields, "stage_id").trim() {
        "" => None,
        s => Some(Uuid::parse_str(s).unwrap_or(Uuid::nil())),
    };
    let back = field(&fields, "back").to_owned();
    match apps::move_to(&state, &user, id, MoveInput { stage_id }).await {
        Ok(view) if wants_json => ApiOk(json!({
            "id": view.id,
            "stage": {"id": view.stage.id, "name": view.stage.name},
        }))
        .into_response(),
        Ok(view) => {
            let name = view
                .candidate
                .as_ref()
                .map(|c| c.display_name.clone())
                .unwrap_or_else(|| "The application".to_owned());
            redirect_with_flash(
                &back_or(&back, board_url(view.job.id, "newest")),
                "success",
                &format!("{name} moved to {}.", view.stage.name),
            )
        }
        Err(err) if wants_json => err.into_response(),
        Err(err) if is_form_error(&err) && !back.is_empty() => redirect_with_flash(
            &back_or(&back, "/hiring".to_owned()),
            "error",
            &message_of(&err),
        ),
        Err(err) => ctx.fail(err),
    }
}
