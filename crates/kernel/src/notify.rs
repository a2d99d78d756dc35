//! Durable notifications. Any domain calls [`notify`] inside the transaction of the change that
//! causes it: a `notify.deliver` job is enqueued, so the change and its notification commit (or
//! roll back) together. The messaging domain handles the job: it stores the notification, pushes
//! it on the event bus and queues an email, following the user's preference for the kind.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::id::UserId;
use crate::queue::Queue;

pub const NOTIFY_JOB: &str = "notify.deliver";
/// Kinds are `[a-z0-9_.]`, 1–50 characters (e.g. `hiring.application_received`).
pub const KIND_MAX: usize = 50;

/// What to tell whom.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Notice {
    pub user_id: UserId,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A path in the app (`/jobs/…`) or a full URL.
    #[serde(default)]
    pub link: Option<String>,
}

/// The `notify.deliver` job payload: the notice and the id its notification will have (so a job
/// that runs twice stores it once).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    #[serde(flatten)]
    pub notice: Notice,
}

/// True for a valid notification kind.
pub fn valid_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= KIND_MAX
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

/// Enqueues the delivery of `notice` in `conn` (pass the caller's transaction). Returns the id
/// the notification will have. An invalid kind is a programming error (`DbErr::Custom`).
pub async fn notify<C: ConnectionTrait>(
    jobs: &Queue,
    conn: &C,
    now: DateTime<Utc>,
    notice: Notice,
) -> Result<Uuid, DbErr> {
    if !valid_kind(&notice.kind) {
        return Err(DbErr::Custom(format!(
            "invalid notification kind {:?}",
            notice.kind
        )));
    }
    let id = Uuid::now_v7();
    let payload =
        serde_json::to_value(Delivery { id, notice }).map_err(|e| DbErr::Custom(e.to_string()))?;
    jobs.enqueue(conn, now, NOTIFY_JOB, payload).await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert!(valid_kind("hiring.application_received"));
        assert!(valid_kind("a1"));
        assert!(!valid_kind(""));
        assert!(!valid_kind("Hiring"));
        assert!(!valid_kind("a-b"));
        assert!(!valid_kind(&"a".repeat(51)));
    }

    #[test]
    fn delivery_payload_is_flat() {
        let d = Delivery {
            id: Uuid::nil(),
            notice: Notice {
                user_id: UserId(Uuid::nil()),
                kind: "k".into(),
                title: "t".into(),
                body: "b".into(),
                link: None,
            },
        };
        let v = serde_json::to_value(&d).unwrap_or_default();
        assert_eq!(v["kind"], "k");
        assert_eq!(v["user_id"], Uuid::nil().to_string());
        let back: Delivery = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, d);
    }
}
