//! `files.in_use_at`: when the clean-up of never-attached uploads found a file in use (a foreign
//! key or a module's check). Such a file is never swept; the index serves the sweep's search for
//! unchecked old uploads.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Files {
    Table,
    InUseAt,
    CreatedAt,
}

const INDEX: &str = "idx_files_in_use_at_created_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Files::Table)
                .add_column(timestamp_with_time_zone_null(Files::InUseAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(INDEX)
                .table(Files::Table)
                .col(Files::InUseAt)
                .col(Files::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(INDEX).table(Files::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Files::Table)
                .drop_column(Files::InUseAt)
                .to_owned(),
        )
        .await
    }
}
