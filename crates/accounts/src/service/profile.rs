//! The signed-in user's profile: fields, skills, CV, experiences and education; the public view;
//! account deletion.

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
fn one_line(
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

fn long_text(
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

async fn read_public_profile(state: &AppState, id: UserId) -> AppResult<PublicUserView> {
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

// ---- skills ----

#[derive(Debug, Deserialize, ToSchema)]
pub struct SkillInput {
    pub name: String,
    /// 1 (beginner) – 5 (expert).
    pub level: i32,
}

pub async fn list_skills(state: &AppState, id: UserId) -> AppResult<Vec<SkillView>> {
    let rows = skill::Entity::find()
        .filter(skill::Column::UserId.eq(id.0))
        .order_by_desc(skill::Column::Level)
        .order_by_asc(skill::Column::NameKey)
        .all(&state.db)
        .await?;
    Ok(rows.iter().map(SkillView::from).collect())
}

/// Adds a skill or, when the user already has it (case-insensitively), updates its level.
/// Returns the skill and whether it was created.
pub async fn upsert_skill(
    state: &AppState,
    id: UserId,
    input: SkillInput,
) -> AppResult<(SkillView, bool)> {
    let _changed = super::cache::changed_on_exit(state, id);
    let mut v = Validator::new();
    let name = match normalize_skill(&input.name) {
        Ok(n) => Some(n),
        Err(msg) => {
            v.add("name", msg);
            None
        }
    };
    v.check(
        (1..=5).contains(&input.level),
        "level",
        "must be between 1 and 5",
    );
    v.finish()?;
    let (name, key) = name.unwrap_or_default();
    // Write first, no read-then-write transaction: on SQLite a deferred transaction that reads
    // and then writes fails with SQLITE_BUSY under concurrency (a 500), and on PostgreSQL two
    // concurrent first inserts of the same name would race into the unique index (a 409).
    if let Some(row) = set_skill_level(state, id, &key, &name, input.level).await? {
        return Ok((SkillView::from(&row), false));
    }
    let count = skill::Entity::find()
        .filter(skill::Column::UserId.eq(id.0))
        .count(&state.db)
        .await?;
    if count >= MAX_SKILLS {
        return Err(AppError::field("name", "you can list at most 100 skills"));
    }
    let skill_id = Uuid::now_v7();
    let row = skill::ActiveModel {
        id: Set(skill_id),
        user_id: Set(id.0),
        name_key: Set(key.clone()),
        name: Set(name.clone()),
        level: Set(input.level),
        created_at: Set(state.clock.now()),
    };
    let inserted = skill::Entity::insert(row)
        .on_conflict_do_nothing_on([skill::Column::UserId, skill::Column::NameKey])
        .exec_without_returning(&state.db)
        .await?;
    if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        let row = skill::Entity::find_by_id(skill_id)
            .one(&state.db)
            .await?
            .ok_or_else(|| internal("an inserted skill is missing"))?;
        return Ok((SkillView::from(&row), true));
    }
    // Added by a concurrent request in the meantime: this one is an update after all.
    let row = set_skill_level(state, id, &key, &name, input.level)
        .await?
        .ok_or_else(|| internal("a skill was neither inserted nor found"))?;
    Ok((SkillView::from(&row), false))
}

/// Sets the level (and display name) of a skill the user already has; `None` when they do not.
async fn set_skill_level(
    state: &AppState,
    id: UserId,
    key: &str,
    name: &str,
    level: i32,
) -> AppResult<Option<skill::Model>> {
    let res = skill::Entity::update_many()
        .col_expr(skill::Column::Level, Expr::value(level))
        .col_expr(skill::Column::Name, Expr::value(name.to_owned()))
        .filter(skill::Column::UserId.eq(id.0))
        .filter(skill::Column::NameKey.eq(key.to_owned()))
        .exec(&state.db)
        .await?;
    if res.rows_affected == 0 {
        return Ok(None);
    }
    Ok(skill::Entity::find()
        .filter(skill::Column::UserId.eq(id.0))
        .filter(skill::Column::NameKey.eq(key.to_owned()))
        .one(&state.db)
        .await?)
}

fn internal(msg: &'static str) -> AppError {
    AppError::internal(std::io::Error::other(msg))
}

pub async fn delete_skill(state: &AppState, id: UserId, name: &str) -> AppResult<()> {
    let _changed = super::cache::changed_on_exit(state, id);
    let key = normalize_skill(name)
        .map(|(_, k)| k)
        .map_err(|_| AppError::not_found("Skill not found"))?;
    let res = skill::Entity::delete_many()
        .filter(skill::Column::UserId.eq(id.0))
        .filter(skill::Column::NameKey.eq(key))
        .exec(&state.db)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::not_found("Skill not found"));
    }
    Ok(())
}

