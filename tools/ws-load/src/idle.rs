//! Idle sockets: open many, hold them, and read what they cost the server in memory.

use std::time::Duration;

use tokio::sync::watch;

use crate::Ctx;
use crate::api::User;
use crate::pool;
use crate::stats::{ProcSnap, Tally, cpu_line, show};

pub struct Plan {
    pub connections: usize,
    pub per_user: usize,
    pub hold: Duration,
}

/// Opens `connections` sockets over `users` (`per_user` each, in order), holds them for `hold`,
/// closes them; the lines of the report.
pub async fn run(ctx: &Ctx, users: &[User], plan: &Plan) -> Vec<String> {
    let tokens: Vec<String> = (0..plan.connections)
        .map(|i| users[i / plan.per_user].token.clone())
        .collect();
    let users_used = plan.connections.div_ceil(plan.per_user);
    println!(
        "== idle: opening {} sockets for {users_used} users ({} each), {} handshakes at a time",
        plan.connections, plan.per_user, ctx.connect_parallel
    );
    // Let the server's memory settle after the set-up before the baseline.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let server_before = ProcSnap::take(ctx.server_pid);
    let me_before = ProcSnap::take(None);

    let (stop, stop_rx) = watch::channel(false);
    let opened = pool::open_all(
        &ctx.ws_url,
        tokens,
        ctx.connect_parallel,
        move |_, mut ws| {
            let mut stop = stop_rx.clone();
            async move {
                // Reading answers the server's pings; nothing else should arrive.
                let mut frames = 0u64;
                let ended = pool::read_until(&mut ws, &mut stop, |_| frames += 1).await;
                (ended, frames)
            }
        },
    )
    .await;
    let open_secs = opened.took.as_secs_f64();
    println!(
        "   {} open in {open_secs:.1} s; holding for {} s",
        opened.opened,
        plan.hold.as_secs()
    );
    let server_open_cpu = ProcSnap::take(ctx.server_pid);
    let me_open_cpu = ProcSnap::take(None);
    tokio::time::sleep(plan.hold).await;
    let server_held = ProcSnap::take(ctx.server_pid);
    let me_held = ProcSnap::take(None);

    let _ = stop.send(true);
    let mut ended_early = Tally::default();
    let mut stray_frames = 0;
    for (ended, frames) in pool::results(opened.tasks).await {
        if let Some(how) = ended {
            ended_early.add(how);
        }
        stray_frames += frames;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let server_closed = ProcSnap::take(ctx.server_pid);

    let mut lines = vec![format!(
        "idle sockets: {} of {} opened for {users_used} users in {open_secs:.1} s ({:.0}/s); \
         refused or failed: {}; ended while held: {ended_early}; frames while held: {stray_frames}",
        opened.opened,
        plan.connections,
        opened.opened as f64 / open_secs.max(1e-9),
        opened.errors,
    )];
    lines.push(format!(
        "   connect → ready: {}",
        show(opened.ready.summary())
    ));
    match (server_before, server_held) {
        (Some(b), Some(h)) => {
            let delta_kib = h.rss_kib.saturating_sub(b.rss_kib);
            let per = delta_kib as f64 / opened.opened.max(1) as f64;
            lines.push(format!(
                "   server RSS {:.1} MiB before → {:.1} MiB with {} sockets open: +{:.1} MiB, \
                 {per:.1} KiB per connection; {} after closing them; peak {:.1} MiB",
                b.rss_mib(),
                h.rss_mib(),
                opened.opened,
                delta_kib as f64 / 1024.0,
                server_closed.map_or("?".to_owned(), |c| format!("{:.1} MiB", c.rss_mib())),
                h.hwm_kib as f64 / 1024.0,
            ));
        }
        _ => lines.push("   server RSS: not read (no --server-pid)".to_owned()),
    }
    if let (Some(b), Some(h)) = (me_before, me_held) {
        lines.push(format!(
            "   this tool's RSS: +{:.1} MiB for its side of the sockets",
            h.rss_kib.saturating_sub(b.rss_kib) as f64 / 1024.0
        ));
    }
    lines.push(format!(
        "   opening: {}; holding: {}",
        cpu_line((server_before, server_open_cpu), (me_before, me_open_cpu)),
        cpu_line((server_open_cpu, server_held), (me_open_cpu, me_held)),
    ));
    lines
}
