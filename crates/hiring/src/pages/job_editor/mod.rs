//! The jobs editor (`/hiring/companies/{id}/jobs/new`, `/hiring/jobs/{id}/edit`): every field of
//! a posting, with skills and screening questions as a fixed number of indexed rows so the form
//! works without JavaScript (blank rows are ignored); delete-or-close; and the pipeline stage
//! editor (add, rename, move up or down, delete).
//!
//! By sub-feature: `rows` (skill and question rows), `form` (the form as typed), `parse` (form to
//! service input, service errors back onto the form), `render` (the page), `edit` (the job
//! handlers), `stages` (the stage editor).

use axum::Router;
use axum::routing::{get, post};
use vertechie_kernel::AppState;

mod edit;
mod form;
mod parse;
mod render;
mod rows;
mod stages;

use edit::{create, delete, edit_form, new_form, save};
use stages::{add_stage, delete_stage, move_stage, rename_stage};

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
