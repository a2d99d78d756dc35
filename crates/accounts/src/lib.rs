//! Accounts: registration, sign-in with lockout, rotating refresh tokens and sessions, email
//! verification and password reset, profiles (skills, CV, experiences, education), roles and
//! admin user management.

mod api;
mod migrations;
pub mod model;
pub mod service;

pub use api::router;
pub use migrations::migrations;
pub use service::auth::SessionStore;
