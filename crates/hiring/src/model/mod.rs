//! Hiring tables as sea-orm entities.

pub mod application;
pub mod application_event;
pub mod company;
pub mod company_member;
pub mod job;
pub mod note;
pub mod saved_job;
pub mod scorecard;
pub mod stage;
