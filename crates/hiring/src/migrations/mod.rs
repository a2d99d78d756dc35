//! Hiring tables. Never edit a landed migration; add a new file.

use sea_orm_migration::MigrationTrait;

mod m20261121_000200_hiring_companies;
mod m20261121_000210_hiring_jobs;
mod m20261121_000220_hiring_applications;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261121_000200_hiring_companies::Migration),
        Box::new(m20261121_000210_hiring_jobs::Migration),
        Box::new(m20261121_000220_hiring_applications::Migration),
    ]
}
