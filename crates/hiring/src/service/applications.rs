//! Applications and the ATS work on them: apply (screening answers checked by kind, knockouts,
//! one application per user and job, the match stored with its explanation), the candidate's own
//! list and withdrawal, and for company members the pipeline list, move, reject, notes,
//! scorecards, the timeline and the "stuck" list. Outsiders get 404 for everything here.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use vertechie_accounts::people;
use vertechie_accounts::service::profile;
use vertechie_kernel::bus::Event;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::error::UniqueKey;
use vertechie_kernel::notify::{Notice, notify};
use vertechie_kernel::text::{clean, clean_text};
use vertechie_kernel::{
    AppError, AppResult, AppState, CurrentUser, Page, PageQuery, UserId, Validator,
};

use crate::model::{
    application, application_event, company, company_member, job, note, scorecard, stage,
};
use crate::service::jobs::{CompanyBrief, EDITORS, ScreeningQuestion};
use crate::service::matching::{
    self, ExperienceLevel, JobSkill, MatchInput, MatchResult, ProfileSkill,
};
use crate::service::pipeline::{MEMBERS, find_job, stages_of};
use crate::service::{CompanyRole, Refusal, require_role, role_in};

const UQ_APPLICATIONS_JOB_USER: UniqueKey = UniqueKey::new(
    "uq_applications_job_user",
    "applications",
    &["job_id", "user_id"],
);
const UQ_SCORECARDS_APPLICATION_INTERVIEWER: UniqueKey = UniqueKey::new(
    "uq_scorecards_application_interviewer",
    "scorecards",
    &["application_id", "interviewer_id"],
);

pub const ANSWER_TEXT_MAX: usize = 5_000;
pub const COVER_LETTER_MAX: usize = 10_000;
pub const RESUME_MAX: usize = 50_000;
pub const NOTE_MAX: usize = 5_000;
pub const REJECT_NOTE_MAX: usize = 2_000;
pub const CRITERIA_MAX: usize = 20;
pub const CRITERION_MAX: usize = 60;
/// Reasons a recruiter may give (`knockout` is set by the screening questions only).
pub const REJECT_REASONS: [&str; 7] = [
    "not_a_fit",
    "experience",
    "skills",
    "location",
    "salary",
    "position_filled",
    "other",
];
pub const RECOMMENDATIONS: [&str; 4] = ["strong_no", "no", "yes", "strong_yes"];
pub const KIND_NEW_APPLICATION: &str = "hiring.new_application";
pub const KIND_STATUS_CHANGED: &str = "hiring.status_changed";
/// Kindly words for a rejected candidate.
pub const REJECTED_MESSAGE: &str = "Thank you for your interest. The team has decided not to move forward with your application this time — we wish you the best in your search.";
pub const KNOCKOUT_MESSAGE: &str = "Thank you for applying. This role has requirements your answers did not meet, so the application cannot go further — other roles may suit you better, and you are welcome to apply to them.";

