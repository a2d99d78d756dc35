//! Notifications and per-kind delivery preferences.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    Link,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NotificationPreferences {
    Table,
    UserId,
    Kind,
    Channel,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .col(uuid(Notifications::Id).primary_key())
                .col(uuid(Notifications::UserId))
                .col(string_len(Notifications::Kind, 50))
                .col(string_len(Notifications::Title, 200))
                .col(text(Notifications::Body))
                .col(string_len_null(Notifications::Link, 500))
                .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                .col(timestamp_with_time_zone(Notifications::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Notifications::Table, Notifications::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notifications_user_id")
                .table(Notifications::Table)
                .col(Notifications::UserId)
                .col(Notifications::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(NotificationPreferences::Table)
                .col(uuid(NotificationPreferences::UserId))
                .col(string_len(NotificationPreferences::Kind, 50))
                .col(string_len(NotificationPreferences::Channel, 8))
                .col(timestamp_with_time_zone(NotificationPreferences::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(NotificationPreferences::UserId)
                        .col(NotificationPreferences::Kind),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            NotificationPreferences::Table,
                            NotificationPreferences::UserId,
                        )
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(NotificationPreferences::Table)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await
    }
}
