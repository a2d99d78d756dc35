//! Rooms and their members: create, list and search, read, rename, join and leave, invite,
//! roles and removal; per-object rooms for other domains; what the gateway asks at connect.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set, TryInsertResult,
};
use serde_json::json;
use uuid::Uuid;
use vertechie_kernel::db::{begin_write, like_escape};
use vertechie_kernel::error::UniqueKey;
use vertechie_kernel::notify::{Notice, notify};
use vertechie_kernel::{
    AppError, AppResult, AppState, CurrentUser, FieldError, Page, PageQuery, UserId,
};

use super::access::{
    Access, active_users, check_name, check_topic, direct_room, fail_on, publish_frame,
    publish_membership, reachable_user, readable, rooms_of,
};
use super::{
    DIRECT, Invite, KIND_ADDED, MemberView, OBJECT_TYPE_MAX, PRIVATE, PUBLIC, RoleChange,
    RoomCreate, RoomQuery, RoomRole, RoomUpdate, RoomView, views,
};
use crate::model::{chat_member as member, chat_room as room};

/// A room membership is keyed by (room, user).
const CHAT_MEMBERS_PKEY: UniqueKey =
    UniqueKey::new("chat_members_pkey", "chat_members", &["room_id", "user_id"]);

fn new_member(
    room_id: Uuid,
    user_id: Uuid,
    role: RoomRole,
    now: chrono::DateTime<chrono::Utc>,
) -> member::ActiveModel {
    member::ActiveModel {
        room_id: Set(room_id),
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        joined_at: Set(now),
        last_read_message_id: Set(None),
        last_read_at: Set(None),
    }
}

/// Creates a public or private room; the creator is its owner.
pub async fn create_room(
    state: &AppState,
    me: &CurrentUser,
    input: RoomCreate,
) -> AppResult<RoomView> {
    let mut errors = Vec::new();
    let name = check_name(&mut errors, &input.name);
    let topic = check_topic(&mut errors, input.topic.as_deref());
    let kind = input.kind.as_deref().unwrap_or(PUBLIC).trim().to_owned();
    if kind != PUBLIC && kind != PRIVATE {
        errors.push(FieldError::new("kind", "must be public or private"));
    }
    fail_on(errors)?;
    let uid = me.id.as_uuid();
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    let row = room::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind),
        name: Set(Some(name)),
        topic: Set(topic),
        created_by: Set(Some(uid)),
        direct_key: Set(None),
        object_type: Set(None),
        object_id: Set(None),
        last_message_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    new_member(row.id, uid, RoomRole::Owner, now)
        .insert(&txn)
        .await?;
    txn.commit().await?;
    publish_membership(state, row.id, uid, true);
    views::room(state, &state.db, uid, &row).await
}

/// Public rooms and the private rooms the user is in (direct conversations are listed apart),
/// most recently active first. `q` matches the name or topic; `mine` keeps only the user's.
pub async fn list_rooms(
    state: &AppState,
    me: &CurrentUser,
    q: RoomQuery,
) -> AppResult<Page<RoomView>> {
    let page = PageQuery {
        page: q.page,
        limit: q.limit,
    };
    let uid = me.id.as_uuid();
    let visible = if q.mine == Some(true) {
        Condition::all().add(room::Column::Id.in_subquery(rooms_of(uid)))
    } else {
        Condition::any()
            .add(room::Column::Kind.eq(PUBLIC))
            .add(room::Column::Id.in_subquery(rooms_of(uid)))
    };
    let mut find = room::Entity::find()
        .filter(room::Column::Kind.ne(DIRECT))
        .filter(visible);
    // Control characters (NUL included, which PostgreSQL refuses in text) are dropped.
    let text: String =
        q.q.as_deref()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .collect();
    let text = text.trim();
    if !text.is_empty() {
        let pattern = format!("%{}%", like_escape(&text.to_lowercase()));
        let like = |col: room::Column| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        find = find.filter(
            Condition::any()
                .add(like(room::Column::Name))
                .add(like(room::Column::Topic)),
        );
    }
    let (rows, total) = recent_page(&state.db, find, &page).await?;
    Ok(Page::new(
        views::rooms(state, &state.db, uid, &rows).await?,
        total,
        &page,
    ))
}

