//! Job postings: create, change and delete by the company's owners, admins and recruiters;
//! public search over open jobs; the match for a signed-in candidate; saved jobs; freshness
//! (the `stale` flag and the queued job that closes abandoned postings).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, Statement,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use vertechie_accounts::people;
use vertechie_accounts::service::profile;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::money::Currency;
use vertechie_kernel::queue::TaskHandler;
use vertechie_kernel::text::{clean, clean_text};
use vertechie_kernel::{
    AppError, AppResult, AppState, CurrentUser, FieldError, Page, PageQuery, Patch, UserId,
    Validator,
};

use crate::model::{company, job, saved_job};
use crate::service::matching::{
    self, ExperienceLevel, JobSkill, MatchInput, MatchResult, ProfileSkill,
};
use crate::service::search::{self, JobQuery, Sort};
use crate::service::search_cache::{SearchCache, jobs_changed};
use crate::service::{CompanyRole, Refusal, find_company, require_role, role_in};

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

// ---- fields and rules ----

#[derive(Debug, Default, Clone)]
struct Fields {
    title: Option<String>,
    description: Option<String>,
    requirements: Option<String>,
    skills: Vec<SkillInput>,
    location: Option<String>,
    remote: Option<String>,
    employment_type: Option<String>,
    experience_level: Option<String>,
    salary_min: Option<i64>,
    salary_max: Option<i64>,
    currency: Option<String>,
    questions: Vec<QuestionInput>,
    status: Option<String>,
    closes_at: Option<DateTime<Utc>>,
    stuck_after_days: i64,
}

fn clean_lower(s: &str) -> Option<String> {
    clean(s).map(|s| s.to_lowercase())
}

/// Markdown stays as given; only all-blank text counts as absent.
fn keep_text(s: &str) -> Option<String> {
    clean_text(s).map(|_| s.to_owned())
}

fn stored_skills(j: &job::Model) -> Vec<JobSkill> {
    serde_json::from_str(&j.skills).unwrap_or_default()
}

fn stored_questions(j: &job::Model) -> Vec<ScreeningQuestion> {
    serde_json::from_str(&j.screening_questions).unwrap_or_default()
}

impl Fields {
    fn of(j: &job::Model) -> Self {
        Self {
            title: Some(j.title.clone()),
            description: Some(j.description.clone()),
            requirements: j.requirements.clone(),
            skills: stored_skills(j)
                .into_iter()
                .map(|s| SkillInput {
                    name: Some(s.name),
                    weight: Some(i64::from(s.weight)),
                    required: Some(s.required),
                })
                .collect(),
            location: j.location.clone(),
            remote: Some(j.remote.clone()),
            employment_type: Some(j.employment_type.clone()),
            experience_level: j.experience_level.clone(),
            salary_min: j.salary_min,
            salary_max: j.salary_max,
            currency: j.currency.clone(),
            questions: stored_questions(j)
                .into_iter()
                .map(|q| QuestionInput {
                    id: Some(q.id),
                    text: Some(q.text),
                    kind: Some(q.kind),
                    options: q.options,
                    required: Some(q.required),
                    knockout_answer: q.knockout_answer,
                })
                .collect(),
            status: Some(j.status.clone()),
            closes_at: j.closes_at,
            stuck_after_days: i64::from(j.stuck_after_days),
        }
    }

    fn from_create(input: JobCreate) -> Self {
        Self {
            title: input.title.as_deref().and_then(clean),
            description: input.description.as_deref().and_then(keep_text),
            requirements: input.requirements.as_deref().and_then(keep_text),
            skills: input.skills.unwrap_or_default(),
            location: input.location.as_deref().and_then(clean),
            remote: input.remote.as_deref().and_then(clean_lower),
            employment_type: input.employment_type.as_deref().and_then(clean_lower),
            experience_level: input.experience_level.as_deref().and_then(clean_lower),
            salary_min: input.salary_min,
            salary_max: input.salary_max,
            currency: input.currency.as_deref().and_then(clean),
            questions: input.screening_questions.unwrap_or_default(),
            status: Some(
                input
                    .status
                    .as_deref()
                    .and_then(clean_lower)
                    .unwrap_or_else(|| "draft".to_owned()),
            ),
            closes_at: input.closes_at,
            stuck_after_days: input.stuck_after_days.unwrap_or(STUCK_AFTER_DAYS_DEFAULT),
        }
    }

