//! Applications and the ATS pipeline: per-job stages, applications (one per user and job), their
//! timeline, notes and scorecards; `job_postings.stuck_after_days` (default 7).
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
enum JobPostings {
    Table,
    Id,
    StuckAfterDays,
}

#[derive(DeriveIden)]
enum JobStages {
    Table,
    Id,
    JobId,
    Name,
    Position,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    Id,
    JobId,
    UserId,
    StageId,
    Status,
    RejectReason,
    RejectNote,
    Answers,
    CoverLetter,
    ResumeText,
    MatchScore,
    MatchExplanation,
    StageChangedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ApplicationEvents {
    Table,
    Id,
    ApplicationId,
    ActorId,
    Kind,
    Data,
    Public,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApplicationNotes {
    Table,
    Id,
    ApplicationId,
    AuthorId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Scorecards {
    Table,
    Id,
    ApplicationId,
    InterviewerId,
    Ratings,
    Recommendation,
    Notes,
    CreatedAt,
}

fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    action: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(action)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(JobPostings::Table)
                .add_column(integer(JobPostings::StuckAfterDays).default(7))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(JobStages::Table)
                .col(uuid(JobStages::Id).primary_key())
                .col(uuid(JobStages::JobId))
                .col(string_len(JobStages::Name, 60))
                .col(integer(JobStages::Position))
                .col(timestamp_with_time_zone(JobStages::CreatedAt))
                .foreign_key(&mut fk(
                    (JobStages::Table, JobStages::JobId),
                    (JobPostings::Table, JobPostings::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_job_stages_job_name")
                .table(JobStages::Table)
                .col(JobStages::JobId)
                .col(JobStages::Name)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Applications::Table)
                .col(uuid(Applications::Id).primary_key())
                .col(uuid(Applications::JobId))
                .col(uuid(Applications::UserId))
                .col(uuid(Applications::StageId))
                .col(string_len(Applications::Status, 16))
                .col(string_len_null(Applications::RejectReason, 32))
                .col(text_null(Applications::RejectNote))
                .col(text(Applications::Answers))
                .col(text_null(Applications::CoverLetter))
                .col(text_null(Applications::ResumeText))
                .col(integer(Applications::MatchScore))
                .col(text(Applications::MatchExplanation))
                .col(timestamp_with_time_zone(Applications::StageChangedAt))
                .col(timestamp_with_time_zone(Applications::CreatedAt))
                .col(timestamp_with_time_zone(Applications::UpdatedAt))
                .foreign_key(&mut fk(
                    (Applications::Table, Applications::JobId),
                    (JobPostings::Table, JobPostings::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (Applications::Table, Applications::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (Applications::Table, Applications::StageId),
                    (JobStages::Table, JobStages::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_applications_job_user")
                .table(Applications::Table)
                .col(Applications::JobId)
                .col(Applications::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_applications_user")
                .table(Applications::Table)
                .col(Applications::UserId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_applications_stage")
                .table(Applications::Table)
                .col(Applications::StageId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApplicationEvents::Table)
                .col(uuid(ApplicationEvents::Id).primary_key())
                .col(uuid(ApplicationEvents::ApplicationId))
                .col(uuid_null(ApplicationEvents::ActorId))
                .col(string_len(ApplicationEvents::Kind, 32))
                .col(text(ApplicationEvents::Data))
                .col(boolean(ApplicationEvents::Public))
                .col(timestamp_with_time_zone(ApplicationEvents::CreatedAt))
                .foreign_key(&mut fk(
                    (ApplicationEvents::Table, ApplicationEvents::ApplicationId),
                    (Applications::Table, Applications::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (ApplicationEvents::Table, ApplicationEvents::ActorId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_application_events_application")
                .table(ApplicationEvents::Table)
                .col(ApplicationEvents::ApplicationId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApplicationNotes::Table)
                .col(uuid(ApplicationNotes::Id).primary_key())
                .col(uuid(ApplicationNotes::ApplicationId))
                .col(uuid_null(ApplicationNotes::AuthorId))
                .col(text(ApplicationNotes::Body))
                .col(timestamp_with_time_zone(ApplicationNotes::CreatedAt))
                .foreign_key(&mut fk(
                    (ApplicationNotes::Table, ApplicationNotes::ApplicationId),
                    (Applications::Table, Applications::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (ApplicationNotes::Table, ApplicationNotes::AuthorId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_application_notes_application")
                .table(ApplicationNotes::Table)
                .col(ApplicationNotes::ApplicationId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Scorecards::Table)
                .col(uuid(Scorecards::Id).primary_key())
                .col(uuid(Scorecards::ApplicationId))
                .col(uuid(Scorecards::InterviewerId))
                .col(text(Scorecards::Ratings))
                .col(string_len(Scorecards::Recommendation, 16))
                .col(text_null(Scorecards::Notes))
                .col(timestamp_with_time_zone(Scorecards::CreatedAt))
                .foreign_key(&mut fk(
                    (Scorecards::Table, Scorecards::ApplicationId),
                    (Applications::Table, Applications::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (Scorecards::Table, Scorecards::InterviewerId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_scorecards_application_interviewer")
                .table(Scorecards::Table)
                .col(Scorecards::ApplicationId)
                .col(Scorecards::InterviewerId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Scorecards::Table.into_iden(),
            ApplicationNotes::Table.into_iden(),
            ApplicationEvents::Table.into_iden(),
            Applications::Table.into_iden(),
            JobStages::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(JobPostings::Table)
                .drop_column(JobPostings::StuckAfterDays)
                .to_owned(),
        )
        .await
    }
}
