//! Presence: who is online, and who watches which room (`join_room`), across instances.
//!
//! Without Redis this instance is the whole truth: a user is online while they have a socket
//! here, and the registry knows who watches what.
//!
//! With Redis every instance writes what it holds under expiring entries, refreshed every
//! `presence_heartbeat` (10 s) and expiring `presence_ttl` (30 s) after the last refresh, so the
//! users of an instance that dies go offline by themselves:
//! - `vertechie:presence:user:{user}` — sorted set, member = instance id, score = expiry in ms;
//!   the key itself expires with its newest entry. Online = an entry whose score is in the future.
//! - `vertechie:presence:room:{room}` — sorted set, member = `{user}:{instance}`, score = expiry.
//!   The room's online users are the distinct users of its live entries.
//! - `vertechie:presence:instances` — sorted set of live instances, score = expiry.
//! - `vertechie:presence:instance:{instance}` — set of what that instance holds (`u:{user}`,
//!   `r:{room}:{user}`), kept 20 × TTL, so another instance can clean up after it.
//!
//! First-entry / last-entry transitions are decided by Lua scripts (atomic, and timed by Redis's
//! own clock, so instances with skewed clocks agree); a transition publishes `chat.presence` or
//! `chat.room_presence` on the bus. At each heartbeat an instance also claims instances whose
//! entry expired (a script leases them for one TTL, so exactly one claimer works on each, and
//! another takes over if it dies meanwhile), removes their entries, publishes the offline / left
//! transitions that implies, then forgets them: presence recovers within TTL + one heartbeat of
//! an instance dying. Every change made by this instance goes through one task, in order, so a
//! heartbeat never re-adds what a disconnection has just removed. The key names and scripts are
//! in `presence_keys`.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::ConnectionManager;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;
use vertechie_kernel::bus::Event;
use vertechie_kernel::{AppError, AppResult, AppState};

use super::presence_keys::{
    CLAIM_DEAD, ONLINE, REAP_BATCH, REFRESH, REFRESH_CHUNK, ROOM_DOWN, ROOM_ONLINE, ROOM_UP,
    USER_DOWN, USER_UP,
};
pub use super::presence_keys::{
    INSTANCES_KEY, instance_key, room_entry, room_key, user_entry, user_key,
};
use super::registry::Registry;
use super::{Gateway, TOPIC_PRESENCE, TOPIC_ROOM_PRESENCE};
use crate::service::chat::UserRef;

enum Op {
    UserUp {
        user: Uuid,
        done: oneshot::Sender<()>,
    },
    UserDown {
        user: Uuid,
    },
    RoomUp {
        room: Uuid,
        user: UserRef,
        done: oneshot::Sender<()>,
    },
    RoomDown {
        room: Uuid,
        user: Uuid,
    },
    Stop {
        done: oneshot::Sender<()>,
    },
}

/// The gateway's handle on the presence task.
pub(crate) struct PresenceHandle {
    tx: mpsc::UnboundedSender<Op>,
    redis: Option<ConnectionManager>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

pub(crate) fn spawn(state: &AppState, gw: &Gateway) -> PresenceHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = Task {
        state: state.clone(),
        gw: gw.clone(),
        redis: state.redis.clone(),
        instance: state.bus.instance_id(),
        users: HashSet::new(),
        rooms: HashSet::new(),
    };
    let handle = tokio::spawn(task.run(rx));
    PresenceHandle {
        tx,
        redis: state.redis.clone(),
        task: Mutex::new(Some(handle)),
    }
}

