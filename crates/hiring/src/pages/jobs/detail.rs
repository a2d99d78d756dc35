//! The job page (`/jobs/{id}`): the posting, "how you match" for a signed-in reader, save, and
//! the apply form with the job's screening questions. A refused application re-renders the page
//! with the typed values and the service's messages next to each question.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Number, Value};
use uuid::Uuid;
use vertechie_kernel::{AppError, AppState};
use vertechie_web::page::signin_redirect;
use vertechie_web::{CsrfForm, FieldErrors, Page, PageCtx, redirect_with_flash, render};

use super::view::{self, JobCard, MatchPanel, TextBlock};
use super::{parse_id, signin_url};
use crate::service::applications::{self as apps, ApplyInput, KNOCKOUT_MESSAGE};
use crate::service::jobs::{self as svc, ScreeningQuestion};

/// One radio button of a yes/no or single-choice question.
pub struct Choice {
    id: String,
    value: String,
    label: String,
    checked: bool,
}

/// A screening question as the form shows it.
pub struct QuestionField {
    /// The form field: `q_<question id>`.
    name: String,
    text: String,
    /// text | yes_no | single_choice | number
    kind: String,
    required: bool,
    choices: Vec<Choice>,
    value: String,
    error: Option<String>,
}

/// A skill of the job.
pub struct SkillTag {
    name: String,
    required: bool,
}

/// The candidate's application to this job.
pub struct Applied {
    id: String,
    date: String,
    status: &'static str,
    stage: String,
}

#[derive(Template)]
#[template(path = "jobs_detail.html")]
struct JobPage<'a> {
    ctx: &'a PageCtx,
    job: JobCard,
    description: Vec<TextBlock>,
    requirements: Vec<TextBlock>,
    skills: Vec<SkillTag>,
    status: &'static str,
    closes: Option<String>,
    company_initials: String,
    matching: Option<MatchPanel>,
    saved: bool,
    applied: Option<Applied>,
    questions: Vec<QuestionField>,
    cover_letter: String,
    resume_text: String,
    errors: FieldErrors,
    signin: String,
}

/// The form field of a question.
fn field_name(q: &ScreeningQuestion) -> String {
    format!("q_{}", q.id)
}

/// The answers as the service takes them (`{question_id: value}`): text and choices as strings,
/// yes/no as booleans, numbers as numbers. Blank answers are left out (the service says which
/// were required); a value of the wrong shape is passed on as text, so the service refuses it
/// with the API's message ("must be a number").
pub(crate) fn answers_from(
    questions: &[ScreeningQuestion],
    fields: &HashMap<String, String>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for q in questions {
        let Some(raw) = fields.get(&field_name(q)) else {
            continue;
        };
        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        let v = match q.kind.as_str() {
            "yes_no" => match t {
                "yes" | "true" => Value::Bool(true),
                "no" | "false" => Value::Bool(false),
                _ => Value::String(t.to_owned()),
            },
            "number" => match t.parse::<i64>() {
                Ok(n) => Value::Number(n.into()),
                Err(_) => t
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(t.to_owned())),
            },
            "single_choice" => Value::String(t.to_owned()),
            _ => Value::String(raw.clone()),
        };
        out.insert(q.id.clone(), v);
    }
    out
}

fn question_fields(
    questions: &[ScreeningQuestion],
    values: &HashMap<String, String>,
    errors: &FieldErrors,
) -> Vec<QuestionField> {
    questions
        .iter()
        .map(|q| {
            let name = field_name(q);
            let value = values.get(&name).cloned().unwrap_or_default();
            let options: Vec<(String, String)> = match q.kind.as_str() {
                "yes_no" => vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())],
                "single_choice" => q
                    .options
                    .iter()
                    .flatten()
                    .map(|o| (o.clone(), o.clone()))
                    .collect(),
                _ => Vec::new(),
            };
            QuestionField {
                choices: options
                    .into_iter()
                    .enumerate()
                    .map(|(i, (v, label))| Choice {
                        id: format!("{name}-{i}"),
                        checked: value.trim() == v,
                        value: v,
                        label,
                    })
                    .collect(),
                error: errors.get(&format!("answers.{}", q.id)).map(str::to_owned),
                text: q.text.clone(),
                kind: q.kind.clone(),
                required: q.required,
                value,
                name,
            }
        })
        .collect()
}

/// What a refused application puts back into the page.
#[derive(Default)]
struct Refused {
    values: HashMap<String, String>,
    errors: FieldErrors,
}

