//! Wiring: builds the state and the router from every domain, runs migrations, serves with
//! graceful shutdown. `main.rs` is only the CLI around these functions.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use tokio::net::TcpListener;
use tokio::sync::watch;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use vertechie_kernel::auth::{PasswordHasher, TokenKeys};
use vertechie_kernel::bus::EventBus;
use vertechie_kernel::clock::SharedClock;
use vertechie_kernel::config::Config;
use vertechie_kernel::jobs::{Handlers, JobQueue};
use vertechie_kernel::mail::Mailer;
use vertechie_kernel::storage::Storage;
use vertechie_kernel::{AppState, AppStateInner};

#[cfg(feature = "testkit")]
pub mod testing;

/// Every domain's migrations, in dependency order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = vertechie_kernel::migrations();
        all.extend(vertechie_accounts::migrations());
        all.extend(vertechie_hiring::migrations());
        all.extend(vertechie_messaging::migrations());
        all
    }
}

/// Connects to the database and applies pending migrations.
pub async fn connect_and_migrate(cfg: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = vertechie_kernel::db::connect(&cfg.database_url(), cfg.db_max_connections).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Builds the shared state. `cfg.secret` must be resolved.
pub async fn build_state(
    cfg: Config,
    db: sea_orm::DatabaseConnection,
    clock: SharedClock,
) -> anyhow::Result<AppState> {
    let secret = cfg
        .secret
        .clone()
        .ok_or_else(|| anyhow::anyhow!("secret is not resolved"))?;
    let mut handlers: Handlers = Handlers::new();
    for (kind, h) in vertechie_kernel::mail::job_handlers() {
        handlers.insert(kind, h);
    }
    for (kind, h) in vertechie_hiring::job_handlers() {
        handlers.insert(kind, h);
    }
    for (kind, h) in vertechie_messaging::job_handlers() {
        handlers.insert(kind, h);
    }
    let jobs = JobQueue::new(cfg.job_max_attempts, handlers);
    let mailer = Mailer::new(
        jobs.clone(),
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
    let state = AppState::new(AppStateInner {
        tokens: TokenKeys::new(secret.expose().as_bytes(), cfg.access_token_ttl_secs),
        passwords: PasswordHasher::from_config(&cfg)?,
        sessions: Arc::new(vertechie_accounts::SessionStore::new()),
        metrics: vertechie_kernel::ops::metrics_handle(),
        config: Arc::new(cfg),
        db,
        clock,
        jobs,
        mailer,
        redis,
        bus,
        storage,
        extensions: extensions(),
    });
    // Users changed by other instances (through the bus) are forgotten here too.
    vertechie_accounts::service::cache::spawn_listener(state.clone());
    // Job searches cached here are emptied when another instance changes jobs.
    vertechie_hiring::service::search_cache::spawn_listener(state.clone());
    // The realtime gateway's bus listener, session re-checks and presence heartbeat.
    vertechie_messaging::gateway::spawn(state.clone());
    Ok(state)
}

/// Values the domains register for each other: the page navigation, in product order.
fn extensions() -> axum::http::Extensions {
    let mut ext = axum::http::Extensions::new();
    let mut nav = vertechie_web::Navigation::default();
    nav.0.extend(vertechie_accounts::nav());
    nav.0.extend(vertechie_hiring::nav());
    nav.0.extend(vertechie_messaging::nav());
    ext.insert(nav);
    ext.insert(vertechie_accounts::service::cache::UserViewCache::default());
    ext.insert(vertechie_hiring::service::search_cache::SearchCache::default());
    ext.insert(vertechie_messaging::gateway::Gateway::default());
    ext
}

#[derive(OpenApi)]
#[openapi(
    info(title = "VerTechie API", version = "1", description = "One platform for a tech career. Every response uses the envelope {status, data, message} or {status, error}."),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Registration, sign-in, tokens, sessions, email verification, password reset"),
        (name = "users", description = "Profiles, skills, CV, experiences, education, admin user management"),
        (name = "hiring", description = "Companies, their members and roles, company verification, jobs, job search, saved jobs"),
        (name = "messaging", description = "Notifications and their delivery preferences"),
        (name = "chat", description = "Chat rooms, members and roles, messages, reactions, direct conversations, read state, search, send later"),
        (name = "files", description = "File uploads (type from the bytes, size-capped), owner-only metadata and deletion, downloads through expiring signed links"),
    )
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

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(vertechie_accounts::router())
        .merge(vertechie_hiring::router())
        .merge(vertechie_messaging::router())
        .merge(vertechie_kernel::files::router())
}

/// The OpenAPI document generated from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

/// The whole application router with middleware applied.
pub fn build_app(state: AppState) -> Router {
    let (api, doc) = api_router().split_for_parts();
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
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/docs/openapi.json", doc))
        .merge(vertechie_kernel::ops::router())
        .merge(vertechie_web::router())
        .merge(vertechie_accounts::pages_router())
        .merge(vertechie_hiring::pages_router())
        .merge(vertechie_messaging::pages_router())
        .fallback(vertechie_web::page::not_found)
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
