//! `vertechie-ws-load`: load for the realtime gateway (`GET /api/v1/ws`) of one running
//! instance, in phases:
//!
//! 1. set-up: registers the users it needs through the API (or signs them in on a re-run with
//!    the same `--prefix`);
//! 2. `idle`: opens `--connections` sockets, at most `--per-user` per user (the gateway allows
//!    20 per user and instance), holds them and reads the server's resident memory before and
//!    after (`--server-pid`) → memory per connection;
//! 3. `fanout`: a public room of `--members` members, one socket each; one member sends
//!    `--messages` messages at `--rate`/s; every other member times each one from send to
//!    arrival → p50/p90/p99/max and deliveries received against expected;
//! 4. `throughput`: `--senders` sockets send `send_message` with a `ref` at `--sender-rate`/s
//!    each (under the 20 frames/s budget) into `--rooms` rooms for `--duration-secs`, with
//!    `--listeners` members in every room → acked messages/s, ack latency, errors.
//!
//! Figures are printed, never asserted; the block after `== results` is the summary.
//! `scripts/bench-ws.sh` starts a server with rate limits off and runs this against it.

mod api;
mod fanout;
mod idle;
mod pool;
mod socket;
mod stats;
mod throughput;

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use clap::{Parser, ValueEnum};

/// Load for the realtime gateway of one VerTechie instance (rate limits must be off).
#[derive(Parser, Debug)]
#[command(name = "vertechie-ws-load", version, about)]
struct Args {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// The server's process id, to read its memory and CPU time from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Phases to run, in this order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "idle,fanout,throughput"
    )]
    phases: Vec<Phase>,
    /// Idle: sockets to open.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Idle: sockets per user (the gateway refuses more than 20 per user and instance).
    #[arg(long, default_value_t = 20)]
    per_user: usize,
    /// Idle: how long to hold the open sockets before closing them.
    #[arg(long, default_value_t = 5)]
    idle_hold_secs: u64,
    /// Fan-out: members of the room (each with one socket; one of them sends).
    #[arg(long, default_value_t = 1_000)]
    members: usize,
    /// Fan-out: messages to send.
    #[arg(long, default_value_t = 200)]
    messages: usize,
    /// Fan-out: messages per second from the sender.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Throughput: sending sockets (one user each).
    #[arg(long, default_value_t = 100)]
    senders: usize,
    /// Throughput: messages per second per sender.
    #[arg(long, default_value_t = 15.0)]
    sender_rate: f64,
    /// Throughput: rooms the senders are spread over (each sender also receives its room).
    #[arg(long, default_value_t = 10)]
    rooms: usize,
    /// Throughput: listening sockets, members of every room.
    #[arg(long, default_value_t = 10)]
    listeners: usize,
    /// Throughput: seconds of sending.
    #[arg(long, default_value_t = 15)]
    duration_secs: u64,
    /// Usernames are <prefix>00000…; default: `ld` and six random hex digits.
    #[arg(long)]
    prefix: Option<String>,
    /// The load users' password.
    #[arg(long, default_value = "load-test-password")]
    password: String,
    /// Set-up requests in flight at once.
    #[arg(long, default_value_t = 8)]
    http_parallel: usize,
    /// WebSocket handshakes in flight at once.
    #[arg(long, default_value_t = 200)]
    connect_parallel: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Phase {
    Idle,
    Fanout,
    Throughput,
}

/// What every phase needs.
pub struct Ctx {
    pub api: api::Api,
    pub ws_url: String,
    pub server_pid: Option<u32>,
    pub prefix: String,
    pub http_parallel: usize,
    pub connect_parallel: usize,
}

