//! Presence over HTTP: who of some users is online, and who is watching a room live.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use vertechie_kernel::{ApiOk, ApiPath, ApiQuery, AppResult, AppState, CurrentUser, Envelope};

use crate::gateway::status::{self, PresenceView, RoomOnline};

/// `?user_ids=a,b,c`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PresenceQuery {
    /// Comma-separated user ids, 1–100.
    pub user_ids: Option<String>,
}

/// Whether each of the given users is connected right now (on any server), in the order asked.
/// Only your contacts (people you share a direct conversation or a room of at most 100
/// members with) and you are looked up; anyone else is reported `offline`.
#[utoipa::path(get, path = "/api/v1/chat/presence", tag = "chat", security(("bearer" = [])), params(PresenceQuery),
    responses((status = 200, description = "Each user's status (`offline` for anyone not your contact)", body = Envelope<Vec<PresenceView>>),
        (status = 401, description = "Not signed in"),
        (status = 422, description = "VALIDATION_ERROR: user_ids missing, malformed or more than 100")))]
pub async fn presence(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<PresenceQuery>,
) -> AppResult<ApiOk<Vec<PresenceView>>> {
    let ids = status::parse_user_ids(q.user_ids.as_deref())?;
    status::presence_of(&state, &user, &ids).await.map(ApiOk)
}

/// Who has the room open right now (sent `join_room` on a socket), with the member count;
/// for anyone who may read the room.
#[utoipa::path(get, path = "/api/v1/chat/rooms/{id}/online", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The room's online users", body = Envelope<RoomOnline>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such room (or private)")))]
pub async fn room_online(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<RoomOnline>> {
    status::room_online(&state, &user, id).await.map(ApiOk)
}
