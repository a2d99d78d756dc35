//! The jobs editor (`/hiring/companies/{id}/jobs/new`, `/hiring/jobs/{id}/edit`): every field of
//! a posting, with skills and screening questions as a fixed number of indexed rows so the form
//! works without JavaScript (blank rows are ignored); delete-or-close; and the pipeline stage
//! editor (add, rename, move up or down, delete).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;
use vertechie_kernel::money::{Currency, Money, MoneyError};
use vertechie_kernel::{AppError, AppState, CurrentUser, Patch};
use vertechie_web::{CsrfForm, FieldErrors, PageCtx, SignedIn, redirect_with_flash, render};

use super::company_admin::{field, hide_from_outsiders, humanize, is_form_error, parse_id};
use crate::service::jobs::{
    self as svc, EDITORS, JobCreate, JobUpdate, JobView, QuestionInput, Removed, SkillInput,
};
use crate::service::members;
use crate::service::pipeline::{self, StageCreate, StageUpdate, StageView};
use crate::service::{forbidden_role, role_in};

/// Blank rows offered after the existing skills and questions.
const BLANK_SKILLS: usize = 3;
const BLANK_QUESTIONS: usize = 2;
/// Rows read from a posted form at most (the service allows 50 skills and 20 questions).
const MAX_ROWS: usize = 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/hiring/companies/{id}/jobs/new",
            get(new_form).post(create),
        )
        .route("/hiring/jobs/{id}/edit", get(edit_form).post(save))
        .route("/hiring/jobs/{id}/delete", post(delete))
        .route("/hiring/jobs/{id}/stages", post(add_stage))
        .route("/hiring/jobs/{id}/stages/{stage_id}", post(rename_stage))
        .route("/hiring/jobs/{id}/stages/{stage_id}/move", post(move_stage))
        .route(
            "/hiring/jobs/{id}/stages/{stage_id}/delete",
            post(delete_stage),
        )
}

const REMOTE: [(&str, &str); 3] = [
    ("onsite", "On-site"),
    ("hybrid", "Hybrid"),
    ("remote", "Remote"),
];
const EMPLOYMENT: [(&str, &str); 5] = [
    ("full_time", "Full time"),
    ("part_time", "Part time"),
    ("contract", "Contract"),
    ("internship", "Internship"),
    ("temporary", "Temporary"),
];
const LEVELS: [(&str, &str); 4] = [
    ("fresher", "Fresher"),
    ("junior", "Junior"),
    ("mid", "Mid-level"),
    ("senior", "Senior"),
];
const STATUSES: [(&str, &str); 3] = [
    ("draft", "Draft (only your team sees it)"),
    ("open", "Open (published, taking applications)"),
    ("closed", "Closed"),
];
const KINDS: [(&str, &str); 4] = [
    ("text", "Text"),
    ("yes_no", "Yes or no"),
    ("single_choice", "One of several options"),
    ("number", "Number"),
];

// ---- the form as typed ----

