//! Experiences and education entries (at most `MAX_ENTRIES` each; dates checked in order).

use super::*;

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

pub(super) fn parse_date(v: &mut Validator, field: &str, s: Option<&str>) -> Option<NaiveDate> {
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
pub(super) fn check_experience(v: &mut Validator, e: &experience::Model) {
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

pub(super) fn merge_experience(
    v: &mut Validator,
    base: &mut experience::Model,
    input: &ExperienceInput,
) {
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
    let _changed = crate::service::cache::changed_on_exit(state, id);
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

pub(super) async fn own_experience(
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
    let _changed = crate::service::cache::changed_on_exit(state, id);
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
    let _changed = crate::service::cache::changed_on_exit(state, id);
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

pub(super) fn merge_education(base: &mut education::Model, input: &EducationInput) {
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

pub(super) fn check_education(v: &mut Validator, e: &education::Model) {
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
    let _changed = crate::service::cache::changed_on_exit(state, id);
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

pub(super) async fn own_education(
    state: &AppState,
    id: UserId,
    edu_id: Uuid,
) -> AppResult<education::Model> {
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
    let _changed = crate::service::cache::changed_on_exit(state, id);
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
    let _changed = crate::service::cache::changed_on_exit(state, id);
    let row = own_education(state, id, edu_id).await?;
    education::Entity::delete_by_id(row.id)
        .exec(&state.db)
        .await?;
    Ok(())
}
