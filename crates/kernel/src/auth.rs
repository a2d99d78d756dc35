//! Auth primitives: roles and tiers, argon2id password hashing, JWT access tokens, and the
//! `CurrentUser` / `MaybeUser` extractors. Whether a session is still alive is asked of a
//! `SessionCheck` the accounts domain provides, so the kernel stays free of domain tables.

use std::str::FromStr;
use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use chrono::{DateTime, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::id::{SessionId, UserId};
use crate::state::AppState;

/// What a person may do on the platform. A user may hold several.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Techie,
    Instructor,
    Mentor,
    Recruiter,
    SchoolAdmin,
    Admin,
    SuperAdmin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Techie,
        Role::Instructor,
        Role::Mentor,
        Role::Recruiter,
        Role::SchoolAdmin,
        Role::Admin,
        Role::SuperAdmin,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Techie => "techie",
            Role::Instructor => "instructor",
            Role::Mentor => "mentor",
            Role::Recruiter => "recruiter",
            Role::SchoolAdmin => "school_admin",
            Role::Admin => "admin",
            Role::SuperAdmin => "super_admin",
        }
    }

    /// Roles only a super_admin may grant or take away.
    pub fn is_privileged(&self) -> bool {
        matches!(self, Role::Admin | Role::SuperAdmin)
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or(())
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Commercial tier; billing changes it later.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    #[default]
    Free,
    Pro,
    Enterprise,
}

impl Tier {
    pub fn as_str(&self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::Pro => "pro",
            Tier::Enterprise => "enterprise",
        }
    }
}

impl FromStr for Tier {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "free" => Ok(Tier::Free),
            "pro" => Ok(Tier::Pro),
            "enterprise" => Ok(Tier::Enterprise),
            _ => Err(()),
        }
    }
}

/// argon2id with configured cost. Hashing runs on the blocking pool.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A real hash of a random password, verified against when the user does not exist so
    /// unknown users and wrong passwords take the same time.
    dummy_hash: Arc<str>,
    /// At most one hash per core at a time: each takes `argon2_memory_kib` of memory, and more
    /// at once only queue on the CPU while holding that memory.
    permits: Arc<tokio::sync::Semaphore>,
}

impl PasswordHasher {
    pub fn from_config(cfg: &Config) -> anyhow::Result<Self> {
        let params = Params::new(
            cfg.argon2_memory_kib,
            cfg.argon2_iterations,
            cfg.argon2_parallelism,
            None,
        )
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut random = [0u8; 16];
        rand::Rng::fill(&mut rand::rng(), &mut random[..]);
        let dummy = argon
            .hash_password(&random)
            .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))?
            .to_string();
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Ok(Self {
            params,
            dummy_hash: dummy.into(),
            permits: Arc::new(tokio::sync::Semaphore::new(cores)),
        })
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let argon = self.argon();
        let pw = password.as_bytes().to_vec();
        tokio::task::spawn_blocking(move || {
            argon
                .hash_password(&pw)
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
    }

    /// Verifies `password` against a stored PHC hash, or against the dummy when `hash` is None.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let argon = self.argon();
        let pw = password.as_bytes().to_vec();
        let (stored, real) = match hash {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy_hash.to_string(), false),
        };
        let ok = tokio::task::spawn_blocking(move || {
            argon.verify_password(&pw, stored.as_str()).is_ok()
        })
        .await
        .unwrap_or(false);
        ok && real
    }
}

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: UserId,
    pub roles: Vec<Role>,
    pub tier: Tier,
    pub sid: SessionId,
    pub iat: i64,
    pub exp: i64,
}

/// Signs and checks access tokens (HS256).
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl_secs: u64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_secs: u64) -> Self {
        let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
        // Expiry is checked against the injectable clock in `verify`.
        validation.validate_exp = false;
        validation.required_spec_claims = ["sub", "exp", "iat"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
        }
    }

    pub fn issue(
        &self,
        user: UserId,
        session: SessionId,
        roles: Vec<Role>,
        tier: Tier,
        now: DateTime<Utc>,
    ) -> AppResult<String> {
        let claims = Claims {
            sub: user,
            roles,
            tier,
            sid: session,
            iat: now.timestamp(),
            exp: now.timestamp() + self.ttl_secs as i64,
        };
        jsonwebtoken::encode(
            &Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &self.encoding,
        )
        .map_err(AppError::internal)
    }

    /// Checks signature, algorithm (only HS256; `none` is refused), shape and expiry.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> AppResult<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => token_expired(),
                _ => AppError::unauthorized("TOKEN_INVALID", "The access token is invalid"),
            })?;
        if data.claims.exp <= now.timestamp() {
            return Err(token_expired());
        }
        Ok(data.claims)
    }
}

