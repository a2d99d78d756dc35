//! The candidate drawer: the profile summary, answers, match explanation, timeline, notes,
//! scorecards, move and reject.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use uuid::Uuid;
use vertechie_accounts::service::profile;
use vertechie_kernel::{AppError, AppState, CurrentUser, UserId};
use vertechie_web::{FieldErrors, PageCtx, SignedIn, render};

use super::{board_url, reason_label, reason_options, recommendation_label};
use crate::pages::company_admin::{day, humanize, parse_id};
use crate::service::applications::{self as apps, ApplicationView, EventView, RECOMMENDATIONS};
use crate::service::matching::{LevelFit, SkillSource};
use crate::service::pipeline;

/// Criteria a new scorecard suggests (renamable), and how many rows the form has.
const CRITERIA: [&str; 4] = [
    "Technical skills",
    "Problem solving",
    "Communication",
    "Collaboration",
];
const CRITERIA_ROWS: usize = 6;

struct AnswerRow {
    question: String,
    answer: String,
    knockout: bool,
}

struct TimelineRow {
    what: String,
    who: Option<String>,
    at: String,
    iso: String,
}

struct NoteRow {
    author: String,
    body: String,
    at: String,
}

struct ScorecardRow {
    interviewer: String,
    recommendation: &'static str,
    ratings: Vec<(String, String)>,
    notes: Option<String>,
    at: String,
}

struct MatchedRow {
    skill: String,
    source: &'static str,
}

struct MissingRow {
    skill: String,
    required: bool,
}

struct ProfileSummary {
    headline: Option<String>,
    level: Option<String>,
    bio: Option<String>,
    skills: Vec<(String, i32)>,
}

#[derive(Default, Clone)]
pub(super) struct CriterionRow {
    pub(super) name: String,
    pub(super) rating: String,
    pub(super) error: Option<String>,
}

/// What a re-rendered drawer carries over from a refused form.
#[derive(Default)]
pub(super) struct DrawerForms {
    pub(super) note: String,
    pub(super) note_errors: FieldErrors,
    pub(super) criteria: Vec<CriterionRow>,
    pub(super) recommendation: String,
    pub(super) card_notes: String,
    pub(super) card_errors: FieldErrors,
    pub(super) reject_reason: String,
    pub(super) reject_note: String,
    pub(super) reject_errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "hiring_application.html")]
struct DrawerPage<'a> {
    ctx: &'a PageCtx,
    app: ApplicationView,
    name: String,
    username: String,
    profile: Option<ProfileSummary>,
    status_label: String,
    reject_reason: Option<String>,
    answers: Vec<AnswerRow>,
    matched: Vec<MatchedRow>,
    missing: Vec<MissingRow>,
    level_fit: &'static str,
    timeline: Vec<TimelineRow>,
    notes: Vec<NoteRow>,
    scorecards: Vec<ScorecardRow>,
    hidden_scorecards: u64,
    submitted: bool,
    can_move: bool,
    active: bool,
    stages: Vec<(Uuid, String)>,
    back: String,
    board: String,
    reasons: Vec<(&'static str, String)>,
    recommendations: Vec<(&'static str, &'static str)>,
    forms: DrawerForms,
}

fn answer_text(v: &Value) -> String {
    match v {
        Value::Bool(true) => "Yes".to_owned(),
        Value::Bool(false) => "No".to_owned(),
        Value::String(s) => s.clone(),
        Value::Null => "No answer".to_owned(),
        other => other.to_string(),
    }
}

fn event_text(e: &EventView) -> String {
    let s = |k: &str| {
        e.data
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    match e.kind.as_str() {
        "applied" => match s("stage").as_str() {
            "" => "Applied".to_owned(),
            st => format!("Applied (entered {st})"),
        },
        "moved" => format!("Moved from {} to {}", s("from"), s("to")),
        "rejected" => match s("reason").as_str() {
            "knockout" => "Rejected by a knockout answer".to_owned(),
            "" => "Rejected".to_owned(),
            r => format!("Rejected: {}", reason_label(r)),
        },
        "withdrawn" => "Withdrew the application".to_owned(),
        "note_added" => "Added a note".to_owned(),
        "scorecard_submitted" => format!(
            "Submitted a scorecard ({})",
            recommendation_label(&s("recommendation")).to_lowercase()
        ),
        other => humanize(other),
    }
}

fn level_fit_text(l: LevelFit) -> &'static str {
    match l {
        LevelFit::Exact => "Experience level: a match",
        LevelFit::Above => "Experience level: above what the job asks",
        LevelFit::Below => "Experience level: a step below what the job asks",
        LevelFit::FarBelow => "Experience level: well below what the job asks",
        LevelFit::Unknown => "Experience level: not known",
    }
}

pub(super) fn default_criteria() -> Vec<CriterionRow> {
    let mut rows: Vec<CriterionRow> = CRITERIA
        .iter()
        .map(|c| CriterionRow {
            name: (*c).to_owned(),
            ..CriterionRow::default()
        })
        .collect();
    rows.resize_with(CRITERIA_ROWS, CriterionRow::default);
    rows
}

