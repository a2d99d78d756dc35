//! Pipeline stages per job: the defaults (applied, screening, interview, offer, hired) made when
//! a job is created — or lazily for jobs older than the stages table — and the editors' changes
//! (add, rename, reorder, delete an empty stage that is not the first). Terminal outcomes
//! (rejected, withdrawn) are application statuses, not stages.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::error::UniqueKey;
use vertechie_kernel::text::clean;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser};

use crate::model::{application, job, stage};
use crate::service::jobs::EDITORS;
use crate::service::{CompanyRole, Refusal, require_role};

/// The stages every job starts with, in order.
pub const DEFAULT_STAGES: [&str; 5] = ["applied", "screening", "interview", "offer", "hired"];
pub const STAGE_NAME_MAX: usize = 60;
pub const STAGES_MAX: usize = 20;

/// Every member role: they read the pipeline.
pub const MEMBERS: &[CompanyRole] = &CompanyRole::ALL;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageView {
    pub id: Uuid,
    pub name: String,
    /// From 0; applications enter at position 0.
    pub position: i32,
    /// Applications currently in the stage (any status).
    pub applications: u64,
}

/// A new stage.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StageCreate {
    /// Required, at most 60 characters, unique within the job (case-insensitive).
    pub name: Option<String>,
    /// Where to put it (0 = first); default last.
    pub position: Option<i32>,
}

/// A rename and/or a move.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StageUpdate {
    pub name: Option<String>,
    pub position: Option<i32>,
}

/// Loads a job or 404.
pub(crate) async fn find_job<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    lock: bool,
) -> AppResult<job::Model> {
    let mut q = job::Entity::find_by_id(id);
    if lock {
        q = q.lock_exclusive();
    }
    q.one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Job not found"))
}

/// Makes the default stages of a job that has none (idempotent and race-safe: the
/// `uq_job_stages_job_name` index absorbs a concurrent run).
pub async fn ensure_stages<C: ConnectionTrait>(
    conn: &C,
    job_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let count = stage::Entity::find()
        .filter(stage::Column::JobId.eq(job_id))
        .count(conn)
        .await?;
    if count > 0 {
        return Ok(());
    }
    let rows = DEFAULT_STAGES
        .iter()
        .enumerate()
        .map(|(i, n)| stage::ActiveModel {
            id: Set(Uuid::now_v7()),
            job_id: Set(job_id),
            name: Set((*n).to_owned()),
            position: Set(i as i32),
            created_at: Set(now),
        });
    stage::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([stage::Column::JobId, stage::Column::Name])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The stages of a job in order (made first when missing).
pub async fn stages_of<C: ConnectionTrait>(
    conn: &C,
    job_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Vec<stage::Model>> {
    ensure_stages(conn, job_id, now).await?;
    Ok(stage::Entity::find()
        .filter(stage::Column::JobId.eq(job_id))
        .order_by_asc(stage::Column::Position)
        .order_by_asc(stage::Column::Id)
        .all(conn)
        .await?)
}

async fn views<C: ConnectionTrait>(
    conn: &C,
    stages: Vec<stage::Model>,
) -> AppResult<Vec<StageView>> {
    let mut out = Vec::with_capacity(stages.len());
    for s in stages {
        let n = application::Entity::find()
            .filter(application::Column::StageId.eq(s.id))
            .count(conn)
            .await?;
        out.push(StageView {
            id: s.id,
            name: s.name,
            position: s.position,
            applications: n,
        });
    }
    Ok(out)
}

/// Writes positions 0..n in the given order.
async fn renumber<C: ConnectionTrait>(conn: &C, order: &[stage::Model]) -> AppResult<()> {
    for (i, s) in order.iter().enumerate() {
        if s.position != i as i32 {
            stage::ActiveModel {
                id: Set(s.id),
                position: Set(i as i32),
                ..Default::default()
            }
            .update(conn)
            .await?;
        }
    }
    Ok(())
}

fn check_name(name: Option<&str>, others: &[stage::Model]) -> AppResult<String> {
    let Some(name) = name.and_then(clean) else {
        return Err(AppError::field("name", "is required"));
    };
    if name.chars().count() > STAGE_NAME_MAX {
        return Err(AppError::field("name", "must be at most 60 characters"));
    }
    if others
        .iter()
        .any(|s| s.name.to_lowercase() == name.to_lowercase())
    {
        return Err(stage_exists());
    }
    Ok(name)
}

const UQ_JOB_STAGES_JOB_NAME: UniqueKey =
    UniqueKey::new("uq_job_stages_job_name", "job_stages", &["job_id", "name"]);

fn stage_exists() -> AppError {
    AppError::conflict("STAGE_EXISTS", "The job already has a stage with this name")
}

fn check_position(p: i32, len: usize) -> AppResult<usize> {
    if p < 0 || p as usize > len {
        return Err(AppError::field(
            "position",
            &format!("must be between 0 and {len}"),
        ));
    }
    Ok(p as usize)
}

/// The stages of a job (company members; others 404).
pub async fn list(state: &AppState, user: &CurrentUser, job_id: Uuid) -> AppResult<Vec<StageView>> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let j = find_job(&txn, job_id, false).await?;
    require_role(&txn, j.company_id, user.id, MEMBERS, Refusal::NotFound).await?;
    let stages = stages_of(&txn, j.id, now).await?;
    let out = views(&txn, stages).await?;
    txn.commit().await?;
    Ok(out)
}

/// Editors add a stage.
pub async fn add(
    state: &AppState,
    user: &CurrentUser,
    job_id: Uuid,
    input: StageCreate,
) -> AppResult<Vec<StageView>> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let j = find_job(&txn, job_id, true).await?;
    require_role(&txn, j.company_id, user.id, EDITORS, Refusal::NotFound).await?;
    let mut stages = stages_of(&txn, j.id, now).await?;
    if stages.len() >= STAGES_MAX {
        return Err(AppError::conflict(
            "TOO_MANY_STAGES",
            "A job has at most 20 stages",
        ));
    }
    let name = check_name(input.name.as_deref(), &stages)?;
    let at = check_position(input.position.unwrap_or(stages.len() as i32), stages.len())?;
    let row = stage::ActiveModel::from(stage::Model {
        id: Uuid::now_v7(),
        job_id: j.id,
        name,
        position: i32::MAX,
        created_at: now,
    })
    .insert(&txn)
    .await
    .map_err(|e| AppError::from(e).on_conflict(&UQ_JOB_STAGES_JOB_NAME, stage_exists))?;
    stages.insert(at, row);
    renumber(&txn, &stages).await?;
    let out = views(&txn, stages_of(&txn, j.id, now).await?).await?;
    txn.commit().await?;
    Ok(out)
}

