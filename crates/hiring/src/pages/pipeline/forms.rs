//! The drawer's forms: a note, a rejection, a scorecard (a refused one re-renders the drawer
//! with the input kept and the errors in place).

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use vertechie_kernel::AppState;
use vertechie_web::{CsrfForm, FieldErrors, SignedIn, redirect_with_flash};

use super::drawer::{CriterionRow, DrawerForms, default_criteria, show_drawer};
use crate::pages::company_admin::{field, is_form_error, parse_id};
use crate::service::applications::{self as apps, NoteInput, RejectInput, ScorecardInput};

#[derive(Deserialize, Default)]
pub struct NoteForm {
    #[serde(default)]
    body: String,
}

pub(super) async fn add_note(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<NoteForm>,
) -> Response {
    let id = match parse_id(&id, "Application") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let input = NoteInput {
        body: Some(f.body.clone()),
    };
    match apps::add_note(&state, &user, id, input).await {
        Ok(_) => redirect_with_flash(
            &format!("/hiring/applications/{id}#notes"),
            "success",
            "Your note is added. Only your team sees notes.",
        ),
        Err(err) if is_form_error(&err) => {
            let forms = DrawerForms {
                note: f.body,
                note_errors: FieldErrors::from(&err),
                ..DrawerForms::default()
            };
            show_drawer(&state, &ctx, &user, id, err.status, forms).await
        }
        Err(err) => ctx.fail(err),
    }
}

#[derive(Deserialize, Default)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn reject(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<RejectForm>,
) -> Response {
    let id = match parse_id(&id, "Application") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let input = RejectInput {
        reason: Some(f.reason.clone()),
        note: Some(f.note.clone()),
    };
    match apps::reject(&state, &user, id, input).await {
        Ok(view) => {
            let name = view
                .candidate
                .as_ref()
                .map(|c| c.display_name.clone())
                .unwrap_or_else(|| "The candidate".to_owned());
            redirect_with_flash(
                &format!("/hiring/applications/{id}"),
                "success",
                &format!("The application is rejected; {name} is told kindly."),
            )
        }
        Err(err) if is_form_error(&err) => {
            let forms = DrawerForms {
                reject_reason: f.reason,
                reject_note: f.note,
                reject_errors: FieldErrors::from(&err),
                ..DrawerForms::default()
            };
            show_drawer(&state, &ctx, &user, id, err.status, forms).await
        }
        Err(err) => ctx.fail(err),
    }
}

pub(super) async fn add_scorecard(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let id = match parse_id(&id, "Application") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let mut rows: Vec<CriterionRow> = Vec::new();
    for (k, v) in &fields {
        let Some(rest) = k.strip_prefix("criteria[") else {
            continue;
        };
        let Some((i, key)) = rest.split_once("][") else {
            continue;
        };
        let Ok(i) = i.parse::<usize>() else { continue };
        if i >= 20 {
            continue;
        }
        if rows.len() <= i {
            rows.resize_with(i + 1, CriterionRow::default);
        }
        match key {
            "name]" => rows[i].name = v.clone(),
            "rating]" => rows[i].rating = v.clone(),
            _ => {}
        }
    }
    let mut ratings = serde_json::Map::new();
    for r in &rows {
        let rating = r.rating.trim();
        if rating.is_empty() {
            continue;
        }
        let value = match rating.parse::<i64>() {
            Ok(n) => json!(n),
            Err(_) => json!(rating),
        };
        ratings.insert(r.name.trim().to_owned(), value);
    }
    let recommendation = field(&fields, "recommendation").to_owned();
    let notes = field(&fields, "notes").to_owned();
    let input = ScorecardInput {
        ratings: Some(ratings),
        recommendation: Some(recommendation.clone()),
        notes: Some(notes.clone()),
    };
    match apps::add_scorecard(&state, &user, id, input).await {
        Ok(_) => redirect_with_flash(
            &format!("/hiring/applications/{id}#scorecards"),
            "success",
            "Your scorecard is submitted.",
        ),
        Err(err) if is_form_error(&err) => {
            let mut errors = FieldErrors::from(&err);
            // `ratings.<criterion>` goes next to the row with that criterion.
            let keys: Vec<String> = errors
                .fields
                .keys()
                .filter(|k| k.starts_with("ratings."))
                .cloned()
                .collect();
            for k in keys {
                let name = &k["ratings.".len()..];
                if let Some(row) = rows
                    .iter_mut()
                    .find(|r| r.name.trim() == name && !r.rating.trim().is_empty())
                {
                    row.error = errors.fields.remove(&k);
                }
            }
            if rows.is_empty() {
                rows = default_criteria();
            }
            let forms = DrawerForms {
                criteria: rows,
                recommendation,
                card_notes: notes,
                card_errors: errors,
                ..DrawerForms::default()
            };
            show_drawer(&state, &ctx, &user, id, err.status, forms).await
        }
        Err(err) => ctx.fail(err),
    }
}
