//! Accounts: registration, sign-in with lockout, rotating refresh tokens and sessions, email
//! verification and password reset, profiles (skills, CV, experiences, education), roles and
//! admin user management.

mod api;
mod migrations;
/// Accounts' own tables. Other domains see people only through [`people`].
pub mod model;
mod pages;
pub mod people;
pub mod service;

use std::sync::Arc;

use vertechie_kernel::auth::Sessions;
use vertechie_kernel::module::{Module, SeedArgs, SeedHook};
use vertechie_kernel::{AppResult, AppState};

pub use service::auth::SessionStore;

/// Accounts as a module: the auth, users and admin API, the account pages, the session check
/// the kernel's extractors use, the per-instance user cache and its cross-instance listener, and
/// the demo users.
pub fn module() -> Module {
    let mut m = Module::new("accounts")
        .tag(
            "auth",
            "Registration, sign-in, tokens, sessions, email verification, password reset",
        )
        .tag(
            "users",
            "Profiles, skills, CV, experiences, education, admin user management",
        )
        .api(api::router())
        .pages(pages::router())
        .migrations(migrations::migrations())
        .extension(Sessions(Arc::new(SessionStore::new())))
        .extension(service::cache::UserViewCache::default())
        .on_start(|state| drop(service::cache::spawn_listener(state)))
        .seed(Arc::new(DemoUsers));
    for entry in pages::nav() {
        m = m.nav(entry);
    }
    m
}

struct DemoUsers;

#[async_trait::async_trait]
impl SeedHook for DemoUsers {
    async fn seed(&self, state: &AppState, args: &SeedArgs) -> AppResult<String> {
        Ok(service::seed::seed_demo(state, args.users, &args.password)
            .await?
            .to_string())
    }
}
