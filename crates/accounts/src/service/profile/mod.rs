//! The signed-in user's profile: fields, skills, CV, experiences and education; the public view;
//! account deletion. This file: fields, the public view and deletion; `skills.rs`, `cv.rs` and
//! `career.rs` (experiences and education) the rest.

mod career;
mod cv;
mod skills;

pub use career::*;
pub use cv::*;
pub use skills::*;

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TryInsertResult,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use vertechie_kernel::module::UserDeletionHooks;
use vertechie_kernel::text::{clean, clean_text, is_http_url};
use vertechie_kernel::{AppError, AppResult, AppState, Patch, UserId, Validator};

use crate::model::{education, email_token, experience, skill, user};
use crate::service::rules::{EXPERIENCE_LEVELS, is_phone, normalize_skill};
use crate::service::views::{
    EducationView, ExperienceView, PublicUserView, SkillView, UserView, interests_of,
};
use crate::service::{find_live_user, roles_of};

pub const MAX_SKILLS: u64 = 100;
pub const MAX_ENTRIES: u64 = 50;
pub const MAX_CV_BYTES: usize = 100 * 1024;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ProfileUpdate {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub full_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub bio: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub avatar_url: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub phone: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub education_level: Patch<String>,
    /// fresher | junior | mid | senior
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub experience_level: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub preferred_career_track: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub learning_style: Patch<String>,
    // At most 20, each at most 50 characters; duplicates (ignoring case) are dropped.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub interests: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub career_goals: Patch<String>,
}

/// The signed-in user's own account, served from the instance's cache when fresh (see
/// [`super::cache`]).
pub async fn me(state: &AppState, id: UserId) -> AppResult<UserView> {
    let cache = state.ext::<super::cache::UserViewCache>();
    if let Some(view) = cache.and_then(|c| c.get(id)) {
        return Ok(view.as_ref().clone());
    }
    let generation = cache.map(|c| c.generation());
    let view = UserView::from(&find_live_user(&state.db, id).await?);
    if let (Some(c), Some(g)) = (cache, generation) {
        c.put(id, view.clone(), g);
    }
    Ok(view)
}

/// Applies a one-line field: cleaned, length-checked; `Some(None)` or blank clears it.
pub(super) fn one_line(
    v: &mut Validator,
    field: &str,
    value: &Patch<String>,
    max: usize,
) -> Option<Option<String>> {
    let value = value.as_ref().into_option()?;
    let cleaned = value.and_then(|s| clean(s));
    v.max_len(cleaned.as_deref(), field, max);
    Some(cleaned)
}

pub(super) fn long_text(
    v: &mut Validator,
    field: &str,
    value: &Patch<String>,
    max: usize,
) -> Option<Option<String>> {
    let value = value.as_ref().into_option()?;
    let cleaned = value.and_then(|s| clean_text(s));
    v.max_len(cleaned.as_deref(), field, max);
    Some(cleaned)
}

pub async fn update_me(state: &AppState, id: UserId, input: ProfileUpdate) -> AppResult<UserView> {
    let mut v = Validator::new();
    let full_name = one_line(&mut v, "full_name", &input.full_name, 100);
    let bio = long_text(&mut v, "bio", &input.bio, 2000);
    let avatar_url = one_line(&mut v, "avatar_url", &input.avatar_url, 500);
    if let Some(Some(url)) = &avatar_url {
        v.check(is_http_url(url), "avatar_url", "must be an http(s) URL");
    }
    let phone = one_line(&mut v, "phone", &input.phone, 32);
    if let Some(Some(p)) = &phone {
        v.check(
            is_phone(p),
            "phone",
            "must be a phone number of 7–15 digits",
        );
    }
    let education_level = one_line(&mut v, "education_level", &input.education_level, 50);
    let experience_level = one_line(&mut v, "experience_level", &input.experience_level, 16)
        .map(|o| o.map(|s| s.to_lowercase()));
    if let Some(Some(level)) = &experience_level {
        v.check(
            EXPERIENCE_LEVELS.contains(&level.as_str()),
            "experience_level",
            "must be one of fresher, junior, mid, senior",
        );
    }
    let track = one_line(
        &mut v,
        "preferred_career_track",
        &input.preferred_career_track,
        100,
    );
    let learning_style = one_line(&mut v, "learning_style", &input.learning_style, 50);
    let career_goals = long_text(&mut v, "career_goals", &input.career_goals, 2000);
    // `null` clears the list like `[]`.
    let interests = input.interests.as_ref().into_option().map(|list| {
        let mut out: Vec<String> = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        for item in list.into_iter().flatten().filter_map(|s| clean(s)) {
            let key = item.to_lowercase();
            if item.chars().count() > 50 {
                v.add("interests", "each interest must be at most 50 characters");
            } else if !keys.contains(&key) {
                keys.push(key);
                out.push(item);
            }
        }
        if out.len() > 20 {
            v.add("interests", "at most 20 interests");
        }
        out
    });
    v.finish()?;

    let user = find_live_user(&state.db, id).await?;
    let mut a = user.into_active_model();
    if let Some(x) = full_name {
        a.full_name = Set(x);
    }
    if let Some(x) = bio {
        a.bio = Set(x);
    }
    if let Some(x) = avatar_url {
        a.avatar_url = Set(x);
    }
    if let Some(x) = phone {
        a.phone = Set(x);
    }
    if let Some(x) = education_level {
        a.education_level = Set(x);
    }
    if let Some(x) = experience_level {
        a.experience_level = Set(x);
    }
    if let Some(x) = track {
        a.preferred_career_track = Set(x);
    }
    if let Some(x) = learning_style {
        a.learning_style = Set(x);
    }
    if let Some(x) = career_goals {
        a.career_goals = Set(x);
    }
    if let Some(list) = interests {
        a.interests = Set(serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()));
    }
    a.updated_at = Set(state.clock.now());
    let user = a.update(&state.db).await?;
    // The display name shown in pages comes from the session check.
    super::cache::user_changed(state, id);
    Ok(UserView::from(&user))
}

