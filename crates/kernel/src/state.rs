//! The application state, built once in `server` and passed to every handler.

use std::ops::Deref;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::{PasswordHasher, SessionCheck, TokenKeys};
use crate::bus::EventBus;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::mail::Mailer;
use crate::queue::Queue;
use crate::storage::Storage;

#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

pub struct AppStateInner {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub tokens: TokenKeys,
    pub passwords: PasswordHasher,
    pub clock: SharedClock,
    pub sessions: Arc<dyn SessionCheck>,
    pub queue: Queue,
    pub mailer: Mailer,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    pub redis: Option<redis::aio::ConnectionManager>,
    /// Events between the parts of the app, and between instances when Redis is configured.
    pub bus: EventBus,
    /// Uploaded files' bytes (local directory or S3) and their signed download links.
    pub storage: Storage,
    /// Typed values the server registers for the domains (e.g. the page navigation), so the kernel
    /// needs no field per domain.
    pub extensions: http::Extensions,
}

impl AppState {
    pub fn new(inner: AppStateInner) -> Self {
        Self(Arc::new(inner))
    }
}

impl AppState {
    /// A value registered by the server under its type.
    pub fn ext<T: Clone + Send + Sync + 'static>(&self) -> Option<&T> {
        self.0.extensions.get::<T>()
    }
}

impl Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
