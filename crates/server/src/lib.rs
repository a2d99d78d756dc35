//! Wiring: one ordered list of modules ([`modules`]), and from it the migrator, the state (queue
//! handlers and schedules, extensions, listeners), the routers and the OpenAPI document, the
//! navigation and assets, the stop hooks and the demo seed; serving with graceful shutdown.
//! `main.rs` is only the CLI around these functions.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use tokio::net::TcpListener;
use tokio::sync::watch;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use vertechie_kernel::auth::{PasswordHasher, Sessions, TokenKeys};
use vertechie_kernel::bus::EventBus;
use vertechie_kernel::clock::SharedClock;
use vertechie_kernel::config::Config;
use vertechie_kernel::mail::Mailer;
use vertechie_kernel::module::{self, Assembly, Module};
use vertechie_kernel::queue::Queue;
use vertechie_kernel::storage::Storage;
use vertechie_kernel::{AppState, AppStateInner};

mod openapi;
#[cfg(feature = "testkit")]
pub mod testing;

/// The modules of the app in dependency order: the kernel and the web shell, then each domain
/// after those it depends on. Everything else here is derived from this list; adding a domain is
/// one line (and its dependency in `Cargo.toml`).
pub fn modules() -> Vec<Module> {
    vec![
        vertechie_kernel::module(),
        vertechie_web::module(),
        vertechie_accounts::module(),
        vertechie_hiring::module(),
        vertechie_messaging::module(),
    ]
}

/// Every module's migrations, in module order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        modules().into_iter().flat_map(|m| m.migrations).collect()
    }
}

