//! Registration, sign-in with lockout (the rule is in [`super::lockout`]), rotating refresh
//! tokens, sessions, email verification and password reset.

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

fn invalid_credentials() -> AppError {
    AppError::unauthorized(
        "INVALID_CREDENTIALS",
        "The email/username or password is wrong",
    )
}

fn session_ended() -> AppError {
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

async fn ensure_free<C: ConnectionTrait>(conn: &C, email: &str, username: &str) -> AppResult<()> {
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

fn email_taken() -> AppError {
    AppError::conflict("EMAIL_TAKEN", "An account with this email already exists")
}

fn username_taken() -> AppError {
    AppError::conflict("USERNAME_TAKEN", "This username is taken")
}

const UQ_USERS_EMAIL: UniqueKey = UniqueKey::new("uq_users_email", "users", &["email"]);
const UQ_USERS_USERNAME: UniqueKey = UniqueKey::new("uq_users_username", "users", &["username"]);

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

async fn queue_verification_mail(
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

async fn create_email_token<C: ConnectionTrait>(
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

async fn issue_pair<C: ConnectionTrait>(
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

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshInput {
    pub refresh_token: String,
}

/// Rotates a refresh token. Presenting one that was already rotated revokes the whole session.
pub async fn refresh(state: &AppState, refresh_token: &str) -> AppResult<AuthTokens> {
    let now = state.clock.now();
    let invalid = || AppError::unauthorized("TOKEN_INVALID", "The refresh token is invalid");
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(refresh_token.trim())))
        .one(&state.db)
        .await?
    else {
        return Err(invalid());
    };
    let Some(sess) = session::Entity::find_by_id(token.session_id)
        .one(&state.db)
        .await?
    else {
        return Err(invalid());
    };
    if sess.revoked_at.is_some() {
        return Err(session_ended());
    }
    if token.used_at.is_some() {
        revoke_session(&state.db, sess.id, now).await?;
        super::cache::user_changed(state, UserId(sess.user_id));
        tracing::warn!(session_id = %sess.id, "refresh token reused: session revoked");
        return Err(token_reused());
    }
    if token.expires_at <= now || sess.expires_at <= now {
        return Err(AppError::unauthorized(
            "TOKEN_EXPIRED",
            "The session has expired; sign in again",
        ));
    }
    let user = super::find_live_user(&state.db, UserId(sess.user_id))
        .await
        .map_err(|_| session_ended())?;
    if !user.is_active {
        return Err(AppError::unauthorized(
            "ACCOUNT_DISABLED",
            "This account has been disabled",
        ));
    }
    let txn = vertechie_kernel::db::begin_write(&state.db).await?;
    // Only one caller can mark the token used; a concurrent second use is a reuse.
    let marked = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        txn.rollback().await?;
        revoke_session(&state.db, sess.id, now).await?;
        super::cache::user_changed(state, UserId(sess.user_id));
        return Err(token_reused());
    }
    session::Entity::update_many()
        .col_expr(session::Column::LastUsedAt, Expr::value(now))
        .filter(session::Column::Id.eq(sess.id))
        .exec(&txn)
        .await?;
    let tokens = issue_pair(state, &txn, &user, SessionId(sess.id), sess.expires_at, now).await?;
    txn.commit().await?;
    Ok(tokens)
}

fn token_reused() -> AppError {
    AppError::unauthorized(
        "TOKEN_REUSED",
        "This refresh token was already used; the session has been revoked",
    )
}

pub async fn revoke_session<C: ConnectionTrait>(
    conn: &C,
    sid: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Id.eq(sid))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn revoke_all_sessions<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn logout(state: &AppState, user: UserId, sid: SessionId) -> AppResult<()> {
    revoke_session(&state.db, sid.0, state.clock.now()).await?;
    super::cache::user_changed(state, user);
    Ok(())
}

/// Live sessions of a user, most recently used first.
pub async fn list_sessions(
    state: &AppState,
    user: UserId,
    current: SessionId,
) -> AppResult<Vec<SessionView>> {
    let now = state.clock.now();
    let rows = session::Entity::find()
        .filter(session::Column::UserId.eq(user.0))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .order_by_desc(session::Column::LastUsedAt)
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|s| SessionView {
            current: s.id == current.0,
            id: s.id,
            user_agent: s.user_agent,
            ip: s.ip,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
        })
        .collect())
}

