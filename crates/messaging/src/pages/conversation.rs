//! One conversation on screen — a room or a direct conversation — as both pages render it: a
//! window of messages oldest → newest (the latest page, an older page by `?before=`, a newer one
//! by `?after=`, or the messages around one by `?at=`), reply quotes, reactions, edited marks,
//! tombstones, the unread divider, the DM "Seen" mark, and the composer.

use std::collections::HashMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;
use vertechie_kernel::{AppError, AppResult, AppState, CurrentUser, PageQuery};
use vertechie_web::{FieldErrors, PageCtx, render};

use super::sidebar::Sidebar;
use super::{excerpt, when};
use crate::service::chat::{self, MessagePage, MessageQuery, MessageView, RoomRole, UserRef};

/// The emoji offered for reactions (any other is shown, and can be toggled, once someone used it).
pub(super) const EMOJIS: [&str; 8] = ["👍", "❤️", "😂", "🎉", "😮", "😢", "👀", "✅"];
/// Messages around a search hit (`?at=`) on each side.
const AROUND: u64 = 25;
/// Reply targets outside the window looked up one by one, at most.
const QUOTES_LOOKED_UP: usize = 20;
const QUOTE_CHARS: usize = 120;

/// Which conversation: a room by id, or the direct conversation with a user.
#[derive(Clone, Copy, Debug)]
pub(super) enum Target {
    Room(Uuid),
    Direct(Uuid),
}

/// `?before=&after=&at=&reply_to=&edit=` (ids; anything unreadable is ignored).
#[derive(Debug, Default, Deserialize)]
pub(super) struct ViewParams {
    before: Option<String>,
    after: Option<String>,
    at: Option<String>,
    reply_to: Option<String>,
    edit: Option<String>,
}

fn id_of(s: &Option<String>) -> Option<Uuid> {
    s.as_deref().and_then(|s| Uuid::parse_str(s.trim()).ok())
}

impl ViewParams {
    pub fn reply_to(&self) -> Option<Uuid> {
        id_of(&self.reply_to)
    }
}

pub(super) struct Quote {
    pub id: Uuid,
    pub author: String,
    pub text: String,
    pub deleted: bool,
    /// Shown in this window, so the quote links to it.
    pub on_page: bool,
}

impl Quote {
    /// Several messages may answer one: each row gets its own quote.
    fn copy(&self) -> Self {
        Self {
            id: self.id,
            author: self.author.clone(),
            text: self.text.clone(),
            deleted: self.deleted,
            on_page: self.on_page,
        }
    }
}

pub(super) struct ReactRow {
    pub emoji: String,
    pub count: u64,
    pub mine: bool,
    /// "Ada, Grace" — who reacted, for the button's title.
    pub who: String,
}

pub(super) struct MsgRow {
    pub id: Uuid,
    pub author: String,
    pub author_username: String,
    pub author_id: String,
    pub mine: bool,
    pub time: String,
    pub iso: String,
    pub body: String,
    pub body_html: String,
    pub deleted: bool,
    pub edited: bool,
    pub mentions_me: bool,
    pub reply: Option<Quote>,
    pub reactions: Vec<ReactRow>,
    pub files: Vec<FileRow>,
    pub can_react: bool,
    pub can_edit: bool,
    pub can_delete: bool,
    pub first_unread: bool,
    pub seen: bool,
    pub highlight: bool,
    pub editing: bool,
    /// Replies to this message in the window and after it.
    pub replies: u64,
}

pub(super) struct FileRow {
    pub name: String,
    pub url: String,
    pub image: bool,
    pub size: String,
}

