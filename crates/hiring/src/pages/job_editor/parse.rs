//! The typed form turned into service input, and a service error spread back over the form.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use vertechie_kernel::AppError;
use vertechie_web::FieldErrors;

use super::form::{JobForm, form_currency, parse_money};
use super::rows::{question_blank, question_id, skill_blank};
use crate::service::jobs::{QuestionInput, SkillInput};

/// What the service receives, and which form row each list entry came from.
pub(super) struct Parsed {
    pub(super) skills: Vec<SkillInput>,
    pub(super) skill_rows: Vec<usize>,
    pub(super) questions: Vec<QuestionInput>,
    pub(super) question_rows: Vec<usize>,
    pub(super) salary_min: Option<i64>,
    pub(super) salary_max: Option<i64>,
    pub(super) closes_at: Option<DateTime<Utc>>,
    pub(super) stuck_after_days: Option<i64>,
}

/// Turns the typed form into service input; problems the service cannot see (a salary that is
/// not a number, a date that is not a date) are marked on the form.
pub(super) fn parse(f: &mut JobForm, errors: &mut FieldErrors) -> Parsed {
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
pub(super) fn place_errors(f: &mut JobForm, p: &Parsed, err: &AppError) -> FieldErrors {
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
pub(super) fn indexed<'a>(k: &'a str, prefix: &str) -> Option<(usize, &'a str)> {
    let rest = k.strip_prefix(prefix)?;
    let (i, key) = rest.split_once("].")?;
    Some((i.parse().ok()?, key))
}

/// Row-level errors the page found itself also appear in the summary at the top.
pub(super) fn has_row_errors(f: &JobForm) -> bool {
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
