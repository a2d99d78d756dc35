use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    pub username: String,
    pub password_hash: String,
    pub full_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
    pub education_level: Option<String>,
    pub experience_level: Option<String>,
    pub preferred_career_track: Option<String>,
    pub learning_style: Option<String>,
    /// JSON array of strings.
    pub interests: String,
    pub career_goals: Option<String>,
    pub cv_text: Option<String>,
    /// JSON array of role names.
    pub roles: String,
    pub tier: String,
    pub is_active: bool,
    pub is_verified: bool,
    pub failed_logins: i32,
    pub first_failed_at: Option<DateTimeUtc>,
    pub locked_until: Option<DateTimeUtc>,
    pub last_login: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
