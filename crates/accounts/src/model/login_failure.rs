use sea_orm::entity::prelude::*;

/// Recent failed sign-ins of one account from one client network (`service::lockout`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_failures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// `203.0.113.0/24`, `2001:db8:1:2::/64` or `unknown`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub network: String,
    /// Failures since `window_start` (0 right after a lock).
    pub failures: i32,
    pub window_start: DateTimeUtc,
    /// Sign-ins from this network are refused until then.
    pub locked_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
