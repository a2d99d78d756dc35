//! `GET /api/v1/ws`: the WebSocket upgrade, authenticated (and admitted) before upgrading, so a
//! refused client gets the ordinary JSON error envelope.

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use vertechie_kernel::auth::{SESSION_COOKIE, bearer, cookie, user_of};
use vertechie_kernel::{ApiQuery, AppError, AppResult, AppState, CurrentUser};

use crate::gateway;

/// The read buffer of one socket (tungstenite allocates it up front; its default is 128 KiB).
const READ_BUFFER: usize = 16 * 1024;
/// Bytes that may wait in one socket's write buffer when writes fail.
const MAX_WRITE_BUFFER: usize = 4 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsQuery {
    /// An access token (browsers cannot set headers on a WebSocket). Without it, the
    /// `Authorization: Bearer` header or the browser's session cookie is used.
    pub token: Option<String>,
}

/// The realtime socket: chat events, typing, presence and notifications.
///
/// Authenticate with `?token=<access token>`, a bearer header, or the browser session cookie
/// (then the `Origin`, if sent, must be this site's). Frames are JSON objects `{type, ...}` in
/// text messages; a client frame may carry `ref`, echoed by its `ack`/`error`.
/// Client → server: `join_room {room_id}`, `leave_room {room_id}`, `send_message {room_id, body,
/// reply_to?}`, `send_direct_message {to, body, reply_to?}`, `typing {room_id, is_typing?}`,
/// `add_reaction` / `remove_reaction {message_id, emoji}`, `edit_message {message_id, body}`,
/// `delete_message {message_id}`, `mark_read {room_id, message_id}`, `ping`. Server → client:
/// `ready` (first), `ack {ref, for, ...}`, `pong`, `error {code, message, ref, fields?}`,
/// `new_message`, `new_direct_message`, `message_updated`, `reaction_updated`, `read_receipt`,
/// `user_joined`, `user_left`, `user_typing`, `room_stats_updated`, `notification`, `presence`,
/// `resync`. Limits: frames ≤ 64 KiB (else an error frame), 20 frames/s with bursts of 40 (else
/// close 1008); idle sockets are pinged after 25 s and closed after 60 s of silence.
#[utoipa::path(get, path = "/api/v1/ws", tag = "messaging", params(WsQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 101, description = "Switched to the WebSocket protocol"),
        (status = 401, description = "No valid credential (TOKEN_MISSING, TOKEN_INVALID, TOKEN_EXPIRED, SESSION_REVOKED, ACCOUNT_DISABLED)"),
        (status = 403, description = "ORIGIN_NOT_ALLOWED: the session cookie sent from another site"),
        (status = 426, description = "UPGRADE_REQUIRED: not a WebSocket handshake"),
        (status = 429, description = "TOO_MANY_CONNECTIONS for this account on this server"),
        (status = 503, description = "SHUTTING_DOWN")))]
pub async fn websocket(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<WsQuery>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    let user = authenticate(&state, q.token.as_deref(), &headers).await?;
    let gw = gateway::gateway(&state)?;
    gw.admit(user.id.as_uuid())?;
    let ws = ws.map_err(|_| {
        AppError::new(
            StatusCode::UPGRADE_REQUIRED,
            "UPGRADE_REQUIRED",
            "This endpoint speaks WebSocket: send an upgrade request",
        )
    })?;
    let limits = gw.limits();
    Ok(ws
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        .read_buffer_size(READ_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "websocket upgrade failed"))
        .on_upgrade(move |socket| gateway::serve_socket(state, user, socket)))
}

/// `?token=`, then `Authorization: Bearer`, then the session cookie (from this site only).
async fn authenticate(
    state: &AppState,
    token: Option<&str>,
    headers: &HeaderMap,
) -> AppResult<CurrentUser> {
    let token = token.filter(|t| !t.is_empty()).or_else(|| bearer(headers));
    if token.is_none()
        && cookie(headers, SESSION_COOKIE).is_some()
        && !origin_allowed(state, headers)
    {
        return Err(AppError::forbidden(
            "ORIGIN_NOT_ALLOWED",
            "This page's origin may not open a socket with the session cookie",
        ));
    }
    user_of(state, token, headers).await?.ok_or_else(|| {
        AppError::unauthorized(
            "TOKEN_MISSING",
            "Sign in: connect with ?token=<access token> or the session cookie",
        )
    })
}

/// The scheme, host and port of a URL (`https://example.com:8443/x` → `https://example.com:8443`).
fn origin_of(url: &str) -> &str {
    let rest = url.find("://").map_or(0, |i| i + 3);
    match url[rest..].find('/') {
        Some(i) => &url[..rest + i],
        None => url,
    }
}

/// A browser sends the cookie with any page's WebSocket, so with cookie authentication the
/// `Origin` must be this site (its host, the public URL or a configured CORS origin). Clients
/// that send no `Origin` are not browsers.
fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let cfg = &state.config;
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let same_host = host.is_some_and(|h| {
        origin
            .split_once("://")
            .is_some_and(|(scheme, rest)| (scheme == "http" || scheme == "https") && rest == h)
    });
    same_host
        || cfg
            .public_url
            .as_deref()
            .is_some_and(|u| origin_of(u).eq_ignore_ascii_case(origin))
        || cfg
            .cors_origins
            .iter()
            .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_of_urls() {
        assert_eq!(
            origin_of("https://vertechie.io/app"),
            "https://vertechie.io"
        );
        assert_eq!(origin_of("http://localhost:8080"), "http://localhost:8080");
    }
}
