use sea_orm::entity::prelude::*;

/// One entry of an application's timeline.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "application_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub application_id: Uuid,
    pub actor_id: Option<Uuid>,
    /// applied | moved | rejected | withdrawn | note_added | scorecard_submitted
    pub kind: String,
    /// JSON object with the details (stage, reason, …).
    pub data: String,
    /// Shown to the candidate too (status changes).
    pub public: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
