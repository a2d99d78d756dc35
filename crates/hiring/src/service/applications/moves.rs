//! Editors moving applications between stages and rejecting them, one at a time or in bulk.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::text::{clean, clean_text};
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, UserId, Validator};

use super::common::{closed_app, event, is_terminal, load_for_member, tell_candidate, touch_job};
use super::views::detail;
use super::{
    ApplicationView, EVENT_MOVED, EVENT_REJECTED, MoveInput, REJECT_NOTE_MAX, REJECT_REASONS,
    REJECTED_MESSAGE, RejectInput, publish,
};
use crate::model::{application, job};
use crate::service::jobs::EDITORS;
use crate::service::pipeline::{find_job, stages_of};
use crate::service::{Refusal, require_role};

/// Editors move an active application to another stage of its job.
pub async fn move_to(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
    input: MoveInput,
) -> AppResult<ApplicationView> {
    let now = state.clock.now();
    let Some(stage_id) = input.stage_id else {
        return Err(AppError::field("stage_id", "is required"));
    };
    let txn = begin_write(&state.db).await?;
    let (a, j, role) = load_for_member(&txn, id, actor.id, EDITORS, true).await?;
    if is_terminal(&a) {
        return Err(closed_app());
    }
    let stages = stages_of(&txn, j.id, now).await?;
    let Some(to) = stages.iter().find(|s| s.id == stage_id) else {
        return Err(AppError::field("stage_id", "not a stage of this job"));
    };
    if a.stage_id == to.id {
        let view = detail(&txn, &a, &j, Some(role)).await?;
        txn.commit().await?;
        return Ok(view);
    }
    let from = stages
        .iter()
        .find(|s| s.id == a.stage_id)
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let mut m: application::ActiveModel = a.into();
    m.stage_id = Set(to.id);
    m.stage_changed_at = Set(now);
    m.updated_at = Set(now);
    let a = m.update(&txn).await?;
    event(
        &txn,
        a.id,
        Some(actor.id),
        "moved",
        json!({"from": from, "to": to.name, "stage": to.name}),
        true,
        now,
    )
    .await?;
    touch_job(&txn, j.id, now).await?;
    tell_candidate(
        state,
        &txn,
        now,
        &a,
        &j,
        &format!(
            "Your application for {} moved to the {} stage.",
            j.title, to.name
        ),
    )
    .await?;
    let view = detail(&txn, &a, &j, Some(role)).await?;
    txn.commit().await?;
    publish(state, EVENT_MOVED, &a, &j, actor.id);
    Ok(view)
}

/// Editors reject an active application with a reason.
pub async fn reject(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
    input: RejectInput,
) -> AppResult<ApplicationView> {
    let now = state.clock.now();
    let mut v = Validator::new();
    let (reason, note) = check_reject(&mut v, input.reason.as_deref(), input.note.as_deref());
    v.finish()?;
    let txn = begin_write(&state.db).await?;
    let (a, j, role) = load_for_member(&txn, id, actor.id, EDITORS, true).await?;
    if is_terminal(&a) {
        return Err(closed_app());
    }
    let a = reject_locked(state, &txn, actor.id, a, &j, (&reason, note), now).await?;
    let view = detail(&txn, &a, &j, Some(role)).await?;
    txn.commit().await?;
    publish(state, EVENT_REJECTED, &a, &j, actor.id);
    Ok(view)
}

/// Checks a rejection's reason and note; returns them cleaned (the reason is only meaningful
/// when `v` stays empty).
fn check_reject(
    v: &mut Validator,
    reason: Option<&str>,
    note: Option<&str>,
) -> (String, Option<String>) {
    let reason = reason.and_then(clean);
    match reason.as_deref() {
        None => v.add("reason", "is required"),
        Some(r) if !REJECT_REASONS.contains(&r) => v.add(
            "reason",
            format!("must be one of {}", REJECT_REASONS.join(", ")),
        ),
        Some(_) => {}
    }
    let note = note.and_then(clean_text);
    v.max_len(note.as_deref(), "note", REJECT_NOTE_MAX);
    (reason.unwrap_or_default(), note)
}

