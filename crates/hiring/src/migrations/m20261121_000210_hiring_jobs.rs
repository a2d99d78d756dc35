//! Job postings (`job_postings`: `jobs` is the kernel's queue), saved jobs and the full-text index (FTS5 on SQLite, a `tsvector` column with a GIN
//! index on PostgreSQL; both kept in step by `service::search`).
use sea_orm::{ConnectionTrait, DatabaseBackend};
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
}

#[derive(DeriveIden)]
enum JobPostings {
    Table,
    Id,
    CompanyId,
    CreatedBy,
    Title,
    Description,
    Requirements,
    Skills,
    SkillKeys,
    Location,
    Remote,
    EmploymentType,
    ExperienceLevel,
    SalaryMin,
    SalaryMax,
    Currency,
    ScreeningQuestions,
    Status,
    ClosesAt,
    PublishedAt,
    LastPipelineActivityAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SavedJobs {
    Table,
    Id,
    UserId,
    JobId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(JobPostings::Table)
                .col(uuid(JobPostings::Id).primary_key())
                .col(uuid(JobPostings::CompanyId))
                .col(uuid_null(JobPostings::CreatedBy))
                .col(string_len(JobPostings::Title, 200))
                .col(text(JobPostings::Description))
                .col(text_null(JobPostings::Requirements))
                .col(text(JobPostings::Skills))
                .col(text(JobPostings::SkillKeys))
                .col(string_len_null(JobPostings::Location, 120))
                .col(string_len(JobPostings::Remote, 16))
                .col(string_len(JobPostings::EmploymentType, 16))
                .col(string_len_null(JobPostings::ExperienceLevel, 16))
                .col(big_integer_null(JobPostings::SalaryMin))
                .col(big_integer_null(JobPostings::SalaryMax))
                .col(string_len_null(JobPostings::Currency, 3))
                .col(text(JobPostings::ScreeningQuestions))
                .col(string_len(JobPostings::Status, 16))
                .col(timestamp_with_time_zone_null(JobPostings::ClosesAt))
                .col(timestamp_with_time_zone_null(JobPostings::PublishedAt))
                .col(timestamp_with_time_zone(
                    JobPostings::LastPipelineActivityAt,
                ))
                .col(timestamp_with_time_zone(JobPostings::CreatedAt))
                .col(timestamp_with_time_zone(JobPostings::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(JobPostings::Table, JobPostings::CompanyId)
                        .to(Companies::Table, Companies::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(JobPostings::Table, JobPostings::CreatedBy)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_job_postings_company")
                .table(JobPostings::Table)
                .col(JobPostings::CompanyId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_job_postings_status_published")
                .table(JobPostings::Table)
                .col(JobPostings::Status)
                .col(JobPostings::PublishedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_job_postings_status_activity")
                .table(JobPostings::Table)
                .col(JobPostings::Status)
                .col(JobPostings::LastPipelineActivityAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SavedJobs::Table)
                .col(uuid(SavedJobs::Id).primary_key())
                .col(uuid(SavedJobs::UserId))
                .col(uuid(SavedJobs::JobId))
                .col(timestamp_with_time_zone(SavedJobs::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(SavedJobs::Table, SavedJobs::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SavedJobs::Table, SavedJobs::JobId)
                        .to(JobPostings::Table, JobPostings::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_saved_jobs_user_job")
                .table(SavedJobs::Table)
                .col(SavedJobs::UserId)
                .col(SavedJobs::JobId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_saved_jobs_job")
                .table(SavedJobs::Table)
                .col(SavedJobs::JobId)
                .to_owned(),
        )
        .await?;

        let db = m.get_connection();
        match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared("ALTER TABLE job_postings ADD COLUMN search_tsv tsvector")
                    .await?;
                db.execute_unprepared(
                    "CREATE INDEX idx_job_postings_search_tsv ON job_postings USING GIN (search_tsv)",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE job_postings_fts USING fts5(job_id UNINDEXED, title, body, skills, \
                     tokenize = 'unicode61 remove_diacritics 2')",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            m.get_connection()
                .execute_unprepared("DROP TABLE IF EXISTS job_postings_fts")
                .await?;
        }
        m.drop_table(Table::drop().table(SavedJobs::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(JobPostings::Table).to_owned())
            .await
    }
}