fn token_expired() -> AppError {
    AppError::unauthorized("TOKEN_EXPIRED", "The access token has expired; refresh it")
}

/// What the accounts domain says about a live session.
#[derive(Debug, Clone)]
pub struct SessionStatus {
    pub user: UserId,
    pub session: SessionId,
    pub roles: Vec<Role>,
    pub tier: Tier,
    pub username: String,
    pub display_name: String,
}

/// Implemented by the accounts domain: is this session alive and its user active?
/// Returns the user's current roles and tier (fresher than the token's).
#[async_trait::async_trait]
pub trait SessionCheck: Send + Sync + 'static {
    /// For a bearer access token's `sub` and `sid`.
    async fn check(
        &self,
        state: &AppState,
        user: UserId,
        session: SessionId,
    ) -> AppResult<SessionStatus>;
    /// For a browser's session cookie value.
    async fn check_cookie(&self, state: &AppState, cookie: &str) -> AppResult<SessionStatus>;
    /// Drops anything remembered about `user`'s sessions (after a revocation, a role or status
    /// change). Implementations that cache must make the change visible at once in this process.
    fn forget_user(&self, _user: UserId) {}
}

/// The session check a module provides (accounts) as an extension; the server puts it into
/// `AppState::sessions` when it builds the state.
#[derive(Clone)]
pub struct Sessions(pub Arc<dyn SessionCheck>);

/// The signed-in user of a request. Rejects with 401 when there is none.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub session_id: SessionId,
    pub roles: Vec<Role>,
    pub tier: Tier,
    pub username: String,
    /// Full name, or the username when there is none.
    pub display_name: String,
    /// True when the credential was the browser session cookie (pages), not a bearer token.
    pub via_cookie: bool,
}

impl CurrentUser {
    fn from_status(s: SessionStatus, via_cookie: bool) -> Self {
        Self {
            id: s.user,
            session_id: s.session,
            roles: s.roles,
            tier: s.tier,
            username: s.username,
            display_name: s.display_name,
            via_cookie,
        }
    }
}

impl CurrentUser {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Admins and super admins.
    pub fn is_admin(&self) -> bool {
        self.has_role(Role::Admin) || self.has_role(Role::SuperAdmin)
    }

    /// Role guard: 403 `FORBIDDEN_ROLE` naming the roles that would do.
    pub fn require_any(&self, roles: &[Role]) -> AppResult<()> {
        if roles.iter().any(|r| self.has_role(*r)) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(AppError::forbidden(
                "FORBIDDEN_ROLE",
                format!("This needs one of the roles: {}", names.join(", ")),
            ))
        }
    }

    pub fn require_admin(&self) -> AppResult<()> {
        self.require_any(&[Role::Admin, Role::SuperAdmin])
    }
}

/// Where a request's credential came from.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    bearer(&parts.headers)
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Name of the HttpOnly cookie carrying a browser's session (`<session id>.<secret>`).
pub const SESSION_COOKIE: &str = "vt_session";
/// Name of the cookie holding a browser's CSRF token (double submit: page forms send it as the
/// `csrf_token` field, scripts as the [`CSRF_HEADER`] header; pages expose it in a meta tag).
pub const CSRF_COOKIE: &str = "vt_csrf";
/// The header a script sends the CSRF token in when it writes to the API with the cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    for value in headers.get_all(header::COOKIE) {
        let Ok(s) = value.to_str() else { continue };
        for pair in s.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=')
                && k == name
            {
                return Some(v);
            }
        }
    }
    None
}

/// The user of an access token, or — without one — of the session cookie in `headers`;
/// `None` when there is neither. Used by the extractors, and by handlers that take the token
/// from elsewhere (the WebSocket upgrade's `?token=`).
pub async fn user_of(
    state: &AppState,
    token: Option<&str>,
    headers: &http::HeaderMap,
) -> AppResult<Option<CurrentUser>> {
    Ok(Some(if let Some(token) = token {
        let claims = state.tokens.verify(token, state.clock.now())?;
        CurrentUser::from_status(
            state.sessions.check(state, claims.sub, claims.sid).await?,
            false,
        )
    } else if let Some(value) = cookie(headers, SESSION_COOKIE).filter(|v| !v.is_empty()) {
        CurrentUser::from_status(state.sessions.check_cookie(state, value).await?, true)
    } else {
        return Ok(None);
    }))
}

