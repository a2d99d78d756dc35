//! Company members reading applications: one application in full, a job's pipeline list.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;
use vertechie_kernel::text::clean;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, Page, PageQuery};

use super::common::load;
use super::views::{detail, summaries};
use super::{ApplicationSummary, ApplicationView, ApplicationsQuery};
use crate::model::{application, stage};
use crate::service::pipeline::{MEMBERS, find_job};
use crate::service::{Refusal, require_role, role_in};

// ---- company members ----

/// An application: everything for company members, the status timeline for the candidate,
/// 404 for everyone else.
pub async fn get(state: &AppState, actor: &CurrentUser, id: Uuid) -> AppResult<ApplicationView> {
    let (a, j) = load(&state.db, id, false).await?;
    let role = role_in(&state.db, j.company_id, actor.id).await?;
    if role.is_none() && a.user_id != actor.id.0 {
        return Err(AppError::not_found("Application not found"));
    }
    detail(&state.db, &a, &j, role).await
}

/// A job's applications for its company's members.
pub async fn list_for_job(
    state: &AppState,
    actor: &CurrentUser,
    job_id: Uuid,
    q: ApplicationsQuery,
) -> AppResult<Page<ApplicationSummary>> {
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
    let mut sel = application::Entity::find().filter(application::Column::JobId.eq(j.id));
    if let Some(s) = q.stage.as_deref().and_then(clean) {
        let stages = stage::Entity::find()
            .filter(stage::Column::JobId.eq(j.id))
            .all(&state.db)
            .await?;
        let found = stages.iter().find(|st| {
            st.id.to_string() == s.to_lowercase() || st.name.to_lowercase() == s.to_lowercase()
        });
        let Some(st) = found else {
            return Err(AppError::bad_request(
                "INVALID_QUERY",
                "stage: not a stage of this job",
            ));
        };
        sel = sel.filter(application::Column::StageId.eq(st.id));
    }
    if let Some(s) = q.status.as_deref() {
        if !["active", "rejected", "withdrawn"].contains(&s) {
            return Err(AppError::bad_request(
                "INVALID_QUERY",
                "status: must be one of active, rejected, withdrawn",
            ));
        }
        sel = sel.filter(application::Column::Status.eq(s));
    }
    sel = match q.sort.as_deref().unwrap_or("newest") {
        "newest" => sel.order_by_desc(application::Column::CreatedAt),
        "match" => sel
            .order_by_desc(application::Column::MatchScore)
            .order_by_desc(application::Column::CreatedAt),
        _ => {
            return Err(AppError::bad_request(
                "INVALID_QUERY",
                "sort: must be match or newest",
            ));
        }
    };
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    };
    let total = sel.clone().count(&state.db).await?;
    let rows = sel
        .order_by_desc(application::Column::Id)
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    Ok(Page::new(
        summaries(&state.db, rows, now).await?,
        total,
        &page,
    ))
}
