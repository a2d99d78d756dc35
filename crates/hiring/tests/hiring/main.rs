//! The hiring integration tests: one binary (linking the whole app once), a module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod applications;
mod common;
mod companies;
mod jobs;
mod pages_jobs;
mod pages_recruiter;
mod seed;
