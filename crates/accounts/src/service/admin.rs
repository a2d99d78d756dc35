//! Admin user management: search, role and activation changes (audited), and the
//! `create-admin` bootstrap.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use vertechie_kernel::audit::{AuditEntry, record};
use vertechie_kernel::db::like_escape;
use vertechie_kernel::{
    AppError, AppResult, AppState, CurrentUser, Page, PageQuery, Role, UserId, Validator,
};

use crate::model::user;
use crate::service::auth::revoke_all_sessions;
use crate::service::cache::UserViewCache;
use crate::service::views::UserView;
use crate::service::{ClientInfo, find_live_user, roles_json, roles_of};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserSearch {
    /// Matches name, email or username (case-insensitive, substring).
    pub q: Option<String>,
    /// Only users holding this role.
    pub role: Option<Role>,
    /// Only active (true) or disabled (false) users.
    pub is_active: Option<bool>,
    pub page: Option<u64>,
    pub limit: Option<u64>,
}

pub async fn list_users(
    state: &AppState,
    actor: &CurrentUser,
    search: UserSearch,
) -> AppResult<Page<UserView>> {
    actor.require_admin()?;
    // Admin screens poll this list; answers are reused until any user changes (see
    // `UserViewCache`), so a page costs a count and a read only after a change.
    let cache = state.ext::<UserViewCache>();
    let key = format!("{search:?}");
    if let Some(hit) = cache.and_then(|c| c.get_list(&key)) {
        return Ok((*hit).clone());
    }
    let generation = cache.map(UserViewCache::generation);
    let page = PageQuery {
        page: search.page,
        limit: search.limit,
    };
    let mut query = user::Entity::find().filter(user::Column::DeletedAt.is_null());
    if let Some(q) = search.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", like_escape(&q.to_lowercase()));
        let like = |col: user::Column| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        query = query.filter(
            Condition::any()
                .add(like(user::Column::Email))
                .add(like(user::Column::Username))
                .add(like(user::Column::FullName)),
        );
    }
    if let Some(role) = search.role {
        query = query.filter(user::Column::Roles.like(format!("%\"{}\"%", role.as_str())));
    }
    if let Some(active) = search.is_active {
        query = query.filter(user::Column::IsActive.eq(active));
    }
    let total = query.clone().count(&state.db).await?;
    let rows = query
        // Ids are UUID v7: newest first by the primary key.
        .order_by_desc(user::Column::Id)
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    let result = Page::new(rows.iter().map(UserView::from).collect(), total, &page);
    if let (Some(c), Some(g)) = (cache, generation) {
        c.put_list(key, result.clone(), g);
    }
    Ok(result)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AdminUserUpdate {
    /// The complete new set of roles.
    pub roles: Option<Vec<Role>>,
    pub is_active: Option<bool>,
}

pub async fn update_user(
    state: &AppState,
    actor: &CurrentUser,
    target: UserId,
    input: AdminUserUpdate,
    client: &ClientInfo,
) -> AppResult<UserView> {
    actor.require_admin()?;
    let user = find_live_user(&state.db, target).await?;
    let before_roles = roles_of(&user);
    let is_super = actor.has_role(Role::SuperAdmin);
    let mut v = Validator::new();
    if let Some(roles) = &input.roles {
        v.check(!roles.is_empty(), "roles", "a user needs at least one role");
    }
    if target == actor.id {
        if input.is_active == Some(false) {
            v.add("is_active", "you cannot disable your own account");
        }
        if let Some(roles) = &input.roles
            && before_roles.contains(&Role::SuperAdmin)
            && !roles.contains(&Role::SuperAdmin)
        {
            v.add("roles", "you cannot remove your own super_admin role");
        }
    }
    v.finish()?;
    if !is_super {
        if before_roles.iter().any(Role::is_privileged) {
            return Err(AppError::forbidden(
                "FORBIDDEN_ROLE",
                "Only a super admin can change an admin's account",
            ));
        }
        if let Some(roles) = &input.roles
            && roles.iter().any(Role::is_privileged)
        {
            return Err(AppError::forbidden(
                "FORBIDDEN_ROLE",
                "Only a super admin can grant admin or super_admin",
            ));
        }
    }
    let now = state.clock.now();
    let txn = vertechie_kernel::db::begin_write(&state.db).await?;
    let mut a = user.clone().into_active_model();
    if let Some(roles) = &input.roles {
        let new_roles = super::parse_roles(&roles_json(roles));
        if new_roles != before_roles {
            a.roles = Set(roles_json(&new_roles));
            record(
                &txn,
                now,
                AuditEntry {
                    actor: Some(actor.id),
                    action: "user.roles_changed",
                    target_type: "user",
                    target_id: Some(target.to_string()),
                    details: serde_json::json!({ "before": before_roles, "after": new_roles }),
                    ip: client.ip.clone(),
                },
            )
            .await?;
        }
    }
    if let Some(active) = input.is_active
        && active != user.is_active
    {
        a.is_active = Set(active);
        if !active {
            revoke_all_sessions(&txn, user.id, now).await?;
        }
        record(
            &txn,
            now,
            AuditEntry {
                actor: Some(actor.id),
                action: if active {
                    "user.activated"
                } else {
                    "user.deactivated"
                },
                target_type: "user",
                target_id: Some(target.to_string()),
                details: serde_json::json!({}),
                ip: client.ip.clone(),
            },
        )
        .await?;
    }
    a.updated_at = Set(now);
    let user = a.update(&txn).await?;
    txn.commit().await?;
    super::cache::user_changed(state, target);
    Ok(UserView::from(&user))
}

