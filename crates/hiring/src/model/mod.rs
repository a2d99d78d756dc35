//! Hiring tables as sea-orm entities.

pub mod company;
pub mod company_member;
pub mod job;
pub mod saved_job;
