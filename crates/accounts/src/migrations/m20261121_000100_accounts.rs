use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Username,
    PasswordHash,
    FullName,
    Bio,
    AvatarUrl,
    Phone,
    EducationLevel,
    ExperienceLevel,
    PreferredCareerTrack,
    LearningStyle,
    Interests,
    CareerGoals,
    CvText,
    Roles,
    Tier,
    IsActive,
    IsVerified,
    FailedLogins,
    FirstFailedAt,
    LockedUntil,
    LastLogin,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    UserAgent,
    Ip,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum EmailTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum UserSkills {
    Table,
    Id,
    UserId,
    NameKey,
    Name,
    Level,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserExperiences {
    Table,
    Id,
    UserId,
    Title,
    Company,
    Location,
    StartDate,
    EndDate,
    IsCurrent,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserEducation {
    Table,
    Id,
    UserId,
    School,
    Degree,
    FieldOfStudy,
    StartYear,
    EndYear,
    Grade,
    Description,
    CreatedAt,
    UpdatedAt,
}

fn fk_user<T: IntoIden + 'static>(table: T, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(uuid(Users::Id).primary_key())
                .col(string_len(Users::Email, 320))
                .col(string_len(Users::Username, 30))
                .col(string_len(Users::PasswordHash, 255))
                .col(string_len_null(Users::FullName, 100))
                .col(text_null(Users::Bio))
                .col(string_len_null(Users::AvatarUrl, 500))
                .col(string_len_null(Users::Phone, 32))
                .col(string_len_null(Users::EducationLevel, 50))
                .col(string_len_null(Users::ExperienceLevel, 16))
                .col(string_len_null(Users::PreferredCareerTrack, 100))
                .col(string_len_null(Users::LearningStyle, 50))
                .col(text(Users::Interests))
                .col(text_null(Users::CareerGoals))
                .col(text_null(Users::CvText))
                .col(string_len(Users::Roles, 255))
                .col(string_len(Users::Tier, 16))
                .col(boolean(Users::IsActive))
                .col(boolean(Users::IsVerified))
                .col(integer(Users::FailedLogins))
                .col(timestamp_with_time_zone_null(Users::FirstFailedAt))
                .col(timestamp_with_time_zone_null(Users::LockedUntil))
                .col(timestamp_with_time_zone_null(Users::LastLogin))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .col(timestamp_with_time_zone_null(Users::DeletedAt))
                .to_owned(),
        )
        .await?;
        // Index names contain the column so unique violations can be told apart on both databases.
        m.create_index(
            Index::create()
                .name("uq_users_email")
                .table(Users::Table)
                .col(Users::Email)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_users_username")
                .table(Users::Table)
                .col(Users::Username)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_users_created_at")
                .table(Users::Table)
                .col(Users::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(uuid(Sessions::Id).primary_key())
                .col(uuid(Sessions::UserId))
                .col(string_len_null(Sessions::UserAgent, 255))
                .col(string_len_null(Sessions::Ip, 64))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::LastUsedAt))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                .foreign_key(&mut fk_user(Sessions::Table, Sessions::UserId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sessions_user")
                .table(Sessions::Table)
                .col(Sessions::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(uuid(RefreshTokens::Id).primary_key())
                .col(uuid(RefreshTokens::SessionId))
                .col(string_len(RefreshTokens::TokenHash, 64))
                .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(RefreshTokens::Table, RefreshTokens::SessionId)
                        .to(Sessions::Table, Sessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_refresh_tokens_hash")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_refresh_tokens_session")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::SessionId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(EmailTokens::Table)
                .col(uuid(EmailTokens::Id).primary_key())
                .col(uuid(EmailTokens::UserId))
                .col(string_len(EmailTokens::Purpose, 32))
                .col(string_len(EmailTokens::TokenHash, 64))
                .col(timestamp_with_time_zone(EmailTokens::CreatedAt))
                .col(timestamp_with_time_zone(EmailTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(EmailTokens::UsedAt))
                .foreign_key(&mut fk_user(EmailTokens::Table, EmailTokens::UserId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_email_tokens_hash")
                .table(EmailTokens::Table)
                .col(EmailTokens::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_email_tokens_user")
                .table(EmailTokens::Table)
                .col(EmailTokens::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(UserSkills::Table)
                .col(uuid(UserSkills::Id).primary_key())
                .col(uuid(UserSkills::UserId))
                .col(string_len(UserSkills::NameKey, 50))
                .col(string_len(UserSkills::Name, 50))
                .col(integer(UserSkills::Level))
                .col(timestamp_with_time_zone(UserSkills::CreatedAt))
                .foreign_key(&mut fk_user(UserSkills::Table, UserSkills::UserId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_user_skills_user_name")
                .table(UserSkills::Table)
                .col(UserSkills::UserId)
                .col(UserSkills::NameKey)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(UserExperiences::Table)
                .col(uuid(UserExperiences::Id).primary_key())
                .col(uuid(UserExperiences::UserId))
                .col(string_len(UserExperiences::Title, 120))
                .col(string_len(UserExperiences::Company, 120))
                .col(string_len_null(UserExperiences::Location, 120))
                .col(date(UserExperiences::StartDate))
                .col(date_null(UserExperiences::EndDate))
                .col(boolean(UserExperiences::IsCurrent))
                .col(text_null(UserExperiences::Description))
                .col(timestamp_with_time_zone(UserExperiences::CreatedAt))
                .col(timestamp_with_time_zone(UserExperiences::UpdatedAt))
                .foreign_key(&mut fk_user(
                    UserExperiences::Table,
                    UserExperiences::UserId,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_user_experiences_user")
                .table(UserExperiences::Table)
                .col(UserExperiences::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(UserEducation::Table)
                .col(uuid(UserEducation::Id).primary_key())
                .col(uuid(UserEducation::UserId))
                .col(string_len(UserEducation::School, 150))
                .col(string_len_null(UserEducation::Degree, 120))
                .col(string_len_null(UserEducation::FieldOfStudy, 120))
                .col(integer_null(UserEducation::StartYear))
                .col(integer_null(UserEducation::EndYear))
                .col(string_len_null(UserEducation::Grade, 50))
                .col(text_null(UserEducation::Description))
                .col(timestamp_with_time_zone(UserEducation::CreatedAt))
                .col(timestamp_with_time_zone(UserEducation::UpdatedAt))
                .foreign_key(&mut fk_user(UserEducation::Table, UserEducation::UserId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_user_education_user")
                .table(UserEducation::Table)
                .col(UserEducation::UserId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            UserEducation::Table.into_iden(),
            UserExperiences::Table.into_iden(),
            UserSkills::Table.into_iden(),
            EmailTokens::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
