//! The messaging integration tests: one binary (linking the whole app once), a module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod attachments;
mod chat;
mod common;
mod notifications;
mod pages;
mod ws;