    fn apply(&mut self, u: JobUpdate) {
        if let Some(x) = u.title.into_option() {
            self.title = x.as_deref().and_then(clean);
        }
        if let Some(x) = u.description.into_option() {
            self.description = x.as_deref().and_then(keep_text);
        }
        if let Some(x) = u.requirements.into_option() {
            self.requirements = x.as_deref().and_then(keep_text);
        }
        if let Some(x) = u.skills.into_option() {
            self.skills = x.unwrap_or_default();
        }
        if let Some(x) = u.location.into_option() {
            self.location = x.as_deref().and_then(clean);
        }
        if let Some(x) = u.remote.into_option() {
            self.remote = x.as_deref().and_then(clean_lower);
        }
        if let Some(x) = u.employment_type.into_option() {
            self.employment_type = x.as_deref().and_then(clean_lower);
        }
        if let Some(x) = u.experience_level.into_option() {
            self.experience_level = x.as_deref().and_then(clean_lower);
        }
        if let Some(x) = u.salary_min.into_option() {
            self.salary_min = x;
        }
        if let Some(x) = u.salary_max.into_option() {
            self.salary_max = x;
        }
        if let Some(x) = u.currency.into_option() {
            self.currency = x.as_deref().and_then(clean);
        }
        if let Some(x) = u.screening_questions.into_option() {
            self.questions = x.unwrap_or_default();
        }
        if let Some(x) = u.status.into_option() {
            self.status = x.as_deref().and_then(clean_lower);
        }
        if let Some(x) = u.closes_at.into_option() {
            self.closes_at = x;
        }
        if let Some(x) = u.stuck_after_days.into_option() {
            self.stuck_after_days = x.unwrap_or(STUCK_AFTER_DAYS_DEFAULT);
        }
    }

    /// Checks every rule; returns the skills and questions as stored.
    fn validate(
        &self,
        now: DateTime<Utc>,
        check_closes_at: bool,
    ) -> AppResult<(Vec<JobSkill>, Vec<ScreeningQuestion>)> {
        let mut v = Validator::new();
        match &self.title {
            None => v.add("title", "is required"),
            Some(t) => v.max_len(Some(t), "title", TITLE_MAX),
        }
        match &self.description {
            None => v.add("description", "is required"),
            Some(t) => v.max_len(Some(t), "description", DESCRIPTION_MAX),
        }
        v.max_len(
            self.requirements.as_deref(),
            "requirements",
            REQUIREMENTS_MAX,
        );
        v.max_len(self.location.as_deref(), "location", LOCATION_MAX);
        one_of(&mut v, "remote", self.remote.as_deref(), &REMOTE, true);
        one_of(
            &mut v,
            "employment_type",
            self.employment_type.as_deref(),
            &EMPLOYMENT_TYPES,
            true,
        );
        one_of(
            &mut v,
            "experience_level",
            self.experience_level.as_deref(),
            &LEVELS,
            false,
        );
        one_of(&mut v, "status", self.status.as_deref(), &STATUSES, true);
        if !(1..=365).contains(&self.stuck_after_days) {
            v.add("stuck_after_days", "must be between 1 and 365");
        }

        for (field, value) in [
            ("salary_min", self.salary_min),
            ("salary_max", self.salary_max),
        ] {
            if value.is_some_and(|x| x < 0) {
                v.add(field, "must not be negative");
            }
        }
        if let (Some(min), Some(max)) = (self.salary_min, self.salary_max)
            && min > max
        {
            v.add("salary_max", "must not be less than salary_min");
        }
        match &self.currency {
            Some(c) => v.check(
                Currency::parse(c).is_some(),
                "currency",
                "must be an ISO 4217 currency code in upper case, like EUR",
            ),
            None if self.salary_min.is_some() || self.salary_max.is_some() => {
                v.add("currency", "is required with a salary")
            }
            None => {}
        }
        if check_closes_at && let Some(at) = self.closes_at {
            v.check(at > now, "closes_at", "must be in the future");
        }

        let skills = validate_skills(&mut v, &self.skills);
        let questions = validate_questions(&mut v, &self.questions);
        v.finish()?;
        Ok((skills, questions))
    }
}

fn one_of(v: &mut Validator, field: &str, value: Option<&str>, allowed: &[&str], required: bool) {
    match value {
        None if required => v.add(field, "is required"),
        None => {}
        Some(x) => v.check(
            allowed.contains(&x),
            field,
            &format!("must be one of {}", allowed.join(", ")),
        ),
    }
}

