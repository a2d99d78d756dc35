//! Chat: rooms (public, private, direct and per-object), members and roles, messages with edit
//! history, tombstones, reactions, replies and mentions, file attachments, read state, full-text
//! search and messages scheduled for later.
//!
//! Every rule is checked here, not in the handlers or the gateway. A room a user may not read
//! (private and not a member) answers 404, never 403. Every write commits before its bus event
//! is published (topic [`TOPIC_EVENT`] with `{room_id, frame}`, and [`TOPIC_MEMBERSHIP`]), so
//! a client that sees an event can always fetch what it announces, and a rolled-back write
//! announces nothing.

mod access;
mod direct;
pub mod markdown;
mod messages;
mod rooms;
mod scheduled;
pub mod search;
mod views;

pub(crate) use views::user_ref;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use vertechie_kernel::Patch;

pub use direct::{conversations, direct_view, send_direct};
pub use messages::{
    add_reaction, delete_message, edit_message, edits, get_message, list_messages, mark_read,
    remove_reaction, replies, search_messages, send_message,
};
pub use rooms::{
    PRESENCE_ROOM_MAX, contacts, create_room, ensure_object_room, get_room, invite, join_room,
    leave_room, list_members, list_rooms, member_room_ids, remove_member, room_access, set_role,
    update_room,
};
pub use scheduled::{
    SCHEDULED_JOB, ScheduledAttachments, cancel_scheduled, list_scheduled, post_direct,
    post_message, task_handlers,
};

/// Bus topic of room events: payload `{room_id, frame}`; the gateway delivers `frame` as is.
pub const TOPIC_EVENT: &str = "chat.event";
/// Bus topic of membership changes: payload `{room_id, user_id, member}`.
pub const TOPIC_MEMBERSHIP: &str = "chat.membership";
/// Notification kind of a mention.
pub const KIND_MENTION: &str = "chat.mention";
/// Notification kind of being added to a room.
pub const KIND_ADDED: &str = "chat.added";
pub const NAME_MAX: usize = 80;
pub const TOPIC_MAX: usize = 250;
pub const BODY_MAX: usize = 4000;
pub const EMOJI_MAX: usize = 32;
pub const OBJECT_TYPE_MAX: usize = 40;
/// Messages per page: default and cap.
pub const MESSAGES_DEFAULT_LIMIT: u64 = 50;
pub const MESSAGES_MAX_LIMIT: u64 = 100;
/// How far ahead a message may be scheduled.
pub const SCHEDULE_MAX_DAYS: i64 = 90;
/// Files one message may carry.
pub const ATTACHMENTS_MAX: usize = 10;

/// The room kinds.
pub const PUBLIC: &str = "public";
pub const PRIVATE: &str = "private";
pub const DIRECT: &str = "direct";

/// A member's role in a room, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoomRole {
    Owner,
    Moderator,
    Member,
}

impl RoomRole {
    pub const ALL: [RoomRole; 3] = [Self::Owner, Self::Moderator, Self::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Moderator => "moderator",
            Self::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Owners and moderators manage the room: its name, members and others' messages.
    pub fn manages(self) -> bool {
        matches!(self, Self::Owner | Self::Moderator)
    }
}

// ---- views ----

/// A user as chat shows them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct UserRef {
    pub id: Uuid,
    pub username: String,
    /// Full name, or the username when there is none.
    pub display_name: String,
}

/// One emoji on a message: how many reacted with it and who (in the order they reacted).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ReactionView {
    pub emoji: String,
    pub count: u64,
    pub user_ids: Vec<Uuid>,
}

/// A file attached to a message, with a download link made for whoever got this view (only
/// people who may read the message get one). Links expire (`file_link_ttl_secs`, an hour by
/// default): fetch the message again for a fresh one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AttachmentView {
    /// The file's id.
    pub id: Uuid,
    pub name: String,
    /// image/png, image/jpeg, image/gif, image/webp, application/pdf or text/plain.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// Signed download link, relative to the server (`/files/{id}?exp=…&sig=…`).
    pub url: String,
}

/// A message as room readers see it; a deleted one is a tombstone (empty body, no reactions,
/// no attachments).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct MessageView {
    pub id: Uuid,
    pub room_id: Uuid,
    /// `null` when the author's account is gone.
    pub author: Option<UserRef>,
    /// `""` when deleted.
    pub body: String,
    /// The body as safe HTML (escaped, then a small markdown subset); `""` when deleted.
    pub body_html: String,
    pub reply_to: Option<Uuid>,
    /// Mentioned members (user ids).
    pub mentions: Vec<Uuid>,
    pub reactions: Vec<ReactionView>,
    /// The attached files, in order.
    pub attachments: Vec<AttachmentView>,
    /// Replies to this message (the thread: `GET /chat/messages/{id}/replies`).
    pub reply_count: u64,
    pub is_edited: bool,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
}

/// A room as one user sees it (their role and unread count).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RoomView {
    pub id: Uuid,
    /// public | private | direct
    pub kind: String,
    /// `null` for direct rooms.
    pub name: Option<String>,
    pub topic: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<Uuid>,
    pub member_count: u64,
    /// owner | moderator | member; `null` when not a member.
    pub my_role: Option<String>,
    /// Messages newer than your read marker, not yours, not deleted (0 when not a member).
    pub unread_count: u64,
    /// The newest message that is not deleted.
    pub last_message: Option<MessageView>,
    pub created_at: DateTime<Utc>,
}

/// A room member.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct MemberView {
    pub user: UserRef,
    /// owner | moderator | member
    pub role: String,
    pub joined_at: DateTime<Utc>,
    pub last_read_message_id: Option<Uuid>,
    pub last_read_at: Option<DateTime<Utc>>,
}