/// One page of `find`, the most recently active rooms first, and the total.
pub(super) async fn recent_page<C: ConnectionTrait>(
    conn: &C,
    find: Select<room::Entity>,
    page: &PageQuery,
) -> AppResult<(Vec<room::Model>, u64)> {
    let total = find.clone().count(conn).await?;
    let rows = find
        .order_by_desc(Expr::cust("COALESCE(last_message_at, created_at)"))
        .order_by_desc(room::Column::Id)
        .offset(page.offset())
        .limit(page.limit())
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// A room the user may read (public, or theirs); 404 otherwise.
pub async fn get_room(state: &AppState, me: &CurrentUser, room_id: Uuid) -> AppResult<RoomView> {
    let uid = me.id.as_uuid();
    let access = readable(&state.db, room_id, uid).await?;
    views::room(state, &state.db, uid, &access.room).await
}

/// The room if `user` may read it and it is not a direct conversation (409 `DIRECT_ROOM`):
/// the rooms whose name, members and roles can change.
async fn group_room<C: ConnectionTrait>(conn: &C, room_id: Uuid, user: Uuid) -> AppResult<Access> {
    // Locks the room row first (PostgreSQL; SQLite's write transactions are serial already),
    // so two owners stepping down or leaving at once decide in turn and the "last owner" rule
    // holds.
    room::Entity::find_by_id(room_id)
        .lock_exclusive()
        .one(conn)
        .await?;
    let access = readable(conn, room_id, user).await?;
    if access.is_direct() {
        return Err(direct_room());
    }
    Ok(access)
}

/// Renames a room or changes its topic (owners and moderators; not direct rooms).
pub async fn update_room(
    state: &AppState,
    me: &CurrentUser,
    room_id: Uuid,
    input: RoomUpdate,
) -> AppResult<RoomView> {
    let uid = me.id.as_uuid();
    let txn = begin_write(&state.db).await?;
    let access = group_room(&txn, room_id, uid).await?;
    access.require_manager()?;
    let mut errors = Vec::new();
    let name = input.name.as_deref().map(|n| check_name(&mut errors, n));
    let topic = input
        .topic
        .as_ref()
        .into_option()
        .map(|t| check_topic(&mut errors, t.map(String::as_str)));
    fail_on(errors)?;
    let mut am: room::ActiveModel = access.room.into();
    if let Some(name) = name {
        am.name = Set(Some(name));
    }
    if let Some(topic) = topic {
        am.topic = Set(topic);
    }
    am.updated_at = Set(state.clock.now());
    let row = am.update(&txn).await?;
    txn.commit().await?;
    // Open clients update the room's header and list entry without a reload.
    publish_frame(
        state,
        room_id,
        json!({"type": "room_updated", "room_id": room_id, "name": row.name,
               "topic": row.topic, "updated_at": row.updated_at}),
    );
    views::room(state, &state.db, uid, &row).await
}

/// Joins a public room (joining again changes nothing). Private rooms need an invitation.
pub async fn join_room(state: &AppState, me: &CurrentUser, room_id: Uuid) -> AppResult<RoomView> {
    let uid = me.id.as_uuid();
    let txn = begin_write(&state.db).await?;
    let access = readable(&txn, room_id, uid).await?;
    // Non-members can only read public rooms, so `readable` already refused the others.
    let joined = if access.member.is_some() {
        false
    } else {
        member::Entity::insert(new_member(
            room_id,
            uid,
            RoomRole::Member,
            state.clock.now(),
        ))
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await
        .map(|r| matches!(r, TryInsertResult::Inserted(n) if n > 0))?
    };
    txn.commit().await?;
    if joined {
        publish_membership(state, room_id, uid, true);
    }
    views::room(state, &state.db, uid, &access.room).await
}

async fn owners<C: ConnectionTrait>(conn: &C, room_id: Uuid) -> AppResult<u64> {
    Ok(member::Entity::find()
        .filter(member::Column::RoomId.eq(room_id))
        .filter(member::Column::Role.eq(RoomRole::Owner.as_str()))
        .count(conn)
        .await?)
}

async fn members_count<C: ConnectionTrait>(conn: &C, room_id: Uuid) -> AppResult<u64> {
    Ok(member::Entity::find()
        .filter(member::Column::RoomId.eq(room_id))
        .count(conn)
        .await?)
}

fn last_owner() -> AppError {
    AppError::conflict(
        "LAST_OWNER",
        "Make another member an owner first: a room with members needs an owner",
    )
}

/// Leaves a room. Direct conversations cannot be left; the last owner cannot leave while other
/// members remain.
pub async fn leave_room(state: &AppState, me: &CurrentUser, room_id: Uuid) -> AppResult<()> {
    let uid = me.id.as_uuid();
    let txn = begin_write(&state.db).await?;
    let access = group_room(&txn, room_id, uid).await?;
    let mine = access.require_member()?;
    if mine.role == RoomRole::Owner.as_str()
        && owners(&txn, room_id).await? == 1
        && members_count(&txn, room_id).await? > 1
    {
        return Err(last_owner());
    }
    remove_and_announce(state, txn, room_id, uid).await
}

/// Deletes the membership, commits and publishes that the user left.
async fn remove_and_announce(
    state: &AppState,
    txn: DatabaseTransaction,
    room_id: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    member::Entity::delete_by_id((room_id, user_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    publish_membership(state, room_id, user_id, false);
    Ok(())
}

/// A room's members (anyone who may read it), owners first, then by joining time.
pub async fn list_members(
    state: &AppState,
    me: &CurrentUser,
    room_id: Uuid,
    page: PageQuery,
) -> AppResult<Page<MemberView>> {
    readable(&state.db, room_id, me.id.as_uuid()).await?;
    let find = member::Entity::find().filter(member::Column::RoomId.eq(room_id));
    let total = find.clone().count(&state.db).await?;
    let rows = find
        .order_by_desc(Expr::cust(
            "CASE role WHEN 'owner' THEN 2 WHEN 'moderator' THEN 1 ELSE 0 END",
        ))
        .order_by_asc(member::Column::JoinedAt)
        .order_by_asc(member::Column::UserId)
        .offset(page.offset())
        .limit(page.limit())
        .all(&state.db)
        .await?;
    let users = views::users(&state.db, rows.iter().map(|m| m.user_id)).await?;
    let items = rows
        .iter()
        .filter_map(|m| users.get(&m.user_id).map(|u| views::member_view(m, u)))
        .collect();
    Ok(Page::new(items, total, &page))
}

/// The membership of `user_id`, or 404.
async fn target_member<C: ConnectionTrait>(
    conn: &C,
    room_id: Uuid,
    user_id: Uuid,
) -> AppResult<member::Model> {
    super::access::membership(conn, room_id, user_id)
        .await?
        .ok_or_else(|| AppError::not_found("No such member of this room"))
}

/// Adds a user to a room (owners and moderators; not direct rooms). Unknown users are 404,
/// deactivated ones 403 `USER_INACTIVE`, members already in the room 409 `ALREADY_MEMBER`.
/// The new member is notified.
pub async fn invite(
    state: &AppState,
    me: &CurrentUser,
    room_id: Uuid,
    input: Invite,
) -> AppResult<MemberView> {
    let uid = me.id.as_uuid();
    let txn = begin_write(&state.db).await?;
    let access = group_room(&txn, room_id, uid).await?;
    access.require_manager()?;
    let user = reachable_user(&txn, input.user_id).await?;
    if super::access::membership(&txn, room_id, user.id)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "ALREADY_MEMBER",
            "This user is already a member of the room",
        ));
    }
    let now = state.clock.now();
    let row = new_member(room_id, user.id, RoomRole::Member, now)
        .insert(&txn)
        .await
        .map_err(|e| {
            AppError::from(e).on_conflict(&CHAT_MEMBERS_PKEY, || {
                AppError::conflict(
                    "ALREADY_MEMBER",
                    "This user is already a member of the room",
                )
            })
        })?;
    notify(
        &state.queue,
        &txn,
        now,
        Notice {
            user_id: UserId(user.id),
            kind: KIND_ADDED.to_owned(),
            title: format!(
                "{} added you to {}",
                me.display_name,
                access.room.name.as_deref().unwrap_or("a room")
            ),
            body: access.room.topic.clone().unwrap_or_default(),
            link: Some(format!("/messages?room={room_id}")),
        },
    )
    .await?;
    txn.commit().await?;
    publish_membership(state, room_id, user.id, true);
    Ok(views::member_view(&row, &user))
}

