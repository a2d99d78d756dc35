//! Who is connected to this instance: connections by id, by user and by room (rooms the user is
//! a member of, plus rooms the connection watches), and delivery of frames through each
//! connection's bounded queue. Never blocks: a full queue closes that connection instead.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use axum::extract::ws::Message;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;
use vertechie_kernel::{AppError, AppResult, CurrentUser, SessionId};

pub(crate) type ConnId = u64;

/// Why the server closes a socket: the WebSocket close code and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CloseReason {
    pub code: u16,
    pub reason: &'static str,
}

impl CloseReason {
    pub const SHUTTING_DOWN: Self = Self {
        code: 1001,
        reason: "server shutting down",
    };
    pub const IDLE: Self = Self {
        code: 1001,
        reason: "idle timeout",
    };
    pub const RATE_LIMITED: Self = Self {
        code: 1008,
        reason: "rate limit exceeded",
    };
    pub const SESSION_ENDED: Self = Self {
        code: 1008,
        reason: "session ended",
    };
    pub const TOO_BIG: Self = Self {
        code: 1009,
        reason: "message too big",
    };
    pub const START_FAILED: Self = Self {
        code: 1011,
        reason: "could not start the connection",
    };
    pub const TOO_SLOW: Self = Self {
        code: 1013,
        reason: "too slow to read",
    };
}

/// The user of a connection, refreshed when its session is re-checked (roles may change).
pub(crate) type SharedUser = Arc<RwLock<CurrentUser>>;

/// A socket whose session is to be re-checked: id, user, session, the shared user to refresh.
pub(crate) type SessionCheckTarget = (ConnId, Uuid, SessionId, SharedUser);

