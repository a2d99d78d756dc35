use sea_orm::entity::prelude::*;

/// An interviewer's scorecard (one per interviewer and application).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scorecards")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub application_id: Uuid,
    pub interviewer_id: Uuid,
    /// JSON object `{criterion: 1–4}`.
    pub ratings: String,
    /// strong_no | no | yes | strong_yes
    pub recommendation: String,
    pub notes: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
