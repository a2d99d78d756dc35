#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Chat through HTTP: rooms (create, validation, list and search, join, leave, the last owner),
//! private rooms hidden from outsiders, invitations, roles and removal, messages (cursor
//! pagination, edit history, tombstones, reactions, replies, mentions), read state, direct
//! conversations, search, messages sent later through the job queue, and the bus events that
//! follow each commit. On SQLite, and on PostgreSQL with `TEST_DATABASE_URL`.

use crate::common;

use std::collections::HashSet;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use vertechie_kernel::testkit::TestApp;
use vertechie_server::testing::spawn;

fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn rooms(app: &TestApp, user: &User, query: &str) -> Value {
    let res = get(app, user, &format!("/api/v1/chat/rooms{query}")).await;
    res.expect(200);
    res.data().clone()
}

async fn messages(app: &TestApp, user: &User, room: &str, query: &str) -> Value {
    let res = get(
        app,
        user,
        &format!("/api/v1/chat/rooms/{room}/messages{query}"),
    )
    .await;
    res.expect(200);
    res.data().clone()
}

async fn room_view(app: &TestApp, user: &User, room: &str) -> Value {
    let res = get(app, user, &format!("/api/v1/chat/rooms/{room}")).await;
    res.expect(200);
    res.data().clone()
}

#[tokio::test]
async fn rooms_are_created_validated_listed_and_searched() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;

    let res = post(
        &app,
        &ann,
        "/api/v1/chat/rooms",
        json!({"name": "  Rustaceans  ", "topic": "All things Rust", "kind": "public"}),
    )
    .await;
    res.expect(201);
    let rust = res.data().clone();
    assert_eq!(rust["name"], "Rustaceans");
    assert_eq!(rust["topic"], "All things Rust");
    assert_eq!(rust["kind"], "public");
    assert_eq!(rust["my_role"], "owner");
    assert_eq!(rust["member_count"], 1);
    assert_eq!(rust["unread_count"], 0);
    assert!(rust["last_message"].is_null());
    let rust_id = id(&rust);

    // Validation: every bad field named at once.
    let res = post(
        &app,
        &ann,
        "/api/v1/chat/rooms",
        json!({"name": "   ", "topic": "x".repeat(251), "kind": "secret"}),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["kind", "name", "topic"]);
    post(
        &app,
        &ann,
        "/api/v1/chat/rooms",
        json!({"name": "n".repeat(81)}),
    )
    .await
    .expect_error(422, "VALIDATION_ERROR");
    post(
        &app,
        &ann,
        "/api/v1/chat/rooms",
        json!({"topic": "no name"}),
    )
    .await
    .expect(422);
    call(
        &app,
        Method::POST,
        "/api/v1/chat/rooms",
        "",
        Some(json!({"name": "x"})),
    )
    .await
    .expect_error(401, "TOKEN_MISSING");

    let secret = room(&app, &ann, "Secret plans", "private").await;
    let general = room(&app, &bob, "General", "public").await;
    // Kind defaults to public.
    let res = post(&app, &bob, "/api/v1/chat/rooms", json!({"name": "Random"})).await;
    res.expect(201);
    assert_eq!(res.data()["kind"], "public");

    // Ann sees the public rooms and her private one, most recently active first.
    send(&app, &ann, &rust_id, "first!").await;
    let list = rooms(&app, &ann, "").await;
    assert_eq!(list["pagination"]["total"], 4);
    assert_eq!(names(&list)[0], "Rustaceans");
    assert!(names(&list).contains(&"Secret plans".to_owned()));
    // Bob does not see Ann's private room.
    let list = rooms(&app, &bob, "").await;
    assert_eq!(list["pagination"]["total"], 3);
    assert!(!names(&list).contains(&"Secret plans".to_owned()));
    // mine=true: only rooms I am in.
    let mut mine = names(&rooms(&app, &bob, "?mine=true").await);
    mine.sort();
    assert_eq!(mine, vec!["General", "Random"]);
    // Search by name or topic, case-insensitively; LIKE wildcards are literal.
    assert_eq!(
        names(&rooms(&app, &bob, "?q=RUST").await),
        vec!["Rustaceans"]
    );
    assert_eq!(
        names(&rooms(&app, &bob, "?q=things").await),
        vec!["Rustaceans"]
    );
    assert_eq!(names(&rooms(&app, &bob, "?q=%25").await).len(), 0);
    assert_eq!(
        names(&rooms(&app, &ann, "?q=plans").await),
        vec!["Secret plans"]
    );
    assert_eq!(names(&rooms(&app, &bob, "?q=plans").await).len(), 0);
    // Pagination.
    let page = rooms(&app, &ann, "?limit=3&page=2").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["pagination"]["pages"], 2);
    // Control characters in the query are dropped; absurd pages are just empty.
    assert_eq!(
        names(&rooms(&app, &bob, "?q=%00Rust").await),
        vec!["Rustaceans"]
    );
    let far = rooms(&app, &bob, "?page=18446744073709551615").await;
    assert_eq!(far["items"], json!([]));
    get(&app, &ann, "/api/v1/chat/rooms?mine=maybe")
        .await
        .expect_error(400, "INVALID_QUERY");

    // Bob reads a public room he is not in: no role, no unread count.
    let view = room_view(&app, &bob, &rust_id).await;
    assert!(view["my_role"].is_null());
    assert_eq!(view["last_message"]["body"], "first!");
    let _ = general;
    let _ = secret;

    // Rename and topic: owners and moderators only; null clears the topic.
    let res = patch(
        &app,
        &ann,
        &format!("/api/v1/chat/rooms/{rust_id}"),
        json!({"name": "Rust", "topic": null}),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["name"], "Rust");
    assert!(res.data()["topic"].is_null());
    patch(
        &app,
        &ann,
        &format!("/api/v1/chat/rooms/{rust_id}"),
        json!({"name": ""}),
    )
    .await
    .expect_error(422, "VALIDATION_ERROR");
    patch(
        &app,
        &bob,
        &format!("/api/v1/chat/rooms/{rust_id}"),
        json!({"topic": "hijacked"}),
    )
    .await
    .expect_error(403, "NOT_A_MEMBER");
    join(&app, &bob, &rust_id).await;
    patch(
        &app,
        &bob,
        &format!("/api/v1/chat/rooms/{rust_id}"),
        json!({"topic": "hijacked"}),
    )
    .await
    .expect_error(403, "FORBIDDEN_ROOM_ROLE");
}

