//! One socket, authenticated before the upgrade: registered, greeted with `ready`, then served
//! by two halves. The reader applies the rate limit, parses and executes client frames one after
//! the other (so a client's messages are stored in the order it sent them) and queues acks; the
//! writer drains the connection's bounded queue, pings an idle peer, reaps a dead one and sends
//! the close frame.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::sync::{Notify, mpsc, watch};
use uuid::Uuid;
use vertechie_kernel::bus::Event;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser};

use super::frames::{self, ClientFrame};
use super::registry::{CloseReason, ConnEntry, ConnId, SharedUser, current};
use super::{Gateway, Limits, TOPIC_TYPING, status};
use crate::service::chat::{self, MessageView, NewMessage, UserRef};

/// Ids listed in a `join_room` ack at most (the count is always complete).
const ONLINE_IDS_MAX: usize = 200;
/// Frames written in one batch before flushing.
const WRITE_BATCH: usize = 64;
/// How long a closing socket waits for the peer's close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

type Sink = SplitSink<WebSocket, Message>;

/// Serves `socket` for `user` until it closes.
pub(crate) async fn run(state: AppState, gw: Gateway, user: CurrentUser, socket: WebSocket) {
    let limits = gw.limits();
    let (mut sink, stream) = socket.split();
    if let Err(e) = gw.presence() {
        return refuse(&mut sink, &e).await;
    }
    let id = gw.next_connection_id();
    let user_id = user.id.as_uuid();
    let (tx, rx) = mpsc::channel(limits.outbound_queue.max(1));
    let (closer, close_rx) = watch::channel(None);
    let shared: SharedUser = Arc::new(RwLock::new(user.clone()));
    // Registered before the member rooms are read, so no event published meanwhile is missed.
    let first_here = gw.registry().register(
        id,
        ConnEntry {
            user: shared.clone(),
            user_id,
            session: user.session_id,
            tx: tx.clone(),
            closer,
            member: Default::default(),
            watched: HashMap::new(),
        },
    );
    let mut conn = Conn {
        id,
        state,
        gw,
        user: shared,
        user_id,
        tx,
        limits,
        typing: HashMap::new(),
    };
    if conn.gw.is_closing() {
        // Upgraded while the server began to shut down: it was not in the list `shutdown` closed.
        conn.close(CloseReason::SHUTTING_DOWN);
    }
    if first_here && let Ok(presence) = conn.gw.presence() {
        presence.user_up(user_id).await;
    }
    match conn.ready().await {
        Ok(ready) => {
            if sink.send(frames::text(&ready)).await.is_ok() {
                conn.serve(sink, stream, rx, close_rx).await;
            }
        }
        Err(e) => refuse(&mut sink, &e).await,
    }
    conn.leave();
}

/// Ends a socket that could not start: an error frame, then close 1011.
async fn refuse(sink: &mut Sink, e: &AppError) {
    let _ = sink.send(frames::text(&frames::error(e, None))).await;
    let _ = sink.send(close_message(CloseReason::START_FAILED)).await;
}

fn close_message(reason: CloseReason) -> Message {
    Message::Close(Some(CloseFrame {
        code: reason.code,
        reason: Utf8Bytes::from_static(reason.reason),
    }))
}

/// Frames a connection may send: `burst` at once, refilled at `frames_per_sec`.
struct Bucket {
    tokens: f64,
    last: Instant,
    rate: f64,
    burst: f64,
}

