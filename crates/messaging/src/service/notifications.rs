//! Notifications: delivery of `notify.deliver` jobs (store, push on the bus, email per the
//! user's preference), the user's own list with unread count, read / read-all, and preferences.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use vertechie_accounts::people::{self, PersonBrief};
use vertechie_kernel::bus::Event;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::mail::Email;
use vertechie_kernel::notify::{Delivery, KIND_MAX, NOTIFY_JOB, valid_kind};
use vertechie_kernel::queue::TaskHandler;
use vertechie_kernel::{
    AppError, AppResult, AppState, CurrentUser, FieldError, PageQuery, Pagination,
};

use crate::model::{
    notification, notification_email as email, notification_preference as preference,
};

/// The bus topic of a stored notification.
pub const TOPIC: &str = "notification";
pub const CHANNELS: [&str; 4] = ["in_app", "email", "both", "none"];
pub const DEFAULT_CHANNEL: &str = "both";
pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 5000;
pub const LINK_MAX: usize = 500;
/// Kinds one user may set preferences for.
pub const PREFERENCES_MAX: usize = 100;
/// At most one notification e-mail per user in this window: the first notice is mailed at
/// once, later ones wait and go out together as one digest when the window ends.
pub const DIGEST_WINDOW_MINUTES: i64 = 10;
/// The job that mails a user's held notices.
pub const DIGEST_JOB: &str = "notify.digest";
/// Mailed notices are kept this long (the last one decides the window), then pruned.
const EMAIL_LOG_DAYS: i64 = 2;

/// A notification as its recipient sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub read: bool,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<&notification::Model> for NotificationView {
    fn from(n: &notification::Model) -> Self {
        Self {
            id: n.id,
            kind: n.kind.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            read: n.read_at.is_some(),
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

/// `?unread=&page=&limit=`
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread notifications when true.
    pub unread: Option<bool>,
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u64>,
}

/// A page of notifications, newest first, with the user's unread count.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
    pub pagination: Pagination,
    /// Unread notifications in total (whatever the filter).
    pub unread_count: u64,
}

/// `{kind: channel}`; channel is in_app | email | both | none. Kinds not listed use `both`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(transparent)]
pub struct Preferences(pub BTreeMap<String, String>);

/// The result of read-all.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadAll {
    /// Notifications that were unread and are now read.
    pub updated: u64,
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

pub async fn list(
    state: &AppState,
    user: &CurrentUser,
    q: NotificationQuery,
) -> AppResult<NotificationList> {
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    };
    let uid = user.id.as_uuid();
    let mine = notification::Entity::find().filter(notification::Column::UserId.eq(uid));
    let filtered = if q.unread == Some(true) {
        mine.clone().filter(notification::Column::ReadAt.is_null())
    } else {
        mine.clone()
    };
    let total = filtered.clone().count(&state.db).await?;
    let unread_count = mine
        .filter(notification::Column::ReadAt.is_null())
        .count(&state.db)
        .await?;
    let rows = filtered
        .order_by_desc(notification::Column::Id)
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    Ok(NotificationList {
        items: rows.iter().map(NotificationView::from).collect(),
        pagination: Pagination::new(total, &page),
        unread_count,
    })
}

/// Marks one of the user's notifications read (already read: unchanged). Others' → 404.
pub async fn mark_read(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> AppResult<NotificationView> {
    let txn = begin_write(&state.db).await?;
    let found = notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(user.id.as_uuid()))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("No such notification"))?;
    let model = if found.read_at.is_none() {
        let mut am: notification::ActiveModel = found.into();
        am.read_at = Set(Some(state.clock.now()));
        am.update(&txn).await?
    } else {
        found
    };
    txn.commit().await?;
    Ok(NotificationView::from(&model))
}

