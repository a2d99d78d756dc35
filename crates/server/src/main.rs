//! The `vertechie` binary.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use figment::Figment;
use figment::providers::Serialized;
use vertechie_kernel::clock::SystemClock;
use vertechie_kernel::config::{Config, SecretSource};
use vertechie_kernel::module::SeedArgs;
use vertechie_server::{build_app, build_state, connect_and_migrate, serve, shutdown_signal};

/// How long live sockets get to close at shutdown.
const SOCKET_GRACE: Duration = Duration::from_secs(5);

/// VerTechie: one platform for a tech career.
///
/// Configuration is layered: defaults, then the TOML file given with --config, then VERTECHIE_*
/// environment variables (e.g. VERTECHIE_BIND, VERTECHIE_DATA_DIR, VERTECHIE_SECRET,
/// VERTECHIE_PUBLIC_URL, VERTECHIE_RATE_LIMIT_PER_MIN, VERTECHIE_AUTH_RATE_LIMIT_PER_MIN,
/// VERTECHIE_SMTP_URL) plus DATABASE_URL and REDIS_URL, then these flags.
/// `vertechie config` prints every key with its effective value.
#[derive(Parser, Debug)]
#[command(name = "vertechie", version, about, long_about)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "VERTECHIE_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port) [default: 127.0.0.1:8080].
    #[arg(long, global = true)]
    bind: Option<String>,
    /// Data directory for the SQLite database and generated secret [default: ./data].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// sqlite://… or postgres://… [default: sqlite under the data directory].
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run migrations, then serve HTTP and run background workers (the default).
    Serve,
    /// Run only the background job workers (mail, …) until SIGINT/SIGTERM; no HTTP.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a super admin (or promote an existing account and set its password).
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// The password; read from standard input when omitted.
        #[arg(long)]
        password: Option<String>,
    },
    /// Print the effective configuration with secrets masked.
    Config,
    /// Insert demo users user00001…userNNNNN (2–3 skills each), then each module's demo data
    /// (companies, jobs, applications, …; the counts below come from the modules); what exists
    /// already is kept, only the missing part is added.
    SeedDemo {
        /// How many demo users (numbered from 1).
        #[arg(long)]
        users: u32,
        /// The password every demo user gets (hashed once with the configured argon2 cost).
        #[arg(long, default_value = vertechie_accounts::service::seed::DEFAULT_DEMO_PASSWORD)]
        password: String,
    },
}

fn overrides(cli: &Cli) -> Figment {
    let mut map = serde_json::Map::new();
    if let Some(b) = &cli.bind {
        map.insert("bind".into(), b.clone().into());
    }
    if let Some(d) = &cli.data_dir {
        map.insert("data_dir".into(), d.display().to_string().into());
    }
    if let Some(u) = &cli.database_url {
        map.insert("database_url".into(), u.clone().into());
    }
    Figment::from(Serialized::globals(serde_json::Value::Object(map)))
}

fn init_logging(cfg: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&cfg.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if cfg.log_format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init();
    } else {
        builder.init();
    }
}

/// The CLI with each module's seed counts added to `seed-demo` as `--<name> N`.
fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command().mut_subcommand("seed-demo", |mut c| {
        for p in vertechie_server::seed_params() {
            c = c.arg(
                clap::Arg::new(p.name)
                    .long(p.name)
                    .value_name("N")
                    .help(format!("{} [default: {}]", p.help, p.default))
                    .value_parser(clap::value_parser!(u32)),
            );
        }
        c
    })
}

/// The module seed counts given to `seed-demo` (their defaults when not given).
fn seed_counts(matches: &clap::ArgMatches) -> HashMap<&'static str, u32> {
    let Some(("seed-demo", sub)) = matches.subcommand() else {
        return HashMap::new();
    };
    vertechie_server::seed_params()
        .into_iter()
        .filter_map(|p| sub.get_one::<u32>(p.name).map(|n| (p.name, *n)))
        .collect()
}