// ---- CV ----

#[derive(Debug, Deserialize, ToSchema)]
pub struct CvInput {
    /// Plain text, at most 100 KB.
    pub cv_text: String,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CvView {
    pub cv_text: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

pub async fn put_cv(state: &AppState, id: UserId, input: CvInput) -> AppResult<CvView> {
    if input.cv_text.len() > MAX_CV_BYTES {
        return Err(AppError::field("cv_text", "must be at most 100 KB"));
    }
    let user = find_live_user(&state.db, id).await?;
    let now = state.clock.now();
    let mut a = user.into_active_model();
    a.cv_text = Set(clean_text(&input.cv_text));
    a.updated_at = Set(now);
    let user = a.update(&state.db).await?;
    super::cache::user_changed(state, id);
    Ok(CvView {
        cv_text: user.cv_text,
        updated_at: now,
    })
}

pub async fn get_cv(state: &AppState, id: UserId) -> AppResult<CvView> {
    let user = find_live_user(&state.db, id).await?;
    Ok(CvView {
        cv_text: user.cv_text,
        updated_at: user.updated_at,
    })
}

// ---- experiences ----

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExperienceInput {
    pub title: Option<String>,
    pub company: Option<String>,
    pub location: Option<String>,
    /// YYYY-MM-DD
    pub start_date: Option<String>,
    /// YYYY-MM-DD; leave empty while `is_current`.
    pub end_date: Option<String>,
    pub is_current: Option<bool>,
    pub description: Option<String>,
}

fn parse_date(v: &mut Validator, field: &str, s: Option<&str>) -> Option<NaiveDate> {
    let s = s.map(str::trim).filter(|s| !s.is_empty())?;
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) if (1950..=2100).contains(&chrono::Datelike::year(&d)) => Some(d),
        _ => {
            v.add(field, "must be a date like 2024-09-01");
            None
        }
    }
}

/// Validates a full experience (after merging a patch onto the stored one).
fn check_experience(v: &mut Validator, e: &experience::Model) {
    v.check(!e.title.is_empty(), "title", "is required");
    v.check(
        e.title.chars().count() <= 120,
        "title",
        "must be at most 120 characters",
    );
    v.check(!e.company.is_empty(), "company", "is required");
    v.check(
        e.company.chars().count() <= 120,
        "company",
        "must be at most 120 characters",
    );
    v.max_len(e.location.as_deref(), "location", 120);
    v.max_len(e.description.as_deref(), "description", 5000);
    if e.is_current && e.end_date.is_some() {
        v.add("end_date", "leave empty for a current position");
    }
    if let Some(end) = e.end_date
        && end < e.start_date
    {
        v.add("end_date", "must not be before the start date");
    }
}

pub async fn list_experiences(state: &AppState, id: UserId) -> AppResult<Vec<ExperienceView>> {
    let rows = experience::Entity::find()
        .filter(experience::Column::UserId.eq(id.0))
        .order_by_desc(experience::Column::IsCurrent)
        .order_by_desc(experience::Column::StartDate)
        .all(&state.db)
        .await?;
    Ok(rows.iter().map(ExperienceView::from).collect())
}

fn merge_experience(v: &mut Validator, base: &mut experience::Model, input: &ExperienceInput) {
    if let Some(t) = &input.title {
        base.title = clean(t).unwrap_or_default();
    }
    if let Some(c) = &input.company {
        base.company = clean(c).unwrap_or_default();
    }
    if let Some(l) = &input.location {
        base.location = clean(l);
    }
    if input.start_date.is_some() {
        match parse_date(v, "start_date", input.start_date.as_deref()) {
            Some(d) => base.start_date = d,
            None => v.add("start_date", "is required"),
        }
    }
    if input.end_date.is_some() {
        base.end_date = parse_date(v, "end_date", input.end_date.as_deref());
    }
    if let Some(c) = input.is_current {
        base.is_current = c;
    }
    if let Some(d) = &input.description {
        base.description = clean_text(d);
    }
}

