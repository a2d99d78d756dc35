//! Opening many sockets at once, each handed to its own task as soon as `ready` arrives (a
//! socket that nobody reads would let the server's outbound queue fill and be cut off with 1013).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use crate::socket::{self, Socket};
use crate::stats::{Samples, Tally};

/// What opening a batch of sockets gave.
pub struct Opened<T> {
    /// One per socket asked for: the role's result, `None` for a socket that did not open.
    pub tasks: Vec<JoinHandle<Option<T>>>,
    pub opened: usize,
    pub errors: Tally,
    /// From starting the TCP connection to the `ready` frame.
    pub ready: Samples,
    /// From the first connection to the last answer (ready or failure).
    pub took: Duration,
}

/// Opens one socket per token, `parallel` handshakes at a time; each open socket runs
/// `role(index, socket)` in its own task from its `ready` on. Returns once every socket has
/// opened or failed; prints progress every five seconds.
pub async fn open_all<F, Fut, T>(
    ws_url: &str,
    tokens: Vec<String>,
    parallel: usize,
    role: F,
) -> Opened<T>
where
    F: Fn(usize, Socket) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let total = tokens.len();
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(parallel.max(1)));
    let (report, mut reports) = mpsc::unbounded_channel::<Result<Duration, String>>();
    let mut tasks = Vec::with_capacity(total);
    for (i, token) in tokens.into_iter().enumerate() {
        let gate = gate.clone();
        let report = report.clone();
        let url = ws_url.to_owned();
        let role = role.clone();
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.ok()?;
            let t0 = Instant::now();
            let opened = socket::open(&url, &token).await;
            drop(permit);
            match opened {
                Ok(ws) => {
                    let _ = report.send(Ok(t0.elapsed()));
                    Some(role(i, ws).await)
                }
                Err(e) => {
                    let _ = report.send(Err(e));
                    None
                }
            }
        }));
    }
    drop(report);
    let mut out = Opened {
        tasks,
        opened: 0,
        errors: Tally::default(),
        ready: Samples::default(),
        took: Duration::ZERO,
    };
    let mut next_progress = Instant::now() + Duration::from_secs(5);
    let mut answered = 0;
    while answered < total {
        let Some(r) = reports.recv().await else { break };
        answered += 1;
        match r {
            Ok(d) => {
                out.opened += 1;
                out.ready.push(d);
            }
            Err(e) => out.errors.add(e),
        }
        if Instant::now() >= next_progress {
            next_progress += Duration::from_secs(5);
            println!(
                "   … {answered} of {total} answered ({} open, {} failed) after {:.0} s",
                out.opened,
                out.errors.total(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    out.took = started.elapsed();
    out
}

/// Closes politely: a close frame, then what the server still sends until its close (≤ 2 s).
pub async fn close(ws: &mut Socket) {
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        if ws.send(Message::Close(None)).await.is_err() {
            return;
        }
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

/// Reads text frames into `on_text` until `stop` turns true (then closes; `None`) or the socket
/// ends (`Some(how)`: a close code or an error label).
pub async fn read_until(
    ws: &mut Socket,
    stop: &mut watch::Receiver<bool>,
    mut on_text: impl FnMut(&str),
) -> Option<String> {
    loop {
        tokio::select! {
            biased;
            () = until_set(stop) => {
                close(ws).await;
                return None;
            }
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => on_text(t.as_str()),
                Some(Ok(Message::Close(f))) => return Some(socket::close_label(f.as_ref())),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Some(socket::error_label(&e)),
                None => return Some("ended".to_owned()),
            }
        }
    }
}

/// Resolves once `flag` is true (or its sender is gone); holds no borrow of the value after.
pub async fn until_set(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|s| *s).await;
}

/// The results of the tasks that opened.
pub async fn results<T>(tasks: Vec<JoinHandle<Option<T>>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Ok(Some(v)) = t.await {
            out.push(v);
        }
    }
    out
}

/// Waits until no socket has received a frame for `quiet` (the server has finished telling
/// everyone about everyone's presence), at most `limit`. `last_frame` is in ms since `base`.
pub async fn settle(
    base: Instant,
    last_frame: &std::sync::atomic::AtomicU64,
    quiet: Duration,
    limit: Duration,
) -> Duration {
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let last = Duration::from_millis(last_frame.load(std::sync::atomic::Ordering::Relaxed));
        let since = base.elapsed().saturating_sub(last);
        if since >= quiet || started.elapsed() >= limit {
            return started.elapsed();
        }
    }
}
