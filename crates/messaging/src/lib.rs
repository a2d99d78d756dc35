//! Messaging: notifications (stored per user, pushed on the event bus, emailed per the user's
//! preference for the kind). Chat, direct messages and the WebSocket gateway are not built yet.

mod api;
mod migrations;
pub mod model;
pub mod service;

pub use api::router;
pub use migrations::migrations;
pub use service::notifications::job_handlers;
