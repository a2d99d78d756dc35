//! The per-instance cache of public job search pages (`GET /api/v1/jobs`, `/jobs`, company
//! pages).
//!
//! A full-text search over 100,000 jobs costs 20–300 ms of CPU (ranking every match of a common
//! word), and job seekers run the same few searches over and over; reusing a page for a few
//! seconds turns that into a map lookup. Correctness comes from eviction, not from the TTL:
//! every committed write that can change what a listing shows (jobs, companies, applications —
//! they move the response rate and the stale flag) calls [`jobs_changed`], which empties the
//! cache here at once and publishes [`JOBS_CHANGED`] on the bus so other instances empty theirs
//! ([`spawn_listener`]). A read that raced a write never stores what it read (generation guard,
//! `kernel::cache`, shared with the accounts `UserViewCache`). What only time changes (the stale flag, `closes_at`
//! passing, `posted_within`) can lag by at most `job_search_cache_secs`: the key carries the
//! clock rounded down to that period, so a moved test clock is a miss too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use vertechie_kernel::bus::Event;
use vertechie_kernel::cache::{Generation, TtlMap};
use vertechie_kernel::{AppResult, AppState, Page};

use crate::service::applications;
use crate::service::jobs::{JobSearch, JobView};

/// The bus topic of "jobs, companies or applications changed" (payload `{}`).
pub const JOBS_CHANGED: &str = "hiring.jobs_changed";
/// Pages kept at most; when full, the cache starts over (cheap and bounded).
const MAX_ENTRIES: usize = 10_000;

/// Shared through the state's extensions; clones share one cache.
#[derive(Clone)]
pub struct SearchCache {
    inner: Arc<Inner>,
}

struct Inner {
    pages: TtlMap<String, Page<JobView>>,
    /// Bumped by every eviction: a read that started before it does not store what it read.
    generation: Generation,
    /// One lock per key being read from the database, so a burst of identical searches runs
    /// the query once and the rest wait for its page (instead of 64 copies of a 200 ms query
    /// fighting for two cores).
    inflight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Default for SearchCache {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                pages: TtlMap::new(MAX_ENTRIES),
                generation: Generation::default(),
                inflight: Mutex::default(),
            }),
        }
    }
}

impl SearchCache {
    /// The page for `search`: from the cache when fresh, else from `read` — run once per key
    /// at a time on this instance, later callers waiting for its result — and stored unless a
    /// write happened meanwhile. With the cache off (`job_search_cache_secs = 0`) or not
    /// registered, just `read`.
    pub async fn get_or_read<F, Fut>(
        state: &AppState,
        search: &JobSearch,
        read: F,
    ) -> AppResult<Page<JobView>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<Page<JobView>>>,
    {
        let secs = state.config.job_search_cache_secs;
        let (Some(cache), Ok(period)) = (state.ext::<SearchCache>(), i64::try_from(secs)) else {
            return read().await;
        };
        if period == 0 {
            return read().await;
        }
        let bucket = state.clock.now().timestamp().div_euclid(period);
        let key = format!("{bucket}|{search:?}");
        let ttl = Duration::from_secs(secs);
        let inner = &cache.inner;
        if let Some(page) = inner.pages.get(&key, ttl) {
            return Ok((*page).clone());
        }
        let gate = cache.gate(&key);
        let _turn = gate.lock().await;
        // Whoever held the gate before may have stored the page.
        if let Some(page) = inner.pages.get(&key, ttl) {
            return Ok((*page).clone());
        }
        let seen = inner.generation.current();
        let read = read().await;
        if let Ok(page) = &read {
            inner
                .pages
                .insert(&inner.generation, seen, key.clone(), Arc::new(page.clone()));
        }
        if let Ok(mut inflight) = inner.inflight.lock() {
            inflight.remove(&key);
        }
        read
    }

    fn gate(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.inner.inflight.lock() {
            Ok(mut inflight) => inflight.entry(key.to_owned()).or_default().clone(),
            // A poisoned map only costs the single-flight.
            Err(_) => Arc::default(),
        }
    }

    fn clear(&self) {
        self.inner.generation.bump();
        self.inner.pages.clear();
    }
}

/// Empties this instance's cache (for writes other instances learn of by their own event).
pub(crate) fn clear_locally(state: &AppState) {
    if let Some(cache) = state.ext::<SearchCache>() {
        cache.clear();
    }
}

/// After a committed write to jobs, companies or applications: empties the search cache here
/// at once and tells the other instances to do the same.
pub fn jobs_changed(state: &AppState) {
    clear_locally(state);
    state.bus.publish(Event::new(JOBS_CHANGED, json!({})));
}

/// Empties this instance's cache when another instance announces a change (or when bus
/// messages were missed). Application events count too: they are published after commits
/// that move response rates and pipeline activity. Runs until the bus closes.
pub fn spawn_listener(state: AppState) -> tokio::task::JoinHandle<()> {
    let mut events = state.bus.subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) if e.topic == JOBS_CHANGED || applications::is_event(&e.topic) => {
                    clear_locally(&state);
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => clear_locally(&state),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}