// ---- inputs ----

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ApplyInput {
    /// `{question_id: value}`: text → string, yes_no → boolean, single_choice → one of the
    /// options, number → a number.
    #[schema(value_type = Option<Object>)]
    pub answers: Option<serde_json::Map<String, Value>>,
    /// At most 10,000 characters.
    pub cover_letter: Option<String>,
    /// At most 50,000 characters; defaults to the CV on the profile.
    pub resume_text: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct MoveInput {
    pub stage_id: Option<Uuid>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RejectInput {
    /// not_a_fit | experience | skills | location | salary | position_filled | other
    pub reason: Option<String>,
    /// At most 2,000 characters (members only see it).
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NoteInput {
    /// Required, at most 5,000 characters.
    pub body: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ScorecardInput {
    /// `{criterion: 1–4}`, 1–20 criteria of at most 60 characters.
    #[schema(value_type = Option<Object>)]
    pub ratings: Option<serde_json::Map<String, Value>>,
    /// strong_no | no | yes | strong_yes
    pub recommendation: Option<String>,
    pub notes: Option<String>,
}

/// `GET /api/v1/jobs/{id}/applications` parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationsQuery {
    /// A stage id or name.
    pub stage: Option<String>,
    /// active | rejected | withdrawn
    pub status: Option<String>,
    /// match | newest (default)
    pub sort: Option<String>,
    pub page: Option<u64>,
    pub limit: Option<u64>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StuckQuery {
    /// Days without a stage change (1–365); default the job's `stuck_after_days` (7).
    pub days: Option<i64>,
}

// ---- views ----

/// A person on an application (candidate, note author, interviewer).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonBrief {
    pub id: Uuid,
    pub username: String,
    pub full_name: Option<String>,
    /// How to show them: the full name, else the username ("Deleted user" once deleted).
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageBrief {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobBrief {
    pub id: Uuid,
    pub title: String,
    pub status: String,
    pub company: CompanyBrief,
}

/// An application in the pipeline list and the stuck list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationSummary {
    pub id: Uuid,
    pub candidate: PersonBrief,
    /// active | rejected | withdrawn
    pub status: String,
    pub stage: StageBrief,
    pub match_score: i32,
    pub applied_at: DateTime<Utc>,
    pub stage_changed_at: DateTime<Utc>,
    pub days_in_stage: i64,
    pub updated_at: DateTime<Utc>,
}

/// One of the candidate's own applications.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyApplication {
    pub id: Uuid,
    pub status: String,
    pub stage: StageBrief,
    /// A kind word when the application was rejected.
    pub message: Option<String>,
    pub applied_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub job: JobBrief,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    /// applied | moved | rejected | withdrawn | note_added | scorecard_submitted
    pub kind: String,
    /// Who did it (members only; `null` for the system).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<PersonBrief>,
    #[schema(value_type = Object)]
    pub data: Value,
    pub at: DateTime<Utc>,
}

/// An application: members see everything; the candidate sees their own status, stage, match
/// and the status timeline (the member-only fields are left out).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: Uuid,
    pub job: JobBrief,
    pub status: String,
    pub stage: StageBrief,
    pub message: Option<String>,
    pub applied_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(rename = "match")]
    pub match_result: MatchResult,
    pub timeline: Vec<EventView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate: Option<PersonBrief>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub answers: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover_letter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reject_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_changed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoteView {
    pub id: Uuid,
    pub author: Option<PersonBrief>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScorecardView {
    pub id: Uuid,
    pub interviewer: Option<PersonBrief>,
    #[schema(value_type = Object)]
    pub ratings: Value,
    pub recommendation: String,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Scorecards of an application. An interviewer who has not submitted theirs sees none of the
/// others (`hidden` counts them).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScorecardList {
    pub items: Vec<ScorecardView>,
    pub hidden: u64,
}

// ---- helpers ----

fn is_terminal(a: &application::Model) -> bool {
    a.status != "active"
}

fn closed_app() -> AppError {
    AppError::conflict(
        "APPLICATION_CLOSED",
        "The application was already rejected or withdrawn",
    )
}

fn message_of(a: &application::Model) -> Option<String> {
    match (a.status.as_str(), a.reject_reason.as_deref()) {
        ("rejected", Some("knockout")) => Some(KNOCKOUT_MESSAGE.to_owned()),
        ("rejected", _) => Some(REJECTED_MESSAGE.to_owned()),
        _ => None,
    }
}

/// The people with these ids, through the accounts people API (deleted ones included).
async fn persons<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<BTreeMap<Uuid, people::PersonBrief>> {
    Ok(people::briefs(conn, ids).await?.into_iter().collect())
}

fn person(u: &people::PersonBrief) -> PersonBrief {
    PersonBrief {
        id: u.id,
        username: u.username.clone(),
        full_name: u.full_name.clone(),
        display_name: u.display_name.clone(),
    }
}

fn brief_company(c: &company::Model) -> CompanyBrief {
    CompanyBrief {
        id: c.id,
        name: c.name.clone(),
        slug: c.slug.clone(),
        verified: c.verified,
    }
}

async fn job_brief<C: ConnectionTrait>(conn: &C, j: &job::Model) -> AppResult<JobBrief> {
    let c = crate::service::find_company(conn, j.company_id).await?;
    Ok(JobBrief {
        id: j.id,
        title: j.title.clone(),
        status: j.status.clone(),
        company: brief_company(&c),
    })
}

async fn stage_brief<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<StageBrief> {
    let s = stage::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("stage {id} missing")))?;
    Ok(StageBrief {
        id: s.id,
        name: s.name,
    })
}

async fn event<C: ConnectionTrait>(
    conn: &C,
    app: Uuid,
    actor: Option<UserId>,
    kind: &str,
    data: Value,
    public: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    application_event::ActiveModel::from(application_event::Model {
        id: Uuid::now_v7(),
        application_id: app,
        actor_id: actor.map(|a| a.0),
        kind: kind.to_owned(),
        data: data.to_string(),
        public,
        created_at: now,
    })
    .insert(conn)
    .await?;
    Ok(())
}

async fn touch_job<C: ConnectionTrait>(
    conn: &C,
    job_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    job::Entity::update_many()
        .col_expr(
            job::Column::LastPipelineActivityAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(job::Column::Id.eq(job_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Loads an application (locked when `lock`) with its job; 404 when missing.
async fn load<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    lock: bool,
) -> AppResult<(application::Model, job::Model)> {
    let mut q = application::Entity::find_by_id(id);
    if lock {
        q = q.lock_exclusive();
    }
    let a = q
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Application not found"))?;
    let j = find_job(conn, a.job_id, false).await?;
    Ok((a, j))
}

/// Loads an application for a company member holding one of `allowed`; outsiders 404.
async fn load_for_member<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    user: UserId,
    allowed: &[CompanyRole],
    lock: bool,
) -> AppResult<(application::Model, job::Model, CompanyRole)> {
    let (a, j) = load(conn, id, lock).await?;
    let role = require_role(conn, j.company_id, user, allowed, Refusal::NotFound).await?;
    Ok((a, j, role))
}

/// Checks the answers against the questions; returns whether a knockout answer was given.
fn check_answers(
    questions: &[ScreeningQuestion],
    answers: &serde_json::Map<String, Value>,
) -> AppResult<bool> {
    let mut v = Validator::new();
    for id in answers.keys() {
        if !questions.iter().any(|q| &q.id == id) {
            v.add(&format!("answers.{id}"), "no such question");
        }
    }
    let mut knockout = false;
    for q in questions {
        let field = format!("answers.{}", q.id);
        let answer = answers.get(&q.id).filter(|a| !a.is_null());
        let answer = match answer {
            Some(Value::String(s)) if q.kind == "text" && clean_text(s).is_none() => None,
            other => other,
        };
        let Some(a) = answer else {
            if q.required {
                v.add(&field, "is required");
            }
            continue;
        };
        let ok = match q.kind.as_str() {
            "text" => match a.as_str() {
                Some(s) if s.chars().count() > ANSWER_TEXT_MAX => {
                    v.add(&field, "must be at most 5000 characters");
                    continue;
                }
                Some(_) => true,
                None => false,
            },
            "yes_no" => a.is_boolean(),
            "single_choice" => a.as_str().is_some_and(|s| {
                q.options
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .any(|o| o == s)
            }),
            "number" => a.is_number(),
            _ => false,
        };
        if !ok {
            let msg = match q.kind.as_str() {
                "text" => "must be a string",
                "yes_no" => "must be true or false",
                "single_choice" => "must be one of the options",
                _ => "must be a number",
            };
            v.add(&field, msg);
            continue;
        }
        if q.knockout_answer.as_ref() == Some(a) {
            knockout = true;
        }
    }
    v.finish()?;
    Ok(knockout)
}

async fn compute_match(
    state: &AppState,
    user: UserId,
    j: &job::Model,
    resume: &str,
) -> AppResult<MatchResult> {
    let profile_skills: Vec<ProfileSkill> = profile::list_skills(state, user)
        .await?
        .into_iter()
        .map(|s| ProfileSkill {
            name: s.name,
            level: s.level.clamp(1, 5) as u8,
        })
        .collect();
    let me = profile::me(state, user).await?;
    let job_skills: Vec<JobSkill> = serde_json::from_str(&j.skills).unwrap_or_default();
    Ok(matching::compute(&MatchInput {
        job_skills: &job_skills,
        job_level: j
            .experience_level
            .as_deref()
            .and_then(ExperienceLevel::parse),
        profile_skills: &profile_skills,
        cv_text: resume,
        candidate_level: me
            .experience_level
            .as_deref()
            .and_then(ExperienceLevel::parse),
    }))
}

/// Owners, admins and recruiters of a company with their email addresses.
async fn hiring_team<C: ConnectionTrait>(
    conn: &C,
    company_id: Uuid,
) -> AppResult<Vec<people::PersonBrief>> {
    let ids: Vec<Uuid> = company_member::Entity::find()
        .filter(company_member::Column::CompanyId.eq(company_id))
        .filter(company_member::Column::Role.is_in(EDITORS.iter().map(|r| r.as_str())))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    Ok(persons(conn, ids).await?.into_values().collect())
}

/// Tells the candidate about a move or a rejection: one notice, which messaging delivers in-app
/// and by email (with the link) as the candidate prefers.
async fn tell_candidate<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    now: DateTime<Utc>,
    a: &application::Model,
    j: &job::Model,
    what: &str,
) -> AppResult<()> {
    notify(
        &state.queue,
        conn,
        now,
        Notice {
            user_id: UserId(a.user_id),
            kind: KIND_STATUS_CHANGED.to_owned(),
            title: format!("Your application for {}", j.title),
            body: what.to_owned(),
            link: Some("/applications".to_owned()),
        },
    )
    .await?;
    Ok(())
}

/// Kernel event topics hiring publishes after a change commits (payload: `application_id`,
/// `job_id`, `company_id`, `candidate_id`, `actor_id`, `status`, `stage_id`).
pub const EVENT_APPLIED: &str = "hiring.application.created";
pub const EVENT_MOVED: &str = "hiring.application.stage_changed";
pub const EVENT_REJECTED: &str = "hiring.application.rejected";
pub const EVENT_WITHDRAWN: &str = "hiring.application.withdrawn";

/// True for the application event topics above.
pub fn is_event(topic: &str) -> bool {
    [EVENT_APPLIED, EVENT_MOVED, EVENT_REJECTED, EVENT_WITHDRAWN].contains(&topic)
}

/// Publishes an application change on the kernel bus (call after the commit: listeners may read
/// it). Listings show response rates and pipeline activity, so this instance's job search
/// cache is emptied at once; other instances empty theirs when the event reaches them.
pub(crate) fn publish(
    state: &AppState,
    topic: &str,
    a: &application::Model,
    j: &job::Model,
    actor: UserId,
) {
    crate::service::search_cache::clear_locally(state);
    state.bus.publish(Event::new(
        topic,
        json!({
            "application_id": a.id,
            "job_id": j.id,
            "company_id": j.company_id,
            "candidate_id": a.user_id,
            "actor_id": actor.0,
            "status": a.status,
            "stage_id": a.stage_id,
        }),
    ));
}

async fn timeline<C: ConnectionTrait>(
    conn: &C,
    app: Uuid,
    member: bool,
) -> AppResult<Vec<EventView>> {
    let mut q =
        application_event::Entity::find().filter(application_event::Column::ApplicationId.eq(app));
    if !member {
        q = q.filter(application_event::Column::Public.eq(true));
    }
    let rows = q
        .order_by_asc(application_event::Column::CreatedAt)
        .order_by_asc(application_event::Column::Id)
        .all(conn)
        .await?;
    let who = persons(conn, rows.iter().filter_map(|e| e.actor_id)).await?;
    Ok(rows
        .into_iter()
        .map(|e| {
            let mut data: Value = serde_json::from_str(&e.data).unwrap_or_else(|_| json!({}));
            if !member && let Some(obj) = data.as_object_mut() {
                obj.retain(|k, _| k == "stage" || k == "from" || k == "to");
            }
            EventView {
                id: e.id,
                kind: e.kind,
                actor: if member {
                    e.actor_id.and_then(|id| who.get(&id)).map(person)
                } else {
                    None
                },
                data,
                at: e.created_at,
            }
        })
        .collect())
}

async fn detail<C: ConnectionTrait>(
    conn: &C,
    a: &application::Model,
    j: &job::Model,
    member: bool,
) -> AppResult<ApplicationView> {
    let match_result: MatchResult = serde_json::from_str(&a.match_explanation)
        .map_err(|e| AppError::internal(anyhow::anyhow!("match explanation: {e}")))?;
    let candidate = if member {
        persons(conn, [a.user_id])
            .await?
            .get(&a.user_id)
            .map(person)
    } else {
        None
    };
    Ok(ApplicationView {
        id: a.id,
        job: job_brief(conn, j).await?,
        status: a.status.clone(),
        stage: stage_brief(conn, a.stage_id).await?,
        message: message_of(a),
        applied_at: a.created_at,
        updated_at: a.updated_at,
        match_result,
        timeline: timeline(conn, a.id, member).await?,
        candidate,
        answers: member.then(|| serde_json::from_str(&a.answers).unwrap_or_else(|_| json!({}))),
        cover_letter: if member { a.cover_letter.clone() } else { None },
        resume_text: if member { a.resume_text.clone() } else { None },
        reject_reason: if member {
            a.reject_reason.clone()
        } else {
            None
        },
        reject_note: if member { a.reject_note.clone() } else { None },
        stage_changed_at: member.then_some(a.stage_changed_at),
    })
}

async fn summaries<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<application::Model>,
    now: DateTime<Utc>,
) -> AppResult<Vec<ApplicationSummary>> {
    let who = persons(conn, rows.iter().map(|a| a.user_id)).await?;
    let stage_ids: Vec<Uuid> = rows.iter().map(|a| a.stage_id).collect();
    let stages: BTreeMap<Uuid, stage::Model> = stage::Entity::find()
        .filter(stage::Column::Id.is_in(stage_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|a| {
            let u = who.get(&a.user_id)?;
            let s = stages.get(&a.stage_id)?;
            Some(ApplicationSummary {
                id: a.id,
                candidate: person(u),
                status: a.status.clone(),
                stage: StageBrief {
                    id: s.id,
                    name: s.name.clone(),
                },
                match_score: a.match_score,
                applied_at: a.created_at,
                stage_changed_at: a.stage_changed_at,
                days_in_stage: (now - a.stage_changed_at).num_days(),
                updated_at: a.updated_at,
            })
        })
        .collect())
}

// ---- candidate ----

/// Apply to an open job.
pub async fn apply(
    state: &AppState,
    actor: &CurrentUser,
    job_id: Uuid,
    input: ApplyInput,
) -> AppResult<ApplicationView> {
    let now = state.clock.now();
    let j = find_job(&state.db, job_id, false).await?;
    let member = role_in(&state.db, j.company_id, actor.id).await?.is_some();
    if j.status == "draft" && !member {
        // Drafts are invisible to outsiders.
        return Err(AppError::not_found("Job not found"));
    }
    let job_closed = || AppError::conflict("JOB_CLOSED", "This job is not taking applications");
    if j.status != "open" || j.closes_at.is_some_and(|c| c <= now) {
        return Err(job_closed());
    }
    let questions: Vec<ScreeningQuestion> =
        serde_json::from_str(&j.screening_questions).unwrap_or_default();
    let answers = input.answers.unwrap_or_default();
    let knockout = check_answers(&questions, &answers)?;
    let mut v = Validator::new();
    let cover_letter = input.cover_letter.as_deref().and_then(clean_text);
    v.max_len(cover_letter.as_deref(), "cover_letter", COVER_LETTER_MAX);
    let resume = match input.resume_text.as_deref().and_then(clean_text) {
        Some(r) => Some(r),
        None => profile::get_cv(state, actor.id).await?.cv_text,
    };
    v.max_len(resume.as_deref(), "resume_text", RESUME_MAX);
    v.finish()?;
    let matched = compute_match(state, actor.id, &j, resume.as_deref().unwrap_or("")).await?;

    let txn = begin_write(&state.db).await?;
    let j = find_job(&txn, job_id, true).await?;
    if j.status != "open" {
        return Err(job_closed());
    }
    let already = || AppError::conflict("ALREADY_APPLIED", "You have already applied to this job");
    let existing = application::Entity::find()
        .filter(application::Column::JobId.eq(j.id))
        .filter(application::Column::UserId.eq(actor.id.0))
        .count(&txn)
        .await?;
    if existing > 0 {
        return Err(already());
    }
    let stages = stages_of(&txn, j.id, now).await?;
    let first = stages
        .first()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("job {} has no stages", j.id)))?;
    let row = application::Model {
        id: Uuid::now_v7(),
        job_id: j.id,
        user_id: actor.id.0,
        stage_id: first.id,
        status: if knockout { "rejected" } else { "active" }.to_owned(),
        reject_reason: knockout.then(|| "knockout".to_owned()),
        reject_note: None,
        answers: Value::Object(answers).to_string(),
        cover_letter,
        resume_text: resume,
        match_score: i32::from(matched.score),
        match_explanation: serde_json::to_string(&matched).map_err(AppError::internal)?,
        stage_changed_at: now,
        created_at: now,
        updated_at: now,
    };
    let row = application::ActiveModel::from(row)
        .insert(&txn)
        .await
        .map_err(|e| AppError::from(e).on_conflict(&UQ_APPLICATIONS_JOB_USER, already))?;
    event(
        &txn,
        row.id,
        Some(actor.id),
        "applied",
        json!({"stage": first.name}),
        true,
        now,
    )
    .await?;
    if knockout {
        event(
            &txn,
            row.id,
            None,
            "rejected",
            json!({"reason": "knockout"}),
            true,
            now,
        )
        .await?;
    }
    touch_job(&txn, j.id, now).await?;
    let title = format!("New application: {}", j.title);
    let link = format!("/jobs/{}/applications/{}", j.id, row.id);
    let body = format!(
        "{} applied for {} (match {}/100{}).",
        actor.display_name,
        j.title,
        matched.score,
        if knockout {
            "; rejected by a knockout answer"
        } else {
            ""
        }
    );
    for member in hiring_team(&txn, j.company_id).await? {
        // One notice per member; messaging mails it too unless they opted out of email.
        notify(
            &state.queue,
            &txn,
            now,
            Notice {
                user_id: UserId(member.id),
                kind: KIND_NEW_APPLICATION.to_owned(),
                title: title.clone(),
                body: body.clone(),
                link: Some(link.clone()),
            },
        )
        .await?;
    }
    let view = detail(&txn, &row, &j, false).await?;
    txn.commit().await?;
    publish(state, EVENT_APPLIED, &row, &j, actor.id);
    if knockout {
        publish(state, EVENT_REJECTED, &row, &j, actor.id);
    }
    Ok(view)
}

