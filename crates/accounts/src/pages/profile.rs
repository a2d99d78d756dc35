//! The profile editor (`/profile`) and the public profile page (`/u/{username}`).
//!
//! Every section of the editor is its own form; a successful POST redirects back to its section
//! with a flash message, a refused one re-renders the whole editor (422) with the typed values and
//! the service's field errors in that section only.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, Patch, UserId};
use vertechie_web::{
    CsrfForm, FieldErrors, Page, PageCtx, SignedIn, parse_id, redirect_with_flash, render,
};

use super::{form_errors, is_form_error};
use crate::service::discovery::{Completeness, completeness};
use crate::service::profile::{
    self as svc, CvInput, EducationInput, ExperienceInput, ProfileUpdate, SkillInput,
};
use crate::service::views::{EducationView, ExperienceView, PublicUserView, SkillView, UserView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile", get(editor).post(save_basics))
        .route("/profile/skills", post(add_skill))
        .route("/profile/skills/remove", post(remove_skill))
        .route("/profile/experiences", post(add_experience))
        .route("/profile/experiences/{id}", post(update_experience))
        .route("/profile/experiences/{id}/delete", post(delete_experience))
        .route("/profile/education", post(add_education))
        .route("/profile/education/{id}", post(update_education))
        .route("/profile/education/{id}/delete", post(delete_education))
        .route("/profile/cv", post(save_cv))
        .route("/u/{username}", get(public_page))
}

// ---- shared helpers (also used by the people pages) ----

/// Up to two initials of a name, for the avatar circle.
pub(super) fn initials(name: &str) -> String {
    let s: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    if s.is_empty() {
        "?".into()
    } else {
        s.to_uppercase()
    }
}

/// How a skill level (1–5) reads.
pub(super) fn level_label(level: i32) -> &'static str {
    match level {
        1 => "Beginner",
        2 => "Elementary",
        3 => "Intermediate",
        4 => "Advanced",
        _ => "Expert",
    }
}

/// How an experience level reads.
pub(super) fn experience_label(level: &str) -> &'static str {
    match level {
        "fresher" => "Fresher",
        "junior" => "Junior",
        "mid" => "Mid-level",
        "senior" => "Senior",
        _ => "",
    }
}

/// The experience levels the editor offers (value, label).
const EXPERIENCE_LEVELS: [(&str, &str); 4] = [
    ("fresher", "Fresher"),
    ("junior", "Junior"),
    ("mid", "Mid-level"),
    ("senior", "Senior"),
];

/// A skill as the pages show it.
pub struct SkillRow {
    pub name: String,
    pub level: i32,
    pub label: &'static str,
    /// Filled and empty dots, e.g. "●●●○○" (decorative).
    pub dots: String,
}

impl From<SkillView> for SkillRow {
    fn from(s: SkillView) -> Self {
        let level = s.level.clamp(1, 5);
        Self {
            name: s.name,
            level,
            label: level_label(level),
            dots: "●".repeat(level as usize) + &"○".repeat(5 - level as usize),
        }
    }
}

/// "Sep 2021 – present" / "Sep 2021 – Mar 2023".
fn experience_dates(e: &ExperienceView) -> String {
    let start = e.start_date.format("%b %Y");
    match e.end_date {
        _ if e.is_current => format!("{start} – present"),
        Some(end) => format!("{start} – {}", end.format("%b %Y")),
        None => start.to_string(),
    }
}

