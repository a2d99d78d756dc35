//! Fixed-window rate limiting, per instance (a Redis-backed limiter is the scale-out answer).
//! Three budgets: per client IP on everything but the exempt paths (`Api`), per client IP on
//! signing in, up and resetting passwords, API and pages alike (`Auth`), and per signed-in user
//! on writes (`user_write_rate_limit_per_min`, spent where the user is known: the auth extractor
//! for `/api/` writes, the web crate's `CsrfForm` for page forms). IPv6 clients are keyed by
//! their /64 (see [`crate::net::rate_key`]).
//!
//! Memory is bounded without scanning: all keys of a budget share one window, and when it ends
//! the whole map is dropped at once (amortised O(1) per request). A window counts at most
//! [`MAX_KEYS_PER_WINDOW`] keys per budget; a new key beyond that passes uncounted until the
//! window ends (logged once per window) — so each budget holds at most that many entries
//! (a few MiB), whatever the traffic.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{Extensions, Method};

use crate::error::{AppError, AppResult};
use crate::id::UserId;

/// The most keys one budget counts in one window.
pub const MAX_KEYS_PER_WINDOW: usize = 100_000;

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    Api,
    Auth,
}

/// Request counts per key for the current window of one budget.
struct FixedWindow<K> {
    limit: u32,
    window: Duration,
    max_keys: usize,
    name: &'static str,
    state: Mutex<WindowState<K>>,
}

struct WindowState<K> {
    started: Instant,
    counts: HashMap<K, u32>,
    overflowed: bool,
}

impl<K: Hash + Eq> FixedWindow<K> {
    fn new(name: &'static str, limit: u32, window: Duration, max_keys: usize) -> Self {
        Self {
            limit,
            window,
            max_keys,
            name,
            state: Mutex::new(WindowState {
                started: Instant::now(),
                counts: HashMap::new(),
                overflowed: false,
            }),
        }
    }

