//! How jobs, salaries, dates and matches read on the candidate pages (shared with the
//! applications and company pages).

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use vertechie_kernel::money::{Currency, Money};

use crate::service::jobs::JobView;
use crate::service::matching::{LevelFit, MatchResult, SkillSource};

/// A job as the result lists show it.
pub struct JobCard {
    pub id: String,
    pub title: String,
    pub company: String,
    pub company_slug: String,
    pub verified: bool,
    pub location: Option<String>,
    pub remote: &'static str,
    pub employment_type: &'static str,
    pub level: &'static str,
    pub salary: Option<String>,
    pub skills: Vec<String>,
    /// "today", "3 days ago", "on 4 Mar 2026".
    pub posted: String,
    /// RFC 3339, for `<time datetime>`.
    pub posted_iso: String,
    pub stale: bool,
    /// "Closes in 3 days" when the deadline is near.
    pub closing: Option<String>,
    /// "Responds to 80% of applicants".
    pub response_rate: Option<String>,
    /// Not taking applications (closed, draft, or past its deadline).
    pub closed: bool,
}

impl JobCard {
    pub fn of(j: &JobView, now: DateTime<Utc>) -> Self {
        let posted_at = j.published_at.unwrap_or(j.created_at);
        Self {
            id: j.id.to_string(),
            title: j.title.clone(),
            company: j.company.name.clone(),
            company_slug: j.company.slug.clone(),
            verified: j.company.verified,
            location: j.location.clone(),
            remote: remote_label(&j.remote),
            employment_type: employment_label(&j.employment_type),
            level: j.experience_level.as_deref().map(level_label).unwrap_or(""),
            salary: salary_range(j.salary_min, j.salary_max, j.currency.as_deref()),
            skills: j.skills.iter().map(|s| s.name.clone()).collect(),
            posted: ago(posted_at, now),
            posted_iso: posted_at.to_rfc3339(),
            stale: j.stale,
            closing: closing_hint(j.closes_at, now),
            response_rate: j.response_rate.map(response_label),
            closed: !accepting(j, now),
        }
    }
}

/// Whether the job takes applications now.
pub fn accepting(j: &JobView, now: DateTime<Utc>) -> bool {
    j.status == "open" && j.closes_at.is_none_or(|c| c > now)
}

pub fn remote_label(v: &str) -> &'static str {
    match v {
        "onsite" => "On-site",
        "hybrid" => "Hybrid",
        "remote" => "Remote",
        _ => "",
    }
}

pub fn employment_label(v: &str) -> &'static str {
    match v {
        "full_time" => "Full-time",
        "part_time" => "Part-time",
        "contract" => "Contract",
        "internship" => "Internship",
        "temporary" => "Temporary",
        _ => "",
    }
}

pub fn level_label(v: &str) -> &'static str {
    match v {
        "fresher" => "Fresher",
        "junior" => "Junior",
        "mid" => "Mid-level",
        "senior" => "Senior",
        _ => "",
    }
}

/// "Applied", "Phone screen" — stage names are stored as typed, often lower-case.
pub fn stage_label(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// How an application's status reads to the candidate.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "active" => "In progress",
        "rejected" => "Not selected",
        "withdrawn" => "Withdrawn",
        _ => "Unknown",
    }
}

/// An amount in minor units as people read it, in its currency's decimal places
/// (`kernel::money`): "€60,000", "$1,234.50", "¥500,000", "KWD 1.500", "CHF 90,000".
pub fn money(minor: i64, currency: &str) -> String {
    match Currency::assume(currency) {
        Some(c) => Money::new(minor, c).display(),
        None => format!("{currency} {minor}"),
    }
}

/// "€60,000 – €80,000", "From €60,000", "Up to €80,000"; nothing without a currency.
pub fn salary_range(min: Option<i64>, max: Option<i64>, currency: Option<&str>) -> Option<String> {
    let c = currency?;
    match (min, max) {
        (Some(a), Some(b)) if a == b => Some(money(a, c)),
        (Some(a), Some(b)) => Some(format!("{} – {}", money(a, c), money(b, c))),
        (Some(a), None) => Some(format!("From {}", money(a, c))),
        (None, Some(b)) => Some(format!("Up to {}", money(b, c))),
        (None, None) => None,
    }
}

