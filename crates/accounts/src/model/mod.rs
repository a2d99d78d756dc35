//! Accounts tables as sea-orm entities.

pub mod education;
pub mod email_token;
pub mod experience;
pub mod login_failure;
pub mod refresh_token;
pub mod session;
pub mod skill;
pub mod user;
