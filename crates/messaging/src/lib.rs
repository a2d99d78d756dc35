//! Messaging: notifications (stored per user, pushed on the event bus, emailed per the user's
//! preference for the kind) and chat (rooms, direct messages, reactions, read state, search,
//! send later; `service::chat`), and the realtime gateway behind `GET /api/v1/ws` (`gateway`).

mod api;
pub mod gateway;
mod migrations;
pub mod model;
mod pages;
pub mod service;

pub use api::router;
pub use migrations::migrations;
pub use pages::{nav, router as pages_router};

/// The messaging job handlers (`notify.deliver`, `chat.send_scheduled`), registered by the
/// server.
pub fn job_handlers() -> Vec<(
    &'static str,
    std::sync::Arc<dyn vertechie_kernel::jobs::JobHandler>,
)> {
    let mut all = service::notifications::job_handlers();
    all.extend(service::chat::job_handlers());
    all
}
