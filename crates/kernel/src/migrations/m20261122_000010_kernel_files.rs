//! Uploaded files (`files`): metadata of the objects in the object store. No foreign key on
//! `owner_id`: the kernel knows no users table. Domains that attach files reference `files.id`.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    OwnerId,
    Name,
    ContentType,
    Size,
    Sha256,
    StorageKey,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Files::Table)
                .col(uuid(Files::Id).primary_key())
                .col(uuid(Files::OwnerId))
                .col(string_len(Files::Name, 200))
                .col(string_len(Files::ContentType, 100))
                .col(big_integer(Files::Size))
                .col(string_len(Files::Sha256, 64))
                .col(string_len(Files::StorageKey, 300))
                .col(timestamp_with_time_zone(Files::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_files_owner_id")
                .table(Files::Table)
                .col(Files::OwnerId)
                .col(Files::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Files::Table).to_owned())
            .await
    }
}
