//! The candidate's side: their own list, withdrawal, their application to a job, match scores
//! and what they sent.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, Page, PageQuery};

use super::common::{closed_app, event, is_terminal, load, touch_job};
use super::views::{detail, job_brief, message_of, stage_brief};
use super::{ApplicationView, EVENT_WITHDRAWN, MyApplication, publish};
use crate::model::application;
use crate::service::jobs::ScreeningQuestion;
use crate::service::pipeline::find_job;

/// The signed-in user's applications, newest first.
pub async fn mine(
    state: &AppState,
    actor: &CurrentUser,
    page: PageQuery,
) -> AppResult<Page<MyApplication>> {
    let q = application::Entity::find().filter(application::Column::UserId.eq(actor.id.0));
    let total = q.clone().count(&state.db).await?;
    let rows = q
        .order_by_desc(application::Column::CreatedAt)
        .order_by_desc(application::Column::Id)
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for a in rows {
        let j = find_job(&state.db, a.job_id, false).await?;
        items.push(MyApplication {
            id: a.id,
            status: a.status.clone(),
            stage: stage_brief(&state.db, a.stage_id).await?,
            message: message_of(&a),
            applied_at: a.created_at,
            updated_at: a.updated_at,
            job: job_brief(&state.db, &j).await?,
        });
    }
    Ok(Page::new(items, total, &page))
}

/// The candidate withdraws their own, still active application.
pub async fn withdraw(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
) -> AppResult<ApplicationView> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let (a, j) = load(&txn, id, true).await?;
    if a.user_id != actor.id.0 {
        return Err(AppError::not_found("Application not found"));
    }
    if is_terminal(&a) {
        return Err(closed_app());
    }
    let mut m: application::ActiveModel = a.into();
    m.status = Set("withdrawn".to_owned());
    m.updated_at = Set(now);
    let a = m.update(&txn).await?;
    event(
        &txn,
        a.id,
        Some(actor.id),
        "withdrawn",
        json!({}),
        true,
        now,
    )
    .await?;
    touch_job(&txn, j.id, now).await?;
    let view = detail(&txn, &a, &j, None).await?;
    txn.commit().await?;
    publish(state, EVENT_WITHDRAWN, &a, &j, actor.id);
    Ok(view)
}

// ---- candidate pages ----

/// The signed-in user's application to a job, if they applied (the job page says so).
pub async fn mine_for_job(
    state: &AppState,
    actor: &CurrentUser,
    job_id: Uuid,
) -> AppResult<Option<MyApplication>> {
    let Some(a) = application::Entity::find()
        .filter(application::Column::JobId.eq(job_id))
        .filter(application::Column::UserId.eq(actor.id.0))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let j = find_job(&state.db, a.job_id, false).await?;
    Ok(Some(MyApplication {
        id: a.id,
        status: a.status.clone(),
        stage: stage_brief(&state.db, a.stage_id).await?,
        message: message_of(&a),
        applied_at: a.created_at,
        updated_at: a.updated_at,
        job: job_brief(&state.db, &j).await?,
    }))
}

/// The match scores of the user's own applications among `ids` (anyone else's are left out).
pub async fn my_match_scores(
    state: &AppState,
    actor: &CurrentUser,
    ids: &[Uuid],
) -> AppResult<BTreeMap<Uuid, i32>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(application::Entity::find()
        .filter(application::Column::UserId.eq(actor.id.0))
        .filter(application::Column::Id.is_in(ids.to_vec()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.match_score))
        .collect())
}

/// A screening answer with its question as the candidate saw it (no knockout answer).
#[derive(Debug, Clone, Serialize)]
pub struct MyAnswer {
    pub question: ScreeningQuestion,
    /// `None` when the question was left unanswered.
    pub answer: Option<Value>,
}

/// What the candidate sent with their application.
#[derive(Debug, Clone, Serialize)]
pub struct MySubmission {
    pub answers: Vec<MyAnswer>,
    pub cover_letter: Option<String>,
    pub resume_text: Option<String>,
}

/// The answers, cover letter and resume the candidate sent: for the applicant only (404 for
/// everyone else — company members read them through [`get`](super::get)).
pub async fn my_submission(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
) -> AppResult<MySubmission> {
    let (a, j) = load(&state.db, id, false).await?;
    if a.user_id != actor.id.0 {
        return Err(AppError::not_found("Application not found"));
    }
    let given: serde_json::Map<String, Value> =
        serde_json::from_str(&a.answers).unwrap_or_default();
    let questions: Vec<ScreeningQuestion> =
        serde_json::from_str(&j.screening_questions).unwrap_or_default();
    let mut answers: Vec<MyAnswer> = questions
        .into_iter()
        .map(|mut q| {
            q.knockout_answer = None;
            MyAnswer {
                answer: given.get(&q.id).filter(|v| !v.is_null()).cloned(),
                question: q,
            }
        })
        .collect();
    // Answers to questions the job no longer asks are still the candidate's.
    for (k, v) in &given {
        if !v.is_null() && !answers.iter().any(|x| &x.question.id == k) {
            answers.push(MyAnswer {
                question: ScreeningQuestion {
                    id: k.clone(),
                    text: k.clone(),
                    kind: "text".to_owned(),
                    options: None,
                    required: false,
                    knockout_answer: None,
                },
                answer: Some(v.clone()),
            });
        }
    }
    Ok(MySubmission {
        answers,
        cover_letter: a.cover_letter,
        resume_text: a.resume_text,
    })
}
