//! The messages sidebar: the user's rooms with unread badges and their direct conversations
//! with the other person, the last message and the unread count, most recently active first.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vertechie_kernel::{AppResult, AppState, CurrentUser, PageQuery};

use super::excerpt;
use crate::service::chat::{self, ConversationView, RoomQuery, RoomView};

/// Rooms and conversations listed (the most recently active).
const ROOMS_SHOWN: u64 = 100;
const CONVERSATIONS_SHOWN: u64 = 50;
const EXCERPT_CHARS: usize = 60;

pub(super) struct SideRoom {
    pub id: Uuid,
    pub name: String,
    pub private: bool,
    pub unread: u64,
    pub active: bool,
}

pub(super) struct SideDirect {
    pub user_id: Uuid,
    pub name: String,
    pub username: String,
    pub last: String,
    pub unread: u64,
    pub active: bool,
}

/// What the sidebar shows; `active` is the open room (a direct conversation's room too).
pub(super) struct Sidebar {
    pub rooms: Vec<SideRoom>,
    pub directs: Vec<SideDirect>,
    /// The most recently active conversation: the page `/messages` opens.
    pub latest: Option<Latest>,
}

#[derive(Clone, Copy)]
pub(super) enum Latest {
    Room(Uuid),
    Direct(Uuid),
}

fn activity(r: &RoomView) -> DateTime<Utc> {
    r.last_message
        .as_ref()
        .map(|m| m.created_at)
        .unwrap_or(r.created_at)
}

impl Sidebar {
    pub async fn load(state: &AppState, me: &CurrentUser, active: Option<Uuid>) -> AppResult<Self> {
        let rooms = chat::list_rooms(
            state,
            me,
            RoomQuery {
                mine: Some(true),
                limit: Some(ROOMS_SHOWN),
                ..RoomQuery::default()
            },
        )
        .await?
        .items;
        let directs: Vec<ConversationView> = chat::conversations(
            state,
            me,
            PageQuery {
                page: None,
                limit: Some(CONVERSATIONS_SHOWN),
            },
        )
        .await?
        .items;
        let latest = match (rooms.first(), directs.first()) {
            (Some(r), Some(d)) if d.last_activity_at > activity(r) => {
                Some(Latest::Direct(d.other_user.id))
            }
            (Some(r), _) => Some(Latest::Room(r.id)),
            (None, Some(d)) => Some(Latest::Direct(d.other_user.id)),
            (None, None) => None,
        };
        Ok(Self {
            rooms: rooms
                .into_iter()
                .map(|r| SideRoom {
                    active: active == Some(r.id),
                    private: r.kind == chat::PRIVATE,
                    name: r.name.unwrap_or_default(),
                    unread: r.unread_count,
                    id: r.id,
                })
                .collect(),
            directs: directs
                .into_iter()
                .map(|d| SideDirect {
                    active: active == Some(d.room_id),
                    user_id: d.other_user.id,
                    name: d.other_user.display_name,
                    username: d.other_user.username,
                    last: d
                        .last_message
                        .map(|m| {
                            let mine = m.author.as_ref().is_some_and(|a| a.id == me.id.as_uuid());
                            let text = match excerpt(&m.body, EXCERPT_CHARS) {
                                t if t.is_empty() && !m.attachments.is_empty() => {
                                    "Sent a file".to_owned()
                                }
                                t => t,
                            };
                            if mine { format!("You: {text}") } else { text }
                        })
                        .unwrap_or_default(),
                    unread: d.unread_count,
                })
                .collect(),
            latest,
        })
    }
}
