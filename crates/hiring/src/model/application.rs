use sea_orm::entity::prelude::*;

/// A candidate's application to a job (one per user and job).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub job_id: Uuid,
    pub user_id: Uuid,
    pub stage_id: Uuid,
    /// active | rejected | withdrawn
    pub status: String,
    /// knockout | not_a_fit | experience | skills | location | salary | position_filled | other
    pub reject_reason: Option<String>,
    pub reject_note: Option<String>,
    /// JSON object `{question_id: value}`.
    pub answers: String,
    pub cover_letter: Option<String>,
    pub resume_text: Option<String>,
    /// 0–100, computed at apply time.
    pub match_score: i32,
    /// JSON `MatchResult`.
    pub match_explanation: String,
    pub stage_changed_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