#[derive(Debug, Clone, Default)]
struct SkillRow {
    name: String,
    weight: String,
    required: bool,
    name_error: Option<String>,
    weight_error: Option<String>,
    /// Any other problem with the row.
    error: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct QuestionRow {
    /// Kept across edits: answers refer to it. Made from the text for new questions.
    id: String,
    text: String,
    kind: String,
    /// One option per line.
    options: String,
    required: bool,
    knockout: String,
    text_error: Option<String>,
    kind_error: Option<String>,
    options_error: Option<String>,
    knockout_error: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct JobForm {
    title: String,
    description: String,
    requirements: String,
    location: String,
    remote: String,
    employment_type: String,
    experience_level: String,
    /// Major units, e.g. "65000" or "65000.50".
    salary_min: String,
    salary_max: String,
    currency: String,
    status: String,
    /// YYYY-MM-DD; the job closes at the end of that day (UTC).
    closes_at: String,
    stuck_after_days: String,
    skills: Vec<SkillRow>,
    questions: Vec<QuestionRow>,
}

/// The currency the form's amounts are typed in: the form's own, or two decimal places while it
/// is blank or not a currency code (the service then says what is wrong with it).
fn form_currency(code: &str) -> Currency {
    Currency::assume(code.trim()).unwrap_or(Currency::NONE)
}

/// Minor units as the form shows them: "6500000" EUR → "65000", "500000" JPY → "500000".
fn major(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).plain()
}

/// Major units as typed → minor units of the currency; blank is `None`.
fn parse_money(s: &str, currency: Currency) -> Result<Option<i64>, MoneyError> {
    match Money::parse(s, currency) {
        Ok(m) => Ok(Some(m.minor)),
        Err(MoneyError::Empty) => Ok(None),
        Err(e) => Err(e),
    }
}

fn knockout_text(v: &Option<Value>) -> String {
    match v {
        Some(Value::Bool(true)) => "yes".to_owned(),
        Some(Value::Bool(false)) => "no".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A question id made from its text: `[a-z0-9_]`, unique among `used`.
fn question_id(text: &str, used: &[String]) -> String {
    let mut base = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            base.push(c.to_ascii_lowercase());
        } else if !base.is_empty() && !base.ends_with('_') {
            base.push('_');
        }
        if base.len() >= 30 {
            break;
        }
    }
    let base = base.trim_end_matches('_');
    let base = if base.is_empty() { "question" } else { base };
    let mut id = base.to_owned();
    let mut n = 2;
    while used.contains(&id) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}

impl JobForm {
    fn blank() -> Self {
        let mut f = Self {
            remote: "onsite".to_owned(),
            employment_type: "full_time".to_owned(),
            status: "draft".to_owned(),
            stuck_after_days: svc::STUCK_AFTER_DAYS_DEFAULT.to_string(),
            ..Self::default()
        };
        f.pad();
        f
    }

    fn of(j: &JobView) -> Self {
        let currency = form_currency(j.currency.as_deref().unwrap_or_default());
        let mut f = Self {
            title: j.title.clone(),
            description: j.description.clone(),
            requirements: j.requirements.clone().unwrap_or_default(),
            location: j.location.clone().unwrap_or_default(),
            remote: j.remote.clone(),
            employment_type: j.employment_type.clone(),
            experience_level: j.experience_level.clone().unwrap_or_default(),
            salary_min: j.salary_min.map(|m| major(m, currency)).unwrap_or_default(),
            salary_max: j.salary_max.map(|m| major(m, currency)).unwrap_or_default(),
            currency: j.currency.clone().unwrap_or_default(),
            status: j.status.clone(),
            closes_at: j
                .closes_at
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            stuck_after_days: j
                .stuck_after_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            skills: j
                .skills
                .iter()
                .map(|s| SkillRow {
                    name: s.name.clone(),
                    weight: s.weight.to_string(),
                    required: s.required,
                    ..SkillRow::default()
                })
                .collect(),
            questions: j
                .screening_questions
                .iter()
                .map(|q| QuestionRow {
                    id: q.id.clone(),
                    text: q.text.clone(),
                    kind: q.kind.clone(),
                    options: q.options.clone().unwrap_or_default().join("\n"),
                    required: q.required,
                    knockout: knockout_text(&q.knockout_answer),
                    ..QuestionRow::default()
                })
                .collect(),
        };
        f.pad();
        f
    }

    /// Blank rows after the filled ones.
    fn pad(&mut self) {
        let filled = self.skills.iter().filter(|s| !skill_blank(s)).count();
        self.skills.retain(|s| !skill_blank(s));
        self.skills
            .resize_with(filled + BLANK_SKILLS, SkillRow::default);
        self.questions.retain(|q| !question_blank(q));
        let filled = self.questions.len();
        self.questions
            .resize_with(filled + BLANK_QUESTIONS, || QuestionRow {
                kind: "text".to_owned(),
                ..QuestionRow::default()
            });
    }

