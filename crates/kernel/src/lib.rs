//! Foundation with no domain knowledge: configuration, errors and the API envelope, auth
//! primitives, database, job queue, mail, event bus, durable notification requests, audit log,
//! HTTP middleware, operations endpoints and (feature `testkit`) the test harness.

pub mod api;
pub mod audit;
pub mod auth;
pub mod bus;
pub mod cache;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod files;
pub mod fts;
pub mod id;
pub mod mail;
pub mod middleware;
mod migrations;
pub mod module;
pub mod money;
pub mod net;
pub mod notify;
pub mod ops;
pub mod queue;
pub mod ratelimit;
pub mod state;
pub mod storage;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod text;

pub use api::{
    ApiJson, ApiMessage, ApiOk, ApiPath, ApiQuery, Created, Envelope, NoContent, Page, PageQuery,
    Pagination, Patch,
};
pub use auth::{CurrentUser, MaybeUser, Role, Tier};
pub use error::{AppError, AppResult, FieldError, Validator};
pub use id::{SessionId, UserId};
pub use migrations::migrations;
pub use module::Module;
pub use state::{AppState, AppStateInner};

/// The kernel's own part of the app as a module: its tables (queue, outbox, audit log, files),
/// the mail task, the hourly purge of finished queue tasks, the hourly sweep of never-attached
/// uploads and the deletion of removed files' objects, the files API and downloads. The server
/// lists it before every domain.
pub fn module() -> Module {
    let mut m = Module::new("kernel")
        .tag(
            "files",
            "File uploads (type from the bytes, size-capped, per-user quota), owner-only metadata and deletion, downloads through expiring signed links",
        )
        .api(files::router())
        .migrations(migrations::migrations())
        .every(queue::PURGE_DONE_TASKS, queue::PURGE_EVERY)
        .every(files::cleanup::SWEEP_UNATTACHED, files::cleanup::SWEEP_EVERY)
        .on_user_deleted(std::sync::Arc::new(files::cleanup::OwnerDeleted));
    for (kind, handler) in mail::task_handlers()
        .into_iter()
        .chain(queue::task_handlers())
        .chain(files::cleanup::task_handlers())
    {
        m = m.task(kind, handler);
    }
    m
}
