//! The pipeline kanban (`/hiring/jobs/{id}/pipeline`) and the candidate drawer
//! (`/hiring/applications/{id}`): columns per stage with a move form on every card (the no-JS
//! and keyboard path; `kanban.js` adds drag and drop over the same form), bulk reject, and on the
//! drawer the profile summary, answers, match explanation, timeline, notes, scorecards, move and
//! reject.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;
use vertechie_accounts::service::profile;
use vertechie_kernel::{ApiOk, AppError, AppState, CurrentUser, UserId};
use vertechie_web::{CsrfForm, FieldErrors, PageCtx, SignedIn, redirect_with_flash, render};

use super::company_admin::{day, field, humanize, is_form_error, parse_id};
use crate::service::applications::{
    self as apps, ApplicationSummary, ApplicationView, ApplicationsQuery, BulkRejectInput,
    EventView, MoveInput, NoteInput, RECOMMENDATIONS, REJECT_REASONS, RejectInput, ScorecardInput,
};
use crate::service::jobs::{self as jobs_svc, EDITORS};
use crate::service::matching::{LevelFit, SkillSource};
use crate::service::pipeline::{self, StageView};
use crate::service::role_in;

/// Most active applications the board shows (100 per service page).
const BOARD_PAGES: u64 = 5;
const PAGE_SIZE: u64 = 100;
/// Criteria a new scorecard suggests (renamable), and how many rows the form has.
const CRITERIA: [&str; 4] = [
    "Technical skills",
    "Problem solving",
    "Communication",
    "Collaboration",
];
const CRITERIA_ROWS: usize = 6;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hiring/jobs/{id}/pipeline", get(board))
        .route("/hiring/jobs/{id}/bulk-reject", post(bulk_reject))
        .route("/hiring/applications/{id}", get(drawer))
        .route("/hiring/applications/{id}/move", post(move_card))
        .route("/hiring/applications/{id}/reject", post(reject))
        .route("/hiring/applications/{id}/notes", post(add_note))
        .route("/hiring/applications/{id}/scorecards", post(add_scorecard))
}

fn reason_label(r: &str) -> String {
    match r {
        "not_a_fit" => "Not a fit".to_owned(),
        "salary" => "Salary expectations".to_owned(),
        "position_filled" => "Position filled".to_owned(),
        "knockout" => "Knockout answer".to_owned(),
        other => humanize(other),
    }
}

fn recommendation_label(r: &str) -> &'static str {
    match r {
        "strong_no" => "Strong no",
        "no" => "No",
        "yes" => "Yes",
        "strong_yes" => "Strong yes",
        _ => "—",
    }
}

fn reason_options() -> Vec<(&'static str, String)> {
    REJECT_REASONS
        .iter()
        .map(|r| (*r, reason_label(r)))
        .collect()
}

fn board_url(job: Uuid, sort: &str) -> String {
    if sort == "match" {
        format!("/hiring/jobs/{job}/pipeline?sort=match")
    } else {
        format!("/hiring/jobs/{job}/pipeline")
    }
}

/// A `back` target from a form: a path on this site, else `fallback`.
fn back_or(back: &str, fallback: String) -> String {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back.to_owned()
    } else {
        fallback
    }
}

/// The first problem of a refused request, in words.
fn message_of(err: &AppError) -> String {
    match err.details.first() {
        Some(d) => format!("{}: {}", humanize(&d.field), d.message),
        None => err.message.clone(),
    }
}

// ---- the board ----

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