    /// Reads the posted fields; rows are `skills[i][name]` and `questions[i][text]` style.
    fn from_pairs(fields: &[(String, String)]) -> Self {
        let g = |k: &str| field(fields, k).to_owned();
        let mut f = Self {
            title: g("title"),
            description: g("description"),
            requirements: g("requirements"),
            location: g("location"),
            remote: g("remote"),
            employment_type: g("employment_type"),
            experience_level: g("experience_level"),
            salary_min: g("salary_min"),
            salary_max: g("salary_max"),
            currency: g("currency"),
            status: g("status"),
            closes_at: g("closes_at"),
            stuck_after_days: g("stuck_after_days"),
            ..Self::default()
        };
        for (k, v) in fields {
            let Some((list, i, key)) = row_key(k) else {
                continue;
            };
            match list {
                "skills" => {
                    if f.skills.len() <= i {
                        f.skills.resize_with(i + 1, SkillRow::default);
                    }
                    let row = &mut f.skills[i];
                    match key {
                        "name" => row.name = v.clone(),
                        "weight" => row.weight = v.clone(),
                        "required" => row.required = !v.is_empty(),
                        _ => {}
                    }
                }
                _ => {
                    if f.questions.len() <= i {
                        f.questions.resize_with(i + 1, QuestionRow::default);
                    }
                    let row = &mut f.questions[i];
                    match key {
                        "id" => row.id = v.clone(),
                        "text" => row.text = v.clone(),
                        "kind" => row.kind = v.clone(),
                        "options" => row.options = v.clone(),
                        "required" => row.required = !v.is_empty(),
                        "knockout" => row.knockout = v.clone(),
                        _ => {}
                    }
                }
            }
        }
        f
    }
}

/// `skills[3][name]` → ("skills", 3, "name"); `questions[…]` likewise.
fn row_key(k: &str) -> Option<(&'static str, usize, &str)> {
    let (list, rest) = if let Some(r) = k.strip_prefix("skills[") {
        ("skills", r)
    } else if let Some(r) = k.strip_prefix("questions[") {
        ("questions", r)
    } else {
        return None;
    };
    let (i, rest) = rest.split_once("][")?;
    let key = rest.strip_suffix(']')?;
    let i: usize = i.parse().ok()?;
    (i < MAX_ROWS).then_some((list, i, key))
}

fn skill_blank(s: &SkillRow) -> bool {
    s.name.trim().is_empty()
}

fn question_blank(q: &QuestionRow) -> bool {
    q.text.trim().is_empty() && q.options.trim().is_empty() && q.knockout.trim().is_empty()
}

/// What the service receives, and which form row each list entry came from.
struct Parsed {
    skills: Vec<SkillInput>,
    skill_rows: Vec<usize>,
    questions: Vec<QuestionInput>,
    question_rows: Vec<usize>,
    salary_min: Option<i64>,
    salary_max: Option<i64>,
    closes_at: Option<DateTime<Utc>>,
    stuck_after_days: Option<i64>,
}

/// Turns the typed form into service input; problems the service cannot see (a salary that is
/// not a number, a date that is not a date) are marked on the form.
fn parse(f: &mut JobForm, errors: &mut FieldErrors) -> Parsed {
    let mut p = Parsed {
        skills: Vec::new(),
        skill_rows: Vec::new(),
        questions: Vec::new(),
        question_rows: Vec::new(),
        salary_min: None,
        salary_max: None,
        closes_at: None,
        stuck_after_days: None,
    };
    let currency = form_currency(&f.currency);
    for (name, out) in [
        ("salary_min", &mut p.salary_min),
        ("salary_max", &mut p.salary_max),
    ] {
        let typed = if name == "salary_min" {
            &f.salary_min
        } else {
            &f.salary_max
        };
        match parse_money(typed, currency) {
            Ok(v) => *out = v,
            Err(e) => {
                errors.fields.insert(name.to_owned(), e.to_string());
            }
        }
    }
    let closes = f.closes_at.trim();
    if !closes.is_empty() {
        match NaiveDate::parse_from_str(closes, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(23, 59, 59))
        {
            Some(t) => p.closes_at = Some(t.and_utc()),
            None => {
                errors.fields.insert(
                    "closes_at".to_owned(),
                    "must be a date (YYYY-MM-DD)".to_owned(),
                );
            }
        }
    }
    let stuck = f.stuck_after_days.trim();
    if !stuck.is_empty() {
        match stuck.parse::<i64>() {
            Ok(n) => p.stuck_after_days = Some(n),
            Err(_) => {
                errors.fields.insert(
                    "stuck_after_days".to_owned(),
                    "must be between 1 and 365".to_owned(),
                );
            }
        }
    }
    for (i, s) in f.skills.iter_mut().enumerate() {
        if skill_blank(s) {
            continue;
        }
        let w = s.weight.trim();
        let weight = if w.is_empty() {
            None
        } else {
            match w.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    s.weight_error = Some("must be 1–5".to_owned());
                    errors
                        .fields
                        .insert(format!("skills[{i}].weight"), "must be 1–5".to_owned());
                    None
                }
            }
        };
        p.skills.push(SkillInput {
            name: Some(s.name.clone()),
            weight,
            required: Some(s.required),
        });
        p.skill_rows.push(i);
    }
    let mut used: Vec<String> = f
        .questions
        .iter()
        .filter(|q| !question_blank(q))
        .map(|q| q.id.trim().to_owned())
        .filter(|id| !id.is_empty())
        .collect();
    for (i, q) in f.questions.iter_mut().enumerate() {
        if question_blank(q) {
            continue;
        }
        if q.id.trim().is_empty() {
            q.id = question_id(&q.text, &used);
            used.push(q.id.clone());
        }
        let kind = q.kind.trim().to_owned();
        let options: Vec<String> = q
            .options
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        let knock = q.knockout.trim();
        let knockout = if knock.is_empty() {
            None
        } else if kind == "yes_no" {
            Some(match knock.to_ascii_lowercase().as_str() {
                "yes" | "true" => Value::Bool(true),
                "no" | "false" => Value::Bool(false),
                _ => Value::String(knock.to_owned()),
            })
        } else {
            Some(Value::String(knock.to_owned()))
        };
        p.questions.push(QuestionInput {
            id: Some(q.id.trim().to_owned()),
            text: Some(q.text.clone()),
            kind: Some(kind.clone()),
            options: (kind == "single_choice" || !options.is_empty()).then_some(options),
            required: Some(q.required),
            knockout_answer: knockout,
        });
        p.question_rows.push(i);
    }
    p
}

