//! Messages sent later. A POST with `send_at` stores the message in `chat_scheduled_messages`
//! and queues a [`SCHEDULED_JOB`] due at that time, in one transaction. The job posts it
//! through the same path as an immediate message, after checking again that the author may
//! still post there — and that neither the author's nor a direct recipient's account was
//! deactivated or deleted meanwhile (if not, the item is marked `failed` with the reason in
//! `error`, nothing is sent). Cancelling and
//! delivering both flip `pending` with a conditional update, so only one of them happens.
//! Attachments are checked when the message is scheduled and again at delivery: if one of the
//! files was deleted meanwhile, the item fails rather than going out without it.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vertechie_accounts::people;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::queue::TaskHandler;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, FieldError, Page, PageQuery};

use super::access::{fail_on, live_user, membership, postable, reachable_user};
use super::direct::{announce_direct_room, ensure_direct, find_direct, not_yourself};
use super::messages::{announce_new, check_attachments, check_new_body, insert, send_message};
use super::{
    NewMessage, PostMessage, Posted, SCHEDULE_MAX_DAYS, ScheduledFilter, ScheduledQuery,
    ScheduledView, views,
};
use crate::model::{
    chat_message as message, chat_room as room, chat_scheduled_message as scheduled,
};

/// The job kind that posts one scheduled message.
pub const SCHEDULED_JOB: &str = "chat.send_scheduled";

const PENDING: &str = "pending";
const SENT: &str = "sent";
const FAILED: &str = "failed";
const CANCELLED: &str = "cancelled";

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    id: Uuid,
}

/// Where a scheduled message goes.
enum Target {
    Room(Uuid),
    Direct(Uuid),
}

fn check_send_at(errors: &mut Vec<FieldError>, send_at: DateTime<Utc>, now: DateTime<Utc>) {
    if send_at <= now {
        errors.push(FieldError::new("send_at", "must be in the future"));
    } else if send_at > now + Duration::days(SCHEDULE_MAX_DAYS) {
        errors.push(FieldError::new(
            "send_at",
            format!("must be at most {SCHEDULE_MAX_DAYS} days ahead"),
        ));
    }
}

fn attachments_of(r: &scheduled::Model) -> Vec<Uuid> {
    serde_json::from_str(&r.attachments).unwrap_or_default()
}

/// The files of messages still waiting to be sent, which the kernel's sweep of never-attached
/// uploads must keep: they are listed in JSON, not referenced by a foreign key.
pub struct ScheduledAttachments;

#[async_trait::async_trait]
impl vertechie_kernel::files::FileInUse for ScheduledAttachments {
    async fn in_use(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        ids: &[Uuid],
    ) -> AppResult<std::collections::HashSet<Uuid>> {
        let lists: Vec<String> = scheduled::Entity::find()
            .select_only()
            .column(scheduled::Column::Attachments)
            .filter(scheduled::Column::Status.eq(PENDING))
            .filter(scheduled::Column::Attachments.ne("[]"))
            .into_tuple()
            .all(txn)
            .await?;
        let pending: std::collections::HashSet<Uuid> = lists
            .iter()
            .flat_map(|l| serde_json::from_str::<Vec<Uuid>>(l).unwrap_or_default())
            .collect();
        Ok(ids
            .iter()
            .copied()
            .filter(|id| pending.contains(id))
            .collect())
    }
}

async fn view<C: ConnectionTrait>(
    conn: &C,
    rows: &[scheduled::Model],
) -> AppResult<Vec<ScheduledView>> {
    let users = views::users(conn, rows.iter().filter_map(|r| r.recipient_id)).await?;
    Ok(rows
        .iter()
        .map(|r| ScheduledView {
            id: r.id,
            room_id: r.room_id,
            recipient: r
                .recipient_id
                .and_then(|u| users.get(&u))
                .map(views::user_ref),
            body: r.body.clone(),
            reply_to: r.reply_to,
            attachments: attachments_of(r),
            send_at: r.send_at,
            status: r.status.clone(),
            message_id: r.message_id,
            error: r.error.clone(),
            created_at: r.created_at,
        })
        .collect())
}