#[tokio::test]
async fn join_leave_and_the_last_owner() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let room_id = room(&app, &ann, "Lobby", "public").await;

    // Joining twice is harmless.
    join(&app, &bob, &room_id).await;
    let res = join_room(&app, &bob, &room_id).await;
    res.expect(200);
    assert_eq!(res.data()["my_role"], "member");
    assert_eq!(res.data()["member_count"], 2);

    // The last owner cannot leave while others remain.
    leave(&app, &ann, &room_id)
        .await
        .expect_error(409, "LAST_OWNER");
    // Bob leaves; leaving again is refused (not a member).
    leave(&app, &bob, &room_id).await.expect(204);
    leave(&app, &bob, &room_id)
        .await
        .expect_error(403, "NOT_A_MEMBER");
    assert_eq!(room_view(&app, &ann, &room_id).await["member_count"], 1);
    // Alone, the owner may leave.
    leave(&app, &ann, &room_id).await.expect(204);
    assert_eq!(room_view(&app, &ann, &room_id).await["member_count"], 0);

    // With a second owner, the first may leave.
    let other = room(&app, &ann, "Other", "public").await;
    join(&app, &bob, &other).await;
    put(
        &app,
        &ann,
        &format!("/api/v1/chat/rooms/{other}/members/{}", bob.id),
        json!({"role": "owner"}),
    )
    .await
    .expect(200);
    leave(&app, &ann, &other).await.expect(204);

    // Unknown room, bad id.
    post(
        &app,
        &ann,
        &format!("/api/v1/chat/rooms/{}/join", Uuid::now_v7()),
        json!({}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    post(&app, &ann, "/api/v1/chat/rooms/not-a-uuid/join", json!({}))
        .await
        .expect_error(400, "INVALID_PATH");
}

#[tokio::test]
async fn private_rooms_are_invisible_to_outsiders() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let eve = register(&app, "eve").await;
    let secret = room(&app, &ann, "Secret", "private").await;
    let msg = send(&app, &ann, &secret, "the plan").await;
    let msg_id = id(&msg);

    // Every route answers 404, as if the room did not exist.
    let rooms = format!("/api/v1/chat/rooms/{secret}");
    let message = format!("/api/v1/chat/messages/{msg_id}");
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, rooms.clone(), None),
        (Method::GET, format!("{rooms}/messages"), None),
        (Method::GET, format!("{rooms}/members"), None),
        (Method::GET, message.clone(), None),
        (Method::GET, format!("{message}/edits"), None),
        (Method::GET, format!("{message}/replies"), None),
        (
            Method::POST,
            format!("{rooms}/messages"),
            Some(json!({"body": "let me in"})),
        ),
        (Method::POST, format!("{rooms}/join"), Some(json!({}))),
        (Method::POST, format!("{rooms}/leave"), Some(json!({}))),
        (
            Method::POST,
            format!("{rooms}/members"),
            Some(json!({"user_id": eve.id})),
        ),
        (
            Method::POST,
            format!("{rooms}/read"),
            Some(json!({"message_id": msg_id})),
        ),
        (Method::PATCH, rooms.clone(), Some(json!({"name": "mine"}))),
        (
            Method::POST,
            format!("{message}/reactions"),
            Some(json!({"emoji": "👀"})),
        ),
        (Method::PATCH, message.clone(), Some(json!({"body": "x"}))),
        (Method::DELETE, message.clone(), None),
    ];
    for (method, path, body) in cases {
        call(&app, method.clone(), &path, &eve.token, body)
            .await
            .expect_error(404, "NOT_FOUND");
    }
    // Sending to a public room you did not join is a 403 (the room is visible).
    let lobby = room(&app, &ann, "Lobby", "public").await;
    let res = post(
        &app,
        &eve,
        &format!("/api/v1/chat/rooms/{lobby}/messages"),
        json!({"body": "hi"}),
    )
    .await;
    res.expect_error(403, "NOT_A_MEMBER");
    // …but reading it is fine.
    messages(&app, &eve, &lobby, "").await;
}

#[tokio::test]
async fn invitations_roles_and_removal() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let cat = register(&app, "cat").await;
    let dan = register(&app, "dan").await;
    let secret = room(&app, &ann, "Team", "private").await;
    let members_path = format!("/api/v1/chat/rooms/{secret}/members");

    // Owner invites; unknown user 404; already a member 409; bad body 422.
    let res = post(&app, &ann, &members_path, json!({"user_id": bob.id})).await;
    res.expect(201);
    assert_eq!(res.data()["user"]["username"], "bob");
    assert_eq!(res.data()["role"], "member");
    post(&app, &ann, &members_path, json!({"user_id": bob.id}))
        .await
        .expect_error(409, "ALREADY_MEMBER");
    post(
        &app,
        &ann,
        &members_path,
        json!({"user_id": Uuid::now_v7()}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    post(&app, &ann, &members_path, json!({"user_id": "nope"}))
        .await
        .expect(422);
    // The invited member sees the room now and was notified.
    assert_eq!(room_view(&app, &bob, &secret).await["my_role"], "member");
    wait_until("bob's notification", || async {
        get(&app, &bob, "/api/v1/notifications").await.data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "chat.added")
    })
    .await;

    // A plain member cannot invite, change roles or remove.
    post(&app, &bob, &members_path, json!({"user_id": cat.id}))
        .await
        .expect_error(403, "FORBIDDEN_ROOM_ROLE");
    // Only owners change roles.
    put(
        &app,
        &bob,
        &format!("{members_path}/{}", bob.id),
        json!({"role": "owner"}),
    )
    .await
    .expect_error(403, "FORBIDDEN_ROOM_ROLE");
    let res = put(
        &app,
        &ann,
        &format!("{members_path}/{}", bob.id),
        json!({"role": "moderator"}),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["role"], "moderator");
    put(
        &app,
        &ann,
        &format!("{members_path}/{}", bob.id),
        json!({"role": "admin"}),
    )
    .await
    .expect_error(422, "VALIDATION_ERROR");
    put(
        &app,
        &ann,
        &format!("{members_path}/{}", cat.id),
        json!({"role": "member"}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    // The last owner cannot step down.
    put(
        &app,
        &ann,
        &format!("{members_path}/{}", ann.id),
        json!({"role": "member"}),
    )
    .await
    .expect_error(409, "LAST_OWNER");

    // A moderator invites and removes members, but not an owner.
    post(&app, &bob, &members_path, json!({"user_id": cat.id}))
        .await
        .expect(201);
    post(&app, &bob, &members_path, json!({"user_id": dan.id}))
        .await
        .expect(201);
    put(
        &app,
        &bob,
        &format!("{members_path}/{}", bob.id),
        json!({"role": "owner"}),
    )
    .await
    .expect_error(403, "FORBIDDEN_ROOM_ROLE");
    delete(&app, &bob, &format!("{members_path}/{}", ann.id))
        .await
        .expect_error(403, "FORBIDDEN_ROOM_ROLE");
    delete(&app, &bob, &format!("{members_path}/{}", cat.id))
        .await
        .expect(204);
    get(&app, &cat, &format!("/api/v1/chat/rooms/{secret}"))
        .await
        .expect_error(404, "NOT_FOUND");
    delete(&app, &bob, &format!("{members_path}/{}", cat.id))
        .await
        .expect_error(404, "NOT_FOUND");
    // A member cannot remove anyone.
    delete(&app, &dan, &format!("{members_path}/{}", bob.id))
        .await
        .expect_error(403, "FORBIDDEN_ROOM_ROLE");
    // An owner removes another owner.
    put(
        &app,
        &ann,
        &format!("{members_path}/{}", bob.id),
        json!({"role": "owner"}),
    )
    .await
    .expect(200);
    delete(&app, &ann, &format!("{members_path}/{}", bob.id))
        .await
        .expect(204);

    // Members list: owners first, paginated.
    let res = get(&app, &ann, &format!("{members_path}?limit=1")).await;
    res.expect(200);
    assert_eq!(res.data()["pagination"]["total"], 2);
    assert_eq!(res.data()["items"][0]["user"]["username"], "ann");
    assert_eq!(res.data()["items"][0]["role"], "owner");
    let res = get(&app, &dan, &format!("{members_path}?page=2&limit=1")).await;
    assert_eq!(res.data()["items"][0]["user"]["username"], "dan");
}

#[tokio::test]
async fn messages_page_by_cursor_without_gaps() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    let mut sent = Vec::new();
    for i in 0..23 {
        sent.push(id(&send(&app, &ann, &lobby, &format!("message {i}")).await));
    }

    // Default page: the newest 50 (all), newest first, no older cursor.
    let all = messages(&app, &bob, &lobby, "").await;
    let newest_first: Vec<String> = sent.iter().rev().cloned().collect();
    assert_eq!(ids(&all["items"]), newest_first);
    assert!(all["next_before"].is_null());
    assert_eq!(all["items"][0]["body"], "message 22");
    assert_eq!(all["items"][0]["author"]["username"], "ann");
    assert_eq!(all["items"][0]["author"]["display_name"], "ann Person");

    // Walk back 5 at a time.
    let mut walked: Vec<String> = Vec::new();
    let mut query = "?limit=5".to_owned();
    loop {
        let page = messages(&app, &bob, &lobby, &query).await;
        let page_ids = ids(&page["items"]);
        assert!(page_ids.len() <= 5);
        walked.extend(page_ids);
        match page["next_before"].as_str() {
            Some(cursor) => query = format!("?limit=5&before={cursor}"),
            None => break,
        }
    }
    assert_eq!(walked, newest_first, "no duplicates, no gaps");

    // Catch up forward from an old message, 5 at a time.
    let mut caught: Vec<String> = Vec::new();
    let mut query = format!("?limit=5&after={}", sent[2]);
    loop {
        let page = messages(&app, &bob, &lobby, &query).await;
        let mut page_ids = ids(&page["items"]);
        // Each page is newest first too.
        let mut sorted = page_ids.clone();
        sorted.sort();
        sorted.reverse();
        assert_eq!(page_ids, sorted);
        page_ids.reverse();
        caught.extend(page_ids);
        match page["next_after"].as_str() {
            Some(cursor) => query = format!("?limit=5&after={cursor}"),
            None => break,
        }
    }
    assert_eq!(caught, sent[3..].to_vec());
    let unique: HashSet<&String> = caught.iter().collect();
    assert_eq!(unique.len(), caught.len());

    // Between two cursors.
    let page = messages(
        &app,
        &bob,
        &lobby,
        &format!("?after={}&before={}", sent[5], sent[9]),
    )
    .await;
    assert_eq!(
        ids(&page["items"]),
        vec![sent[8].clone(), sent[7].clone(), sent[6].clone()]
    );
    // The limit is capped at 100; garbage cursors are a 400.
    let page = messages(&app, &bob, &lobby, "?limit=1000").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 23);
    get(
        &app,
        &bob,
        &format!("/api/v1/chat/rooms/{lobby}/messages?before=xyz"),
    )
    .await
    .expect_error(400, "INVALID_QUERY");

    // Body validation.
    let path = format!("/api/v1/chat/rooms/{lobby}/messages");
    let res = post(&app, &ann, &path, json!({"body": "   "})).await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), vec!["body"]);
    post(&app, &ann, &path, json!({"body": "x".repeat(4001)}))
        .await
        .expect_error(422, "VALIDATION_ERROR");
    let res = post(
        &app,
        &ann,
        &path,
        json!({"body": format!("  {}  ", "é".repeat(4000))}),
    )
    .await;
    res.expect(201);
    assert_eq!(res.data()["body"].as_str().unwrap().chars().count(), 4000);
    post(&app, &ann, &path, json!({})).await.expect(422);
    // NUL and other control characters are refused (PostgreSQL cannot store NUL in text);
    // newlines and tabs are fine.
    let res = post(&app, &ann, &path, json!({"body": "a\u{0}b"})).await;
    res.expect_error(422, "VALIDATION_ERROR");
    post(&app, &ann, &path, json!({"body": "a\u{1b}[31m"}))
        .await
        .expect_error(422, "VALIDATION_ERROR");
    post(&app, &ann, &path, json!({"body": "a\n\tb"}))
        .await
        .expect(201);
}

