//! The people API: how the other domains see accounts (DESIGN §2). They never read the users
//! table; they ask here for a [`PersonBrief`] — who someone is, how they are shown, and whether
//! they may take part (active, email verified) — by id, email or username.
//!
//! How a person is shown is decided once, in [`display_name`]: the full name, or the username
//! when it is blank; a deleted (anonymised) account is [`DELETED_NAME`]. The rules other
//! domains apply to people are here too: [`PersonBrief::require_active`] (403
//! `USER_INACTIVE`: a deactivated account is not messaged, invited or added) and
//! [`PersonBrief::require_verified_email`] (403 `EMAIL_NOT_VERIFIED`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Select,
};
use uuid::Uuid;
use vertechie_kernel::{AppError, AppResult, UserId};

use crate::model::user;

/// How a deleted account is shown.
pub const DELETED_NAME: &str = "Deleted user";

/// A person as other domains see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonBrief {
    pub id: Uuid,
    pub username: String,
    /// The name to show them by ([`display_name`]; [`DELETED_NAME`] once deleted).
    pub display_name: String,
    /// The full name, trimmed; `None` when blank (and once deleted).
    pub full_name: Option<String>,
    pub avatar_url: Option<String>,
    /// Where their mail goes. For sending mail only: never show it to other people.
    pub email: String,
    /// Neither deactivated by an admin nor deleted.
    pub active: bool,
    /// They confirmed their email address.
    pub email_verified: bool,
    /// The account was deleted (the row stays, anonymised, so references hold).
    pub deleted: bool,
}

impl PersonBrief {
    pub fn user_id(&self) -> UserId {
        UserId(self.id)
    }

    /// 403 `USER_INACTIVE` when the account is deactivated: such accounts are not messaged,
    /// invited to rooms or added to companies.
    pub fn require_active(&self) -> AppResult<&Self> {
        if self.active {
            Ok(self)
        } else {
            Err(AppError::forbidden(
                "USER_INACTIVE",
                format!("{} has a deactivated account", self.display_name),
            ))
        }
    }

    /// 403 `EMAIL_NOT_VERIFIED` until they confirmed their email address; `to` says what for
    /// ("create a company").
    pub fn require_verified_email(&self, to: &str) -> AppResult<&Self> {
        if self.email_verified {
            Ok(self)
        } else {
            Err(AppError::forbidden(
                "EMAIL_NOT_VERIFIED",
                format!(
                    "Confirm your email address to {to}: open the link we mailed you, \
                     or ask for a new one in your settings"
                ),
            ))
        }
    }
}

/// The one rule for showing a person: the full name (trimmed), or the username when it is
/// missing or blank.
pub fn display_name(full_name: Option<&str>, username: &str) -> String {
    match full_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.to_owned(),
        None => username.to_owned(),
    }
}

#[derive(Debug, FromQueryResult)]
struct Row {
    id: Uuid,
    username: String,
    full_name: Option<String>,
    avatar_url: Option<String>,
    email: String,
    is_active: bool,
    is_verified: bool,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<Row> for PersonBrief {
    fn from(r: Row) -> Self {
        let deleted = r.deleted_at.is_some();
        let full_name = r
            .full_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty() && !deleted)
            .map(str::to_owned);
        PersonBrief {
            id: r.id,
            display_name: if deleted {
                DELETED_NAME.to_owned()
            } else {
                display_name(full_name.as_deref(), &r.username)
            },
            username: r.username,
            full_name,
            avatar_url: r.avatar_url.filter(|_| !deleted),
            email: r.email,
            active: r.is_active && !deleted,
            email_verified: r.is_verified,
            deleted,
        }
    }
}

/// Only the columns a brief needs (never the password hash or the CV).
fn select() -> Select<user::Entity> {
    user::Entity::find().select_only().columns([
        user::Column::Id,
        user::Column::Username,
        user::Column::FullName,
        user::Column::AvatarUrl,
        user::Column::Email,
        user::Column::IsActive,
        user::Column::IsVerified,
        user::Column::DeletedAt,
    ])
}

async fn one<C: ConnectionTrait>(
    conn: &C,
    q: Select<user::Entity>,
) -> AppResult<Option<PersonBrief>> {
    Ok(q.into_model::<Row>()
        .one(conn)
        .await?
        .map(PersonBrief::from))
}

