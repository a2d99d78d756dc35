use sea_orm::entity::prelude::*;

/// A chat room: public, private or direct (two users); per-object rooms carry the object.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_rooms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// public | private | direct
    pub kind: String,
    /// `None` for direct rooms.
    pub name: Option<String>,
    pub topic: Option<String>,
    pub created_by: Option<Uuid>,
    /// `"<smaller uuid>:<larger uuid>"` of the two users of a direct room (unique).
    pub direct_key: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<Uuid>,
    pub last_message_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
