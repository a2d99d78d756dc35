//! Registration, sign-in with lockout (the rule is in [`super::lockout`]), rotating refresh
//! tokens, sessions, email verification and password reset. This file: registration and sign-in;
//! `sessions.rs`: refresh rotation, revocation, the sessions list; `email.rs`: verification and
//! reset mails, password changes; `store.rs`: `SessionStore`, the kernel's session check.

mod email;
mod sessions;
mod store;

pub use email::*;
pub use sessions::*;
pub use store::*;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use vertechie_kernel::auth::{SessionCheck, SessionStatus, hash_token, new_opaque_token};
use vertechie_kernel::error::UniqueKey;
use vertechie_kernel::mail::Email;
use vertechie_kernel::text::clean;
use vertechie_kernel::{AppError, AppResult, AppState, Role, SessionId, Tier, UserId, Validator};

use crate::model::{email_token, refresh_token, session, user};
use crate::service::rules::{check_password, normalize_email, normalize_username};
use crate::service::views::{AuthTokens, SessionView, UserView};
use crate::service::{ClientInfo, lockout, roles_json, roles_of, tier_of};

pub const VERIFY_TOKEN_TTL_HOURS: i64 = 48;
pub const RESET_TOKEN_TTL_MINUTES: i64 = 60;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterInput {
    pub email: String,
    pub username: String,
    pub password: String,
    pub full_name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginInput {
    /// Email address or username.
    #[serde(alias = "username")]
    pub email: String,
    pub password: String,
}

pub(super) fn invalid_credentials() -> AppError {
    AppError::unauthorized(
        "INVALID_CREDENTIALS",
        "The email/username or password is wrong",
    )
}

pub(super) fn session_ended() -> AppError {
    AppError::unauthorized("SESSION_REVOKED", "This session has ended; sign in again")
}

/// Creates the account, its first session and the verification mail, in one transaction.
pub async fn register(
    state: &AppState,
    input: RegisterInput,
    client: &ClientInfo,
) -> AppResult<AuthTokens> {
    let mut v = Validator::new();
    let email = normalize_email(&input.email);
    if email.is_none() {
        v.add("email", "must be a valid email address");
    }
    let username = match normalize_username(&input.username) {
        Ok(u) => Some(u),
        Err(msg) => {
            v.add("username", msg);
            None
        }
    };
    check_password(
        &mut v,
        "password",
        &input.password,
        email.as_deref().unwrap_or(""),
        username.as_deref().unwrap_or(""),
    );
    let full_name = input.full_name.as_deref().and_then(clean);
    v.max_len(full_name.as_deref(), "full_name", 100);
    v.finish()?;
    let (email, username) = (email.unwrap_or_default(), username.unwrap_or_default());

    // Friendly answers for the common case; the unique indexes decide races.
    ensure_free(&state.db, &email, &username).await?;
    let password_hash = state.passwords.hash(&input.password).await?;
    let now = state.clock.now();

    let txn = vertechie_kernel::db::begin_write(&state.db).await?;
    let user = user::ActiveModel {
        id: Set(UserId::new().0),
        email: Set(email.clone()),
        username: Set(username.clone()),
        password_hash: Set(password_hash),
        full_name: Set(full_name),
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
        roles: Set(roles_json(&[Role::Techie])),
        tier: Set(Tier::Free.as_str().into()),
        is_active: Set(true),
        is_verified: Set(false),
        failed_logins: Set(0),
        first_failed_at: Set(None),
        locked_until: Set(None),
        last_login: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| map_unique(e.into()))?;
    queue_verification_mail(state, &txn, &user, now).await?;
    let tokens = start_session(state, &txn, &user, client, now).await?;
    txn.commit().await?;
    // `last_login` is part of `/users/me`.
    super::cache::user_changed(state, UserId(user.id));
    Ok(tokens)
}

pub(super) async fn ensure_free<C: ConnectionTrait>(
    conn: &C,
    email: &str,
    username: &str,
) -> AppResult<()> {
    let taken = user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::Email.eq(email))
                .add(user::Column::Username.eq(username)),
        )
        .all(conn)
        .await?;
    if taken.iter().any(|u| u.email == email) {
        return Err(email_taken());
    }
    if taken.iter().any(|u| u.username == username) {
        return Err(username_taken());
    }
    Ok(())
}

pub(super) fn email_taken() -> AppError {
    AppError::conflict("EMAIL_TAKEN", "An account with this email already exists")
}

pub(super) fn username_taken() -> AppError {
    AppError::conflict("USERNAME_TAKEN", "This username is taken")
}

pub(super) const UQ_USERS_EMAIL: UniqueKey = UniqueKey::new("uq_users_email", "users", &["email"]);
pub(super) const UQ_USERS_USERNAME: UniqueKey =
    UniqueKey::new("uq_users_username", "users", &["username"]);

/// Tells a lost race on the email or username index apart from other conflicts.
pub(crate) fn map_unique(e: AppError) -> AppError {
    if e.is_conflict_on(&UQ_USERS_EMAIL) {
        email_taken()
    } else if e.is_conflict_on(&UQ_USERS_USERNAME) {
        username_taken()
    } else {
        e
    }
}

pub(super) async fn queue_verification_mail(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: &user::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let token = create_email_token(
        txn,
        user.id,
        email_token::VERIFY_EMAIL,
        now,
        Duration::hours(VERIFY_TOKEN_TTL_HOURS),
    )
    .await?;
    let link = format!("{}/verify-email?token={token}", state.config.public_base());
    let greeting = crate::people::display_name(user.full_name.as_deref(), &user.username);
    state
        .mailer
        .queue(
            txn,
            now,
            &Email {
                to: user.email.clone(),
                subject: "Confirm your email for VerTechie".into(),
                text: format!(
                    "Hi {greeting},\n\nWelcome to VerTechie. Confirm your email address by opening this link:\n\n{link}\n\n\
                     The link works once and expires in {VERIFY_TOKEN_TTL_HOURS} hours. If you did not sign up, ignore this mail.\n"
                ),
                html: None,
            },
        )
        .await?;
    Ok(())
}