#[tokio::test]
async fn markdown_is_rendered_safely() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    let msg = send(
        &app,
        &ann,
        &lobby,
        "**hi** <script>alert(1)</script> see https://example.com\n`x`",
    )
    .await;
    assert_eq!(
        msg["body_html"],
        "<strong>hi</strong> &lt;script&gt;alert(1)&lt;/script&gt; see <a href=\"https://example.com\" rel=\"noopener nofollow\">https://example.com</a><br><code>x</code>"
    );
    assert_eq!(
        msg["body"],
        "**hi** <script>alert(1)</script> see https://example.com\n`x`"
    );
}

#[tokio::test]
async fn edits_keep_their_history() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let eve = register(&app, "eve").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    let msg = send(&app, &ann, &lobby, "first draft").await;
    let path = format!("/api/v1/chat/messages/{}", id(&msg));
    assert_eq!(msg["is_edited"], false);

    let res = patch(&app, &ann, &path, json!({"body": "second *draft*"})).await;
    res.expect(200);
    assert_eq!(res.data()["body"], "second *draft*");
    assert_eq!(res.data()["body_html"], "second <em>draft</em>");
    assert_eq!(res.data()["is_edited"], true);
    assert!(res.data()["edited_at"].is_string());
    patch(&app, &ann, &path, json!({"body": "final"}))
        .await
        .expect(200);
    // The same body again is not an edit.
    patch(&app, &ann, &path, json!({"body": " final "}))
        .await
        .expect(200);

    // Anyone who may read the room sees the history, oldest first.
    let res = get(&app, &eve, &format!("{path}/edits")).await;
    res.expect(200);
    let bodies: Vec<&str> = res
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["previous_body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["first draft", "second *draft*"]);

    // Only the author edits; bad bodies are 422.
    patch(&app, &bob, &path, json!({"body": "mine now"}))
        .await
        .expect_error(403, "NOT_AUTHOR");
    patch(&app, &ann, &path, json!({"body": ""}))
        .await
        .expect_error(422, "VALIDATION_ERROR");
    let res = get(&app, &bob, &path).await;
    assert_eq!(res.data()["body"], "final");
}

#[tokio::test]
async fn deleted_messages_are_tombstones() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let mod_ = register(&app, "mod").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    join(&app, &mod_, &lobby).await;
    put(
        &app,
        &ann,
        &format!("/api/v1/chat/rooms/{lobby}/members/{}", mod_.id),
        json!({"role": "moderator"}),
    )
    .await
    .expect(200);

    let mine = send(&app, &bob, &lobby, "oops secret").await;
    let path = format!("/api/v1/chat/messages/{}", id(&mine));
    post(
        &app,
        &ann,
        &format!("{path}/reactions"),
        json!({"emoji": "👍"}),
    )
    .await
    .expect(200);
    patch(&app, &bob, &path, json!({"body": "oops, edited"}))
        .await
        .expect(200);
    // Another member may not delete it.
    let other = register(&app, "other").await;
    join(&app, &other, &lobby).await;
    delete(&app, &other, &path)
        .await
        .expect_error(403, "FORBIDDEN_MESSAGE");
    // The author deletes: a tombstone, body and reactions gone.
    let res = delete(&app, &bob, &path).await;
    res.expect(200);
    let tomb = res.data().clone();
    assert_eq!(tomb["deleted"], true);
    assert_eq!(tomb["body"], "");
    assert_eq!(tomb["body_html"], "");
    assert_eq!(tomb["reactions"], json!([]));
    assert_eq!(tomb["id"], mine["id"]);
    // Still in the list, as a tombstone.
    let list = messages(&app, &ann, &lobby, "").await;
    assert_eq!(list["items"][0]["deleted"], true);
    assert_eq!(list["items"][0]["body"], "");
    // Its edit history is hidden too.
    assert_eq!(
        get(&app, &ann, &format!("{path}/edits")).await.data(),
        &json!([])
    );
    // Deleting again answers the tombstone; editing and reacting are 409.
    delete(&app, &bob, &path).await.expect(200);
    patch(&app, &bob, &path, json!({"body": "back"}))
        .await
        .expect_error(409, "MESSAGE_DELETED");
    post(
        &app,
        &ann,
        &format!("{path}/reactions"),
        json!({"emoji": "🎉"}),
    )
    .await
    .expect_error(409, "MESSAGE_DELETED");

    // A moderator deletes someone else's message; a moderator's own as well.
    let rude = send(&app, &other, &lobby, "rude words").await;
    let res = delete(&app, &mod_, &format!("/api/v1/chat/messages/{}", id(&rude))).await;
    res.expect(200);
    assert_eq!(res.data()["deleted"], true);
    // The owner too.
    let more = send(&app, &other, &lobby, "more rude words").await;
    delete(&app, &ann, &format!("/api/v1/chat/messages/{}", id(&more)))
        .await
        .expect(200);
}

