//! The form as typed: the job's fields, read from a posted form or a stored job, amounts in
//! major units of the form's currency.

use vertechie_kernel::money::{Currency, Money, MoneyError};

use super::rows::{QuestionRow, SkillRow, knockout_text, question_blank, skill_blank};
use crate::pages::company_admin::field;
use crate::service::jobs::{self as svc, JobView};

/// Blank rows offered after the existing skills and questions.
const BLANK_SKILLS: usize = 3;
const BLANK_QUESTIONS: usize = 2;
/// Rows read from a posted form at most (the service allows 50 skills and 20 questions).
const MAX_ROWS: usize = 60;

#[derive(Debug, Clone, Default)]
pub(super) struct JobForm {
    pub(super) title: String,
    pub(super) description: String,
    pub(super) requirements: String,
    pub(super) location: String,
    pub(super) remote: String,
    pub(super) employment_type: String,
    pub(super) experience_level: String,
    /// Major units, e.g. "65000" or "65000.50".
    pub(super) salary_min: String,
    pub(super) salary_max: String,
    pub(super) currency: String,
    pub(super) status: String,
    /// YYYY-MM-DD; the job closes at the end of that day (UTC).
    pub(super) closes_at: String,
    pub(super) stuck_after_days: String,
    pub(super) skills: Vec<SkillRow>,
    pub(super) questions: Vec<QuestionRow>,
}

/// The currency the form's amounts are typed in: the form's own, or two decimal places while it
/// is blank or not a currency code (the service then says what is wrong with it).
pub(super) fn form_currency(code: &str) -> Currency {
    Currency::assume(code.trim()).unwrap_or(Currency::NONE)
}

/// Minor units as the form shows them: "6500000" EUR → "65000", "500000" JPY → "500000".
fn major(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).plain()
}

/// Major units as typed → minor units of the currency; blank is `None`.
pub(super) fn parse_money(s: &str, currency: Currency) -> Result<Option<i64>, MoneyError> {
    match Money::parse(s, currency) {
        Ok(m) => Ok(Some(m.minor)),
        Err(MoneyError::Empty) => Ok(None),
        Err(e) => Err(e),
    }
}

impl JobForm {
    pub(super) fn blank() -> Self {
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

    pub(super) fn of(j: &JobView) -> Self {
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
    pub(super) fn pad(&mut self) {
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
    pub(super) fn from_pairs(fields: &[(String, String)]) -> Self {
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

#[cfg(test)]
mod tests {
    use super::super::parse::indexed;
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
}