impl PresenceHandle {
    /// The user has a first socket here; returns once the change is recorded (and announced).
    pub async fn user_up(&self, user: Uuid) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Op::UserUp { user, done }).is_ok() {
            let _ = wait.await;
        }
    }

    pub fn user_down(&self, user: Uuid) {
        let _ = self.tx.send(Op::UserDown { user });
    }

    /// The user watches the room from a first socket here; returns once recorded.
    pub async fn room_up(&self, room: Uuid, user: UserRef) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Op::RoomUp { room, user, done }).is_ok() {
            let _ = wait.await;
        }
    }

    pub fn room_down(&self, room: Uuid, user: Uuid) {
        let _ = self.tx.send(Op::RoomDown { room, user });
    }

    /// Withdraws this instance's presence (what is still held goes down and is announced) and
    /// ends the task; waits at most `grace`.
    pub async fn stop(&self, grace: Duration) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Op::Stop { done }).is_ok() {
            let _ = tokio::time::timeout(grace, wait).await;
        }
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(t) = task {
            t.abort();
        }
    }

    pub async fn online(&self, registry: &Registry, users: &[Uuid]) -> AppResult<Vec<bool>> {
        let Some(conn) = &self.redis else {
            let here: HashSet<Uuid> = registry.local_users(users).into_iter().collect();
            return Ok(users.iter().map(|u| here.contains(u)).collect());
        };
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let mut inv = ONLINE.prepare_invoke();
        for u in users {
            inv.key(user_key(*u));
        }
        let counts: Vec<i64> = inv
            .invoke_async(&mut conn.clone())
            .await
            .map_err(AppError::internal)?;
        Ok(counts.into_iter().map(|n| n > 0).collect())
    }

    pub async fn room_online(&self, registry: &Registry, room: Uuid) -> AppResult<Vec<Uuid>> {
        let Some(conn) = &self.redis else {
            return Ok(registry.room_watchers(room));
        };
        let members: Vec<String> = ROOM_ONLINE
            .key(room_key(room))
            .invoke_async(&mut conn.clone())
            .await
            .map_err(AppError::internal)?;
        let mut users: Vec<Uuid> = members
            .iter()
            .filter_map(|m| m.split_once(':').and_then(|(u, _)| Uuid::parse_str(u).ok()))
            .collect();
        users.sort();
        users.dedup();
        Ok(users)
    }
}

struct Task {
    state: AppState,
    gw: Gateway,
    redis: Option<ConnectionManager>,
    instance: Uuid,
    /// Users and (room, user) pairs this instance holds (and, with Redis, has written).
    users: HashSet<Uuid>,
    rooms: HashSet<(Uuid, Uuid)>,
}

fn warn(what: &str, e: &redis::RedisError) {
    tracing::warn!(error = %e, "presence: {what} failed in Redis");
    metrics::counter!("presence_redis_errors_total").increment(1);
}