#[tokio::test]
async fn reactions_are_idempotent_and_counted() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let eve = register(&app, "eve").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    let msg = send(&app, &ann, &lobby, "ship it?").await;
    let path = format!("/api/v1/chat/messages/{}/reactions", id(&msg));

    post(&app, &ann, &path, json!({"emoji": "👍"}))
        .await
        .expect(200);
    post(&app, &bob, &path, json!({"emoji": "👍"}))
        .await
        .expect(200);
    // Twice is once.
    post(&app, &bob, &path, json!({"emoji": "👍"}))
        .await
        .expect(200);
    let res = post(&app, &bob, &path, json!({"emoji": "🎉"})).await;
    res.expect(200);
    let reactions = res.data()["reactions"].clone();
    assert_eq!(
        reactions,
        json!([
            {"emoji": "👍", "count": 2, "user_ids": [ann.id, bob.id]},
            {"emoji": "🎉", "count": 1, "user_ids": [bob.id]},
        ])
    );
    // Validation and membership.
    for bad in ["", "a b", &"x".repeat(33)] {
        post(&app, &bob, &path, json!({"emoji": bad}))
            .await
            .expect_error(422, "VALIDATION_ERROR");
    }
    post(&app, &eve, &path, json!({"emoji": "👍"}))
        .await
        .expect_error(403, "NOT_A_MEMBER");
    // Removing (URL-encoded emoji), twice is harmless.
    let enc = "%F0%9F%91%8D"; // 👍
    let res = delete(&app, &bob, &format!("{path}/{enc}")).await;
    res.expect(200);
    assert_eq!(res.data()["reactions"][0]["count"], 1);
    assert_eq!(res.data()["reactions"][0]["user_ids"], json!([ann.id]));
    delete(&app, &bob, &format!("{path}/{enc}"))
        .await
        .expect(200);
    let list = messages(&app, &eve, &lobby, "").await;
    assert_eq!(list["items"][0]["reactions"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn replies_stay_in_their_room() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let a = room(&app, &ann, "A", "public").await;
    let b = room(&app, &ann, "B", "public").await;
    let root = send(&app, &ann, &a, "question").await;
    let elsewhere = send(&app, &ann, &b, "elsewhere").await;
    let path = format!("/api/v1/chat/rooms/{a}/messages");

    let mut reply_ids = Vec::new();
    for body in ["answer one", "answer two"] {
        let res = post(
            &app,
            &ann,
            &path,
            json!({"body": body, "reply_to": root["id"]}),
        )
        .await;
        res.expect(201);
        assert_eq!(res.data()["reply_to"], root["id"]);
        reply_ids.push(id(res.data()));
    }
    // A reply to a message of another room, or to nothing, is refused.
    let res = post(
        &app,
        &ann,
        &path,
        json!({"body": "x", "reply_to": elsewhere["id"]}),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), vec!["reply_to"]);
    post(
        &app,
        &ann,
        &path,
        json!({"body": "x", "reply_to": Uuid::now_v7()}),
    )
    .await
    .expect_error(422, "VALIDATION_ERROR");

    let res = get(
        &app,
        &ann,
        &format!("/api/v1/chat/messages/{}/replies", id(&root)),
    )
    .await;
    res.expect(200);
    assert_eq!(ids(&res.data()["items"]), reply_ids);
    assert_eq!(res.data()["pagination"]["total"], 2);
    // The count is on the message itself, in pages and on its own.
    let page = messages(&app, &ann, &a, "").await;
    let counted: Vec<(String, u64)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_owned(),
                m["reply_count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(counted.contains(&(id(&root), 2)), "{counted:?}");
    assert_eq!(
        counted.iter().filter(|(_, n)| *n > 0).count(),
        1,
        "{counted:?}"
    );
    let one = get(&app, &ann, &format!("/api/v1/chat/messages/{}", id(&root))).await;
    assert_eq!(one.data()["reply_count"], 2);
    let res = get(
        &app,
        &ann,
        &format!("/api/v1/chat/messages/{}/replies", id(&elsewhere)),
    )
    .await;
    assert_eq!(res.data()["pagination"]["total"], 0);
}

async fn notifications_of(app: &TestApp, user: &User) -> Vec<Value> {
    get(app, user, "/api/v1/notifications").await.data()["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn mentions_notify_the_mentioned_members_only() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let cat = register(&app, "cat").await;
    let dan = register(&app, "dan").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    join(&app, &cat, &lobby).await;

    // dan is not a member: not resolved; ann mentions herself: no notice.
    let msg = send(
        &app,
        &ann,
        &lobby,
        "@Bob please review, cc @dan @ann bob@example.com",
    )
    .await;
    assert_eq!(msg["mentions"], json!([bob.id, ann.id]));
    wait_due_jobs(&app).await;
    let bobs = notifications_of(&app, &bob).await;
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0]["kind"], "chat.mention");
    assert_eq!(bobs[0]["title"], "ann Person mentioned you in Lobby");
    assert_eq!(bobs[0]["link"], format!("/messages?room={lobby}"));
    assert!(bobs[0]["body"].as_str().unwrap().contains("please review"));
    for other in [&ann, &cat, &dan] {
        let mentions: Vec<Value> = notifications_of(&app, other)
            .await
            .into_iter()
            .filter(|n| n["kind"] == "chat.mention")
            .collect();
        assert!(mentions.is_empty(), "{} was notified", other.username);
    }

    // An edit notifies only members mentioned for the first time.
    patch(
        &app,
        &ann,
        &format!("/api/v1/chat/messages/{}", id(&msg)),
        json!({"body": "@bob and @cat please review"}),
    )
    .await
    .expect(200);
    wait_due_jobs(&app).await;
    assert_eq!(notifications_of(&app, &bob).await.len(), 1);
    assert_eq!(notifications_of(&app, &cat).await.len(), 1);
}

