//! Companies and their members.
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
enum Companies {
    Table,
    Id,
    Name,
    Slug,
    LogoUrl,
    Website,
    Size,
    Industry,
    Location,
    About,
    Verified,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CompanyMembers {
    Table,
    Id,
    CompanyId,
    UserId,
    Role,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Companies::Table)
                .col(uuid(Companies::Id).primary_key())
                .col(string_len(Companies::Name, 120))
                .col(string_len(Companies::Slug, 60))
                .col(string_len_null(Companies::LogoUrl, 500))
                .col(string_len_null(Companies::Website, 500))
                .col(string_len_null(Companies::Size, 16))
                .col(string_len_null(Companies::Industry, 100))
                .col(string_len_null(Companies::Location, 120))
                .col(text_null(Companies::About))
                .col(boolean(Companies::Verified))
                .col(timestamp_with_time_zone(Companies::CreatedAt))
                .col(timestamp_with_time_zone(Companies::UpdatedAt))
                .to_owned(),
        )
        .await?;
        // Index names contain the column so unique violations can be told apart on both databases.
        m.create_index(
            Index::create()
                .name("uq_companies_slug")
                .table(Companies::Table)
                .col(Companies::Slug)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_companies_name")
                .table(Companies::Table)
                .col(Companies::Name)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CompanyMembers::Table)
                .col(uuid(CompanyMembers::Id).primary_key())
                .col(uuid(CompanyMembers::CompanyId))
                .col(uuid(CompanyMembers::UserId))
                .col(string_len(CompanyMembers::Role, 16))
                .col(timestamp_with_time_zone(CompanyMembers::CreatedAt))
                .col(timestamp_with_time_zone(CompanyMembers::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CompanyMembers::Table, CompanyMembers::CompanyId)
                        .to(Companies::Table, Companies::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(CompanyMembers::Table, CompanyMembers::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_company_members_company_user")
                .table(CompanyMembers::Table)
                .col(CompanyMembers::CompanyId)
                .col(CompanyMembers::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_company_members_user")
                .table(CompanyMembers::Table)
                .col(CompanyMembers::UserId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CompanyMembers::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Companies::Table).to_owned())
            .await
    }
}
