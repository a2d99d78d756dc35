use sea_orm::entity::prelude::*;

/// An uploaded file. The bytes are in the object store under `storage_key`; the row is written
/// only once they are, so a row always has its object.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The uploader (no foreign key: the kernel knows no users table).
    pub owner_id: Uuid,
    /// The original file name, sanitised (≤ 200 characters).
    pub name: String,
    /// From the magic bytes, never from the client.
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub storage_key: String,
    pub created_at: DateTimeUtc,
    /// When the clean-up found the file in use; it never sweeps such a file.
    pub in_use_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