/// Editors rename and/or move a stage.
pub async fn update(
    state: &AppState,
    user: &CurrentUser,
    job_id: Uuid,
    stage_id: Uuid,
    input: StageUpdate,
) -> AppResult<Vec<StageView>> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let j = find_job(&txn, job_id, true).await?;
    require_role(&txn, j.company_id, user.id, EDITORS, Refusal::NotFound).await?;
    let mut stages = stages_of(&txn, j.id, now).await?;
    let Some(idx) = stages.iter().position(|s| s.id == stage_id) else {
        return Err(AppError::not_found("Stage not found"));
    };
    if let Some(n) = input.name.as_deref() {
        let others: Vec<stage::Model> = stages
            .iter()
            .filter(|s| s.id != stage_id)
            .cloned()
            .collect();
        let name = check_name(Some(n), &others)?;
        stage::ActiveModel {
            id: Set(stage_id),
            name: Set(name),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    if let Some(p) = input.position {
        let to = check_position(p, stages.len() - 1)?;
        let s = stages.remove(idx);
        stages.insert(to, s);
        renumber(&txn, &stages).await?;
    }
    let out = views(&txn, stages_of(&txn, j.id, now).await?).await?;
    txn.commit().await?;
    Ok(out)
}

/// Editors delete an empty stage that is not the first.
pub async fn delete(
    state: &AppState,
    user: &CurrentUser,
    job_id: Uuid,
    stage_id: Uuid,
) -> AppResult<()> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let j = find_job(&txn, job_id, true).await?;
    require_role(&txn, j.company_id, user.id, EDITORS, Refusal::NotFound).await?;
    let mut stages = stages_of(&txn, j.id, now).await?;
    let Some(idx) = stages.iter().position(|s| s.id == stage_id) else {
        return Err(AppError::not_found("Stage not found"));
    };
    if idx == 0 {
        return Err(AppError::conflict(
            "STAGE_FIRST",
            "The first stage cannot be deleted: new applications enter there",
        ));
    }
    let used = application::Entity::find()
        .filter(application::Column::StageId.eq(stage_id))
        .count(&txn)
        .await?;
    if used > 0 {
        return Err(AppError::conflict(
            "STAGE_NOT_EMPTY",
            "Move the applications out of this stage first",
        ));
    }
    stage::Entity::delete_by_id(stage_id).exec(&txn).await?;
    stages.remove(idx);
    renumber(&txn, &stages).await?;
    txn.commit().await?;
    Ok(())
}