fn validate_skills(v: &mut Validator, skills: &[SkillInput]) -> Vec<JobSkill> {
    if skills.len() > SKILLS_MAX {
        v.add("skills", format!("at most {SKILLS_MAX} skills"));
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for (i, s) in skills.iter().enumerate() {
        let name = s.name.as_deref().and_then(clean);
        let f = |k: &str| format!("skills[{i}].{k}");
        match &name {
            None => v.add(&f("name"), "is required"),
            Some(n) => {
                v.max_len(Some(n), &f("name"), SKILL_NAME_MAX);
                let key = matching::canonical_skill(n);
                if keys.contains(&key) {
                    v.add(
                        &f("name"),
                        "is listed twice (synonyms count as the same skill)",
                    );
                }
                keys.push(key);
            }
        }
        let weight = s.weight.unwrap_or(1);
        v.check((1..=5).contains(&weight), &f("weight"), "must be 1–5");
        if let Some(n) = name {
            out.push(JobSkill {
                name: n,
                weight: weight.clamp(1, 5) as u8,
                required: s.required.unwrap_or(false),
            });
        }
    }
    out
}

fn valid_question_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= QUESTION_ID_MAX
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn validate_questions(v: &mut Validator, questions: &[QuestionInput]) -> Vec<ScreeningQuestion> {
    if questions.len() > QUESTIONS_MAX {
        v.add(
            "screening_questions",
            format!("at most {QUESTIONS_MAX} questions"),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let f = |k: &str| format!("screening_questions[{i}].{k}");
        let id =
            q.id.as_deref()
                .map(str::trim)
                .unwrap_or_default()
                .to_owned();
        if !valid_question_id(&id) {
            v.add(
                &f("id"),
                "must be 1–40 characters of letters, digits, _ and -",
            );
        } else if ids.contains(&id) {
            v.add(&f("id"), "is used twice");
        }
        ids.push(id.clone());
        let text = q.text.as_deref().and_then(clean);
        match &text {
            None => v.add(&f("text"), "is required"),
            Some(t) => v.max_len(Some(t), &f("text"), QUESTION_TEXT_MAX),
        }
        let kind = q.kind.as_deref().and_then(clean_lower);
        one_of(v, &f("kind"), kind.as_deref(), &QUESTION_KINDS, true);
        let options: Option<Vec<String>> = q
            .options
            .as_ref()
            .map(|o| o.iter().map(|s| clean(s).unwrap_or_default()).collect());
        match (kind.as_deref(), &options) {
            (Some("single_choice"), None) => v.add(&f("options"), "are required for single_choice"),
            (Some("single_choice"), Some(opts)) => {
                if opts.len() < 2 {
                    v.add(&f("options"), "needs at least 2 choices");
                } else if opts.len() > OPTIONS_MAX {
                    v.add(&f("options"), format!("at most {OPTIONS_MAX} choices"));
                } else if opts
                    .iter()
                    .any(|o| o.is_empty() || o.chars().count() > OPTION_MAX)
                {
                    v.add(&f("options"), "each choice must be 1–200 characters");
                } else {
                    let mut seen: Vec<&String> = Vec::new();
                    for o in opts {
                        if seen.contains(&o) {
                            v.add(&f("options"), "choices must be distinct");
                            break;
                        }
                        seen.push(o);
                    }
                }
            }
            (Some(_), Some(_)) => v.add(&f("options"), "are only for single_choice questions"),
            _ => {}
        }
        if let Some(k) = &q.knockout_answer
            && !k.is_null()
        {
            let ok = match kind.as_deref() {
                Some("yes_no") => k.is_boolean(),
                Some("single_choice") => k
                    .as_str()
                    .is_some_and(|s| options.as_ref().is_some_and(|o| o.iter().any(|x| x == s))),
                _ => false,
            };
            if !ok {
                v.add(
                    &f("knockout_answer"),
                    "must be true/false for yes_no or one of the options for single_choice (text and number questions have none)",
                );
            }
        }
        if let (Some(text), Some(kind)) = (text, kind) {
            out.push(ScreeningQuestion {
                id,
                text,
                kind: kind.clone(),
                options: if kind == "single_choice" {
                    options
                } else {
                    None
                },
                required: q.required.unwrap_or(false),
                knockout_answer: q.knockout_answer.clone().filter(|k| !k.is_null()),
            });
        }
    }
    out
}

fn skill_keys(skills: &[JobSkill]) -> String {
    let mut out = String::from("|");
    for s in skills {
        out.push_str(&matching::canonical_skill(&s.name));
        out.push('|');
    }
    out
}

// ---- views ----

fn brief(c: &company::Model) -> CompanyBrief {
    CompanyBrief {
        id: c.id,
        name: c.name.clone(),
        slug: c.slug.clone(),
        verified: c.verified,
    }
}

/// Open, and the pipeline untouched for [`STALE_DAYS`].
pub fn is_stale(j: &job::Model, now: DateTime<Utc>) -> bool {
    j.status == "open" && j.last_pipeline_activity_at <= now - Duration::days(STALE_DAYS)
}

fn view(j: &job::Model, c: &company::Model, now: DateTime<Utc>, member: bool) -> JobView {
    let mut questions = stored_questions(j);
    if !member {
        for q in &mut questions {
            q.knockout_answer = None;
        }
    }
    JobView {
        id: j.id,
        company: brief(c),
        title: j.title.clone(),
        description: j.description.clone(),
        requirements: j.requirements.clone(),
        skills: stored_skills(j),
        location: j.location.clone(),
        remote: j.remote.clone(),
        employment_type: j.employment_type.clone(),
        experience_level: j.experience_level.clone(),
        salary_min: j.salary_min,
        salary_max: j.salary_max,
        currency: j.currency.clone(),
        screening_questions: questions,
        status: j.status.clone(),
        closes_at: j.closes_at,
        published_at: j.published_at,
        created_at: j.created_at,
        updated_at: j.updated_at,
        stale: is_stale(j, now),
        response_rate: None,
        stuck_after_days: member.then_some(j.stuck_after_days),
        match_result: None,
    }
}

async fn views<C: ConnectionTrait>(
    conn: &C,
    jobs: &[job::Model],
    now: DateTime<Utc>,
) -> AppResult<Vec<JobView>> {
    let ids: Vec<Uuid> = jobs.iter().map(|j| j.company_id).collect();
    let rates = response_rates(conn, &ids).await?;
    let companies = company::Entity::find()
        .filter(company::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    Ok(jobs
        .iter()
        .filter_map(|j| {
            let c = companies.iter().find(|c| c.id == j.company_id)?;
            let mut v = view(j, c, now, false);
            v.response_rate = rates.get(&c.id).copied();
            Some(v)
        })
        .collect())
}

/// Each employer's response rate: of the applications to its jobs (not withdrawn, not rejected
/// by a knockout answer), the share a person acted on — moved out of the stage they arrived in,
/// or rejected. Companies without such applications have no entry.
pub async fn response_rates<C: ConnectionTrait>(
    conn: &C,
    company_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, f64>> {
    let mut ids: Vec<Uuid> = company_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let backend = conn.get_database_backend();
    let marks: Vec<String> = (1..=ids.len())
        .map(|i| match backend {
            DatabaseBackend::Postgres => format!("${i}"),
            _ => "?".to_owned(),
        })
        .collect();
    let sql = format!(
        "SELECT j.company_id AS company_id, COUNT(*) AS total, \
         SUM(CASE WHEN a.status = 'rejected' OR a.stage_changed_at > a.created_at THEN 1 ELSE 0 END) AS responded \
         FROM applications a JOIN job_postings j ON j.id = a.job_id \
         WHERE j.company_id IN ({}) AND a.status <> 'withdrawn' \
         AND COALESCE(a.reject_reason, '') <> 'knockout' \
         GROUP BY j.company_id",
        marks.join(", ")
    );
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            ids.iter().map(|id| (*id).into()),
        ))
        .await?;
    for r in rows {
        let company: Uuid = r.try_get("", "company_id")?;
        let total: i64 = r.try_get("", "total")?;
        let responded: i64 = r.try_get("", "responded")?;
        if total > 0 {
            // Two decimals are as precise as a rate shown to people needs to be.
            let rate = (responded as f64 / total as f64 * 100.0).round() / 100.0;
            out.insert(company, rate);
        }
    }
    Ok(out)
}

// ---- loading and access ----

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

// ---- create, read, change, delete ----

/// Owners, admins and recruiters of the company post a job (any status), with a verified email
/// address (403 `EMAIL_NOT_VERIFIED`).
pub async fn create(state: &AppState, actor: &CurrentUser, input: JobCreate) -> AppResult<JobView> {
    let now = state.clock.now();
    let Some(company_id) = input.company_id else {
        return Err(AppError::field("company_id", "is required"));
    };
    let company = company::Entity::find_by_id(company_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::field("company_id", "no such company"))?;
    require_role(&state.db, company_id, actor.id, EDITORS, Refusal::Forbidden).await?;
    people::live(&state.db, actor.id.0)
        .await?
        .require_verified_email("post jobs")?;
    if company.closed_at.is_some() {
        return Err(AppError::conflict(
            "COMPANY_CLOSED",
            "This company is closed and posts no jobs",
        ));
    }
    let fields = Fields::from_create(input);
    let (skills, questions) = fields.validate(now, true)?;
    let status = fields.status.clone().unwrap_or_else(|| "draft".to_owned());

    let txn = begin_write(&state.db).await?;
    let row = job::Model {
        id: Uuid::now_v7(),
        company_id,
        created_by: Some(actor.id.0),
        title: fields.title.unwrap_or_default(),
        description: fields.description.unwrap_or_default(),
        requirements: fields.requirements,
        skills: serde_json::to_string(&skills).map_err(AppError::internal)?,
        skill_keys: skill_keys(&skills),
        location: fields.location,
        remote: fields.remote.unwrap_or_default(),
        employment_type: fields.employment_type.unwrap_or_default(),
        experience_level: fields.experience_level,
        salary_min: fields.salary_min,
        salary_max: fields.salary_max,
        currency: fields.currency,
        screening_questions: serde_json::to_string(&questions).map_err(AppError::internal)?,
        published_at: (status == "open").then_some(now),
        status,
        closes_at: fields.closes_at,
        last_pipeline_activity_at: now,
        stuck_after_days: i32::try_from(fields.stuck_after_days).unwrap_or(7),
        created_at: now,
        updated_at: now,
    };
    let row = job::ActiveModel::from(row).insert(&txn).await?;
    search::index_job(&txn, &row).await?;
    crate::service::pipeline::ensure_stages(&txn, row.id, now).await?;
    txn.commit().await?;
    jobs_changed(state);
    Ok(view(&row, &company, now, true))
}

/// A job: open ones for everyone, others for company members only (404 for the rest). A
/// signed-in reader also gets their match.
pub async fn get(state: &AppState, user: Option<&CurrentUser>, id: Uuid) -> AppResult<JobView> {
    let (j, member) = visible_job(&state.db, id, user.map(|u| u.id)).await?;
    let company = find_company(&state.db, j.company_id).await?;
    let mut v = view(&j, &company, state.clock.now(), member);
    v.response_rate = response_rates(&state.db, &[company.id])
        .await?
        .get(&company.id)
        .copied();
    if let Some(u) = user {
        v.match_result = Some(match_of(state, u.id, &j).await?);
    }
    Ok(v)
}

/// The signed-in user's match for a job they can see.
pub async fn match_for(state: &AppState, user: &CurrentUser, id: Uuid) -> AppResult<MatchResult> {
    let (j, _) = visible_job(&state.db, id, Some(user.id)).await?;
    match_of(state, user.id, &j).await
}

async fn match_of(state: &AppState, user: UserId, j: &job::Model) -> AppResult<MatchResult> {
    let profile_skills: Vec<ProfileSkill> = profile::list_skills(state, user)
        .await?
        .into_iter()
        .map(|s| ProfileSkill {
            name: s.name,
            level: s.level.clamp(1, 5) as u8,
        })
        .collect();
    let cv = profile::get_cv(state, user)
        .await?
        .cv_text
        .unwrap_or_default();
    let me = profile::me(state, user).await?;
    let job_skills = stored_skills(j);
    Ok(matching::compute(&MatchInput {
        job_skills: &job_skills,
        job_level: j
            .experience_level
            .as_deref()
            .and_then(ExperienceLevel::parse),
        profile_skills: &profile_skills,
        cv_text: &cv,
        candidate_level: me
            .experience_level
            .as_deref()
            .and_then(ExperienceLevel::parse),
    }))
}

/// Editors change a job; the result must pass every creation rule (`closes_at` is checked for
/// the future only when it changes). Opening it needs a verified email address.
pub async fn update(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
    input: JobUpdate,
) -> AppResult<JobView> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let current = editable_job(&txn, id, actor.id).await?;
    let closes_at_changed = !input.closes_at.is_absent();
    let mut f = Fields::of(&current);
    f.apply(input);
    let (skills, questions) = f.validate(now, closes_at_changed)?;
    let status = f.status.clone().unwrap_or_else(|| current.status.clone());
    let opening = status == "open" && current.status != "open";
    if opening {
        people::live(&txn, actor.id.0)
            .await?
            .require_verified_email("open a job")?;
    }

    let mut row = current.clone().into_active_model();
    row.title = Set(f.title.unwrap_or_default());
    row.description = Set(f.description.unwrap_or_default());
    row.requirements = Set(f.requirements);
    row.skills = Set(serde_json::to_string(&skills).map_err(AppError::internal)?);
    row.skill_keys = Set(skill_keys(&skills));
    row.location = Set(f.location);
    row.remote = Set(f.remote.unwrap_or_default());
    row.employment_type = Set(f.employment_type.unwrap_or_default());
    row.experience_level = Set(f.experience_level);
    row.salary_min = Set(f.salary_min);
    row.salary_max = Set(f.salary_max);
    row.currency = Set(f.currency);
    row.screening_questions = Set(serde_json::to_string(&questions).map_err(AppError::internal)?);
    row.closes_at = Set(f.closes_at);
    row.stuck_after_days = Set(i32::try_from(f.stuck_after_days).unwrap_or(7));
    if opening {
        row.last_pipeline_activity_at = Set(now);
        if current.published_at.is_none() {
            row.published_at = Set(Some(now));
        }
    }
    row.status = Set(status);
    row.updated_at = Set(now);
    let row = row.update(&txn).await?;
    search::index_job(&txn, &row).await?;
    let company = find_company(&txn, row.company_id).await?;
    txn.commit().await?;
    jobs_changed(state);
    Ok(view(&row, &company, now, true))
}

/// Drafts are deleted (there are no applications yet to keep); anything else is closed.
pub async fn delete(state: &AppState, actor: &CurrentUser, id: Uuid) -> AppResult<Removed> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let current = editable_job(&txn, id, actor.id).await?;
    if current.status == "draft" {
        search::unindex_job(&txn, id).await?;
        saved_job::Entity::delete_many()
            .filter(saved_job::Column::JobId.eq(id))
            .exec(&txn)
            .await?;
        job::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        jobs_changed(state);
        return Ok(Removed::Deleted);
    }
    let row = if current.status == "closed" {
        current
    } else {
        let mut row = current.into_active_model();
        row.status = Set("closed".to_owned());
        row.updated_at = Set(now);
        row.update(&txn).await?
    };
    let company = find_company(&txn, row.company_id).await?;
    txn.commit().await?;
    jobs_changed(state);
    Ok(Removed::Closed(Box::new(view(&row, &company, now, true))))
}

