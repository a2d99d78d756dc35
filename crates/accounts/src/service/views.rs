//! What the API returns about people: the owner's view and the public view (never email/phone).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use vertechie_kernel::{Role, Tier, UserId};

use crate::model::{education, experience, skill, user};
use crate::service::{roles_of, tier_of};

/// The signed-in user's own account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub username: String,
    pub full_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
    pub education_level: Option<String>,
    pub experience_level: Option<String>,
    pub preferred_career_track: Option<String>,
    pub learning_style: Option<String>,
    pub interests: Vec<String>,
    pub career_goals: Option<String>,
    pub has_cv: bool,
    pub roles: Vec<Role>,
    pub tier: Tier,
    pub is_active: bool,
    pub is_verified: bool,
    pub last_login: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&user::Model> for UserView {
    fn from(u: &user::Model) -> Self {
        Self {
            id: UserId(u.id),
            email: u.email.clone(),
            username: u.username.clone(),
            full_name: u.full_name.clone(),
            bio: u.bio.clone(),
            avatar_url: u.avatar_url.clone(),
            phone: u.phone.clone(),
            education_level: u.education_level.clone(),
            experience_level: u.experience_level.clone(),
            preferred_career_track: u.preferred_career_track.clone(),
            learning_style: u.learning_style.clone(),
            interests: interests_of(u),
            career_goals: u.career_goals.clone(),
            has_cv: u.cv_text.as_deref().is_some_and(|c| !c.is_empty()),
            roles: roles_of(u),
            tier: tier_of(u),
            is_active: u.is_active,
            is_verified: u.is_verified,
            last_login: u.last_login,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

pub fn interests_of(u: &user::Model) -> Vec<String> {
    serde_json::from_str(&u.interests).unwrap_or_default()
}

/// What anyone may see of a person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicUserView {
    pub id: UserId,
    pub username: String,
    pub full_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub education_level: Option<String>,
    pub experience_level: Option<String>,
    pub preferred_career_track: Option<String>,
    pub interests: Vec<String>,
    pub career_goals: Option<String>,
    pub roles: Vec<Role>,
    pub skills: Vec<SkillView>,
    pub experiences: Vec<ExperienceView>,
    pub education: Vec<EducationView>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkillView {
    pub name: String,
    /// 1 (beginner) – 5 (expert).
    pub level: i32,
}

impl From<&skill::Model> for SkillView {
    fn from(s: &skill::Model) -> Self {
        Self {
            name: s.name.clone(),
            level: s.level,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExperienceView {
    pub id: Uuid,
    pub title: String,
    pub company: String,
    pub location: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub is_current: bool,
    pub description: Option<String>,
}

impl From<&experience::Model> for ExperienceView {
    fn from(e: &experience::Model) -> Self {
        Self {
            id: e.id,
            title: e.title.clone(),
            company: e.company.clone(),
            location: e.location.clone(),
            start_date: e.start_date,
            end_date: e.end_date,
            is_current: e.is_current,
            description: e.description.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EducationView {
    pub id: Uuid,
    pub school: String,
    pub degree: Option<String>,
    pub field_of_study: Option<String>,
    pub start_year: Option<i32>,
    pub end_year: Option<i32>,
    pub grade: Option<String>,
    pub description: Option<String>,
}

impl From<&education::Model> for EducationView {
    fn from(e: &education::Model) -> Self {
        Self {
            id: e.id,
            school: e.school.clone(),
            degree: e.degree.clone(),
            field_of_study: e.field_of_study.clone(),
            start_year: e.start_year,
            end_year: e.end_year,
            grade: e.grade.clone(),
            description: e.description.clone(),
        }
    }
}

/// A sign-in session as listed to its owner.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub current: bool,
}

/// Tokens handed out at registration, sign-in and refresh.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Access token lifetime in seconds.
    pub expires_in: u64,
    pub user: UserView,
    /// `<session id>.<secret>` for the browser's HttpOnly cookie; never sent in JSON.
    #[serde(skip)]
    pub browser_cookie: Option<String>,
}