/// Spreads a service error over the form: row errors onto their rows (the service numbers the
/// non-blank rows; `rows` maps them back), the rest by field name.
fn place_errors(f: &mut JobForm, p: &Parsed, err: &AppError) -> FieldErrors {
    let mut out = FieldErrors::from(err);
    let mut rest = FieldErrors {
        form: out.form.take(),
        ..FieldErrors::default()
    };
    for (k, msg) in out.fields.drain() {
        if let Some((i, key)) = indexed(&k, "skills[")
            && let Some(row) = p.skill_rows.get(i).and_then(|r| f.skills.get_mut(*r))
        {
            match key {
                "name" => row.name_error = Some(msg),
                "weight" => row.weight_error = Some(msg),
                _ => row.error = Some(msg),
            }
            continue;
        }
        if let Some((i, key)) = indexed(&k, "screening_questions[")
            && let Some(row) = p.question_rows.get(i).and_then(|r| f.questions.get_mut(*r))
        {
            match key {
                "text" => row.text_error = Some(msg),
                "kind" => row.kind_error = Some(msg),
                "options" => row.options_error = Some(msg),
                "knockout_answer" => row.knockout_error = Some(msg),
                "id" => row.error = Some(format!("The question's id {msg}")),
                _ => row.error = Some(msg),
            }
            continue;
        }
        let k = if k == "screening_questions" {
            "questions".to_owned()
        } else {
            k
        };
        rest.fields.insert(k, msg);
    }
    if err.code != "VALIDATION_ERROR" && rest.form.is_none() && rest.fields.is_empty() {
        rest.form = Some(err.message.clone());
    }
    rest
}