// ---- search ----

fn bad_query(field: &str, msg: impl Into<String>) -> AppError {
    let mut e = AppError::bad_request("INVALID_QUERY", "Invalid query parameters");
    e.details = vec![FieldError::new(field, msg)];
    e
}

fn query_enum(field: &str, value: Option<&str>, allowed: &[&str]) -> AppResult<Option<String>> {
    match value.and_then(clean_lower) {
        None => Ok(None),
        Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v)),
        Some(_) => Err(bad_query(
            field,
            format!("must be one of {}", allowed.join(", ")),
        )),
    }
}

/// Public search over open jobs, through this instance's [`SearchCache`].
pub async fn list(state: &AppState, s: JobSearch) -> AppResult<Page<JobView>> {
    SearchCache::get_or_read(state, &s, || search_jobs(state, &s)).await
}

async fn search_jobs(state: &AppState, s: &JobSearch) -> AppResult<Page<JobView>> {
    let now = state.clock.now();
    let page = PageQuery {
        page: s.page,
        limit: s.limit,
    };
    let sort = match s.sort.as_deref().and_then(clean_lower).as_deref() {
        None | Some("relevance") => Sort::Relevance,
        Some("newest") => Sort::Newest,
        Some("salary") => Sort::Salary,
        Some(_) => {
            return Err(bad_query(
                "sort",
                "must be one of relevance, newest, salary",
            ));
        }
    };
    let company = s.company.as_deref().and_then(clean);
    let (company_id, company_slug) = match company {
        None => (None, None),
        Some(c) => match Uuid::parse_str(&c) {
            Ok(id) => (Some(id), None),
            Err(_) => (None, Some(c.to_lowercase())),
        },
    };
    if s.salary_min.is_some_and(|x| x < 0) {
        return Err(bad_query("salary_min", "must not be negative"));
    }
    if s.salary_at_least
        .is_some_and(|x| !(0..=SALARY_AT_LEAST_MAX).contains(&x))
    {
        return Err(bad_query(
            "salary_at_least",
            "must be between 0 and 1000000000000",
        ));
    }
    let query = JobQuery {
        terms: search::fts_terms(s.q.as_deref().unwrap_or_default()),
        location: s.location.as_deref().and_then(clean_lower),
        remote: query_enum("remote", s.remote.as_deref(), &REMOTE)?,
        employment_type: query_enum("type", s.employment_type.as_deref(), &EMPLOYMENT_TYPES)?,
        experience_level: query_enum("level", s.level.as_deref(), &LEVELS)?,
        skill_key: s
            .skill
            .as_deref()
            .and_then(clean)
            .map(|k| matching::canonical_skill(&k)),
        company_id,
        company_slug,
        salary_min: s.salary_min,
        salary_at_least: s.salary_at_least,
        posted_since: s
            .posted_within
            .map(|d| now - Duration::days(i64::from(d.min(36_500)))),
        now,
        sort,
        limit: page.limit(),
        offset: page.offset(),
    };
    let (ids, total) = search::search(&state.db, &query).await?;
    let rows = job::Entity::find()
        .filter(job::Column::Id.is_in(ids.clone()))
        .all(&state.db)
        .await?;
    let ordered: Vec<job::Model> = ids
        .iter()
        .filter_map(|id| rows.iter().find(|r| r.id == *id).cloned())
        .collect();
    let items = views(&state.db, &ordered, now).await?;
    Ok(Page::new(items, total, &page))
}

