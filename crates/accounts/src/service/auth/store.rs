//! `SessionStore`: the accounts answer to the kernel's "is this session alive?", with a short
//! per-instance cache that every revocation forgets at once.

use super::*;

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
pub(super) const SESSION_CACHE_MAX: usize = 100_000;

#[derive(Clone)]
pub(super) struct CachedSession {
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
pub(super) struct LiveSession {
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

pub(super) const LIVE_SESSION_SQL: &str = "SELECT s.user_id, u.username, u.full_name, u.roles, u.tier, u.is_active, \
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
            roles: crate::service::parse_roles(&row.roles),
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

pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