/// "BSc, Computer Science · 2016 – 2020 · First class" (the parts that are there).
fn education_line(e: &EducationView) -> String {
    let years = match (e.start_year, e.end_year) {
        (Some(s), Some(end)) if s == end => s.to_string(),
        (Some(s), Some(end)) => format!("{s} – {end}"),
        (Some(s), None) => format!("from {s}"),
        (None, Some(end)) => format!("until {end}"),
        (None, None) => String::new(),
    };
    let study = [e.degree.as_deref(), e.field_of_study.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    [
        study.as_str(),
        years.as_str(),
        e.grade.as_deref().unwrap_or(""),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" · ")
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

// ---- forms ----

#[derive(Deserialize, Default)]
pub struct BasicsForm {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    avatar_url: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    education_level: String,
    #[serde(default)]
    experience_level: String,
    #[serde(default)]
    preferred_career_track: String,
    #[serde(default)]
    learning_style: String,
    /// Comma-separated.
    #[serde(default)]
    interests: String,
    #[serde(default)]
    career_goals: String,
}

impl BasicsForm {
    fn of(me: &UserView) -> Self {
        Self {
            full_name: opt(&me.full_name),
            bio: opt(&me.bio),
            avatar_url: opt(&me.avatar_url),
            phone: opt(&me.phone),
            education_level: opt(&me.education_level),
            experience_level: opt(&me.experience_level),
            preferred_career_track: opt(&me.preferred_career_track),
            learning_style: opt(&me.learning_style),
            interests: me.interests.join(", "),
            career_goals: opt(&me.career_goals),
        }
    }

    fn to_update(&self) -> ProfileUpdate {
        let some = |s: &String| Patch::Value(s.clone());
        ProfileUpdate {
            full_name: some(&self.full_name),
            bio: some(&self.bio),
            avatar_url: some(&self.avatar_url),
            phone: some(&self.phone),
            education_level: some(&self.education_level),
            experience_level: some(&self.experience_level),
            preferred_career_track: some(&self.preferred_career_track),
            learning_style: some(&self.learning_style),
            interests: Patch::Value(
                self.interests
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
            ),
            career_goals: some(&self.career_goals),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SkillForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
}

#[derive(Deserialize)]
pub struct RemoveSkillForm {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct ExperienceForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    end_date: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    is_current: Option<String>,
    #[serde(default)]
    description: String,
}

impl ExperienceForm {
    fn of(e: &ExperienceView) -> Self {
        Self {
            title: e.title.clone(),
            company: e.company.clone(),
            location: opt(&e.location),
            start_date: e.start_date.to_string(),
            end_date: e.end_date.map(|d| d.to_string()).unwrap_or_default(),
            is_current: e.is_current.then(|| "on".to_owned()),
            description: opt(&e.description),
        }
    }

    fn current(&self) -> bool {
        self.is_current.is_some()
    }

    fn to_input(&self) -> ExperienceInput {
        ExperienceInput {
            title: Some(self.title.clone()),
            company: Some(self.company.clone()),
            location: Some(self.location.clone()),
            start_date: Some(self.start_date.clone()),
            end_date: Some(self.end_date.clone()),
            is_current: Some(self.current()),
            description: Some(self.description.clone()),
        }
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct EducationForm {
    #[serde(default)]
    school: String,
    #[serde(default)]
    degree: String,
    #[serde(default)]
    field_of_study: String,
    #[serde(default)]
    start_year: String,
    #[serde(default)]
    end_year: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    description: String,
}

/// A year typed in a form: blank is none; anything unreadable becomes 0 so the service refuses
/// it with its own message ("must be a year between 1950 and 2100").
fn year(s: &str) -> Option<i32> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.parse().unwrap_or(0))
}

impl EducationForm {
    fn of(e: &EducationView) -> Self {
        Self {
            school: e.school.clone(),
            degree: opt(&e.degree),
            field_of_study: opt(&e.field_of_study),
            start_year: e.start_year.map(|y| y.to_string()).unwrap_or_default(),
            end_year: e.end_year.map(|y| y.to_string()).unwrap_or_default(),
            grade: opt(&e.grade),
            description: opt(&e.description),
        }
    }

    fn to_input(&self) -> EducationInput {
        EducationInput {
            school: Some(self.school.clone()),
            degree: Some(self.degree.clone()),
            field_of_study: Some(self.field_of_study.clone()),
            start_year: year(&self.start_year),
            end_year: year(&self.end_year),
            grade: Some(self.grade.clone()),
            description: Some(self.description.clone()),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct CvForm {
    #[serde(default)]
    cv_text: String,
}

// ---- the editor ----

/// An experience with its edit form.
pub struct ExperienceItem {
    view: ExperienceView,
    /// Prefix for the ids of its form's fields.
    key: String,
    dates: String,
    form: ExperienceForm,
    errors: FieldErrors,
}

/// An education entry with its edit form.
pub struct EducationItem {
    view: EducationView,
    key: String,
    line: String,
    form: EducationForm,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    ctx: &'a PageCtx,
    me: UserView,
    done: Completeness,
    levels: [(&'static str, &'static str); 4],
    skill_levels: [(i32, &'static str); 5],
    basics: BasicsForm,
    basics_errors: FieldErrors,
    skills: Vec<SkillRow>,
    skill: SkillForm,
    skill_errors: FieldErrors,
    experiences: Vec<ExperienceItem>,
    new_exp: ExperienceForm,
    new_exp_errors: FieldErrors,
    education: Vec<EducationItem>,
    new_edu: EducationForm,
    new_edu_errors: FieldErrors,
    cv: CvForm,
    cv_errors: FieldErrors,
}

/// What a refused form puts back into the editor: the typed values and their errors.
#[derive(Default)]
enum Refused {
    #[default]
    None,
    Basics(BasicsForm, FieldErrors),
    Skill(SkillForm, FieldErrors),
    NewExperience(ExperienceForm, FieldErrors),
    Experience(Uuid, ExperienceForm, FieldErrors),
    NewEducation(EducationForm, FieldErrors),
    Education(Uuid, EducationForm, FieldErrors),
    Cv(CvForm, FieldErrors),
}

/// Renders the editor from the stored profile, with a refused form's values and errors.
async fn show(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    status: StatusCode,
    refused: Refused,
) -> Response {
    let id = user.id;
    let loaded = async {
        let me = svc::me(state, id).await?;
        let done = completeness(state, id).await?;
        let skills = svc::list_skills(state, id).await?;
        let experiences = svc::list_experiences(state, id).await?;
        let education = svc::list_education(state, id).await?;
        let cv = svc::get_cv(state, id).await?;
        Ok::<_, AppError>((me, done, skills, experiences, education, cv))
    }
    .await;
    let (me, done, skills, experiences, education, cv) = match loaded {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let mut page = ProfilePage {
        ctx,
        basics: BasicsForm::of(&me),
        me,
        done,
        levels: EXPERIENCE_LEVELS,
        skill_levels: [1, 2, 3, 4, 5].map(|n| (n, level_label(n))),
        basics_errors: FieldErrors::default(),
        skills: skills.into_iter().map(SkillRow::from).collect(),
        skill: SkillForm {
            name: String::new(),
            level: "3".into(),
        },
        skill_errors: FieldErrors::default(),
        experiences: experiences
            .into_iter()
            .map(|e| ExperienceItem {
                key: format!("exp-{}", e.id),
                dates: experience_dates(&e),
                form: ExperienceForm::of(&e),
                errors: FieldErrors::default(),
                view: e,
            })
            .collect(),
        new_exp: ExperienceForm::default(),
        new_exp_errors: FieldErrors::default(),
        education: education
            .into_iter()
            .map(|e| EducationItem {
                key: format!("edu-{}", e.id),
                line: education_line(&e),
                form: EducationForm::of(&e),
                errors: FieldErrors::default(),
                view: e,
            })
            .collect(),
        new_edu: EducationForm::default(),
        new_edu_errors: FieldErrors::default(),
        cv: CvForm {
            cv_text: cv.cv_text.unwrap_or_default(),
        },
        cv_errors: FieldErrors::default(),
    };
    match refused {
        Refused::None => {}
        Refused::Basics(f, e) => (page.basics, page.basics_errors) = (f, e),
        Refused::Skill(f, e) => (page.skill, page.skill_errors) = (f, e),
        Refused::NewExperience(f, e) => (page.new_exp, page.new_exp_errors) = (f, e),
        Refused::Experience(id, f, e) => {
            if let Some(item) = page.experiences.iter_mut().find(|i| i.view.id == id) {
                (item.form, item.errors) = (f, e);
            }
        }
        Refused::NewEducation(f, e) => (page.new_edu, page.new_edu_errors) = (f, e),
        Refused::Education(id, f, e) => {
            if let Some(item) = page.education.iter_mut().find(|i| i.view.id == id) {
                (item.form, item.errors) = (f, e);
            }
        }
        Refused::Cv(f, e) => (page.cv, page.cv_errors) = (f, e),
    }
    render(status, &page)
}

/// The outcome of a form: success → back to `section` with `message`; a form error → the
/// editor again with `refused(errors)`; anything else → an error page.
async fn finish<T>(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    result: Result<T, AppError>,
    section: &str,
    message: impl FnOnce(T) -> String,
    refused: impl FnOnce(FieldErrors) -> Refused,
) -> Response {
    match result {
        Ok(v) => redirect_with_flash(&format!("/profile#{section}"), "success", &message(v)),
        Err(err) if is_form_error(&err) => {
            show(state, ctx, user, err.status, refused(form_errors(&err))).await
        }
        Err(err) => ctx.fail(err),
    }
}

pub async fn editor(State(state): State<AppState>, SignedIn(ctx, user): SignedIn) -> Response {
    show(&state, &ctx, &user, StatusCode::OK, Refused::None).await
}

pub async fn save_basics(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    CsrfForm(f): CsrfForm<BasicsForm>,
) -> Response {
    let result = svc::update_me(&state, user.id, f.to_update()).await;
    finish(
        &state,
        &ctx,
        &user,
        result,
        "basics",
        |_| "Your profile is saved.".into(),
        |e| Refused::Basics(f, e),
    )
    .await
}

pub async fn add_skill(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    CsrfForm(f): CsrfForm<SkillForm>,
) -> Response {
    let input = SkillInput {
        name: f.name.clone(),
        // Unreadable levels become 0, which the service refuses with its own message.
        level: f.level.trim().parse().unwrap_or(0),
    };
    let result = svc::upsert_skill(&state, user.id, input).await;
    finish(
        &state,
        &ctx,
        &user,
        result,
        "skills",
        |(skill, created)| {
            let label = level_label(skill.level);
            if created {
                format!("Added {} ({label}).", skill.name)
            } else {
                format!("{} is now {label}.", skill.name)
            }
        },
        |e| Refused::Skill(f, e),
    )
    .await
}

pub async fn remove_skill(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    CsrfForm(f): CsrfForm<RemoveSkillForm>,
) -> Response {
    match svc::delete_skill(&state, user.id, &f.name).await {
        Ok(()) => redirect_with_flash(
            "/profile#skills",
            "success",
            &format!("Removed {}.", f.name.trim()),
        ),
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            redirect_with_flash("/profile#skills", "info", "That skill was already removed.")
        }
        Err(e) => ctx.fail(e),
    }
}

pub async fn add_experience(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    CsrfForm(f): CsrfForm<ExperienceForm>,
) -> Response {
    let result = svc::add_experience(&state, user.id, f.to_input()).await;
    finish(
        &state,
        &ctx,
        &user,
        result,
        "experiences",
        |e| format!("Added {} at {}.", e.title, e.company),
        |e| Refused::NewExperience(f, e),
    )
    .await
}

pub async fn update_experience(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ExperienceForm>,
) -> Response {
    let id = match parse_id(&id, "Experience") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let result = svc::update_experience(&state, user.id, id, f.to_input()).await;
    finish(
        &state,
        &ctx,
        &user,
        result,
        "experiences",
        |e| format!("Saved {} at {}.", e.title, e.company),
        |e| Refused::Experience(id, f, e),
    )
    .await
}

pub async fn delete_experience(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<super::auth::EmptyForm>,
) -> Response {
    let result = match parse_id(&id, "Experience") {
        Ok(id) => svc::delete_experience(&state, user.id, id).await,
        Err(e) => Err(e),
    };
    after_delete(
        &ctx,
        result,
        "/profile#experiences",
        "Experience removed.",
        "That experience was already removed.",
    )
}

/// Back to the section after a removal; an entry that is already gone is not an error.
fn after_delete(
    ctx: &PageCtx,
    result: AppResult<()>,
    to: &str,
    done: &str,
    gone: &str,
) -> Response {
    match result {
        Ok(()) => redirect_with_flash(to, "success", done),
        Err(e) if e.status == StatusCode::NOT_FOUND => redirect_with_flash(to, "info", gone),
        Err(e) => ctx.fail(e),
    }
}

pub async fn add_education(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    CsrfForm(f): CsrfForm<EducationForm>,
) -> Response {
    let result = svc::add_education(&state, user.id, f.to_input()).await;
    finish(
        &state,
        &ctx,
        &user,
        result,
        "education",
        |e| format!("Added {}.", e.school),
        |e| Refused::NewEducation(f, e),
    )
    .await
}

pub async fn update_education(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<EducationForm>,
) -> Response {
    let id = match parse_id(&id, "Education entry") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let result = svc::update_education(&state, user.id, id, f.to_input()).await;
    finish(
        &state,
        &ctx,
        &user,
        result,
        "education",
        |e| format!("Saved {}.", e.school),
        |e| Refused::Education(id, f, e),
    )
    .await
}

pub async fn delete_education(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<super::auth::EmptyForm>,
) -> Response {
    let result = match parse_id(&id, "Education entry") {
        Ok(id) => svc::delete_education(&state, user.id, id).await,
        Err(e) => Err(e),
    };
    after_delete(
        &ctx,
        result,
        "/profile#education",
        "Education removed.",
        "That education entry was already removed.",
    )
}

pub async fn save_cv(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    CsrfForm(f): CsrfForm<CvForm>,
) -> Response {
    let result = svc::put_cv(
        &state,
        user.id,
        CvInput {
            cv_text: f.cv_text.clone(),
        },
    )
    .await;
    finish(
        &state,
        &ctx,
        &user,
        result,
        "cv",
        |cv| {
            if cv.cv_text.is_some() {
                "Your CV is saved.".into()
            } else {
                "Your CV is removed.".into()
            }
        },
        |e| Refused::Cv(f, e),
    )
    .await
}

// ---- the public profile ----

#[derive(Template)]
#[template(path = "public_profile.html")]
struct PublicPage<'a> {
    ctx: &'a PageCtx,
    p: PublicUserView,
    name: String,
    initials: String,
    level: &'static str,
    is_me: bool,
    skills: Vec<SkillRow>,
    experiences: Vec<(ExperienceView, String)>,
    education: Vec<(EducationView, String)>,
}

impl PublicPage<'_> {
    fn is_empty(&self) -> bool {
        self.p.bio.is_none()
            && self.p.career_goals.is_none()
            && self.p.interests.is_empty()
            && self.skills.is_empty()
            && self.experiences.is_empty()
            && self.education.is_empty()
    }
}

pub async fn public_page(
    State(state): State<AppState>,
    Page(ctx): Page,
    Path(username): Path<String>,
) -> Response {
    let found = async {
        let id: UserId = svc::find_by_username(&state, &username).await?;
        svc::public_profile(&state, id).await
    }
    .await;
    let p = match found {
        Ok(p) => p,
        Err(e) => return ctx.fail(e),
    };
    let name = crate::people::display_name(p.full_name.as_deref(), &p.username);
    let page = PublicPage {
        ctx: &ctx,
        initials: initials(&name),
        level: p
            .experience_level
            .as_deref()
            .map(experience_label)
            .unwrap_or(""),
        is_me: ctx.user.as_ref().is_some_and(|v| v.current.id == p.id),
        skills: p.skills.iter().cloned().map(SkillRow::from).collect(),
        experiences: p
            .experiences
            .iter()
            .map(|e| (e.clone(), experience_dates(e)))
            .collect(),
        education: p
            .education
            .iter()
            .map(|e| (e.clone(), education_line(e)))
            .collect(),
        name,
        p,
    };
    render(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn exp(start: &str, end: Option<&str>, current: bool) -> ExperienceView {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        ExperienceView {
            id: Uuid::nil(),
            title: "t".into(),
            company: "c".into(),
            location: None,
            start_date: d(start),
            end_date: end.map(d),
            is_current: current,
            description: None,
        }
    }

    #[test]
    fn dates_read_well() {
        assert_eq!(
            experience_dates(&exp("2021-09-01", None, true)),
            "Sep 2021 – present"
        );
        assert_eq!(
            experience_dates(&exp("2021-09-01", Some("2023-03-31"), false)),
            "Sep 2021 – Mar 2023"
        );
        assert_eq!(
            experience_dates(&exp("2021-09-01", None, false)),
            "Sep 2021"
        );
    }

    #[test]
    fn years_and_levels() {
        assert_eq!(year(""), None);
        assert_eq!(year(" 2020 "), Some(2020));
        assert_eq!(year("twenty"), Some(0));
        assert_eq!(level_label(4), "Advanced");
        assert_eq!(
            SkillRow::from(SkillView {
                name: "Rust".into(),
                level: 2
            })
            .dots,
            "●●○○○"
        );
        assert_eq!(initials("Ada Lovelace"), "AL");
    }
}
