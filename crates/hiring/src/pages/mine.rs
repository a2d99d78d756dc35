//! The candidate's applications: the list (`/applications`), one application with its status
//! timeline, answers and match (`/applications/{id}`), and withdrawing it. Only the candidate's
//! own applications, and only what the service shows a candidate: never recruiter notes,
//! scorecards or reject notes.

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;
use vertechie_kernel::{AppError, AppState, PageQuery};
use vertechie_web::page::signin_redirect;
use vertechie_web::{CsrfForm, Page, PageCtx, SignedIn, redirect_with_flash, render};

use super::jobs::view::{self, MatchPanel};
use super::jobs::{PER_PAGE, with_query};
use crate::service::applications::{self as svc, ApplicationView, EventView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/applications", get(list))
        .route("/applications/{id}", get(one))
        .route("/applications/{id}/withdraw", post(withdraw))
}

// ---- the list ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageParam {
    page: String,
}

/// An application in the list.
pub struct Row {
    id: String,
    title: String,
    company: String,
    company_slug: String,
    verified: bool,
    status: String,
    status_label: &'static str,
    stage: String,
    applied: String,
    updated: String,
    updated_iso: String,
    score: Option<i32>,
}

#[derive(Template)]
#[template(path = "my_applications.html")]
struct ListPage<'a> {
    ctx: &'a PageCtx,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
}

fn list_url(page: u64) -> String {
    let p = if page > 1 {
        page.to_string()
    } else {
        String::new()
    };
    with_query("/applications", &[("page", p)])
}

