//! The realtime gateway behind `GET /api/v1/ws`: one authenticated WebSocket per browser tab or
//! device, JSON frames both ways, fan-out of chat events, typing, notifications and presence to
//! the sockets of this instance, and presence that is correct across instances.
//!
//! # Frames
//!
//! Every frame is a JSON object `{"type": ..., ...}` in a text message. A client frame may carry
//! `ref` (a string of at most 100 characters, or a number); the server answers it with an `ack`
//! (or `pong`) or an `error` carrying the same `ref`.
//!
//! Client → server:
//!
//! | type | fields | ack (`{type:"ack", ref, for:<type>, ...}`) |
//! |---|---|---|
//! | `join_room` | `room_id` | `room_id, kind, online_count, member_count, online_user_ids` |
//! | `leave_room` | `room_id` | `room_id` |
//! | `send_message` | `room_id, body, reply_to?, attachments?` (file ids; `body` may be absent with files) | `message` (MessageView) |
//! | `send_direct_message` | `to` (user id; alias `user_id`), `body, reply_to?, attachments?` | `message` |
//! | `typing` | `room_id, is_typing?` (default true) | `room_id` |
//! | `add_reaction` / `remove_reaction` | `message_id, emoji` | `message` |
//! | `edit_message` | `message_id, body` | `message` |
//! | `delete_message` | `message_id` | `message` |
//! | `mark_read` | `room_id, message_id` | `receipt` (ReadReceipt) |
//! | `ping` | — | answered by `pong {ref, server_time}` instead of an ack |
//!
//! Server → client: `ready {connection_id, user, rooms, online, limits}` (always the first frame),
//! `new_message`, `new_direct_message`, `message_updated`, `reaction_updated`, `read_receipt`,
//! `room_updated {room_id, name, topic, updated_at}` (as published by the chat service, see
//! `service::chat`), `user_joined` / `user_left
//! {room_id, user_id, user}`, `room_stats_updated {room_id, online_count, member_count}`,
//! `user_typing {room_id, user, is_typing, expires_in_ms}`, `notification {notification}`,
//! `presence {user_id, status: online|offline}`, `resync {reason}` (this instance fell behind on
//! events: refetch by cursor), `ack`, `pong`, and `error {code, message, ref, fields?}`.
//!
//! A bad frame (not JSON, unknown type, over [`Limits::max_frame_bytes`], missing or invalid
//! fields, not allowed) is answered by an `error` frame and the socket stays open. Close codes:
//! 1001 server shutting down or idle timeout, 1008 rate limit exceeded or session ended, 1009
//! message over [`Limits::max_message_bytes`], 1011 start-up failure, 1013 client too slow to read.
//!
//! # Bus topics
//!
//! The gateway holds one bus subscription per instance ([`dispatch`]) and routes:
//! `chat.event {room_id, frame}` → the room's sockets (members and watchers);
//! `chat.membership {room_id, user_id, member}` → the user's sockets' member sets;
//! `notification {user_id, notification}` → the user's sockets; `accounts.user_changed {user_id}`
//! → re-check those sockets' sessions. It publishes itself:
//! - `chat.typing {room_id, user: UserRef, is_typing}` — never stored;
//! - `chat.presence {user_id, status}` — on a user's first connection / last disconnection across
//!   all instances (delivered to their contacts' sockets);
//! - `chat.room_presence {room_id, user_id, user?, joined}` — on a user's first `join_room` / last
//!   `leave_room` of a room across all instances (delivered as `user_joined`/`user_left` and
//!   `room_stats_updated` to the room's sockets; counts are read fresh by each receiver).
//!
//! Presence storage (Redis keys, TTLs, heartbeat, recovery from a dead instance) is described in
//! [`presence`].

mod connection;
mod dispatch;
pub mod frames;
pub mod presence;
mod presence_keys;
mod registry;
pub mod status;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use axum::extract::ws::WebSocket;
use uuid::Uuid;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser};

use presence::PresenceHandle;
use registry::{CloseReason, Registry};

/// Bus topic of typing indicators.
pub const TOPIC_TYPING: &str = "chat.typing";
/// Bus topic of a user coming online or going offline (across all instances).
pub const TOPIC_PRESENCE: &str = "chat.presence";
/// Bus topic of a user starting or ending to watch a room (across all instances).
pub const TOPIC_ROOM_PRESENCE: &str = "chat.room_presence";

/// The gateway's limits and timings. Defaults are the production values; tests shorten them
/// with [`Gateway::set_limits`] (read when a connection starts, and by the background tasks on
/// each round).
#[derive(Debug, Clone)]
pub struct Limits {
    /// A text frame larger than this is refused with an `error` frame (64 KiB).
    pub max_frame_bytes: usize,
    /// The WebSocket layer's hard cap per message; beyond it the socket closes with 1009 (1 MiB).
    pub max_message_bytes: usize,
    /// Token bucket per connection: frames per second refilled (20) …
    pub frames_per_sec: u32,
    /// … and the bucket's size, the burst allowed (40). Beyond it: close 1008.
    pub burst: u32,
    /// Frames waiting to be written to one socket; a client that lets it fill up is too slow
    /// to read and is disconnected with 1013 (512).
    pub outbound_queue: usize,
    /// The server pings a connection it has heard nothing from for this long (25 s) …
    pub ping_interval: Duration,
    /// … and closes it when it has heard nothing (not even a pong) for this long (60 s).
    pub idle_timeout: Duration,
    /// Writing one batch of frames to a socket may take this long before the socket is dropped.
    pub write_timeout: Duration,
    /// Every socket's session is re-checked this often (60 s), besides on `accounts.user_changed`.
    pub session_recheck: Duration,
    /// Presence entries in Redis are refreshed this often (10 s) …
    pub presence_heartbeat: Duration,
    /// … and expire this long after their last refresh (30 s): a dead instance's users go offline.
    pub presence_ttl: Duration,
    /// `typing` (is_typing = true) is forwarded at most this often per connection and room (2 s).
    pub typing_interval: Duration,
    /// How long clients should show a typing indicator without a new `user_typing` (6 s).
    pub typing_expiry: Duration,
    /// Rooms one connection may watch with `join_room` (100).
    pub max_watched_rooms: usize,
    /// Sockets one user may hold on one instance (20); more are refused with 429.
    pub max_connections_per_user: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame_bytes: 64 * 1024,
            max_message_bytes: 1024 * 1024,
            frames_per_sec: 20,
            burst: 40,
            outbound_queue: 512,
            ping_interval: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(10),
            session_recheck: Duration::from_secs(60),
            presence_heartbeat: Duration::from_secs(10),
            presence_ttl: Duration::from_secs(30),
            typing_interval: Duration::from_secs(2),
            typing_expiry: Duration::from_secs(6),
            max_watched_rooms: 100,
            max_connections_per_user: 20,
        }
    }
}

