//! The kernel's own tables. Domain crates add theirs; `server` composes them in dependency order.

use sea_orm_migration::MigrationTrait;

mod m20261121_000001_kernel_tables;
mod m20261122_000010_kernel_files;
mod m20261204_000020_kernel_queue_tasks;
mod m20261204_000030_kernel_files_in_use;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261121_000001_kernel_tables::Migration),
        Box::new(m20261122_000010_kernel_files::Migration),
        Box::new(m20261204_000020_kernel_queue_tasks::Migration),
        Box::new(m20261204_000030_kernel_files_in_use::Migration),
    ]
}
