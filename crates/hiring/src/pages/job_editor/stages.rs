//! The pipeline stage editor: add, rename, move up or down, delete.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;
use vertechie_kernel::{AppError, AppState, CurrentUser};
use vertechie_web::{CsrfForm, PageCtx, SignedIn, redirect_with_flash};

use super::edit::show_edit;
use super::render::StageFeedback;
use crate::pages::company_admin::{humanize, is_form_error, parse_id};
use crate::service::pipeline::{self, StageCreate, StageUpdate};

#[derive(Deserialize, Default)]
pub struct StageForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    position: String,
}

/// After a stage change: back to the stage editor, or the page with the refusal by the stage.
async fn stage_done(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: Uuid,
    result: Result<String, AppError>,
    target: Option<Uuid>,
    typed: String,
) -> Response {
    match result {
        Ok(msg) => redirect_with_flash(&format!("/hiring/jobs/{id}/edit#stages"), "success", &msg),
        Err(err) if is_form_error(&err) => {
            let message = match err.details.first() {
                Some(d) => format!("{} {}", humanize(&d.field), d.message),
                None => err.message.clone(),
            };
            let feedback = StageFeedback {
                target,
                message: Some(message),
                typed,
            };
            show_edit(state, ctx, user, id, err.status, None, feedback).await
        }
        Err(err) => ctx.fail(err),
    }
}

fn ids(job: &str, stage: &str) -> Result<(Uuid, Uuid), AppError> {
    Ok((parse_id(job, "Job")?, parse_id(stage, "Stage")?))
}

pub(super) async fn add_stage(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<StageForm>,
) -> Response {
    let id = match parse_id(&id, "Job") {
        Ok(id) => id,
        Err(e) => return ctx.fail(e),
    };
    let input = StageCreate {
        name: Some(f.name.clone()),
        position: f.position.trim().parse().ok(),
    };
    let result = pipeline::add(&state, &user, id, input)
        .await
        .map(|_| format!("The stage “{}” is added.", f.name.trim()));
    stage_done(&state, &ctx, &user, id, result, None, f.name).await
}

pub(super) async fn rename_stage(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((id, stage)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<StageForm>,
) -> Response {
    let (id, stage) = match ids(&id, &stage) {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let input = StageUpdate {
        name: Some(f.name.clone()),
        position: None,
    };
    let result = pipeline::update(&state, &user, id, stage, input)
        .await
        .map(|_| format!("The stage is renamed to “{}”.", f.name.trim()));
    stage_done(&state, &ctx, &user, id, result, Some(stage), f.name).await
}

pub(super) async fn move_stage(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((id, stage)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<StageForm>,
) -> Response {
    let (id, stage) = match ids(&id, &stage) {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let Ok(position) = f.position.trim().parse::<i32>() else {
        let err = AppError::field("position", "must be a number");
        return stage_done(
            &state,
            &ctx,
            &user,
            id,
            Err(err),
            Some(stage),
            String::new(),
        )
        .await;
    };
    let input = StageUpdate {
        name: None,
        position: Some(position),
    };
    let result = pipeline::update(&state, &user, id, stage, input)
        .await
        .map(|stages| {
            let name = stages
                .iter()
                .find(|s| s.id == stage)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            format!(
                "“{name}” is now stage {} of {}.",
                position + 1,
                stages.len()
            )
        });
    stage_done(&state, &ctx, &user, id, result, Some(stage), String::new()).await
}

pub(super) async fn delete_stage(
    State(state): State<AppState>,
    SignedIn(ctx, user): SignedIn,
    Path((id, stage)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let (id, stage) = match ids(&id, &stage) {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let result = pipeline::delete(&state, &user, id, stage)
        .await
        .map(|()| "The stage is deleted.".to_owned());
    stage_done(&state, &ctx, &user, id, result, Some(stage), String::new()).await
}
