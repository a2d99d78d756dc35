//! `companies.closed_at`: set when a company loses its last owner and has no admin to take over
//! (the owner deleted their account); a closed company keeps its history but lists no jobs.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Companies {
    Table,
    ClosedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Companies::Table)
                .add_column(
                    ColumnDef::new(Companies::ClosedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Companies::Table)
                .drop_column(Companies::ClosedAt)
                .to_owned(),
        )
        .await
    }
}