/// What anyone may see of a user; deleted and disabled accounts are not found.
pub async fn public_profile(state: &AppState, id: UserId) -> AppResult<PublicUserView> {
    let cache = state.ext::<super::cache::UserViewCache>();
    if let Some(view) = cache.and_then(|c| c.get_profile(id)) {
        return Ok(view.as_ref().clone());
    }
    let generation = cache.map(|c| c.generation());
    let view = read_public_profile(state, id).await?;
    if let (Some(c), Some(g)) = (cache, generation) {
        c.put_profile(id, view.clone(), g);
    }
    Ok(view)
}

pub(super) async fn read_public_profile(state: &AppState, id: UserId) -> AppResult<PublicUserView> {
    let u = find_live_user(&state.db, id).await?;
    if !u.is_active {
        return Err(AppError::not_found("User not found"));
    }
    let skills = list_skills(state, id).await?;
    let experiences = list_experiences(state, id).await?;
    let education = list_education(state, id).await?;
    Ok(PublicUserView {
        id,
        username: u.username.clone(),
        full_name: u.full_name.clone(),
        bio: u.bio.clone(),
        avatar_url: u.avatar_url.clone(),
        education_level: u.education_level.clone(),
        experience_level: u.experience_level.clone(),
        preferred_career_track: u.preferred_career_track.clone(),
        interests: interests_of(&u),
        career_goals: u.career_goals.clone(),
        // Staff roles are not advertised publicly.
        roles: roles_of(&u)
            .into_iter()
            .filter(|r| !r.is_privileged())
            .collect(),
        skills,
        experiences,
        education,
        created_at: u.created_at,
    })
}

/// Looks a user up by username (for `/u/{username}` pages).
pub async fn find_by_username(state: &AppState, username: &str) -> AppResult<UserId> {
    let u = user::Entity::find()
        .filter(user::Column::Username.eq(username.trim().to_lowercase()))
        .filter(user::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("User not found"))?;
    Ok(UserId(u.id))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteAccountInput {
    pub password: String,
}

/// Erases personal data and signs out everywhere; the row stays (anonymised) so references hold.
/// The other modules' deletion hooks (`Module::on_user_deleted`) run in the same transaction.
pub async fn delete_me(
    state: &AppState,
    id: UserId,
    password: &str,
    client: &super::ClientInfo,
) -> AppResult<()> {
    let user = find_live_user(&state.db, id).await?;
    super::auth::confirm_password(state, &user, password, "password", client).await?;
    let now = state.clock.now();
    let txn = vertechie_kernel::db::begin_write(&state.db).await?;
    let short = user.id.simple().to_string();
    let mut a = user.clone().into_active_model();
    a.email = Set(format!("deleted-{short}@deleted.invalid"));
    a.username = Set(format!("deleted-{}", &short[short.len() - 12..]));
    a.password_hash = Set("!".into());
    a.full_name = Set(None);
    a.bio = Set(None);
    a.avatar_url = Set(None);
    a.phone = Set(None);
    a.education_level = Set(None);
    a.experience_level = Set(None);
    a.preferred_career_track = Set(None);
    a.learning_style = Set(None);
    a.interests = Set("[]".into());
    a.career_goals = Set(None);
    a.cv_text = Set(None);
    a.is_active = Set(false);
    a.deleted_at = Set(Some(now));
    a.updated_at = Set(now);
    a.update(&txn).await?;
    skill::Entity::delete_many()
        .filter(skill::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    experience::Entity::delete_many()
        .filter(experience::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    education::Entity::delete_many()
        .filter(education::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    email_token::Entity::delete_many()
        .filter(email_token::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    super::auth::revoke_all_sessions(&txn, user.id, now).await?;
    // Every module lets go of the person in this transaction (memberships, applications,
    // files, notifications…): the whole deletion commits, or none of it.
    let hooks = state
        .ext::<UserDeletionHooks>()
        .cloned()
        .unwrap_or_default();
    hooks.run(state, &txn, id).await?;
    vertechie_kernel::audit::record(
        &txn,
        now,
        vertechie_kernel::audit::AuditEntry {
            actor: Some(id),
            action: "account.deleted",
            target_type: "user",
            target_id: Some(user.id.to_string()),
            details: serde_json::json!({}),
            ip: None,
        },
    )
    .await?;
    txn.commit().await?;
    super::cache::user_changed(state, id);
    hooks.after_commit(state, id);
    Ok(())
}
