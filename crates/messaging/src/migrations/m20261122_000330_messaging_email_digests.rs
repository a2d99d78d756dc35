//! Notification e-mails: what was mailed when, and what waits for the next digest.
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
enum NotificationEmails {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    Link,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(NotificationEmails::Table)
                .col(uuid(NotificationEmails::Id).primary_key())
                .col(uuid(NotificationEmails::UserId))
                .col(string_len(NotificationEmails::Kind, 50))
                .col(string_len(NotificationEmails::Title, 200))
                .col(text(NotificationEmails::Body))
                .col(text_null(NotificationEmails::Link))
                .col(timestamp_with_time_zone(NotificationEmails::CreatedAt))
                .col(timestamp_with_time_zone_null(NotificationEmails::SentAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(NotificationEmails::Table, NotificationEmails::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_notification_emails_user")
                .table(NotificationEmails::Table)
                .col(NotificationEmails::UserId)
                .col(NotificationEmails::SentAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(NotificationEmails::Table).to_owned())
            .await
    }
}
