//! JSON handlers for hiring, annotated for OpenAPI. Thin: parse, call a service, answer.

mod applications;
mod companies;
mod jobs;
mod members;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vertechie_kernel::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            companies::list_companies,
            companies::create_company
        ))
        .routes(routes!(
            companies::get_company,
            companies::update_company,
            companies::delete_company
        ))
        .routes(routes!(companies::verify_company))
        .routes(routes!(members::list_members, members::upsert_member))
        .routes(routes!(members::remove_member))
        .routes(routes!(jobs::list_jobs, jobs::create_job))
        .routes(routes!(jobs::get_job, jobs::update_job, jobs::delete_job))
        .routes(routes!(jobs::job_match))
        .routes(routes!(jobs::save_job, jobs::unsave_job))
        .routes(routes!(jobs::saved_jobs))
        .routes(routes!(applications::list_stages, applications::add_stage))
        .routes(routes!(
            applications::update_stage,
            applications::delete_stage
        ))
        .routes(routes!(applications::apply))
        .routes(routes!(applications::my_applications))
        .routes(routes!(applications::withdraw))
        .routes(routes!(applications::job_applications))
        .routes(routes!(applications::get_application))
        .routes(routes!(applications::move_application))
        .routes(routes!(applications::reject_application))
        .routes(routes!(applications::bulk_reject))
        .routes(routes!(applications::list_notes, applications::add_note))
        .routes(routes!(
            applications::list_scorecards,
            applications::add_scorecard
        ))
        .routes(routes!(applications::stuck))
}