pub async fn add_experience(
    state: &AppState,
    id: UserId,
    input: ExperienceInput,
) -> AppResult<ExperienceView> {
    let _changed = super::cache::changed_on_exit(state, id);
    let now = state.clock.now();
    let mut v = Validator::new();
    if input
        .start_date
        .as_deref()
        .is_none_or(|s| s.trim().is_empty())
    {
        v.add("start_date", "is required");
    }
    let mut e = experience::Model {
        id: Uuid::now_v7(),
        user_id: id.0,
        title: String::new(),
        company: String::new(),
        location: None,
        start_date: NaiveDate::default(),
        end_date: None,
        is_current: false,
        description: None,
        created_at: now,
        updated_at: now,
    };
    merge_experience(&mut v, &mut e, &input);
    check_experience(&mut v, &e);
    v.finish()?;
    let count = experience::Entity::find()
        .filter(experience::Column::UserId.eq(id.0))
        .count(&state.db)
        .await?;
    if count >= MAX_ENTRIES {
        return Err(AppError::field(
            "title",
            "you can list at most 50 experiences",
        ));
    }
    let row = experience::ActiveModel::from(e).insert(&state.db).await?;
    Ok(ExperienceView::from(&row))
}

async fn own_experience(
    state: &AppState,
    id: UserId,
    exp_id: Uuid,
) -> AppResult<experience::Model> {
    experience::Entity::find_by_id(exp_id)
        .one(&state.db)
        .await?
        .filter(|e| e.user_id == id.0)
        .ok_or_else(|| AppError::not_found("Experience not found"))
}

pub async fn update_experience(
    state: &AppState,
    id: UserId,
    exp_id: Uuid,
    input: ExperienceInput,
) -> AppResult<ExperienceView> {
    let _changed = super::cache::changed_on_exit(state, id);
    let stored = own_experience(state, id, exp_id).await?;
    let mut merged = stored.clone();
    let mut v = Validator::new();
    merge_experience(&mut v, &mut merged, &input);
    if input.is_current == Some(true) && input.end_date.is_none() {
        merged.end_date = None;
    }
    check_experience(&mut v, &merged);
    v.finish()?;
    merged.updated_at = state.clock.now();
    let mut a = stored.into_active_model();
    a.title = Set(merged.title);
    a.company = Set(merged.company);
    a.location = Set(merged.location);
    a.start_date = Set(merged.start_date);
    a.end_date = Set(merged.end_date);
    a.is_current = Set(merged.is_current);
    a.description = Set(merged.description);
    a.updated_at = Set(merged.updated_at);
    let row = a.update(&state.db).await?;
    Ok(ExperienceView::from(&row))
}

pub async fn get_experience(
    state: &AppState,
    id: UserId,
    exp_id: Uuid,
) -> AppResult<ExperienceView> {
    Ok(ExperienceView::from(
        &own_experience(state, id, exp_id).await?,
    ))
}

pub async fn delete_experience(state: &AppState, id: UserId, exp_id: Uuid) -> AppResult<()> {
    let _changed = super::cache::changed_on_exit(state, id);
    let row = own_experience(state, id, exp_id).await?;
    experience::Entity::delete_by_id(row.id)
        .exec(&state.db)
        .await?;
    Ok(())
}

// ---- education ----

#[derive(Debug, Deserialize, ToSchema)]
pub struct EducationInput {
    pub school: Option<String>,
    pub degree: Option<String>,
    pub field_of_study: Option<String>,
    pub start_year: Option<i32>,
    pub end_year: Option<i32>,
    pub grade: Option<String>,
    pub description: Option<String>,
}

fn merge_education(base: &mut education::Model, input: &EducationInput) {
    if let Some(s) = &input.school {
        base.school = clean(s).unwrap_or_default();
    }
    if let Some(d) = &input.degree {
        base.degree = clean(d);
    }
    if let Some(f) = &input.field_of_study {
        base.field_of_study = clean(f);
    }
    if input.start_year.is_some() {
        base.start_year = input.start_year;
    }
    if input.end_year.is_some() {
        base.end_year = input.end_year;
    }
    if let Some(g) = &input.grade {
        base.grade = clean(g);
    }
    if let Some(d) = &input.description {
        base.description = clean_text(d);
    }
}