pub(crate) fn current(user: &SharedUser) -> CurrentUser {
    match user.read() {
        Ok(u) => u.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

/// What the registry holds of one connection.
pub(crate) struct ConnEntry {
    pub user: SharedUser,
    pub user_id: Uuid,
    pub session: SessionId,
    pub tx: mpsc::Sender<Message>,
    pub closer: watch::Sender<Option<CloseReason>>,
    /// Rooms the user is a member of (loaded at connect, kept current by `chat.membership`).
    pub member: HashSet<Uuid>,
    /// Rooms this connection watches (`join_room`) with their kind.
    pub watched: HashMap<Uuid, String>,
}

impl ConnEntry {
    fn close(&self, reason: CloseReason) {
        self.closer.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
    }

    fn deliver(&self, msg: &Message) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(msg.clone()) {
            metrics::counter!("ws_slow_consumers_total").increment(1);
            self.close(CloseReason::TOO_SLOW);
        }
    }
}

/// What a connection leaving changed for presence.
pub(crate) struct Departure {
    pub user_id: Uuid,
    /// It was the user's last socket here.
    pub last_for_user: bool,
    /// Rooms the user no longer watches from any socket here.
    pub rooms_left: Vec<Uuid>,
}

#[derive(Default)]
pub(crate) struct Registry {
    inner: Mutex<State>,
}

#[derive(Default)]
struct State {
    conns: HashMap<ConnId, ConnEntry>,
    by_user: HashMap<Uuid, HashSet<ConnId>>,
    by_room: HashMap<Uuid, HashSet<ConnId>>,
    /// room → user → how many of the user's sockets here watch the room.
    watchers: HashMap<Uuid, HashMap<Uuid, usize>>,
}

impl State {
    fn index_room(&mut self, room: Uuid, id: ConnId) {
        self.by_room.entry(room).or_default().insert(id);
    }

    fn unindex_room(&mut self, room: Uuid, id: ConnId) {
        if let Some(set) = self.by_room.get_mut(&room) {
            set.remove(&id);
            if set.is_empty() {
                self.by_room.remove(&room);
            }
        }
    }

    /// Drops one watcher of (room, user); true when it was the last one here.
    fn drop_watcher(&mut self, room: Uuid, user: Uuid) -> bool {
        let Some(users) = self.watchers.get_mut(&room) else {
            return false;
        };
        let last = match users.get_mut(&user) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                users.remove(&user);
                true
            }
            None => false,
        };
        if users.is_empty() {
            self.watchers.remove(&room);
        }
        last
    }
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, State> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub fn count(&self) -> usize {
        self.lock().conns.len()
    }

    pub fn count_user(&self, user: Uuid) -> usize {
        self.lock().by_user.get(&user).map_or(0, |s| s.len())
    }

    /// Adds a connection; true when it is the user's first socket here.
    pub fn register(&self, id: ConnId, entry: ConnEntry) -> bool {
        let mut st = self.lock();
        let user = entry.user_id;
        for room in &entry.member {
            st.index_room(*room, id);
        }
        st.conns.insert(id, entry);
        let set = st.by_user.entry(user).or_default();
        set.insert(id);
        metrics::gauge!("ws_connections").increment(1.0);
        set.len() == 1
    }

    pub fn unregister(&self, id: ConnId) -> Option<Departure> {
        let mut st = self.lock();
        let entry = st.conns.remove(&id)?;
        metrics::gauge!("ws_connections").decrement(1.0);
        let user = entry.user_id;
        let mut last_for_user = false;
        if let Some(set) = st.by_user.get_mut(&user) {
            set.remove(&id);
            if set.is_empty() {
                st.by_user.remove(&user);
                last_for_user = true;
            }
        }
        let mut rooms_left = Vec::new();
        let rooms: HashSet<Uuid> = entry
            .member
            .iter()
            .chain(entry.watched.keys())
            .copied()
            .collect();
        for room in rooms {
            st.unindex_room(room, id);
        }
        for room in entry.watched.keys() {
            if st.drop_watcher(*room, user) {
                rooms_left.push(*room);
            }
        }
        Some(Departure {
            user_id: user,
            last_for_user,
            rooms_left,
        })
    }

    /// Starts watching `room`; `Ok(true)` when it is the user's first socket here watching it.
    pub fn watch(&self, id: ConnId, room: Uuid, kind: String, max: usize) -> AppResult<bool> {
        let mut st = self.lock();
        let Some(entry) = st.conns.get_mut(&id) else {
            return Ok(false);
        };
        if let Some(known) = entry.watched.get_mut(&room) {
            *known = kind;
            return Ok(false);
        }
        if entry.watched.len() >= max {
            return Err(AppError::conflict(
                "TOO_MANY_ROOMS",
                format!("One connection may watch at most {max} rooms; leave one first"),
            ));
        }
        entry.watched.insert(room, kind);
        let user = entry.user_id;
        st.index_room(room, id);
        let n = st
            .watchers
            .entry(room)
            .or_default()
            .entry(user)
            .or_insert(0);
        *n += 1;
        Ok(*n == 1)
    }

    /// Stops watching `room`: `None` when it was not watched, else whether the user's last
    /// socket here watching it left.
    pub fn unwatch(&self, id: ConnId, room: Uuid) -> Option<bool> {
        let mut st = self.lock();
        let entry = st.conns.get_mut(&id)?;
        entry.watched.remove(&room)?;
        let user = entry.user_id;
        if !entry.member.contains(&room) {
            st.unindex_room(room, id);
        }
        Some(st.drop_watcher(room, user))
    }

    /// Adds rooms to one connection's member set (its rooms, read at connect).
    pub fn add_member_rooms(&self, id: ConnId, rooms: &[Uuid]) {
        let mut st = self.lock();
        match st.conns.get_mut(&id) {
            Some(entry) => entry.member.extend(rooms.iter().copied()),
            None => return,
        }
        for room in rooms {
            st.index_room(*room, id);
        }
    }

    pub fn is_member(&self, id: ConnId, room: Uuid) -> bool {
        self.lock()
            .conns
            .get(&id)
            .is_some_and(|c| c.member.contains(&room))
    }

    /// Applies a membership change to every socket of `user` here. A user who stopped being a
    /// member also stops watching the room unless it is public; returns true when that was the
    /// user's last watcher here (the room presence must go down).
    pub fn set_membership(&self, user: Uuid, room: Uuid, member: bool) -> bool {
        let mut st = self.lock();
        let ids: Vec<ConnId> = st
            .by_user
            .get(&user)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        let mut left = false;
        for id in ids {
            let Some(entry) = st.conns.get_mut(&id) else {
                continue;
            };
            if member {
                entry.member.insert(room);
                st.index_room(room, id);
                continue;
            }
            entry.member.remove(&room);
            let keep_watching = entry.watched.get(&room).is_some_and(|k| k == "public");
            let was_watching = entry.watched.contains_key(&room);
            if was_watching && !keep_watching {
                entry.watched.remove(&room);
                left |= st.drop_watcher(room, user);
            }
            if !keep_watching {
                st.unindex_room(room, id);
            }
        }
        left
    }

    pub fn has_room(&self, room: Uuid) -> bool {
        self.lock().by_room.contains_key(&room)
    }

    pub fn has_users(&self) -> bool {
        !self.lock().by_user.is_empty()
    }

    /// Of `users`, those with a socket here.
    pub fn local_users(&self, users: &[Uuid]) -> Vec<Uuid> {
        let st = self.lock();
        users
            .iter()
            .filter(|u| st.by_user.contains_key(u))
            .copied()
            .collect()
    }

    /// The distinct users watching `room` from this instance.
    pub fn room_watchers(&self, room: Uuid) -> Vec<Uuid> {
        let st = self.lock();
        let mut users: Vec<Uuid> = st
            .watchers
            .get(&room)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        users.sort();
        users
    }

    /// Sends `msg` to every socket of the room, except those of `except_user`.
    pub fn deliver_room(&self, room: Uuid, msg: &Message, except_user: Option<Uuid>) {
        let st = self.lock();
        let Some(ids) = st.by_room.get(&room) else {
            return;
        };
        for id in ids {
            if let Some(c) = st.conns.get(id)
                && Some(c.user_id) != except_user
            {
                c.deliver(msg);
            }
        }
    }

    /// Sends `msg` to every socket of each of `users`.
    pub fn deliver_users(&self, users: &[Uuid], msg: &Message) {
        let st = self.lock();
        for user in users {
            for id in st.by_user.get(user).into_iter().flatten() {
                if let Some(c) = st.conns.get(id) {
                    c.deliver(msg);
                }
            }
        }
    }

    pub fn deliver_all(&self, msg: &Message) {
        for c in self.lock().conns.values() {
            c.deliver(msg);
        }
    }

    /// The sockets of `user` with their sessions.
    pub fn sessions_of(&self, user: Uuid) -> Vec<SessionCheckTarget> {
        let st = self.lock();
        st.by_user
            .get(&user)
            .into_iter()
            .flatten()
            .filter_map(|id| {
                st.conns
                    .get(id)
                    .map(|c| (*id, c.user_id, c.session, c.user.clone()))
            })
            .collect()
    }

    /// Every socket with its session.
    pub fn all_sessions(&self) -> Vec<SessionCheckTarget> {
        self.lock()
            .conns
            .iter()
            .map(|(id, c)| (*id, c.user_id, c.session, c.user.clone()))
            .collect()
    }

    pub fn close(&self, id: ConnId, reason: CloseReason) {
        if let Some(c) = self.lock().conns.get(&id) {
            c.close(reason);
        }
    }

    pub fn close_all(&self, reason: CloseReason) {
        for c in self.lock().conns.values() {
            c.close(reason);
        }
    }
}
