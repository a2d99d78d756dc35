//! The server integration tests: one binary (linking the whole app once), a module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account_deletion;
mod binary;
mod browser;
mod bus;
mod edge;
mod files;
#[cfg(feature = "s3")]
mod files_s3;
mod migrations;
mod platform;