    /// Counts one request of `key` at `now`; `Err(seconds)` to wait when over the limit.
    fn check(&self, key: K, now: Instant) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        let mut s = match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        if now.saturating_duration_since(s.started) >= self.window {
            s.started = now;
            s.counts = HashMap::new();
            s.overflowed = false;
        }
        let full = s.counts.len() >= self.max_keys;
        match s.counts.get_mut(&key) {
            Some(count) if *count >= self.limit => {
                let left = self
                    .window
                    .saturating_sub(now.saturating_duration_since(s.started));
                Err(ceil_secs(left).max(1))
            }
            Some(count) => {
                *count += 1;
                Ok(())
            }
            None if full => {
                if !s.overflowed {
                    s.overflowed = true;
                    tracing::warn!(
                        budget = self.name,
                        keys = self.max_keys,
                        "rate limiter full for this window; new clients pass uncounted until it ends"
                    );
                }
                Ok(())
            }
            None => {
                s.counts.insert(key, 1);
                Ok(())
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.state.lock().map(|s| s.counts.len()).unwrap_or(0)
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

pub struct RateLimiter {
    api: FixedWindow<IpAddr>,
    auth: FixedWindow<IpAddr>,
    user_writes: FixedWindow<UserId>,
}

impl RateLimiter {
    /// Limits per minute; 0 disables a budget.
    pub fn new(api_per_min: u32, auth_per_min: u32, user_writes_per_min: u32) -> Self {
        Self {
            api: FixedWindow::new("api", api_per_min, WINDOW, MAX_KEYS_PER_WINDOW),
            auth: FixedWindow::new("auth", auth_per_min, WINDOW, MAX_KEYS_PER_WINDOW),
            user_writes: FixedWindow::new(
                "user_writes",
                user_writes_per_min,
                WINDOW,
                MAX_KEYS_PER_WINDOW,
            ),
        }
    }

    /// Counts one request of client `ip` on `budget`; `Err(seconds)` to wait when over it.
    pub fn check(&self, budget: Budget, ip: IpAddr) -> Result<(), u64> {
        let key = crate::net::rate_key(ip);
        let now = Instant::now();
        match budget {
            Budget::Api => self.api.check(key, now),
            Budget::Auth => self.auth.check(key, now),
        }
    }

    /// Counts one write by `user`; `Err(seconds)` to wait when over the per-user budget.
    pub fn check_user_write(&self, user: UserId) -> Result<(), u64> {
        self.user_writes.check(user, Instant::now())
    }
}

/// The limiter, put into every request's extensions by the edge so the places that learn who
/// the user is can spend the per-user budget.
#[derive(Clone)]
pub struct Limiter(pub Arc<RateLimiter>);

/// Whether a request with this method changes something (all but GET, HEAD, OPTIONS).
pub fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl Limiter {
    /// Spends one unit of `user`'s write budget; 429 `RATE_LIMITED` with Retry-After when it
    /// is used up.
    pub fn spend_user_write(&self, user: UserId) -> AppResult<()> {
        self.0
            .check_user_write(user)
            .map_err(AppError::rate_limited)
    }
}

/// [`Limiter::spend_user_write`] with the limiter of a request's `extensions`; nothing is
/// counted without one (a router without the edge middleware).
pub fn spend_user_write(extensions: &Extensions, user: UserId) -> AppResult<()> {
    match extensions.get::<Limiter>() {
        Some(l) => l.spend_user_write(user),
        None => Ok(()),
    }
}

/// The sign-in, sign-up and password pages: their form posts spend the strict `Auth` budget.
const AUTH_PAGES: [&str; 4] = ["/signin", "/signup", "/forgot-password", "/reset-password"];

/// Which budget a request spends, or None when exempt (health, metrics, static assets).
pub fn budget_for(method: &Method, path: &str) -> Option<Budget> {
    if path == "/health"
        || path == "/ready"
        || path == "/metrics"
        || path.starts_with("/static/")
        || path == "/favicon.ico"
    {
        return None;
    }
    if path.starts_with("/api/v1/auth/") || (*method == Method::POST && AUTH_PAGES.contains(&path))
    {
        return Some(Budget::Auth);
    }
    Some(Budget::Api)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_ip_and_budget() {
        let rl = RateLimiter::new(3, 1, 0);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(rl.check(Budget::Api, a).is_ok());
        }
        let wait = rl.check(Budget::Api, a).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(rl.check(Budget::Api, b).is_ok());
        assert!(rl.check(Budget::Auth, a).is_ok());
        assert!(rl.check(Budget::Auth, a).is_err());
        let off = RateLimiter::new(0, 0, 0);
        for _ in 0..1000 {
            assert!(off.check(Budget::Auth, a).is_ok());
        }
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_budget() {
        let rl = RateLimiter::new(2, 0, 0);
        let one: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        let other_in_64: IpAddr = "2001:db8:0:1:ffff:ffff:ffff:ffff".parse().unwrap();
        let next_64: IpAddr = "2001:db8:0:2::1".parse().unwrap();
        assert!(rl.check(Budget::Api, one).is_ok());
        assert!(rl.check(Budget::Api, other_in_64).is_ok());
        assert!(rl.check(Budget::Api, other_in_64).is_err());
        assert!(rl.check(Budget::Api, next_64).is_ok());
    }

    #[test]
    fn per_user_writes_are_counted_apart() {
        let rl = RateLimiter::new(0, 0, 2);
        let (ada, bob) = (UserId::new(), UserId::new());
        assert!(rl.check_user_write(ada).is_ok());
        assert!(rl.check_user_write(ada).is_ok());
        assert!(rl.check_user_write(ada).is_err());
        assert!(rl.check_user_write(bob).is_ok());
    }

    #[test]
    fn memory_is_bounded_and_freed_when_the_window_ends() {
        let w = FixedWindow::new("test", 1, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        for i in 0..1000u32 {
            assert!(w.check(i, t0).is_ok());
        }
        assert_eq!(w.len(), 100, "never more keys than the cap");
        // Keys counted before the cap is reached stay limited; later ones pass uncounted.
        assert_eq!(w.check(5, t0), Err(60));
        assert!(w.check(500, t0).is_ok());
        let wait = w.check(5, t0 + Duration::from_millis(30_500)).unwrap_err();
        assert_eq!(
            wait, 30,
            "Retry-After is the rest of the window, rounded up"
        );
        // The next window starts empty: one fresh map, no per-key scan.
        assert!(w.check(5, t0 + Duration::from_secs(60)).is_ok());
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn exemptions_and_auth_pages() {
        let (get, post) = (Method::GET, Method::POST);
        assert_eq!(budget_for(&get, "/health"), None);
        assert_eq!(budget_for(&get, "/static/app.css"), None);
        assert_eq!(budget_for(&post, "/api/v1/auth/login"), Some(Budget::Auth));
        assert_eq!(budget_for(&get, "/api/v1/users/me"), Some(Budget::Api));
        for page in ["/signin", "/signup", "/forgot-password", "/reset-password"] {
            assert_eq!(budget_for(&post, page), Some(Budget::Auth), "{page}");
            assert_eq!(budget_for(&get, page), Some(Budget::Api), "{page}");
        }
        assert_eq!(budget_for(&post, "/signout"), Some(Budget::Api));
        assert!(is_write(&Method::PATCH) && !is_write(&Method::HEAD));
    }
}
