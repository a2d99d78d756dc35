use sea_orm::entity::prelude::*;

/// A notice the user asked to get by e-mail: sent at once (`sent_at` set when it was queued as
/// its own mail) or held for the next digest (`sent_at` null until the digest goes out).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_emails")]
pub struct Model {
    /// UUID v7: ordering by id is ordering by creation.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Absolute URL, if the notice had a link.
    pub link: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