/// Revokes one of the user's own sessions; another user's session is "not found".
pub async fn delete_session(state: &AppState, user: UserId, sid: Uuid) -> AppResult<()> {
    let found = session::Entity::find_by_id(sid)
        .one(&state.db)
        .await?
        .filter(|s| s.user_id == user.0 && s.revoked_at.is_none());
    if found.is_none() {
        return Err(AppError::not_found("Session not found"));
    }
    revoke_session(&state.db, sid, state.clock.now()).await?;
    super::cache::user_changed(state, user);
    Ok(())
}

/// Checks a single-use mail token and marks it used. Returns the user id it belongs to.
async fn consume_email_token(
    txn: &DatabaseTransaction,
    token: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> AppResult<Uuid> {
    let invalid =
        || AppError::bad_request("TOKEN_INVALID", "This link is invalid or was already used");
    let row = email_token::Entity::find()
        .filter(email_token::Column::TokenHash.eq(hash_token(token.trim())))
        .filter(email_token::Column::Purpose.eq(purpose))
        .one(txn)
        .await?
        .ok_or_else(invalid)?;
    if row.used_at.is_some() {
        return Err(invalid());
    }
    if row.expires_at <= now {
        return Err(AppError::bad_request(
            "TOKEN_EXPIRED",
            "This link has expired; ask for a new one",
        ));
    }
    let marked = email_token::Entity::update_many()
        .col_expr(email_token::Column::UsedAt, Expr::value(now))
        .filter(email_token::Column::Id.eq(row.id))
        .filter(email_token::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    if marked.rows_affected != 1 {
        return Err(invalid());
    }
    Ok(row.user_id)
}

pub async fn verify_email(state: &AppState, token: &str) -> AppResult<UserView> {
    let now = state.clock.now();
    let txn = vertechie_kernel::db::begin_write(&state.db).await?;
    let user_id = consume_email_token(&txn, token, email_token::VERIFY_EMAIL, now).await?;
    let user = super::find_live_user(&txn, UserId(user_id)).await?;
    let mut active = user.into_active_model();
    active.is_verified = Set(true);
    active.updated_at = Set(now);
    let user = active.update(&txn).await?;
    txn.commit().await?;
    super::cache::user_changed(state, UserId(user.id));
    Ok(UserView::from(&user))
}

/// Sends a fresh verification mail to a signed-in user who has not verified yet.
pub async fn resend_verification(state: &AppState, user_id: UserId) -> AppResult<()> {
    let user = super::find_live_user(&state.db, user_id).await?;
    if user.is_verified {
        return Err(AppError::conflict(
            "ALREADY_VERIFIED",
            "Your email address is already verified",
        ));
    }
    let now = state.clock.now();
    let txn = vertechie_kernel::db::begin_write(&state.db).await?;
    queue_verification_mail(state, &txn, &user, now).await?;
    txn.commit().await?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequestInput {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetConfirmInput {
    pub token: String,
    pub new_password: String,
}

/// Always succeeds from the caller's view so it cannot be used to find accounts.
pub async fn request_password_reset(state: &AppState, email: &str) -> AppResult<()> {
    let Some(email) = normalize_email(email) else {
        return Ok(());
    };
    let Some(user) = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .filter(user::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    if !user.is_active {
        return Ok(());
    }
    let now = state.clock.now();
    let txn = vertechie_kernel::db::begin_write(&state.db).await?;
    let token = create_email_token(
        &txn,
        user.id,
        email_token::PASSWORD_RESET,
        now,
        Duration::minutes(RESET_TOKEN_TTL_MINUTES),
    )
    .await?;
    let link = format!(
        "{}/reset-password?token={token}",
        state.config.public_base()
    );
    state
        .mailer
        .queue(
            &txn,
            now,
            &Email {
                to: user.email.clone(),
                subject: "Reset your VerTechie password".into(),
                text: format!(
                    "Someone (hopefully you) asked to reset the password of your VerTechie account.\n\n\
                     Choose a new password here:\n\n{link}\n\nThe link works once and expires in {RESET_TOKEN_TTL_MINUTES} minutes. \
                     If you did not ask for this, ignore this mail: your password stays as it is.\n"
                ),
                html: None,
            },
        )
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Sets a new password from a reset link, signs out every session and lifts any lockout.
pub async fn confirm_password_reset(state: &AppState, input: ResetConfirmInput) -> AppResult<()> {
    let now = state.clock.now();
    // Validate the password first against the account the token belongs to.
    let hash = hash_token(input.token.trim());
    let Some(row) = email_token::Entity::find()
        .filter(email_token::Column::TokenHash.eq(hash))
        .filter(email_token::Column::Purpose.eq(email_token::PASSWORD_RESET))
        .one(&state.db)
        .await?
    else {
        return Err(AppError::bad_request(
            "TOKEN_INVALID",
            "This link is invalid or was already used",
        ));
    };
    let user = super::find_live_user(&state.db, UserId(row.user_id)).await?;
    let mut v = Validator::new();
    check_password(
        &mut v,
        "new_password",
        &input.new_password,
        &user.email,
        &user.username,
    );
    v.finish()?;
    let password_hash = state.passwords.hash(&input.new_password).await?;
    let txn = vertechie_kernel::db::begin_write(&state.db).await?;
    consume_email_token(&txn, &input.token, email_token::PASSWORD_RESET, now).await?;
    let mut active = user.into_active_model();
    active.password_hash = Set(password_hash);
    active.updated_at = Set(now);
    let user = active.update(&txn).await?;
    lockout::clear_all(&txn, user.id).await?;
    revoke_all_sessions(&txn, user.id, now).await?;
    // Other outstanding reset links stop working too.
    email_token::Entity::update_many()
        .col_expr(email_token::Column::UsedAt, Expr::value(now))
        .filter(email_token::Column::UserId.eq(user.id))
        .filter(email_token::Column::Purpose.eq(email_token::PASSWORD_RESET))
        .filter(email_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    super::cache::user_changed(state, UserId(user.id));
    Ok(())
}

/// The accounts answer to "is this session alive?", used by the kernel's `CurrentUser`.
///
/// Positive answers are remembered for `SESSION_CACHE_TTL`, so most authenticated requests need no
/// session query. Every change that ends a session or changes what it may do calls `forget_user`,
/// which takes effect at once in this process; other instances see it when their entry expires.
pub struct SessionStore {
    cache: std::sync::Mutex<std::collections::HashMap<Uuid, CachedSession>>,
}

/// How long another instance may keep honouring a session revoked elsewhere.
pub const SESSION_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);
const SESSION_CACHE_MAX: usize = 100_000;

#[derive(Clone)]
struct CachedSession {
    at: std::time::Instant,
    status: SessionStatus,
    cookie_hash: Option<String>,
    /// The clock time after which the session itself expires.
    expires_at: DateTime<Utc>,
}

impl Default for SessionStore {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionStore {
    pub fn new() -> Self {
        Self {
            cache: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    fn cached(&self, sid: Uuid, now: DateTime<Utc>) -> Option<CachedSession> {
        let cache = self.cache.lock().ok()?;
        let entry = cache.get(&sid)?;
        (entry.at.elapsed() < SESSION_CACHE_TTL && entry.expires_at > now).then(|| entry.clone())
    }

    fn remember(&self, sid: Uuid, row: &LiveSession, status: &SessionStatus) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= SESSION_CACHE_MAX {
                cache.retain(|_, e| e.at.elapsed() < SESSION_CACHE_TTL);
                if cache.len() >= SESSION_CACHE_MAX {
                    cache.clear();
                }
            }
            cache.insert(
                sid,
                CachedSession {
                    at: std::time::Instant::now(),
                    status: status.clone(),
                    cookie_hash: row.cookie_hash.clone(),
                    expires_at: row.expires_at,
                },
            );
        }
    }

    /// Loads and checks a session, remembering a live one.
    async fn live(
        &self,
        state: &AppState,
        sid: Uuid,
    ) -> AppResult<(SessionStatus, Option<String>)> {
        let now = state.clock.now();
        if let Some(hit) = self.cached(sid, now) {
            return Ok((hit.status, hit.cookie_hash));
        }
        let row = Self::load(state, sid).await?;
        let status = Self::status(state, sid, &row)?;
        self.remember(sid, &row, &status);
        Ok((status, row.cookie_hash))
    }
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct LiveSession {
    user_id: Uuid,
    username: String,
    full_name: Option<String>,
    roles: String,
    tier: String,
    is_active: bool,
    deleted_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    cookie_hash: Option<String>,
}

const LIVE_SESSION_SQL: &str = "SELECT s.user_id, u.username, u.full_name, u.roles, u.tier, u.is_active, \
     u.deleted_at, s.revoked_at, s.expires_at, s.cookie_hash FROM sessions s JOIN users u ON u.id = s.user_id \
     WHERE s.id = ";

impl SessionStore {
    async fn load(state: &AppState, sid: Uuid) -> AppResult<LiveSession> {
        use sea_orm::{FromQueryResult, Statement};
        let backend = state.db.get_database_backend();
        let placeholder = if backend == sea_orm::DatabaseBackend::Postgres {
            "$1"
        } else {
            "?"
        };
        LiveSession::find_by_statement(Statement::from_sql_and_values(
            backend,
            format!("{LIVE_SESSION_SQL}{placeholder}"),
            [sid.into()],
        ))
        .one(&state.db)
        .await?
        .ok_or_else(session_ended)
    }

    fn status(state: &AppState, sid: Uuid, row: &LiveSession) -> AppResult<SessionStatus> {
        if row.revoked_at.is_some()
            || row.expires_at <= state.clock.now()
            || row.deleted_at.is_some()
        {
            return Err(session_ended());
        }
        if !row.is_active {
            return Err(AppError::unauthorized(
                "ACCOUNT_DISABLED",
                "This account has been disabled",
            ));
        }
        Ok(SessionStatus {
            user: UserId(row.user_id),
            session: SessionId(sid),
            roles: super::parse_roles(&row.roles),
            tier: row.tier.parse().unwrap_or_default(),
            display_name: crate::people::display_name(row.full_name.as_deref(), &row.username),
            username: row.username.clone(),
        })
    }
}

#[async_trait::async_trait]
impl SessionCheck for SessionStore {
    async fn check(
        &self,
        state: &AppState,
        user: UserId,
        sid: SessionId,
    ) -> AppResult<SessionStatus> {
        let (status, _) = self.live(state, sid.0).await?;
        if status.user != user {
            return Err(session_ended());
        }
        Ok(status)
    }

    async fn check_cookie(&self, state: &AppState, cookie: &str) -> AppResult<SessionStatus> {
        let (sid, secret) = cookie.split_once('.').ok_or_else(session_ended)?;
        let sid = Uuid::parse_str(sid).map_err(|_| session_ended())?;
        let (status, cookie_hash) = self.live(state, sid).await?;
        let expected = cookie_hash.ok_or_else(session_ended)?;
        if !constant_time_eq(expected.as_bytes(), hash_token(secret).as_bytes()) {
            return Err(session_ended());
        }
        Ok(status)
    }

    fn forget_user(&self, user: UserId) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.retain(|_, e| e.status.user != user);
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordInput {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the password of a signed-in user; every other session is signed out.
pub async fn change_password(
    state: &AppState,
    user_id: UserId,
    current: SessionId,
    input: ChangePasswordInput,
    client: &ClientInfo,
) -> AppResult<()> {
    let user = super::find_live_user(&state.db, user_id).await?;
    let mut v = Validator::new();
    check_password(
        &mut v,
        "new_password",
        &input.new_password,
        &user.email,
        &user.username,
    );
    if input.new_password == input.current_password {
        v.add("new_password", "must differ from your current password");
    }
    v.finish()?;
    confirm_password(
        state,
        &user,
        &input.current_password,
        "current_password",
        client,
    )
    .await?;
    let hash = state.passwords.hash(&input.new_password).await?;
    let now = state.clock.now();
    let txn = vertechie_kernel::db::begin_write(&state.db).await?;
    let mut active = user.into_active_model();
    active.password_hash = Set(hash);
    active.updated_at = Set(now);
    let user = active.update(&txn).await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user.id))
        .filter(session::Column::Id.ne(current.0))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    vertechie_kernel::audit::record(
        &txn,
        now,
        vertechie_kernel::audit::AuditEntry {
            actor: Some(user_id),
            action: "account.password_changed",
            target_type: "user",
            target_id: Some(user.id.to_string()),
            details: serde_json::json!({}),
            ip: None,
        },
    )
    .await?;
    txn.commit().await?;
    super::cache::user_changed(state, user_id);
    Ok(())
}
