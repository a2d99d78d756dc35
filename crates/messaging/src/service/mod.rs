//! Messaging rules (no HTTP).

pub mod account_deletion;
pub mod chat;
pub mod notifications;