/// Where a member has read up to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ReadReceipt {
    pub room_id: Uuid,
    pub user_id: Uuid,
    pub last_read_message_id: Uuid,
    pub read_at: DateTime<Utc>,
}

/// A page of messages, newest first, with the cursors to walk on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessagePage {
    pub items: Vec<MessageView>,
    /// Pass as `before` for older messages; `null` when there are none.
    pub next_before: Option<Uuid>,
    /// Pass as `after` for newer messages (after an `after` query); `null` when there are none.
    pub next_after: Option<Uuid>,
}

/// A message's body before one edit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EditView {
    pub previous_body: String,
    pub previous_body_html: String,
    pub edited_at: DateTime<Utc>,
}

/// A direct conversation as one side sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationView {
    pub room_id: Uuid,
    pub other_user: UserRef,
    /// The newest message that is not deleted.
    pub last_message: Option<MessageView>,
    pub unread_count: u64,
    /// The other side's read marker: your messages up to this one have been read.
    pub other_last_read_message_id: Option<Uuid>,
    pub other_last_read_at: Option<DateTime<Utc>>,
    pub last_activity_at: DateTime<Utc>,
}

/// The conversation with one user (`null` before the first message) and its messages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectView {
    pub user: UserRef,
    pub conversation: Option<ConversationView>,
    pub messages: MessagePage,
}

/// A search result: the message and where it was posted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    pub room_id: Uuid,
    pub room_kind: String,
    /// The room's name; for a direct room, the other user's display name.
    pub room_name: Option<String>,
    pub message: MessageView,
}

/// A message scheduled for later.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduledView {
    pub id: Uuid,
    /// The room, for a room message.
    pub room_id: Option<Uuid>,
    /// The recipient, for a direct message.
    pub recipient: Option<UserRef>,
    pub body: String,
    pub reply_to: Option<Uuid>,
    /// The ids of the files to attach (checked again when it is sent).
    pub attachments: Vec<Uuid>,
    pub send_at: DateTime<Utc>,
    /// pending | sent | failed | cancelled
    pub status: String,
    /// The posted message, once sent.
    pub message_id: Option<Uuid>,
    /// Why it was not sent, when it failed.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Which of the user's scheduled messages to list.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ScheduledFilter {
    /// Waiting to be sent, soonest first.
    #[default]
    Pending,
    /// Not sent (the author left the room, a file was deleted, …), most recent first, with
    /// `error` saying why.
    Failed,
}

/// `?status=&page=&limit=` of the scheduled list.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScheduledQuery {
    /// pending (default) | failed
    #[param(inline)]
    pub status: Option<ScheduledFilter>,
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u64>,
}

/// What a POST of a message did: posted it now, or scheduled it.
#[derive(Debug, Clone)]
pub enum Posted {
    Now(Box<MessageView>),
    Later(Box<ScheduledView>),
}

// ---- input ----

/// A message to post.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewMessage {
    /// 1–4000 characters after trimming; markdown subset. May be empty (or absent) when files
    /// are attached.
    #[serde(default)]
    pub body: String,
    /// A message of the same room.
    #[serde(default)]
    pub reply_to: Option<Uuid>,
    /// Up to 10 distinct ids of files you uploaded (`POST /api/v1/files`), in the order to show.
    #[serde(default)]
    pub attachments: Vec<Uuid>,
}

/// A message to post now, or at `send_at` (in the future, at most 90 days ahead).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PostMessage {
    /// 1–4000 characters after trimming; markdown subset. May be empty (or absent) when files
    /// are attached.
    #[serde(default)]
    pub body: String,
    /// A message of the same room.
    #[serde(default)]
    pub reply_to: Option<Uuid>,
    /// Up to 10 distinct ids of files you uploaded (`POST /api/v1/files`), in the order to show.
    /// A scheduled message whose file was deleted meanwhile fails instead of being sent.
    #[serde(default)]
    pub attachments: Vec<Uuid>,
    /// Send later, at this time.
    #[serde(default)]
    pub send_at: Option<DateTime<Utc>>,
}

/// A new room.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RoomCreate {
    /// 1–80 characters after trimming.
    pub name: String,
    /// At most 250 characters.
    #[serde(default)]
    pub topic: Option<String>,
    /// public (default) | private
    #[serde(default)]
    pub kind: Option<String>,
}

/// Changes to a room: absent fields stay, `null` clears the topic.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RoomUpdate {
    /// 1–80 characters after trimming.
    #[serde(default)]
    pub name: Option<String>,
    /// At most 250 characters; `null` or `""` clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub topic: Patch<String>,
}

/// `?q=&mine=&page=&limit=`
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoomQuery {
    /// Words of the name or topic (case-insensitive substring).
    pub q: Option<String>,
    /// Only rooms you are a member of.
    pub mine: Option<bool>,
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u64>,
}

/// `?before=&after=&limit=`: message ids as cursors.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// Only messages older than this one.
    pub before: Option<Uuid>,
    /// Only messages newer than this one (the page nearest to it).
    pub after: Option<Uuid>,
    /// 1–100 (default 50).
    pub limit: Option<u64>,
}

/// `?q=&page=&limit=`
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find (all must occur).
    pub q: Option<String>,
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u64>,
}

/// A user to add to a room.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Invite {
    pub user_id: Uuid,
}

/// A member's new role.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RoleChange {
    /// owner | moderator | member
    pub role: String,
}

/// A message's new body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EditBody {
    /// 1–4000 characters after trimming.
    pub body: String,
}

/// An emoji reaction.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReactionInput {
    /// 1–32 characters, no whitespace.
    pub emoji: String,
}

/// Where you have read up to.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReadInput {
    pub message_id: Uuid,
}
