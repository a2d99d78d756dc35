//! Loading and writing helpers the application commands share: the 404-for-outsiders loads,
//! timeline events, the job's pipeline activity and the candidate's notice.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::Value;
use uuid::Uuid;
use vertechie_kernel::notify::{Notice, notify};
use vertechie_kernel::{AppError, AppResult, AppState, UserId};

use super::KIND_STATUS_CHANGED;
use crate::model::{application, application_event, job};
use crate::service::pipeline::find_job;
use crate::service::{CompanyRole, Refusal, require_role};

pub(super) fn is_terminal(a: &application::Model) -> bool {
    a.status != "active"
}

pub(super) fn closed_app() -> AppError {
    AppError::conflict(
        "APPLICATION_CLOSED",
        "The application was already rejected or withdrawn",
    )
}

pub(super) async fn event<C: ConnectionTrait>(
    conn: &C,
    app: Uuid,
    actor: Option<UserId>,
    kind: &str,
    data: Value,
    public: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    application_event::ActiveModel::from(application_event::Model {
        id: Uuid::now_v7(),
        application_id: app,
        actor_id: actor.map(|a| a.0),
        kind: kind.to_owned(),
        data: data.to_string(),
        public,
        created_at: now,
    })
    .insert(conn)
    .await?;
    Ok(())
}

pub(super) async fn touch_job<C: ConnectionTrait>(
    conn: &C,
    job_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    job::Entity::update_many()
        .col_expr(
            job::Column::LastPipelineActivityAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(job::Column::Id.eq(job_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Loads an application (locked when `lock`) with its job; 404 when missing.
pub(super) async fn load<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    lock: bool,
) -> AppResult<(application::Model, job::Model)> {
    let mut q = application::Entity::find_by_id(id);
    if lock {
        q = q.lock_exclusive();
    }
    let a = q
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Application not found"))?;
    let j = find_job(conn, a.job_id, false).await?;
    Ok((a, j))
}

/// Loads an application for a company member holding one of `allowed`; outsiders 404.
pub(super) async fn load_for_member<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    user: UserId,
    allowed: &[CompanyRole],
    lock: bool,
) -> AppResult<(application::Model, job::Model, CompanyRole)> {
    let (a, j) = load(conn, id, lock).await?;
    let role = require_role(conn, j.company_id, user, allowed, Refusal::NotFound).await?;
    Ok((a, j, role))
}

/// Tells the candidate about a move or a rejection: one notice, which messaging delivers in-app
/// and by email (with the link) as the candidate prefers.
pub(super) async fn tell_candidate<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    now: DateTime<Utc>,
    a: &application::Model,
    j: &job::Model,
    what: &str,
) -> AppResult<()> {
    notify(
        &state.queue,
        conn,
        now,
        Notice {
            user_id: UserId(a.user_id),
            kind: KIND_STATUS_CHANGED.to_owned(),
            title: format!("Your application for {}", j.title),
            body: what.to_owned(),
            link: Some("/applications".to_owned()),
        },
    )
    .await?;
    Ok(())
}