/// "512 B", "14 KB", "2.5 MB".
fn size_label(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{} KB", b / 1024),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

pub(super) struct MemberRow {
    pub id: Uuid,
    pub name: String,
    pub username: String,
    pub role: String,
}

/// What the conversation pane shows.
pub(super) struct Conversation {
    /// public | private | direct
    pub kind: String,
    /// `None` for a direct conversation before its first message.
    pub room_id: Option<Uuid>,
    pub title: String,
    pub subtitle: Option<String>,
    /// The other person of a direct conversation.
    pub other: Option<UserRef>,
    pub me: Uuid,
    pub is_member: bool,
    pub role: Option<String>,
    pub manages: bool,
    pub member_count: u64,
    pub members: Vec<MemberRow>,
    pub messages: Vec<MsgRow>,
    /// The oldest shown message when older ones exist (the `?before=` cursor).
    pub next_before: Option<Uuid>,
    /// The newest shown message when newer ones exist (the `?after=` cursor).
    pub next_after: Option<Uuid>,
    pub at_latest: bool,
    pub unread: u64,
    pub newest_id: Option<Uuid>,
    /// The other side's read marker (direct conversations).
    pub other_read: Option<Uuid>,
    /// The conversation's path (its latest messages).
    pub path: String,
    /// This page's path with its window (`?before=`, `?after=`, `?at=`): where forms come back to.
    pub here: String,
    /// Where the composer posts.
    pub post_action: String,
}

impl Conversation {
    pub fn is_direct(&self) -> bool {
        self.kind == chat::DIRECT
    }
}

/// The composer's state: what was typed (kept on a refused post), the reply and errors.
#[derive(Default)]
pub(super) struct Composer {
    pub body: String,
    /// "Send later" as typed (a `datetime-local` value).
    pub send_at: String,
    pub reply: Option<Quote>,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "messages_conversation.html")]
pub(super) struct ConversationPage<'a> {
    pub ctx: &'a PageCtx,
    pub side: Sidebar,
    pub c: Conversation,
    pub composer: Composer,
    pub emojis: &'static [&'static str],
}

/// Renders a conversation page (`status` 422 when the composer's post was refused).
pub(super) fn page(
    ctx: &PageCtx,
    status: StatusCode,
    side: Sidebar,
    c: Conversation,
    composer: Composer,
) -> Response {
    render(
        status,
        &ConversationPage {
            ctx,
            side,
            c,
            composer,
            emojis: &EMOJIS,
        },
    )
}

/// A loaded conversation, or where to go instead (a direct room opened by its room id).
pub(super) enum Loaded {
    Show(Box<(Sidebar, Conversation, Composer)>),
    Redirect(String),
}

async fn fetch(
    state: &AppState,
    me: &CurrentUser,
    target: Target,
    q: MessageQuery,
) -> AppResult<MessagePage> {
    match target {
        Target::Room(id) => chat::list_messages(state, me, id, q).await,
        Target::Direct(user) => Ok(chat::direct_view(state, me, user, q).await?.messages),
    }
}

/// The messages of the window, oldest first, and its cursors.
struct Window {
    items: Vec<MessageView>,
    next_before: Option<Uuid>,
    next_after: Option<Uuid>,
    at_latest: bool,
    highlight: Option<Uuid>,
}