/// Connects to the database and applies pending migrations.
pub async fn connect_and_migrate(cfg: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = vertechie_kernel::db::connect(&cfg.database_url(), cfg.db_max_connections).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// The modules checked against each other, with the web crate's navigation and asset table
/// installed; fails naming every problem (a missing extension, two owners of one asset, …).
fn assembly() -> anyhow::Result<Assembly> {
    let mut modules = modules();
    let mut assembly = module::assemble(&mut modules)?;
    vertechie_web::install(&mut assembly);
    Ok(assembly)
}

/// What the modules run when the server stops (kept in the state by [`build_state`]).
#[derive(Clone, Default)]
struct StopHooks(Vec<module::StopHook>);

/// Builds the shared state from the modules and starts their listeners. `cfg.secret` must be
/// resolved.
pub async fn build_state(
    cfg: Config,
    db: sea_orm::DatabaseConnection,
    clock: SharedClock,
) -> anyhow::Result<AppState> {
    let secret = cfg
        .secret
        .clone()
        .ok_or_else(|| anyhow::anyhow!("secret is not resolved"))?;
    let mut assembly = assembly()?;
    let queue = Queue::with_schedules(
        cfg.queue_max_attempts,
        std::mem::take(&mut assembly.handlers),
        &assembly.schedules,
    );
    let mailer = Mailer::new(
        queue.clone(),
        cfg.smtp_url.as_ref().map(|s| s.expose()),
        &cfg.mail_from,
    )?;
    let redis = match &cfg.redis_url {
        Some(url) => {
            let client = redis::Client::open(url.as_str())?;
            Some(redis::aio::ConnectionManager::new(client).await?)
        }
        None => None,
    };
    let bus = match (&cfg.redis_url, &redis) {
        (Some(url), Some(conn)) => {
            EventBus::with_redis(redis::Client::open(url.as_str())?, conn.clone()).await?
        }
        _ => EventBus::in_process(),
    };
    let storage = Storage::from_config(&cfg, secret.expose().as_bytes())?;
    tracing::info!(
        backend = storage.backend(),
        max_bytes = storage.max_bytes,
        "file storage ready"
    );
    let Some(Sessions(sessions)) = assembly.extensions.get::<Sessions>().cloned() else {
        anyhow::bail!("no module provides the session check (vertechie_kernel::auth::Sessions)");
    };
    assembly
        .extensions
        .insert(StopHooks(assembly.on_stop.clone()));
    let state = AppState::new(AppStateInner {
        tokens: TokenKeys::new(secret.expose().as_bytes(), cfg.access_token_ttl_secs),
        passwords: PasswordHasher::from_config(&cfg)?,
        sessions,
        metrics: vertechie_kernel::ops::metrics_handle(),
        config: Arc::new(cfg),
        db,
        clock,
        queue,
        mailer,
        redis,
        bus,
        storage,
        extensions: assembly.extensions,
    });
    // Bus listeners, heartbeats: each module's start-up tasks.
    for start in &assembly.on_start {
        start(state.clone());
    }
    Ok(state)
}

/// Runs every module's stop hook (closing live sockets), each bounded by `grace`.
pub async fn stopping(state: &AppState, grace: Duration) {
    let hooks = state.ext::<StopHooks>().cloned().unwrap_or_default();
    for hook in hooks.0 {
        hook(state.clone(), grace).await;
    }
}

/// The counts `vertechie seed-demo` takes besides `--users`, from every module's seed hook.
pub fn seed_params() -> Vec<module::SeedParam> {
    modules()
        .iter()
        .filter_map(|m| m.seed.as_ref())
        .flat_map(|s| s.params().iter().copied())
        .collect()
}

/// Runs every module's demo seed in module order; returns each module's report.
pub async fn seed_demo(
    state: &AppState,
    args: &module::SeedArgs,
) -> Result<Vec<(&'static str, String)>, vertechie_kernel::AppError> {
    let mut reports = Vec::new();
    for m in modules() {
        if let Some(seed) = m.seed {
            reports.push((m.name, seed.seed(state, args).await?));
        }
    }
    Ok(reports)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "VerTechie API", version = "1", description = "One platform for a tech career. Every response uses the envelope {status, data, message} or {status, error}."),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The JSON API of every module (with the document's tags in module order) and their pages.
fn routers() -> (OpenApiRouter<AppState>, Router<AppState>) {
    let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi());
    let mut pages = Router::new();
    let mut tags = Vec::new();
    for m in modules() {
        tags.extend(m.tags.iter().map(|t| {
            utoipa::openapi::tag::TagBuilder::new()
                .name(t.name)
                .description(Some(t.description))
                .build()
        }));
        api = api.merge(m.api);
        pages = pages.merge(m.pages);
    }
    api.get_openapi_mut().tags = Some(tags);
    (api, pages)
}

/// The OpenAPI document as the handlers' annotations generate it.
fn raw_openapi() -> utoipa::openapi::OpenApi {
    routers().0.split_for_parts().1
}

/// The OpenAPI document: generated from the handlers, then finished with the error envelope,
/// the catalogue of error codes and every operation's implied error responses.
pub fn openapi() -> serde_json::Value {
    openapi::finish(&raw_openapi())
}

/// The whole application router with middleware applied.
pub fn build_app(state: AppState) -> Router {
    let (api, pages) = routers();
    let (api, doc) = api.split_for_parts();
    let doc = openapi::finish(&doc);
    let doc_json = Arc::new(doc.clone());
    let router = Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc_json.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs")
                .external_url_unchecked("/api/docs/openapi.json", doc),
        )
        .merge(vertechie_kernel::ops::router())
        .merge(pages)
        .fallback(vertechie_web::page::not_found)
        .layer(axum::middleware::from_fn(
            vertechie_kernel::error::log_refusals,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            vertechie_web::page_middleware,
        ));
    vertechie_kernel::middleware::apply(router, &state.config).with_state(state)
}

/// Serves until `shutdown` resolves, then stops accepting and waits (bounded) for in-flight requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let (tx, mut rx) = watch::channel(false);
    // Without TCP_NODELAY a WebSocket frame written right after another (a room message, then
    // the ack) waits for the peer's delayed ACK: ~40 ms stalls, seen by tools/ws-load.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    let server = tokio::spawn(server.into_future());
    let wait_for_stop = async {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    tokio::pin!(server);
    tokio::select! {
        res = &mut server => return res.unwrap_or_else(|e| Err(std::io::Error::other(e))),
        _ = wait_for_stop => {}
    }
    match tokio::time::timeout(grace, &mut server).await {
        Ok(res) => res.unwrap_or_else(|e| Err(std::io::Error::other(e))),
        Err(_) => {
            tracing::warn!(
                grace_secs = grace.as_secs(),
                "in-flight requests did not finish in time; stopping"
            );
            server.abort();
            Ok(())
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
