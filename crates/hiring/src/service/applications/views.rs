//! How applications are shown: people, the job and stage briefs, the timeline (members see who
//! and everything; the candidate the public events), the full view and the pipeline summaries.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;
use vertechie_accounts::people;
use vertechie_kernel::{AppError, AppResult};

use super::{
    AnswerReview, ApplicationSummary, ApplicationView, EventView, JobBrief, KNOCKOUT_MESSAGE,
    PersonBrief, REJECTED_MESSAGE, StageBrief,
};
use crate::model::{application, application_event, company, job, stage};
use crate::service::CompanyRole;
use crate::service::jobs::{CompanyBrief, EDITORS, ScreeningQuestion};
use crate::service::matching::MatchResult;

pub(super) fn message_of(a: &application::Model) -> Option<String> {
    match (a.status.as_str(), a.reject_reason.as_deref()) {
        ("rejected", Some("knockout")) => Some(KNOCKOUT_MESSAGE.to_owned()),
        ("rejected", _) => Some(REJECTED_MESSAGE.to_owned()),
        _ => None,
    }
}

/// The people with these ids, through the accounts people API (deleted ones included).
pub(super) async fn persons<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<BTreeMap<Uuid, people::PersonBrief>> {
    Ok(people::briefs(conn, ids).await?.into_iter().collect())
}

pub(super) fn person(u: &people::PersonBrief) -> PersonBrief {
    PersonBrief {
        id: u.id,
        username: u.username.clone(),
        full_name: u.full_name.clone(),
        display_name: u.display_name.clone(),
    }
}

pub(super) fn brief_company(c: &company::Model) -> CompanyBrief {
    CompanyBrief {
        id: c.id,
        name: c.name.clone(),
        slug: c.slug.clone(),
        verified: c.verified,
    }
}

pub(super) async fn job_brief<C: ConnectionTrait>(conn: &C, j: &job::Model) -> AppResult<JobBrief> {
    let c = crate::service::find_company(conn, j.company_id).await?;
    Ok(JobBrief {
        id: j.id,
        title: j.title.clone(),
        status: j.status.clone(),
        company: brief_company(&c),
    })
}

pub(super) async fn stage_brief<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<StageBrief> {
    let s = stage::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("stage {id} missing")))?;
    Ok(StageBrief {
        id: s.id,
        name: s.name,
    })
}

pub(super) async fn timeline<C: ConnectionTrait>(
    conn: &C,
    app: Uuid,
    member: bool,
) -> AppResult<Vec<EventView>> {
    let mut q =
        application_event::Entity::find().filter(application_event::Column::ApplicationId.eq(app));
    if !member {
        q = q.filter(application_event::Column::Public.eq(true));
    }
    let rows = q
        .order_by_asc(application_event::Column::CreatedAt)
        .order_by_asc(application_event::Column::Id)
        .all(conn)
        .await?;
    let who = persons(conn, rows.iter().filter_map(|e| e.actor_id)).await?;
    Ok(rows
        .into_iter()
        .map(|e| {
            let mut data: Value = serde_json::from_str(&e.data).unwrap_or_else(|_| json!({}));
            if !member && let Some(obj) = data.as_object_mut() {
                obj.retain(|k, _| k == "stage" || k == "from" || k == "to");
            }
            EventView {
                id: e.id,
                kind: e.kind,
                actor: if member {
                    e.actor_id.and_then(|id| who.get(&id)).map(person)
                } else {
                    None
                },
                data,
                at: e.created_at,
            }
        })
        .collect())
}

pub(super) async fn detail<C: ConnectionTrait>(
    conn: &C,
    a: &application::Model,
    j: &job::Model,
    role: Option<CompanyRole>,
) -> AppResult<ApplicationView> {
    let member = role.is_some();
    let match_result: MatchResult = serde_json::from_str(&a.match_explanation)
        .map_err(|e| AppError::internal(anyhow::anyhow!("match explanation: {e}")))?;
    let candidate = if member {
        persons(conn, [a.user_id])
            .await?
            .get(&a.user_id)
            .map(person)
    } else {
        None
    };
    Ok(ApplicationView {
        id: a.id,
        job: job_brief(conn, j).await?,
        status: a.status.clone(),
        stage: stage_brief(conn, a.stage_id).await?,
        message: message_of(a),
        applied_at: a.created_at,
        updated_at: a.updated_at,
        match_result,
        timeline: timeline(conn, a.id, member).await?,
        candidate,
        answers: member.then(|| serde_json::from_str(&a.answers).unwrap_or_else(|_| json!({}))),
        cover_letter: if member { a.cover_letter.clone() } else { None },
        resume_text: if member { a.resume_text.clone() } else { None },
        reject_reason: if member {
            a.reject_reason.clone()
        } else {
            None
        },
        reject_note: if member { a.reject_note.clone() } else { None },
        stage_changed_at: member.then_some(a.stage_changed_at),
        answer_review: member.then(|| answer_review(a, j)),
        can_move: role.is_some_and(|r| EDITORS.contains(&r)),
    })
}

/// The job's screening questions with the answers given (knockouts marked), then the answers to
/// questions the job no longer asks.
fn answer_review(a: &application::Model, j: &job::Model) -> Vec<AnswerReview> {
    let given: serde_json::Map<String, Value> =
        serde_json::from_str(&a.answers).unwrap_or_default();
    let questions: Vec<ScreeningQuestion> =
        serde_json::from_str(&j.screening_questions).unwrap_or_default();
    let mut rows: Vec<AnswerReview> = questions
        .iter()
        .map(|q| {
            let answer = given.get(&q.id).filter(|v| !v.is_null());
            AnswerReview {
                question_id: q.id.clone(),
                question: q.text.clone(),
                knockout: answer.is_some() && answer == q.knockout_answer.as_ref(),
                answer: answer.cloned(),
                still_asked: true,
            }
        })
        .collect();
    for (k, v) in &given {
        if !v.is_null() && !questions.iter().any(|q| &q.id == k) {
            rows.push(AnswerReview {
                question_id: k.clone(),
                question: k.clone(),
                answer: Some(v.clone()),
                knockout: false,
                still_asked: false,
            });
        }
    }
    rows
}

pub(super) async fn summaries<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<application::Model>,
    now: DateTime<Utc>,
) -> AppResult<Vec<ApplicationSummary>> {
    let who = persons(conn, rows.iter().map(|a| a.user_id)).await?;
    let stage_ids: Vec<Uuid> = rows.iter().map(|a| a.stage_id).collect();
    let stages: BTreeMap<Uuid, stage::Model> = stage::Entity::find()
        .filter(stage::Column::Id.is_in(stage_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|a| {
            let u = who.get(&a.user_id)?;
            let s = stages.get(&a.stage_id)?;
            Some(ApplicationSummary {
                id: a.id,
                candidate: person(u),
                status: a.status.clone(),
                stage: StageBrief {
                    id: s.id,
                    name: s.name.clone(),
                },
                match_score: a.match_score,
                applied_at: a.created_at,
                stage_changed_at: a.stage_changed_at,
                days_in_stage: (now - a.stage_changed_at).num_days(),
                updated_at: a.updated_at,
            })
        })
        .collect())
}
