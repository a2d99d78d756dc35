//! The public profile page (`/u/{username}`).

use super::*;

// ---- the public profile ----

#[derive(Template)]
#[template(path = "public_profile.html")]
pub(super) struct PublicPage<'a> {
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