impl Bucket {
    fn new(limits: &Limits) -> Self {
        Self {
            tokens: f64::from(limits.burst),
            last: Instant::now(),
            rate: f64::from(limits.frames_per_sec),
            burst: f64::from(limits.burst),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct Conn {
    id: ConnId,
    state: AppState,
    gw: Gateway,
    user: SharedUser,
    user_id: Uuid,
    tx: mpsc::Sender<Message>,
    limits: Limits,
    /// When this connection last forwarded `typing` (true) per room.
    typing: HashMap<Uuid, Instant>,
}

impl Conn {
    /// Loads the member rooms into the registry and builds the `ready` frame.
    async fn ready(&mut self) -> AppResult<Value> {
        let rooms = chat::member_room_ids(&self.state, self.user_id).await?;
        self.gw.registry().add_member_rooms(self.id, &rooms);
        // Presence is best effort: a failure here leaves the list empty rather than the socket shut.
        let online = match chat::contacts(&self.state, self.user_id).await {
            Ok(contacts) => match self.gw.online(&contacts).await {
                Ok(flags) => contacts
                    .into_iter()
                    .zip(flags)
                    .filter_map(|(c, on)| on.then_some(c))
                    .collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "gateway: presence unavailable at connect");
                    Vec::new()
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "gateway: contacts unavailable at connect");
                Vec::new()
            }
        };
        let me = current(&self.user);
        let l = &self.limits;
        Ok(json!({
            "type": "ready",
            "connection_id": format!("{}:{}", self.state.bus.instance_id(), self.id),
            "user": {"id": self.user_id, "username": me.username, "display_name": me.display_name},
            "rooms": rooms,
            "online": online,
            "limits": {
                "max_frame_bytes": l.max_frame_bytes,
                "frames_per_sec": l.frames_per_sec,
                "burst": l.burst,
                "ping_interval_secs": l.ping_interval.as_secs(),
                "idle_timeout_secs": l.idle_timeout.as_secs(),
            },
        }))
    }

    async fn serve(
        &mut self,
        sink: Sink,
        mut stream: SplitStream<WebSocket>,
        rx: mpsc::Receiver<Message>,
        mut close_rx: watch::Receiver<Option<CloseReason>>,
    ) {
        let started = Instant::now();
        let last_seen = Arc::new(AtomicU64::new(0));
        let writer_done = Arc::new(Notify::new());
        let writer = tokio::spawn(write_loop(
            sink,
            rx,
            close_rx.clone(),
            WriterClock {
                started,
                last_seen: last_seen.clone(),
            },
            self.limits.clone(),
            writer_done.clone(),
        ));
        let mut bucket = Bucket::new(&self.limits);
        let mut closing = false;
        loop {
            let msg = tokio::select! {
                biased;
                _ = close_rx.changed() => { closing = true; break }
                _ = writer_done.notified() => break,
                msg = stream.next() => msg,
            };
            let msg = match msg {
                Some(Ok(m)) => m,
                Some(Err(e)) => {
                    if is_too_big(&e) {
                        self.close(CloseReason::TOO_BIG);
                        closing = true;
                    }
                    break;
                }
                None => break,
            };
            last_seen.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
            let counted = matches!(
                msg,
                Message::Text(_) | Message::Binary(_) | Message::Ping(_)
            );
            if counted && !bucket.take() {
                metrics::counter!("ws_rate_limited_total").increment(1);
                self.close(CloseReason::RATE_LIMITED);
                closing = true;
                break;
            }
            match msg {
                Message::Text(text) => self.handle(text.as_str()).await,
                Message::Binary(_) => self.reply(&frames::error(
                    &AppError::bad_request(
                        "UNSUPPORTED_FRAME",
                        "Binary frames are not supported; send JSON text frames",
                    ),
                    None,
                )),
                Message::Close(_) => break,
                Message::Ping(_) | Message::Pong(_) => {}
            }
        }
        if closing {
            // Let the writer send the close frame, then wait briefly for the peer's answer.
            let _ = tokio::time::timeout(CLOSE_WAIT, async {
                while let Some(Ok(_)) = stream.next().await {}
            })
            .await;
        }
        self.leave();
        let abort = writer.abort_handle();
        if tokio::time::timeout(CLOSE_WAIT, writer).await.is_err() {
            abort.abort();
        }
    }

    /// Unregisters the socket and takes its presence down where it was the last one here.
    fn leave(&mut self) {
        let Some(gone) = self.gw.registry().unregister(self.id) else {
            return;
        };
        if let Ok(presence) = self.gw.presence() {
            for room in gone.rooms_left {
                presence.room_down(room, gone.user_id);
            }
            if gone.last_for_user {
                presence.user_down(gone.user_id);
            }
        }
    }

    fn close(&self, reason: CloseReason) {
        self.gw.registry().close(self.id, reason);
    }

    /// Queues a frame for this socket only; a full queue means the client does not read.
    fn reply(&self, v: &Value) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(frames::text(v)) {
            metrics::counter!("ws_slow_consumers_total").increment(1);
            self.close(CloseReason::TOO_SLOW);
        }
    }

