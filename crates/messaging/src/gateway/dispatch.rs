//! The instance's one bus subscription for the gateway: routes events to local sockets. Chat
//! events, typing and notifications are delivered straight from memory, in bus order; what needs
//! the database or Redis (a presence change's audience, room counts, session re-checks) goes to a
//! second task, in order too, so a slow query never holds up messages.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;
use vertechie_accounts::service::cache::USER_CHANGED;
use vertechie_kernel::bus::Event;
use vertechie_kernel::{AppResult, AppState, UserId};

use super::registry::{CloseReason, ConnId, SessionCheckTarget};
use super::status::{member_count, user_refs};
use super::{Gateway, TOPIC_PRESENCE, TOPIC_ROOM_PRESENCE, TOPIC_TYPING, frames};
use crate::service::chat::{self, TOPIC_EVENT, TOPIC_MEMBERSHIP, UserRef};
use crate::service::notifications::TOPIC as TOPIC_NOTIFICATION;

/// Work waiting for the database or Redis, beyond which new work is dropped (with a warning).
const SLOW_QUEUE: usize = 10_000;

enum Slow {
    /// Tell the user's contacts connected here.
    Presence { user: Uuid, status: String },
    /// A user started or stopped watching a room (`joined`), or only the counts changed.
    RoomStats {
        room: Uuid,
        change: Option<(Uuid, Option<UserRef>, bool)>,
    },
    /// Re-check the sessions of the user's sockets.
    Recheck { user: Uuid },
}

pub(crate) fn spawn(state: AppState, gw: Gateway) {
    let events = state.bus.subscribe();
    let (slow_tx, slow_rx) = mpsc::channel(SLOW_QUEUE);
    tokio::spawn(slow_lane(state.clone(), gw.clone(), slow_rx));
    tokio::spawn(periodic_recheck(state.clone(), gw.clone()));
    tokio::spawn(route(gw, events, slow_tx));
}

fn uuid_at(v: &Value, key: &str) -> Option<Uuid> {
    v.get(key)?.as_str().and_then(|s| Uuid::parse_str(s).ok())
}

async fn route(gw: Gateway, mut events: broadcast::Receiver<Event>, slow: mpsc::Sender<Slow>) {
    let queue = |work: Slow| {
        if slow.try_send(work).is_err() {
            tracing::warn!("gateway: slow work queue full; dropping a presence or session update");
        }
    };
    loop {
        let event = match events.recv().await {
            Ok(e) => e,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(
                    missed = n,
                    "gateway fell behind the event bus; asking clients to resync"
                );
                metrics::counter!("ws_bus_lagged_total").increment(1);
                gw.registry().deliver_all(&frames::text(
                    &json!({"type": "resync", "reason": "lagged"}),
                ));
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => break,
        };
        let p = &event.payload;
        match event.topic.as_str() {
            TOPIC_EVENT => {
                if let (Some(room), Some(frame)) = (uuid_at(p, "room_id"), p.get("frame")) {
                    gw.registry().deliver_room(room, &frames::text(frame), None);
                }
            }
            TOPIC_MEMBERSHIP => {
                let (Some(room), Some(user), Some(member)) = (
                    uuid_at(p, "room_id"),
                    uuid_at(p, "user_id"),
                    p.get("member").and_then(Value::as_bool),
                ) else {
                    continue;
                };
                if gw.registry().set_membership(user, room, member)
                    && let Ok(presence) = gw.presence()
                {
                    presence.room_down(room, user);
                }
                if gw.registry().has_room(room) {
                    queue(Slow::RoomStats { room, change: None });
                }
            }
            TOPIC_TYPING => {
                if let (Some(room), Some(user)) = (uuid_at(p, "room_id"), p.get("user")) {
                    let typist = uuid_at(user, "id");
                    let frame = json!({
                        "type": "user_typing",
                        "room_id": room,
                        "user": user,
                        "is_typing": p.get("is_typing").and_then(Value::as_bool).unwrap_or(true),
                        "expires_in_ms": gw.limits().typing_expiry.as_millis() as u64,
                    });
                    gw.registry()
                        .deliver_room(room, &frames::text(&frame), typist);
                }
            }
            TOPIC_NOTIFICATION => {
                if let (Some(user), Some(n)) = (uuid_at(p, "user_id"), p.get("notification")) {
                    let frame = json!({"type": "notification", "notification": n});
                    gw.registry().deliver_users(&[user], &frames::text(&frame));
                }
            }
            TOPIC_PRESENCE => {
                if let (Some(user), Some(status)) = (
                    uuid_at(p, "user_id"),
                    p.get("status").and_then(Value::as_str),
                ) && gw.registry().has_users()
                {
                    queue(Slow::Presence {
                        user,
                        status: status.to_owned(),
                    });
                }
            }
            TOPIC_ROOM_PRESENCE => {
                if let (Some(room), Some(user), Some(joined)) = (
                    uuid_at(p, "room_id"),
                    uuid_at(p, "user_id"),
                    p.get("joined").and_then(Value::as_bool),
                ) && gw.registry().has_room(room)
                {
                    let profile = p
                        .get("user")
                        .and_then(|u| serde_json::from_value::<UserRef>(u.clone()).ok());
                    queue(Slow::RoomStats {
                        room,
                        change: Some((user, profile, joined)),
                    });
                }
            }
            USER_CHANGED => {
                if let Some(user) = uuid_at(p, "user_id")
                    && gw.registry().count_user(user) > 0
                {
                    queue(Slow::Recheck { user });
                }
            }
            _ => {}
        }
    }
}