/// Creates a super admin, or promotes an existing account and sets its password.
/// Returns a one-line description for the CLI.
pub async fn create_admin(state: &AppState, email: &str, password: &str) -> AppResult<String> {
    use crate::service::rules::{check_password, normalize_email};
    let mut v = Validator::new();
    let email = normalize_email(email);
    if email.is_none() {
        v.add("email", "must be a valid email address");
    }
    let email = email.unwrap_or_default();
    let local = email.split('@').next().unwrap_or("admin");
    let mut base: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(24)
        .collect::<String>()
        .to_lowercase();
    if base.len() < 3 {
        base = format!("admin{base}");
    }
    check_password(&mut v, "password", password, &email, &base);
    v.finish()?;
    let hash = state.passwords.hash(password).await?;
    let now = state.clock.now();
    let roles = [Role::Techie, Role::Admin, Role::SuperAdmin];
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(email.clone()))
        .filter(user::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?;
    let txn = vertechie_kernel::db::begin_write(&state.db).await?;
    let (user, verb) = match existing {
        Some(u) => {
            let mut all = roles_of(&u);
            all.extend(roles);
            let mut a = u.into_active_model();
            a.roles = Set(roles_json(&all));
            a.password_hash = Set(hash);
            a.is_active = Set(true);
            a.is_verified = Set(true);
            a.updated_at = Set(now);
            let promoted = a.update(&txn).await?;
            super::lockout::clear_all(&txn, promoted.id).await?;
            (promoted, "promoted")
        }
        None => {
            let mut username = base.clone();
            let mut n = 1;
            while user::Entity::find()
                .filter(user::Column::Username.eq(username.clone()))
                .one(&txn)
                .await?
                .is_some()
            {
                n += 1;
                username = format!("{base}{n}");
            }
            let row = user::ActiveModel {
                id: Set(UserId::new().0),
                email: Set(email.clone()),
                username: Set(username),
                password_hash: Set(hash),
                full_name: Set(None),
                bio: Set(None),
                avatar_url: Set(None),
                phone: Set(None),
                education_level: Set(None),
                experience_level: Set(None),
                preferred_career_track: Set(None),
                learning_style: Set(None),
                interests: Set("[]".into()),
                career_goals: Set(None),
                cv_text: Set(None),
                roles: Set(roles_json(&roles)),
                tier: Set("free".into()),
                is_active: Set(true),
                is_verified: Set(true),
                failed_logins: Set(0),
                first_failed_at: Set(None),
                locked_until: Set(None),
                last_login: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                deleted_at: Set(None),
            }
            .insert(&txn)
            .await?;
            (row, "created")
        }
    };
    record(
        &txn,
        now,
        AuditEntry {
            actor: None,
            action: "user.super_admin_bootstrapped",
            target_type: "user",
            target_id: Some(user.id.to_string()),
            details: serde_json::json!({ "via": "cli", "outcome": verb }),
            ip: None,
        },
    )
    .await?;
    txn.commit().await?;
    super::cache::user_changed(state, UserId(user.id));
    Ok(format!(
        "{verb} super admin {} (username {}, id {})",
        user.email, user.username, user.id
    ))
}

/// The development mail outbox, newest first, optionally only mail to `to`: super admins only
/// (a plain admin could otherwise take over any account, a super admin's included, through its
/// reset link), and with the links masked ([`vertechie_kernel::mail::mask_links`]) so the list
/// hands out no single-use token.
pub async fn outbox(
    state: &AppState,
    viewer: &CurrentUser,
    to: Option<&str>,
    limit: u64,
    offset: u64,
) -> AppResult<Vec<vertechie_kernel::mail::OutboxMail>> {
    viewer.require_any(&[Role::SuperAdmin])?;
    let to = to
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let mails = vertechie_kernel::mail::outbox(&state.db, to.as_deref(), limit, offset).await?;
    Ok(mails.into_iter().map(|m| m.masked()).collect())
}
