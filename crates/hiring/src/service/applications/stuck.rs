//! The "stuck" list: active applications waiting too long in their stage.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser};

use super::views::summaries;
use super::{ApplicationSummary, StuckQuery};
use crate::model::application;
use crate::service::pipeline::{MEMBERS, find_job};
use crate::service::{Refusal, require_role};

/// Active applications of a job whose last stage change is older than `days` (default the
/// job's `stuck_after_days`), longest waiting first (members).
pub async fn stuck(
    state: &AppState,
    actor: &CurrentUser,
    job_id: Uuid,
    q: StuckQuery,
) -> AppResult<Vec<ApplicationSummary>> {
    let now = state.clock.now();
    let j = find_job(&state.db, job_id, false).await?;
    require_role(
        &state.db,
        j.company_id,
        actor.id,
        MEMBERS,
        Refusal::NotFound,
    )
    .await?;
    let days = match q.days {
        Some(d) if (1..=365).contains(&d) => d,
        Some(_) => {
            return Err(AppError::bad_request(
                "INVALID_QUERY",
                "days: must be from 1 to 365",
            ));
        }
        None => i64::from(j.stuck_after_days),
    };
    let rows = application::Entity::find()
        .filter(application::Column::JobId.eq(j.id))
        .filter(application::Column::Status.eq("active"))
        .filter(application::Column::StageChangedAt.lt(now - Duration::days(days)))
        .order_by_asc(application::Column::StageChangedAt)
        .order_by_asc(application::Column::Id)
        .limit(500)
        .all(&state.db)
        .await?;
    summaries(&state.db, rows, now).await
}