// ---- saved jobs ----

/// Saves a job the user can see; saving twice is fine.
pub async fn save(state: &AppState, user: &CurrentUser, id: Uuid) -> AppResult<()> {
    visible_job(&state.db, id, Some(user.id)).await?;
    let row = saved_job::ActiveModel::from(saved_job::Model {
        id: Uuid::now_v7(),
        user_id: user.id.0,
        job_id: id,
        created_at: state.clock.now(),
    });
    saved_job::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([saved_job::Column::UserId, saved_job::Column::JobId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?;
    Ok(())
}

/// Forgets a saved job; unsaving what is not saved is fine.
pub async fn unsave(state: &AppState, user: &CurrentUser, id: Uuid) -> AppResult<()> {
    saved_job::Entity::delete_many()
        .filter(saved_job::Column::UserId.eq(user.id.0))
        .filter(saved_job::Column::JobId.eq(id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// The user's saved jobs, newest save first (drafts are left out).
pub async fn saved(
    state: &AppState,
    user: &CurrentUser,
    page: PageQuery,
) -> AppResult<Page<SavedJobView>> {
    let now = state.clock.now();
    let visible = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(job::Column::Status.ne("draft"))
        .into_query();
    let query = saved_job::Entity::find()
        .filter(saved_job::Column::UserId.eq(user.id.0))
        .filter(saved_job::Column::JobId.in_subquery(visible));
    let total = query.clone().count(&state.db).await?;
    let saves = query
        .order_by_desc(saved_job::Column::CreatedAt)
        .order_by_desc(saved_job::Column::Id)
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    let ids: Vec<Uuid> = saves.iter().map(|s| s.job_id).collect();
    let rows = job::Entity::find()
        .filter(job::Column::Id.is_in(ids))
        .all(&state.db)
        .await?;
    let ordered: Vec<job::Model> = saves
        .iter()
        .filter_map(|s| rows.iter().find(|r| r.id == s.job_id).cloned())
        .collect();
    let jobs = views(&state.db, &ordered, now).await?;
    let items = saves
        .iter()
        .filter_map(|s| {
            let job = jobs.iter().find(|j| j.id == s.job_id)?.clone();
            Some(SavedJobView {
                saved_at: s.created_at,
                job,
            })
        })
        .collect();
    Ok(Page::new(items, total, &page))
}

// ---- freshness ----

/// Closes open jobs whose pipeline nobody touched for [`AUTO_CLOSE_DAYS`], and open jobs past
/// their `closes_at`. Returns how many were closed.
pub async fn close_stale<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>) -> AppResult<u64> {
    use sea_orm::Condition;
    let res = job::Entity::update_many()
        .col_expr(job::Column::Status, "closed".into())
        .col_expr(job::Column::UpdatedAt, now.into())
        .filter(job::Column::Status.eq("open"))
        .filter(
            Condition::any()
                .add(job::Column::LastPipelineActivityAt.lte(now - Duration::days(AUTO_CLOSE_DAYS)))
                .add(job::Column::ClosesAt.lte(now)),
        )
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// The [`CLOSE_STALE_JOBS`] handler: closes abandoned jobs. The module keeps it recurring every
/// [`CLOSE_STALE_EVERY_HOURS`] (`Module::every`).
pub struct CloseStaleJobs;

#[async_trait::async_trait]
impl TaskHandler for CloseStaleJobs {
    async fn run(&self, state: &AppState, _payload: serde_json::Value) -> anyhow::Result<()> {
        let now = state.clock.now();
        let closed = close_stale(&state.db, now).await?;
        if closed > 0 {
            tracing::info!(closed, "closed stale jobs");
            jobs_changed(state);
        }
        Ok(())
    }
}

/// The hiring job handlers, keyed by kind, for the server's queue.
pub fn task_handlers() -> Vec<(&'static str, Arc<dyn TaskHandler>)> {
    vec![(CLOSE_STALE_JOBS, Arc::new(CloseStaleJobs))]
}

// ---- candidate pages ----

/// Whether the user saved this job (the job page's Save/Unsave button).
pub async fn is_saved(state: &AppState, user: &CurrentUser, id: Uuid) -> AppResult<bool> {
    let n = saved_job::Entity::find()
        .filter(saved_job::Column::UserId.eq(user.id.0))
        .filter(saved_job::Column::JobId.eq(id))
        .count(&state.db)
        .await?;
    Ok(n > 0)
}

/// A job for the candidate pages: what [`get`] shows, and also a closed (never a draft) job the
/// signed-in reader saved or applied to — their saved list and applications already show it,
/// so its links must keep working. Everyone else gets [`get`]'s 404.
pub async fn get_for_reader(
    state: &AppState,
    user: Option<&CurrentUser>,
    id: Uuid,
) -> AppResult<JobView> {
    let err = match get(state, user, id).await {
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => e,
        other => return other,
    };
    let Some(u) = user else { return Err(err) };
    let Some(j) = job::Entity::find_by_id(id).one(&state.db).await? else {
        return Err(err);
    };
    if j.status != "closed" {
        return Err(err);
    }
    let applied = crate::model::application::Entity::find()
        .filter(crate::model::application::Column::JobId.eq(id))
        .filter(crate::model::application::Column::UserId.eq(u.id.0))
        .count(&state.db)
        .await?;
    if applied == 0 && !is_saved(state, u, id).await? {
        return Err(err);
    }
    let company = find_company(&state.db, j.company_id).await?;
    let mut v = view(&j, &company, state.clock.now(), false);
    v.response_rate = response_rates(&state.db, &[company.id])
        .await?
        .get(&company.id)
        .copied();
    v.match_result = Some(match_of(state, u.id, &j).await?);
    Ok(v)
}

// ---- company pages ----

/// A job on the hiring dashboard, with how many applications it has.
#[derive(Debug, Clone, Serialize)]
pub struct CompanyJob {
    pub job: JobView,
    /// Applications still in the pipeline.
    pub active: u64,
    /// Every application, rejected and withdrawn ones too.
    pub total: u64,
}

/// Most jobs the dashboard lists per company.
pub const COMPANY_JOBS_MAX: u64 = 200;

/// A company's jobs in any status, newest first, with their application counts: for the
/// company's members (the hiring dashboard); everyone else gets 404.
pub async fn company_jobs(
    state: &AppState,
    actor: &CurrentUser,
    company_id: Uuid,
) -> AppResult<Vec<CompanyJob>> {
    use crate::model::application;
    use sea_orm::sea_query::{Expr, Func, SimpleExpr};

    let now = state.clock.now();
    let company = find_company(&state.db, company_id).await?;
    require_role(
        &state.db,
        company_id,
        actor.id,
        &CompanyRole::ALL,
        Refusal::NotFound,
    )
    .await?;
    let rows = job::Entity::find()
        .filter(job::Column::CompanyId.eq(company_id))
        .order_by_desc(job::Column::CreatedAt)
        .order_by_desc(job::Column::Id)
        .limit(COMPANY_JOBS_MAX)
        .all(&state.db)
        .await?;
    let counts: Vec<(Uuid, String, i64)> = if rows.is_empty() {
        Vec::new()
    } else {
        application::Entity::find()
            .select_only()
            .column(application::Column::JobId)
            .column(application::Column::Status)
            .column_as(
                SimpleExpr::from(Func::count(Expr::col(application::Column::Id))),
                "n",
            )
            .filter(application::Column::JobId.is_in(rows.iter().map(|j| j.id)))
            .group_by(application::Column::JobId)
            .group_by(application::Column::Status)
            .into_tuple()
            .all(&state.db)
            .await?
    };
    Ok(rows
        .iter()
        .map(|j| {
            let of_job = counts.iter().filter(|(id, _, _)| *id == j.id);
            let (mut active, mut total) = (0u64, 0u64);
            for (_, status, n) in of_job {
                let n = u64::try_from(*n).unwrap_or(0);
                total += n;
                if status == "active" {
                    active += n;
                }
            }
            CompanyJob {
                job: view(j, &company, now, true),
                active,
                total,
            }
        })
        .collect())
}