/// The signed-in user's applications, newest first.
pub async fn mine(
    state: &AppState,
    actor: &CurrentUser,
    page: PageQuery,
) -> AppResult<Page<MyApplication>> {
    let q = application::Entity::find().filter(application::Column::UserId.eq(actor.id.0));
    let total = q.clone().count(&state.db).await?;
    let rows = q
        .order_by_desc(application::Column::CreatedAt)
        .order_by_desc(application::Column::Id)
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for a in rows {
        let j = find_job(&state.db, a.job_id, false).await?;
        items.push(MyApplication {
            id: a.id,
            status: a.status.clone(),
            stage: stage_brief(&state.db, a.stage_id).await?,
            message: message_of(&a),
            applied_at: a.created_at,
            updated_at: a.updated_at,
            job: job_brief(&state.db, &j).await?,
        });
    }
    Ok(Page::new(items, total, &page))
}

/// The candidate withdraws their own, still active application.
pub async fn withdraw(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
) -> AppResult<ApplicationView> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let (a, j) = load(&txn, id, true).await?;
    if a.user_id != actor.id.0 {
        return Err(AppError::not_found("Application not found"));
    }
    if is_terminal(&a) {
        return Err(closed_app());
    }
    let mut m: application::ActiveModel = a.into();
    m.status = Set("withdrawn".to_owned());
    m.updated_at = Set(now);
    let a = m.update(&txn).await?;
    event(
        &txn,
        a.id,
        Some(actor.id),
        "withdrawn",
        json!({}),
        true,
        now,
    )
    .await?;
    touch_job(&txn, j.id, now).await?;
    let view = detail(&txn, &a, &j, false).await?;
    txn.commit().await?;
    publish(state, EVENT_WITHDRAWN, &a, &j, actor.id);
    Ok(view)
}

