//! The accounts integration tests: one binary (linking the whole app once), a module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod auth;
mod common;
mod lockout;
mod mail_tasks;
mod pages_admin;
mod pages_auth;
mod pages_profile;
mod profile;
mod smoke;