async fn schedule(
    state: &AppState,
    me: &CurrentUser,
    target: Target,
    m: PostMessage,
    send_at: DateTime<Utc>,
) -> AppResult<ScheduledView> {
    let uid = me.id.as_uuid();
    let now = state.clock.now();
    let mut errors = Vec::new();
    let body = check_new_body(&mut errors, &m.body, !m.attachments.is_empty());
    check_send_at(&mut errors, send_at, now);
    let txn = begin_write(&state.db).await?;
    // The same checks as posting now, so a refusal comes at once, not at delivery.
    let (room_id, recipient_id, room) = match target {
        Target::Room(room_id) => {
            let access = postable(&txn, room_id, uid).await?;
            (Some(room_id), None, Some(access.room))
        }
        Target::Direct(to) => {
            not_yourself(uid, to)?;
            reachable_user(&txn, to).await?;
            (None, Some(to), find_direct(&txn, uid, to).await?)
        }
    };
    check_attachments(&txn, &mut errors, uid, &m.attachments).await?;
    fail_on(errors)?;
    if let Some(parent) = m.reply_to {
        let ok = match &room {
            Some(room) => message::Entity::find_by_id(parent)
                .one(&txn)
                .await?
                .is_some_and(|p| p.room_id == room.id),
            None => false,
        };
        if !ok {
            return Err(AppError::field(
                "reply_to",
                "must be a message of this room",
            ));
        }
    }
    let row = scheduled::ActiveModel {
        id: Set(Uuid::now_v7()),
        author_id: Set(uid),
        room_id: Set(room_id),
        recipient_id: Set(recipient_id),
        body: Set(body),
        reply_to: Set(m.reply_to),
        send_at: Set(send_at),
        status: Set(PENDING.to_owned()),
        message_id: Set(None),
        error: Set(None),
        attachments: Set(serde_json::json!(m.attachments).to_string()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    state
        .queue
        .enqueue_at(
            &txn,
            now,
            send_at,
            SCHEDULED_JOB,
            serde_json::to_value(Payload { id: row.id }).map_err(AppError::internal)?,
        )
        .await?;
    txn.commit().await?;
    view(&state.db, std::slice::from_ref(&row))
        .await?
        .pop()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no scheduled view")))
}

/// Posts to a room now, or schedules the message when `send_at` is given.
pub async fn post_message(
    state: &AppState,
    me: &CurrentUser,
    room_id: Uuid,
    m: PostMessage,
) -> AppResult<Posted> {
    match m.send_at {
        Some(at) => Ok(Posted::Later(Box::new(
            schedule(state, me, Target::Room(room_id), m, at).await?,
        ))),
        None => Ok(Posted::Now(Box::new(
            send_message(
                state,
                me,
                room_id,
                NewMessage {
                    body: m.body,
                    reply_to: m.reply_to,
                    attachments: m.attachments,
                },
            )
            .await?,
        ))),
    }
}

/// Sends a direct message now, or schedules it when `send_at` is given.
pub async fn post_direct(
    state: &AppState,
    me: &CurrentUser,
    to: Uuid,
    m: PostMessage,
) -> AppResult<Posted> {
    match m.send_at {
        Some(at) => Ok(Posted::Later(Box::new(
            schedule(state, me, Target::Direct(to), m, at).await?,
        ))),
        None => Ok(Posted::Now(Box::new(
            super::direct::send_direct(
                state,
                me,
                to,
                NewMessage {
                    body: m.body,
                    reply_to: m.reply_to,
                    attachments: m.attachments,
                },
            )
            .await?,
        ))),
    }
}

/// The user's messages waiting to be sent (soonest first), or those that could not be sent
/// (most recent first, with the reason).
pub async fn list_scheduled(
    state: &AppState,
    me: &CurrentUser,
    q: ScheduledQuery,
) -> AppResult<Page<ScheduledView>> {
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    };
    let status = q.status.unwrap_or_default();
    let find = scheduled::Entity::find()
        .filter(scheduled::Column::AuthorId.eq(me.id.as_uuid()))
        .filter(scheduled::Column::Status.eq(match status {
            ScheduledFilter::Pending => PENDING,
            ScheduledFilter::Failed => FAILED,
        }));
    let total = find.clone().count(&state.db).await?;
    let ordered = match status {
        ScheduledFilter::Pending => find
            .order_by_asc(scheduled::Column::SendAt)
            .order_by_asc(scheduled::Column::Id),
        ScheduledFilter::Failed => find
            .order_by_desc(scheduled::Column::UpdatedAt)
            .order_by_desc(scheduled::Column::Id),
    };
    let rows = ordered
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    Ok(Page::new(view(&state.db, &rows).await?, total, &page))
}

/// Cancels one of the user's pending messages. Others' are 404; one already sent, failed or
/// cancelled is 409 `NOT_PENDING`.
pub async fn cancel_scheduled(state: &AppState, me: &CurrentUser, id: Uuid) -> AppResult<()> {
    let uid = me.id.as_uuid();
    let txn = begin_write(&state.db).await?;
    let res = scheduled::Entity::update_many()
        .col_expr(scheduled::Column::Status, Expr::value(CANCELLED))
        .col_expr(scheduled::Column::UpdatedAt, Expr::value(state.clock.now()))
        .filter(scheduled::Column::Id.eq(id))
        .filter(scheduled::Column::AuthorId.eq(uid))
        .filter(scheduled::Column::Status.eq(PENDING))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        let mine = scheduled::Entity::find_by_id(id)
            .filter(scheduled::Column::AuthorId.eq(uid))
            .one(&txn)
            .await?;
        return Err(match mine {
            Some(_) => {
                AppError::conflict("NOT_PENDING", "This message was already sent or cancelled")
            }
            None => AppError::not_found("No such scheduled message"),
        });
    }
    txn.commit().await?;
    Ok(())
}

