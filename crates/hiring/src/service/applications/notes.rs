//! Private notes and scorecards of company members on an application.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use uuid::Uuid;
use vertechie_accounts::people;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::error::UniqueKey;
use vertechie_kernel::text::{clean, clean_text};
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, Validator};

use super::common::{event, load_for_member};
use super::views::{person, persons};
use super::{
    CRITERIA_MAX, CRITERION_MAX, NOTE_MAX, NoteInput, NoteView, RECOMMENDATIONS, ScorecardInput,
    ScorecardList, ScorecardView,
};
use crate::model::{note, scorecard};
use crate::service::CompanyRole;
use crate::service::pipeline::MEMBERS;

const UQ_SCORECARDS_APPLICATION_INTERVIEWER: UniqueKey = UniqueKey::new(
    "uq_scorecards_application_interviewer",
    "scorecards",
    &["application_id", "interviewer_id"],
);

/// Any member adds a private note.
pub async fn add_note(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
    input: NoteInput,
) -> AppResult<NoteView> {
    let now = state.clock.now();
    let Some(body) = input.body.as_deref().and_then(clean_text) else {
        return Err(AppError::field("body", "is required"));
    };
    let mut v = Validator::new();
    v.max_len(Some(&body), "body", NOTE_MAX);
    v.finish()?;
    let txn = begin_write(&state.db).await?;
    let (a, _, _) = load_for_member(&txn, id, actor.id, MEMBERS, false).await?;
    let row = note::ActiveModel::from(note::Model {
        id: Uuid::now_v7(),
        application_id: a.id,
        author_id: Some(actor.id.0),
        body,
        created_at: now,
    })
    .insert(&txn)
    .await?;
    event(
        &txn,
        a.id,
        Some(actor.id),
        "note_added",
        json!({"note_id": row.id}),
        false,
        now,
    )
    .await?;
    let who = persons(&txn, [actor.id.0]).await?;
    txn.commit().await?;
    Ok(NoteView {
        id: row.id,
        author: who.get(&actor.id.0).map(person),
        body: row.body,
        created_at: row.created_at,
    })
}

/// The notes of an application, oldest first (members).
pub async fn notes(state: &AppState, actor: &CurrentUser, id: Uuid) -> AppResult<Vec<NoteView>> {
    let (a, _, _) = load_for_member(&state.db, id, actor.id, MEMBERS, false).await?;
    let rows = note::Entity::find()
        .filter(note::Column::ApplicationId.eq(a.id))
        .order_by_asc(note::Column::CreatedAt)
        .order_by_asc(note::Column::Id)
        .all(&state.db)
        .await?;
    let who = persons(&state.db, rows.iter().filter_map(|n| n.author_id)).await?;
    Ok(rows
        .into_iter()
        .map(|n| NoteView {
            id: n.id,
            author: n.author_id.and_then(|id| who.get(&id)).map(person),
            body: n.body,
            created_at: n.created_at,
        })
        .collect())
}

fn scorecard_view(s: scorecard::Model, who: &BTreeMap<Uuid, people::PersonBrief>) -> ScorecardView {
    ScorecardView {
        id: s.id,
        interviewer: who.get(&s.interviewer_id).map(person),
        ratings: serde_json::from_str(&s.ratings).unwrap_or_else(|_| json!({})),
        recommendation: s.recommendation,
        notes: s.notes,
        created_at: s.created_at,
    }
}

/// Any member submits their scorecard (one per member and application).
pub async fn add_scorecard(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
    input: ScorecardInput,
) -> AppResult<ScorecardView> {
    let now = state.clock.now();
    let mut v = Validator::new();
    let ratings = input.ratings.unwrap_or_default();
    if ratings.is_empty() {
        v.add("ratings", "needs at least one criterion");
    } else if ratings.len() > CRITERIA_MAX {
        v.add("ratings", "at most 20 criteria");
    }
    let mut clean_ratings = serde_json::Map::new();
    for (k, val) in &ratings {
        let field = format!("ratings.{k}");
        let Some(name) = clean(k).filter(|n| n.chars().count() <= CRITERION_MAX) else {
            v.add(&field, "criterion must be 1–60 characters");
            continue;
        };
        match val.as_i64() {
            Some(n) if (1..=4).contains(&n) => {
                clean_ratings.insert(name, json!(n));
            }
            _ => v.add(&field, "must be an integer from 1 to 4"),
        }
    }
    let rec = input.recommendation.as_deref().and_then(clean);
    match rec.as_deref() {
        Some(r) if RECOMMENDATIONS.contains(&r) => {}
        Some(_) => v.add(
            "recommendation",
            "must be one of strong_no, no, yes, strong_yes",
        ),
        None => v.add("recommendation", "is required"),
    }
    let notes = input.notes.as_deref().and_then(clean_text);
    v.max_len(notes.as_deref(), "notes", NOTE_MAX);
    v.finish()?;
    let txn = begin_write(&state.db).await?;
    let (a, _, _) = load_for_member(&txn, id, actor.id, MEMBERS, false).await?;
    let exists = || {
        AppError::conflict(
            "SCORECARD_EXISTS",
            "You have already submitted a scorecard for this application",
        )
    };
    let mine = scorecard::Entity::find()
        .filter(scorecard::Column::ApplicationId.eq(a.id))
        .filter(scorecard::Column::InterviewerId.eq(actor.id.0))
        .count(&txn)
        .await?;
    if mine > 0 {
        return Err(exists());
    }
    let row = scorecard::ActiveModel::from(scorecard::Model {
        id: Uuid::now_v7(),
        application_id: a.id,
        interviewer_id: actor.id.0,
        ratings: Value::Object(clean_ratings).to_string(),
        recommendation: rec.unwrap_or_default(),
        notes,
        created_at: now,
    })
    .insert(&txn)
    .await
    .map_err(|e| AppError::from(e).on_conflict(&UQ_SCORECARDS_APPLICATION_INTERVIEWER, exists))?;
    event(
        &txn,
        a.id,
        Some(actor.id),
        "scorecard_submitted",
        json!({"recommendation": row.recommendation}),
        false,
        now,
    )
    .await?;
    let who = persons(&txn, [actor.id.0]).await?;
    txn.commit().await?;
    Ok(scorecard_view(row, &who))
}

/// Scorecards of an application (members). Interviewers see the others' only once they have
/// submitted their own; owners, admins and recruiters see them all.
pub async fn scorecards(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
) -> AppResult<ScorecardList> {
    let (a, _, role) = load_for_member(&state.db, id, actor.id, MEMBERS, false).await?;
    let rows = scorecard::Entity::find()
        .filter(scorecard::Column::ApplicationId.eq(a.id))
        .order_by_asc(scorecard::Column::CreatedAt)
        .order_by_asc(scorecard::Column::Id)
        .all(&state.db)
        .await?;
    let submitted = rows.iter().any(|s| s.interviewer_id == actor.id.0);
    let see_all = role != CompanyRole::Interviewer || submitted;
    let total = rows.len() as u64;
    let rows: Vec<scorecard::Model> = rows
        .into_iter()
        .filter(|s| see_all || s.interviewer_id == actor.id.0)
        .collect();
    let hidden = total - rows.len() as u64;
    let who = persons(&state.db, rows.iter().map(|s| s.interviewer_id)).await?;
    Ok(ScorecardList {
        items: rows.into_iter().map(|s| scorecard_view(s, &who)).collect(),
        hidden,
    })
}
