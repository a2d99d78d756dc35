//! Throughput: K sockets send `send_message` with a `ref` at a steady pace (under the gateway's
//! 20 frames/s per socket) for T seconds into R rooms, while L listeners in every room count
//! what reaches them. Acked messages per second over the window is what one instance sustains.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::Ctx;
use crate::api::User;
use crate::pool;
use crate::socket::{self, Socket};
use crate::stats::{ProcSnap, Samples, Tally, cpu_line, show};

pub struct Plan {
    pub senders: usize,
    pub rate: f64,
    pub rooms: usize,
    pub listeners: usize,
    pub duration: Duration,
}

/// After the window, how long senders wait for the acks still owed.
const DRAIN: Duration = Duration::from_secs(10);

struct Board {
    base: Instant,
    frames: AtomicU64,
    last_frame: AtomicU64,
    /// Frames that reached the tool inside the window.
    window_frames: AtomicU64,
    senders_open: AtomicUsize,
    senders_done: AtomicUsize,
}

impl Board {
    fn saw_frame(&self, window: &Window) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.last_frame
            .fetch_max(self.base.elapsed().as_millis() as u64, Ordering::Relaxed);
        if let Some((start, end)) = *window
            && (start..=end).contains(&Instant::now())
        {
            self.window_frames.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The sending window, once decided.
type Window = Option<(Instant, Instant)>;

#[derive(Default)]
struct SenderOut {
    sent: u64,
    acked: Samples,
    acked_in_window: u64,
    errors: Tally,
    ended: Option<String>,
    /// Whether `senders_done` counts this sender already.
    counted: bool,
}

#[derive(Default)]
struct ListenerOut {
    deliveries: u64,
    ended: Option<String>,
}

enum Role {
    Sender(SenderOut),
    Listener(ListenerOut),
}

/// `users[0]` owns the rooms; `users[1..=senders]` send, the next `listeners` users listen.
pub async fn run(ctx: &Ctx, users: &[User], plan: &Plan) -> Result<Vec<String>> {
    let senders = &users[1..=plan.senders];
    let listeners = &users[plan.senders + 1..plan.senders + 1 + plan.listeners];
    let rooms_n = plan.rooms.clamp(1, plan.senders.max(1));
    println!(
        "== throughput: {} senders at {}/s each over {rooms_n} rooms, {} listeners in every room, \
         {} s",
        plan.senders,
        plan.rate,
        plan.listeners,
        plan.duration.as_secs()
    );
    let mut rooms = Vec::with_capacity(rooms_n);
    for r in 0..rooms_n {
        let room = ctx
            .api
            .room(&users[0], &format!("load throughput {} {r}", ctx.prefix))
            .await?;
        let mut joining: Vec<User> = senders
            .iter()
            .enumerate()
            .filter(|(i, _)| i % rooms_n == r)
            .map(|(_, u)| u.clone())
            .collect();
        joining.extend(listeners.iter().cloned());
        ctx.api.join_all(&room, &joining, ctx.http_parallel).await?;
        rooms.push(room);
    }

    let board = Arc::new(Board {
        base: Instant::now(),
        frames: AtomicU64::new(0),
        last_frame: AtomicU64::new(0),
        window_frames: AtomicU64::new(0),
        senders_open: AtomicUsize::new(0),
        senders_done: AtomicUsize::new(0),
    });
    let (stop, stop_rx) = watch::channel(false);
    let (window, window_rx) = watch::channel::<Window>(None);
    let tokens = senders
        .iter()
        .chain(listeners)
        .map(|u| u.token.clone())
        .collect();
    let opened = {
        let board = board.clone();
        let rooms = Arc::new(rooms);
        let (n_senders, rate) = (plan.senders, plan.rate);
        pool::open_all(&ctx.ws_url, tokens, ctx.connect_parallel, move |i, ws| {
            let board = board.clone();
            let stop = stop_rx.clone();
            let window = window_rx.clone();
            let rooms = rooms.clone();
            async move {
                if i < n_senders {
                    board.senders_open.fetch_add(1, Ordering::Relaxed);
                    let room = rooms[i % rooms.len()].clone();
                    // Spread the senders' ticks over one period so they do not send together.
                    let offset = Duration::from_secs_f64(i as f64 / n_senders as f64 / rate);
                    let out = send(ws, &board, window, stop, &room, rate, offset).await;
                    if !out.counted {
                        // Ended early: nothing more to wait for from this one.
                        board.senders_done.fetch_add(1, Ordering::Relaxed);
                    }
                    Role::Sender(out)
                } else {
                    Role::Listener(listen(ws, &board, window, stop).await)
                }
            }
        })
        .await
    };
    let quiet = pool::settle(
        board.base,
        &board.last_frame,
        Duration::from_secs(1),
        Duration::from_secs(60),
    )
    .await;
    println!(
        "   {} of {} sockets open in {:.1} s ({} failed), quiet after {:.1} s; sending",
        opened.opened,
        plan.senders + plan.listeners,
        opened.took.as_secs_f64(),
        opened.errors.total(),
        quiet.as_secs_f64()
    );

    let senders_open = board.senders_open.load(Ordering::Relaxed);
    let start = Instant::now() + Duration::from_millis(200);
    let end = start + plan.duration;
    let _ = window.send(Some((start, end)));
    tokio::time::sleep_until(start.into()).await;
    let server_0 = ProcSnap::take(ctx.server_pid);
    let me_0 = ProcSnap::take(None);
    tokio::time::sleep_until(end.into()).await;
    let server_1 = ProcSnap::take(ctx.server_pid);
    let me_1 = ProcSnap::take(None);
    let drain_deadline = end + DRAIN + Duration::from_secs(1);
    while board.senders_done.load(Ordering::Relaxed) < senders_open
        && Instant::now() < drain_deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The last messages still have to reach the listeners.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = stop.send(true);

    let mut s = SenderOut::default();
    let mut deliveries = 0;
    let mut listeners_open = 0u64;
    let mut ended = Tally::default();
    for r in pool::results(opened.tasks).await {
        match r {
            Role::Sender(o) => {
                s.sent += o.sent;
                s.acked_in_window += o.acked_in_window;
                s.acked.extend(o.acked);
                s.errors.merge(o.errors);
                if let Some(how) = o.ended {
                    ended.add(format!("sender {how}"));
                }
            }
            Role::Listener(o) => {
                listeners_open += 1;
                deliveries += o.deliveries;
                if let Some(how) = o.ended {
                    ended.add(format!("listener {how}"));
                }
            }
        }
    }
    let acked = s.acked.len() as u64;
    let secs = plan.duration.as_secs_f64();
    let unanswered = s.sent.saturating_sub(acked + s.errors.total() as u64);
    let expected = acked * listeners_open;
    let mut lines = vec![format!(
        "throughput: {} senders × {}/s over {rooms_n} rooms, {} listeners, {secs:.0} s: \
         {:.0} messages/s acked in the window ({} sent, {acked} acked, {} in the window); \
         errors: {}; unanswered: {unanswered}; sockets failed to open: {}; ended early: {ended}",
        plan.senders,
        plan.rate,
        plan.listeners,
        s.acked_in_window as f64 / secs,
        s.sent,
        s.acked_in_window,
        s.errors,
        opened.errors,
    )];
    let offered = senders_open as f64 * plan.rate;
    if s.acked_in_window as f64 / secs >= 0.98 * offered {
        lines.push(format!(
            "   (that is the offered load, {offered:.0}/s: the server kept up; more --senders \
             would find its limit)"
        ));
    }
    lines.push(format!("   ack latency: {}", show(s.acked.summary())));
    lines.push(format!(
        "   listeners: {deliveries} of {expected} deliveries; all frames to the tool in the \
         window: {:.0}/s",
        board.window_frames.load(Ordering::Relaxed) as f64 / secs
    ));
    lines.push(format!(
        "   during the window: {}",
        cpu_line((server_0, server_1), (me_0, me_1))
    ));
    Ok(lines)
}

async fn send(
    mut ws: Socket,
    board: &Board,
    mut window: watch::Receiver<Window>,
    mut stop: watch::Receiver<bool>,
    room: &str,
    rate: f64,
    offset: Duration,
) -> SenderOut {
    let mut out = SenderOut::default();
    let mut sent_at: Vec<Option<Instant>> = Vec::new();
    let mut owed = 0usize;
    let period = Duration::from_secs_f64(1.0 / rate);
    // Until the window is known, the ticker and the timer point far into the future.
    let far = Instant::now() + Duration::from_secs(86_400);
    let mut ticker = tokio::time::interval_at(far.into(), period);
    // Wakes the loop at the window's end, then when the acks still owed stop being waited for.
    let timer = tokio::time::sleep_until(far.into());
    tokio::pin!(timer);
    let mut span: Window = None;
    loop {
        let now = Instant::now();
        let sending = span.is_some_and(|(_, end)| now < end);
        if let Some((_, end)) = span
            && !sending
            && (owed == 0 || now >= end + DRAIN)
        {
            // Done sending: counted as done, then reads what the rooms still deliver.
            board.senders_done.fetch_add(1, Ordering::Relaxed);
            out.counted = true;
            out.ended = pool::read_until(&mut ws, &mut stop, |_| board.saw_frame(&span)).await;
            return out;
        }
        tokio::select! {
            biased;
            () = pool::until_set(&mut stop) => {
                pool::close(&mut ws).await;
                return out;
            }
            _ = window.changed(), if span.is_none() => {
                span = *window.borrow_and_update();
                if let Some((start, end)) = span {
                    ticker = tokio::time::interval_at((start + offset).into(), period);
                    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    timer.as_mut().reset(end.into());
                }
            }
            () = &mut timer => {
                if let Some((_, end)) = span {
                    timer.as_mut().reset((end + DRAIN).into());
                }
            }
            _ = ticker.tick(), if sending => {
                let seq = sent_at.len();
                let frame = json!({"type": "send_message", "room_id": room,
                                   "body": format!("tp {seq}"), "ref": seq});
                sent_at.push(Some(Instant::now()));
                if let Err(e) = ws.send(Message::text(frame.to_string())).await {
                    out.ended = Some(socket::error_label(&e));
                    return out;
                }
                out.sent += 1;
                owed += 1;
            }
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    board.saw_frame(&span);
                    let Some(h) = socket::head(t.as_str()) else { continue };
                    if h.kind != "ack" && h.kind != "error" {
                        continue;
                    }
                    let slot = h.reference.and_then(|r| usize::try_from(r).ok());
                    let Some(at) = slot.and_then(|i| sent_at.get_mut(i)).and_then(Option::take) else {
                        continue;
                    };
                    owed -= 1;
                    if h.kind == "ack" {
                        out.acked.push(at.elapsed());
                        if span.is_some_and(|(_, end)| Instant::now() <= end) {
                            out.acked_in_window += 1;
                        }
                    } else {
                        out.errors.add(h.code.as_deref().unwrap_or("?").to_owned());
                    }
                }
                Some(Ok(Message::Close(f))) => {
                    out.ended = Some(socket::close_label(f.as_ref()));
                    return out;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    out.ended = Some(socket::error_label(&e));
                    return out;
                }
                None => {
                    out.ended = Some("ended".to_owned());
                    return out;
                }
            }
        }
    }
}

async fn listen(
    mut ws: Socket,
    board: &Board,
    mut window: watch::Receiver<Window>,
    mut stop: watch::Receiver<bool>,
) -> ListenerOut {
    let mut out = ListenerOut::default();
    let mut span: Window = None;
    loop {
        tokio::select! {
            biased;
            () = pool::until_set(&mut stop) => {
                pool::close(&mut ws).await;
                return out;
            }
            _ = window.changed(), if span.is_none() => {
                span = *window.borrow_and_update();
            }
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    board.saw_frame(&span);
                    if span.is_some() && socket::head(t.as_str()).is_some_and(|h| h.kind == "new_message") {
                        out.deliveries += 1;
                    }
                }
                Some(Ok(Message::Close(f))) => {
                    out.ended = Some(socket::close_label(f.as_ref()));
                    return out;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    out.ended = Some(socket::error_label(&e));
                    return out;
                }
                None => {
                    out.ended = Some("ended".to_owned());
                    return out;
                }
            }
        }
    }
}