/// This instance's gateway: registered in the state's extensions by the server, started by
/// [`spawn`]. Clones share one gateway.
#[derive(Clone, Default)]
pub struct Gateway {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    limits: RwLock<Limits>,
    registry: Registry,
    presence: OnceLock<PresenceHandle>,
    closing: AtomicBool,
    next_connection: AtomicU64,
}

impl Gateway {
    pub fn limits(&self) -> Limits {
        match self.inner.limits.read() {
            Ok(l) => l.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the limits (tests shorten the timings).
    pub fn set_limits(&self, limits: Limits) {
        match self.inner.limits.write() {
            Ok(mut l) => *l = limits,
            Err(poisoned) => *poisoned.into_inner() = limits,
        }
    }

    /// Sockets open on this instance.
    pub fn connections(&self) -> usize {
        self.inner.registry.count()
    }

    fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    fn presence(&self) -> AppResult<&PresenceHandle> {
        self.inner
            .presence
            .get()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("the gateway is not started")))
    }

    fn is_closing(&self) -> bool {
        self.inner.closing.load(Ordering::Acquire)
    }

    fn next_connection_id(&self) -> u64 {
        self.inner.next_connection.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Whether a new socket for `user` may open: not while shutting down (503), not beyond
    /// [`Limits::max_connections_per_user`] (429).
    pub fn admit(&self, user: Uuid) -> AppResult<()> {
        if self.is_closing() || self.inner.presence.get().is_none() {
            return Err(AppError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "SHUTTING_DOWN",
                "The server is not accepting live connections right now; retry shortly",
            ));
        }
        if self.registry().count_user(user) >= self.limits().max_connections_per_user {
            return Err(AppError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_CONNECTIONS",
                "Too many live connections for this account; close some tabs or devices",
            ));
        }
        Ok(())
    }

    /// Which of `users` are online anywhere (any instance), in the same order.
    pub async fn online(&self, users: &[Uuid]) -> AppResult<Vec<bool>> {
        self.presence()?.online(self.registry(), users).await
    }

    /// The distinct users watching `room` (`join_room`) anywhere.
    pub async fn room_online(&self, room: Uuid) -> AppResult<Vec<Uuid>> {
        self.presence()?.room_online(self.registry(), room).await
    }
}

/// The gateway registered in the state (the server inserts one into the extensions).
pub fn gateway(state: &AppState) -> AppResult<&Gateway> {
    state
        .ext::<Gateway>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no gateway in the state extensions")))
}

/// Starts the gateway's background tasks: the bus listener that routes events to local sockets,
/// the periodic session re-check, and the presence task (heartbeat and dead-instance recovery
/// with Redis). Without a [`Gateway`] in the state's extensions this does nothing.
pub fn spawn(state: AppState) {
    let Some(gw) = state.ext::<Gateway>().cloned() else {
        tracing::warn!("no gateway registered: live connections are disabled");
        return;
    };
    let presence = presence::spawn(&state, &gw);
    if gw.inner.presence.set(presence).is_err() {
        tracing::warn!("the gateway was started twice; keeping the first");
        return;
    }
    dispatch::spawn(state, gw);
}

/// Graceful shutdown: refuses new sockets, closes every open one with 1001 (going away), waits
/// up to `grace` for them to end, then removes this instance's presence (so users connected
/// only here go offline at once rather than after the TTL).
pub async fn shutdown(state: &AppState, grace: Duration) {
    let Some(gw) = state.ext::<Gateway>() else {
        return;
    };
    gw.inner.closing.store(true, Ordering::Release);
    let open = gw.registry().count();
    if open > 0 {
        tracing::info!(sockets = open, "closing live connections");
    }
    gw.registry().close_all(CloseReason::SHUTTING_DOWN);
    let deadline = tokio::time::Instant::now() + grace;
    while gw.registry().count() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if let Some(p) = gw.inner.presence.get() {
        p.stop(grace).await;
    }
    // The offline announcements must reach the other instances before this process ends.
    state.bus.flush(grace).await;
}

/// Runs one upgraded socket for `user` until it closes (called by the `/api/v1/ws` handler).
pub async fn serve_socket(state: AppState, user: CurrentUser, socket: WebSocket) {
    match gateway(&state) {
        Ok(gw) => {
            let gw = gw.clone();
            connection::run(state, gw, user, socket).await
        }
        Err(e) => tracing::error!(error = %e, "socket without a gateway"),
    }
}
