use sea_orm::entity::prelude::*;

/// A job posting. On PostgreSQL the table also has `search_tsv` (not mapped here), kept in step
/// by `service::search`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_postings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub created_by: Option<Uuid>,
    pub title: String,
    /// Markdown, stored as given.
    pub description: String,
    pub requirements: Option<String>,
    /// JSON array of `{name, weight, required}`.
    pub skills: String,
    /// Canonical skill keys as `|key|key|`, for the `skill` filter.
    pub skill_keys: String,
    pub location: Option<String>,
    /// onsite | hybrid | remote
    pub remote: String,
    /// full_time | part_time | contract | internship | temporary
    pub employment_type: String,
    /// fresher | junior | mid | senior
    pub experience_level: Option<String>,
    /// Minor units.
    pub salary_min: Option<i64>,
    pub salary_max: Option<i64>,
    pub currency: Option<String>,
    /// JSON array of screening questions.
    pub screening_questions: String,
    /// draft | open | closed
    pub status: String,
    pub closes_at: Option<DateTimeUtc>,
    /// When the job was first opened.
    pub published_at: Option<DateTimeUtc>,
    pub last_pipeline_activity_at: DateTimeUtc,
    /// Days in a non-terminal stage after which an application is listed as stuck (1–365).
    pub stuck_after_days: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
