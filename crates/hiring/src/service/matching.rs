//! The match score: how well a candidate fits a job, with the explanation the candidate and the
//! recruiter both see. Pure and deterministic (integer arithmetic, sorted output, no database).
//!
//! # Formula
//!
//! Skills are compared by a canonical key: trimmed, whitespace collapsed, lower-cased, and mapped
//! through a synonym table (`JS`≈`JavaScript`, `Postgres`≈`PostgreSQL`≈`psql`, `K8s`≈`Kubernetes`,
//! …). A job listing the same skill twice (say `JS` and `JavaScript`) counts it once, with the
//! larger weight and `required` if either is.
//!
//! Every job skill `j` (weight `w_j`, clamped to 1–5) earns a credit `c_j` in per-mille:
//!
//! | evidence | credit |
//! |---|---|
//! | profile skill at level `L` (1–5) | `600 + 100·(L−1)`: 600, 700, 800, 900, 1000 |
//! | only found in the CV text | 500 (always less than any profile skill) |
//! | neither | 0 (the skill is *missing*) |
//!
//! `skills = Σ w_j·c_j / Σ w_j` (per-mille, 0–1000).
//!
//! The experience level fit (candidate vs job, on fresher < junior < mid < senior) earns `level`:
//! `exact` 1000, `above` (candidate more senior) 800, `below` (one step under) 500, `far_below`
//! (two or more steps under) 0, `unknown` (either level not given) 500.
//!
//! `score = round((80·skills + 20·level) / 1000)`, rounding halves up; the sum is taken in
//! thousandths of a point as `⌊80·Σ w_j·c_j / Σ w_j⌋ + 20·level`, so only integers are involved
//! and every platform computes the same score. A job without skills has no skill evidence, so
//! its score is `round(level / 10)`. If any *required* skill is missing the score is capped at
//! [`REQUIRED_MISSING_CAP`] (40).
//!
//! CV text is matched on whole words and phrases: the text is split into tokens of letters and
//! digits, where `+` and `#` stick to a token (`C++`, `C#`) and `.` joins two alphanumeric runs
//! (`Node.js`, `ASP.NET`), so `Go` never matches `good`, `Java` never matches `JavaScript` and
//! `JS` never matches inside `Node.js`. Aliases that are ordinary words or single letters (`go`,
//! `c`, `r`) only count when written with a capital (`Go`, `GO`), not as the verb "go".
//!
//! `matched` and `missing` are ordered by weight (heaviest first), then by name.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The highest score a candidate missing a required skill can get.
pub const REQUIRED_MISSING_CAP: u8 = 40;

/// Share of the score (percent) that skills and the level fit contribute.
const SKILLS_SHARE: u64 = 80;
const LEVEL_SHARE: u64 = 20;
const CV_CREDIT: u64 = 500;

/// Alias → canonical key. Keys not listed are their own canonical form.
const SYNONYMS: &[(&str, &str)] = &[
    ("js", "javascript"),
    ("javascript", "javascript"),
    ("ecmascript", "javascript"),
    ("ts", "typescript"),
    ("typescript", "typescript"),
    ("postgres", "postgresql"),
    ("postgresql", "postgresql"),
    ("psql", "postgresql"),
    ("k8s", "kubernetes"),
    ("kubernetes", "kubernetes"),
    ("golang", "go"),
    ("go", "go"),
    ("node", "node.js"),
    ("node.js", "node.js"),
    ("nodejs", "node.js"),
    ("node js", "node.js"),
    ("react", "react"),
    ("reactjs", "react"),
    ("react.js", "react"),
    ("c#", "c#"),
    ("csharp", "c#"),
    ("c sharp", "c#"),
    ("c++", "c++"),
    ("cpp", "c++"),
    ("py", "python"),
    ("python", "python"),
    ("ml", "machine learning"),
    ("machine learning", "machine learning"),
];

