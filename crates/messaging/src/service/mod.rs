//! Messaging rules (no HTTP).

pub mod notifications;