pub async fn mark_all_read(state: &AppState, user: &CurrentUser) -> AppResult<ReadAll> {
    let txn = begin_write(&state.db).await?;
    let res = notification::Entity::update_many()
        .col_expr(
            notification::Column::ReadAt,
            Expr::value(Some(state.clock.now())),
        )
        .filter(notification::Column::UserId.eq(user.id.as_uuid()))
        .filter(notification::Column::ReadAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(ReadAll {
        updated: res.rows_affected,
    })
}

pub async fn preferences(state: &AppState, user: &CurrentUser) -> AppResult<Preferences> {
    let rows = preference::Entity::find()
        .filter(preference::Column::UserId.eq(user.id.as_uuid()))
        .all(&state.db)
        .await?;
    Ok(Preferences(
        rows.into_iter().map(|p| (p.kind, p.channel)).collect(),
    ))
}

/// Replaces the user's preferences with `input` (kinds left out go back to `both`).
pub async fn set_preferences(
    state: &AppState,
    user: &CurrentUser,
    input: Preferences,
) -> AppResult<Preferences> {
    let mut errors = Vec::new();
    if input.0.len() > PREFERENCES_MAX {
        errors.push(FieldError::new(
            "body",
            format!("at most {PREFERENCES_MAX} kinds"),
        ));
    }
    for (kind, channel) in &input.0 {
        if !valid_kind(kind) {
            errors.push(FieldError::new(
                kind.clone(),
                format!("kinds are 1–{KIND_MAX} characters of a-z, 0-9, _ and ."),
            ));
        } else if !CHANNELS.contains(&channel.as_str()) {
            errors.push(FieldError::new(
                kind.clone(),
                "must be one of in_app, email, both, none",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let uid = user.id.as_uuid();
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    preference::Entity::delete_many()
        .filter(preference::Column::UserId.eq(uid))
        .exec(&txn)
        .await?;
    for (kind, channel) in &input.0 {
        preference::ActiveModel {
            user_id: Set(uid),
            kind: Set(kind.clone()),
            channel: Set(channel.clone()),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(input)
}

/// The channel `user_id` chose for `kind` (`both` when none was chosen).
pub async fn channel_for<C: sea_orm::ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    kind: &str,
) -> Result<String, sea_orm::DbErr> {
    Ok(preference::Entity::find_by_id((user_id, kind.to_owned()))
        .one(conn)
        .await?
        .map(|p| p.channel)
        .unwrap_or_else(|| DEFAULT_CHANNEL.to_owned()))
}

/// Delivers one notice: per the user's channel for its kind, stores it (in_app, both) and
/// publishes it on the bus (topic `notification`, after the commit), and queues an email
/// (email, both). `none` does nothing; so does a user that no longer exists. Running the same
/// delivery twice stores and mails once.
pub async fn deliver(state: &AppState, delivery: Delivery) -> anyhow::Result<()> {
    let Delivery { id, notice } = delivery;
    let uid = notice.user_id.as_uuid();
    let txn = begin_write(&state.db).await?;
    // Locked (PostgreSQL) so two deliveries to one user decide "mail now or hold" in turn.
    let Some(recipient) = people::lock(&txn, uid).await.map_err(cause)? else {
        tracing::info!(user_id = %uid, kind = %notice.kind, "notification for a user that no longer exists dropped");
        return Ok(());
    };
    if notification::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let channel = channel_for(&txn, uid, &notice.kind).await?;
    let in_app = matches!(channel.as_str(), "in_app" | "both");
    let by_email = matches!(channel.as_str(), "email" | "both");
    let now = state.clock.now();
    let link = notice.link.as_deref().map(|l| truncate(l, LINK_MAX));
    let stored = if in_app {
        Some(
            notification::ActiveModel {
                id: Set(id),
                user_id: Set(uid),
                kind: Set(truncate(&notice.kind, KIND_MAX)),
                title: Set(truncate(&notice.title, TITLE_MAX)),
                body: Set(truncate(&notice.body, BODY_MAX)),
                link: Set(link.clone()),
                read_at: Set(None),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?,
        )
    } else {
        None
    };
    if by_email && !recipient.deleted {
        let link = link.as_deref().map(|l| absolute_link(state, l));
        email_notice(
            state,
            &txn,
            &recipient,
            &notice.kind,
            &notice.title,
            &notice.body,
            link,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    if let Some(n) = stored {
        state.bus.publish(Event::new(
            TOPIC,
            serde_json::json!({
                "user_id": uid,
                "notification": NotificationView::from(&n),
            }),
        ));
    }
    Ok(())
}

/// The cause of a failed look-up, for a job's error log.
fn cause(mut e: AppError) -> anyhow::Error {
    e.source.take().unwrap_or_else(|| anyhow::anyhow!("{e}"))
}

fn absolute_link(state: &AppState, link: &str) -> String {
    if link.starts_with('/') {
        format!(
            "{}{}",
            state.config.public_base().trim_end_matches('/'),
            link
        )
    } else {
        link.to_owned()
    }
}

fn single_mail_text(body: &str, link: Option<&str>) -> String {
    match link {
        Some(url) => format!("{body}\n\n{url}"),
        None => body.to_owned(),
    }
}

/// Mails a notice now, or holds it for a digest when the user was mailed less than
/// [`DIGEST_WINDOW_MINUTES`] ago (or notices are already waiting). The first notice held in a
/// window queues the digest job for the end of the window. Runs in the delivery's transaction.
#[allow(clippy::too_many_arguments)]
async fn email_notice<C: ConnectionTrait>(
    state: &AppState,
    txn: &C,
    recipient: &PersonBrief,
    kind: &str,
    title: &str,
    body: &str,
    link: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let uid = recipient.id;
    let window = Duration::minutes(DIGEST_WINDOW_MINUTES);
    let last_sent: Option<DateTime<Utc>> = email::Entity::find()
        .filter(email::Column::UserId.eq(uid))
        .filter(email::Column::SentAt.is_not_null())
        .order_by_desc(email::Column::SentAt)
        .one(txn)
        .await?
        .and_then(|e| e.sent_at);
    let oldest_held = email::Entity::find()
        .filter(email::Column::UserId.eq(uid))
        .filter(email::Column::SentAt.is_null())
        .order_by_asc(email::Column::Id)
        .one(txn)
        .await?;
    let in_window = last_sent.is_some_and(|t| now < t + window);
    let mail_now = oldest_held.is_none() && !in_window;
    let title = truncate(title, TITLE_MAX);
    email::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(uid),
        kind: Set(truncate(kind, KIND_MAX)),
        title: Set(title.clone()),
        body: Set(truncate(body, BODY_MAX)),
        link: Set(link.clone()),
        created_at: Set(now),
        sent_at: Set(mail_now.then_some(now)),
    }
    .insert(txn)
    .await?;
    if mail_now {
        state
            .mailer
            .queue(
                txn,
                now,
                &Email {
                    to: recipient.email.clone(),
                    subject: title,
                    text: single_mail_text(body, link.as_deref()),
                    html: None,
                },
            )
            .await?;
        email::Entity::delete_many()
            .filter(email::Column::UserId.eq(uid))
            .filter(email::Column::SentAt.lt(now - Duration::days(EMAIL_LOG_DAYS)))
            .exec(txn)
            .await?;
        return Ok(());
    }
    // The first held notice schedules the digest. If notices have waited far past their
    // window (the digest job failed for good), schedule another rather than hold forever.
    let stuck = oldest_held
        .as_ref()
        .is_some_and(|o| o.created_at + window * 3 < now);
    if oldest_held.is_none() || stuck {
        let due = last_sent.map_or(now, |t| t + window).max(now);
        state
            .queue
            .enqueue_at(txn, now, due, DIGEST_JOB, json!({ "user_id": uid }))
            .await?;
    }
    Ok(())
}

/// The `notify.digest` job: mails everything held for the user as one message (a single held
/// notice goes out as its own mail), and marks it sent. Nothing held (already sent by an
/// earlier run) → nothing.
pub async fn send_digest(state: &AppState, user_id: Uuid) -> anyhow::Result<()> {
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let recipient = people::lock(&txn, user_id).await.map_err(cause)?;
    let held = email::Entity::find()
        .filter(email::Column::UserId.eq(user_id))
        .filter(email::Column::SentAt.is_null())
        .order_by_asc(email::Column::Id)
        .all(&txn)
        .await?;
    let Some(recipient) = recipient.filter(|u| !u.deleted) else {
        // Deleted (anonymised) accounts get no mail; drop what was held.
        email::Entity::delete_many()
            .filter(email::Column::UserId.eq(user_id))
            .filter(email::Column::SentAt.is_null())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        return Ok(());
    };
    if held.is_empty() {
        return Ok(());
    }
    let mail = if let [only] = held.as_slice() {
        Email {
            to: recipient.email.clone(),
            subject: only.title.clone(),
            text: single_mail_text(&only.body, only.link.as_deref()),
            html: None,
        }
    } else {
        Email {
            to: recipient.email.clone(),
            subject: format!("{} new notifications on VerTechie", held.len()),
            text: digest_text(state, &held),
            html: None,
        }
    };
    state.mailer.queue(&txn, now, &mail).await?;
    email::Entity::update_many()
        .col_expr(email::Column::SentAt, Expr::value(Some(now)))
        .filter(email::Column::Id.is_in(held.iter().map(|e| e.id)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

fn digest_text(state: &AppState, held: &[email::Model]) -> String {
    let mut text = format!(
        "You have {} new notifications since our last e-mail:\n",
        held.len()
    );
    for e in held {
        text.push_str(&format!("\n* {}\n", e.title));
        for line in e.body.lines().take(5) {
            text.push_str(&format!("  {line}\n"));
        }
        if let Some(link) = &e.link {
            text.push_str(&format!("  {link}\n"));
        }
    }
    text.push_str(&format!(
        "\nChoose what reaches you by e-mail: {}\n",
        absolute_link(state, "/settings/notifications")
    ));
    text
}

struct Deliver;

#[async_trait::async_trait]
impl TaskHandler for Deliver {
    async fn run(&self, state: &AppState, payload: serde_json::Value) -> anyhow::Result<()> {
        deliver(state, serde_json::from_value(payload)?).await
    }
}

struct Digest;

#[derive(Deserialize)]
struct DigestPayload {
    user_id: Uuid,
}

#[async_trait::async_trait]
impl TaskHandler for Digest {
    async fn run(&self, state: &AppState, payload: serde_json::Value) -> anyhow::Result<()> {
        let p: DigestPayload = serde_json::from_value(payload)?;
        send_digest(state, p.user_id).await
    }
}

/// The notification job handlers (`notify.deliver`, `notify.digest`), registered by the server.
pub fn task_handlers() -> Vec<(&'static str, Arc<dyn TaskHandler>)> {
    vec![
        (NOTIFY_JOB, Arc::new(Deliver)),
        (DIGEST_JOB, Arc::new(Digest)),
    ]
}