/// `skills[2].weight` with prefix `skills[` → (2, "weight").
fn indexed<'a>(k: &'a str, prefix: &str) -> Option<(usize, &'a str)> {
    let rest = k.strip_prefix(prefix)?;
    let (i, key) = rest.split_once("].")?;
    Some((i.parse().ok()?, key))
}

/// Row-level errors the page found itself also appear in the summary at the top.
fn has_row_errors(f: &JobForm) -> bool {
    f.skills
        .iter()
        .any(|s| s.name_error.is_some() || s.weight_error.is_some() || s.error.is_some())
        || f.questions.iter().any(|q| {
            q.text_error.is_some()
                || q.kind_error.is_some()
                || q.options_error.is_some()
                || q.knockout_error.is_some()
                || q.error.is_some()
        })
}

// ---- the editor page ----

struct StageRow {
    id: Uuid,
    name: String,
    /// From 0.
    position: i32,
    applications: u64,
    first: bool,
    last: bool,
    /// A refused change of this stage.
    error: Option<String>,
    /// The typed name when a rename was refused.
    typed: String,
}

/// A refused stage change, shown by the stage it is about (`None`: the add form).
#[derive(Default)]
struct StageFeedback {
    target: Option<Uuid>,
    message: Option<String>,
    typed: String,
}

#[derive(Template)]
#[template(path = "hiring_job_editor.html")]
struct EditorPage<'a> {
    ctx: &'a PageCtx,
    heading: String,
    action: String,
    company_id: Uuid,
    company_name: String,
    /// Set when editing.
    job_id: Option<Uuid>,
    /// The stored status (the delete button says what it will do).
    stored_status: String,
    f: JobForm,
    errors: FieldErrors,
    row_errors: bool,
    stages: Vec<StageRow>,
    add_stage_error: Option<String>,
    add_stage_typed: String,
    remote_options: &'static [(&'static str, &'static str)],
    employment_options: &'static [(&'static str, &'static str)],
    level_options: &'static [(&'static str, &'static str)],
    status_options: &'static [(&'static str, &'static str)],
    kind_options: &'static [(&'static str, &'static str)],
}

/// The editor page; `company` is (id, name).
fn editor<'a>(
    ctx: &'a PageCtx,
    company: (Uuid, String),
    job: Option<&JobView>,
    f: JobForm,
    errors: FieldErrors,
    stages: Vec<StageView>,
    feedback: StageFeedback,
) -> EditorPage<'a> {
    let n = stages.len();
    let stages = stages
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let mine = feedback.target == Some(s.id);
            StageRow {
                typed: if mine {
                    feedback.typed.clone()
                } else {
                    s.name.clone()
                },
                error: if mine { feedback.message.clone() } else { None },
                id: s.id,
                name: s.name,
                position: s.position,
                applications: s.applications,
                first: i == 0,
                last: i + 1 == n,
            }
        })
        .collect();
    let adding = feedback.target.is_none() && feedback.message.is_some();
    EditorPage {
        ctx,
        heading: match job {
            Some(j) => format!("Edit “{}”", j.title),
            None => "Post a job".to_owned(),
        },
        action: match job {
            Some(j) => format!("/hiring/jobs/{}/edit", j.id),
            None => format!("/hiring/companies/{}/jobs/new", company.0),
        },
        company_id: company.0,
        company_name: company.1,
        job_id: job.map(|j| j.id),
        stored_status: job.map(|j| j.status.clone()).unwrap_or_default(),
        row_errors: has_row_errors(&f),
        f,
        errors,
        stages,
        add_stage_error: if adding {
            feedback.message.clone()
        } else {
            None
        },
        add_stage_typed: if adding {
            feedback.typed
        } else {
            String::new()
        },
        remote_options: &REMOTE,
        employment_options: &EMPLOYMENT,
        level_options: &LEVELS,
        status_options: &STATUSES,
        kind_options: &KINDS,
    }
}

/// The viewer may edit the company's jobs (members otherwise get 403, outsiders 404).
async fn require_editor(
    state: &AppState,
    user: &CurrentUser,
    company_id: Uuid,
) -> Result<(), AppError> {
    match role_in(&state.db, company_id, user.id).await? {
        Some(r) if EDITORS.contains(&r) => Ok(()),
        Some(_) => Err(forbidden_role(EDITORS)),
        None => Err(AppError::not_found("Not found")),
    }
}

