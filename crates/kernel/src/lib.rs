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
pub mod jobs;
pub mod mail;
pub mod middleware;
mod migrations;
pub mod notify;
pub mod ops;
pub mod ratelimit;
pub mod state;
pub mod storage;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use api::{
    ApiJson, ApiMessage, ApiOk, ApiPath, ApiQuery, Created, Envelope, NoContent, Page, PageQuery,
    Pagination,
};
pub use auth::{CurrentUser, MaybeUser, Role, Tier};
pub use error::{AppError, AppResult, FieldError, Validator};
pub use id::{SessionId, UserId};
pub use migrations::migrations;
pub use state::{AppState, AppStateInner};