async fn slow_lane(state: AppState, gw: Gateway, mut rx: mpsc::Receiver<Slow>) {
    while let Some(work) = rx.recv().await {
        let res = match work {
            Slow::Presence { user, status } => {
                presence_to_contacts(&state, &gw, user, &status).await
            }
            Slow::RoomStats { room, change } => room_stats(&state, &gw, room, change).await,
            Slow::Recheck { user } => {
                // The accounts listener may not have forgotten the cached session yet.
                state.sessions.forget_user(UserId(user));
                recheck(&state, &gw, gw.registry().sessions_of(user)).await;
                Ok(())
            }
        };
        if let Err(e) = res {
            tracing::warn!(error = %e, "gateway: a presence update failed");
        }
    }
}

async fn presence_to_contacts(
    state: &AppState,
    gw: &Gateway,
    user: Uuid,
    status: &str,
) -> AppResult<()> {
    let contacts = chat::contacts(state, user).await?;
    let here = gw.registry().local_users(&contacts);
    if !here.is_empty() {
        let frame = json!({"type": "presence", "user_id": user, "status": status});
        gw.registry().deliver_users(&here, &frames::text(&frame));
    }
    Ok(())
}

async fn room_stats(
    state: &AppState,
    gw: &Gateway,
    room: Uuid,
    change: Option<(Uuid, Option<UserRef>, bool)>,
) -> AppResult<()> {
    if let Some((user, profile, joined)) = change {
        let profile = match profile {
            Some(p) => Some(p),
            None => user_refs(state, &[user]).await?.pop(),
        };
        let kind = if joined { "user_joined" } else { "user_left" };
        let frame = json!({"type": kind, "room_id": room, "user_id": user, "user": profile});
        gw.registry()
            .deliver_room(room, &frames::text(&frame), None);
    }
    let online = gw.room_online(room).await?;
    let members = member_count(state, room).await?;
    let frame = json!({
        "type": "room_stats_updated",
        "room_id": room,
        "online_count": online.len(),
        "member_count": members,
    });
    gw.registry()
        .deliver_room(room, &frames::text(&frame), None);
    Ok(())
}

/// Checks each socket's session; closes those whose session ended (1008) and refreshes the
/// user (roles, name) of the others. A failure of the check itself (database down) closes
/// nothing.
async fn recheck(state: &AppState, gw: &Gateway, targets: Vec<SessionCheckTarget>) {
    for (id, user, session, shared) in targets {
        match state.sessions.check(state, UserId(user), session).await {
            Ok(status) => {
                if let Ok(mut u) = shared.write() {
                    u.roles = status.roles;
                    u.tier = status.tier;
                    u.username = status.username;
                    u.display_name = status.display_name;
                }
            }
            Err(e) if e.status.is_client_error() => close(gw, id, user),
            Err(e) => tracing::warn!(error = %e, "gateway: could not re-check a session"),
        }
    }
}

fn close(gw: &Gateway, id: ConnId, user: Uuid) {
    tracing::info!(user = %user, "closing a socket whose session ended");
    gw.registry().close(id, CloseReason::SESSION_ENDED);
}

/// Re-checks every socket's session every `session_recheck`, in case an
/// `accounts.user_changed` event was lost.
async fn periodic_recheck(state: AppState, gw: Gateway) {
    loop {
        let every = gw.limits().session_recheck.max(Duration::from_millis(100));
        tokio::time::sleep(every).await;
        recheck(&state, &gw, gw.registry().all_sessions()).await;
    }
}
