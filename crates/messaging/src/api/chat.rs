//! Chat over HTTP (the WebSocket gateway calls the same service functions): rooms, members,
//! messages, reactions, direct conversations, search and messages scheduled for later.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;
use vertechie_kernel::{
    ApiJson, ApiOk, ApiPath, ApiQuery, AppResult, AppState, Created, CurrentUser, Envelope,
    NoContent, Page, PageQuery,
};

use crate::service::chat::{
    self as svc, ConversationView, DirectView, EditBody, EditView, Invite, MemberView, MessagePage,
    MessageQuery, MessageView, PostMessage, Posted, ReactionInput, ReadInput, ReadReceipt,
    RoleChange, RoomCreate, RoomQuery, RoomUpdate, RoomView, ScheduledQuery, ScheduledView,
    SearchHit, SearchQuery,
};

/// 201 with the message, or 202 with the scheduled item.
fn posted(p: Posted) -> Response {
    match p {
        Posted::Now(m) => Created(*m).into_response(),
        Posted::Later(s) => (StatusCode::ACCEPTED, ApiOk(*s)).into_response(),
    }
}

// ---- rooms ----

/// Public rooms and your private rooms, most recently active first; `q` searches names and
/// topics, `mine=true` keeps only rooms you are in. Direct conversations are at
/// `/api/v1/chat/conversations`.
#[utoipa::path(get, path = "/api/v1/chat/rooms", tag = "chat", security(("bearer" = [])), params(RoomQuery),
    responses((status = 200, description = "A page of rooms", body = Envelope<Page<RoomView>>),
        (status = 400, description = "INVALID_QUERY"), (status = 401, description = "Not signed in")))]
pub async fn list_rooms(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<RoomQuery>,
) -> AppResult<ApiOk<Page<RoomView>>> {
    svc::list_rooms(&state, &user, q).await.map(ApiOk)
}