/// Delivers one scheduled message (the job). Anything but `pending` is left alone, so a job
/// that runs twice posts once.
pub async fn deliver(state: &AppState, id: Uuid) -> AppResult<()> {
    let txn = begin_write(&state.db).await?;
    let now = state.clock.now();
    let claimed = scheduled::Entity::update_many()
        .col_expr(scheduled::Column::Status, Expr::value(SENT))
        .col_expr(scheduled::Column::UpdatedAt, Expr::value(now))
        .filter(scheduled::Column::Id.eq(id))
        .filter(scheduled::Column::Status.eq(PENDING))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(());
    }
    let Some(item) = scheduled::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(());
    };
    let attachments = attachments_of(&item);
    let owned = vertechie_kernel::files::owned_by(&txn, item.author_id, &attachments).await?;
    // Checked before the room is looked up, so a failure makes no direct conversation either.
    let outcome = if attachments.iter().any(|f| !owned.contains(f)) {
        Err("an attached file was deleted")
    } else {
        target_room(state, &txn, &item).await?
    };
    let (room, created) = match outcome {
        Ok(found) => found,
        Err(reason) => {
            let mut am: scheduled::ActiveModel = item.into();
            am.status = Set(FAILED.to_owned());
            am.error = Set(Some(reason.to_owned()));
            am.update(&txn).await?;
            txn.commit().await?;
            return Ok(());
        }
    };
    // A reply whose target is gone is posted as a plain message.
    let reply_to = match item.reply_to {
        Some(parent) => message::Entity::find_by_id(parent)
            .one(&txn)
            .await?
            .filter(|p| p.room_id == room.id)
            .map(|p| p.id),
        None => None,
    };
    let author = views::user_ref(&live_user(&txn, item.author_id).await?);
    let row = insert(
        state,
        &txn,
        &room,
        &author,
        item.body.clone(),
        reply_to,
        &attachments,
    )
    .await?;
    let mut am: scheduled::ActiveModel = item.into();
    am.message_id = Set(Some(row.id));
    am.update(&txn).await?;
    txn.commit().await?;
    if created {
        announce_direct_room(state, &room);
    }
    let view = views::message(state, &state.db, &row).await?;
    announce_new(state, &room, &view);
    Ok(())
}

/// The room to post in, or why the message cannot be sent any more.
async fn target_room<C: ConnectionTrait>(
    state: &AppState,
    txn: &C,
    item: &scheduled::Model,
) -> AppResult<Result<(room::Model, bool), &'static str>> {
    match people::brief(txn, item.author_id).await? {
        Some(author) if author.active => {}
        Some(author) if !author.deleted => {
            return Ok(Err("the author's account is deactivated"));
        }
        _ => return Ok(Err("the author's account is gone")),
    }
    if let Some(room_id) = item.room_id {
        let Some(room) = room::Entity::find_by_id(room_id).one(txn).await? else {
            return Ok(Err("the room is gone"));
        };
        if membership(txn, room_id, item.author_id).await?.is_none() {
            return Ok(Err("you are no longer a member of this room"));
        }
        return Ok(Ok((room, false)));
    }
    let Some(to) = item.recipient_id else {
        return Ok(Err("no room or recipient"));
    };
    match people::brief(txn, to).await? {
        Some(recipient) if recipient.active => {}
        Some(recipient) if !recipient.deleted => {
            return Ok(Err("the recipient's account is deactivated"));
        }
        _ => return Ok(Err("the recipient's account is gone")),
    }
    Ok(Ok(ensure_direct(state, txn, item.author_id, to).await?))
}

struct DeliverScheduled;

#[async_trait::async_trait]
impl TaskHandler for DeliverScheduled {
    async fn run(&self, state: &AppState, payload: serde_json::Value) -> anyhow::Result<()> {
        let p: Payload = serde_json::from_value(payload)?;
        deliver(state, p.id)
            .await
            .map_err(|mut e| e.source.take().unwrap_or_else(|| anyhow::anyhow!("{e}")))
    }
}

/// The chat job handlers ([`SCHEDULED_JOB`]), registered by the server.
pub fn task_handlers() -> Vec<(&'static str, Arc<dyn TaskHandler>)> {
    vec![(SCHEDULED_JOB, Arc::new(DeliverScheduled))]
}
