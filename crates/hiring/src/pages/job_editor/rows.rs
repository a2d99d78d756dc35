//! The skill and question rows of the form as typed: blank rows, ids made from a question's text.

use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub(super) struct SkillRow {
    pub(super) name: String,
    pub(super) weight: String,
    pub(super) required: bool,
    pub(super) name_error: Option<String>,
    pub(super) weight_error: Option<String>,
    /// Any other problem with the row.
    pub(super) error: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct QuestionRow {
    /// Kept across edits: answers refer to it. Made from the text for new questions.
    pub(super) id: String,
    pub(super) text: String,
    pub(super) kind: String,
    /// One option per line.
    pub(super) options: String,
    pub(super) required: bool,
    pub(super) knockout: String,
    pub(super) text_error: Option<String>,
    pub(super) kind_error: Option<String>,
    pub(super) options_error: Option<String>,
    pub(super) knockout_error: Option<String>,
    pub(super) error: Option<String>,
}

pub(super) fn knockout_text(v: &Option<Value>) -> String {
    match v {
        Some(Value::Bool(true)) => "yes".to_owned(),
        Some(Value::Bool(false)) => "no".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A question id made from its text: `[a-z0-9_]`, unique among `used`.
pub(super) fn question_id(text: &str, used: &[String]) -> String {
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

pub(super) fn skill_blank(s: &SkillRow) -> bool {
    s.name.trim().is_empty()
}

pub(super) fn question_blank(q: &QuestionRow) -> bool {
    q.text.trim().is_empty() && q.options.trim().is_empty() && q.knockout.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

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