#[tokio::test]
async fn unread_counts_and_mark_read() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;

    let m1 = send(&app, &ann, &lobby, "one").await;
    let m2 = send(&app, &ann, &lobby, "two").await;
    let m3 = send(&app, &ann, &lobby, "three").await;
    send(&app, &bob, &lobby, "bob's own").await;
    // Bob's own message does not count, and sending moved his marker to it.
    assert_eq!(room_view(&app, &bob, &lobby).await["unread_count"], 0);
    assert_eq!(room_view(&app, &ann, &lobby).await["unread_count"], 1);
    let m5 = send(&app, &ann, &lobby, "four").await;
    let m6 = send(&app, &ann, &lobby, "five").await;
    assert_eq!(room_view(&app, &bob, &lobby).await["unread_count"], 2);
    // A deleted message is not unread.
    delete(&app, &ann, &format!("/api/v1/chat/messages/{}", id(&m6)))
        .await
        .expect(200);
    assert_eq!(room_view(&app, &bob, &lobby).await["unread_count"], 1);

    // Mark read forward; backwards changes nothing.
    let read = format!("/api/v1/chat/rooms/{lobby}/read");
    let res = post(&app, &bob, &read, json!({"message_id": m5["id"]})).await;
    res.expect(200);
    assert_eq!(res.data()["last_read_message_id"], m5["id"]);
    assert_eq!(res.data()["user_id"], bob.id.as_str());
    assert_eq!(room_view(&app, &bob, &lobby).await["unread_count"], 0);
    let res = post(&app, &bob, &read, json!({"message_id": m1["id"]})).await;
    res.expect(200);
    assert_eq!(res.data()["last_read_message_id"], m5["id"]);
    // The read marker shows in the member list.
    let members = get(&app, &ann, &format!("/api/v1/chat/rooms/{lobby}/members")).await;
    let bob_row = members.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["id"] == bob.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(bob_row["last_read_message_id"], m5["id"]);
    // Ann has read up to her own last message; one of Bob's is older.
    let _ = (m2, m3);
    // A message of another room, a non-member, a missing body.
    let other = room(&app, &ann, "Other", "public").await;
    let foreign = send(&app, &ann, &other, "elsewhere").await;
    post(&app, &bob, &read, json!({"message_id": foreign["id"]}))
        .await
        .expect_error(422, "VALIDATION_ERROR");
    post(
        &app,
        &bob,
        &format!("/api/v1/chat/rooms/{other}/read"),
        json!({"message_id": foreign["id"]}),
    )
    .await
    .expect_error(403, "NOT_A_MEMBER");
    post(&app, &bob, &read, json!({})).await.expect(422);
    // Rooms list shows the unread count too.
    send(&app, &ann, &lobby, "six").await;
    let mine = rooms(&app, &bob, "?mine=true").await;
    assert_eq!(mine["items"][0]["unread_count"], 1);
    assert_eq!(mine["items"][0]["last_message"]["body"], "six");
}

#[tokio::test]
async fn direct_conversations_with_unread_and_read_receipts() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let cat = register(&app, "cat").await;

    // Before the first message there is no conversation.
    let res = get(&app, &ann, &format!("/api/v1/chat/direct/{}", bob.id)).await;
    res.expect(200);
    assert!(res.data()["conversation"].is_null());
    assert_eq!(res.data()["user"]["username"], "bob");
    assert_eq!(res.data()["messages"]["items"], json!([]));

    let d1 = dm(&app, &ann, &bob, "hi bob").await;
    let d2 = dm(&app, &ann, &bob, "are you there?").await;
    dm(&app, &cat, &bob, "hello from cat").await;

    // Bob: two conversations, the most recent first, with unread counts.
    let res = get(&app, &bob, "/api/v1/chat/conversations").await;
    res.expect(200);
    let items = res.data()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["other_user"]["username"], "cat");
    assert_eq!(items[1]["other_user"]["username"], "ann");
    assert_eq!(items[1]["unread_count"], 2);
    assert_eq!(items[1]["last_message"]["body"], "are you there?");
    let room_id = items[1]["room_id"].as_str().unwrap().to_owned();
    // Ann has read her own messages; Bob has read nothing.
    let res = get(&app, &ann, "/api/v1/chat/conversations").await;
    let ann_conv = res.data()["items"][0].clone();
    assert_eq!(ann_conv["unread_count"], 0);
    assert!(ann_conv["other_last_read_message_id"].is_null());

    // Bob reads: Ann sees the receipt.
    post(
        &app,
        &bob,
        &format!("/api/v1/chat/rooms/{room_id}/read"),
        json!({"message_id": d2["id"]}),
    )
    .await
    .expect(200);
    let res = get(&app, &ann, &format!("/api/v1/chat/direct/{}", bob.id)).await;
    let conv = &res.data()["conversation"];
    assert_eq!(conv["other_last_read_message_id"], d2["id"]);
    assert!(conv["other_last_read_at"].is_string());
    assert_eq!(conv["room_id"], room_id.as_str());
    assert_eq!(
        ids(&res.data()["messages"]["items"]),
        vec![id(&d2), id(&d1)]
    );
    let res = get(&app, &bob, "/api/v1/chat/conversations").await;
    assert_eq!(res.data()["items"][1]["unread_count"], 0);

    // The direct room is one room whoever writes first; it is a room of kind direct.
    let reply = dm(&app, &bob, &ann, "yes!").await;
    assert_eq!(reply["room_id"], room_id.as_str());
    let room = room_view(&app, &ann, &room_id).await;
    assert_eq!(room["kind"], "direct");
    assert!(room["name"].is_null());
    assert_eq!(room["member_count"], 2);
    // Posting into it by room id works for its members, and nobody else sees it.
    send(&app, &ann, &room_id, "via the room").await;
    get(&app, &cat, &format!("/api/v1/chat/rooms/{room_id}"))
        .await
        .expect_error(404, "NOT_FOUND");
    // Direct rooms are not listed with rooms, and cannot be left, joined, renamed or invited to.
    assert_eq!(
        rooms(&app, &ann, "?mine=true").await["pagination"]["total"],
        0
    );
    leave(&app, &ann, &room_id)
        .await
        .expect_error(409, "DIRECT_ROOM");
    post(
        &app,
        &ann,
        &format!("/api/v1/chat/rooms/{room_id}/members"),
        json!({"user_id": cat.id}),
    )
    .await
    .expect_error(409, "DIRECT_ROOM");
    patch(
        &app,
        &ann,
        &format!("/api/v1/chat/rooms/{room_id}"),
        json!({"name": "ours"}),
    )
    .await
    .expect_error(409, "DIRECT_ROOM");
    join_room(&app, &cat, &room_id)
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn direct_messages_to_yourself_or_nobody_are_refused() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let res = post(
        &app,
        &ann,
        &format!("/api/v1/chat/direct/{}/messages", ann.id),
        json!({"body": "note to self"}),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), vec!["user_id"]);
    get(&app, &ann, &format!("/api/v1/chat/direct/{}", ann.id))
        .await
        .expect_error(422, "VALIDATION_ERROR");
    let nobody = Uuid::now_v7();
    get(&app, &ann, &format!("/api/v1/chat/direct/{nobody}"))
        .await
        .expect_error(404, "NOT_FOUND");
    post(
        &app,
        &ann,
        &format!("/api/v1/chat/direct/{nobody}/messages"),
        json!({"body": "hello?"}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    // A deleted account is gone too.
    let bob = register(&app, "bob").await;
    dm(&app, &ann, &bob, "before you go").await;
    call(
        &app,
        Method::DELETE,
        "/api/v1/users/me",
        &bob.token,
        Some(json!({"password": PASSWORD})),
    )
    .await
    .expect(204);
    get(&app, &ann, &format!("/api/v1/chat/direct/{}", bob.id))
        .await
        .expect_error(404, "NOT_FOUND");
    post(
        &app,
        &ann,
        &format!("/api/v1/chat/direct/{}/messages", bob.id),
        json!({"body": "hello?"}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    // The old conversation is still listed, with the anonymised account.
    let res = get(&app, &ann, "/api/v1/chat/conversations").await;
    assert_eq!(res.data()["pagination"]["total"], 1);
    assert_ne!(res.data()["items"][0]["other_user"]["username"], "bob");
    assert_eq!(
        res.data()["items"][0]["other_user"]["display_name"],
        "Deleted user"
    );
}

/// A deactivated account (an admin set `is_active = false`) is not messaged or invited: 403
/// `USER_INACTIVE`. Its scheduled messages, and scheduled direct messages to it, fail with the
/// reason instead of going out. The old conversation can still be read.
#[tokio::test]
async fn deactivated_accounts_are_not_messaged_invited_or_sent_for() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let cid = register(&app, "cid").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    let inner = room(&app, &ann, "Inner circle", "private").await;
    dm(&app, &ann, &bob, "hi bob").await;
    let later = app.state.clock.now() + chrono::Duration::minutes(5);
    for (who, path, body) in [
        (
            &bob,
            format!("/api/v1/chat/rooms/{lobby}/messages"),
            "bob, later",
        ),
        (
            &bob,
            format!("/api/v1/chat/direct/{}/messages", cid.id),
            "to cid, later",
        ),
        (
            &ann,
            format!("/api/v1/chat/direct/{}/messages", bob.id),
            "to bob, later",
        ),
    ] {
        post(&app, who, &path, json!({"body": body, "send_at": later}))
            .await
            .expect(202);
    }
    deactivate(&app, &bob).await;

    let to_bob = format!("/api/v1/chat/direct/{}/messages", bob.id);
    let res = post(&app, &ann, &to_bob, json!({"body": "still there?"})).await;
    res.expect_error(403, "USER_INACTIVE");
    assert!(res.text.contains("deactivated"), "{}", res.text);
    post(
        &app,
        &ann,
        &to_bob,
        json!({"body": "later?", "send_at": later + chrono::Duration::minutes(5)}),
    )
    .await
    .expect_error(403, "USER_INACTIVE");
    post(
        &app,
        &ann,
        &format!("/api/v1/chat/rooms/{inner}/members"),
        json!({"user_id": bob.id}),
    )
    .await
    .expect_error(403, "USER_INACTIVE");
    let res = get(&app, &ann, &format!("/api/v1/chat/direct/{}", bob.id)).await;
    res.expect(200);
    assert_eq!(res.data()["messages"]["items"][0]["body"], "hi bob");

    app.advance(chrono::Duration::minutes(6));
    wait_until("the three deliveries to fail", || async {
        count(
            &app,
            "SELECT COUNT(*) AS n FROM chat_scheduled_messages WHERE status = 'failed' \
             AND error LIKE '%deactivated%'",
        )
        .await
            == 3
    })
    .await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM chat_scheduled_messages WHERE message_id IS NOT NULL"
        )
        .await,
        0,
        "nothing was sent"
    );
    assert_eq!(messages(&app, &ann, &lobby, "").await["items"], json!([]));
    assert_eq!(
        get(&app, &cid, "/api/v1/chat/conversations").await.data()["pagination"]["total"],
        0
    );
    let failed = get(&app, &ann, "/api/v1/chat/scheduled?status=failed").await;
    assert_eq!(
        failed.data()["items"][0]["error"],
        "the recipient's account is deactivated"
    );
}

