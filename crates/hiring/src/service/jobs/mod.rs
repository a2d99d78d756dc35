//! Job postings: create, change and delete by the company's owners, admins and recruiters;
//! public search over open jobs; the match for a signed-in candidate; saved jobs; freshness
//! (the `stale` flag and the queued job that closes abandoned postings).
//!
//! By sub-feature: `rules` (field checks), `write` (create, update, delete), `read` (one job and
//! the reader's match), `views` (job views, response rates), `listing` (search), `saved`,
//! `freshness` (closing stale jobs), `dashboard` (the company's jobs). Shared types live here.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use vertechie_kernel::{AppError, AppResult, Patch, UserId};

use crate::model::job;
use crate::service::matching::{JobSkill, MatchResult};
use crate::service::{CompanyRole, Refusal, require_role, role_in};

mod dashboard;
mod freshness;
mod listing;
mod read;
mod rules;
mod saved;
mod views;
mod write;

pub use dashboard::{COMPANY_JOBS_MAX, CompanyJob, company_jobs};
pub use freshness::{CloseStaleJobs, close_stale, task_handlers};
pub use listing::list;
pub use read::{get, get_for_reader, match_for};
pub use saved::{is_saved, save, saved, unsave};
pub use views::{is_stale, response_rates};
pub use write::{create, delete, update};

/// An open job whose pipeline nobody touched for this many days is flagged `stale`.
pub const STALE_DAYS: i64 = 30;
/// … and closed by [`CLOSE_STALE_JOBS`] after this many.
pub const AUTO_CLOSE_DAYS: i64 = 60;
/// The queued job kind that closes abandoned postings; it runs daily, re-enqueueing itself.
pub const CLOSE_STALE_JOBS: &str = "hiring.close_stale_jobs";
/// How often [`CLOSE_STALE_JOBS`] runs.
pub const CLOSE_STALE_EVERY_HOURS: i64 = 24;
/// Default days in a stage before an application counts as stuck.
pub const STUCK_AFTER_DAYS_DEFAULT: i64 = 7;
/// The largest `salary_at_least` (whole units): times the 10,000 minor units of the finest
/// currency it still fits an `i64`.
pub const SALARY_AT_LEAST_MAX: i64 = 1_000_000_000_000;

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const REQUIREMENTS_MAX: usize = 10_000;
pub const LOCATION_MAX: usize = 120;
pub const SKILLS_MAX: usize = 50;
pub const SKILL_NAME_MAX: usize = 60;
pub const QUESTIONS_MAX: usize = 20;
pub const QUESTION_ID_MAX: usize = 40;
pub const QUESTION_TEXT_MAX: usize = 500;
pub const OPTIONS_MAX: usize = 20;
pub const OPTION_MAX: usize = 200;

pub const REMOTE: [&str; 3] = ["onsite", "hybrid", "remote"];
pub const EMPLOYMENT_TYPES: [&str; 5] = [
    "full_time",
    "part_time",
    "contract",
    "internship",
    "temporary",
];
pub const LEVELS: [&str; 4] = ["fresher", "junior", "mid", "senior"];
pub const STATUSES: [&str; 3] = ["draft", "open", "closed"];
pub const QUESTION_KINDS: [&str; 4] = ["text", "yes_no", "single_choice", "number"];

/// Roles that post and edit jobs.
pub const EDITORS: &[CompanyRole] = &[
    CompanyRole::Owner,
    CompanyRole::Admin,
    CompanyRole::Recruiter,
];

/// A screening question as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScreeningQuestion {
    /// `[A-Za-z0-9_-]`, 1–40 characters, unique within the job.
    pub id: String,
    pub text: String,
    /// text | yes_no | single_choice | number
    pub kind: String,
    /// The choices of a `single_choice` question (at least 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    pub required: bool,
    /// The answer that rejects an applicant (`true`/`false` for yes_no, one of the options for
    /// single_choice). Shown to company members only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knockout_answer: Option<serde_json::Value>,
}

/// A skill in a job form.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SkillInput {
    pub name: Option<String>,
    /// 1–5.
    pub weight: Option<i64>,
    /// Default false.
    pub required: Option<bool>,
}

/// A screening question in a job form.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct QuestionInput {
    pub id: Option<String>,
    pub text: Option<String>,
    /// text | yes_no | single_choice | number
    pub kind: Option<String>,
    /// Required for single_choice (at least 2, distinct); not allowed for other kinds.
    pub options: Option<Vec<String>>,
    /// Default false.
    pub required: Option<bool>,
    /// yes_no: `true`/`false`; single_choice: one of the options; not allowed for text/number.
    pub knockout_answer: Option<serde_json::Value>,
}

