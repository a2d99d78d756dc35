//! Accounts: registration, sign-in with lockout, rotating refresh tokens and sessions, email
//! verification and password reset, profiles (skills, CV, experiences, education), roles and
//! admin user management.

mod api;
mod migrations;
pub mod model;
mod pages;
pub mod service;

pub use api::router;
pub use migrations::migrations;
pub use pages::{nav, router as pages_router};
pub use service::auth::SessionStore;
