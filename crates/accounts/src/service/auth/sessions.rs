//! Refresh rotation with reuse detection, revocation, logout and the sessions list.

use super::*;

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
        crate::service::cache::user_changed(state, UserId(sess.user_id));
        tracing::warn!(session_id = %sess.id, "refresh token reused: session revoked");
        return Err(token_reused());
    }
    if token.expires_at <= now || sess.expires_at <= now {
        return Err(AppError::unauthorized(
            "TOKEN_EXPIRED",
            "The session has expired; sign in again",
        ));
    }
    let user = crate::service::find_live_user(&state.db, UserId(sess.user_id))
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
        crate::service::cache::user_changed(state, UserId(sess.user_id));
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

pub(super) fn token_reused() -> AppError {
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
    crate::service::cache::user_changed(state, user);
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
    crate::service::cache::user_changed(state, user);
    Ok(())
}
