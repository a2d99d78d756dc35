//! Finding people and knowing how complete a profile is.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vertechie_kernel::db::like_escape;
use vertechie_kernel::{AppResult, AppState, Page, PageQuery, UserId};

use crate::model::{education, experience, skill, user};
use crate::service::find_live_user;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Part of a name or username.
    pub q: Option<String>,
    pub page: Option<u64>,
    pub limit: Option<u64>,
}

/// A person in search results (public fields only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonSummary {
    pub id: UserId,
    pub username: String,
    pub full_name: Option<String>,
    pub avatar_url: Option<String>,
    pub preferred_career_track: Option<String>,
    pub experience_level: Option<String>,
}

/// Active people whose name or username contains `q`, by username.
pub async fn search_people(state: &AppState, q: PeopleQuery) -> AppResult<Page<PersonSummary>> {
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    };
    let mut query = user::Entity::find()
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::IsActive.eq(true));
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", like_escape(&text.to_lowercase()));
        let like = |col: user::Column| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        query = query.filter(
            Condition::any()
                .add(like(user::Column::Username))
                .add(like(user::Column::FullName)),
        );
    }
    let total = query.clone().count(&state.db).await?;
    let rows = query
        .order_by_asc(user::Column::Username)
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    let items = rows
        .into_iter()
        .map(|u| PersonSummary {
            id: UserId(u.id),
            username: u.username,
            full_name: u.full_name,
            avatar_url: u.avatar_url,
            preferred_career_track: u.preferred_career_track,
            experience_level: u.experience_level,
        })
        .collect();
    Ok(Page::new(items, total, &page))
}

/// How complete a profile is, and what would make it more so.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Completeness {
    /// 0–100
    pub percent: u8,
    pub missing: Vec<MissingItem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MissingItem {
    pub key: &'static str,
    pub label: &'static str,
}

pub async fn completeness(state: &AppState, id: UserId) -> AppResult<Completeness> {
    let u = find_live_user(&state.db, id).await?;
    let skills = skill::Entity::find()
        .filter(skill::Column::UserId.eq(id.0))
        .count(&state.db)
        .await?;
    let experiences = experience::Entity::find()
        .filter(experience::Column::UserId.eq(id.0))
        .count(&state.db)
        .await?;
    let educations = education::Entity::find()
        .filter(education::Column::UserId.eq(id.0))
        .count(&state.db)
        .await?;
    let checks: [(&'static str, &'static str, bool); 10] = [
        ("verified", "Confirm your email address", u.is_verified),
        ("full_name", "Add your name", u.full_name.is_some()),
        ("bio", "Write a short bio", u.bio.is_some()),
        (
            "experience_level",
            "Choose your experience level",
            u.experience_level.is_some(),
        ),
        (
            "preferred_career_track",
            "Pick a career track",
            u.preferred_career_track.is_some(),
        ),
        (
            "career_goals",
            "Describe your career goals",
            u.career_goals.is_some(),
        ),
        ("skills", "List at least three skills", skills >= 3),
        ("experiences", "Add your work experience", experiences > 0),
        ("education", "Add your education", educations > 0),
        ("cv", "Paste your CV", u.cv_text.is_some()),
    ];
    let done = checks.iter().filter(|c| c.2).count();
    Ok(Completeness {
        percent: (done * 100 / checks.len()) as u8,
        missing: checks
            .iter()
            .filter(|c| !c.2)
            .map(|c| MissingItem {
                key: c.0,
                label: c.1,
            })
            .collect(),
    })
}