/// Aliases that are also everyday words or single letters: found in a CV only when capitalised.
const CASE_SENSITIVE_ALIASES: &[&str] = &["go", "c", "r"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExperienceLevel {
    Fresher,
    Junior,
    Mid,
    Senior,
}

impl ExperienceLevel {
    /// `fresher | junior | mid | senior` (case-insensitive); anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fresher" => Some(Self::Fresher),
            "junior" => Some(Self::Junior),
            "mid" => Some(Self::Mid),
            "senior" => Some(Self::Senior),
            _ => None,
        }
    }

    fn rank(self) -> i32 {
        match self {
            Self::Fresher => 0,
            Self::Junior => 1,
            Self::Mid => 2,
            Self::Senior => 3,
        }
    }
}

/// A skill a job asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobSkill {
    pub name: String,
    /// 1–5 (values outside are clamped).
    pub weight: u8,
    pub required: bool,
}

/// A skill on the candidate's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProfileSkill {
    pub name: String,
    /// 1–5 (values outside are clamped).
    pub level: u8,
}

/// Everything the engine looks at.
#[derive(Debug, Clone, Default)]
pub struct MatchInput<'a> {
    pub job_skills: &'a [JobSkill],
    pub job_level: Option<ExperienceLevel>,
    pub profile_skills: &'a [ProfileSkill],
    pub cv_text: &'a str,
    pub candidate_level: Option<ExperienceLevel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkillSource {
    Profile,
    Cv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LevelFit {
    Exact,
    Above,
    Below,
    FarBelow,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MatchedSkill {
    /// The skill as the job names it.
    pub skill: String,
    pub weight: u8,
    pub source: SkillSource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MissingSkill {
    /// The skill as the job names it.
    pub skill: String,
    pub weight: u8,
    pub required: bool,
}

/// The score and its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MatchResult {
    /// 0–100.
    pub score: u8,
    pub matched: Vec<MatchedSkill>,
    pub missing: Vec<MissingSkill>,
    pub level_fit: LevelFit,
}

/// Trimmed, whitespace collapsed, lower-cased.
fn normalize(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The key two skill names are compared by (synonyms folded together).
pub fn canonical_skill(name: &str) -> String {
    let n = normalize(name);
    SYNONYMS
        .iter()
        .find(|(alias, _)| *alias == n)
        .map(|(_, canon)| (*canon).to_owned())
        .unwrap_or(n)
}

/// Every way of writing the skill with this canonical key (the key itself included).
fn aliases(canon: &str) -> Vec<&str> {
    let mut out: Vec<&str> = SYNONYMS
        .iter()
        .filter(|(_, c)| *c == canon)
        .map(|(a, _)| *a)
        .collect();
    if !out.contains(&canon) {
        out.push(canon);
    }
    out
}

/// A word of the text: its lower-cased form and whether it was written all in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    lower: String,
    all_lowercase: bool,
}

/// Splits text into words: letters and digits, with `+`/`#` attached (`c++`, `c#`) and `.`
/// kept only between two alphanumerics (`node.js`, but not the full stop after "Go.").
fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, tokens: &mut Vec<Token>| {
        if !current.is_empty() {
            let lower = current.to_lowercase();
            let all_lowercase = lower == *current;
            tokens.push(Token {
                lower,
                all_lowercase,
            });
            current.clear();
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        let joins = c.is_alphanumeric()
            || ((c == '+' || c == '#') && !current.is_empty())
            || (c == '.'
                && i > 0
                && chars[i - 1].is_alphanumeric()
                && !current.is_empty()
                && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric()));
        if joins {
            current.push(c);
        } else {
            flush(&mut current, &mut tokens);
        }
    }
    flush(&mut current, &mut tokens);
    tokens
}

/// Whether the tokenised CV contains the alias as a whole word or phrase.
fn cv_contains(cv: &[Token], alias: &str) -> bool {
    let phrase = tokenize(alias);
    if phrase.is_empty() || phrase.len() > cv.len() {
        return false;
    }
    let case_sensitive = CASE_SENSITIVE_ALIASES.contains(&alias);
    cv.windows(phrase.len()).any(|w| {
        w.iter().zip(&phrase).all(|(t, p)| t.lower == p.lower)
            && !(case_sensitive && w.iter().all(|t| t.all_lowercase))
    })
}

/// A job skill after folding duplicates together.
struct Wanted {
    name: String,
    weight: u8,
    required: bool,
}

fn level_fit(job: Option<ExperienceLevel>, candidate: Option<ExperienceLevel>) -> LevelFit {
    match (job, candidate) {
        (Some(j), Some(c)) => match c.rank() - j.rank() {
            0 => LevelFit::Exact,
            d if d > 0 => LevelFit::Above,
            -1 => LevelFit::Below,
            _ => LevelFit::FarBelow,
        },
        _ => LevelFit::Unknown,
    }
}

fn level_credit(fit: LevelFit) -> u64 {
    match fit {
        LevelFit::Exact => 1000,
        LevelFit::Above => 800,
        LevelFit::Below => 500,
        LevelFit::FarBelow => 0,
        LevelFit::Unknown => 500,
    }
}

/// Heaviest first, then by name (case-insensitive, then exact, so the order is total).
fn by_weight_then_name(wa: u8, a: &str, wb: u8, b: &str) -> Ordering {
    wb.cmp(&wa)
        .then_with(|| a.to_lowercase().cmp(&b.to_lowercase()))
        .then_with(|| a.cmp(b))
}

/// Scores a candidate against a job. See the module documentation for the formula.
pub fn compute(input: &MatchInput<'_>) -> MatchResult {
    // Fold duplicate job skills (by canonical key) together, in a stable order.
    let mut wanted: BTreeMap<String, Wanted> = BTreeMap::new();
    for s in input.job_skills {
        let key = canonical_skill(&s.name);
        if key.is_empty() {
            continue;
        }
        let weight = s.weight.clamp(1, 5);
        wanted
            .entry(key)
            .and_modify(|w| {
                w.weight = w.weight.max(weight);
                w.required |= s.required;
            })
            .or_insert_with(|| Wanted {
                name: normalize_display(&s.name),
                weight,
                required: s.required,
            });
    }

    // The candidate's best level per canonical skill.
    let mut profile: BTreeMap<String, u8> = BTreeMap::new();
    for s in input.profile_skills {
        let key = canonical_skill(&s.name);
        if key.is_empty() {
            continue;
        }
        let level = s.level.clamp(1, 5);
        let entry = profile.entry(key).or_insert(level);
        *entry = (*entry).max(level);
    }

    let cv = tokenize(input.cv_text);
    let mut matched = Vec::new();
    let mut missing = Vec::new();
    let mut earned: u64 = 0;
    let mut total_weight: u64 = 0;
    for (key, w) in &wanted {
        let weight = u64::from(w.weight);
        total_weight += weight;
        if let Some(level) = profile.get(key) {
            earned += weight * (600 + 100 * u64::from(level - 1));
            matched.push(MatchedSkill {
                skill: w.name.clone(),
                weight: w.weight,
                source: SkillSource::Profile,
            });
        } else if aliases(key).iter().any(|a| cv_contains(&cv, a)) {
            earned += weight * CV_CREDIT;
            matched.push(MatchedSkill {
                skill: w.name.clone(),
                weight: w.weight,
                source: SkillSource::Cv,
            });
        } else {
            missing.push(MissingSkill {
                skill: w.name.clone(),
                weight: w.weight,
                required: w.required,
            });
        }
    }

    let fit = level_fit(input.job_level, input.candidate_level);
    let level = level_credit(fit);
    // Work in thousandths of a point; round half up at the end.
    // Without job skills there is no skill evidence: the level fit alone decides.
    let points = match (SKILLS_SHARE * earned).checked_div(total_weight) {
        Some(skills) => skills + LEVEL_SHARE * level,
        None => 100 * level,
    };
    let mut score = u8::try_from(((points + 500) / 1000).min(100)).unwrap_or(100);
    if missing.iter().any(|m| m.required) {
        score = score.min(REQUIRED_MISSING_CAP);
    }

    matched.sort_by(|a, b| by_weight_then_name(a.weight, &a.skill, b.weight, &b.skill));
    missing.sort_by(|a, b| by_weight_then_name(a.weight, &a.skill, b.weight, &b.skill));
    MatchResult {
        score,
        matched,
        missing,
        level_fit: fit,
    }
}

/// The job's spelling with whitespace tidied.
fn normalize_display(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    use ExperienceLevel::{Fresher, Junior, Mid, Senior};

    fn job(skills: &[(&str, u8, bool)]) -> Vec<JobSkill> {
        skills
            .iter()
            .map(|(n, w, r)| JobSkill {
                name: (*n).to_owned(),
                weight: *w,
                required: *r,
            })
            .collect()
    }

    fn prof(skills: &[(&str, u8)]) -> Vec<ProfileSkill> {
        skills
            .iter()
            .map(|(n, l)| ProfileSkill {
                name: (*n).to_owned(),
                level: *l,
            })
            .collect()
    }

    struct Case {
        name: &'static str,
        job: &'static [(&'static str, u8, bool)],
        job_level: Option<ExperienceLevel>,
        profile: &'static [(&'static str, u8)],
        cv: &'static str,
        level: Option<ExperienceLevel>,
        score: u8,
        fit: LevelFit,
        /// (skill, source) in the expected order.
        matched: &'static [(&'static str, SkillSource)],
        /// skills in the expected order.
        missing: &'static [&'static str],
    }

    use SkillSource::{Cv, Profile};

    const CASES: &[Case] = &[
        Case {
            name: "perfect profile match, exact level",
            job: &[("Rust", 5, true), ("SQL", 3, false)],
            job_level: Some(Mid),
            profile: &[("rust", 5), ("SQL", 5)],
            cv: "",
            level: Some(Mid),
            score: 100,
            fit: LevelFit::Exact,
            matched: &[("Rust", Profile), ("SQL", Profile)],
            missing: &[],
        },
        Case {
            name: "synonyms: JS≈JavaScript, Postgres≈psql, K8s≈Kubernetes",
            job: &[
                ("JavaScript", 3, false),
                ("psql", 2, false),
                ("K8s", 1, false),
            ],
            job_level: None,
            profile: &[("JS", 5), ("Postgres", 5), ("kubernetes", 5)],
            cv: "",
            level: None,
            // 80·1000 + 20·500 = 90 000 → 90
            score: 90,
            fit: LevelFit::Unknown,
            matched: &[("JavaScript", Profile), ("psql", Profile), ("K8s", Profile)],
            missing: &[],
        },
        Case {
            name: "synonyms: Golang, NodeJS, ReactJS, CSharp, CPP, Py, ML, TS",
            job: &[
                ("Go", 1, false),
                ("Node.js", 1, false),
                ("React", 1, false),
                ("C#", 1, false),
                ("C++", 1, false),
                ("Python", 1, false),
                ("Machine Learning", 1, false),
                ("TypeScript", 1, false),
            ],
            job_level: Some(Senior),
            profile: &[
                ("golang", 5),
                ("NodeJS", 5),
                ("ReactJS", 5),
                ("CSharp", 5),
                ("cpp", 5),
                ("py", 5),
                ("ml", 5),
                ("ts", 5),
            ],
            cv: "",
            level: Some(Senior),
            score: 100,
            fit: LevelFit::Exact,
            matched: &[
                ("C#", Profile),
                ("C++", Profile),
                ("Go", Profile),
                ("Machine Learning", Profile),
                ("Node.js", Profile),
                ("Python", Profile),
                ("React", Profile),
                ("TypeScript", Profile),
            ],
            missing: &[],
        },
        Case {
            name: "profile level weighs: level 1 earns 600‰",
            job: &[("Rust", 2, false)],
            job_level: Some(Junior),
            profile: &[("Rust", 1)],
            cv: "",
            level: Some(Junior),
            // 80·600 + 20·1000 = 68 000 → 68
            score: 68,
            fit: LevelFit::Exact,
            matched: &[("Rust", Profile)],
            missing: &[],
        },
        Case {
            name: "CV-only skill counts less than a profile skill",
            job: &[("Docker", 1, false), ("Rust", 1, false)],
            job_level: Some(Mid),
            profile: &[("Rust", 1)],
            cv: "Shipped services in Docker containers.",
            level: Some(Mid),
            // skills (600+500)/2 = 550 → 80·550 + 20·1000 = 64 000 → 64
            score: 64,
            fit: LevelFit::Exact,
            matched: &[("Docker", Cv), ("Rust", Profile)],
            missing: &[],
        },
        Case {
            name: "CV words: Go is not good or go, Java is not JavaScript",
            job: &[("Go", 3, false), ("Java", 3, false)],
            job_level: None,
            profile: &[],
            cv: "A good engineer writing JavaScript for Node.js; likes to go outside.",
            level: None,
            // no skill found → 80·0 + 20·500 = 10 000 → 10
            score: 10,
            fit: LevelFit::Unknown,
            matched: &[],
            missing: &["Go", "Java"],
        },
        Case {
            name: "CV words: JS is not found inside Node.js",
            job: &[("JS", 2, false)],
            job_level: None,
            profile: &[],
            cv: "Built APIs with Node.js and Express.",
            level: None,
            score: 10,
            fit: LevelFit::Unknown,
            matched: &[],
            missing: &["JS"],
        },
        Case {
            name: "CV words: C++, C#, Node.js, Go and phrases are found",
            job: &[
                ("C++", 2, false),
                ("C#", 2, false),
                ("NodeJS", 2, false),
                ("Golang", 2, false),
                ("Machine Learning", 2, false),
            ],
            job_level: None,
            profile: &[],
            cv: "Skills: C++, C#/.NET, Node.js. Wrote Go services; applied machine\nlearning.",
            level: None,
            // 80·500 + 20·500 = 50 000 → 50
            score: 50,
            fit: LevelFit::Unknown,
            matched: &[
                ("C#", Cv),
                ("C++", Cv),
                ("Golang", Cv),
                ("Machine Learning", Cv),
                ("NodeJS", Cv),
            ],
            missing: &[],
        },
        Case {
            name: "CV: C does not match C++ or C#; synonym aliases found in text (k8s, psql)",
            job: &[
                ("C", 3, false),
                ("Kubernetes", 2, false),
                ("PostgreSQL", 2, false),
            ],
            job_level: None,
            profile: &[],
            cv: "C++ and C# developer; runs K8s clusters and psql daily.",
            level: None,
            // skills (2·500 + 2·500)/7 = 285 → 80·285 + 20·500 = 32 800 → 33
            score: 33,
            fit: LevelFit::Unknown,
            matched: &[("Kubernetes", Cv), ("PostgreSQL", Cv)],
            missing: &["C"],
        },
        Case {
            name: "required skill missing caps the score at 40",
            job: &[("Rust", 5, false), ("SQL", 5, false), ("Kafka", 1, true)],
            job_level: Some(Mid),
            profile: &[("Rust", 5), ("SQL", 5)],
            cv: "",
            level: Some(Mid),
            // uncapped: skills 10 000/11 = 909 → 72 720 + 20 000 → 93, capped at 40
            score: 40,
            fit: LevelFit::Exact,
            matched: &[("Rust", Profile), ("SQL", Profile)],
            missing: &["Kafka"],
        },
        Case {
            name: "missing optional skill does not cap",
            job: &[("Rust", 5, true), ("Kafka", 1, false)],
            job_level: Some(Mid),
            profile: &[("Rust", 5)],
            cv: "",
            level: Some(Mid),
            // skills 5000/6 = 833 → 66 640 + 20 000 = 86 640 → 87
            score: 87,
            fit: LevelFit::Exact,
            matched: &[("Rust", Profile)],
            missing: &["Kafka"],
        },
        Case {
            name: "level above: candidate more senior than asked",
            job: &[("Rust", 1, false)],
            job_level: Some(Junior),
            profile: &[("Rust", 5)],
            cv: "",
            level: Some(Senior),
            score: 96,
            fit: LevelFit::Above,
            matched: &[("Rust", Profile)],
            missing: &[],
        },
        Case {
            name: "level below by one step",
            job: &[("Rust", 1, false)],
            job_level: Some(Senior),
            profile: &[("Rust", 5)],
            cv: "",
            level: Some(Mid),
            score: 90,
            fit: LevelFit::Below,
            matched: &[("Rust", Profile)],
            missing: &[],
        },
        Case {
            name: "level far below: two or more steps",
            job: &[("Rust", 1, false)],
            job_level: Some(Senior),
            profile: &[("Rust", 5)],
            cv: "",
            level: Some(Fresher),
            score: 80,
            fit: LevelFit::FarBelow,
            matched: &[("Rust", Profile)],
            missing: &[],
        },
        Case {
            name: "level unknown when the candidate gives none",
            job: &[("Rust", 1, false)],
            job_level: Some(Mid),
            profile: &[("Rust", 5)],
            cv: "",
            level: None,
            score: 90,
            fit: LevelFit::Unknown,
            matched: &[("Rust", Profile)],
            missing: &[],
        },
        Case {
            name: "empty job skills: the level alone decides",
            job: &[],
            job_level: Some(Mid),
            profile: &[("Rust", 5)],
            cv: "Rust",
            level: Some(Mid),
            score: 100,
            fit: LevelFit::Exact,
            matched: &[],
            missing: &[],
        },
        Case {
            name: "empty job skills and unknown level",
            job: &[],
            job_level: None,
            profile: &[],
            cv: "",
            level: None,
            score: 50,
            fit: LevelFit::Unknown,
            matched: &[],
            missing: &[],
        },
        Case {
            name: "rounding down: 73.33 → 73",
            job: &[("A", 1, false), ("B", 1, false), ("C", 1, false)],
            job_level: Some(Mid),
            profile: &[("a", 5), ("b", 5)],
            cv: "",
            level: Some(Mid),
            // 80·2000/3 = 53 333 + 20 000 = 73 333 → 73
            score: 73,
            fit: LevelFit::Exact,
            matched: &[("A", Profile), ("B", Profile)],
            missing: &["C"],
        },
        Case {
            name: "rounding up: 46.67 → 47",
            job: &[("A", 1, false), ("B", 2, false)],
            job_level: Some(Mid),
            profile: &[("a", 5)],
            cv: "",
            level: Some(Mid),
            // 80·1000/3 = 26 666 + 20 000 = 46 666 → 47
            score: 47,
            fit: LevelFit::Exact,
            matched: &[("A", Profile)],
            missing: &["B"],
        },
        Case {
            name: "ordering: heavier first; level one step below",
            job: &[("A", 1, false), ("B", 1, false), ("C", 2, false)],
            job_level: Some(Mid),
            profile: &[("a", 5), ("b", 5), ("c", 1)],
            cv: "",
            level: Some(Junior),
            // 80·(1000 + 1000 + 2·600)/4 = 64 000 + 10 000 = 74 000 → 74
            score: 74,
            fit: LevelFit::Below,
            matched: &[("C", Profile), ("A", Profile), ("B", Profile)],
            missing: &[],
        },
        Case {
            name: "ordering: weight desc then name; duplicates folded",
            job: &[
                ("zig", 2, false),
                ("Alpha", 2, false),
                ("JS", 1, false),
                ("JavaScript", 4, true),
                ("Beta", 5, false),
                ("Delta", 2, false),
            ],
            job_level: None,
            profile: &[("alpha", 5), ("Zig", 5), ("javascript", 5)],
            cv: "",
            level: None,
            // weights: Beta 5, JS 4 (folded), Alpha 2, Delta 2, zig 2 = 15; earned 8000
            // skills 533 → 42 640 + 10 000 = 52 640 → 53
            score: 53,
            fit: LevelFit::Unknown,
            matched: &[("JS", Profile), ("Alpha", Profile), ("zig", Profile)],
            missing: &["Beta", "Delta"],
        },
        Case {
            name: "profile wins over CV for the same skill; whitespace and case ignored",
            job: &[("  Machine   Learning ", 3, true)],
            job_level: None,
            profile: &[("ML", 3)],
            cv: "machine learning",
            level: None,
            // 80·800 + 20·500 = 74 000 → 74
            score: 74,
            fit: LevelFit::Unknown,
            matched: &[("Machine Learning", Profile)],
            missing: &[],
        },
        Case {
            name: "capitalised Go in the CV counts, lower-case go-karting does not",
            job: &[("Go", 1, true)],
            job_level: None,
            profile: &[],
            cv: "go-karting fan. GO and Rust.",
            level: None,
            score: 50,
            fit: LevelFit::Unknown,
            matched: &[("Go", Cv)],
            missing: &[],
        },
    ];

    #[test]
    fn table_of_cases() {
        assert!(CASES.len() >= 15);
        for c in CASES {
            let job_skills = job(c.job);
            let profile_skills = prof(c.profile);
            let r = compute(&MatchInput {
                job_skills: &job_skills,
                job_level: c.job_level,
                profile_skills: &profile_skills,
                cv_text: c.cv,
                candidate_level: c.level,
            });
            assert_eq!(r.score, c.score, "{}: score; got {r:?}", c.name);
            assert_eq!(r.level_fit, c.fit, "{}: level fit", c.name);
            let matched: Vec<(&str, SkillSource)> = r
                .matched
                .iter()
                .map(|m| (m.skill.as_str(), m.source))
                .collect();
            assert_eq!(matched, c.matched, "{}: matched", c.name);
            let missing: Vec<&str> = r.missing.iter().map(|m| m.skill.as_str()).collect();
            assert_eq!(missing, c.missing, "{}: missing", c.name);
            assert!(r.score <= 100);
        }
    }

    #[test]
    fn deterministic_and_independent_of_input_order() {
        let a = job(&[("Rust", 3, true), ("SQL", 3, false), ("Go", 3, false)]);
        let mut b = a.clone();
        b.reverse();
        let p = prof(&[("sql", 2)]);
        let input = |skills| MatchInput {
            job_skills: skills,
            job_level: Some(Mid),
            profile_skills: &p,
            cv_text: "Rust and Go",
            candidate_level: Some(Junior),
        };
        let first = compute(&input(&a));
        assert_eq!(first, compute(&input(&a)));
        assert_eq!(first, compute(&input(&b)));
    }

    #[test]
    fn canonical_keys_fold_synonyms() {
        let table = [
            ("JS", "javascript"),
            (" javascript ", "javascript"),
            ("TS", "typescript"),
            ("Postgres", "postgresql"),
            ("psql", "postgresql"),
            ("K8s", "kubernetes"),
            ("Golang", "go"),
            ("Node", "node.js"),
            ("NodeJS", "node.js"),
            ("ReactJS", "react"),
            ("CSharp", "c#"),
            ("CPP", "c++"),
            ("Py", "python"),
            ("ML", "machine learning"),
            ("Machine  Learning", "machine learning"),
            ("Rust", "rust"),
        ];
        for (name, key) in table {
            assert_eq!(canonical_skill(name), key, "{name}");
        }
    }

    #[test]
    fn tokens_keep_symbols_and_dotted_names() {
        let words: Vec<String> = tokenize("C++, C#/.NET; Node.js. Go! e-mail")
            .into_iter()
            .map(|t| t.lower)
            .collect();
        assert_eq!(
            words,
            ["c++", "c#", "net", "node.js", "go", "e", "mail"].map(String::from)
        );
    }

    #[test]
    fn serialises_in_the_api_shape() {
        let skills = job(&[("Rust", 2, true)]);
        let r = compute(&MatchInput {
            job_skills: &skills,
            job_level: Some(Mid),
            candidate_level: Some(Fresher),
            ..Default::default()
        });
        let v = serde_json::to_value(&r).unwrap_or_default();
        assert_eq!(v["level_fit"], "far_below");
        assert_eq!(v["missing"][0]["required"], true);
        assert_eq!(v["score"], 0);
    }
}