/// "today", "yesterday", "5 days ago", "on 4 Mar 2026".
pub fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    match (now - at).num_days() {
        d if d <= 0 => "today".to_owned(),
        1 => "yesterday".to_owned(),
        d if d < 31 => format!("{d} days ago"),
        _ => format!("on {}", date(at)),
    }
}

/// "4 Mar 2026".
pub fn date(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

/// A hint when the deadline is within a week.
pub fn closing_hint(closes_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<String> {
    let at = closes_at?;
    if at <= now || at - now > Duration::days(7) {
        return None;
    }
    Some(match (at - now).num_days() {
        0 => "Closes today".to_owned(),
        1 => "Closes tomorrow".to_owned(),
        d => format!("Closes in {d} days"),
    })
}

/// "Responds to 80% of applicants".
pub fn response_label(rate: f64) -> String {
    let pct = (rate.clamp(0.0, 1.0) * 100.0).round() as u32;
    format!("Responds to {pct}% of applicants")
}

/// Text kept as typed, in paragraphs (blank lines separate them; line breaks stay).
fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(cur.join("\n"));
                cur.clear();
            }
        } else {
            cur.push(line.trim_end());
        }
    }
    if !cur.is_empty() {
        out.push(cur.join("\n"));
    }
    out
}

/// A block of stored markdown as the pages show it: headings and bullet lists keep their
/// shape; everything else (emphasis, links, HTML) stays as typed and is escaped by the template.
pub struct TextBlock {
    pub heading: bool,
    /// The bullets of a list (empty otherwise).
    pub items: Vec<String>,
    pub text: String,
}

fn heading(line: &str) -> Option<&str> {
    let l = line.trim_start();
    let hashes = l.chars().take_while(|c| *c == '#').count();
    let rest = l[hashes..].strip_prefix(' ')?.trim();
    ((1..=6).contains(&hashes) && !rest.is_empty()).then_some(rest)
}

fn bullet(line: &str) -> Option<&str> {
    let l = line.trim_start();
    ["- ", "* ", "+ "]
        .iter()
        .find_map(|p| l.strip_prefix(p))
        .map(str::trim)
}

/// Markdown text in blocks: `# Heading` lines, `- item` lists, and paragraphs.
pub fn blocks(text: &str) -> Vec<TextBlock> {
    paragraphs(text)
        .into_iter()
        .map(|p| {
            let lines: Vec<&str> = p.lines().collect();
            if let [one] = lines.as_slice()
                && let Some(h) = heading(one)
            {
                return TextBlock {
                    heading: true,
                    items: Vec::new(),
                    text: h.to_owned(),
                };
            }
            let items: Option<Vec<String>> =
                lines.iter().map(|l| bullet(l).map(str::to_owned)).collect();
            match items {
                Some(items) => TextBlock {
                    heading: false,
                    items,
                    text: String::new(),
                },
                None => TextBlock {
                    heading: false,
                    items: Vec::new(),
                    text: p,
                },
            }
        })
        .collect()
}

