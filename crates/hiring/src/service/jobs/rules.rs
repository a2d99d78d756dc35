//! Job fields and their rules: the form as given (create or update) checked into what is stored.

use chrono::{DateTime, Utc};
use vertechie_kernel::money::Currency;
use vertechie_kernel::text::{clean, clean_text};
use vertechie_kernel::{AppResult, Validator};

use crate::model::job;
use crate::service::matching::{self, JobSkill};

use super::{
    DESCRIPTION_MAX, EMPLOYMENT_TYPES, JobCreate, JobUpdate, LEVELS, LOCATION_MAX, OPTION_MAX,
    OPTIONS_MAX, QUESTION_ID_MAX, QUESTION_KINDS, QUESTION_TEXT_MAX, QUESTIONS_MAX, QuestionInput,
    REMOTE, REQUIREMENTS_MAX, SKILL_NAME_MAX, SKILLS_MAX, STATUSES, STUCK_AFTER_DAYS_DEFAULT,
    ScreeningQuestion, SkillInput, TITLE_MAX,
};

#[derive(Debug, Default, Clone)]
pub(super) struct Fields {
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) requirements: Option<String>,
    pub(super) skills: Vec<SkillInput>,
    pub(super) location: Option<String>,
    pub(super) remote: Option<String>,
    pub(super) employment_type: Option<String>,
    pub(super) experience_level: Option<String>,
    pub(super) salary_min: Option<i64>,
    pub(super) salary_max: Option<i64>,
    pub(super) currency: Option<String>,
    pub(super) questions: Vec<QuestionInput>,
    pub(super) status: Option<String>,
    pub(super) closes_at: Option<DateTime<Utc>>,
    pub(super) stuck_after_days: i64,
}

pub(super) fn clean_lower(s: &str) -> Option<String> {
    clean(s).map(|s| s.to_lowercase())
}

/// Markdown stays as given; only all-blank text counts as absent.
fn keep_text(s: &str) -> Option<String> {
    clean_text(s).map(|_| s.to_owned())
}

pub(super) fn stored_skills(j: &job::Model) -> Vec<JobSkill> {
    serde_json::from_str(&j.skills).unwrap_or_default()
}

pub(super) fn stored_questions(j: &job::Model) -> Vec<ScreeningQuestion> {
    serde_json::from_str(&j.screening_questions).unwrap_or_default()
}

impl Fields {
    pub(super) fn of(j: &job::Model) -> Self {
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

    pub(super) fn from_create(input: JobCreate) -> Self {
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

    pub(super) fn apply(&mut self, u: JobUpdate) {
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
    pub(super) fn validate(
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

pub(super) fn skill_keys(skills: &[JobSkill]) -> String {
    let mut out = String::from("|");
    for s in skills {
        out.push_str(&matching::canonical_skill(&s.name));
        out.push('|');
    }
    out
}
