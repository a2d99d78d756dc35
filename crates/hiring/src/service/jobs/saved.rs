//! Saved jobs: save, unsave, the user's list, and whether a job is saved.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;
use vertechie_kernel::{AppResult, AppState, CurrentUser, Page, PageQuery};

use crate::model::{job, saved_job};

use super::views::views;
use super::{SavedJobView, visible_job};

/// Saves a job the user can see; saving twice is fine.
pub async fn save(state: &AppState, user: &CurrentUser, id: Uuid) -> AppResult<()> {
    visible_job(&state.db, id, Some(user.id)).await?;
    let row = saved_job::ActiveModel::from(saved_job::Model {
        id: Uuid::now_v7(),
        user_id: user.id.0,
        job_id: id,
        created_at: state.clock.now(),
    });
    saved_job::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([saved_job::Column::UserId, saved_job::Column::JobId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?;
    Ok(())
}

/// Forgets a saved job; unsaving what is not saved is fine.
pub async fn unsave(state: &AppState, user: &CurrentUser, id: Uuid) -> AppResult<()> {
    saved_job::Entity::delete_many()
        .filter(saved_job::Column::UserId.eq(user.id.0))
        .filter(saved_job::Column::JobId.eq(id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// The user's saved jobs, newest save first (drafts are left out).
pub async fn saved(
    state: &AppState,
    user: &CurrentUser,
    page: PageQuery,
) -> AppResult<Page<SavedJobView>> {
    let now = state.clock.now();
    let visible = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(job::Column::Status.ne("draft"))
        .into_query();
    let query = saved_job::Entity::find()
        .filter(saved_job::Column::UserId.eq(user.id.0))
        .filter(saved_job::Column::JobId.in_subquery(visible));
    let total = query.clone().count(&state.db).await?;
    let saves = query
        .order_by_desc(saved_job::Column::CreatedAt)
        .order_by_desc(saved_job::Column::Id)
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    let ids: Vec<Uuid> = saves.iter().map(|s| s.job_id).collect();
    let rows = job::Entity::find()
        .filter(job::Column::Id.is_in(ids))
        .all(&state.db)
        .await?;
    let ordered: Vec<job::Model> = saves
        .iter()
        .filter_map(|s| rows.iter().find(|r| r.id == s.job_id).cloned())
        .collect();
    let jobs = views(&state.db, &ordered, now).await?;
    let items = saves
        .iter()
        .filter_map(|s| {
            let job = jobs.iter().find(|j| j.id == s.job_id)?.clone();
            Some(SavedJobView {
                saved_at: s.created_at,
                job,
            })
        })
        .collect();
    Ok(Page::new(items, total, &page))
}

/// Whether the user saved this job (the job page's Save/Unsave button).
pub async fn is_saved(state: &AppState, user: &CurrentUser, id: Uuid) -> AppResult<bool> {
    let n = saved_job::Entity::find()
        .filter(saved_job::Column::UserId.eq(user.id.0))
        .filter(saved_job::Column::JobId.eq(id))
        .count(&state.db)
        .await?;
    Ok(n > 0)
}
