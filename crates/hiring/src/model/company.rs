use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "companies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// Unique, `[a-z0-9-]`, 2–60 characters.
    pub slug: String,
    pub logo_url: Option<String>,
    pub website: Option<String>,
    /// 1-10 | 11-50 | 51-200 | 201-1000 | 1000+
    pub size: Option<String>,
    pub industry: Option<String>,
    pub location: Option<String>,
    pub about: Option<String>,
    /// Set only by platform admins.
    pub verified: bool,
    /// Set when the company lost its last owner with no admin to take over.
    pub closed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
