//! Presence as the REST API shows it (which of your contacts are online, who is watching a
//! room), and the look-ups the gateway needs for its frames (member counts, user names).

use std::collections::HashSet;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use vertechie_accounts::people;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, FieldError};

use super::gateway;
use crate::model::chat_member;
use crate::service::chat::{self, UserRef};

/// Users one presence request may ask about.
pub const PRESENCE_IDS_MAX: usize = 100;
/// Users listed by the room's online list at most (the count is always complete).
pub const ROOM_ONLINE_LIST_MAX: usize = 500;

/// Whether a user is connected anywhere.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct PresenceView {
    pub user_id: Uuid,
    /// online | offline
    pub status: String,
}

/// Who is watching a room live (has it open), and how many members it has.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoomOnline {
    pub room_id: Uuid,
    pub online_count: u64,
    pub member_count: u64,
    /// The online users (at most 500), ordered by id.
    pub users: Vec<UserRef>,
}

/// Parses `a,b,c` (1–100 distinct user ids, order kept).
pub fn parse_user_ids(raw: Option<&str>) -> AppResult<Vec<Uuid>> {
    let raw = raw.unwrap_or("").trim();
    if raw.is_empty() {
        return Err(AppError::field(
            "user_ids",
            "is required: comma-separated user ids",
        ));
    }
    let mut ids = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = Uuid::parse_str(part).map_err(|_| {
            AppError::validation(vec![FieldError::new(
                "user_ids",
                format!(
                    "`{}` is not a user id",
                    part.chars().take(40).collect::<String>()
                ),
            )])
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > PRESENCE_IDS_MAX {
        return Err(AppError::field("user_ids", "at most 100 ids"));
    }
    Ok(ids)
}

/// The online status of each of `ids`, in the order asked, as `me` may know it: only their
/// presence contacts (`chat::contacts`: people sharing a room of at most
/// `PRESENCE_ROOM_MAX` members, direct conversations included) and themselves are looked up;
/// everyone else — strangers, unknown ids — is reported `offline`, so the answer never tells
/// whether a stranger is connected.
pub async fn presence_of(
    state: &AppState,
    me: &CurrentUser,
    ids: &[Uuid],
) -> AppResult<Vec<PresenceView>> {
    let me = me.id.as_uuid();
    let contacts: HashSet<Uuid> = chat::contacts(state, me).await?.into_iter().collect();
    let asked: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| *id == me || contacts.contains(id))
        .collect();
    let online: HashSet<Uuid> = asked
        .iter()
        .zip(gateway(state)?.online(&asked).await?)
        .filter_map(|(id, on)| on.then_some(*id))
        .collect();
    Ok(ids
        .iter()
        .map(|id| PresenceView {
            user_id: *id,
            status: if online.contains(id) {
                "online"
            } else {
                "offline"
            }
            .to_owned(),
        })
        .collect())
}

/// Who is watching `room`, for someone who may read it (404 otherwise).
pub async fn room_online(state: &AppState, me: &CurrentUser, room: Uuid) -> AppResult<RoomOnline> {
    chat::room_access(state, me.id.as_uuid(), room).await?;
    let online = gateway(state)?.room_online(room).await?;
    let listed: Vec<Uuid> = online.iter().take(ROOM_ONLINE_LIST_MAX).copied().collect();
    Ok(RoomOnline {
        room_id: room,
        online_count: online.len() as u64,
        member_count: member_count(state, room).await?,
        users: user_refs(state, &listed).await?,
    })
}

/// The room's members (from the database).
pub(crate) async fn member_count(state: &AppState, room: Uuid) -> AppResult<u64> {
    Ok(chat_member::Entity::find()
        .filter(chat_member::Column::RoomId.eq(room))
        .count(&state.db)
        .await?)
}

/// `UserRef`s of `ids` (deleted accounts left out), in the order given.
pub(crate) async fn user_refs(state: &AppState, ids: &[Uuid]) -> AppResult<Vec<UserRef>> {
    let people = people::briefs(&state.db, ids.iter().copied()).await?;
    Ok(ids
        .iter()
        .filter_map(|id| people.get(id).filter(|p| !p.deleted))
        .map(chat::user_ref)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_parsed_and_bounded() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        assert_eq!(
            parse_user_ids(Some(&format!("{a}, {b},{a}"))).unwrap(),
            vec![a, b]
        );
        assert!(parse_user_ids(None).is_err());
        assert!(parse_user_ids(Some("nope")).is_err());
        let many: Vec<String> = (0..101).map(|_| Uuid::now_v7().to_string()).collect();
        assert!(parse_user_ids(Some(&many.join(","))).is_err());
    }
}