pub(super) async fn create_email_token<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    purpose: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> AppResult<String> {
    let (token, hash) = new_opaque_token();
    email_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        purpose: Set(purpose.to_owned()),
        token_hash: Set(hash),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        used_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// Opens a session and hands out its first token pair.
pub async fn start_session<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    user: &user::Model,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> AppResult<AuthTokens> {
    let sid = SessionId::new();
    let expires_at = now + Duration::days(state.config.refresh_token_ttl_days as i64);
    // Browsers also get an HttpOnly cookie bound to this session; only its hash is stored.
    let cookie = client.browser.then(new_opaque_token);
    session::ActiveModel {
        cookie_hash: Set(cookie.as_ref().map(|(_, hash)| hash.clone())),
        id: Set(sid.0),
        user_id: Set(user.id),
        user_agent: Set(client
            .user_agent
            .as_deref()
            .map(|s| s.chars().take(255).collect())),
        ip: Set(client.ip.clone()),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?;
    let mut tokens = issue_pair(state, conn, user, sid, expires_at, now).await?;
    tokens.browser_cookie = cookie.map(|(secret, _)| format!("{}.{secret}", sid.0));
    Ok(tokens)
}

pub(super) async fn issue_pair<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    user: &user::Model,
    sid: SessionId,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<AuthTokens> {
    let (refresh, hash) = new_opaque_token();
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(sid.0),
        token_hash: Set(hash),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(conn)
    .await?;
    let access = state
        .tokens
        .issue(UserId(user.id), sid, roles_of(user), tier_of(user), now)?;
    Ok(AuthTokens {
        access_token: access,
        refresh_token: refresh,
        token_type: "bearer",
        expires_in: state.tokens.ttl_secs,
        user: UserView::from(user),
        browser_cookie: None,
    })
}

/// Signs in by email or username. Unknown users and wrong passwords get the same answer after the
/// same amount of work; repeated wrong passwords lock the account for the client's network
/// ([`super::lockout`]).
pub async fn login(
    state: &AppState,
    input: LoginInput,
    client: &ClientInfo,
) -> AppResult<AuthTokens> {
    let mut v = Validator::new();
    v.check(
        !input.email.trim().is_empty(),
        "email",
        "enter your email or username",
    );
    v.check(
        !input.password.is_empty(),
        "password",
        "enter your password",
    );
    v.finish()?;
    let ident = input.email.trim().to_lowercase();
    let column = if ident.contains('@') {
        user::Column::Email
    } else {
        user::Column::Username
    };
    let found = user::Entity::find()
        .filter(column.eq(ident))
        .filter(user::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?;
    let Some(user) = found else {
        state.passwords.verify(&input.password, None).await;
        return Err(invalid_credentials());
    };
    let now = state.clock.now();
    let network = lockout::network_of(client.ip.as_deref());
    // Saves the password check while locked; the decisive check is in the transaction below.
    if let Some(until) = lockout::locked_until(&state.db, user.id, &network, now).await? {
        return Err(lockout::locked(until, now));
    }
    if !state
        .passwords
        .verify(&input.password, Some(&user.password_hash))
        .await
    {
        return Err(
            match lockout::record_failure(state, user.id, &network, now).await? {
                lockout::Failure::Counted => invalid_credentials(),
                lockout::Failure::Locked(until) => lockout::locked(until, now),
            },
        );
    }
    if !user.is_active {
        return Err(AppError::forbidden(
            "ACCOUNT_DISABLED",
            "This account has been disabled",
        ));
    }
    let txn = vertechie_kernel::db::begin_write(&state.db).await?;
    // Parallel wrong guesses may have locked the network while the password was being checked.
    if let Err(e) = lockout::admit(&txn, user.id, &network, now).await {
        txn.rollback().await?;
        return Err(e);
    }
    let mut active = user.clone().into_active_model();
    active.last_login = Set(Some(now));
    let user = active.update(&txn).await?;
    let tokens = start_session(state, &txn, &user, client, now).await?;
    txn.commit().await?;
    // `last_login` is part of `/users/me`.
    super::cache::user_changed(state, UserId(user.id));
    Ok(tokens)
}

/// Re-checks a signed-in user's password before a sensitive change, with the same lockout as
/// sign-in (counted for the client's network), so a stolen access token cannot be used to guess
/// the password.
pub(crate) async fn confirm_password(
    state: &AppState,
    user: &user::Model,
    password: &str,
    field: &str,
    client: &ClientInfo,
) -> AppResult<()> {
    let now = state.clock.now();
    let network = lockout::network_of(client.ip.as_deref());
    if let Some(until) = lockout::locked_until(&state.db, user.id, &network, now).await? {
        return Err(lockout::locked(until, now));
    }
    if state
        .passwords
        .verify(password, Some(&user.password_hash))
        .await
    {
        // Again after the check: parallel wrong guesses may have locked the network meanwhile.
        return match lockout::locked_until(&state.db, user.id, &network, now).await? {
            Some(until) => Err(lockout::locked(until, now)),
            None => Ok(()),
        };
    }
    match lockout::record_failure(state, user.id, &network, now).await? {
        lockout::Failure::Counted => Err(AppError::field(field, "is not your current password")),
        lockout::Failure::Locked(until) => Err(lockout::locked(until, now)),
    }
}
