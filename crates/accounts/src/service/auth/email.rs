//! Single-use mail tokens: email verification, password reset; and password changes.

use super::*;

/// Checks a single-use mail token and marks it used. Returns the user id it belongs to.
pub(super) async fn consume_email_token(
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
    let user = crate::service::find_live_user(&txn, UserId(user_id)).await?;
    let mut active = user.into_active_model();
    active.is_verified = Set(true);
    active.updated_at = Set(now);
    let user = active.update(&txn).await?;
    txn.commit().await?;
    crate::service::cache::user_changed(state, UserId(user.id));
    Ok(UserView::from(&user))
}

/// Sends a fresh verification mail to a signed-in user who has not verified yet.
pub async fn resend_verification(state: &AppState, user_id: UserId) -> AppResult<()> {
    let user = crate::service::find_live_user(&state.db, user_id).await?;
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
    let user = crate::service::find_live_user(&state.db, UserId(row.user_id)).await?;
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
    crate::service::cache::user_changed(state, UserId(user.id));
    Ok(())
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
    let user = crate::service::find_live_user(&state.db, user_id).await?;
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
    crate::service::cache::user_changed(state, user_id);
    Ok(())
}
