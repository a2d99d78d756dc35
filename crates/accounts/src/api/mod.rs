//! JSON handlers for accounts, annotated for OpenAPI. Thin: parse, call a service, answer.

mod admin;
mod auth;
mod users;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vertechie_kernel::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::list_sessions))
        .routes(routes!(auth::delete_session))
        .routes(routes!(auth::verify_email))
        .routes(routes!(auth::resend_verification))
        .routes(routes!(auth::reset_request))
        .routes(routes!(auth::reset_confirm))
        .routes(routes!(users::get_me, users::update_me, users::delete_me))
        .routes(routes!(users::public_profile, admin::update_user))
        .routes(routes!(users::list_skills, users::add_skill))
        .routes(routes!(users::delete_skill))
        .routes(routes!(users::get_cv, users::put_cv))
        .routes(routes!(users::list_experiences, users::add_experience))
        .routes(routes!(
            users::get_experience,
            users::update_experience,
            users::delete_experience
        ))
        .routes(routes!(users::list_education, users::add_education))
        .routes(routes!(
            users::get_education,
            users::update_education,
            users::delete_education
        ))
        .routes(routes!(users::completeness))
        .routes(routes!(users::change_password))
        .routes(routes!(users::search_people))
        .routes(routes!(admin::list_users))
        .routes(routes!(admin::audit_log))
        .routes(routes!(admin::outbox))
}
