//! Messaging rules (no HTTP).

pub mod chat;
pub mod notifications;
