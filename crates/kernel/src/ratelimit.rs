//! Per-client-IP fixed-window rate limiting (per instance; a Redis-backed limiter is the
//! scale-out answer). Two budgets: the API in general and the stricter `/api/v1/auth/*`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    Api,
    Auth,
}

struct Window {
    started: Instant,
    count: u32,
}

pub struct RateLimiter {
    api_per_min: u32,
    auth_per_min: u32,
    window: Duration,
    buckets: Mutex<HashMap<(Budget, IpAddr), Window>>,
}

impl RateLimiter {
    pub fn new(api_per_min: u32, auth_per_min: u32) -> Self {
        Self {
            api_per_min,
            auth_per_min,
            window: Duration::from_secs(60),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn limit(&self, budget: Budget) -> u32 {
        match budget {
            Budget::Api => self.api_per_min,
            Budget::Auth => self.auth_per_min,
        }
    }

    /// Counts one request; `Err(seconds)` to wait when over budget. A limit of 0 disables.
    pub fn check(&self, budget: Budget, ip: IpAddr) -> Result<(), u64> {
        let limit = self.limit(budget);
        if limit == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() > 10_000 {
            let window = self.window;
            buckets.retain(|_, w| now.duration_since(w.started) < window);
        }
        let w = buckets.entry((budget, ip)).or_insert(Window {
            started: now,
            count: 0,
        });
        if now.duration_since(w.started) >= self.window {
            w.started = now;
            w.count = 0;
        }
        if w.count >= limit {
            let wait = self.window.saturating_sub(now.duration_since(w.started));
            return Err(wait.as_secs().max(1));
        }
        w.count += 1;
        Ok(())
    }
}

/// Which budget a path spends, or None when exempt (health, metrics, static assets).
pub fn budget_for(path: &str) -> Option<Budget> {
    if path == "/health"
        || path == "/ready"
        || path == "/metrics"
        || path.starts_with("/static/")
        || path == "/favicon.ico"
    {
        return None;
    }
    if path.starts_with("/api/v1/auth/") {
        return Some(Budget::Auth);
    }
    Some(Budget::Api)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_ip_and_budget() {
        let rl = RateLimiter::new(3, 1);
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
        let off = RateLimiter::new(0, 0);
        for _ in 0..1000 {
            assert!(off.check(Budget::Auth, a).is_ok());
        }
    }

    #[test]
    fn exemptions() {
        assert_eq!(budget_for("/health"), None);
        assert_eq!(budget_for("/static/app.css"), None);
        assert_eq!(budget_for("/api/v1/auth/login"), Some(Budget::Auth));
        assert_eq!(budget_for("/api/v1/users/me"), Some(Budget::Api));
    }
}
