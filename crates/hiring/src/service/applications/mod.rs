//! Applications and the ATS work on them: apply (screening answers checked by kind, knockouts,
//! one application per user and job, the match stored with its explanation), the candidate's own
//! list and withdrawal, and for company members the pipeline list, move, reject, notes,
//! scorecards, the timeline and the "stuck" list. Outsiders get 404 for everything here.

mod apply;
mod candidate;
mod common;
mod moves;
mod notes;
mod review;
mod stuck;
mod views;

pub use apply::apply;
pub use candidate::{
    MyAnswer, MySubmission, mine, mine_for_job, my_match_scores, my_submission, withdraw,
};
pub use moves::{BULK_REJECT_MAX, BulkRejectInput, BulkRejectResult, bulk_reject, move_to, reject};
pub use notes::{add_note, add_scorecard, notes, scorecards};
pub use review::{get, list_for_job};
pub use stuck::stuck;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use vertechie_kernel::bus::Event;
use vertechie_kernel::{AppState, UserId};

use crate::model::{application, job};
use crate::service::jobs::CompanyBrief;
use crate::service::matching::MatchResult;

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
    /// Each screening question with the answer given, knockout answers marked, then answers to
    /// questions the job no longer asks (members only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_review: Option<Vec<AnswerReview>>,
    /// Whether the viewer may move and reject the application (owners, admins and recruiters;
    /// whether it is still active is `status`).
    pub can_move: bool,
}

/// A screening answer as the hiring team reviews it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnswerReview {
    pub question_id: String,
    /// The question's text (its id once the job no longer asks it).
    pub question: String,
    /// `null` when the question was left unanswered.
    pub answer: Option<Value>,
    /// The answer given is the question's knockout answer.
    pub knockout: bool,
    /// False for an answer to a question the job has since removed.
    pub still_asked: bool,
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