// ---- company members ----

/// An application: everything for company members, the status timeline for the candidate,
/// 404 for everyone else.
pub async fn get(state: &AppState, actor: &CurrentUser, id: Uuid) -> AppResult<ApplicationView> {
    let (a, j) = load(&state.db, id, false).await?;
    let member = role_in(&state.db, j.company_id, actor.id).await?.is_some();
    if !member && a.user_id != actor.id.0 {
        return Err(AppError::not_found("Application not found"));
    }
    detail(&state.db, &a, &j, member).await
}

/// A job's applications for its company's members.
pub async fn list_for_job(
    state: &AppState,
    actor: &CurrentUser,
    job_id: Uuid,
    q: ApplicationsQuery,
) -> AppResult<Page<ApplicationSummary>> {
    let now = state.clock.now();
    let j = find_job(&state.db, job_id, false).await?;
    require_role(
        &state.db,
        j.company_id,
        actor.id,
        MEMBERS,
        Refusal::NotFound,
    )
    .await?;
    let mut sel = application::Entity::find().filter(application::Column::JobId.eq(j.id));
    if let Some(s) = q.stage.as_deref().and_then(clean) {
        let stages = stage::Entity::find()
            .filter(stage::Column::JobId.eq(j.id))
            .all(&state.db)
            .await?;
        let found = stages.iter().find(|st| {
            st.id.to_string() == s.to_lowercase() || st.name.to_lowercase() == s.to_lowercase()
        });
        let Some(st) = found else {
            return Err(AppError::bad_request(
                "INVALID_QUERY",
                "stage: not a stage of this job",
            ));
        };
        sel = sel.filter(application::Column::StageId.eq(st.id));
    }
    if let Some(s) = q.status.as_deref() {
        if !["active", "rejected", "withdrawn"].contains(&s) {
            return Err(AppError::bad_request(
                "INVALID_QUERY",
                "status: must be one of active, rejected, withdrawn",
            ));
        }
        sel = sel.filter(application::Column::Status.eq(s));
    }
    sel = match q.sort.as_deref().unwrap_or("newest") {
        "newest" => sel.order_by_desc(application::Column::CreatedAt),
        "match" => sel
            .order_by_desc(application::Column::MatchScore)
            .order_by_desc(application::Column::CreatedAt),
        _ => {
            return Err(AppError::bad_request(
                "INVALID_QUERY",
                "sort: must be match or newest",
            ));
        }
    };
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    };
    let total = sel.clone().count(&state.db).await?;
    let rows = sel
        .order_by_desc(application::Column::Id)
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    Ok(Page::new(
        summaries(&state.db, rows, now).await?,
        total,
        &page,
    ))
}

