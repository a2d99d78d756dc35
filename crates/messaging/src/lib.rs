//! Messaging: notifications (stored per user, pushed on the event bus, emailed per the user's
//! preference for the kind) and chat (rooms, direct messages, reactions, read state, search,
//! send later; `service::chat`), and the realtime gateway behind `GET /api/v1/ws` (`gateway`).

mod api;
pub mod gateway;
mod migrations;
pub mod model;
mod pages;
pub mod service;

use vertechie_kernel::module::{Asset, Module};

/// Messaging as a module: the notifications, chat and presence API, the WebSocket gateway (its
/// bus listener at start, closing sockets at stop), the messaging pages and scripts (the bell's
/// script and the chat styles on every page), the delivery, digest and send-later tasks, and the
/// files of messages waiting to be sent (kept by the kernel's sweep of unattached uploads).
pub fn module() -> Module {
    let mut m = Module::new("messaging")
        .tag("messaging", "Notifications and their delivery preferences, the realtime WebSocket")
        .tag(
            "chat",
            "Chat rooms, members and roles, messages, reactions, direct conversations, read state, search, send later, presence",
        )
        .api(api::router())
        .pages(pages::router())
        .migrations(migrations::migrations())
        .nav(pages::nav())
        .asset(
            Asset::css("css/chat.css", include_bytes!("../static/css/chat.css")).everywhere(),
        )
        .asset(
            Asset::js(
                "js/notifications.js",
                include_bytes!("../static/js/notifications.js"),
            )
            .everywhere(),
        )
        .asset(Asset::js("js/chat.js", include_bytes!("../static/js/chat.js")))
        // Imported by chat.js (relative imports, served under their plain paths).
        .asset(Asset::js(
            "js/chat-dom.js",
            include_bytes!("../static/js/chat-dom.js"),
        ))
        .asset(Asset::js(
            "js/chat-sidebar.js",
            include_bytes!("../static/js/chat-sidebar.js"),
        ))
        .asset(Asset::js(
            "js/chat-attachments.js",
            include_bytes!("../static/js/chat-attachments.js"),
        ))
        .extension(gateway::Gateway::default())
        .uses_files(std::sync::Arc::new(service::chat::ScheduledAttachments))
        .on_start(gateway::spawn)
        .on_user_deleted(std::sync::Arc::new(
            service::account_deletion::MessagingAccountDeletion,
        ))
        .on_stop(|state, grace| Box::pin(async move { gateway::shutdown(&state, grace).await }));
    for (kind, handler) in service::notifications::task_handlers()
        .into_iter()
        .chain(service::chat::task_handlers())
    {
        m = m.task(kind, handler);
    }
    m
}