/// The person with this id, deleted ones included (shown as [`DELETED_NAME`]).
pub async fn brief<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Option<PersonBrief>> {
    one(conn, select().filter(user::Column::Id.eq(id))).await
}

/// The people with these ids (deleted ones included; unknown ids left out), by id.
pub async fn briefs<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, PersonBrief>> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::with_capacity(ids.len());
    // Bounded statements: PostgreSQL takes at most 65,535 bound values.
    for chunk in ids.chunks(1000) {
        let rows = select()
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .into_model::<Row>()
            .all(conn)
            .await?;
        out.extend(rows.into_iter().map(|r| (r.id, PersonBrief::from(r))));
    }
    Ok(out)
}

/// The person with this id unless unknown or deleted: 404 `NOT_FOUND` then.
pub async fn live<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<PersonBrief> {
    brief(conn, id)
        .await?
        .filter(|p| !p.deleted)
        .ok_or_else(|| AppError::not_found("User not found"))
}

/// Like [`brief`], holding the row locked (`FOR UPDATE` on PostgreSQL) until the transaction
/// `conn` ends: for work that must happen one at a time per person.
pub async fn lock<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<Option<PersonBrief>> {
    one(
        conn,
        select().filter(user::Column::Id.eq(id)).lock_exclusive(),
    )
    .await
}

/// The live person with this email address (compared trimmed and lower-cased).
pub async fn find_by_email<C: ConnectionTrait>(
    conn: &C,
    email: &str,
) -> AppResult<Option<PersonBrief>> {
    one(
        conn,
        select()
            .filter(user::Column::Email.eq(email.trim().to_lowercase()))
            .filter(user::Column::DeletedAt.is_null()),
    )
    .await
}

/// The live person with this username (compared trimmed and lower-cased, without `@`).
pub async fn find_by_username<C: ConnectionTrait>(
    conn: &C,
    username: &str,
) -> AppResult<Option<PersonBrief>> {
    let name = username.trim().trim_start_matches('@').to_lowercase();
    one(
        conn,
        select()
            .filter(user::Column::Username.eq(name))
            .filter(user::Column::DeletedAt.is_null()),
    )
    .await
}

/// The live people with these usernames (lower-case, as stored), in no particular order.
pub async fn find_by_usernames<C: ConnectionTrait>(
    conn: &C,
    usernames: &[String],
) -> AppResult<Vec<PersonBrief>> {
    if usernames.is_empty() {
        return Ok(Vec::new());
    }
    Ok(select()
        .filter(user::Column::Username.is_in(usernames.iter().cloned()))
        .filter(user::Column::DeletedAt.is_null())
        .into_model::<Row>()
        .all(conn)
        .await?
        .into_iter()
        .map(PersonBrief::from)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(full_name: Option<&str>, deleted: bool) -> Row {
        Row {
            id: Uuid::now_v7(),
            username: "ada".into(),
            full_name: full_name.map(str::to_owned),
            avatar_url: Some("https://example.com/a.png".into()),
            email: "ada@example.com".into(),
            is_active: true,
            is_verified: true,
            deleted_at: deleted.then(Utc::now),
        }
    }

    #[test]
    fn one_rule_for_names() {
        assert_eq!(display_name(Some(" Ada Lovelace "), "ada"), "Ada Lovelace");
        assert_eq!(display_name(Some("   "), "ada"), "ada");
        assert_eq!(display_name(None, "ada"), "ada");
        let p = PersonBrief::from(row(Some("  "), false));
        assert_eq!((p.display_name.as_str(), p.full_name), ("ada", None));
        assert!(p.active && !p.deleted);
        let gone = PersonBrief::from(row(Some("Ada"), true));
        assert_eq!(gone.display_name, DELETED_NAME);
        assert_eq!((gone.full_name, gone.avatar_url), (None, None));
        assert!(!gone.active && gone.deleted);
    }

    #[test]
    fn rules_refuse_with_clear_codes() {
        let mut p = PersonBrief::from(row(Some("Ada"), false));
        assert!(p.require_active().is_ok() && p.require_verified_email("post jobs").is_ok());
        p.active = false;
        p.email_verified = false;
        assert_eq!(p.require_active().unwrap_err().code, "USER_INACTIVE");
        let e = p.require_verified_email("post jobs").unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (403, "EMAIL_NOT_VERIFIED"));
        assert!(e.message.contains("post jobs"));
    }
}