#[tokio::test]
async fn first_messages_at_once_make_one_conversation() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (from, to) = if i % 2 == 0 {
            (&ann, &bob)
        } else {
            (&bob, &ann)
        };
        let req = app
            .req(
                Method::POST,
                &format!("/api/v1/chat/direct/{}/messages", to.id),
            )
            .token(&from.token)
            .json(&json!({"body": format!("hello {i}")}));
        tasks.push(tokio::spawn(req.send()));
    }
    let mut rooms_seen = HashSet::new();
    for t in tasks {
        let res = t.await.unwrap();
        res.expect(201);
        rooms_seen.insert(res.data()["room_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(rooms_seen.len(), 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM chat_rooms WHERE kind = 'direct'"
        )
        .await,
        1
    );
    let conv = get(&app, &ann, "/api/v1/chat/conversations").await;
    assert_eq!(conv.data()["pagination"]["total"], 1);
}

#[tokio::test]
async fn search_finds_only_visible_live_messages() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let eve = register(&app, "eve").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    let secret = room(&app, &ann, "Secret", "private").await;
    let lonely = room(&app, &eve, "Eve's corner", "public").await;

    let hit1 = send(&app, &ann, &lobby, "The deploy of the Rust service is done").await;
    send(&app, &ann, &secret, "secret rust deploy notes").await;
    send(&app, &eve, &lonely, "rust deploy gossip").await;
    let gone = send(&app, &bob, &lobby, "rust deploy failed, sorry").await;
    delete(&app, &bob, &format!("/api/v1/chat/messages/{}", id(&gone)))
        .await
        .expect(200);
    let dm_hit = dm(&app, &ann, &bob, "rust deploy tomorrow?").await;
    let edited = send(&app, &bob, &lobby, "nothing to see").await;
    patch(
        &app,
        &bob,
        &format!("/api/v1/chat/messages/{}", id(&edited)),
        json!({"body": "Rust-deploy: rolled out"}),
    )
    .await
    .expect(200);

    let search = |user: &User, q: &str| {
        let path = format!("/api/v1/chat/search?q={q}");
        let tok = user.token.clone();
        let app = &app;
        async move {
            let res = call(app, Method::GET, &path, &tok, None).await;
            res.expect(200);
            res.data().clone()
        }
    };
    // Bob: the lobby and his DM, not the private room, not Eve's public room he never joined,
    // not the deleted message; newest first; the edited body is what is indexed.
    let res = search(&bob, "RUST%20deploy").await;
    assert_eq!(
        res["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["message"]["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>(),
        vec![id(&edited), id(&dm_hit), id(&hit1)]
    );
    assert_eq!(res["pagination"]["total"], 3);
    assert_eq!(res["items"][1]["room_kind"], "direct");
    assert_eq!(res["items"][1]["room_name"], "ann Person");
    assert_eq!(res["items"][2]["room_name"], "Lobby");
    // The old body of the edited message is not found.
    assert_eq!(search(&bob, "nothing").await["pagination"]["total"], 0);
    // Ann sees her private room too.
    assert_eq!(search(&ann, "deploy").await["pagination"]["total"], 4);
    // Pagination.
    let page = search(&ann, "deploy&limit=3&page=2").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    // Hostile input is just words.
    assert_eq!(
        search(&bob, "%22rust%22%20OR%20*").await["pagination"]["total"],
        0
    );
    assert_eq!(
        search(&bob, "deploy%22)%20--").await["pagination"]["total"],
        3
    );
    assert_eq!(
        search(&bob, "deploy&page=18446744073709551615").await["items"],
        json!([])
    );
    get(&app, &bob, "/api/v1/chat/search?q=%20!!")
        .await
        .expect_error(422, "VALIDATION_ERROR");
    get(&app, &bob, "/api/v1/chat/search").await.expect(422);
}

