//! Figures: latency percentiles, and what `/proc` says about a process (memory, CPU time).

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

/// Latency samples in microseconds.
#[derive(Debug, Default, Clone)]
pub struct Samples(Vec<u64>);

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.0
            .push(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    pub fn extend(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// p50, p90, p99 and max (nearest rank); `None` without samples.
    pub fn summary(mut self) -> Option<Summary> {
        if self.0.is_empty() {
            return None;
        }
        self.0.sort_unstable();
        let v = &self.0;
        Some(Summary {
            count: v.len(),
            p50: percentile(v, 50.0),
            p90: percentile(v, 90.0),
            p99: percentile(v, 99.0),
            max: v[v.len() - 1],
        })
    }
}

/// Nearest-rank percentile of sorted, non-empty `v`.
fn percentile(v: &[u64], p: f64) -> u64 {
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub count: usize,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {}  p90 {}  p99 {}  max {}  (n = {})",
            Ms(self.p50),
            Ms(self.p90),
            Ms(self.p99),
            Ms(self.max),
            self.count
        )
    }
}

/// Microseconds shown as milliseconds.
pub struct Ms(pub u64);

impl fmt::Display for Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 as f64 / 1000.0;
        if ms < 10.0 {
            write!(f, "{ms:.2} ms")
        } else if ms < 1000.0 {
            write!(f, "{ms:.1} ms")
        } else {
            write!(f, "{ms:.0} ms")
        }
    }
}

/// `Some(summary)` shown, or a dash.
pub fn show(s: Option<Summary>) -> String {
    s.map_or_else(|| "no samples".to_owned(), |s| s.to_string())
}

/// Counts by a short label (error kinds, close codes), shown as `label ×n, …`.
#[derive(Debug, Default, Clone)]
pub struct Tally(BTreeMap<String, usize>);

impl Tally {
    pub fn add(&mut self, label: impl Into<String>) {
        *self.0.entry(label.into()).or_default() += 1;
    }

    pub fn merge(&mut self, other: Tally) {
        for (k, n) in other.0 {
            *self.0.entry(k).or_default() += n;
        }
    }

    pub fn total(&self) -> usize {
        self.0.values().sum()
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        let parts: Vec<String> = self.0.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        f.write_str(&parts.join(", "))
    }
}

/// Linux reports CPU times in these ticks per second (USER_HZ, 100 on every common platform).
const USER_HZ: f64 = 100.0;

/// One look at a process in `/proc`: resident memory and CPU time used so far.
#[derive(Debug, Clone, Copy)]
pub struct ProcSnap {
    pub at: Instant,
    /// VmRSS in KiB.
    pub rss_kib: u64,
    /// VmHWM (peak RSS) in KiB.
    pub hwm_kib: u64,
    /// User + system CPU seconds.
    pub cpu_secs: f64,
}

impl ProcSnap {
    /// `pid` None is this process. `None` when `/proc` cannot be read (not Linux, process gone).
    pub fn take(pid: Option<u32>) -> Option<ProcSnap> {
        let dir = match pid {
            Some(p) => format!("/proc/{p}"),
            None => "/proc/self".to_owned(),
        };
        let status = std::fs::read_to_string(format!("{dir}/status")).ok()?;
        let stat = std::fs::read_to_string(format!("{dir}/stat")).ok()?;
        Some(ProcSnap {
            at: Instant::now(),
            rss_kib: status_kib(&status, "VmRSS:")?,
            hwm_kib: status_kib(&status, "VmHWM:").unwrap_or(0),
            cpu_secs: cpu_secs(&stat)?,
        })
    }

    pub fn rss_mib(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }

    /// CPU use between `self` and a later snapshot, in percent of one core.
    pub fn cpu_percent_until(&self, later: &ProcSnap) -> f64 {
        let wall = later.at.duration_since(self.at).as_secs_f64();
        if wall <= 0.0 {
            return 0.0;
        }
        (later.cpu_secs - self.cpu_secs) / wall * 100.0
    }
}

fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// utime + stime from `/proc/<pid>/stat` (fields 14 and 15; the command name in field 2 may
/// hold spaces and parentheses, so counting starts after its last `)`).
fn cpu_secs(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

/// CPU of the server and of this tool over one phase, as a line for the report.
pub fn cpu_line(
    server: (Option<ProcSnap>, Option<ProcSnap>),
    me: (Option<ProcSnap>, Option<ProcSnap>),
) -> String {
    let pct = |pair: (Option<ProcSnap>, Option<ProcSnap>)| match pair {
        (Some(a), Some(b)) => format!("{:.0}%", a.cpu_percent_until(&b)),
        _ => "?".to_owned(),
    };
    format!(
        "CPU (100% = one core): server {}, this tool {}",
        pct(server),
        pct(me)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut s = Samples::default();
        for ms in 1..=100u64 {
            s.push(Duration::from_millis(ms));
        }
        let sum = s.summary().unwrap();
        assert_eq!(sum.count, 100);
        assert_eq!(sum.p50, 50_000);
        assert_eq!(sum.p90, 90_000);
        assert_eq!(sum.p99, 99_000);
        assert_eq!(sum.max, 100_000);

        let mut one = Samples::default();
        one.push(Duration::from_micros(7));
        let sum = one.summary().unwrap();
        assert_eq!((sum.p50, sum.p99, sum.max), (7, 7, 7));
        assert!(Samples::default().summary().is_none());
    }

    #[test]
    fn proc_stat_fields() {
        let stat = "1234 (vertechie (x) y) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 4 0";
        assert_eq!(cpu_secs(stat), Some(3.0));
        let status = "Name:\tvertechie\nVmHWM:\t  20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(10_240));
        assert_eq!(status_kib(status, "VmHWM:"), Some(20_480));
        assert!(ProcSnap::take(None).is_some_and(|s| s.rss_kib > 0));
    }

    #[test]
    fn tallies_show_counts() {
        let mut t = Tally::default();
        assert_eq!(t.to_string(), "none");
        t.add("429");
        t.add("429");
        t.add("io");
        assert_eq!(t.total(), 3);
        assert_eq!(t.to_string(), "429 ×2, io ×1");
    }
}
