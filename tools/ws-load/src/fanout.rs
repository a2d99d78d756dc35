//! Fan-out: one room of N members, each with one socket; one member sends M messages over its
//! socket at a steady pace; every other member's socket times each message from the moment it
//! was sent to its arrival (one process, one monotonic clock; messages matched by the number in
//! their body).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    pub members: usize,
    pub messages: usize,
    pub rate: f64,
}

/// Shared between the sender and the receivers.
struct Board {
    base: Instant,
    /// When each message was sent: µs since `base` + 1 (0: not sent yet).
    sent: Vec<AtomicU64>,
    /// The latest arrival of each message at any member (µs after it was sent).
    slowest: Vec<AtomicU64>,
    /// Frames received by any socket of the phase, and when the last one came (ms since `base`).
    frames: AtomicU64,
    last_frame: AtomicU64,
    deliveries: AtomicU64,
}

impl Board {
    fn saw_frame(&self) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.last_frame
            .fetch_max(self.base.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn now_us(&self) -> u64 {
        self.base.elapsed().as_micros() as u64
    }
}

#[derive(Default)]
struct Received {
    latency: Samples,
    deliveries: u64,
    other_frames: u64,
    ended: Option<String>,
}

/// `users[0]` creates the room and sends; `users[1..members]` join and listen.
pub async fn run(ctx: &Ctx, users: &[User], plan: &Plan) -> Result<Vec<String>> {
    let members = &users[..plan.members];
    println!(
        "== fan-out: a public room of {} members, {} messages at {}/s from one member",
        plan.members, plan.messages, plan.rate
    );
    let room = ctx
        .api
        .room(&members[0], &format!("load fan-out {}", ctx.prefix))
        .await?;
    ctx.api
        .join_all(&room, &members[1..], ctx.http_parallel)
        .await?;

    let board = Arc::new(Board {
        base: Instant::now(),
        sent: (0..plan.messages).map(|_| AtomicU64::new(0)).collect(),
        slowest: (0..plan.messages).map(|_| AtomicU64::new(0)).collect(),
        frames: AtomicU64::new(0),
        last_frame: AtomicU64::new(0),
        deliveries: AtomicU64::new(0),
    });
    let (stop, stop_rx) = watch::channel(false);
    let (go, go_rx) = watch::channel(false);

    println!("   opening one socket per member");
    let server_0 = ProcSnap::take(ctx.server_pid);
    let me_0 = ProcSnap::take(None);
    let tokens = members.iter().map(|u| u.token.clone()).collect();
    let opened = {
        let board = board.clone();
        let room = room.clone();
        let rate = plan.rate;
        pool::open_all(&ctx.ws_url, tokens, ctx.connect_parallel, move |i, ws| {
            let board = board.clone();
            let stop = stop_rx.clone();
            let go = go_rx.clone();
            let room = room.clone();
            async move {
                if i == 0 {
                    Role::Sender(send(ws, board, go, stop, &room, rate).await)
                } else {
                    Role::Receiver(receive(ws, board, stop).await)
                }
            }
        })
        .await
    };
    let quiet = pool::settle(
        board.base,
        &board.last_frame,
        Duration::from_secs(1),
        Duration::from_secs(120),
    )
    .await;
    let presence_frames = board.frames.load(Ordering::Relaxed);
    println!(
        "   {} of {} open in {:.1} s ({} failed); {presence_frames} frames (presence) reached \
         the members, quiet {:.1} s after the last ready",
        opened.opened,
        plan.members,
        opened.took.as_secs_f64(),
        opened.errors.total(),
        quiet.as_secs_f64()
    );
    let server_1 = ProcSnap::take(ctx.server_pid);
    let me_1 = ProcSnap::take(None);

    let receivers = opened.opened.saturating_sub(1) as u64;
    let expected = receivers * plan.messages as u64;
    let _ = go.send(true);
    let send_time = Duration::from_secs_f64(plan.messages as f64 / plan.rate);
    // Until every delivery arrived, or 15 s after the last send.
    let deadline = Instant::now() + send_time + Duration::from_secs(15);
    while board.deliveries.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let server_2 = ProcSnap::take(ctx.server_pid);
    let me_2 = ProcSnap::take(None);
    let _ = stop.send(true);

    let mut latency = Samples::default();
    let mut deliveries = 0;
    let mut other = 0;
    let mut ended = Tally::default();
    let mut sender = None;
    for r in pool::results(opened.tasks).await {
        match r {
            Role::Sender(s) => sender = Some(s),
            Role::Receiver(r) => {
                latency.extend(r.latency);
                deliveries += r.deliveries;
                other += r.other_frames;
                if let Some(how) = r.ended {
                    ended.add(how);
                }
            }
        }
    }
    let mut slowest = Samples::default();
    for (s, sent) in board.slowest.iter().zip(&board.sent) {
        if sent.load(Ordering::Relaxed) > 0 {
            slowest.push(Duration::from_micros(s.load(Ordering::Relaxed)));
        }
    }

    let mut lines = vec![format!(
        "fan-out: room of {} members ({} sockets open, {} failed: {}), {} messages at {}/s: \
         {deliveries} of {expected} deliveries received; sockets ended early: {ended}",
        plan.members,
        opened.opened,
        opened.errors.total(),
        opened.errors,
        plan.messages,
        plan.rate,
    )];
    lines.push(format!(
        "   send → arrival at a member:      {}",
        show(latency.summary())
    ));
    lines.push(format!(
        "   send → arrival at the last member: {}",
        show(slowest.summary())
    ));
    if let Some(s) = sender {
        lines.push(format!(
            "   sender: {} sent, {} acked, errors: {}, ended early: {}; ack {}",
            s.sent,
            s.acked.len(),
            s.errors,
            s.ended.as_deref().unwrap_or("no"),
            show(s.acked.summary())
        ));
    }
    lines.push(format!(
        "   connecting the members: {presence_frames} presence frames to the members, quiet \
         {:.1} s after the last ready; other frames during sending: {other}",
        quiet.as_secs_f64()
    ));
    lines.push(format!(
        "   connecting: {}; sending: {}",
        cpu_line((server_0, server_1), (me_0, me_1)),
        cpu_line((server_1, server_2), (me_1, me_2))
    ));
    Ok(lines)
}

enum Role {
    Sender(Sent),
    Receiver(Received),
}

struct Sent {
    sent: usize,
    acked: Samples,
    errors: Tally,
    ended: Option<String>,
}

async fn receive(mut ws: Socket, board: Arc<Board>, mut stop: watch::Receiver<bool>) -> Received {
    let mut r = Received::default();
    let b = &board;
    r.ended = pool::read_until(&mut ws, &mut stop, |text| {
        b.saw_frame();
        let Some(h) = socket::head(text) else {
            r.other_frames += 1;
            return;
        };
        if h.kind != "new_message" {
            if b.sent[0].load(Ordering::Relaxed) > 0 {
                r.other_frames += 1;
            }
            return;
        }
        let seq = socket::message_body(text)
            .and_then(|body| socket::tagged_numbers(&body, "fo").and_then(|mut n| n.next()));
        let Some(seq) = seq.and_then(|s| usize::try_from(s).ok()) else {
            return;
        };
        let Some(sent) = b.sent.get(seq).map(|s| s.load(Ordering::Relaxed)) else {
            return;
        };
        if sent == 0 {
            return;
        }
        let lat = b.now_us().saturating_sub(sent - 1);
        r.latency.push(Duration::from_micros(lat));
        r.deliveries += 1;
        b.deliveries.fetch_add(1, Ordering::Relaxed);
        b.slowest[seq].fetch_max(lat, Ordering::Relaxed);
    })
    .await;
    r
}

/// Waits for `go`, then sends the messages at `rate` per second with `ref` = the message's
/// number, reading acks (and its own copies of the messages) meanwhile.
async fn send(
    mut ws: Socket,
    board: Arc<Board>,
    mut go: watch::Receiver<bool>,
    mut stop: watch::Receiver<bool>,
    room: &str,
    rate: f64,
) -> Sent {
    let mut out = Sent {
        sent: 0,
        acked: Samples::default(),
        errors: Tally::default(),
        ended: None,
    };
    let total = board.sent.len();
    let mut sent_at: Vec<Option<Instant>> = vec![None; total];
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut started = false;
    loop {
        tokio::select! {
            biased;
            () = pool::until_set(&mut stop) => {
                pool::close(&mut ws).await;
                return out;
            }
            () = pool::until_set(&mut go), if !started => {
                started = true;
                ticker.reset_immediately();
            }
            _ = ticker.tick(), if started && out.sent < total => {
                let seq = out.sent;
                let frame = json!({"type": "send_message", "room_id": room,
                                   "body": format!("fo {seq}"), "ref": seq});
                sent_at[seq] = Some(Instant::now());
                board.sent[seq].store(board.now_us() + 1, Ordering::Relaxed);
                if let Err(e) = ws.send(Message::text(frame.to_string())).await {
                    out.ended = Some(socket::error_label(&e));
                    return out;
                }
                out.sent += 1;
            }
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    board.saw_frame();
                    let Some(h) = socket::head(t.as_str()) else { continue };
                    let at = h.reference.and_then(|r| sent_at.get(usize::try_from(r).ok()?).copied().flatten());
                    match (h.kind.as_ref(), at) {
                        ("ack", Some(at)) => out.acked.push(at.elapsed()),
                        ("error", _) => out.errors.add(h.code.as_deref().unwrap_or("?").to_owned()),
                        _ => {}
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