/// A new job.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct JobCreate {
    pub company_id: Option<Uuid>,
    /// Required, at most 200 characters.
    pub title: Option<String>,
    /// Markdown, stored as given; required, at most 20,000 characters.
    pub description: Option<String>,
    pub requirements: Option<String>,
    pub skills: Option<Vec<SkillInput>>,
    pub location: Option<String>,
    /// onsite | hybrid | remote
    pub remote: Option<String>,
    /// full_time | part_time | contract | internship | temporary
    pub employment_type: Option<String>,
    /// fresher | junior | mid | senior
    pub experience_level: Option<String>,
    /// Minor units of `currency` (cents for EUR, yen for JPY, fils for KWD); needs `currency`.
    pub salary_min: Option<i64>,
    pub salary_max: Option<i64>,
    /// An ISO 4217 code in upper case (EUR, JPY, KWD…).
    pub currency: Option<String>,
    pub screening_questions: Option<Vec<QuestionInput>>,
    /// draft (default) | open | closed
    pub status: Option<String>,
    /// Must be in the future.
    pub closes_at: Option<DateTime<Utc>>,
    /// Days in a non-terminal stage before an application is listed as stuck: 1–365, default 7.
    pub stuck_after_days: Option<i64>,
}

/// Changes to a job: absent fields stay, `null` clears the optional ones. The same rules as
/// creation apply to the result.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct JobUpdate {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub requirements: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<SkillInput>>)]
    pub skills: Patch<Vec<SkillInput>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub location: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub remote: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub employment_type: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub experience_level: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub salary_min: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub salary_max: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub currency: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<QuestionInput>>)]
    pub screening_questions: Patch<Vec<QuestionInput>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub status: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub closes_at: Patch<DateTime<Utc>>,
    /// 1–365; `null` restores the default (7).
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub stuck_after_days: Patch<i64>,
}

/// The company of a job, as listings show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompanyBrief {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub verified: bool,
}

/// A job as listings and the job page show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: Uuid,
    pub company: CompanyBrief,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub requirements: Option<String>,
    pub skills: Vec<JobSkill>,
    pub location: Option<String>,
    pub remote: String,
    pub employment_type: String,
    pub experience_level: Option<String>,
    pub salary_min: Option<i64>,
    pub salary_max: Option<i64>,
    pub currency: Option<String>,
    pub screening_questions: Vec<ScreeningQuestion>,
    pub status: String,
    pub closes_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Open, and nobody touched its pipeline for `STALE_DAYS` (30) days.
    pub stale: bool,
    /// The employer's response rate over all its jobs: the share (0–1, two decimals) of
    /// applications a person acted on (moved on from their first stage, or rejected; knockouts
    /// and withdrawals not counted). `null` until the company has such applications.
    pub response_rate: Option<f64>,
    /// Days before an application counts as stuck (company members only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stuck_after_days: Option<i32>,
    /// How the signed-in reader matches (the job page only).
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_result: Option<MatchResult>,
}

/// What `DELETE` did.
pub enum Removed {
    Deleted,
    Closed(Box<JobView>),
}

/// `GET /api/v1/jobs` parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobSearch {
    /// Words to find in the title, description or skills (all must match).
    pub q: Option<String>,
    /// Substring of the location (case-insensitive).
    pub location: Option<String>,
    /// onsite | hybrid | remote
    pub remote: Option<String>,
    /// full_time | part_time | contract | internship | temporary
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub employment_type: Option<String>,
    /// fresher | junior | mid | senior
    pub level: Option<String>,
    /// A skill name; synonyms count (`JS` finds JavaScript jobs).
    pub skill: Option<String>,
    /// A company id or slug.
    pub company: Option<String>,
    /// The top of the pay range reaches this (minor units); jobs without a salary are left out.
    pub salary_min: Option<i64>,
    /// The top of the pay range reaches this many whole units of the job's own currency
    /// (60000 is €60,000 for a job in EUR and ¥60,000 for one in JPY); at most 10¹².
    pub salary_at_least: Option<i64>,
    /// Posted within this many days.
    pub posted_within: Option<u32>,
    /// relevance (default) | newest | salary
    pub sort: Option<String>,
    pub page: Option<u64>,
    pub limit: Option<u64>,
}

/// A saved job.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedJobView {
    pub saved_at: DateTime<Utc>,
    pub job: JobView,
}

// ---- loading and access (shared by the sub-modules) ----

async fn find_job<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<job::Model> {
    job::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Job not found"))
}

/// The job if `user` may see it (open, or they belong to its company) and whether they are a
/// member; 404 otherwise.
async fn visible_job<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    user: Option<UserId>,
) -> AppResult<(job::Model, bool)> {
    let j = find_job(conn, id).await?;
    let member = match user {
        Some(u) => role_in(conn, j.company_id, u).await?.is_some(),
        None => false,
    };
    if j.status != "open" && !member {
        return Err(AppError::not_found("Job not found"));
    }
    Ok((j, member))
}

/// Loads the job for a change by an editor; outsiders learn nothing about unpublished jobs.
async fn editable_job<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    user: UserId,
) -> AppResult<job::Model> {
    let j = job::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Job not found"))?;
    let refusal = if j.status == "open" {
        Refusal::Forbidden
    } else {
        Refusal::NotFound
    };
    require_role(conn, j.company_id, user, EDITORS, refusal).await?;
    Ok(j)
}
