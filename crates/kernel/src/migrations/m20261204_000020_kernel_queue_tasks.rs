//! The background queue's table was called `jobs`, a word the product uses for job postings:
//! it becomes `queue_tasks` (rows, indexes and their meaning unchanged).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("ALTER TABLE jobs RENAME TO queue_tasks")
            .await
            .map(|_| ())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("ALTER TABLE queue_tasks RENAME TO jobs")
            .await
            .map(|_| ())
    }
}
