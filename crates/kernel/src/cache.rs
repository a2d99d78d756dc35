//! Per-instance read caches that writes evict.
//!
//! Correctness comes from eviction, not from the time-to-live: a domain evicts after every
//! committed write that changes what it cached (and tells other instances over the bus). The
//! race this module closes is a read that started before a write and finishes after its
//! eviction: it takes [`Generation::current`] before reading the database and [`TtlMap::insert`]
//! refuses to store when an eviction ([`Generation::bump`]) happened meanwhile. Several maps may
//! share one generation. Entries also expire after the map's TTL, which bounds staleness when a
//! bus message is lost.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counts evictions; see the module documentation.
#[derive(Debug, Default)]
pub struct Generation(AtomicU64);

impl Generation {
    /// Take before reading the database; pass to [`TtlMap::insert`].
    pub fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Call before removing entries: reads in flight will not store what they read.
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// A bounded map of values with their insertion time; when full it starts over (cheap, and a
/// cache may always forget).
#[derive(Debug)]
pub struct TtlMap<K, V> {
    entries: Mutex<HashMap<K, (Instant, Arc<V>)>>,
    max: usize,
}

impl<K: Hash + Eq, V> TtlMap<K, V> {
    pub fn new(max: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            max,
        }
    }

    /// The value of `key` if it was stored less than `ttl` ago.
    pub fn get<Q>(&self, key: &Q, ttl: Duration) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(key)?;
        (at.elapsed() < ttl).then(|| value.clone())
    }

    /// Stores `value` unless `generation` moved past `seen` (then what was read may be stale).
    pub fn insert(&self, generation: &Generation, seen: u64, key: K, value: Arc<V>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        // Checked under the lock: evictions bump the generation before they take it.
        if generation.current() != seen {
            return;
        }
        if entries.len() >= self.max {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }

    pub fn remove<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_older_than_an_eviction_is_not_stored() {
        let generation = Generation::default();
        let map: TtlMap<String, u32> = TtlMap::new(10);
        let ttl = Duration::from_secs(60);
        let seen = generation.current();
        map.insert(&generation, seen, "a".into(), Arc::new(1));
        assert_eq!(map.get("a", ttl).as_deref(), Some(&1));

        let seen = generation.current();
        generation.bump();
        map.remove("a");
        map.insert(&generation, seen, "a".into(), Arc::new(2));
        assert_eq!(map.get("a", ttl), None, "stale read refused");

        map.insert(&generation, generation.current(), "a".into(), Arc::new(3));
        assert_eq!(map.get("a", ttl).as_deref(), Some(&3));
        assert_eq!(map.get("a", Duration::ZERO), None, "expired");
    }

    #[test]
    fn a_full_map_starts_over() {
        let generation = Generation::default();
        let map: TtlMap<u32, u32> = TtlMap::new(2);
        let ttl = Duration::from_secs(60);
        for k in 0..3 {
            map.insert(&generation, generation.current(), k, Arc::new(k));
        }
        assert_eq!(map.get(&0, ttl), None);
        assert_eq!(map.get(&2, ttl).as_deref(), Some(&2));
    }
}