/// The gateway's frame budget per socket (frames/s); faster senders are cut off with 1008.
const GATEWAY_FRAMES_PER_SEC: f64 = 20.0;

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    check(&args)?;
    let prefix = args.prefix.clone().unwrap_or_else(|| {
        let r = uuid::Uuid::new_v4().simple().to_string();
        format!("ld{}", &r[..6])
    });
    let ctx = Ctx {
        api: api::Api::new(&args.url)?,
        ws_url: socket::ws_base(&args.url),
        server_pid: args.server_pid,
        prefix,
        http_parallel: args.http_parallel,
        connect_parallel: args.connect_parallel,
    };
    let has = |p| args.phases.contains(&p);
    let mut needed = 0;
    if has(Phase::Idle) {
        needed = needed.max(args.connections.div_ceil(args.per_user));
    }
    if has(Phase::Fanout) {
        needed = needed.max(args.members);
    }
    if has(Phase::Throughput) {
        needed = needed.max(1 + args.senders + args.listeners);
    }
    let sockets_at_once = [
        if has(Phase::Idle) {
            args.connections
        } else {
            0
        },
        if has(Phase::Fanout) { args.members } else { 0 },
        if has(Phase::Throughput) {
            args.senders + args.listeners
        } else {
            0
        },
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    warn_fd_limit(sockets_at_once);

    let started = Instant::now();
    println!(
        "== set-up: {needed} users {}00000… on {}",
        ctx.prefix, args.url
    );
    let users = ctx
        .api
        .users(&ctx.prefix, needed, &args.password, args.http_parallel)
        .await?;

    let mut results: Vec<String> = Vec::new();
    for phase in &args.phases {
        let lines = match phase {
            Phase::Idle => {
                idle::run(
                    &ctx,
                    &users,
                    &idle::Plan {
                        connections: args.connections,
                        per_user: args.per_user,
                        hold: Duration::from_secs(args.idle_hold_secs),
                    },
                )
                .await
            }
            Phase::Fanout => {
                fanout::run(
                    &ctx,
                    &users,
                    &fanout::Plan {
                        members: args.members,
                        messages: args.messages,
                        rate: args.rate,
                    },
                )
                .await?
            }
            Phase::Throughput => {
                throughput::run(
                    &ctx,
                    &users,
                    &throughput::Plan {
                        senders: args.senders,
                        rate: args.sender_rate,
                        rooms: args.rooms,
                        listeners: args.listeners,
                        duration: Duration::from_secs(args.duration_secs),
                    },
                )
                .await?
            }
        };
        results.extend(lines);
        // Let the server finish closing the phase's sockets before the next one measures.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }

    println!();
    println!("== results");
    for l in &results {
        println!("{l}");
    }
    println!(
        "(whole run {:.0} s; the tool shares the machine's cores with the server)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn check(a: &Args) -> Result<()> {
    if a.per_user == 0 || a.connect_parallel == 0 || a.http_parallel == 0 {
        bail!("--per-user, --connect-parallel and --http-parallel must be at least 1");
    }
    if a.per_user > 20 {
        println!(
            "warning: --per-user {} is over the gateway's 20 sockets per user; expect 429 refusals",
            a.per_user
        );
    }
    if a.members < 2 {
        bail!("--members must be at least 2 (a sender and a receiver)");
    }
    if a.senders == 0 {
        bail!("--senders must be at least 1");
    }
    for (name, rate) in [("--rate", a.rate), ("--sender-rate", a.sender_rate)] {
        if !(rate > 0.0 && rate < GATEWAY_FRAMES_PER_SEC) {
            bail!(
                "{name} must be above 0 and under the gateway's {GATEWAY_FRAMES_PER_SEC} frames/s \
                 per socket (faster sockets are closed with 1008)"
            );
        }
    }
    if a.duration_secs == 0 {
        bail!("--duration-secs must be at least 1");
    }
    Ok(())
}

/// Warns when this process may not open enough sockets (the script raises `ulimit -n`).
fn warn_fd_limit(sockets: usize) {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_owned))
        })
        .and_then(|n| n.parse::<usize>().ok());
    if let Some(soft) = soft
        && soft < sockets + 100
    {
        println!(
            "warning: the open-file limit is {soft}, under the {sockets} sockets asked for; \
             raise it (ulimit -n) for the server and this tool"
        );
    }
}
