//! Accounts tables. Never edit a landed migration; add a new file.

use sea_orm_migration::MigrationTrait;

mod m20261121_000100_accounts;
mod m20261121_000101_browser_sessions;
mod m20261121_000102_users_live_index;
mod m20261204_000103_login_failures;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261121_000100_accounts::Migration),
        Box::new(m20261121_000101_browser_sessions::Migration),
        Box::new(m20261121_000102_users_live_index::Migration),
        Box::new(m20261204_000103_login_failures::Migration),
    ]
}