async fn window(
    state: &AppState,
    me: &CurrentUser,
    target: Target,
    room_id: Option<Uuid>,
    p: &ViewParams,
) -> AppResult<Window> {
    let q = |before, after, limit| MessageQuery {
        before,
        after,
        limit,
    };
    if let (Some(at), Some(room)) = (id_of(&p.at), room_id) {
        // The hit must be a message of this conversation; otherwise show the latest page.
        if let Ok(hit) = chat::get_message(state, me, at).await
            && hit.room_id == room
        {
            let older = fetch(state, me, target, q(Some(at), None, Some(AROUND))).await?;
            let newer = fetch(state, me, target, q(None, Some(at), Some(AROUND))).await?;
            let more_older = older.next_before.is_some();
            let more_newer = newer.next_after.is_some();
            let mut items: Vec<MessageView> = older.items.into_iter().rev().collect();
            items.push(hit);
            items.extend(newer.items.into_iter().rev());
            return Ok(Window {
                next_before: more_older.then(|| items.first().map(|m| m.id)).flatten(),
                next_after: more_newer.then(|| items.last().map(|m| m.id)).flatten(),
                at_latest: !more_newer,
                items,
                highlight: Some(at),
            });
        }
    }
    if let Some(after) = id_of(&p.after) {
        let page = fetch(state, me, target, q(None, Some(after), None)).await?;
        if !page.items.is_empty() {
            let more_newer = page.next_after.is_some();
            let items: Vec<MessageView> = page.items.into_iter().rev().collect();
            return Ok(Window {
                // `after` itself is older than everything here.
                next_before: items.first().map(|m| m.id),
                next_after: more_newer.then(|| items.last().map(|m| m.id)).flatten(),
                at_latest: !more_newer,
                items,
                highlight: None,
            });
        }
    }
    if let Some(before) = id_of(&p.before) {
        let page = fetch(state, me, target, q(Some(before), None, None)).await?;
        let items: Vec<MessageView> = page.items.into_iter().rev().collect();
        return Ok(Window {
            next_before: page.next_before,
            // `before` itself is newer than everything here.
            next_after: items.last().map(|m| m.id),
            at_latest: false,
            items,
            highlight: None,
        });
    }
    let page = fetch(state, me, target, MessageQuery::default()).await?;
    Ok(Window {
        next_before: page.next_before,
        next_after: None,
        at_latest: true,
        items: page.items.into_iter().rev().collect(),
        highlight: None,
    })
}

fn author_name(m: &MessageView) -> String {
    m.author
        .as_ref()
        .map(|a| a.display_name.clone())
        .unwrap_or_else(|| "Deleted user".to_owned())
}

fn quote_of(m: &MessageView, on_page: bool) -> Quote {
    Quote {
        id: m.id,
        author: author_name(m),
        text: excerpt(&m.body, QUOTE_CHARS),
        deleted: m.deleted,
        on_page,
    }
}

/// The quote of one message the reader may see (the reply a refused post was going to make).
pub(super) async fn quote(state: &AppState, me: &CurrentUser, id: Uuid) -> Option<Quote> {
    chat::get_message(state, me, id)
        .await
        .ok()
        .map(|m| quote_of(&m, false))
}

/// Quotes for the reply targets: from the window, else looked up (those the reader may not see,
/// or too many, are left out).
async fn quotes(
    state: &AppState,
    me: &CurrentUser,
    items: &[MessageView],
    extra: Option<Uuid>,
) -> HashMap<Uuid, Quote> {
    let mut out: HashMap<Uuid, Quote> = HashMap::new();
    let on_page: HashMap<Uuid, &MessageView> = items.iter().map(|m| (m.id, m)).collect();
    let wanted: Vec<Uuid> = items
        .iter()
        .filter_map(|m| m.reply_to)
        .chain(extra)
        .collect();
    let mut looked_up = 0;
    for id in wanted {
        if out.contains_key(&id) {
            continue;
        }
        if let Some(m) = on_page.get(&id) {
            out.insert(id, quote_of(m, true));
        } else if looked_up < QUOTES_LOOKED_UP {
            looked_up += 1;
            if let Ok(m) = chat::get_message(state, me, id).await {
                out.insert(id, quote_of(&m, false));
            }
        }
    }
    out
}

/// What the reader may do in the conversation.
struct Powers {
    member: bool,
    manages: bool,
}