/// The company of a new job, for its members (others 404) who may post jobs (others 403).
async fn company_for_new_job(
    state: &AppState,
    user: &CurrentUser,
    company_id: Uuid,
) -> Result<String, AppError> {
    let company = crate::service::companies::get(state, company_id).await?;
    if let Err(e) = members::list(state, user, company_id).await {
        return Err(hide_from_outsiders(state, company_id, user, e).await);
    }
    require_editor(state, user, company_id).await?;
    Ok(company.name)
}

async fn new_form(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&id, "Company") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let name = match company_for_new_job(&state, &user, id).await {
        Ok(n) => n,
        Err(e) => return ctx.fail(e),
    };
    render(
        StatusCode::OK,
        &editor(
            &ctx,
            (id, name),
            None,
            JobForm::blank(),
            FieldErrors::default(),
            Vec::new(),
            StageFeedback::default(),
        ),
    )
}

async fn create(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let id = match parse_id(&id, "Company") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let name = match company_for_new_job(&state, &user, id).await {
        Ok(n) => n,
        Err(e) => return ctx.fail(e),
    };
    let mut f = JobForm::from_pairs(&fields);
    let mut errors = FieldErrors::default();
    let p = parse(&mut f, &mut errors);
    let refused = |f: JobForm, errors: FieldErrors, status: StatusCode| {
        render(
            status,
            &editor(
                &ctx,
                (id, name.clone()),
                None,
                f,
                errors,
                Vec::new(),
                StageFeedback::default(),
            ),
        )
    };
    if !errors.fields.is_empty() {
        return refused(f, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let opt = |s: &str| Some(s.to_owned());
    let input = JobCreate {
        company_id: Some(id),
        title: opt(&f.title),
        description: opt(&f.description),
        requirements: opt(&f.requirements),
        skills: Some(p.skills.clone()),
        location: opt(&f.location),
        remote: opt(&f.remote),
        employment_type: opt(&f.employment_type),
        experience_level: opt(&f.experience_level),
        salary_min: p.salary_min,
        salary_max: p.salary_max,
        currency: opt(&f.currency),
        screening_questions: Some(p.questions.clone()),
        status: opt(&f.status),
        closes_at: p.closes_at,
        stuck_after_days: p.stuck_after_days,
    };
    match svc::create(&state, &user, input).await {
        Ok(j) => redirect_with_flash(
            &format!("/hiring/jobs/{}/edit", j.id),
            "success",
            &format!(
                "“{}” is saved as {}. Its pipeline has the default stages; change them below.",
                j.title,
                if j.status == "open" {
                    "an open job"
                } else {
                    "a draft"
                }
            ),
        ),
        Err(err) if is_form_error(&err) => {
            let errors = place_errors(&mut f, &p, &err);
            refused(f, errors, err.status)
        }
        Err(err) => ctx.fail(err),
    }
}

/// Loads what the edit page shows; outsiders 404, interviewers 403.
async fn load_job(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<(JobView, Vec<StageView>), AppError> {
    // The stage list is for members only, so it also keeps outsiders out of open jobs' editor.
    let stages = pipeline::list(state, user, id).await?;
    let job = svc::get(state, Some(user), id).await?;
    require_editor(state, user, job.company.id).await?;
    Ok((job, stages))
}

async fn show_edit(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: Uuid,
    status: StatusCode,
    form: Option<(JobForm, FieldErrors)>,
    feedback: StageFeedback,
) -> Response {
    let (job, stages) = match load_job(state, user, id).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let (f, errors) = form.unwrap_or_else(|| (JobForm::of(&job), FieldErrors::default()));
    render(
        status,
        &editor(
            ctx,
            (job.company.id, job.company.name.clone()),
            Some(&job),
            f,
            errors,
            stages,
            feedback,
        ),
    )
}

async fn edit_form(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&id, "Job") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    show_edit(
        &state,
        &ctx,
        &user,
        id,
        StatusCode::OK,
        None,
        StageFeedback::default(),
    )
    .await
}

async fn save(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let id = match parse_id(&id, "Job") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let current = match load_job(&state, &user, id).await {
        Ok((j, _)) => j,
        Err(e) => return ctx.fail(e),
    };
    let mut f = JobForm::from_pairs(&fields);
    let mut errors = FieldErrors::default();
    let p = parse(&mut f, &mut errors);
    if !errors.fields.is_empty() {
        return show_edit(
            &state,
            &ctx,
            &user,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some((f, errors)),
            StageFeedback::default(),
        )
        .await;
    }
    let set = |s: &str| Patch::Value(s.to_owned());
    // An unchanged closing date is not sent: a date already past must not block other edits.
    let same_day = current.closes_at.map(|d| d.format("%Y-%m-%d").to_string())
        == (!f.closes_at.trim().is_empty()).then(|| f.closes_at.trim().to_owned());
    let input = JobUpdate {
        title: set(&f.title),
        description: set(&f.description),
        requirements: set(&f.requirements),
        skills: Patch::Value(p.skills.clone()),
        location: set(&f.location),
        remote: set(&f.remote),
        employment_type: set(&f.employment_type),
        experience_level: set(&f.experience_level),
        salary_min: p.salary_min.into(),
        salary_max: p.salary_max.into(),
        currency: set(&f.currency),
        screening_questions: Patch::Value(p.questions.clone()),
        status: set(&f.status),
        closes_at: if same_day {
            Patch::Absent
        } else {
            p.closes_at.into()
        },
        stuck_after_days: p.stuck_after_days.into(),
    };
    match svc::update(&state, &user, id, input).await {
        Ok(j) => redirect_with_flash(
            &format!("/hiring/jobs/{id}/edit"),
            "success",
            &format!("“{}” is saved.", j.title),
        ),
        Err(err) if is_form_error(&err) => {
            let errors = place_errors(&mut f, &p, &err);
            show_edit(
                &state,
                &ctx,
                &user,
                id,
                err.status,
                Some((f, errors)),
                StageFeedback::default(),
            )
            .await
        }
        Err(err) => ctx.fail(err),
    }
}

async fn delete(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let id = match parse_id(&id, "Job") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    match svc::delete(&state, &user, id).await {
        Ok(Removed::Deleted) => redirect_with_flash(
            "/hiring",
            "success",
            "The draft is deleted. Nobody had seen it, so nothing else changed.",
        ),
        Ok(Removed::Closed(j)) => redirect_with_flash(
            &format!("/hiring/jobs/{id}/edit"),
            "info",
            &format!(
                "“{}” is closed rather than deleted: it was published, so its applications are kept. It no longer takes applications.",
                j.title
            ),
        ),
        Err(err) => ctx.fail(err),
    }
}

// ---- stages ----

#[derive(Deserialize, Default)]
pub struct StageForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    position: String,
}

/// After a stage change: back to the stage editor, or the page with the refusal by the stage.
async fn stage_done(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: Uuid,
    result: Result<String, AppError>,
    target: Option<Uuid>,
    typed: String,
) -> Response {
    match result {
        Ok(msg) => redirect_with_flash(&format!("/hiring/jobs/{id}/edit#stages"), "success", &msg),
        Err(err) if is_form_error(&err) => {
            let message = match err.details.first() {
                Some(d) => format!("{} {}", humanize(&d.field), d.message),
                None => err.message.clone(),
            };
            let feedback = StageFeedback {
                target,
                message: Some(message),
                typed,
            };
            show_edit(state, ctx, user, id, err.status, None, feedback).await
        }
        Err(err) => ctx.fail(err),
    }
}

fn ids(job: &str, stage: &str) -> Result<(Uuid, Uuid), AppError> {
    Ok((parse_id(job, "Job")?, parse_id(stage, "Stage")?))
}

async fn add_stage(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<StageForm>,
) -> Response {
    let id = match parse_id(&id, "Job") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let input = StageCreate {
        name: Some(f.name.clone()),
        position: f.position.trim().parse().ok(),
    };
    let result = pipeline::add(&state, &user, id, input)
        .await
        .map(|_| format!("The stage “{}” is added.", f.name.trim()));
    stage_done(&state, &ctx, &user, id, result, None, f.name).await
}

async fn rename_stage(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((id, stage)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<StageForm>,
) -> Response {
    let (id, stage) = match ids(&id, &stage) {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let input = StageUpdate {
        name: Some(f.name.clone()),
        position: None,
    };
    let result = pipeline::update(&state, &user, id, stage, input)
        .await
        .map(|_| format!("The stage is renamed to “{}”.", f.name.trim()));
    stage_done(&state, &ctx, &user, id, result, Some(stage), f.name).await
}

async fn move_stage(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((id, stage)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<StageForm>,
) -> Response {
    let (id, stage) = match ids(&id, &stage) {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let Ok(position) = f.position.trim().parse::<i32>() else {
        let err = AppError::field("position", "must be a number");
        return stage_done(
            &state,
            &ctx,
            &user,
            id,
            Err(err),
            Some(stage),
            String::new(),
        )
        .await;
    };
    let input = StageUpdate {
        name: None,
        position: Some(position),
    };
    let result = pipeline::update(&state, &user, id, stage, input)
        .await
        .map(|stages| {
            let name = stages
                .iter()
                .find(|s| s.id == stage)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            format!(
                "“{name}” is now stage {} of {}.",
                position + 1,
                stages.len()
            )
        });
    stage_done(&state, &ctx, &user, id, result, Some(stage), String::new()).await
}

async fn delete_stage(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((id, stage)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let (id, stage) = match ids(&id, &stage) {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let result = pipeline::delete(&state, &user, id, stage)
        .await
        .map(|()| "The stage is deleted.".to_owned());
    stage_done(&state, &ctx, &user, id, result, Some(stage), String::new()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_in_major_units_of_the_currency() {
        let eur = form_currency("EUR");
        assert_eq!(parse_money("", eur), Ok(None));
        assert_eq!(parse_money("65000", eur), Ok(Some(6_500_000)));
        assert_eq!(parse_money("65,000.5", eur), Ok(Some(6_500_050)));
        assert_eq!(parse_money(" 1 234.05 ", eur), Ok(Some(123_405)));
        assert_eq!(parse_money("-5", eur), Ok(Some(-500)));
        for bad in ["abc", "1.234", "1e5", ".5", "99999999999999999999"] {
            assert!(parse_money(bad, eur).is_err(), "{bad}");
        }
        assert_eq!(major(6_500_000, eur), "65000");
        assert_eq!(major(6_500_050, eur), "65000.50");
        let jpy = form_currency(" JPY ");
        assert_eq!(parse_money("500000", jpy), Ok(Some(500_000)));
        assert!(parse_money("500000.5", jpy).is_err());
        assert_eq!(major(500_000, jpy), "500000");
        let kwd = form_currency("KWD");
        assert_eq!(parse_money("1.5", kwd), Ok(Some(1_500)));
        assert_eq!(major(1_500, kwd), "1.500");
        // No currency yet: two decimal places.
        assert_eq!(parse_money("10.25", form_currency("")), Ok(Some(1_025)));
    }

    #[test]
    fn row_names() {
        assert_eq!(row_key("skills[3][name]"), Some(("skills", 3, "name")));
        assert_eq!(
            row_key("questions[0][knockout]"),
            Some(("questions", 0, "knockout"))
        );
        assert_eq!(row_key("skills[x][name]"), None);
        assert_eq!(row_key("skills[999][name]"), None);
        assert_eq!(indexed("skills[2].weight", "skills["), Some((2, "weight")));
    }

    #[test]
    fn question_ids_from_text() {
        let used = vec!["do_you_need_a_visa".to_owned()];
        assert_eq!(
            question_id("Do you need a visa?", &[]),
            "do_you_need_a_visa"
        );
        assert_eq!(
            question_id("Do you need a visa?", &used),
            "do_you_need_a_visa_2"
        );
        assert_eq!(question_id("¿?", &[]), "question");
    }
}