#[tokio::test]
async fn messages_sent_later_are_delivered_by_the_queue() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    let now = app.state.clock.now();
    let path = format!("/api/v1/chat/rooms/{lobby}/messages");

    // Validation: past, too far, bad body.
    for (send_at, field) in [
        (now - chrono::Duration::minutes(1), "send_at"),
        (now + chrono::Duration::days(91), "send_at"),
    ] {
        let res = post(&app, &ann, &path, json!({"body": "x", "send_at": send_at})).await;
        res.expect_error(422, "VALIDATION_ERROR");
        assert_eq!(res.error_fields(), vec![field]);
    }
    post(
        &app,
        &ann,
        &path,
        json!({"body": "", "send_at": now + chrono::Duration::minutes(5)}),
    )
    .await
    .expect_error(422, "VALIDATION_ERROR");
    // Outsiders cannot schedule into a private room.
    let secret = room(&app, &ann, "Secret", "private").await;
    post(
        &app,
        &bob,
        &format!("/api/v1/chat/rooms/{secret}/messages"),
        json!({"body": "x", "send_at": now + chrono::Duration::minutes(5)}),
    )
    .await
    .expect_error(404, "NOT_FOUND");

    // 202 with the item; listed; not visible yet.
    let send_at = now + chrono::Duration::minutes(10);
    let res = post(
        &app,
        &ann,
        &path,
        json!({"body": "good morning @bob", "send_at": send_at}),
    )
    .await;
    res.expect(202);
    let item = res.data().clone();
    assert_eq!(item["status"], "pending");
    assert_eq!(item["room_id"], lobby.as_str());
    assert!(item["message_id"].is_null());
    let dm_res = post(
        &app,
        &ann,
        &format!("/api/v1/chat/direct/{}/messages", bob.id),
        json!({"body": "later, in private", "send_at": now + chrono::Duration::minutes(12)}),
    )
    .await;
    dm_res.expect(202);
    assert_eq!(dm_res.data()["recipient"]["username"], "bob");
    let cancelled = post(
        &app,
        &ann,
        &path,
        json!({"body": "never mind", "send_at": send_at}),
    )
    .await;
    cancelled.expect(202);
    let res = get(&app, &ann, "/api/v1/chat/scheduled").await;
    res.expect(200);
    assert_eq!(res.data()["pagination"]["total"], 3);
    assert_eq!(res.data()["items"][0]["id"], item["id"]);
    assert_eq!(
        get(&app, &bob, "/api/v1/chat/scheduled").await.data()["pagination"]["total"],
        0
    );

    // Cancel: only mine, only once.
    let cancel_path = format!("/api/v1/chat/scheduled/{}", id(cancelled.data()));
    delete(&app, &bob, &cancel_path)
        .await
        .expect_error(404, "NOT_FOUND");
    delete(&app, &ann, &cancel_path).await.expect(204);
    delete(&app, &ann, &cancel_path)
        .await
        .expect_error(409, "NOT_PENDING");

    wait_due_jobs(&app).await;
    assert_eq!(messages(&app, &bob, &lobby, "").await["items"], json!([]));

    // Eleven minutes later the room message is delivered, the DM not yet.
    app.advance(chrono::Duration::minutes(11));
    wait_until("the scheduled message", || async {
        !messages(&app, &bob, &lobby, "").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    })
    .await;
    let list = messages(&app, &bob, &lobby, "").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "the cancelled one stays unsent"
    );
    assert_eq!(list["items"][0]["body"], "good morning @bob");
    assert_eq!(list["items"][0]["author"]["username"], "ann");
    assert_eq!(list["items"][0]["mentions"], json!([bob.id]));
    let res = get(&app, &ann, "/api/v1/chat/scheduled").await;
    assert_eq!(res.data()["pagination"]["total"], 1);
    delete(&app, &ann, &format!("/api/v1/chat/scheduled/{}", id(&item)))
        .await
        .expect_error(409, "NOT_PENDING");
    assert_eq!(
        get(&app, &bob, "/api/v1/chat/conversations").await.data()["pagination"]["total"],
        0
    );

    app.advance(chrono::Duration::minutes(2));
    wait_until("the scheduled direct message", || async {
        get(&app, &bob, "/api/v1/chat/conversations").await.data()["pagination"]["total"] == 1
    })
    .await;
    let res = get(&app, &bob, &format!("/api/v1/chat/direct/{}", ann.id)).await;
    assert_eq!(
        res.data()["messages"]["items"][0]["body"],
        "later, in private"
    );
    assert_eq!(res.data()["conversation"]["unread_count"], 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM chat_scheduled_messages WHERE status = 'sent'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_scheduled_message_fails_when_the_author_left() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    let send_at = app.state.clock.now() + chrono::Duration::minutes(5);
    post(
        &app,
        &bob,
        &format!("/api/v1/chat/rooms/{lobby}/messages"),
        json!({"body": "see you", "send_at": send_at}),
    )
    .await
    .expect(202);
    leave(&app, &bob, &lobby).await.expect(204);
    app.advance(chrono::Duration::minutes(6));
    wait_until("the delivery attempt", || async {
        count(
            &app,
            "SELECT COUNT(*) AS n FROM chat_scheduled_messages WHERE status = 'failed'",
        )
        .await
            == 1
    })
    .await;
    assert_eq!(messages(&app, &ann, &lobby, "").await["items"], json!([]));
    assert_eq!(
        get(&app, &bob, "/api/v1/chat/scheduled").await.data()["pagination"]["total"],
        0
    );
    // The failed one is listed on its own, with why; nobody else sees it.
    let failed = get(&app, &bob, "/api/v1/chat/scheduled?status=failed").await;
    failed.expect(200);
    let items = failed.data()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "failed");
    assert_eq!(items[0]["body"], "see you");
    assert!(
        !items[0]["error"].as_str().unwrap_or_default().is_empty(),
        "{items:?}"
    );
    assert_eq!(
        get(&app, &ann, "/api/v1/chat/scheduled?status=failed")
            .await
            .data()["pagination"]["total"],
        0
    );
    get(&app, &bob, "/api/v1/chat/scheduled?status=sent")
        .await
        .expect_error(400, "INVALID_QUERY");
}

#[tokio::test]
async fn bus_events_follow_the_commit() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let mut rx = app.state.bus.subscribe();
    let lobby = room(&app, &ann, "Lobby", "public").await;
    let ev = next_event(&mut rx, "chat.membership").await;
    assert_eq!(
        ev,
        json!({"room_id": lobby, "user_id": ann.id, "member": true})
    );
    join(&app, &bob, &lobby).await;
    let ev = next_event(&mut rx, "chat.membership").await;
    assert_eq!(
        ev,
        json!({"room_id": lobby, "user_id": bob.id, "member": true})
    );

    // new_message: the message is stored when the event arrives.
    let msg = send(&app, &ann, &lobby, "hello").await;
    let ev = next_event(&mut rx, "chat.event").await;
    assert_eq!(ev["room_id"], lobby.as_str());
    assert_eq!(ev["frame"]["type"], "new_message");
    assert_eq!(ev["frame"]["room_id"], lobby.as_str());
    assert_eq!(ev["frame"]["message"], msg);
    let stored = get(&app, &bob, &format!("/api/v1/chat/messages/{}", id(&msg))).await;
    stored.expect(200);

    // A refused write publishes nothing.
    let other = room(&app, &ann, "Other", "public").await;
    let foreign = send(&app, &ann, &other, "elsewhere").await;
    let _ = drain(&mut rx, "chat.event");
    post(
        &app,
        &ann,
        &format!("/api/v1/chat/rooms/{lobby}/messages"),
        json!({"body": "reply", "reply_to": foreign["id"]}),
    )
    .await
    .expect(422);
    post(
        &app,
        &bob,
        &format!("/api/v1/chat/rooms/{other}/messages"),
        json!({"body": "x"}),
    )
    .await
    .expect(403);
    assert!(drain(&mut rx, "chat.event").is_empty());
    assert_eq!(
        messages(&app, &ann, &lobby, "").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Edit and delete: message_updated.
    let path = format!("/api/v1/chat/messages/{}", id(&msg));
    patch(&app, &ann, &path, json!({"body": "hello!"}))
        .await
        .expect(200);
    let ev = next_event(&mut rx, "chat.event").await;
    assert_eq!(ev["frame"]["type"], "message_updated");
    assert_eq!(ev["frame"]["message"]["body"], "hello!");
    // Reactions: reaction_updated, only when something changed.
    post(
        &app,
        &bob,
        &format!("{path}/reactions"),
        json!({"emoji": "👋"}),
    )
    .await
    .expect(200);
    let ev = next_event(&mut rx, "chat.event").await;
    assert_eq!(
        ev["frame"],
        json!({"type": "reaction_updated", "room_id": lobby, "message_id": msg["id"],
               "reactions": [{"emoji": "👋", "count": 1, "user_ids": [bob.id]}]})
    );
    post(
        &app,
        &bob,
        &format!("{path}/reactions"),
        json!({"emoji": "👋"}),
    )
    .await
    .expect(200);
    // Read receipt.
    post(
        &app,
        &bob,
        &format!("/api/v1/chat/rooms/{lobby}/read"),
        json!({"message_id": msg["id"]}),
    )
    .await
    .expect(200);
    let ev = next_event(&mut rx, "chat.event").await;
    assert_eq!(
        ev["frame"]["type"], "read_receipt",
        "no event for the repeated reaction"
    );
    assert_eq!(ev["frame"]["user_id"], bob.id.as_str());
    assert_eq!(ev["frame"]["last_read_message_id"], msg["id"]);
    delete(&app, &ann, &path).await.expect(200);
    let ev = next_event(&mut rx, "chat.event").await;
    assert_eq!(ev["frame"]["type"], "message_updated");
    assert_eq!(ev["frame"]["message"]["deleted"], true);
    assert_eq!(ev["frame"]["message"]["body"], "");

    // Direct: one membership event per participant, then new_direct_message.
    let d = dm(&app, &ann, &bob, "psst").await;
    let mut joined = vec![
        next_event(&mut rx, "chat.membership").await["user_id"].clone(),
        next_event(&mut rx, "chat.membership").await["user_id"].clone(),
    ];
    joined.sort_by_key(|v| v.as_str().unwrap().to_owned());
    let mut want = vec![json!(ann.id), json!(bob.id)];
    want.sort_by_key(|v| v.as_str().unwrap().to_owned());
    assert_eq!(joined, want);
    let ev = next_event(&mut rx, "chat.event").await;
    assert_eq!(ev["frame"]["type"], "new_direct_message");
    assert_eq!(ev["room_id"], d["room_id"]);
    // A rename or a new topic: room_updated with the room's own fields.
    patch(
        &app,
        &ann,
        &format!("/api/v1/chat/rooms/{lobby}"),
        json!({"name": "Big lobby", "topic": "Say hi"}),
    )
    .await
    .expect(200);
    let ev = next_event(&mut rx, "chat.event").await;
    assert_eq!(ev["room_id"], lobby.as_str());
    assert_eq!(ev["frame"]["type"], "room_updated");
    assert_eq!(ev["frame"]["name"], "Big lobby");
    assert_eq!(ev["frame"]["topic"], "Say hi");
    // Leaving: member false.
    leave(&app, &bob, &lobby).await.expect(204);
    let ev = next_event(&mut rx, "chat.membership").await;
    assert_eq!(
        ev,
        json!({"room_id": lobby, "user_id": bob.id, "member": false})
    );
}