impl Task {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Op>) {
        let mut last_beat = tokio::time::Instant::now();
        loop {
            // Re-read every round (at least each second), so changed limits apply soon.
            let next_beat = last_beat + self.gw.limits().presence_heartbeat;
            let wake = next_beat.min(tokio::time::Instant::now() + Duration::from_secs(1));
            tokio::select! {
                op = rx.recv() => match op {
                    None => break,
                    Some(Op::Stop { done }) => {
                        self.withdraw().await;
                        let _ = done.send(());
                        break;
                    }
                    Some(op) => self.apply(op).await,
                },
                _ = tokio::time::sleep_until(wake), if self.redis.is_some() => {
                    if tokio::time::Instant::now() >= next_beat {
                        self.heartbeat().await;
                        last_beat = tokio::time::Instant::now();
                    }
                }
            }
        }
    }

    fn ttl_ms(&self) -> u64 {
        self.gw.limits().presence_ttl.as_millis().max(1) as u64
    }

    async fn apply(&mut self, op: Op) {
        match op {
            Op::UserUp { user, done } => {
                if self.users.insert(user) && self.user_up(user).await {
                    self.announce(user, true);
                }
                let _ = done.send(());
            }
            Op::UserDown { user } => {
                if self.users.remove(&user) && self.user_down(self.instance, user).await {
                    self.announce(user, false);
                }
            }
            Op::RoomUp { room, user, done } => {
                if self.rooms.insert((room, user.id)) && self.room_up(room, user.id).await {
                    self.announce_room(room, user.id, Some(&user), true);
                }
                let _ = done.send(());
            }
            Op::RoomDown { room, user } => {
                if self.rooms.remove(&(room, user))
                    && self.room_down(self.instance, room, user).await
                {
                    self.announce_room(room, user, None, false);
                }
            }
            Op::Stop { done } => {
                let _ = done.send(());
            }
        }
    }

    fn announce(&self, user: Uuid, online: bool) {
        let status = if online { "online" } else { "offline" };
        self.state.bus.publish(Event::new(
            TOPIC_PRESENCE,
            json!({"user_id": user, "status": status}),
        ));
    }

    fn announce_room(&self, room: Uuid, user: Uuid, profile: Option<&UserRef>, joined: bool) {
        self.state.bus.publish(Event::new(
            TOPIC_ROOM_PRESENCE,
            json!({"room_id": room, "user_id": user, "user": profile, "joined": joined}),
        ));
    }

    /// Runs a transition script; `None` without Redis or (with a warning) when Redis fails —
    /// then the callers assume a transition, as without Redis.
    async fn transition(&self, what: &str, inv: &redis::ScriptInvocation<'_>) -> Option<i64> {
        let conn = self.redis.as_ref()?;
        match inv.invoke_async::<i64>(&mut conn.clone()).await {
            Ok(n) => Some(n),
            Err(e) => {
                warn(what, &e);
                None
            }
        }
    }

    /// Records the user here; true when they were offline everywhere before.
    async fn user_up(&self, user: Uuid) -> bool {
        let mut inv = USER_UP.prepare_invoke();
        inv.key(user_key(user))
            .key(instance_key(self.instance))
            .key(INSTANCES_KEY)
            .arg(self.instance.to_string())
            .arg(self.ttl_ms())
            .arg(user_entry(user));
        self.transition("user up", &inv)
            .await
            .is_none_or(|n| n == 1)
    }

    /// Removes the user's entry of `instance`; true when they are offline everywhere now.
    async fn user_down(&self, instance: Uuid, user: Uuid) -> bool {
        let mut inv = USER_DOWN.prepare_invoke();
        inv.key(user_key(user))
            .key(instance_key(instance))
            .arg(instance.to_string())
            .arg(user_entry(user));
        self.transition("user down", &inv)
            .await
            .is_none_or(|n| n == 0)
    }

    /// Records the user watching the room here; true when they watched it nowhere before.
    async fn room_up(&self, room: Uuid, user: Uuid) -> bool {
        let mut inv = ROOM_UP.prepare_invoke();
        inv.key(room_key(room))
            .key(instance_key(self.instance))
            .key(INSTANCES_KEY)
            .arg(self.instance.to_string())
            .arg(self.ttl_ms())
            .arg(user.to_string())
            .arg(room_entry(room, user));
        self.transition("room up", &inv)
            .await
            .is_none_or(|n| n == 1)
    }

    /// Removes the user's watch of `instance`; true when they watch the room nowhere now.
    async fn room_down(&self, instance: Uuid, room: Uuid, user: Uuid) -> bool {
        let mut inv = ROOM_DOWN.prepare_invoke();
        inv.key(room_key(room))
            .key(instance_key(instance))
            .arg(instance.to_string())
            .arg(user.to_string())
            .arg(room_entry(room, user));
        self.transition("room down", &inv)
            .await
            .is_none_or(|n| n == 1)
    }

    /// Refreshes this instance's entries, then cleans up after dead instances.
    async fn heartbeat(&mut self) {
        if !self.users.is_empty() || !self.rooms.is_empty() {
            self.refresh().await;
        }
        self.reap().await;
    }

    async fn refresh(&mut self) {
        let Some(conn) = &self.redis else {
            return;
        };
        let instance = self.instance.to_string();
        let entries: Vec<(String, String, String)> = self
            .users
            .iter()
            .map(|u| (user_key(*u), instance.clone(), user_entry(*u)))
            .chain(
                self.rooms
                    .iter()
                    .map(|(r, u)| (room_key(*r), format!("{u}:{instance}"), room_entry(*r, *u))),
            )
            .collect();
        let mut dropped = false;
        for chunk in entries.chunks(REFRESH_CHUNK) {
            let mut inv = REFRESH.prepare_invoke();
            inv.key(INSTANCES_KEY).key(instance_key(self.instance));
            inv.arg(&instance).arg(self.ttl_ms()).arg(chunk.len());
            for (key, _, _) in chunk {
                inv.key(key);
            }
            for (_, member, _) in chunk {
                inv.arg(member);
            }
            for (_, _, entry) in chunk {
                inv.arg(entry);
            }
            match inv.invoke_async::<i64>(&mut conn.clone()).await {
                Ok(added) => dropped |= added == 1,
                Err(e) => warn("heartbeat", &e),
            }
        }
        if dropped {
            // Another instance took this one for dead (a long stall) and announced its users
            // offline: they are back, say so.
            tracing::warn!("presence: this instance had been reaped; announcing its users again");
            for user in &self.users {
                self.announce(*user, true);
            }
            for (room, user) in &self.rooms {
                self.announce_room(*room, *user, None, true);
            }
        }
    }

    /// Claims instances whose presence expired and withdraws what they held.
    async fn reap(&mut self) {
        let Some(conn) = self.redis.clone() else {
            return;
        };
        let dead: Vec<String> = match CLAIM_DEAD
            .key(INSTANCES_KEY)
            .arg(REAP_BATCH)
            .arg(self.ttl_ms())
            .invoke_async(&mut conn.clone())
            .await
        {
            Ok(d) => d,
            Err(e) => {
                warn("claim dead instances", &e);
                return;
            }
        };
        for id in dead {
            let Ok(instance) = Uuid::parse_str(&id) else {
                continue;
            };
            if instance == self.instance {
                continue;
            }
            let set = instance_key(instance);
            let entries: Vec<String> = match redis::cmd("SMEMBERS")
                .arg(&set)
                .query_async(&mut conn.clone())
                .await
            {
                Ok(e) => e,
                Err(e) => {
                    warn("read a dead instance", &e);
                    continue;
                }
            };
            tracing::info!(instance = %instance, entries = entries.len(), "presence: cleaning up after a dead instance");
            metrics::counter!("presence_instances_reaped_total").increment(1);
            for entry in entries {
                self.withdraw_entry(instance, &entry).await;
            }
            let mut pipe = redis::pipe();
            pipe.cmd("DEL")
                .arg(&set)
                .ignore()
                .cmd("ZREM")
                .arg(INSTANCES_KEY)
                .arg(&id)
                .ignore();
            if let Err(e) = pipe.query_async::<()>(&mut conn.clone()).await {
                warn("forget a dead instance", &e);
            }
        }
    }

    /// Removes one entry of `instance` and announces the transition it causes.
    async fn withdraw_entry(&self, instance: Uuid, entry: &str) {
        let mut parts = entry.split(':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("u"), Some(user), None) => {
                if let Ok(user) = Uuid::parse_str(user)
                    && self.user_down(instance, user).await
                {
                    self.announce(user, false);
                }
            }
            (Some("r"), Some(room), Some(user)) => {
                if let (Ok(room), Ok(user)) = (Uuid::parse_str(room), Uuid::parse_str(user))
                    && self.room_down(instance, room, user).await
                {
                    self.announce_room(room, user, None, false);
                }
            }
            _ => {}
        }
    }

    /// At shutdown: withdraws whatever this instance still holds, then leaves the live set.
    async fn withdraw(&mut self) {
        for (room, user) in std::mem::take(&mut self.rooms) {
            if self.room_down(self.instance, room, user).await {
                self.announce_room(room, user, None, false);
            }
        }
        for user in std::mem::take(&mut self.users) {
            if self.user_down(self.instance, user).await {
                self.announce(user, false);
            }
        }
        if let Some(conn) = &self.redis {
            let mut pipe = redis::pipe();
            pipe.cmd("ZREM")
                .arg(INSTANCES_KEY)
                .arg(self.instance.to_string())
                .ignore()
                .cmd("DEL")
                .arg(instance_key(self.instance))
                .ignore();
            if let Err(e) = pipe.query_async::<()>(&mut conn.clone()).await {
                warn("leave the live instances", &e);
            }
        }
    }
}
