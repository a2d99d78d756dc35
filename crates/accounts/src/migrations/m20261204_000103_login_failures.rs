//! Failed sign-ins counted per account and client network (`login_failures`), so a lock holds
//! only for the network the guesses came from (see `service::lockout`). The old per-account
//! columns on `users` stay (unused) so that this migration rolls back cleanly.
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
enum LoginFailures {
    Table,
    UserId,
    Network,
    Failures,
    WindowStart,
    LockedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LoginFailures::Table)
                .col(uuid(LoginFailures::UserId))
                .col(string_len(LoginFailures::Network, 64))
                .col(integer(LoginFailures::Failures))
                .col(timestamp_with_time_zone(LoginFailures::WindowStart))
                .col(timestamp_with_time_zone_null(LoginFailures::LockedUntil))
                .primary_key(
                    Index::create()
                        .col(LoginFailures::UserId)
                        .col(LoginFailures::Network),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(LoginFailures::Table, LoginFailures::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LoginFailures::Table).to_owned())
            .await
    }
}
