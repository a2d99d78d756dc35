//! Profile skills (self-declared; levels 1–5; at most `MAX_SKILLS`).

use super::*;

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
    let _changed = crate::service::cache::changed_on_exit(state, id);
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
pub(super) async fn set_skill_level(
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

pub(super) fn internal(msg: &'static str) -> AppError {
    AppError::internal(std::io::Error::other(msg))
}

pub async fn delete_skill(state: &AppState, id: UserId, name: &str) -> AppResult<()> {
    let _changed = crate::service::cache::changed_on_exit(state, id);
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
