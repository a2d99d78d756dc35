//! Reading one job: for everyone (open jobs) or members, for the candidate pages, and the
//! signed-in reader's match.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;
use vertechie_accounts::service::profile;
use vertechie_kernel::{AppResult, AppState, CurrentUser, UserId};

use crate::model::job;
use crate::service::find_company;
use crate::service::matching::{self, ExperienceLevel, MatchInput, MatchResult, ProfileSkill};

use super::rules::stored_skills;
use super::saved::is_saved;
use super::views::{response_rates, view};
use super::{JobView, visible_job};

/// A job: open ones for everyone, others for company members only (404 for the rest). A
/// signed-in reader also gets their match.
pub async fn get(state: &AppState, user: Option<&CurrentUser>, id: Uuid) -> AppResult<JobView> {
    let (j, member) = visible_job(&state.db, id, user.map(|u| u.id)).await?;
    let company = find_company(&state.db, j.company_id).await?;
    let mut v = view(&j, &company, state.clock.now(), member);
    v.response_rate = response_rates(&state.db, &[company.id])
        .await?
        .get(&company.id)
        .copied();
    if let Some(u) = user {
        v.match_result = Some(match_of(state, u.id, &j).await?);
    }
    Ok(v)
}

/// The signed-in user's match for a job they can see.
pub async fn match_for(state: &AppState, user: &CurrentUser, id: Uuid) -> AppResult<MatchResult> {
    let (j, _) = visible_job(&state.db, id, Some(user.id)).await?;
    match_of(state, user.id, &j).await
}

async fn match_of(state: &AppState, user: UserId, j: &job::Model) -> AppResult<MatchResult> {
    let profile_skills: Vec<ProfileSkill> = profile::list_skills(state, user)
        .await?
        .into_iter()
        .map(|s| ProfileSkill {
            name: s.name,
            level: s.level.clamp(1, 5) as u8,
        })
        .collect();
    let cv = profile::get_cv(state, user)
        .await?
        .cv_text
        .unwrap_or_default();
    let me = profile::me(state, user).await?;
    let job_skills = stored_skills(j);
    Ok(matching::compute(&MatchInput {
        job_skills: &job_skills,
        job_level: j
            .experience_level
            .as_deref()
            .and_then(ExperienceLevel::parse),
        profile_skills: &profile_skills,
        cv_text: &cv,
        candidate_level: me
            .experience_level
            .as_deref()
            .and_then(ExperienceLevel::parse),
    }))
}

/// A job for the candidate pages: what [`get`] shows, and also a closed (never a draft) job the
/// signed-in reader saved or applied to — their saved list and applications already show it,
/// so its links must keep working. Everyone else gets [`get`]'s 404.
pub async fn get_for_reader(
    state: &AppState,
    user: Option<&CurrentUser>,
    id: Uuid,
) -> AppResult<JobView> {
    let err = match get(state, user, id).await {
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => e,
        other => return other,
    };
    let Some(u) = user else { return Err(err) };
    let Some(j) = job::Entity::find_by_id(id).one(&state.db).await? else {
        return Err(err);
    };
    if j.status != "closed" {
        return Err(err);
    }
    let applied = crate::model::application::Entity::find()
        .filter(crate::model::application::Column::JobId.eq(id))
        .filter(crate::model::application::Column::UserId.eq(u.id.0))
        .count(&state.db)
        .await?;
    if applied == 0 && !is_saved(state, u, id).await? {
        return Err(err);
    }
    let company = find_company(&state.db, j.company_id).await?;
    let mut v = view(&j, &company, state.clock.now(), false);
    v.response_rate = response_rates(&state.db, &[company.id])
        .await?
        .get(&company.id)
        .copied();
    v.match_result = Some(match_of(state, u.id, &j).await?);
    Ok(v)
}