/// Editors move an active application to another stage of its job.
pub async fn move_to(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
    input: MoveInput,
) -> AppResult<ApplicationView> {
    let now = state.clock.now();
    let Some(stage_id) = input.stage_id else {
        return Err(AppError::field("stage_id", "is required"));
    };
    let txn = begin_write(&state.db).await?;
    let (a, j, _) = load_for_member(&txn, id, actor.id, EDITORS, true).await?;
    if is_terminal(&a) {
        return Err(closed_app());
    }
    let stages = stages_of(&txn, j.id, now).await?;
    let Some(to) = stages.iter().find(|s| s.id == stage_id) else {
        return Err(AppError::field("stage_id", "not a stage of this job"));
    };
    if a.stage_id == to.id {
        let view = detail(&txn, &a, &j, true).await?;
        txn.commit().await?;
        return Ok(view);
    }
    let from = stages
        .iter()
        .find(|s| s.id == a.stage_id)
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let mut m: application::ActiveModel = a.into();
    m.stage_id = Set(to.id);
    m.stage_changed_at = Set(now);
    m.updated_at = Set(now);
    let a = m.update(&txn).await?;
    event(
        &txn,
        a.id,
        Some(actor.id),
        "moved",
        json!({"from": from, "to": to.name, "stage": to.name}),
        true,
        now,
    )
    .await?;
    touch_job(&txn, j.id, now).await?;
    tell_candidate(
        state,
        &txn,
        now,
        &a,
        &j,
        &format!(
            "Your application for {} moved to the {} stage.",
            j.title, to.name
        ),
    )
    .await?;
    let view = detail(&txn, &a, &j, true).await?;
    txn.commit().await?;
    publish(state, EVENT_MOVED, &a, &j, actor.id);
    Ok(view)
}

