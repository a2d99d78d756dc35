//! Hiring rules, free of HTTP: handlers (and later pages) call these.

pub mod account_deletion;
pub mod applications;
pub mod companies;
pub mod jobs;
pub mod matching;
pub mod members;
pub mod pipeline;
pub mod search;
pub mod search_cache;
pub mod seed;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vertechie_kernel::{AppError, AppResult, UserId};

use crate::model::{company, company_member};

/// A member's role in a company, strongest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CompanyRole {
    Owner,
    Admin,
    Recruiter,
    Interviewer,
}

impl CompanyRole {
    pub const ALL: [CompanyRole; 4] =
        [Self::Owner, Self::Admin, Self::Recruiter, Self::Interviewer];
    /// Roles that manage the company and its members.
    pub const MANAGERS: &'static [CompanyRole] = &[Self::Owner, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Recruiter => "recruiter",
            Self::Interviewer => "interviewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Loads a company or answers 404.
pub async fn find_company<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<company::Model> {
    company::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Company not found"))
}

/// The user's role in the company, if they are a member.
pub async fn role_in<C: ConnectionTrait>(
    conn: &C,
    company_id: Uuid,
    user: UserId,
) -> AppResult<Option<CompanyRole>> {
    let row = company_member::Entity::find()
        .filter(company_member::Column::CompanyId.eq(company_id))
        .filter(company_member::Column::UserId.eq(user.0))
        .one(conn)
        .await?;
    Ok(row.and_then(|m| CompanyRole::parse(&m.role)))
}

/// How a refusal reads to someone outside the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 403 `FORBIDDEN_COMPANY_ROLE`: the thing is known to exist (the company is public).
    Forbidden,
    /// 404: a non-member must not learn that the thing exists (applications, notes, scorecards).
    NotFound,
}

/// The user's role if it is one of `allowed`; otherwise refuses as `refusal` says. Members
/// holding a weaker role always get 403 (they can see the company's private things exist).
pub async fn require_role<C: ConnectionTrait>(
    conn: &C,
    company_id: Uuid,
    user: UserId,
    allowed: &[CompanyRole],
    refusal: Refusal,
) -> AppResult<CompanyRole> {
    match role_in(conn, company_id, user).await? {
        Some(role) if allowed.contains(&role) => Ok(role),
        Some(_) => Err(forbidden_role(allowed)),
        None if refusal == Refusal::NotFound => Err(AppError::not_found("Not found")),
        None => Err(forbidden_role(allowed)),
    }
}

pub(crate) fn forbidden_role(allowed: &[CompanyRole]) -> AppError {
    let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
    AppError::forbidden(
        "FORBIDDEN_COMPANY_ROLE",
        format!(
            "This needs one of these roles in the company: {}",
            names.join(", ")
        ),
    )
}