fn check_education(v: &mut Validator, e: &education::Model) {
    v.check(!e.school.is_empty(), "school", "is required");
    v.check(
        e.school.chars().count() <= 150,
        "school",
        "must be at most 150 characters",
    );
    v.max_len(e.degree.as_deref(), "degree", 120);
    v.max_len(e.field_of_study.as_deref(), "field_of_study", 120);
    v.max_len(e.grade.as_deref(), "grade", 50);
    v.max_len(e.description.as_deref(), "description", 5000);
    for (field, year) in [("start_year", e.start_year), ("end_year", e.end_year)] {
        if let Some(y) = year {
            v.check(
                (1950..=2100).contains(&y),
                field,
                "must be a year between 1950 and 2100",
            );
        }
    }
    if let (Some(s), Some(end)) = (e.start_year, e.end_year) {
        v.check(end >= s, "end_year", "must not be before the start year");
    }
}

pub async fn list_education(state: &AppState, id: UserId) -> AppResult<Vec<EducationView>> {
    let rows = education::Entity::find()
        .filter(education::Column::UserId.eq(id.0))
        .order_by_desc(education::Column::StartYear)
        .order_by_desc(education::Column::Id)
        .all(&state.db)
        .await?;
    Ok(rows.iter().map(EducationView::from).collect())
}

pub async fn add_education(
    state: &AppState,
    id: UserId,
    input: EducationInput,
) -> AppResult<EducationView> {
    let _changed = super::cache::changed_on_exit(state, id);
    let now = state.clock.now();
    let mut e = education::Model {
        id: Uuid::now_v7(),
        user_id: id.0,
        school: String::new(),
        degree: None,
        field_of_study: None,
        start_year: None,
        end_year: None,
        grade: None,
        description: None,
        created_at: now,
        updated_at: now,
    };
    merge_education(&mut e, &input);
    let mut v = Validator::new();
    check_education(&mut v, &e);
    v.finish()?;
    let count = education::Entity::find()
        .filter(education::Column::UserId.eq(id.0))
        .count(&state.db)
        .await?;
    if count >= MAX_ENTRIES {
        return Err(AppError::field(
            "school",
            "you can list at most 50 education entries",
        ));
    }
    let row = education::ActiveModel::from(e).insert(&state.db).await?;
    Ok(EducationView::from(&row))
}

async fn own_education(state: &AppState, id: UserId, edu_id: Uuid) -> AppResult<education::Model> {
    education::Entity::find_by_id(edu_id)
        .one(&state.db)
        .await?
        .filter(|e| e.user_id == id.0)
        .ok_or_else(|| AppError::not_found("Education entry not found"))
}

pub async fn get_education(state: &AppState, id: UserId, edu_id: Uuid) -> AppResult<EducationView> {
    Ok(EducationView::from(
        &own_education(state, id, edu_id).await?,
    ))
}

pub async fn update_education(
    state: &AppState,
    id: UserId,
    edu_id: Uuid,
    input: EducationInput,
) -> AppResult<EducationView> {
    let _changed = super::cache::changed_on_exit(state, id);
    let stored = own_education(state, id, edu_id).await?;
    let mut merged = stored.clone();
    merge_education(&mut merged, &input);
    let mut v = Validator::new();
    check_education(&mut v, &merged);
    v.finish()?;
    let mut a = stored.into_active_model();
    a.school = Set(merged.school);
    a.degree = Set(merged.degree);
    a.field_of_study = Set(merged.field_of_study);
    a.start_year = Set(merged.start_year);
    a.end_year = Set(merged.end_year);
    a.grade = Set(merged.grade);
    a.description = Set(merged.description);
    a.updated_at = Set(state.clock.now());
    let row = a.update(&state.db).await?;
    Ok(EducationView::from(&row))
}

pub async fn delete_education(state: &AppState, id: UserId, edu_id: Uuid) -> AppResult<()> {
    let _changed = super::cache::changed_on_exit(state, id);
    let row = own_education(state, id, edu_id).await?;
    education::Entity::delete_by_id(row.id)
        .exec(&state.db)
        .await?;
    Ok(())
}
