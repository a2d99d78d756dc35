//! Company members and their roles. Owners and admins manage members; only owners make or
//! change owners; the last owner can neither leave nor be demoted.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use vertechie_accounts::people::{self, PersonBrief};
use vertechie_kernel::db::begin_write;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, Validator};

use crate::model::company_member;
use crate::service::companies::lock_company;
use crate::service::{CompanyRole, Refusal, find_company, forbidden_role, require_role};

/// A member of a company.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: Uuid,
    pub username: String,
    pub full_name: Option<String>,
    /// How to show them: the full name, else the username.
    pub display_name: String,
    pub role: CompanyRole,
    pub joined_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Add a member or change a member's role.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct MemberInput {
    pub user_id: Option<Uuid>,
    /// owner | admin | recruiter | interviewer
    pub role: Option<String>,
}

fn view(m: &company_member::Model, u: &PersonBrief) -> Option<MemberView> {
    Some(MemberView {
        user_id: m.user_id,
        username: u.username.clone(),
        full_name: u.full_name.clone(),
        display_name: u.display_name.clone(),
        role: CompanyRole::parse(&m.role)?,
        joined_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn last_owner() -> AppError {
    AppError::conflict(
        "LAST_OWNER",
        "A company needs an owner: make someone else owner first",
    )
}

async fn owner_count<C: ConnectionTrait>(conn: &C, company_id: Uuid) -> AppResult<u64> {
    Ok(company_member::Entity::find()
        .filter(company_member::Column::CompanyId.eq(company_id))
        .filter(company_member::Column::Role.eq(CompanyRole::Owner.as_str()))
        .count(conn)
        .await?)
}

async fn membership<C: ConnectionTrait>(
    conn: &C,
    company_id: Uuid,
    user: Uuid,
) -> AppResult<Option<company_member::Model>> {
    Ok(company_member::Entity::find()
        .filter(company_member::Column::CompanyId.eq(company_id))
        .filter(company_member::Column::UserId.eq(user))
        .one(conn)
        .await?)
}

/// Members only: everyone in the company, owners first, then by when they joined.
pub async fn list(
    state: &AppState,
    actor: &CurrentUser,
    company_id: Uuid,
) -> AppResult<Vec<MemberView>> {
    find_company(&state.db, company_id).await?;
    require_role(
        &state.db,
        company_id,
        actor.id,
        &CompanyRole::ALL,
        Refusal::Forbidden,
    )
    .await?;
    let members = company_member::Entity::find()
        .filter(company_member::Column::CompanyId.eq(company_id))
        .all(&state.db)
        .await?;
    let users = people::briefs(&state.db, members.iter().map(|m| m.user_id)).await?;
    let mut out: Vec<MemberView> = members
        .iter()
        .filter_map(|m| view(m, users.get(&m.user_id).filter(|u| !u.deleted)?))
        .collect();
    out.sort_by(|a, b| {
        a.role
            .cmp(&b.role)
            .then(a.joined_at.cmp(&b.joined_at))
            .then(a.user_id.cmp(&b.user_id))
    });
    Ok(out)
}

/// Owners and admins add a member or change a role; only owners make or change owners. Returns
/// the member and whether they were added (rather than changed).
pub async fn upsert(
    state: &AppState,
    actor: &CurrentUser,
    company_id: Uuid,
    input: MemberInput,
) -> AppResult<(MemberView, bool)> {
    let txn = begin_write(&state.db).await?;
    lock_company(&txn, company_id).await?;
    let actor_role = require_role(
        &txn,
        company_id,
        actor.id,
        CompanyRole::MANAGERS,
        Refusal::Forbidden,
    )
    .await?;

    let mut v = Validator::new();
    if input.user_id.is_none() {
        v.add("user_id", "is required");
    }
    let role = match input.role.as_deref().map(str::trim) {
        None | Some("") => {
            v.add("role", "is required");
            None
        }
        Some(r) => {
            let parsed = CompanyRole::parse(&r.to_ascii_lowercase());
            if parsed.is_none() {
                v.add(
                    "role",
                    "must be one of owner, admin, recruiter, interviewer",
                );
            }
            parsed
        }
    };
    v.finish()?;
    let (Some(user_id), Some(role)) = (input.user_id, role) else {
        return Err(AppError::field("body", "is incomplete"));
    };
    let target = match people::live(&txn, user_id).await {
        Ok(u) => u,
        Err(e) if e.code == "NOT_FOUND" => return Err(AppError::field("user_id", "no such user")),
        Err(e) => return Err(e),
    };

    let owners_only = || forbidden_role(&[CompanyRole::Owner]);
    if role == CompanyRole::Owner && actor_role != CompanyRole::Owner {
        return Err(owners_only());
    }
    let now = state.clock.now();
    let existing = membership(&txn, company_id, user_id).await?;
    let (row, created) = match existing {
        Some(m) => {
            let current = CompanyRole::parse(&m.role);
            if current == Some(CompanyRole::Owner) {
                if actor_role != CompanyRole::Owner {
                    return Err(owners_only());
                }
                if role != CompanyRole::Owner && owner_count(&txn, company_id).await? <= 1 {
                    return Err(last_owner());
                }
            }
            if current == Some(role) {
                (m, false)
            } else {
                let mut row = m.into_active_model();
                row.role = Set(role.as_str().to_owned());
                row.updated_at = Set(now);
                (row.update(&txn).await?, false)
            }
        }
        None => {
            // Deactivated accounts are not added (a member's role may still change).
            target.require_active()?;
            let row = company_member::ActiveModel::from(company_member::Model {
                id: Uuid::now_v7(),
                company_id,
                user_id,
                role: role.as_str().to_owned(),
                created_at: now,
                updated_at: now,
            })
            .insert(&txn)
            .await?;
            (row, true)
        }
    };
    txn.commit().await?;
    let member = view(&row, &target)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown role {:?}", row.role)))?;
    Ok((member, created))
}

/// Owners and admins remove members (only owners remove owners); anyone may leave. The last
/// owner can do neither.
pub async fn remove(
    state: &AppState,
    actor: &CurrentUser,
    company_id: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    let txn = begin_write(&state.db).await?;
    lock_company(&txn, company_id).await?;
    let leaving = actor.id.0 == user_id;
    let actor_role = if leaving {
        None
    } else {
        Some(
            require_role(
                &txn,
                company_id,
                actor.id,
                CompanyRole::MANAGERS,
                Refusal::Forbidden,
            )
            .await?,
        )
    };
    let target = membership(&txn, company_id, user_id)
        .await?
        .ok_or_else(|| AppError::not_found("Member not found"))?;
    if CompanyRole::parse(&target.role) == Some(CompanyRole::Owner) {
        if actor_role.is_some_and(|r| r != CompanyRole::Owner) {
            return Err(forbidden_role(&[CompanyRole::Owner]));
        }
        if owner_count(&txn, company_id).await? <= 1 {
            return Err(last_owner());
        }
    }
    company_member::Entity::delete_by_id(target.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}
