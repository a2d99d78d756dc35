use sea_orm::entity::prelude::*;

/// A message to post later, to a room (`room_id`) or directly to a user (`recipient_id`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_scheduled_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub author_id: Uuid,
    pub room_id: Option<Uuid>,
    pub recipient_id: Option<Uuid>,
    pub body: String,
    pub reply_to: Option<Uuid>,
    pub send_at: DateTimeUtc,
    /// pending | sent | failed | cancelled
    pub status: String,
    /// The posted message, once sent.
    pub message_id: Option<Uuid>,
    /// Why delivery failed (e.g. the author left the room).
    pub error: Option<String>,
    /// JSON array of the ids of the files to attach, in order.
    pub attachments: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
