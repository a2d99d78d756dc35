//! The profile editor page and its section handlers.

use super::*;

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
pub(super) struct ProfilePage<'a> {
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
pub(super) enum Refused {
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
pub(super) async fn show(
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
pub(super) async fn finish<T>(
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
    CsrfForm(_): CsrfForm<crate::pages::auth::EmptyForm>,
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
pub(super) fn after_delete(
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
    CsrfForm(_): CsrfForm<crate::pages::auth::EmptyForm>,
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