    async fn handle(&mut self, text: &str) {
        let parsed = frames::parse(text, self.limits.max_frame_bytes);
        let reference = parsed.reference;
        let frame = match parsed.frame {
            Ok(f) => f,
            Err(e) => {
                metrics::counter!("ws_frames_received_total", "type" => "invalid").increment(1);
                return self.reply(&frames::error(&e, reference.as_ref()));
            }
        };
        let name = frame.name();
        metrics::counter!("ws_frames_received_total", "type" => name).increment(1);
        if frame == ClientFrame::Ping {
            let now = self.state.clock.now();
            return self.reply(&json!({"type": "pong", "ref": reference, "server_time": now}));
        }
        match self.execute(frame).await {
            Ok(data) => {
                if let Some(r) = reference {
                    self.reply(&frames::ack(r, name, data));
                }
            }
            Err(e) => self.reply(&frames::error(&e, reference.as_ref())),
        }
    }

    async fn execute(&mut self, frame: ClientFrame) -> AppResult<Map<String, Value>> {
        let me = current(&self.user);
        let state = &self.state;
        let message = |m: MessageView| fields(json!({"message": m}));
        Ok(match frame {
            ClientFrame::JoinRoom { room_id } => self.join_room(room_id, &me).await?,
            ClientFrame::LeaveRoom { room_id } => {
                if self.gw.registry().unwatch(self.id, room_id) == Some(true) {
                    self.gw.presence()?.room_down(room_id, self.user_id);
                }
                fields(json!({"room_id": room_id}))
            }
            ClientFrame::SendMessage {
                room_id,
                body,
                reply_to,
                attachments,
            } => message(
                chat::send_message(
                    state,
                    &me,
                    room_id,
                    NewMessage {
                        body,
                        reply_to,
                        attachments,
                    },
                )
                .await?,
            ),
            ClientFrame::SendDirectMessage {
                to,
                body,
                reply_to,
                attachments,
            } => message(
                chat::send_direct(
                    state,
                    &me,
                    to,
                    NewMessage {
                        body,
                        reply_to,
                        attachments,
                    },
                )
                .await?,
            ),
            ClientFrame::Typing { room_id, is_typing } => self.typing(room_id, is_typing, &me)?,
            ClientFrame::AddReaction { message_id, emoji } => {
                message(chat::add_reaction(state, &me, message_id, emoji).await?)
            }
            ClientFrame::RemoveReaction { message_id, emoji } => {
                message(chat::remove_reaction(state, &me, message_id, emoji).await?)
            }
            ClientFrame::EditMessage { message_id, body } => {
                message(chat::edit_message(state, &me, message_id, body).await?)
            }
            ClientFrame::DeleteMessage { message_id } => {
                message(chat::delete_message(state, &me, message_id).await?)
            }
            ClientFrame::MarkRead {
                room_id,
                message_id,
            } => {
                fields(json!({"receipt": chat::mark_read(state, &me, room_id, message_id).await?}))
            }
            ClientFrame::Ping => Map::new(),
        })
    }

    /// Watches a room the user may read: its events reach this socket, and the user counts as
    /// online in it.
    async fn join_room(&mut self, room: Uuid, me: &CurrentUser) -> AppResult<Map<String, Value>> {
        let kind = chat::room_access(&self.state, self.user_id, room).await?;
        let first =
            self.gw
                .registry()
                .watch(self.id, room, kind.clone(), self.limits.max_watched_rooms)?;
        if first {
            self.gw.presence()?.room_up(room, user_ref(me)).await;
        }
        let online = self.gw.room_online(room).await?;
        let members = status::member_count(&self.state, room).await?;
        Ok(fields(json!({
            "room_id": room,
            "kind": kind,
            "online_count": online.len(),
            "member_count": members,
            "online_user_ids": online.iter().take(ONLINE_IDS_MAX).collect::<Vec<_>>(),
        })))
    }