/// Editors reject an active application with a reason.
pub async fn reject(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
    input: RejectInput,
) -> AppResult<ApplicationView> {
    let now = state.clock.now();
    let mut v = Validator::new();
    let (reason, note) = check_reject(&mut v, input.reason.as_deref(), input.note.as_deref());
    v.finish()?;
    let txn = begin_write(&state.db).await?;
    let (a, j, _) = load_for_member(&txn, id, actor.id, EDITORS, true).await?;
    if is_terminal(&a) {
        return Err(closed_app());
    }
    let a = reject_locked(state, &txn, actor.id, a, &j, (&reason, note), now).await?;
    let view = detail(&txn, &a, &j, true).await?;
    txn.commit().await?;
    publish(state, EVENT_REJECTED, &a, &j, actor.id);
    Ok(view)
}

/// Checks a rejection's reason and note; returns them cleaned (the reason is only meaningful
/// when `v` stays empty).
fn check_reject(
    v: &mut Validator,
    reason: Option<&str>,
    note: Option<&str>,
) -> (String, Option<String>) {
    let reason = reason.and_then(clean);
    match reason.as_deref() {
        None => v.add("reason", "is required"),
        Some(r) if !REJECT_REASONS.contains(&r) => v.add(
            "reason",
            format!("must be one of {}", REJECT_REASONS.join(", ")),
        ),
        Some(_) => {}
    }
    let note = note.and_then(clean_text);
    v.max_len(note.as_deref(), "note", REJECT_NOTE_MAX);
    (reason.unwrap_or_default(), note)
}

/// Rejects an active application the caller loaded (locked) and may reject: the status, the
/// timeline event, the job's activity and the candidate's notice, all in `txn`. The caller
/// commits and then publishes [`EVENT_REJECTED`].
async fn reject_locked<C: ConnectionTrait>(
    state: &AppState,
    txn: &C,
    actor: UserId,
    a: application::Model,
    j: &job::Model,
    (reason, note): (&str, Option<String>),
    now: DateTime<Utc>,
) -> AppResult<application::Model> {
    let mut m: application::ActiveModel = a.into();
    m.status = Set("rejected".to_owned());
    m.reject_reason = Set(Some(reason.to_owned()));
    m.reject_note = Set(note);
    m.updated_at = Set(now);
    let a = m.update(txn).await?;
    event(
        txn,
        a.id,
        Some(actor),
        "rejected",
        json!({"reason": reason}),
        true,
        now,
    )
    .await?;
    touch_job(txn, j.id, now).await?;
    tell_candidate(state, txn, now, &a, j, REJECTED_MESSAGE).await?;
    Ok(a)
}

/// Any member adds a private note.
pub async fn add_note(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
    input: NoteInput,
) -> AppResult<NoteView> {
    let now = state.clock.now();
    let Some(body) = input.body.as_deref().and_then(clean_text) else {
        return Err(AppError::field("body", "is required"));
    };
    let mut v = Validator::new();
    v.max_len(Some(&body), "body", NOTE_MAX);
    v.finish()?;
    let txn = begin_write(&state.db).await?;
    let (a, _, _) = load_for_member(&txn, id, actor.id, MEMBERS, false).await?;
    let row = note::ActiveModel::from(note::Model {
        id: Uuid::now_v7(),
        application_id: a.id,
        author_id: Some(actor.id.0),
        body,
        created_at: now,
    })
    .insert(&txn)
    .await?;
    event(
        &txn,
        a.id,
        Some(actor.id),
        "note_added",
        json!({"note_id": row.id}),
        false,
        now,
    )
    .await?;
    let who = persons(&txn, [actor.id.0]).await?;
    txn.commit().await?;
    Ok(NoteView {
        id: row.id,
        author: who.get(&actor.id.0).map(person),
        body: row.body,
        created_at: row.created_at,
    })
}

/// The notes of an application, oldest first (members).
pub async fn notes(state: &AppState, actor: &CurrentUser, id: Uuid) -> AppResult<Vec<NoteView>> {
    let (a, _, _) = load_for_member(&state.db, id, actor.id, MEMBERS, false).await?;
    let rows = note::Entity::find()
        .filter(note::Column::ApplicationId.eq(a.id))
        .order_by_asc(note::Column::CreatedAt)
        .order_by_asc(note::Column::Id)
        .all(&state.db)
        .await?;
    let who = persons(&state.db, rows.iter().filter_map(|n| n.author_id)).await?;
    Ok(rows
        .into_iter()
        .map(|n| NoteView {
            id: n.id,
            author: n.author_id.and_then(|id| who.get(&id)).map(person),
            body: n.body,
            created_at: n.created_at,
        })
        .collect())
}

fn scorecard_view(s: scorecard::Model, who: &BTreeMap<Uuid, people::PersonBrief>) -> ScorecardView {
    ScorecardView {
        id: s.id,
        interviewer: who.get(&s.interviewer_id).map(person),
        ratings: serde_json::from_str(&s.ratings).unwrap_or_else(|_| json!({})),
        recommendation: s.recommendation,
        notes: s.notes,
        created_at: s.created_at,
    }
}

