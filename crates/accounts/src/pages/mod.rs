//! HTML pages for accounts, using the services directly (never HTTP calls to ourselves).

mod admin;
mod auth;
mod home;
mod people;
mod profile;
mod settings;

use axum::Router;
use axum::routing::{get, post};
use vertechie_kernel::{AppError, AppState, Role};
use vertechie_web::{FieldErrors, NavEntry, icons};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::index))
        .route("/dashboard", get(home::dashboard))
        .route("/signin", get(auth::signin_form).post(auth::signin))
        .route("/signup", get(auth::signup_form).post(auth::signup))
        .route("/signout", post(auth::signout))
        .route(
            "/forgot-password",
            get(auth::forgot_form).post(auth::forgot),
        )
        .route("/reset-password", get(auth::reset_form).post(auth::reset))
        .route("/verify-email", get(auth::verify))
        .route("/verify-email/resend", post(auth::resend))
        .merge(profile::router())
        .merge(settings::router())
        .merge(people::router())
        .merge(admin::router())
}

/// The navigation entries accounts contributes: the first of the side navigation (orders
/// 100–199; hiring has 200–299, messaging 300–399).
pub fn nav() -> [NavEntry; 4] {
    const ADMINS: &[Role] = &[Role::Admin, Role::SuperAdmin];
    [
        NavEntry::new(100, "Dashboard", "/dashboard", icons::HOME),
        NavEntry::new(110, "Profile", "/profile", icons::USER),
        NavEntry::new(120, "Settings", "/settings", icons::SETTINGS),
        NavEntry::new(130, "Admin", "/admin/users", icons::SHIELD).for_roles(ADMINS),
    ]
}

/// Field errors for a form from a service error; conflicts land on the field they are about.
pub(crate) fn form_errors(err: &AppError) -> FieldErrors {
    match err.code {
        "EMAIL_TAKEN" => FieldErrors::field("email", err.message.clone()),
        "USERNAME_TAKEN" => FieldErrors::field("username", err.message.clone()),
        _ => FieldErrors::from(err),
    }
}

/// Whether a service error is one the form should show (not a page-level failure).
pub(crate) fn is_form_error(err: &AppError) -> bool {
    err.status.is_client_error() && err.status != axum::http::StatusCode::NOT_FOUND
}