    /// Typing is not stored: published on the bus for the room's other sockets, at most once per
    /// `typing_interval` per room while it stays true.
    fn typing(
        &mut self,
        room: Uuid,
        is_typing: bool,
        me: &CurrentUser,
    ) -> AppResult<Map<String, Value>> {
        if !self.gw.registry().is_member(self.id, room) {
            return Err(AppError::forbidden(
                "NOT_A_MEMBER",
                "Only members of the room can type in it",
            ));
        }
        let now = Instant::now();
        let interval = self.limits.typing_interval;
        let forward = if is_typing {
            let recent = self
                .typing
                .get(&room)
                .is_some_and(|t| now.duration_since(*t) < interval);
            if !recent {
                if self.typing.len() >= 100 {
                    self.typing.retain(|_, t| now.duration_since(*t) < interval);
                }
                self.typing.insert(room, now);
            }
            !recent
        } else {
            self.typing.remove(&room);
            true
        };
        if forward {
            self.state.bus.publish(Event::new(
                TOPIC_TYPING,
                json!({"room_id": room, "user": user_ref(me), "is_typing": is_typing}),
            ));
        }
        Ok(fields(json!({"room_id": room})))
    }
}

fn user_ref(me: &CurrentUser) -> UserRef {
    UserRef {
        id: me.id.as_uuid(),
        username: me.username.clone(),
        display_name: me.display_name.clone(),
    }
}

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn is_too_big(e: &axum::Error) -> bool {
    let text = format!("{e:?}");
    text.contains("Capacity") || text.contains("too long") || text.contains("TooLong")
}

/// When the reader last heard from the peer (ms since `started`).
struct WriterClock {
    started: Instant,
    last_seen: Arc<AtomicU64>,
}

impl WriterClock {
    fn idle(&self) -> Duration {
        self.started.elapsed().saturating_sub(Duration::from_millis(
            self.last_seen.load(Ordering::Relaxed),
        ))
    }
}

/// Writes queued frames in batches; pings when the peer has been quiet for `ping_interval`;
/// closes with 1001 after `idle_timeout` of silence; sends the close frame when asked to (at
/// once, even in the middle of a write that the peer is too slow to take).
async fn write_loop(
    mut sink: Sink,
    mut rx: mpsc::Receiver<Message>,
    mut close_rx: watch::Receiver<Option<CloseReason>>,
    clock: WriterClock,
    limits: Limits,
    done: Arc<Notify>,
) {
    let tick = (limits.ping_interval.min(limits.idle_timeout) / 4).max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_ping: Option<Instant> = None;
    let close = loop {
        let first = tokio::select! {
            biased;
            res = close_rx.changed() => break if res.is_ok() { *close_rx.borrow() } else { None },
            msg = rx.recv() => match msg {
                Some(m) => m,
                None => break None,
            },
            _ = ticker.tick() => {
                let idle = clock.idle();
                if idle >= limits.idle_timeout {
                    metrics::counter!("ws_idle_closed_total").increment(1);
                    break Some(CloseReason::IDLE);
                }
                let due = last_ping.is_none_or(|t| t.elapsed() >= limits.ping_interval);
                if idle < limits.ping_interval {
                    last_ping = None;
                } else if due {
                    last_ping = Some(Instant::now());
                    let ping = sink.send(Message::Ping(Bytes::from_static(b"vt")));
                    if !matches!(tokio::time::timeout(limits.write_timeout, ping).await, Ok(Ok(()))) {
                        break None;
                    }
                }
                continue;
            }
        };
        let batch = async {
            sink.feed(first).await?;
            for _ in 1..WRITE_BATCH {
                match rx.try_recv() {
                    Ok(m) => sink.feed(m).await?,
                    Err(_) => break,
                }
            }
            sink.flush().await
        };
        tokio::select! {
            biased;
            res = close_rx.changed() => break if res.is_ok() { *close_rx.borrow() } else { None },
            written = tokio::time::timeout(limits.write_timeout, batch) => {
                // Otherwise the peer is gone, or does not read: drop the socket.
                if !matches!(written, Ok(Ok(()))) {
                    break None;
                }
            }
        }
    };
    if let Some(reason) = close {
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            // A client too slow to read gets nothing more; others get what was queued first.
            if reason != CloseReason::TOO_SLOW {
                while let Ok(m) = rx.try_recv() {
                    sink.feed(m).await?;
                }
            }
            sink.send(close_message(reason)).await
        })
        .await;
    }
    done.notify_one();
}