/// Any member submits their scorecard (one per member and application).
pub async fn add_scorecard(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
    input: ScorecardInput,
) -> AppResult<ScorecardView> {
    let now = state.clock.now();
    let mut v = Validator::new();
    let ratings = input.ratings.unwrap_or_default();
    if ratings.is_empty() {
        v.add("ratings", "needs at least one criterion");
    } else if ratings.len() > CRITERIA_MAX {
        v.add("ratings", "at most 20 criteria");
    }
    let mut clean_ratings = serde_json::Map::new();
    for (k, val) in &ratings {
        let field = format!("ratings.{k}");
        let Some(name) = clean(k).filter(|n| n.chars().count() <= CRITERION_MAX) else {
            v.add(&field, "criterion must be 1–60 characters");
            continue;
        };
        match val.as_i64() {
            Some(n) if (1..=4).contains(&n) => {
                clean_ratings.insert(name, json!(n));
            }
            _ => v.add(&field, "must be an integer from 1 to 4"),
        }
    }
    let rec = input.recommendation.as_deref().and_then(clean);
    match rec.as_deref() {
        Some(r) if RECOMMENDATIONS.contains(&r) => {}
        Some(_) => v.add(
            "recommendation",
            "must be one of strong_no, no, yes, strong_yes",
        ),
        None => v.add("recommendation", "is required"),
    }
    let notes = input.notes.as_deref().and_then(clean_text);
    v.max_len(notes.as_deref(), "notes", NOTE_MAX);
    v.finish()?;
    let txn = begin_write(&state.db).await?;
    let (a, _, _) = load_for_member(&txn, id, actor.id, MEMBERS, false).await?;
    let exists = || {
        AppError::conflict(
            "SCORECARD_EXISTS",
            "You have already submitted a scorecard for this application",
        )
    };
    let mine = scorecard::Entity::find()
        .filter(scorecard::Column::ApplicationId.eq(a.id))
        .filter(scorecard::Column::InterviewerId.eq(actor.id.0))
        .count(&txn)
        .await?;
    if mine > 0 {
        return Err(exists());
    }
    let row = scorecard::ActiveModel::from(scorecard::Model {
        id: Uuid::now_v7(),
        application_id: a.id,
        interviewer_id: actor.id.0,
        ratings: Value::Object(clean_ratings).to_string(),
        recommendation: rec.unwrap_or_default(),
        notes,
        created_at: now,
    })
    .insert(&txn)
    .await
    .map_err(|e| AppError::from(e).on_conflict(&UQ_SCORECARDS_APPLICATION_INTERVIEWER, exists))?;
    event(
        &txn,
        a.id,
        Some(actor.id),
        "scorecard_submitted",
        json!({"recommendation": row.recommendation}),
        false,
        now,
    )
    .await?;
    let who = persons(&txn, [actor.id.0]).await?;
    txn.commit().await?;
    Ok(scorecard_view(row, &who))
}

/// Scorecards of an application (members). Interviewers see the others' only once they have
/// submitted their own; owners, admins and recruiters see them all.
pub async fn scorecards(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
) -> AppResult<ScorecardList> {
    let (a, _, role) = load_for_member(&state.db, id, actor.id, MEMBERS, false).await?;
    let rows = scorecard::Entity::find()
        .filter(scorecard::Column::ApplicationId.eq(a.id))
        .order_by_asc(scorecard::Column::CreatedAt)
        .order_by_asc(scorecard::Column::Id)
        .all(&state.db)
        .await?;
    let submitted = rows.iter().any(|s| s.interviewer_id == actor.id.0);
    let see_all = role != CompanyRole::Interviewer || submitted;
    let total = rows.len() as u64;
    let rows: Vec<scorecard::Model> = rows
        .into_iter()
        .filter(|s| see_all || s.interviewer_id == actor.id.0)
        .collect();
    let hidden = total - rows.len() as u64;
    let who = persons(&state.db, rows.iter().map(|s| s.interviewer_id)).await?;
    Ok(ScorecardList {
        items: rows.into_iter().map(|s| scorecard_view(s, &who)).collect(),
        hidden,
    })
}

/// Active applications of a job whose last stage change is older than `days` (default the
/// job's `stuck_after_days`), longest waiting first (members).
pub async fn stuck(
    state: &AppState,
    actor: &CurrentUser,
    job_id: Uuid,
    q: StuckQuery,
) -> AppResult<Vec<ApplicationSummary>> {
    let now = state.clock.now();
    let j = find_job(&state.db, job_id, false).await?;
    require_role(
        &state.db,
        j.company_id,
        actor.id,
        MEMBERS,
        Refusal::NotFound,
    )
    .await?;
    let days = match q.days {
        Some(d) if (1..=365).contains(&d) => d,
        Some(_) => {
            return Err(AppError::bad_request(
                "INVALID_QUERY",
                "days: must be from 1 to 365",
            ));
        }
        None => i64::from(j.stuck_after_days),
    };
    let rows = application::Entity::find()
        .filter(application::Column::JobId.eq(j.id))
        .filter(application::Column::Status.eq("active"))
        .filter(application::Column::StageChangedAt.lt(now - Duration::days(days)))
        .order_by_asc(application::Column::StageChangedAt)
        .order_by_asc(application::Column::Id)
        .limit(500)
        .all(&state.db)
        .await?;
    summaries(&state.db, rows, now).await
}

// ---- candidate pages ----

/// The signed-in user's application to a job, if they applied (the job page says so).
pub async fn mine_for_job(
    state: &AppState,
    actor: &CurrentUser,
    job_id: Uuid,
) -> AppResult<Option<MyApplication>> {
    let Some(a) = application::Entity::find()
        .filter(application::Column::JobId.eq(job_id))
        .filter(application::Column::UserId.eq(actor.id.0))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let j = find_job(&state.db, a.job_id, false).await?;
    Ok(Some(MyApplication {
        id: a.id,
        status: a.status.clone(),
        stage: stage_brief(&state.db, a.stage_id).await?,
        message: message_of(&a),
        applied_at: a.created_at,
        updated_at: a.updated_at,
        job: job_brief(&state.db, &j).await?,
    }))
}

