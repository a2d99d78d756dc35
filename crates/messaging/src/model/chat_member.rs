use sea_orm::entity::prelude::*;

/// A user's membership of a room, with their role and read marker.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub room_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// owner | moderator | member
    pub role: String,
    pub joined_at: DateTimeUtc,
    /// The newest message the member has read (ids are UUID v7, so they order by time).
    pub last_read_message_id: Option<Uuid>,
    pub last_read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