/// A screening answer as text: "Yes"/"No", numbers and choices as given.
pub fn answer_text(v: &Value) -> String {
    match v {
        Value::Bool(true) => "Yes".to_owned(),
        Value::Bool(false) => "No".to_owned(),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A matched skill in the panel.
pub struct MatchedRow {
    pub skill: String,
    /// "your profile" | "your CV"
    pub source: &'static str,
}

/// A missing skill in the panel.
pub struct MissingRow {
    pub skill: String,
    pub required: bool,
}

/// "How you match": the score with the same explanation the API gives.
pub struct MatchPanel {
    pub score: u8,
    /// "Strong match" … "Low match".
    pub verdict: &'static str,
    pub matched: Vec<MatchedRow>,
    pub missing: Vec<MissingRow>,
    pub level: &'static str,
    /// A required skill is missing, which caps the score.
    pub capped: bool,
}

impl MatchPanel {
    pub fn of(m: &MatchResult) -> Self {
        Self {
            score: m.score,
            verdict: match m.score {
                75.. => "Strong match",
                50..=74 => "Good match",
                30..=49 => "Partial match",
                _ => "Low match",
            },
            matched: m
                .matched
                .iter()
                .map(|s| MatchedRow {
                    skill: s.skill.clone(),
                    source: match s.source {
                        SkillSource::Profile => "your profile",
                        SkillSource::Cv => "your CV",
                    },
                })
                .collect(),
            missing: m
                .missing
                .iter()
                .map(|s| MissingRow {
                    skill: s.skill.clone(),
                    required: s.required,
                })
                .collect(),
            level: match m.level_fit {
                LevelFit::Exact => "Your experience level is the one this job asks for.",
                LevelFit::Above => "You are more experienced than this job asks for.",
                LevelFit::Below => "This job asks for one level more experience than you have.",
                LevelFit::FarBelow => "This job asks for much more experience than you have.",
                LevelFit::Unknown => {
                    "Experience level not compared: the job or your profile does not give one."
                }
            },
            capped: m.missing.iter().any(|s| s.required),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_well() {
        assert_eq!(money(6_000_000, "EUR"), "€60,000");
        assert_eq!(money(123_450, "USD"), "$1,234.50");
        assert_eq!(money(9_000_000, "CHF"), "CHF 90,000");
        assert_eq!(money(500_000, "JPY"), "¥500,000");
        assert_eq!(money(1_500, "KWD"), "KWD 1.500");
        assert_eq!(money(0, "GBP"), "£0");
        assert_eq!(
            salary_range(Some(6_000_000), Some(8_000_000), Some("EUR")).as_deref(),
            Some("€60,000 – €80,000")
        );
        assert_eq!(
            salary_range(Some(100), None, Some("USD")).as_deref(),
            Some("From $1")
        );
        assert_eq!(
            salary_range(None, Some(100), Some("USD")).as_deref(),
            Some("Up to $1")
        );
        assert_eq!(salary_range(Some(1), Some(2), None), None);
        assert_eq!(salary_range(None, None, Some("USD")), None);
    }

    #[test]
    fn dates_and_hints() {
        let now = Utc::now();
        assert_eq!(ago(now, now), "today");
        assert_eq!(ago(now - Duration::days(1), now), "yesterday");
        assert_eq!(ago(now - Duration::days(5), now), "5 days ago");
        assert!(ago(now - Duration::days(40), now).starts_with("on "));
        assert_eq!(
            closing_hint(Some(now + Duration::hours(3)), now).as_deref(),
            Some("Closes today")
        );
        assert_eq!(
            closing_hint(Some(now + Duration::days(3) + Duration::hours(1)), now).as_deref(),
            Some("Closes in 3 days")
        );
        assert_eq!(closing_hint(Some(now + Duration::days(20)), now), None);
        assert_eq!(closing_hint(Some(now - Duration::days(1)), now), None);
        assert_eq!(response_label(0.8), "Responds to 80% of applicants");
    }

    #[test]
    fn paragraphs_keep_line_breaks() {
        assert_eq!(
            paragraphs("## About\n\n  We build *things*.\nAnd more.\n\n\n<b>x</b>"),
            vec!["## About", "  We build *things*.\nAnd more.", "<b>x</b>"]
        );
        assert!(paragraphs("  \n \n").is_empty());
    }

    #[test]
    fn markdown_keeps_its_shape_as_text() {
        let b = blocks("## About *us*\n\n- one\n* two <b>\n\nText\n- not a list\n\n#nospace");
        assert_eq!(b.len(), 4);
        assert!(b[0].heading && b[0].text == "About *us*");
        assert_eq!(b[1].items, vec!["one", "two <b>"]);
        assert!(!b[2].heading && b[2].items.is_empty() && b[2].text == "Text\n- not a list");
        assert!(!b[3].heading && b[3].text == "#nospace");
    }

    #[test]
    fn labels() {
        assert_eq!(stage_label("interview"), "Interview");
        assert_eq!(answer_text(&Value::Bool(false)), "No");
        assert_eq!(answer_text(&serde_json::json!(4)), "4");
        assert_eq!(status_label("rejected"), "Not selected");
    }
}