/// Changes a member's role (owners only; not direct rooms). The last owner cannot step down.
pub async fn set_role(
    state: &AppState,
    me: &CurrentUser,
    room_id: Uuid,
    user_id: Uuid,
    input: RoleChange,
) -> AppResult<MemberView> {
    let role = RoomRole::parse(input.role.trim())
        .ok_or_else(|| AppError::field("role", "must be owner, moderator or member"))?;
    let uid = me.id.as_uuid();
    let txn = begin_write(&state.db).await?;
    let access = group_room(&txn, room_id, uid).await?;
    if access.role() != Some(RoomRole::Owner) {
        access.require_member()?;
        return Err(AppError::forbidden(
            "FORBIDDEN_ROOM_ROLE",
            "Only the room's owners can change roles",
        ));
    }
    let target = target_member(&txn, room_id, user_id).await?;
    if target.role == RoomRole::Owner.as_str()
        && role != RoomRole::Owner
        && owners(&txn, room_id).await? == 1
    {
        return Err(last_owner());
    }
    let mut am: member::ActiveModel = target.into();
    am.role = Set(role.as_str().to_owned());
    let row = am.update(&txn).await?;
    txn.commit().await?;
    let user = views::users(&state.db, [user_id]).await?;
    let user = user
        .get(&user_id)
        .ok_or_else(|| AppError::not_found("No such member of this room"))?;
    Ok(views::member_view(&row, user))
}