pub(super) async fn show_drawer(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: Uuid,
    status: StatusCode,
    mut forms: DrawerForms,
) -> Response {
    let loaded = async {
        // Members only (the candidate and everyone else get 404 here).
        let notes = apps::notes(state, user, id).await?;
        let app = apps::get(state, user, id).await?;
        let cards = apps::scorecards(state, user, id).await?;
        let stages = pipeline::list(state, user, app.job.id).await?;
        let person = match &app.candidate {
            Some(c) => match profile::public_profile(state, UserId(c.id)).await {
                Ok(p) => Some(p),
                Err(e) if e.status == StatusCode::NOT_FOUND => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        Ok::<_, AppError>((notes, app, cards, stages, person))
    }
    .await;
    let (notes, app, cards, stages, person) = match loaded {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let (name, username) = match &app.candidate {
        Some(c) => (c.display_name.clone(), c.username.clone()),
        None => ("Candidate".to_owned(), String::new()),
    };
    // Knockouts and who may move are the service's rules; the page only words them.
    let answers: Vec<AnswerRow> = app
        .answer_review
        .iter()
        .flatten()
        .map(|r| AnswerRow {
            question: if r.still_asked {
                r.question.clone()
            } else {
                format!("{} (no longer asked)", r.question)
            },
            answer: r
                .answer
                .as_ref()
                .map(answer_text)
                .unwrap_or_else(|| "No answer".to_owned()),
            knockout: r.knockout,
        })
        .collect();
    let profile = person.map(|p| ProfileSummary {
        headline: p.preferred_career_track.clone(),
        level: p.experience_level.as_deref().map(humanize),
        bio: p.bio.as_ref().map(|b| {
            let short: String = b.chars().take(400).collect();
            if short.len() < b.len() {
                format!("{short}…")
            } else {
                short
            }
        }),
        skills: p.skills.iter().map(|s| (s.name.clone(), s.level)).collect(),
    });
    let submitted = cards
        .items
        .iter()
        .any(|c| c.interviewer.as_ref().is_some_and(|i| i.id == user.id.0));
    if forms.criteria.is_empty() {
        forms.criteria = default_criteria();
    }
    let board = board_url(app.job.id, "newest");
    render(
        status,
        &DrawerPage {
            ctx,
            name,
            username,
            profile,
            status_label: humanize(&app.status),
            reject_reason: app.reject_reason.as_deref().map(reason_label),
            answers,
            matched: app
                .match_result
                .matched
                .iter()
                .map(|m| MatchedRow {
                    skill: m.skill.clone(),
                    source: match m.source {
                        SkillSource::Profile => "profile",
                        SkillSource::Cv => "CV",
                    },
                })
                .collect(),
            missing: app
                .match_result
                .missing
                .iter()
                .map(|m| MissingRow {
                    skill: m.skill.clone(),
                    required: m.required,
                })
                .collect(),
            level_fit: level_fit_text(app.match_result.level_fit),
            timeline: app
                .timeline
                .iter()
                .map(|e| TimelineRow {
                    what: event_text(e),
                    who: e.actor.as_ref().map(|a| a.display_name.clone()),
                    at: e.at.format("%-d %b %Y, %H:%M UTC").to_string(),
                    iso: e.at.to_rfc3339(),
                })
                .collect(),
            notes: notes
                .into_iter()
                .map(|n| NoteRow {
                    author: n
                        .author
                        .map(|a| a.display_name.clone())
                        .unwrap_or_else(|| "A former member".to_owned()),
                    body: n.body,
                    at: n.created_at.format("%-d %b %Y, %H:%M UTC").to_string(),
                })
                .collect(),
            scorecards: cards
                .items
                .into_iter()
                .map(|c| ScorecardRow {
                    interviewer: c
                        .interviewer
                        .map(|a| a.display_name.clone())
                        .unwrap_or_else(|| "A former member".to_owned()),
                    recommendation: recommendation_label(&c.recommendation),
                    ratings: c
                        .ratings
                        .as_object()
                        .map(|o| {
                            o.iter()
                                .map(|(k, v)| (k.clone(), format!("{}/4", answer_text(v))))
                                .collect()
                        })
                        .unwrap_or_default(),
                    notes: c.notes,
                    at: day(c.created_at),
                })
                .collect(),
            hidden_scorecards: cards.hidden,
            submitted,
            can_move: app.can_move,
            active: app.status == "active",
            stages: stages.into_iter().map(|s| (s.id, s.name)).collect(),
            back: format!("/hiring/applications/{id}"),
            board,
            reasons: reason_options(),
            recommendations: RECOMMENDATIONS
                .iter()
                .map(|r| (*r, recommendation_label(r)))
                .collect(),
            forms,
            app,
        },
    )
}

pub(super) async fn drawer(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&id, "Application") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    show_drawer(
        &state,
        &ctx,
        &user,
        id,
        StatusCode::OK,
        DrawerForms::default(),
    )
    .await
}
