//! Accounts rules, free of HTTP: handlers and pages call these.

pub mod admin;
pub mod auth;
pub mod cache;
pub mod discovery;
pub mod lockout;
pub mod profile;
pub mod rules;
pub mod seed;
pub mod views;

use sea_orm::{ConnectionTrait, EntityTrait};
use vertechie_kernel::middleware::Client;
use vertechie_kernel::{AppError, AppResult, Role, Tier, UserId};

use crate::model::user;

/// Where a request came from, recorded on sessions and in the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// A browser signing in through the pages: its session also gets a cookie secret.
    pub browser: bool,
}

impl From<Client> for ClientInfo {
    /// An API client (no browser cookie secret); pages set `browser`.
    fn from(c: Client) -> Self {
        Self {
            ip: c.ip_string(),
            user_agent: c.user_agent,
            browser: false,
        }
    }
}

/// Loads a live (not deleted) user or answers 404.
pub async fn find_live_user<C: ConnectionTrait>(conn: &C, id: UserId) -> AppResult<user::Model> {
    user::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or_else(|| AppError::not_found("User not found"))
}

pub fn roles_of(u: &user::Model) -> Vec<Role> {
    parse_roles(&u.roles)
}

pub fn parse_roles(s: &str) -> Vec<Role> {
    let names: Vec<String> = serde_json::from_str(s).unwrap_or_default();
    let mut roles: Vec<Role> = names.iter().filter_map(|n| n.parse().ok()).collect();
    roles.sort();
    roles.dedup();
    roles
}

pub fn roles_json(roles: &[Role]) -> String {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    serde_json::to_string(&names).unwrap_or_else(|_| "[\"techie\"]".into())
}

pub fn tier_of(u: &user::Model) -> Tier {
    u.tier.parse().unwrap_or_default()
}