/// The match scores of the user's own applications among `ids` (anyone else's are left out).
pub async fn my_match_scores(
    state: &AppState,
    actor: &CurrentUser,
    ids: &[Uuid],
) -> AppResult<BTreeMap<Uuid, i32>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(application::Entity::find()
        .filter(application::Column::UserId.eq(actor.id.0))
        .filter(application::Column::Id.is_in(ids.to_vec()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.match_score))
        .collect())
}

/// A screening answer with its question as the candidate saw it (no knockout answer).
#[derive(Debug, Clone, Serialize)]
pub struct MyAnswer {
    pub question: ScreeningQuestion,
    /// `None` when the question was left unanswered.
    pub answer: Option<Value>,
}

/// What the candidate sent with their application.
#[derive(Debug, Clone, Serialize)]
pub struct MySubmission {
    pub answers: Vec<MyAnswer>,
    pub cover_letter: Option<String>,
    pub resume_text: Option<String>,
}

/// The answers, cover letter and resume the candidate sent: for the applicant only (404 for
/// everyone else — company members read them through [`get`]).
pub async fn my_submission(
    state: &AppState,
    actor: &CurrentUser,
    id: Uuid,
) -> AppResult<MySubmission> {
    let (a, j) = load(&state.db, id, false).await?;
    if a.user_id != actor.id.0 {
        return Err(AppError::not_found("Application not found"));
    }
    let given: serde_json::Map<String, Value> =
        serde_json::from_str(&a.answers).unwrap_or_default();
    let questions: Vec<ScreeningQuestion> =
        serde_json::from_str(&j.screening_questions).unwrap_or_default();
    let mut answers: Vec<MyAnswer> = questions
        .into_iter()
        .map(|mut q| {
            q.knockout_answer = None;
            MyAnswer {
                answer: given.get(&q.id).filter(|v| !v.is_null()).cloned(),
                question: q,
            }
        })
        .collect();
    // Answers to questions the job no longer asks are still the candidate's.
    for (k, v) in &given {
        if !v.is_null() && !answers.iter().any(|x| &x.question.id == k) {
            answers.push(MyAnswer {
                question: ScreeningQuestion {
                    id: k.clone(),
                    text: k.clone(),
                    kind: "text".to_owned(),
                    options: None,
                    required: false,
                    knockout_answer: None,
                },
                answer: Some(v.clone()),
            });
        }
    }
    Ok(MySubmission {
        answers,
        cover_letter: a.cover_letter,
        resume_text: a.resume_text,
    })
}

// ---- bulk reject (company pages and API) ----

/// At most this many applications per bulk rejection.
pub const BULK_REJECT_MAX: usize = 200;

/// Reject several applications of one job with one reason.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct BulkRejectInput {
    /// 1–200 applications of the job (an id given twice counts once).
    pub application_ids: Option<Vec<Uuid>>,
    /// not_a_fit | experience | skills | location | salary | position_filled | other
    pub reason: Option<String>,
    /// At most 2,000 characters (members only see it).
    pub note: Option<String>,
}

/// What a bulk rejection did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkRejectResult {
    /// Rejected by this request, in the order given.
    pub rejected: Vec<Uuid>,
    /// Already rejected or withdrawn, so left as they were (a repeated request is harmless).
    pub skipped: Vec<Uuid>,
}

/// Editors reject several applications of a job at once, exactly as [`reject`] does each one
/// (the same timeline event, candidate notice and bus event). All or nothing, in one
/// transaction: every id must be an application of this job (else 422 on
/// `application_ids[i]`); applications that are already rejected or withdrawn are skipped,
/// not refused, so a board that is a little out of date still works. Outsiders get 404.
pub async fn bulk_reject(
    state: &AppState,
    actor: &CurrentUser,
    job_id: Uuid,
    input: BulkRejectInput,
) -> AppResult<BulkRejectResult> {
    let now = state.clock.now();
    let mut v = Validator::new();
    let given = input.application_ids.unwrap_or_default();
    if given.is_empty() {
        v.add("application_ids", "needs at least one application");
    } else if given.len() > BULK_REJECT_MAX {
        v.add(
            "application_ids",
            format!("at most {BULK_REJECT_MAX} applications at a time"),
        );
    }
    let (reason, note) = check_reject(&mut v, input.reason.as_deref(), input.note.as_deref());
    v.finish()?;
    let mut ids: Vec<Uuid> = Vec::with_capacity(given.len());
    for id in &given {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }

    let txn = begin_write(&state.db).await?;
    let j = find_job(&txn, job_id, false).await?;
    require_role(&txn, j.company_id, actor.id, EDITORS, Refusal::NotFound).await?;
    // Locked in id order, so two bulk rejections cannot wait on each other.
    let found: BTreeMap<Uuid, application::Model> = application::Entity::find()
        .filter(application::Column::Id.is_in(ids.clone()))
        .order_by_asc(application::Column::Id)
        .lock_exclusive()
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut v = Validator::new();
    for (i, id) in given.iter().enumerate() {
        if found.get(id).is_none_or(|a| a.job_id != j.id) {
            v.add(
                &format!("application_ids[{i}]"),
                "is not an application of this job",
            );
        }
    }
    v.finish()?;
    let mut found = found;
    let mut done = Vec::new();
    let mut skipped = Vec::new();
    for id in ids {
        let Some(a) = found.remove(&id) else { continue };
        if is_terminal(&a) {
            skipped.push(id);
            continue;
        }
        let a = reject_locked(state, &txn, actor.id, a, &j, (&reason, note.clone()), now).await?;
        done.push(a);
    }
    txn.commit().await?;
    for a in &done {
        publish(state, EVENT_REJECTED, a, &j, actor.id);
    }
    Ok(BulkRejectResult {
        rejected: done.iter().map(|a| a.id).collect(),
        skipped,
    })
}