async fn board(
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

async fn bulk_reject(
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
async fn move_card(
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

// ---- the candidate drawer ----

struct AnswerRow {
    question: String,
    answer: String,
    knockout: bool,
}

struct TimelineRow {
    what: String,
    who: Option<String>,
    at: String,
    iso: String,
}

struct NoteRow {
    author: String,
    body: String,
    at: String,
}

struct ScorecardRow {
    interviewer: String,
    recommendation: &'static str,
    ratings: Vec<(String, String)>,
    notes: Option<String>,
    at: String,
}

struct MatchedRow {
    skill: String,
    source: &'static str,
}

struct MissingRow {
    skill: String,
    required: bool,
}

struct ProfileSummary {
    headline: Option<String>,
    level: Option<String>,
    bio: Option<String>,
    skills: Vec<(String, i32)>,
}

#[derive(Default, Clone)]
struct CriterionRow {
    name: String,
    rating: String,
    error: Option<String>,
}

/// What a re-rendered drawer carries over from a refused form.
#[derive(Default)]
struct DrawerForms {
    note: String,
    note_errors: FieldErrors,
    criteria: Vec<CriterionRow>,
    recommendation: String,
    card_notes: String,
    card_errors: FieldErrors,
    reject_reason: String,
    reject_note: String,
    reject_errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "hiring_application.html")]
struct DrawerPage<'a> {
    ctx: &'a PageCtx,
    app: ApplicationView,
    name: String,
    username: String,
    profile: Option<ProfileSummary>,
    status_label: String,
    reject_reason: Option<String>,
    answers: Vec<AnswerRow>,
    matched: Vec<MatchedRow>,
    missing: Vec<MissingRow>,
    level_fit: &'static str,
    timeline: Vec<TimelineRow>,
    notes: Vec<NoteRow>,
    scorecards: Vec<ScorecardRow>,
    hidden_scorecards: u64,
    submitted: bool,
    can_move: bool,
    active: bool,
    stages: Vec<(Uuid, String)>,
    back: String,
    board: String,
    reasons: Vec<(&'static str, String)>,
    recommendations: Vec<(&'static str, &'static str)>,
    forms: DrawerForms,
}

fn answer_text(v: &Value) -> String {
    match v {
        Value::Bool(true) => "Yes".to_owned(),
        Value::Bool(false) => "No".to_owned(),
        Value::String(s) => s.clone(),
        Value::Null => "No answer".to_owned(),
        other => other.to_string(),
    }
}

fn event_text(e: &EventView) -> String {
    let s = |k: &str| {
        e.data
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    match e.kind.as_str() {
        "applied" => match s("stage").as_str() {
            "" => "Applied".to_owned(),
            st => format!("Applied (entered {st})"),
        },
        "moved" => format!("Moved from {} to {}", s("from"), s("to")),
        "rejected" => match s("reason").as_str() {
            "knockout" => "Rejected by a knockout answer".to_owned(),
            "" => "Rejected".to_owned(),
            r => format!("Rejected: {}", reason_label(r)),
        },
        "withdrawn" => "Withdrew the application".to_owned(),
        "note_added" => "Added a note".to_owned(),
        "scorecard_submitted" => format!(
            "Submitted a scorecard ({})",
            recommendation_label(&s("recommendation")).to_lowercase()
        ),
        other => humanize(other),
    }
}

fn level_fit_text(l: LevelFit) -> &'static str {
    match l {
        LevelFit::Exact => "Experience level: a match",
        LevelFit::Above => "Experience level: above what the job asks",
        LevelFit::Below => "Experience level: a step below what the job asks",
        LevelFit::FarBelow => "Experience level: well below what the job asks",
        LevelFit::Unknown => "Experience level: not known",
    }
}

fn default_criteria() -> Vec<CriterionRow> {
    let mut rows: Vec<CriterionRow> = CRITERIA
        .iter()
        .map(|c| CriterionRow {
            name: (*c).to_owned(),
            ..CriterionRow::default()
        })
        .collect();
    rows.resize_with(CRITERIA_ROWS, CriterionRow::default);
    rows
}

async fn show_drawer(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: Uuid,
    status: StatusCode,
    mut forms: DrawerForms,
) -> Response {
    let loaded = async {
        // Members only (the candidate and everyone else get 404 here).
        let notes = apps::notes(state, user, id).await?;
        let app = apps::get(state, user, id).await?;
        let cards = apps::scorecards(state, user, id).await?;
        let stages = pipeline::list(state, user, app.job.id).await?;
        let job = jobs_svc::get(state, Some(user), app.job.id).await?;
        let role = role_in(&state.db, app.job.company.id, user.id).await?;
        let person = match &app.candidate {
            Some(c) => match profile::public_profile(state, UserId(c.id)).await {
                Ok(p) => Some(p),
                Err(e) if e.status == StatusCode::NOT_FOUND => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        Ok::<_, AppError>((notes, app, cards, stages, job, role, person))
    }
    .await;
    let (notes, app, cards, stages, job, role, person) = match loaded {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let (name, username) = match &app.candidate {
        Some(c) => (c.display_name.clone(), c.username.clone()),
        None => ("Candidate".to_owned(), String::new()),
    };
    let given = app
        .answers
        .as_ref()
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut answers: Vec<AnswerRow> = job
        .screening_questions
        .iter()
        .map(|q| {
            let a = given.get(&q.id).filter(|v| !v.is_null());
            AnswerRow {
                question: q.text.clone(),
                answer: a.map(answer_text).unwrap_or_else(|| "No answer".to_owned()),
                knockout: a.is_some() && a == q.knockout_answer.as_ref(),
            }
        })
        .collect();
    for (k, v) in &given {
        if !v.is_null() && !job.screening_questions.iter().any(|q| &q.id == k) {
            answers.push(AnswerRow {
                question: format!("{k} (no longer asked)"),
                answer: answer_text(v),
                knockout: false,
            });
        }
    }
    let profile = person.map(|p| ProfileSummary {
        headline: p.preferred_career_track.clone(),
        level: p.experience_level.as_deref().map(humanize),
        bio: p.bio.as_ref().map(|b| {
            let short: String = b.chars().take(400).collect();
            if short.len() < b.len() {
                format!("{short}…")
            } else {
                short
            }
        }),
        skills: p.skills.iter().map(|s| (s.name.clone(), s.level)).collect(),
    });
    let submitted = cards
        .items
        .iter()
        .any(|c| c.interviewer.as_ref().is_some_and(|i| i.id == user.id.0));
    if forms.criteria.is_empty() {
        forms.criteria = default_criteria();
    }
    let board = board_url(app.job.id, "newest");
    render(
        status,
        &DrawerPage {
            ctx,
            name,
            username,
            profile,
            status_label: humanize(&app.status),
            reject_reason: app.reject_reason.as_deref().map(reason_label),
            answers,
            matched: app
                .match_result
                .matched
                .iter()
                .map(|m| MatchedRow {
                    skill: m.skill.clone(),
                    source: match m.source {
                        SkillSource::Profile => "profile",
                        SkillSource::Cv => "CV",
                    },
                })
                .collect(),
            missing: app
                .match_result
                .missing
                .iter()
                .map(|m| MissingRow {
                    skill: m.skill.clone(),
                    required: m.required,
                })
                .collect(),
            level_fit: level_fit_text(app.match_result.level_fit),
            timeline: app
                .timeline
                .iter()
                .map(|e| TimelineRow {
                    what: event_text(e),
                    who: e.actor.as_ref().map(|a| a.display_name.clone()),
                    at: e.at.format("%-d %b %Y, %H:%M UTC").to_string(),
                    iso: e.at.to_rfc3339(),
                })
                .collect(),
            notes: notes
                .into_iter()
                .map(|n| NoteRow {
                    author: n
                        .author
                        .map(|a| a.display_name.clone())
                        .unwrap_or_else(|| "A former member".to_owned()),
                    body: n.body,
                    at: n.created_at.format("%-d %b %Y, %H:%M UTC").to_string(),
                })
                .collect(),
            scorecards: cards
                .items
                .into_iter()
                .map(|c| ScorecardRow {
                    interviewer: c
                        .interviewer
                        .map(|a| a.display_name.clone())
                        .unwrap_or_else(|| "A former member".to_owned()),
                    recommendation: recommendation_label(&c.recommendation),
                    ratings: c
                        .ratings
                        .as_object()
                        .map(|o| {
                            o.iter()
                                .map(|(k, v)| (k.clone(), format!("{}/4", answer_text(v))))
                                .collect()
                        })
                        .unwrap_or_default(),
                    notes: c.notes,
                    at: day(c.created_at),
                })
                .collect(),
            hidden_scorecards: cards.hidden,
            submitted,
            can_move: role.is_some_and(|r| EDITORS.contains(&r)),
            active: app.status == "active",
            stages: stages.into_iter().map(|s| (s.id, s.name)).collect(),
            back: format!("/hiring/applications/{id}"),
            board,
            reasons: reason_options(),
            recommendations: RECOMMENDATIONS
                .iter()
                .map(|r| (*r, recommendation_label(r)))
                .collect(),
            forms,
            app,
        },
    )
}

async fn drawer(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&id, "Application") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    show_drawer(
        &state,
        &ctx,
        &user,
        id,
        StatusCode::OK,
        DrawerForms::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct NoteForm {
    #[serde(default)]
    body: String,
}

async fn add_note(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<NoteForm>,
) -> Response {
    let id = match parse_id(&id, "Application") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let input = NoteInput {
        body: Some(f.body.clone()),
    };
    match apps::add_note(&state, &user, id, input).await {
        Ok(_) => redirect_with_flash(
            &format!("/hiring/applications/{id}#notes"),
            "success",
            "Your note is added. Only your team sees notes.",
        ),
        Err(err) if is_form_error(&err) => {
            let forms = DrawerForms {
                note: f.body,
                note_errors: FieldErrors::from(&err),
                ..DrawerForms::default()
            };
            show_drawer(&state, &ctx, &user, id, err.status, forms).await
        }
        Err(err) => ctx.fail(err),
    }
}

#[derive(Deserialize, Default)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

async fn reject(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<RejectForm>,
) -> Response {
    let id = match parse_id(&id, "Application") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let input = RejectInput {
        reason: Some(f.reason.clone()),
        note: Some(f.note.clone()),
    };
    match apps::reject(&state, &user, id, input).await {
        Ok(view) => {
            let name = view
                .candidate
                .as_ref()
                .map(|c| c.display_name.clone())
                .unwrap_or_else(|| "The candidate".to_owned());
            redirect_with_flash(
                &format!("/hiring/applications/{id}"),
                "success",
                &format!("The application is rejected; {name} is told kindly."),
            )
        }
        Err(err) if is_form_error(&err) => {
            let forms = DrawerForms {
                reject_reason: f.reason,
                reject_note: f.note,
                reject_errors: FieldErrors::from(&err),
                ..DrawerForms::default()
            };
            show_drawer(&state, &ctx, &user, id, err.status, forms).await
        }
        Err(err) => ctx.fail(err),
    }
}

async fn add_scorecard(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let id = match parse_id(&id, "Application") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let mut rows: Vec<CriterionRow> = Vec::new();
    for (k, v) in &fields {
        let Some(rest) = k.strip_prefix("criteria[") else {
            continue;
        };
        let Some((i, key)) = rest.split_once("][") else {
            continue;
        };
        let Ok(i) = i.parse::<usize>() else { continue };
        if i >= 20 {
            continue;
        }
        if rows.len() <= i {
            rows.resize_with(i + 1, CriterionRow::default);
        }
        match key {
            "name]" => rows[i].name = v.clone(),
            "rating]" => rows[i].rating = v.clone(),
            _ => {}
        }
    }
    let mut ratings = serde_json::Map::new();
    for r in &rows {
        let rating = r.rating.trim();
        if rating.is_empty() {
            continue;
        }
        let value = match rating.parse::<i64>() {
            Ok(n) => json!(n),
            Err(_) => json!(rating),
        };
        ratings.insert(r.name.trim().to_owned(), value);
    }
    let recommendation = field(&fields, "recommendation").to_owned();
    let notes = field(&fields, "notes").to_owned();
    let input = ScorecardInput {
        ratings: Some(ratings),
        recommendation: Some(recommendation.clone()),
        notes: Some(notes.clone()),
    };
    match apps::add_scorecard(&state, &user, id, input).await {
        Ok(_) => redirect_with_flash(
            &format!("/hiring/applications/{id}#scorecards"),
            "success",
            "Your scorecard is submitted.",
        ),
        Err(err) if is_form_error(&err) => {
            let mut errors = FieldErrors::from(&err);
            // `ratings.<criterion>` goes next to the row with that criterion.
            let keys: Vec<String> = errors
                .fields
                .keys()
                .filter(|k| k.starts_with("ratings."))
                .cloned()
                .collect();
            for k in keys {
                let name = &k["ratings.".len()..];
                if let Some(row) = rows
                    .iter_mut()
                    .find(|r| r.name.trim() == name && !r.rating.trim().is_empty())
                {
                    row.error = errors.fields.remove(&k);
                }
            }
            if rows.is_empty() {
                rows = default_criteria();
            }
            let forms = DrawerForms {
                criteria: rows,
                recommendation,
                card_notes: notes,
                card_errors: errors,
                ..DrawerForms::default()
            };
            show_drawer(&state, &ctx, &user, id, err.status, forms).await
        }
        Err(err) => ctx.fail(err),
    }
}
