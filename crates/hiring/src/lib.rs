//! Hiring: companies with their members and roles, admin verification, and the match-score
//! engine that explains how a candidate fits a job. Jobs, applications and the ATS pipeline are
//! not built yet.

mod api;
mod migrations;
pub mod model;
pub mod service;

pub use api::router;
pub use migrations::migrations;