/// Create a public or private room; you become its owner.
#[utoipa::path(post, path = "/api/v1/chat/rooms", tag = "chat", security(("bearer" = [])), request_body = RoomCreate,
    responses((status = 201, description = "Created", body = Envelope<RoomView>), (status = 401, description = "Not signed in"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn create_room(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<RoomCreate>,
) -> AppResult<Created<RoomView>> {
    svc::create_room(&state, &user, input).await.map(Created)
}

/// A room you may read (public, or one you are in).
#[utoipa::path(get, path = "/api/v1/chat/rooms/{id}", tag = "chat", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The room", body = Envelope<RoomView>), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such room, or a private room you are not in")))]
pub async fn get_room(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<RoomView>> {
    svc::get_room(&state, &user, id).await.map(ApiOk)
}

/// Rename a room or change its topic (owners and moderators); absent fields stay, a `null`
/// topic clears it.
#[utoipa::path(patch, path = "/api/v1/chat/rooms/{id}", tag = "chat", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = RoomUpdate,
    responses((status = 200, description = "Updated", body = Envelope<RoomView>), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_ROOM_ROLE or NOT_A_MEMBER"), (status = 404, description = "No such room"),
        (status = 409, description = "DIRECT_ROOM"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn update_room(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<RoomUpdate>,
) -> AppResult<ApiOk<RoomView>> {
    svc::update_room(&state, &user, id, input).await.map(ApiOk)
}

/// Join a public room (joining again changes nothing).
#[utoipa::path(post, path = "/api/v1/chat/rooms/{id}/join", tag = "chat", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "You are a member", body = Envelope<RoomView>), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such public room")))]
pub async fn join_room(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<RoomView>> {
    svc::join_room(&state, &user, id).await.map(ApiOk)
}

/// Leave a room. Direct conversations cannot be left; the last owner must hand over first.
#[utoipa::path(post, path = "/api/v1/chat/rooms/{id}/leave", tag = "chat", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Left"), (status = 401, description = "Not signed in"),
        (status = 403, description = "NOT_A_MEMBER"), (status = 404, description = "No such room"),
        (status = 409, description = "LAST_OWNER or DIRECT_ROOM")))]
pub async fn leave_room(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<NoContent> {
    svc::leave_room(&state, &user, id).await.map(|_| NoContent)
}

/// A room's members, owners first.
#[utoipa::path(get, path = "/api/v1/chat/rooms/{id}/members", operation_id = "list_room_members", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, description = "A page of members", body = Envelope<Page<MemberView>>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such room")))]
pub async fn list_members(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> AppResult<ApiOk<Page<MemberView>>> {
    svc::list_members(&state, &user, id, page).await.map(ApiOk)
}

/// Add a user to the room (owners and moderators). They are notified.
#[utoipa::path(post, path = "/api/v1/chat/rooms/{id}/members", tag = "chat", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = Invite,
    responses((status = 201, description = "Added", body = Envelope<MemberView>), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_ROOM_ROLE or NOT_A_MEMBER"), (status = 404, description = "No such room or user"),
        (status = 409, description = "ALREADY_MEMBER or DIRECT_ROOM")))]
pub async fn invite(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<Invite>,
) -> AppResult<Created<MemberView>> {
    svc::invite(&state, &user, id, input).await.map(Created)
}

/// Change a member's role: owner, moderator or member (owners only).
#[utoipa::path(put, path = "/api/v1/chat/rooms/{id}/members/{user_id}", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)), request_body = RoleChange,
    responses((status = 200, description = "Changed", body = Envelope<MemberView>), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_ROOM_ROLE"), (status = 404, description = "No such room or member"),
        (status = 409, description = "LAST_OWNER or DIRECT_ROOM"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn set_role(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, user_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(input): ApiJson<RoleChange>,
) -> AppResult<ApiOk<MemberView>> {
    svc::set_role(&state, &user, id, user_id, input)
        .await
        .map(ApiOk)
}

/// Remove a member (owners and moderators; only an owner removes an owner). Yourself: leave.
#[utoipa::path(delete, path = "/api/v1/chat/rooms/{id}/members/{user_id}", operation_id = "remove_room_member", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in"),
        (status = 403, description = "FORBIDDEN_ROOM_ROLE or NOT_A_MEMBER"), (status = 404, description = "No such room or member"),
        (status = 409, description = "LAST_OWNER or DIRECT_ROOM")))]
pub async fn remove_member(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, user_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<NoContent> {
    svc::remove_member(&state, &user, id, user_id)
        .await
        .map(|_| NoContent)
}

// ---- messages ----

/// A room's messages, newest first (members, and anyone signed in for a public room). Walk back
/// with `before=next_before`; catch up after a reconnect with `after=<last id seen>`.
#[utoipa::path(get, path = "/api/v1/chat/rooms/{id}/messages", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path), MessageQuery),
    responses((status = 200, description = "A page of messages", body = Envelope<MessagePage>),
        (status = 400, description = "INVALID_QUERY"), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such room")))]
pub async fn list_messages(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> AppResult<ApiOk<MessagePage>> {
    svc::list_messages(&state, &user, id, q).await.map(ApiOk)
}

/// Post a message (members). With `send_at` it is scheduled instead: 202 with the item.
#[utoipa::path(post, path = "/api/v1/chat/rooms/{id}/messages", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = PostMessage,
    responses((status = 201, description = "Posted", body = Envelope<MessageView>),
        (status = 202, description = "Scheduled", body = Envelope<ScheduledView>),
        (status = 401, description = "Not signed in"), (status = 403, description = "NOT_A_MEMBER"),
        (status = 404, description = "No such room"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn post_message(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<PostMessage>,
) -> AppResult<Response> {
    svc::post_message(&state, &user, id, input)
        .await
        .map(posted)
}

/// Move your read marker forward to a message of the room (never backwards).
#[utoipa::path(post, path = "/api/v1/chat/rooms/{id}/read", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReadInput,
    responses((status = 200, description = "Your read marker", body = Envelope<ReadReceipt>),
        (status = 401, description = "Not signed in"), (status = 403, description = "NOT_A_MEMBER"),
        (status = 404, description = "No such room"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn mark_read(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReadInput>,
) -> AppResult<ApiOk<ReadReceipt>> {
    svc::mark_read(&state, &user, id, input.message_id)
        .await
        .map(ApiOk)
}

/// One message (a tombstone when deleted).
#[utoipa::path(get, path = "/api/v1/chat/messages/{id}", tag = "chat", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The message", body = Envelope<MessageView>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such message")))]
pub async fn get_message(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<MessageView>> {
    svc::get_message(&state, &user, id).await.map(ApiOk)
}

/// Edit your message; the previous body is kept in its history.
#[utoipa::path(patch, path = "/api/v1/chat/messages/{id}", tag = "chat", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = EditBody,
    responses((status = 200, description = "Edited", body = Envelope<MessageView>), (status = 401, description = "Not signed in"),
        (status = 403, description = "NOT_AUTHOR or NOT_A_MEMBER"), (status = 404, description = "No such message"),
        (status = 409, description = "MESSAGE_DELETED"), (status = 422, description = "VALIDATION_ERROR")))]
pub async fn edit_message(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<EditBody>,
) -> AppResult<ApiOk<MessageView>> {
    svc::edit_message(&state, &user, id, input.body)
        .await
        .map(ApiOk)
}

/// Delete a message (its author, or the room's owners and moderators): answers the tombstone.
#[utoipa::path(delete, path = "/api/v1/chat/messages/{id}", tag = "chat", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Deleted: the tombstone", body = Envelope<MessageView>),
        (status = 401, description = "Not signed in"), (status = 403, description = "FORBIDDEN_MESSAGE"),
        (status = 404, description = "No such message")))]
pub async fn delete_message(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<MessageView>> {
    svc::delete_message(&state, &user, id).await.map(ApiOk)
}

/// A message's earlier bodies, oldest first (empty once it is deleted).
#[utoipa::path(get, path = "/api/v1/chat/messages/{id}/edits", tag = "chat", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The edit history", body = Envelope<Vec<EditView>>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such message")))]
pub async fn message_edits(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<ApiOk<Vec<EditView>>> {
    svc::edits(&state, &user, id).await.map(ApiOk)
}

/// The replies to a message, oldest first.
#[utoipa::path(get, path = "/api/v1/chat/messages/{id}/replies", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, description = "A page of replies", body = Envelope<Page<MessageView>>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such message")))]
pub async fn message_replies(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> AppResult<ApiOk<Page<MessageView>>> {
    svc::replies(&state, &user, id, page).await.map(ApiOk)
}

/// React with an emoji (members; once per emoji, adding again changes nothing).
#[utoipa::path(post, path = "/api/v1/chat/messages/{id}/reactions", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReactionInput,
    responses((status = 200, description = "The message with its reactions", body = Envelope<MessageView>),
        (status = 401, description = "Not signed in"), (status = 403, description = "NOT_A_MEMBER"),
        (status = 404, description = "No such message"), (status = 409, description = "MESSAGE_DELETED"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn add_reaction(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReactionInput>,
) -> AppResult<ApiOk<MessageView>> {
    svc::add_reaction(&state, &user, id, input.emoji)
        .await
        .map(ApiOk)
}

/// Take back your reaction (the emoji URL-encoded in the path).
#[utoipa::path(delete, path = "/api/v1/chat/messages/{id}/reactions/{emoji}", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("emoji" = String, Path)),
    responses((status = 200, description = "The message with its reactions", body = Envelope<MessageView>),
        (status = 401, description = "Not signed in"), (status = 403, description = "NOT_A_MEMBER"),
        (status = 404, description = "No such message"), (status = 409, description = "MESSAGE_DELETED"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn remove_reaction(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, emoji)): ApiPath<(Uuid, String)>,
) -> AppResult<ApiOk<MessageView>> {
    svc::remove_reaction(&state, &user, id, emoji)
        .await
        .map(ApiOk)
}

// ---- direct messages ----

/// Your direct conversations, most recently active first, each with the other user, the last
/// message, your unread count and how far the other side has read.
#[utoipa::path(get, path = "/api/v1/chat/conversations", tag = "chat", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "A page of conversations", body = Envelope<Page<ConversationView>>),
        (status = 401, description = "Not signed in")))]
pub async fn conversations(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> AppResult<ApiOk<Page<ConversationView>>> {
    svc::conversations(&state, &user, page).await.map(ApiOk)
}

/// Your conversation with a user (`null` before the first message) and a page of its messages.
#[utoipa::path(get, path = "/api/v1/chat/direct/{user_id}", tag = "chat", security(("bearer" = [])),
    params(("user_id" = Uuid, Path), MessageQuery),
    responses((status = 200, description = "The conversation", body = Envelope<DirectView>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such user"),
        (status = 422, description = "Yourself")))]
pub async fn direct(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(user_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> AppResult<ApiOk<DirectView>> {
    svc::direct_view(&state, &user, user_id, q).await.map(ApiOk)
}

/// Send a direct message (the conversation is made on the first one). With `send_at` it is
/// scheduled instead: 202 with the item.
#[utoipa::path(post, path = "/api/v1/chat/direct/{user_id}/messages", tag = "chat", security(("bearer" = [])),
    params(("user_id" = Uuid, Path)), request_body = PostMessage,
    responses((status = 201, description = "Sent", body = Envelope<MessageView>),
        (status = 202, description = "Scheduled", body = Envelope<ScheduledView>),
        (status = 401, description = "Not signed in"), (status = 404, description = "No such user"),
        (status = 422, description = "VALIDATION_ERROR, or yourself")))]
pub async fn post_direct(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(user_id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<PostMessage>,
) -> AppResult<Response> {
    svc::post_direct(&state, &user, user_id, input)
        .await
        .map(posted)
}

// ---- search and send later ----

/// Full-text search over the messages of your rooms and conversations, newest first.
#[utoipa::path(get, path = "/api/v1/chat/search", tag = "chat", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, description = "A page of matching messages", body = Envelope<Page<SearchHit>>),
        (status = 401, description = "Not signed in"), (status = 422, description = "No words to find")))]
pub async fn search(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> AppResult<ApiOk<Page<SearchHit>>> {
    svc::search_messages(&state, &user, q).await.map(ApiOk)
}

/// Your messages waiting to be sent (soonest first), or with `status=failed` those that could not be sent (most recent first, with `error`).
#[utoipa::path(get, path = "/api/v1/chat/scheduled", tag = "chat", security(("bearer" = [])), params(ScheduledQuery),
    responses((status = 200, description = "A page of scheduled messages", body = Envelope<Page<ScheduledView>>),
        (status = 401, description = "Not signed in")))]
pub async fn list_scheduled(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ScheduledQuery>,
) -> AppResult<ApiOk<Page<ScheduledView>>> {
    svc::list_scheduled(&state, &user, q).await.map(ApiOk)
}

/// Cancel a message before it is sent.
#[utoipa::path(delete, path = "/api/v1/chat/scheduled/{id}", tag = "chat", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Cancelled"), (status = 401, description = "Not signed in"),
        (status = 404, description = "No such scheduled message of yours"), (status = 409, description = "NOT_PENDING")))]
pub async fn cancel_scheduled(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<NoContent> {
    svc::cancel_scheduled(&state, &user, id)
        .await
        .map(|_| NoContent)
}