/// Removes a member (owners and moderators; only an owner removes an owner). Removing yourself
/// is leaving.
pub async fn remove_member(
    state: &AppState,
    me: &CurrentUser,
    room_id: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    let uid = me.id.as_uuid();
    if user_id == uid {
        return leave_room(state, me, room_id).await;
    }
    let txn = begin_write(&state.db).await?;
    let access = group_room(&txn, room_id, uid).await?;
    let my_role = access.require_manager()?;
    let target = target_member(&txn, room_id, user_id).await?;
    if target.role == RoomRole::Owner.as_str() && my_role != RoomRole::Owner {
        return Err(AppError::forbidden(
            "FORBIDDEN_ROOM_ROLE",
            "Only an owner can remove an owner",
        ));
    }
    remove_and_announce(state, txn, room_id, user_id).await
}

/// The private room of another domain's object (an application, a booking…): created on the
/// first call with `members` (all plain members), later calls add members that are missing.
/// Unknown, deleted or deactivated users are skipped. Returns the room id.
pub async fn ensure_object_room(
    state: &AppState,
    object_type: &str,
    object_id: Uuid,
    name: &str,
    members: &[Uuid],
) -> AppResult<Uuid> {
    let mut errors = Vec::new();
    let name = check_name(&mut errors, name);
    let object_type = object_type.trim();
    if object_type.is_empty() || object_type.chars().count() > OBJECT_TYPE_MAX {
        errors.push(FieldError::new(
            "object_type",
            format!("must be 1–{OBJECT_TYPE_MAX} characters"),
        ));
    }
    fail_on(errors)?;
    let now = state.clock.now();
    let txn = begin_write(&state.db).await?;
    // Two first calls at once: the unique (object_type, object_id) lets one insert win; the
    // other inserts nothing and reads the winner's room.
    room::Entity::insert(room::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(PRIVATE.to_owned()),
        name: Set(Some(name)),
        topic: Set(None),
        created_by: Set(None),
        direct_key: Set(None),
        object_type: Set(Some(object_type.to_owned())),
        object_id: Set(Some(object_id)),
        last_message_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict_do_nothing_on([room::Column::ObjectType, room::Column::ObjectId])
    .exec_without_returning(&txn)
    .await?;
    let row = room::Entity::find()
        .filter(room::Column::ObjectType.eq(object_type))
        .filter(room::Column::ObjectId.eq(object_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("object room vanished")))?;
    let mut added = Vec::new();
    for user in active_users(&txn, members).await? {
        let res = member::Entity::insert(new_member(row.id, user.id, RoomRole::Member, now))
            .on_conflict_do_nothing()
            .exec_without_returning(&txn)
            .await?;
        if matches!(res, TryInsertResult::Inserted(n) if n > 0) {
            added.push(user.id);
        }
    }
    txn.commit().await?;
    for user in added {
        publish_membership(state, row.id, user, true);
    }
    Ok(row.id)
}

/// May `user` watch this room live (public room, or a member)? 404 when it does not exist or
/// is not public and the user is not a member. Returns the room's kind.
pub async fn room_access(state: &AppState, user: Uuid, room_id: Uuid) -> AppResult<String> {
    Ok(readable(&state.db, room_id, user).await?.room.kind)
}

/// Rooms (all kinds, direct ones included) the user is a member of.
pub async fn member_room_ids(state: &AppState, user: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(member::Entity::find()
        .select_only()
        .column(member::Column::RoomId)
        .filter(member::Column::UserId.eq(user))
        .into_tuple::<Uuid>()
        .all(&state.db)
        .await?)
}

/// Rooms with more members than this do not make their members each other's presence
/// contacts: a user coming online in a 1,000-member room would otherwise send 999 presence
/// frames, and everyone connecting at once a million. Such rooms show who is there through
/// their online count and watchers (`room_stats_updated`, `GET /chat/rooms/{id}/online`).
pub const PRESENCE_ROOM_MAX: u64 = 100;

/// Users sharing at least one room (direct ones included) of at most [`PRESENCE_ROOM_MAX`]
/// members with `user`: those told when `user` comes and goes.
pub async fn contacts(state: &AppState, user: Uuid) -> AppResult<Vec<Uuid>> {
    let small_rooms = member::Entity::find()
        .select_only()
        .column(member::Column::RoomId)
        .filter(member::Column::RoomId.in_subquery(rooms_of(user)))
        .group_by(member::Column::RoomId)
        .having(Expr::expr(Func::count(Expr::col(member::Column::UserId))).lte(PRESENCE_ROOM_MAX))
        .into_query();
    Ok(member::Entity::find()
        .select_only()
        .column(member::Column::UserId)
        .distinct()
        .filter(member::Column::RoomId.in_subquery(small_rooms))
        .filter(member::Column::UserId.ne(user))
        .into_tuple::<Uuid>()
        .all(&state.db)
        .await?)
}
