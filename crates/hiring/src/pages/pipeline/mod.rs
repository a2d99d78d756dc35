//! The pipeline kanban (`/hiring/jobs/{id}/pipeline`) and the candidate drawer
//! (`/hiring/applications/{id}`): columns per stage with a move form on every card (the no-JS
//! and keyboard path; `kanban.js` adds drag and drop over the same form), bulk reject, and on the
//! drawer the profile summary, answers, match explanation, timeline, notes, scorecards, move and
//! reject.

mod board;
mod drawer;
mod forms;

use axum::Router;
use axum::routing::{get, post};
use uuid::Uuid;
use vertechie_kernel::{AppError, AppState};

use super::company_admin::humanize;
use crate::service::applications::REJECT_REASONS;
use board::{board, bulk_reject, move_card};
use drawer::drawer;
use forms::{add_note, add_scorecard, reject};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hiring/jobs/{id}/pipeline", get(board))
        .route("/hiring/jobs/{id}/bulk-reject", post(bulk_reject))
        .route("/hiring/applications/{id}", get(drawer))
        .route("/hiring/applications/{id}/move", post(move_card))
        .route("/hiring/applications/{id}/reject", post(reject))
        .route("/hiring/applications/{id}/notes", post(add_note))
        .route("/hiring/applications/{id}/scorecards", post(add_scorecard))
}

fn reason_label(r: &str) -> String {
    match r {
        "not_a_fit" => "Not a fit".to_owned(),
        "salary" => "Salary expectations".to_owned(),
        "position_filled" => "Position filled".to_owned(),
        "knockout" => "Knockout answer".to_owned(),
        other => humanize(other),
    }
}

fn recommendation_label(r: &str) -> &'static str {
    match r {
        "strong_no" => "Strong no",
        "no" => "No",
        "yes" => "Yes",
        "strong_yes" => "Strong yes",
        _ => "—",
    }
}

fn reason_options() -> Vec<(&'static str, String)> {
    REJECT_REASONS
        .iter()
        .map(|r| (*r, reason_label(r)))
        .collect()
}

fn board_url(job: Uuid, sort: &str) -> String {
    if sort == "match" {
        format!("/hiring/jobs/{job}/pipeline?sort=match")
    } else {
        format!("/hiring/jobs/{job}/pipeline")
    }
}

/// A `back` target from a form: a path on this site, else `fallback`.
fn back_or(back: &str, fallback: String) -> String {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back.to_owned()
    } else {
        fallback
    }
}

/// The first problem of a refused request, in words.
fn message_of(err: &AppError) -> String {
    match err.details.first() {
        Some(d) => format!("{}: {}", humanize(&d.field), d.message),
        None => err.message.clone(),
    }
}