async fn show(
    state: &AppState,
    ctx: &PageCtx,
    id: Uuid,
    status: StatusCode,
    refused: Refused,
) -> Response {
    let user = ctx.user.as_ref().map(|v| v.current.clone());
    let loaded = async {
        let job = svc::get_for_reader(state, user.as_ref(), id).await?;
        let (saved, applied) = match &user {
            Some(u) => (
                svc::is_saved(state, u, id).await?,
                apps::mine_for_job(state, u, id).await?,
            ),
            None => (false, None),
        };
        Ok::<_, AppError>((job, saved, applied))
    }
    .await;
    let (job, saved, applied) = match loaded {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let now = state.clock.now();
    let Refused { values, errors } = refused;
    let page = JobPage {
        ctx,
        job: JobCard::of(&job, now),
        description: view::blocks(&job.description),
        requirements: job
            .requirements
            .as_deref()
            .map(view::blocks)
            .unwrap_or_default(),
        skills: job
            .skills
            .iter()
            .map(|s| SkillTag {
                name: s.name.clone(),
                required: s.required,
            })
            .collect(),
        status: match job.status.as_str() {
            "open" if view::accepting(&job, now) => "Open",
            "draft" => "Draft (not published)",
            _ => "Closed",
        },
        closes: job
            .closes_at
            .filter(|c| *c > now)
            .map(|c| format!("Closes on {}", view::date(c))),
        company_initials: job
            .company
            .name
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .take(2)
            .collect::<String>()
            .to_uppercase(),
        matching: job.match_result.as_ref().map(MatchPanel::of),
        saved,
        applied: applied.map(|a| Applied {
            id: a.id.to_string(),
            date: view::date(a.applied_at),
            status: view::status_label(&a.status),
            stage: view::stage_label(&a.stage.name),
        }),
        questions: question_fields(&job.screening_questions, &values, &errors),
        cover_letter: values.get("cover_letter").cloned().unwrap_or_default(),
        resume_text: values.get("resume_text").cloned().unwrap_or_default(),
        errors,
        signin: signin_url(&format!("/jobs/{id}")),
    };
    render(status, &page)
}

pub async fn job_page(
    State(state): State<AppState>,
    Page(ctx): Page,
    Path(raw): Path<String>,
) -> Response {
    match parse_id(&raw) {
        Ok(id) => show(&state, &ctx, id, StatusCode::OK, Refused::default()).await,
        Err(e) => ctx.fail(e),
    }
}

pub async fn apply(
    State(state): State<AppState>,
    Page(ctx): Page,
    Path(raw): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let Some(user) = ctx.user.as_ref().map(|v| v.current.clone()) else {
        return signin_redirect(&format!("/jobs/{raw}"));
    };
    let id = match parse_id(&raw) {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let job = match svc::get_for_reader(&state, Some(&user), id).await {
        Ok(j) => j,
        Err(e) => return ctx.fail(e),
    };
    let values: HashMap<String, String> = fields
        .into_iter()
        .filter(|(k, _)| k != vertechie_web::page::CSRF_FIELD)
        .collect();
    let text = |k: &str| values.get(k).cloned();
    let input = ApplyInput {
        answers: Some(answers_from(&job.screening_questions, &values)),
        cover_letter: text("cover_letter"),
        resume_text: text("resume_text"),
    };
    match apps::apply(&state, &user, id, input).await {
        Ok(app) if app.status == "rejected" => redirect_with_flash(
            &format!("/applications/{}", app.id),
            "info",
            app.message.as_deref().unwrap_or(KNOCKOUT_MESSAGE),
        ),
        Ok(app) => redirect_with_flash(
            &format!("/applications/{}", app.id),
            "success",
            &format!(
                "Your application for {} was sent. You can follow it here.",
                app.job.title
            ),
        ),
        Err(e) if e.status == StatusCode::CONFLICT => {
            let message = match e.code {
                "ALREADY_APPLIED" => "You have already applied to this job.",
                "JOB_CLOSED" => "This job is no longer accepting applications.",
                _ => e.message.as_str(),
            };
            redirect_with_flash(&format!("/jobs/{id}#apply"), "error", message)
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let errors = FieldErrors::from(&e);
            show(&state, &ctx, id, e.status, Refused { values, errors }).await
        }
        Err(e) => ctx.fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: &str, kind: &str) -> ScreeningQuestion {
        ScreeningQuestion {
            id: id.into(),
            text: id.into(),
            kind: kind.into(),
            options: (kind == "single_choice").then(|| vec!["early".into(), "late".into()]),
            required: true,
            knockout_answer: None,
        }
    }

    #[test]
    fn answers_take_the_shape_of_their_kind() {
        let qs = [
            q("visa", "yes_no"),
            q("years", "number"),
            q("shift", "single_choice"),
            q("why", "text"),
            q("rate", "number"),
            q("blank", "text"),
        ];
        let fields: HashMap<String, String> = [
            ("q_visa", "no"),
            ("q_years", " 4 "),
            ("q_shift", "early"),
            ("q_why", "Rust!\nAnd more"),
            ("q_rate", "2.5"),
            ("q_blank", "  "),
            ("q_other", "ignored"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let a = answers_from(&qs, &fields);
        assert_eq!(
            Value::Object(a),
            serde_json::json!({"visa": false, "years": 4, "shift": "early",
                               "why": "Rust!\nAnd more", "rate": 2.5})
        );
        let bad: HashMap<String, String> = [("q_years".to_owned(), "four".to_owned())].into();
        assert_eq!(
            answers_from(&qs, &bad).get("years"),
            Some(&Value::String("four".into()))
        );
    }
}
