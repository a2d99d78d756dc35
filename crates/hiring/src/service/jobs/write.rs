//! Posting, changing and deleting (or closing) jobs by the company's editors.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use uuid::Uuid;
use vertechie_accounts::people;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser};

use crate::model::{company, job, saved_job};
use crate::service::search::{self};
use crate::service::search_cache::jobs_changed;
use crate::service::{Refusal, find_company, require_role};

use super::rules::{Fields, skill_keys};
use super::views::view;
use super::{EDITORS, JobCreate, JobUpdate, JobView, Removed, editable_job};

/// Owners, admins and recruiters of the company post a job (any status), with a verified email
/// address (403 `EMAIL_NOT_VERIFIED`).
pub async fn create(state: &AppState, actor: &CurrentUser, input: JobCreate) -> AppResult<JobView> {
    let now = state.clock.now();
    let Some(company_id) = input.company_id else {
        return Err(AppError::field("company_id", "is required"));
    };
    let company = company::Entity::find_by_id(company_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::field("company_id", "no such company"))?;
    require_role(&state.db, company_id, actor.id, EDITORS, Refusal::Forbidden).await?;
    people::live(&state.db, actor.id.0)
        .await?
        .require_verified_email("post jobs")?;
    if company.closed_at.is_some() {
        return Err(AppError::conflict(
            "COMPANY_CLOSED",
            "This company is closed and posts no jobs",
        ));
    }
    let fields = Fields::from_create(input);
    let (skills, questions) = fields.validate(now, true)?;
    let status = fields.status.clone().unwrap_or_else(|| "draft".to_owned());

    let txn = begin_write(&state.db).await?;
    let row = job::Model {
        id: Uuid::now_v7(),
        company_id,
        created_by: Some(actor.id.0),
        title: fields.title.unwrap_or_default(),
        description: fields.description.unwrap_or_default(),
        requirements: fields.requirements,
        skills: serde_json::to_string(&skills).map_err(AppError::internal)?,
        skill_keys: skill_keys(&skills),
        location: fields.location,
        remote: fields.remote.unwrap_or_default(),
        employment_type: fields.employment_type.unwrap_or_default(),
        experience_level: fields.experience_level,
        salary_min: fields.salary_min,
        salary_max: fields.salary_max,
        currency: fields.currency,
        screening_questions: serde_json::to_string(&questions).map_err(AppError::internal)?,
        published_at: (status == "open").then_some(now),
        status,
        closes_at: fields.closes_at,
        last_pipeline_activity_at: now,
        stuck_after_days: i32::try_from(fields.stuck_after_days).unwrap_or(7),
        created_at: now,
        updated_at: now,
    };
    let row = job::ActiveModel::from(row).insert(&txn).await?;
    search::index_job(&txn, &row).await?;
    crate::service::pipeline::ensure_stages(&txn, row.id, now).await?;
    txn.commit().await?;
    jobs_changed(state);
    Ok(view(&row, &company, now, true))
}

/// Editors change a job; the result must pass every creation rule (`closes_at` is checked for
/// the future only when it changes). Opening it needs a verified email address.
pub async fn update(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
    input: JobUpdate,
) -> AppResult<JobView> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let current = editable_job(&txn, id, actor.id).await?;
    let closes_at_changed = !input.closes_at.is_absent();
    let mut f = Fields::of(&current);
    f.apply(input);
    let (skills, questions) = f.validate(now, closes_at_changed)?;
    let status = f.status.clone().unwrap_or_else(|| current.status.clone());
    let opening = status == "open" && current.status != "open";
    if opening {
        people::live(&txn, actor.id.0)
            .await?
            .require_verified_email("open a job")?;
    }

    let mut row = current.clone().into_active_model();
    row.title = Set(f.title.unwrap_or_default());
    row.description = Set(f.description.unwrap_or_default());
    row.requirements = Set(f.requirements);
    row.skills = Set(serde_json::to_string(&skills).map_err(AppError::internal)?);
    row.skill_keys = Set(skill_keys(&skills));
    row.location = Set(f.location);
    row.remote = Set(f.remote.unwrap_or_default());
    row.employment_type = Set(f.employment_type.unwrap_or_default());
    row.experience_level = Set(f.experience_level);
    row.salary_min = Set(f.salary_min);
    row.salary_max = Set(f.salary_max);
    row.currency = Set(f.currency);
    row.screening_questions = Set(serde_json::to_string(&questions).map_err(AppError::internal)?);
    row.closes_at = Set(f.closes_at);
    row.stuck_after_days = Set(i32::try_from(f.stuck_after_days).unwrap_or(7));
    if opening {
        row.last_pipeline_activity_at = Set(now);
        if current.published_at.is_none() {
            row.published_at = Set(Some(now));
        }
    }
    row.status = Set(status);
    row.updated_at = Set(now);
    let row = row.update(&txn).await?;
    search::index_job(&txn, &row).await?;
    let company = find_company(&txn, row.company_id).await?;
    txn.commit().await?;
    jobs_changed(state);
    Ok(view(&row, &company, now, true))
}

/// Drafts are deleted (there are no applications yet to keep); anything else is closed.
pub async fn delete(state: &AppState, actor: &CurrentUser, id: Uuid) -> AppResult<Removed> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let current = editable_job(&txn, id, actor.id).await?;
    if current.status == "draft" {
        search::unindex_job(&txn, id).await?;
        saved_job::Entity::delete_many()
            .filter(saved_job::Column::JobId.eq(id))
            .exec(&txn)
            .await?;
        job::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        jobs_changed(state);
        return Ok(Removed::Deleted);
    }
    let row = if current.status == "closed" {
        current
    } else {
        let mut row = current.into_active_model();
        row.status = Set("closed".to_owned());
        row.updated_at = Set(now);
        row.update(&txn).await?
    };
    let company = find_company(&txn, row.company_id).await?;
    txn.commit().await?;
    jobs_changed(state);
    Ok(Removed::Closed(Box::new(view(&row, &company, now, true))))
}
