use sea_orm::entity::prelude::*;

/// A message. Deleting keeps the row as a tombstone (`deleted_at`); readers never see its body.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_messages")]
pub struct Model {
    /// UUID v7: ordering by id is ordering by creation; the list cursor is the id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub room_id: Uuid,
    pub author_id: Option<Uuid>,
    pub body: String,
    pub reply_to: Option<Uuid>,
    /// JSON array of the mentioned members' user ids.
    pub mentions: String,
    pub is_edited: bool,
    pub edited_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
