//! The company's hiring dashboard: its jobs in any status with their application counts.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;
use vertechie_kernel::{AppResult, AppState, CurrentUser};

use crate::model::job;
use crate::service::{CompanyRole, Refusal, find_company, require_role};

use super::JobView;
use super::views::view;

/// A job on the hiring dashboard, with how many applications it has.
#[derive(Debug, Clone, Serialize)]
pub struct CompanyJob {
    pub job: JobView,
    /// Applications still in the pipeline.
    pub active: u64,
    /// Every application, rejected and withdrawn ones too.
    pub total: u64,
}

/// Most jobs the dashboard lists per company.
pub const COMPANY_JOBS_MAX: u64 = 200;

/// A company's jobs in any status, newest first, with their application counts: for the
/// company's members (the hiring dashboard); everyone else gets 404.
pub async fn company_jobs(
    state: &AppState,
    actor: &CurrentUser,
    company_id: Uuid,
) -> AppResult<Vec<CompanyJob>> {
    use crate::model::application;
    use sea_orm::sea_query::{Expr, Func, SimpleExpr};

    let now = state.clock.now();
    let company = find_company(&state.db, company_id).await?;
    require_role(
        &state.db,
        company_id,
        actor.id,
        &CompanyRole::ALL,
        Refusal::NotFound,
    )
    .await?;
    let rows = job::Entity::find()
        .filter(job::Column::CompanyId.eq(company_id))
        .order_by_desc(job::Column::CreatedAt)
        .order_by_desc(job::Column::Id)
        .limit(COMPANY_JOBS_MAX)
        .all(&state.db)
        .await?;
    let counts: Vec<(Uuid, String, i64)> = if rows.is_empty() {
        Vec::new()
    } else {
        application::Entity::find()
            .select_only()
            .column(application::Column::JobId)
            .column(application::Column::Status)
            .column_as(
                SimpleExpr::from(Func::count(Expr::col(application::Column::Id))),
                "n",
            )
            .filter(application::Column::JobId.is_in(rows.iter().map(|j| j.id)))
            .group_by(application::Column::JobId)
            .group_by(application::Column::Status)
            .into_tuple()
            .all(&state.db)
            .await?
    };
    Ok(rows
        .iter()
        .map(|j| {
            let of_job = counts.iter().filter(|(id, _, _)| *id == j.id);
            let (mut active, mut total) = (0u64, 0u64);
            for (_, status, n) in of_job {
                let n = u64::try_from(*n).unwrap_or(0);
                total += n;
                if status == "active" {
                    active += n;
                }
            }
            CompanyJob {
                job: view(j, &company, now, true),
                active,
                total,
            }
        })
        .collect())
}
