//! The profile editor (`/profile`) and the public profile page (`/u/{username}`).
//!
//! Every section of the editor is its own form; a successful POST redirects back to its section
//! with a flash message, a refused one re-renders the whole editor (422) with the typed values and
//! the service's field errors in that section only. This file: the router and the helpers the
//! people pages share; `forms.rs` the section forms, `editor.rs` the editor and its handlers,
//! `public.rs` the public profile page.

mod editor;
mod forms;
mod public;

use editor::*;
use forms::*;
use public::*;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, Patch, UserId};
use vertechie_web::{
    CsrfForm, FieldErrors, Page, PageCtx, SignedIn, parse_id, redirect_with_flash, render,
};

use super::{form_errors, is_form_error};
use crate::service::discovery::{Completeness, completeness};
use crate::service::profile::{
    self as svc, CvInput, EducationInput, ExperienceInput, ProfileUpdate, SkillInput,
};
use crate::service::views::{EducationView, ExperienceView, PublicUserView, SkillView, UserView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile", get(editor).post(save_basics))
        .route("/profile/skills", post(add_skill))
        .route("/profile/skills/remove", post(remove_skill))
        .route("/profile/experiences", post(add_experience))
        .route("/profile/experiences/{id}", post(update_experience))
        .route("/profile/experiences/{id}/delete", post(delete_experience))
        .route("/profile/education", post(add_education))
        .route("/profile/education/{id}", post(update_education))
        .route("/profile/education/{id}/delete", post(delete_education))
        .route("/profile/cv", post(save_cv))
        .route("/u/{username}", get(public_page))
}

// ---- shared helpers (also used by the people pages) ----

/// Up to two initials of a name, for the avatar circle.
pub(super) fn initials(name: &str) -> String {
    let s: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    if s.is_empty() {
        "?".into()
    } else {
        s.to_uppercase()
    }
}

/// How a skill level (1–5) reads.
pub(super) fn level_label(level: i32) -> &'static str {
    match level {
        1 => "Beginner",
        2 => "Elementary",
        3 => "Intermediate",
        4 => "Advanced",
        _ => "Expert",
    }
}

/// How an experience level reads.
pub(super) fn experience_label(level: &str) -> &'static str {
    match level {
        "fresher" => "Fresher",
        "junior" => "Junior",
        "mid" => "Mid-level",
        "senior" => "Senior",
        _ => "",
    }
}

/// The experience levels the editor offers (value, label).
pub(super) const EXPERIENCE_LEVELS: [(&str, &str); 4] = [
    ("fresher", "Fresher"),
    ("junior", "Junior"),
    ("mid", "Mid-level"),
    ("senior", "Senior"),
];

/// A skill as the pages show it.
pub struct SkillRow {
    pub name: String,
    pub level: i32,
    pub label: &'static str,
    /// Filled and empty dots, e.g. "●●●○○" (decorative).
    pub dots: String,
}

impl From<SkillView> for SkillRow {
    fn from(s: SkillView) -> Self {
        let level = s.level.clamp(1, 5);
        Self {
            name: s.name,
            level,
            label: level_label(level),
            dots: "●".repeat(level as usize) + &"○".repeat(5 - level as usize),
        }
    }
}

/// "Sep 2021 – present" / "Sep 2021 – Mar 2023".
pub(super) fn experience_dates(e: &ExperienceView) -> String {
    let start = e.start_date.format("%b %Y");
    match e.end_date {
        _ if e.is_current => format!("{start} – present"),
        Some(end) => format!("{start} – {}", end.format("%b %Y")),
        None => start.to_string(),
    }
}

/// "BSc, Computer Science · 2016 – 2020 · First class" (the parts that are there).
pub(super) fn education_line(e: &EducationView) -> String {
    let years = match (e.start_year, e.end_year) {
        (Some(s), Some(end)) if s == end => s.to_string(),
        (Some(s), Some(end)) => format!("{s} – {end}"),
        (Some(s), None) => format!("from {s}"),
        (None, Some(end)) => format!("until {end}"),
        (None, None) => String::new(),
    };
    let study = [e.degree.as_deref(), e.field_of_study.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    [
        study.as_str(),
        years.as_str(),
        e.grade.as_deref().unwrap_or(""),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" · ")
}

pub(super) fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn exp(start: &str, end: Option<&str>, current: bool) -> ExperienceView {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        ExperienceView {
            id: Uuid::nil(),
            title: "t".into(),
            company: "c".into(),
            location: None,
            start_date: d(start),
            end_date: end.map(d),
            is_current: current,
            description: None,
        }
    }

    #[test]
    fn dates_read_well() {
        assert_eq!(
            experience_dates(&exp("2021-09-01", None, true)),
            "Sep 2021 – present"
        );
        assert_eq!(
            experience_dates(&exp("2021-09-01", Some("2023-03-31"), false)),
            "Sep 2021 – Mar 2023"
        );
        assert_eq!(
            experience_dates(&exp("2021-09-01", None, false)),
            "Sep 2021"
        );
    }

    #[test]
    fn years_and_levels() {
        assert_eq!(year(""), None);
        assert_eq!(year(" 2020 "), Some(2020));
        assert_eq!(year("twenty"), Some(0));
        assert_eq!(level_label(4), "Advanced");
        assert_eq!(
            SkillRow::from(SkillView {
                name: "Rust".into(),
                level: 2
            })
            .dots,
            "●●○○○"
        );
        assert_eq!(initials("Ada Lovelace"), "AL");
    }
}