async fn authenticate(parts: &mut Parts, state: &AppState) -> AppResult<Option<CurrentUser>> {
    if let Some(user) = parts.extensions.get::<CurrentUser>() {
        return Ok(Some(user.clone()));
    }
    let user = user_of(state, bearer_token(parts), &parts.headers).await?;
    if let Some(u) = &user {
        check_api_csrf(parts, u)?;
        // Once per request (the user is cached below); page forms spend it in `CsrfForm`.
        if crate::ratelimit::is_write(&parts.method) && parts.uri.path().starts_with("/api/") {
            crate::ratelimit::spend_user_write(&parts.extensions, u.id)?;
        }
        parts.extensions.insert(u.clone());
    }
    Ok(user)
}

/// A browser sends the session cookie with any site's request, so an API write authenticated by
/// the cookie must prove it comes from our own pages: the `X-CSRF-Token` header equal to the
/// `vt_csrf` cookie, which another site can neither read nor set. Bearer tokens are never sent
/// by the browser on its own and need no such proof; page forms carry the token in their body
/// and are checked by the web crate's `CsrfForm`, so only `/api/` paths are checked here.
fn check_api_csrf(parts: &Parts, user: &CurrentUser) -> AppResult<()> {
    use axum::http::Method;
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !user.via_cookie || safe || !parts.uri.path().starts_with("/api/") {
        return Ok(());
    }
    let expected = cookie(&parts.headers, CSRF_COOKIE).unwrap_or("");
    let given = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !expected.is_empty() && constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "CSRF_FAILED",
            "Writes with the session cookie need the X-CSRF-Token header (the vt_csrf cookie's value)",
        ))
    }
}

/// Compares secrets without an early exit, so the time taken tells nothing about the match.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await?.ok_or_else(|| {
            AppError::unauthorized("TOKEN_MISSING", "Sign in: this needs an access token")
        })
    }
}

/// The signed-in user if there is a valid credential; an invalid one is still an error.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await.map(MaybeUser)
    }
}

/// A random, URL-safe opaque token (refresh, verification, reset) and its SHA-256 for storage.
pub fn new_opaque_token() -> (String, String) {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// SHA-256 hex of an opaque token: what the database stores.
pub fn hash_token(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(b"0123456789abcdef0123456789abcdef", 900)
    }

    #[test]
    fn token_round_trip_and_expiry() {
        let k = keys();
        let now = Utc::now();
        let t = k
            .issue(
                UserId::new(),
                SessionId::new(),
                vec![Role::Techie],
                Tier::Free,
                now,
            )
            .unwrap();
        assert!(k.verify(&t, now).is_ok());
        let later = now + chrono::Duration::seconds(901);
        assert_eq!(k.verify(&t, later).unwrap_err().code, "TOKEN_EXPIRED");
    }

    #[test]
    fn alg_none_and_tampering_are_refused() {
        use base64::Engine;
        let k = keys();
        let now = Utc::now();
        let t = k
            .issue(
                UserId::new(),
                SessionId::new(),
                vec![Role::Techie],
                Tier::Free,
                now,
            )
            .unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let none_header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let forged = format!("{none_header}.{}.", parts[1]);
        assert_eq!(k.verify(&forged, now).unwrap_err().code, "TOKEN_INVALID");
        let mut payload: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        payload["roles"] = serde_json::json!(["super_admin"]);
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64.encode(payload.to_string()),
            parts[2]
        );
        assert_eq!(k.verify(&tampered, now).unwrap_err().code, "TOKEN_INVALID");
        assert_eq!(k.verify("garbage", now).unwrap_err().code, "TOKEN_INVALID");
    }

    #[tokio::test]
    async fn password_hash_verifies() {
        let cfg = Config {
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            ..Config::default()
        };
        let h = PasswordHasher::from_config(&cfg).unwrap();
        let stored = h.hash("correct horse").await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(h.verify("correct horse", Some(&stored)).await);
        assert!(!h.verify("wrong", Some(&stored)).await);
        assert!(!h.verify("correct horse", None).await);
    }
}