fn main() -> std::process::ExitCode {
    use clap::FromArgMatches;
    let matches = command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let counts = seed_counts(&matches);
    let cfg = match Config::load(cli.config.as_deref(), overrides(&cli)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vertechie: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if matches!(cli.command, Some(Command::Config)) {
        print!("{}", cfg.masked_toml());
        return std::process::ExitCode::SUCCESS;
    }
    init_logging(&cfg);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vertechie: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => run_serve(cfg).await,
            Command::Worker => run_worker(cfg).await,
            Command::Migrate => {
                connect_and_migrate(&cfg).await?;
                tracing::info!("migrations applied");
                Ok(())
            }
            Command::CreateAdmin { email, password } => create_admin(cfg, email, password).await,
            Command::SeedDemo { users, password } => {
                seed_demo(
                    cfg,
                    SeedArgs {
                        users,
                        password,
                        counts,
                    },
                )
                .await
            }
            Command::Config => Ok(()),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "vertechie stopped with an error");
            eprintln!("vertechie: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run_serve(mut cfg: Config) -> anyhow::Result<()> {
    let (_, source) = cfg.resolve_secret()?;
    match &source {
        SecretSource::Generated(p) => {
            tracing::warn!(path = %p.display(), "no VERTECHIE_SECRET configured: generated a signing secret and stored it (tokens survive restarts)")
        }
        SecretSource::File(p) => {
            tracing::info!(path = %p.display(), "using the signing secret stored in the data directory")
        }
        SecretSource::Configured => {}
    }
    let addr = cfg.bind_addr()?;
    let db = connect_and_migrate(&cfg).await?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let grace = Duration::from_secs(cfg.shutdown_timeout_secs);
    let workers = cfg.queue_workers;
    let state = build_state(cfg, db, Arc::new(SystemClock)).await?;
    // Recurring tasks; idempotent: several instances starting together queue one run each.
    state.queue.start_schedules(&state).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker_handles = state.queue.spawn_workers(state.clone(), workers, stop_rx);
    let app = build_app(state.clone());
    tracing::info!(url = %format!("http://{local}"), "VerTechie is listening on http://{local}");
    // On SIGINT/SIGTERM, live sockets get a close frame (1001) before the server stops.
    let gateway_state = state.clone();
    let shutdown = async move {
        shutdown_signal().await;
        vertechie_server::stopping(&gateway_state, grace.min(SOCKET_GRACE)).await;
    };
    serve(listener, app, shutdown, grace).await?;
    tracing::info!("stopping background workers");
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(grace, futures_join(worker_handles)).await;
    state.db.clone().close().await.ok();
    tracing::info!("stopped");
    Ok(())
}

async fn run_worker(mut cfg: Config) -> anyhow::Result<()> {
    cfg.resolve_secret()?;
    let db = connect_and_migrate(&cfg).await?;
    let grace = Duration::from_secs(cfg.shutdown_timeout_secs);
    let workers = cfg.queue_workers.max(1);
    let state = build_state(cfg, db, Arc::new(SystemClock)).await?;
    // Recurring tasks; idempotent: several instances starting together queue one run each.
    state.queue.start_schedules(&state).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let handles = state.queue.spawn_workers(state.clone(), workers, stop_rx);
    tracing::info!(workers, "VerTechie job workers are running");
    shutdown_signal().await;
    tracing::info!("stopping job workers (finishing the jobs in hand)");
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(grace, futures_join(handles)).await;
    state.db.clone().close().await.ok();
    tracing::info!("stopped");
    Ok(())
}

async fn futures_join(handles: Vec<tokio::task::JoinHandle<()>>) {
    for h in handles {
        let _ = h.await;
    }
}

async fn create_admin(
    mut cfg: Config,
    email: String,
    password: Option<String>,
) -> anyhow::Result<()> {
    let password = match password {
        Some(p) => p,
        None => {
            eprintln!("Password for {email} (read from standard input):");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    cfg.resolve_secret()?;
    let db = connect_and_migrate(&cfg).await?;
    let state = build_state(cfg, db, Arc::new(SystemClock)).await?;
    let outcome = vertechie_accounts::service::admin::create_admin(&state, &email, &password)
        .await
        .map_err(|e| anyhow::anyhow!(describe(&e)))?;
    println!("{outcome}");
    Ok(())
}

/// Every module's demo seed, in module order (demo users first).
async fn seed_demo(mut cfg: Config, args: SeedArgs) -> anyhow::Result<()> {
    cfg.resolve_secret()?;
    let db = connect_and_migrate(&cfg).await?;
    let state = build_state(cfg, db, Arc::new(SystemClock)).await?;
    let started = std::time::Instant::now();
    let reports = vertechie_server::seed_demo(&state, &args)
        .await
        .map_err(|e| anyhow::anyhow!(describe(&e)))?;
    for (module, report) in reports {
        println!("{module}: {report}");
    }
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    state.db.clone().close().await.ok();
    Ok(())
}

fn describe(e: &vertechie_kernel::AppError) -> String {
    let mut s = e.message.clone();
    for d in &e.details {
        s.push_str(&format!("\n  {}: {}", d.field, d.message));
    }
    s
}