/// Rejects an active application the caller loaded (locked) and may reject: the status, the
/// timeline event, the job's activity and the candidate's notice, all in `txn`. The caller
/// commits and then publishes [`EVENT_REJECTED`].
async fn reject_locked<C: ConnectionTrait>(
    state: &AppState,
    txn: &C,
    actor: UserId,
    a: application::Model,
    j: &job::Model,
    (reason, note): (&str, Option<String>),
    now: DateTime<Utc>,
) -> AppResult<application::Model> {
    let mut m: application::ActiveModel = a.into();
    m.status = Set("rejected".to_owned());
    m.reject_reason = Set(Some(reason.to_owned()));
    m.reject_note = Set(note);
    m.updated_at = Set(now);
    let a = m.update(txn).await?;
    event(
        txn,
        a.id,
        Some(actor),
        "rejected",
        json!({"reason": reason}),
        true,
        now,
    )
    .await?;
    touch_job(txn, j.id, now).await?;
    tell_candidate(state, txn, now, &a, j, REJECTED_MESSAGE).await?;
    Ok(a)
}

// ---- bulk reject (company pages and API) ----

/// At most this many applications per bulk rejection.
pub const BULK_REJECT_MAX: usize = 200;

/// Reject several applications of one job with one reason.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct BulkRejectInput {
    /// 1–200 applications of the job (an id given twice counts once).
    pub application_ids: Option<Vec<Uuid>>,
    /// not_a_fit | experience | skills | location | salary | position_filled | other
    pub reason: Option<String>,
    /// At most 2,000 characters (members only see it).
    pub note: Option<String>,
}

/// What a bulk rejection did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkRejectResult {
    /// Rejected by this request, in the order given.
    pub rejected: Vec<Uuid>,
    /// Already rejected or withdrawn, so left as they were (a repeated request is harmless).
    pub skipped: Vec<Uuid>,
}

/// Editors reject several applications of a job at once, exactly as [`reject`] does each one
/// (the same timeline event, candidate notice and bus event). All or nothing, in one
/// transaction: every id must be an application of this job (else 422 on
/// `application_ids[i]`); applications that are already rejected or withdrawn are skipped,
/// not refused, so a board that is a little out of date still works. Outsiders get 404.
pub async fn bulk_reject(
    state: &AppState,
    actor: &CurrentUser,
    job_id: Uuid,
    input: BulkRejectInput,
) -> AppResult<BulkRejectResult> {
    let now = state.clock.now();
    let mut v = Validator::new();
    let given = input.application_ids.unwrap_or_default();
    if given.is_empty() {
        v.add("application_ids", "needs at least one application");
    } else if given.len() > BULK_REJECT_MAX {
        v.add(
            "application_ids",
            format!("at most {BULK_REJECT_MAX} applications at a time"),
        );
    }
    let (reason, note) = check_reject(&mut v, input.reason.as_deref(), input.note.as_deref());
    v.finish()?;
    let mut ids: Vec<Uuid> = Vec::with_capacity(given.len());
    for id in &given {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }

    let txn = begin_write(&state.db).await?;
    let j = find_job(&txn, job_id, false).await?;
    require_role(&txn, j.company_id, actor.id, EDITORS, Refusal::NotFound).await?;
    // Locked in id order, so two bulk rejections cannot wait on each other.
    let found: BTreeMap<Uuid, application::Model> = application::Entity::find()
        .filter(application::Column::Id.is_in(ids.clone()))
        .order_by_asc(application::Column::Id)
        .lock_exclusive()
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut v = Validator::new();
    for (i, id) in given.iter().enumerate() {
        if found.get(id).is_none_or(|a| a.job_id != j.id) {
            v.add(
                &format!("application_ids[{i}]"),
                "is not an application of this job",
            );
        }
    }
    v.finish()?;
    let mut found = found;
    let mut done = Vec::new();
    let mut skipped = Vec::new();
    for id in ids {
        let Some(a) = found.remove(&id) else { continue };
        if is_terminal(&a) {
            skipped.push(id);
            continue;
        }
        let a = reject_locked(state, &txn, actor.id, a, &j, (&reason, note.clone()), now).await?;
        done.push(a);
    }
    txn.commit().await?;
    for a in &done {
        publish(state, EVENT_REJECTED, a, &j, actor.id);
    }
    Ok(BulkRejectResult {
        rejected: done.iter().map(|a| a.id).collect(),
        skipped,
    })
}