pub async fn list(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    params: Result<Query<PageParam>, QueryRejection>,
) -> Response {
    let requested = params
        .ok()
        .and_then(|Query(p)| p.page.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let now = state.clock.now();
    let loaded = async {
        let found = svc::mine(
            &state,
            &user,
            PageQuery {
                page: Some(requested),
                limit: Some(PER_PAGE),
            },
        )
        .await?;
        let ids: Vec<Uuid> = found.items.iter().map(|a| a.id).collect();
        let scores = svc::my_match_scores(&state, &user, &ids).await?;
        Ok::<_, AppError>((found, scores))
    }
    .await;
    let (found, scores) = match loaded {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let p = found.pagination;
    let rows = found
        .items
        .into_iter()
        .map(|a| Row {
            id: a.id.to_string(),
            title: a.job.title,
            company: a.job.company.name,
            company_slug: a.job.company.slug,
            verified: a.job.company.verified,
            status_label: view::status_label(&a.status),
            status: a.status,
            stage: view::stage_label(&a.stage.name),
            applied: view::date(a.applied_at),
            updated: view::ago(a.updated_at, now),
            updated_iso: a.updated_at.to_rfc3339(),
            score: scores.get(&a.id).copied(),
        })
        .collect();
    render(
        StatusCode::OK,
        &ListPage {
            ctx: &ctx,
            rows,
            total: p.total,
            page: p.page,
            pages: p.pages,
            prev: (p.page > 1).then(|| list_url((p.page - 1).min(p.pages.max(1)))),
            next: (p.page < p.pages).then(|| list_url(p.page + 1)),
        },
    )
}

// ---- one application ----

/// A step of the candidate's timeline.
pub struct Step {
    text: String,
    date: String,
    iso: String,
}

/// An answer with its question.
pub struct AnswerRow {
    question: String,
    answer: Option<String>,
}

#[derive(Template)]
#[template(path = "my_application.html")]
struct OnePage<'a> {
    ctx: &'a PageCtx,
    id: String,
    job_id: String,
    title: String,
    company: String,
    company_slug: String,
    verified: bool,
    status: String,
    status_label: &'static str,
    stage: String,
    message: Option<String>,
    applied: String,
    active: bool,
    steps: Vec<Step>,
    matching: MatchPanel,
    answers: Vec<AnswerRow>,
    cover_letter: Option<String>,
    resume_text: Option<String>,
}

fn data_str(e: &EventView, key: &str) -> String {
    e.data
        .get(key)
        .and_then(|v| v.as_str())
        .map(view::stage_label)
        .unwrap_or_default()
}

/// How a timeline event reads to the candidate; events that are not about their status
/// (notes, scorecards — which a candidate's view does not carry anyway) are left out.
fn step_text(e: &EventView) -> Option<String> {
    Some(match e.kind.as_str() {
        "applied" => "You applied".to_owned(),
        "moved" => {
            let to = data_str(e, "to");
            let from = data_str(e, "from");
            match (from.is_empty(), to.is_empty()) {
                (_, true) => "Your application moved to another stage".to_owned(),
                (true, false) => format!("Moved to {to}"),
                (false, false) => format!("Moved from {from} to {to}"),
            }
        }
        "rejected" => "The team decided not to move forward".to_owned(),
        "withdrawn" => "You withdrew your application".to_owned(),
        _ => return None,
    })
}

fn steps(a: &ApplicationView) -> Vec<Step> {
    a.timeline
        .iter()
        .filter_map(|e| {
            Some(Step {
                text: step_text(e)?,
                date: view::date(e.at),
                iso: e.at.to_rfc3339(),
            })
        })
        .collect()
}

pub async fn one(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(raw): Path<String>,
) -> Response {
    let loaded = async {
        let id = vertechie_web::parse_id(&raw, "Application")?;
        // The submission is the applicant's alone: anyone else (company members too) gets 404.
        let mine = svc::my_submission(&state, &user, id).await?;
        let app = svc::get(&state, &user, id).await?;
        Ok::<_, AppError>((mine, app))
    }
    .await;
    let (mine, a) = match loaded {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let page = OnePage {
        ctx: &ctx,
        id: a.id.to_string(),
        job_id: a.job.id.to_string(),
        title: a.job.title.clone(),
        company: a.job.company.name.clone(),
        company_slug: a.job.company.slug.clone(),
        verified: a.job.company.verified,
        status_label: view::status_label(&a.status),
        status: a.status.clone(),
        stage: view::stage_label(&a.stage.name),
        message: a.message.clone(),
        applied: view::date(a.applied_at),
        active: a.status == "active",
        steps: steps(&a),
        matching: MatchPanel::of(&a.match_result),
        answers: mine
            .answers
            .iter()
            .map(|x| AnswerRow {
                question: x.question.text.clone(),
                answer: x.answer.as_ref().map(view::answer_text),
            })
            .collect(),
        cover_letter: mine.cover_letter,
        resume_text: mine.resume_text,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct EmptyForm {}

pub async fn withdraw(
    State(state): State<AppState>,
    Page(ctx): Page,
    Path(raw): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Response {
    let Some(user) = ctx.user.as_ref().map(|v| v.current.clone()) else {
        return signin_redirect(&format!("/applications/{raw}"));
    };
    let result = match vertechie_web::parse_id(&raw, "Application") {
        Ok(id) => svc::withdraw(&state, &user, id).await,
        Err(e) => Err(e),
    };
    let back = format!("/applications/{raw}");
    match result {
        Ok(a) => redirect_with_flash(
            &back,
            "success",
            &format!("You withdrew your application for {}.", a.job.title),
        ),
        Err(e) if e.code == "APPLICATION_CLOSED" => redirect_with_flash(
            &back,
            "info",
            "This application was already closed, so there was nothing to withdraw.",
        ),
        Err(e) => ctx.fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(kind: &str, data: serde_json::Value) -> EventView {
        EventView {
            id: Uuid::nil(),
            kind: kind.into(),
            actor: None,
            data,
            at: chrono::Utc::now(),
        }
    }

    #[test]
    fn timeline_reads_for_the_candidate() {
        assert_eq!(
            step_text(&ev("moved", json!({"from": "applied", "to": "interview"}))).as_deref(),
            Some("Moved from Applied to Interview")
        );
        assert_eq!(
            step_text(&ev("applied", json!({"stage": "applied"}))).as_deref(),
            Some("You applied")
        );
        assert_eq!(step_text(&ev("note_added", json!({"note_id": "x"}))), None);
        assert_eq!(step_text(&ev("scorecard_submitted", json!({}))), None);
    }
}
