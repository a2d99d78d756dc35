//! The per-instance cache of `GET /users/me` answers, public profiles and admin user lists, and
//! how every instance learns that a user changed.
//!
//! `/users/me` is the most frequent authenticated read. Its answer only changes when the user
//! row does, and every such write in accounts calls [`user_changed`] after it commits: that
//! evicts the entry here at once and publishes `accounts.user_changed` on the kernel bus, so
//! other instances (with Redis) evict theirs and forget the user's cached sessions too. A read
//! that raced with a write never stores what it read (a generation counter guards the insert),
//! and entries expire after [`USER_CACHE_TTL`] in any case, which bounds staleness if a bus
//! message is lost or a row is changed by another process without a bus (`create-admin` on a
//! machine without Redis).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use uuid::Uuid;
use vertechie_kernel::bus::Event;
use vertechie_kernel::cache::{Generation, TtlMap};
use vertechie_kernel::{AppState, Page, UserId};

use crate::service::views::{PublicUserView, UserView};

/// The longest an entry is served without being read again from the database.
pub const USER_CACHE_TTL: Duration = Duration::from_secs(30);
/// Entries kept at most; when full, the cache starts over (cheap and bounded).
const USER_CACHE_MAX: usize = 100_000;
/// The bus topic of "this user's row changed" (payload `{user_id}`).
pub const USER_CHANGED: &str = "accounts.user_changed";

/// Shared through the state's extensions; clones share one cache.
#[derive(Clone)]
pub struct UserViewCache {
    inner: Arc<Inner>,
}

struct Inner {
    /// `GET /users/me` answers.
    entries: TtlMap<Uuid, UserView>,
    /// Public profiles (`GET /users/{id}`, `/u/{username}`): the user row with skills,
    /// experience and education, whose writes call [`user_changed`] too.
    profiles: TtlMap<Uuid, PublicUserView>,
    /// Admin user-list pages (`GET /api/v1/users`), keyed by the whole query. Any user change
    /// can move any list, so every forget empties them all; registrations call
    /// [`user_changed`] too.
    lists: TtlMap<String, Page<UserView>>,
    /// Bumped by every forget: a read that started before it does not store what it read.
    generation: Generation,
}

impl Default for UserViewCache {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                entries: TtlMap::new(USER_CACHE_MAX),
                profiles: TtlMap::new(USER_CACHE_MAX),
                lists: TtlMap::new(USER_CACHE_MAX),
                generation: Generation::default(),
            }),
        }
    }
}

impl UserViewCache {
    /// A fresh `/users/me` entry for `id`.
    pub fn get(&self, id: UserId) -> Option<Arc<UserView>> {
        self.inner.entries.get(&id.0, USER_CACHE_TTL)
    }

    /// A fresh public profile of `id`.
    pub fn get_profile(&self, id: UserId) -> Option<Arc<PublicUserView>> {
        self.inner.profiles.get(&id.0, USER_CACHE_TTL)
    }

    /// A fresh admin list page for the query `key`.
    pub fn get_list(&self, key: &str) -> Option<Arc<Page<UserView>>> {
        self.inner.lists.get(key, USER_CACHE_TTL)
    }

    /// Stores an admin list page (see [`UserViewCache::put`] for `generation`).
    pub fn put_list(&self, key: String, page: Page<UserView>, generation: u64) {
        let i = &self.inner;
        i.lists
            .insert(&i.generation, generation, key, Arc::new(page));
    }

    /// Call before reading the database; pass the result to [`UserViewCache::put`].
    pub fn generation(&self) -> u64 {
        self.inner.generation.current()
    }

    /// Stores `view` unless some user changed since `generation` was taken (then what was read
    /// may already be out of date).
    pub fn put(&self, id: UserId, view: UserView, generation: u64) {
        let i = &self.inner;
        i.entries
            .insert(&i.generation, generation, id.0, Arc::new(view));
    }

    /// [`UserViewCache::put`] for a public profile.
    pub fn put_profile(&self, id: UserId, view: PublicUserView, generation: u64) {
        let i = &self.inner;
        i.profiles
            .insert(&i.generation, generation, id.0, Arc::new(view));
    }

    /// Drops the entries of `id` and every admin list; reads in flight will not store theirs.
    pub fn forget(&self, id: UserId) {
        self.inner.generation.bump();
        self.inner.entries.remove(&id.0);
        self.inner.profiles.remove(&id.0);
        self.inner.lists.clear();
    }

    /// Drops the admin list pages (users were added).
    fn clear_lists(&self) {
        self.inner.generation.bump();
        self.inner.lists.clear();
    }

    /// Drops every entry (after missed bus messages).
    fn clear(&self) {
        self.inner.generation.bump();
        self.inner.entries.clear();
        self.inner.profiles.clear();
        self.inner.lists.clear();
    }
}

/// After a committed change to a user's row or sessions: forgets the cached `/me` answer and
/// sessions here at once, and tells the other instances to do the same.
pub fn user_changed(state: &AppState, id: UserId) {
    forget_locally(state, id);
    state.sessions.forget_user(id);
    state
        .bus
        .publish(Event::new(USER_CHANGED, json!({ "user_id": id.0 })));
}

/// After users were added in bulk (the demo seed): the admin lists here are dropped, and other
/// instances drop theirs on the same bus topic with `user_id: null`.
pub fn users_added(state: &AppState) {
    if let Some(cache) = state.ext::<UserViewCache>() {
        cache.clear_lists();
    }
    state
        .bus
        .publish(Event::new(USER_CHANGED, json!({ "user_id": null })));
}

/// Calls [`user_changed`] when dropped, i.e. on every way out of a function that writes a user's
/// profile rows (skills, experience, education), after its write. A failed call evicts for
/// nothing, which costs one cache miss.
#[must_use = "bind it to a variable that lives until the function returns"]
pub struct ChangedOnExit<'a> {
    state: &'a AppState,
    id: UserId,
}

pub fn changed_on_exit(state: &AppState, id: UserId) -> ChangedOnExit<'_> {
    ChangedOnExit { state, id }
}

impl Drop for ChangedOnExit<'_> {
    fn drop(&mut self) {
        user_changed(self.state, self.id);
    }
}

fn forget_locally(state: &AppState, id: UserId) {
    if let Some(cache) = state.ext::<UserViewCache>() {
        cache.forget(id);
    }
}

/// Listens on the bus for users changed by other instances: their cached `/me` answers and
/// sessions are forgotten here too. Runs until the bus closes.
pub fn spawn_listener(state: AppState) -> tokio::task::JoinHandle<()> {
    let mut events = state.bus.subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) if e.topic == USER_CHANGED => {
                    if let Some(id) = e
                        .payload
                        .get("user_id")
                        .and_then(|v| v.as_str())
                        .and_then(|s| Uuid::parse_str(s).ok())
                    {
                        forget_locally(&state, UserId(id));
                        state.sessions.forget_user(UserId(id));
                    } else if let Some(cache) = state.ext::<UserViewCache>() {
                        cache.clear_lists();
                    }
                }
                Ok(_) => {}
                // Missed messages: anything may have changed; start over.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    if let Some(cache) = state.ext::<UserViewCache>() {
                        cache.clear();
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}
