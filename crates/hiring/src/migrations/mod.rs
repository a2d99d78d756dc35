//! Hiring tables. Never edit a landed migration; add a new file.

use sea_orm_migration::MigrationTrait;

mod m20261121_000200_hiring_companies;
mod m20261121_000210_hiring_jobs;
mod m20261121_000220_hiring_applications;
mod m20261121_000230_hiring_fts_rowids;
mod m20261121_000240_hiring_job_search_index;
mod m20261204_000250_hiring_company_closed;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261121_000200_hiring_companies::Migration),
        Box::new(m20261121_000210_hiring_jobs::Migration),
        Box::new(m20261121_000220_hiring_applications::Migration),
        Box::new(m20261121_000230_hiring_fts_rowids::Migration),
        Box::new(m20261121_000240_hiring_job_search_index::Migration),
        Box::new(m20261204_000250_hiring_company_closed::Migration),
    ]
}