#[tokio::test]
async fn object_rooms_are_made_once_for_other_domains() {
    use vertechie_messaging::service::chat;
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let cat = register(&app, "cat").await;
    let object = Uuid::now_v7();
    let ann_id: Uuid = ann.id.parse().unwrap();
    let bob_id: Uuid = bob.id.parse().unwrap();
    let cat_id: Uuid = cat.id.parse().unwrap();
    let first = chat::ensure_object_room(
        &app.state,
        "application",
        object,
        "Application #1",
        &[ann_id, bob_id, Uuid::now_v7()],
    )
    .await
    .unwrap();
    let again = chat::ensure_object_room(
        &app.state,
        "application",
        object,
        "Application #1",
        &[bob_id, cat_id],
    )
    .await
    .unwrap();
    assert_eq!(first, again);
    let view = room_view(&app, &cat, &first.to_string()).await;
    assert_eq!(view["kind"], "private");
    assert_eq!(view["object_type"], "application");
    assert_eq!(view["object_id"], object.to_string());
    assert_eq!(view["member_count"], 3);
    let other = chat::ensure_object_room(&app.state, "booking", object, "Booking", &[ann_id])
        .await
        .unwrap();
    assert_ne!(other, first);
    let err = chat::ensure_object_room(&app.state, "", object, "x", &[])
        .await
        .unwrap_err();
    assert_eq!(err.code, "VALIDATION_ERROR");

    // What the gateway asks.
    let mut rooms_of_bob = chat::member_room_ids(&app.state, bob_id).await.unwrap();
    rooms_of_bob.sort();
    assert_eq!(rooms_of_bob, vec![first]);
    let mut contacts = chat::contacts(&app.state, bob_id).await.unwrap();
    contacts.sort();
    let mut want = vec![ann_id, cat_id];
    want.sort();
    assert_eq!(contacts, want);
    assert_eq!(
        chat::room_access(&app.state, bob_id, first).await.unwrap(),
        "private"
    );
    let outsider = register(&app, "dan").await;
    let err = chat::room_access(&app.state, outsider.id.parse().unwrap(), first)
        .await
        .unwrap_err();
    assert_eq!(err.code, "NOT_FOUND");
}

/// Presence contacts come from rooms of at most `PRESENCE_ROOM_MAX` members: sharing a crowd
/// does not make people each other's contacts (their coming and going would cost the square of
/// the room's size in frames); a small room or a DM does.
#[tokio::test]
async fn large_rooms_do_not_make_presence_contacts() {
    use vertechie_messaging::service::chat;
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let cat = register(&app, "cat").await;
    let big = room(&app, &ann, "Everyone", "public").await;
    join(&app, &bob, &big).await;
    join(&app, &cat, &big).await;
    let bob_id: Uuid = bob.id.parse().unwrap();
    let contacts = |app: &TestApp| {
        let state = app.state.clone();
        async move {
            let mut c = chat::contacts(&state, bob_id).await.unwrap();
            c.sort();
            c
        }
    };
    let mut both: Vec<Uuid> = vec![ann.id.parse().unwrap(), cat.id.parse().unwrap()];
    both.sort();
    assert_eq!(contacts(&app).await, both, "a room of three");

    let limit = chat::PRESENCE_ROOM_MAX as usize;
    for n in 0..limit - 3 {
        let u = register(&app, &format!("crowd{n:03}")).await;
        join(&app, &u, &big).await;
    }
    // Exactly the limit: still contacts.
    assert_eq!(contacts(&app).await.len(), limit - 1);
    let last = register(&app, "onemore").await;
    join(&app, &last, &big).await;
    assert!(contacts(&app).await.is_empty(), "a room over the limit");
    // A direct conversation makes a contact whatever else is shared.
    dm(&app, &bob, &cat, "hi").await;
    assert_eq!(contacts(&app).await, vec![cat.id.parse::<Uuid>().unwrap()]);
}

/// Two owners stepping down at the same moment: one succeeds, the other is the last owner.
#[tokio::test]
async fn two_owners_stepping_down_at_once_leave_one_owner() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let cat = register(&app, "cat").await;
    for round in 0..4 {
        let lobby = room(&app, &ann, &format!("Lobby {round}"), "public").await;
        join(&app, &bob, &lobby).await;
        join(&app, &cat, &lobby).await;
        let members_path = format!("/api/v1/chat/rooms/{lobby}/members");
        put(
            &app,
            &ann,
            &format!("{members_path}/{}", bob.id),
            json!({"role": "owner"}),
        )
        .await
        .expect(200);
        let ann_path = format!("{members_path}/{}", ann.id);
        let bob_path = format!("{members_path}/{}", bob.id);
        // Even rounds: both demote themselves; odd rounds: both leave.
        let (a, b) = if round % 2 == 0 {
            tokio::join!(
                put(&app, &ann, &ann_path, json!({"role": "member"})),
                put(&app, &bob, &bob_path, json!({"role": "member"}))
            )
        } else {
            tokio::join!(leave(&app, &ann, &lobby), leave(&app, &bob, &lobby))
        };
        let mut statuses = [a.status, b.status];
        statuses.sort();
        let ok = if round % 2 == 0 { 200 } else { 204 };
        assert_eq!(statuses, [ok, 409], "round {round}");
        let members = get(&app, &cat, &members_path).await;
        let owners = members.data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "owner")
            .count();
        assert_eq!(owners, 1, "round {round}");
    }
}