#[allow(clippy::too_many_arguments)]
fn rows(
    me: Uuid,
    items: Vec<MessageView>,
    quotes: &HashMap<Uuid, Quote>,
    names: &HashMap<Uuid, String>,
    powers: &Powers,
    unread: u64,
    at_latest: bool,
    other_read: Option<Uuid>,
    highlight: Option<Uuid>,
    edit: Option<Uuid>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<MsgRow> {
    // The unread divider goes above the oldest of the `unread` newest messages by others.
    let first_unread = if at_latest && unread > 0 {
        items
            .iter()
            .rev()
            .filter(|m| !m.deleted && m.author.as_ref().is_none_or(|a| a.id != me))
            .nth(unread as usize - 1)
            .map(|m| m.id)
    } else {
        None
    };
    // "Seen" goes under my newest message when the other side has read up to it.
    let seen = other_read.and_then(|read| {
        items
            .iter()
            .rev()
            .find(|m| m.author.as_ref().is_some_and(|a| a.id == me))
            .filter(|m| m.id <= read)
            .map(|m| m.id)
    });
    items
        .into_iter()
        .map(|m| {
            let mine = m.author.as_ref().is_some_and(|a| a.id == me);
            let live = !m.deleted && powers.member;
            MsgRow {
                reply: m.reply_to.and_then(|r| quotes.get(&r)).map(Quote::copy),
                reactions: m
                    .reactions
                    .iter()
                    .map(|r| ReactRow {
                        emoji: r.emoji.clone(),
                        count: r.count,
                        mine: r.user_ids.contains(&me),
                        who: r
                            .user_ids
                            .iter()
                            .map(|u| names.get(u).cloned().unwrap_or_else(|| "someone".into()))
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                    .collect(),
                files: m
                    .attachments
                    .iter()
                    .map(|f| FileRow {
                        name: f.name.clone(),
                        url: f.url.clone(),
                        image: f.content_type.starts_with("image/"),
                        size: size_label(f.size),
                    })
                    .collect(),
                author: author_name(&m),
                author_username: m
                    .author
                    .as_ref()
                    .map(|a| a.username.clone())
                    .unwrap_or_default(),
                author_id: m
                    .author
                    .as_ref()
                    .map(|a| a.id.to_string())
                    .unwrap_or_default(),
                mine,
                time: when(m.created_at, now),
                iso: m.created_at.to_rfc3339(),
                mentions_me: m.mentions.contains(&me),
                can_react: live,
                can_edit: live && mine,
                can_delete: live && (mine || powers.manages),
                first_unread: first_unread == Some(m.id),
                seen: seen == Some(m.id),
                highlight: highlight == Some(m.id),
                editing: edit == Some(m.id) && live && mine,
                replies: m.reply_count,
                deleted: m.deleted,
                edited: m.is_edited,
                body: m.body,
                body_html: m.body_html,
                id: m.id,
            }
        })
        .collect()
}

/// Loads the conversation for `target` with the window `p` asks for.
pub(super) async fn load(
    state: &AppState,
    me: &CurrentUser,
    target: Target,
    p: &ViewParams,
) -> AppResult<Loaded> {
    let uid = me.id.as_uuid();
    let now = state.clock.now();
    let (mut c, powers, unread) = match target {
        Target::Room(room_id) => {
            let room = chat::get_room(state, me, room_id).await?;
            let members = chat::list_members(
                state,
                me,
                room_id,
                PageQuery {
                    page: None,
                    limit: Some(100),
                },
            )
            .await?;
            if room.kind == chat::DIRECT {
                let other = members
                    .items
                    .iter()
                    .find(|m| m.user.id != uid)
                    .ok_or_else(|| AppError::not_found("conversation not found"))?;
                let mut to = format!("/messages/direct/{}", other.user.id);
                if let Some(at) = id_of(&p.at) {
                    to.push_str(&format!("?at={at}"));
                }
                return Ok(Loaded::Redirect(to));
            }
            let role = room.my_role.as_deref().and_then(RoomRole::parse);
            let powers = Powers {
                member: role.is_some(),
                manages: role.is_some_and(RoomRole::manages),
            };
            let c = Conversation {
                kind: room.kind.clone(),
                room_id: Some(room.id),
                title: room.name.clone().unwrap_or_default(),
                subtitle: room.topic.clone(),
                other: None,
                me: uid,
                is_member: powers.member,
                role: room.my_role.clone(),
                manages: powers.manages,
                member_count: room.member_count,
                members: members
                    .items
                    .into_iter()
                    .map(|m| MemberRow {
                        id: m.user.id,
                        name: m.user.display_name,
                        username: m.user.username,
                        role: m.role,
                    })
                    .collect(),
                messages: Vec::new(),
                next_before: None,
                next_after: None,
                at_latest: true,
                unread: 0,
                newest_id: None,
                other_read: None,
                path: format!("/messages/rooms/{}", room.id),
                here: String::new(),
                post_action: format!("/messages/rooms/{}/messages", room.id),
            };
            (c, powers, room.unread_count)
        }
        Target::Direct(other) => {
            let view = chat::direct_view(
                state,
                me,
                other,
                MessageQuery {
                    limit: Some(1),
                    ..MessageQuery::default()
                },
            )
            .await?;
            let conv = view.conversation;
            let c = Conversation {
                kind: chat::DIRECT.to_owned(),
                room_id: conv.as_ref().map(|c| c.room_id),
                title: view.user.display_name.clone(),
                subtitle: Some(format!("@{}", view.user.username)),
                me: uid,
                is_member: true,
                role: None,
                manages: false,
                member_count: 2,
                members: Vec::new(),
                messages: Vec::new(),
                next_before: None,
                next_after: None,
                at_latest: true,
                unread: 0,
                newest_id: None,
                other_read: conv.as_ref().and_then(|c| c.other_last_read_message_id),
                path: format!("/messages/direct/{other}"),
                here: String::new(),
                post_action: format!("/messages/direct/{other}/messages"),
                other: Some(view.user),
            };
            let unread = conv.as_ref().map_or(0, |c| c.unread_count);
            let powers = Powers {
                member: true,
                manages: false,
            };
            (c, powers, unread)
        }
    };
    let w = window(state, me, target, c.room_id, p).await?;
    let reply_to = p.reply_to();
    let quotes = quotes(state, me, &w.items, reply_to).await;
    let names = reactor_names(me, &c, &w.items);
    c.here = match (id_of(&p.at), id_of(&p.before), id_of(&p.after)) {
        (Some(at), _, _) => format!("{}?at={at}", c.path),
        (None, Some(b), _) => format!("{}?before={b}", c.path),
        (None, None, Some(a)) => format!("{}?after={a}", c.path),
        _ => c.path.clone(),
    };
    c.next_before = w.next_before;
    c.next_after = w.next_after;
    c.at_latest = w.at_latest;
    c.unread = if powers.member { unread } else { 0 };
    c.newest_id = w.items.last().map(|m| m.id);
    let rows = rows(
        uid,
        w.items,
        &quotes,
        &names,
        &powers,
        c.unread,
        w.at_latest,
        c.other_read,
        w.highlight,
        id_of(&p.edit),
        now,
    );
    c.messages = rows;
    let side = Sidebar::load(state, me, c.room_id).await?;
    let composer = Composer {
        reply: reply_to.and_then(|r| quotes.get(&r)).map(Quote::copy),
        ..Composer::default()
    };
    Ok(Loaded::Show(Box::new((side, c, composer))))
}

/// Display names of the people who reacted, for the reaction buttons' titles: the room's
/// members (already loaded) or the two sides of a direct conversation.
fn reactor_names(
    me: &CurrentUser,
    c: &Conversation,
    items: &[MessageView],
) -> HashMap<Uuid, String> {
    let mut names: HashMap<Uuid, String> =
        c.members.iter().map(|m| (m.id, m.name.clone())).collect();
    names.insert(me.id.as_uuid(), "You".to_owned());
    if let Some(o) = &c.other {
        names.insert(o.id, o.display_name.clone());
    }
    // Authors who left the room still have a name on their messages.
    for m in items {
        if let Some(a) = &m.author {
            names.entry(a.id).or_insert_with(|| a.display_name.clone());
        }
    }
    names
}
