#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The realtime gateway through a real WebSocket client against the real server: authentication
//! at upgrade, ping/pong, ordering, catch-up by cursor, propagation of edits, deletions,
//! reactions, read receipts and typing, bad frames, flooding, idle and slow clients, authz,
//! revoked sessions, notifications, presence and room counts, graceful shutdown, and two
//! instances over Redis (skipped with a message when Redis is unreachable, unless
//! `VERTECHIE_REDIS_TESTS=required`).

use crate::common;

use std::time::Duration;

use common::{PNG, User, add, dm, download, get, join, register, room, send, upload};
use futures::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use vertechie_kernel::testkit::{TestApp, test_redis};
use vertechie_messaging::gateway::{self, Gateway, Limits};
use vertechie_server::testing::{spawn, spawn_beside, spawn_with};

/// How long a test waits for any one frame.
const WAIT: Duration = Duration::from_secs(5);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Which frames a test waits for.
type FramePred<'a> = dyn Fn(&Value) -> bool + 'a;

/// A test client: JSON frames in, JSON frames out, with the `ready` frame kept.
struct Client {
    ws: Socket,
    ready: Value,
    next_ref: u64,
}

fn ws_request(app: &TestApp, query: &str) -> Request {
    format!("ws://{}/api/v1/ws{query}", app.addr)
        .into_client_request()
        .unwrap()
}

async fn connect(app: &TestApp, user: &User) -> Client {
    Client::open(ws_request(app, &format!("?token={}", user.token))).await
}

/// The status and error code of a refused upgrade.
async fn refused(req: Request) -> (u16, String) {
    match tokio_tungstenite::connect_async(req).await {
        Err(tungstenite::Error::Http(res)) => {
            let body: Value = res
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            (
                res.status().as_u16(),
                body["error"]["code"].as_str().unwrap_or("").to_owned(),
            )
        }
        Ok(_) => panic!("the upgrade should have been refused"),
        Err(e) => panic!("unexpected failure: {e}"),
    }
}

impl Client {
    async fn open(req: Request) -> Client {
        let (ws, res) = tokio_tungstenite::connect_async(req)
            .await
            .expect("upgrade");
        assert_eq!(res.status(), 101);
        let mut c = Client {
            ws,
            ready: Value::Null,
            next_ref: 0,
        };
        let ready = c.next().await;
        assert_eq!(ready["type"], "ready", "{ready}");
        c.ready = ready;
        c
    }

    async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .unwrap();
    }

    /// The next JSON frame (control frames skipped); panics after 5 s or when the socket ends.
    async fn next(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("no frame within 5 s")
                .expect("the socket ended")
                .expect("socket error");
            match msg {
                Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                Message::Close(f) => panic!("the socket closed: {f:?}"),
                _ => {}
            }
        }
    }

    /// The next frame of type `kind` for which `pred` holds; frames before it are skipped.
    async fn wait_for(&mut self, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let f = tokio::time::timeout_at(deadline, self.next())
                .await
                .unwrap_or_else(|_| panic!("no {kind} frame within 5 s"));
            if f["type"] == kind && pred(&f) {
                return f;
            }
        }
    }

    /// One frame for each `(type, pred)`, whatever order they arrive in; others are skipped.
    async fn wait_each(&mut self, wanted: &[(&str, &FramePred<'_>)]) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut found: Vec<Option<Value>> = vec![None; wanted.len()];
        while found.iter().any(Option::is_none) {
            let f = tokio::time::timeout_at(deadline, self.next())
                .await
                .unwrap_or_else(|_| panic!("still waiting within 5 s; found {found:?}"));
            if let Some(i) = (0..wanted.len())
                .find(|&i| found[i].is_none() && f["type"] == wanted[i].0 && wanted[i].1(&f))
            {
                found[i] = Some(f);
            }
        }
        found.into_iter().flatten().collect()
    }

    /// Frames of every type until one of type `kind` arrives (that one included, last).
    async fn until(&mut self, kind: &str) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let f = self.next().await;
            let done = f["type"] == kind;
            seen.push(f);
            if done {
                return seen;
            }
        }
    }

    /// Sends `frame` with a fresh `ref` and returns the answer carrying it.
    async fn request(&mut self, mut frame: Value) -> Value {
        self.next_ref += 1;
        let r = format!("r{}", self.next_ref);
        frame["ref"] = json!(r);
        self.send(frame).await;
        loop {
            let f = self.next().await;
            if f["ref"] == r.as_str() {
                return f;
            }
        }
    }

    async fn ok(&mut self, frame: Value) -> Value {
        let a = self.request(frame).await;
        assert_eq!(a["type"], "ack", "{a}");
        a
    }

    async fn error(&mut self, frame: Value, code: &str) -> Value {
        let e = self.request(frame).await;
        assert_eq!(e["type"], "error", "{e}");
        assert_eq!(e["code"], code, "{e}");
        e
    }

    /// The code of the close frame the server sends within `within` (None: no close frame,
    /// the connection just ended).
    async fn closed(&mut self, within: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => panic!("the socket is still open after {within:?}"),
                Ok(Some(Ok(Message::Close(f)))) => return f.map(|f| u16::from(f.code)),
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_))) | Ok(None) => return None,
            }
        }
    }
}

fn gw(app: &TestApp) -> &Gateway {
    gateway::gateway(&app.state).unwrap()
}

fn with_limits(app: &TestApp, f: impl FnOnce(&mut Limits)) {
    let mut l = gw(app).limits();
    f(&mut l);
    gw(app).set_limits(l);
}

/// Two users who share a public room (owned by the first).
async fn pair(app: &TestApp) -> (User, User, String) {
    let alice = register(app, "alice").await;
    let bob = register(app, "bob").await;
    let r = room(app, &alice, "General", "public").await;
    join(app, &bob, &r).await;
    (alice, bob, r)
}

#[tokio::test]
async fn upgrade_needs_a_valid_credential() {
    let app = spawn().await;
    let alice = register(&app, "alice").await;

    // Refused before upgrading, with the error envelope.
    assert_eq!(refused(ws_request(&app, "")).await.0, 401);
    assert_eq!(refused(ws_request(&app, "?token=not.a.jwt")).await.0, 401);
    let res = app.get("/api/v1/ws").await;
    res.expect_error(401, "TOKEN_MISSING");
    let res = app.get("/api/v1/ws?token=not.a.jwt").await;
    res.expect_error(401, "TOKEN_INVALID");
    // A signed-in request that is not a WebSocket handshake.
    let res = app
        .req(Method::GET, "/api/v1/ws")
        .token(&alice.token)
        .send()
        .await;
    res.expect_error(426, "UPGRADE_REQUIRED");

    // The access token in the query, or as a bearer header. The compression layer leaves the
    // handshake alone.
    let mut req = ws_request(&app, &format!("?token={}", alice.token));
    req.headers_mut()
        .insert("accept-encoding", "gzip, br".parse().unwrap());
    let (mut ws, res) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(res.status(), 101);
    assert!(res.headers().get("content-encoding").is_none(), "{res:?}");
    let ready = ws.next().await.unwrap().unwrap();
    assert!(ready.to_text().unwrap().contains(r#""type":"ready""#));
    let c = connect(&app, &alice).await;
    assert_eq!(c.ready["user"]["id"], alice.id.as_str());
    assert_eq!(c.ready["user"]["username"], "alice");
    let mut req = ws_request(&app, "");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", alice.token).parse().unwrap(),
    );
    Client::open(req).await;

    // The browser's session cookie; from another site's page it is refused.
    let browser = app.browser();
    browser.sign_in("alice@example.com", common::PASSWORD).await;
    let cookie = format!("vt_session={}", browser.cookie("vt_session").unwrap());
    let mut req = ws_request(&app, "");
    req.headers_mut().insert("cookie", cookie.parse().unwrap());
    req.headers_mut()
        .insert("origin", format!("http://{}", app.addr).parse().unwrap());
    let c = Client::open(req).await;
    assert_eq!(c.ready["user"]["id"], alice.id.as_str());
    let mut req = ws_request(&app, "");
    req.headers_mut().insert("cookie", cookie.parse().unwrap());
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(refused(req).await, (403, "ORIGIN_NOT_ALLOWED".into()));
    let mut req = ws_request(&app, "");
    req.headers_mut()
        .insert("cookie", "vt_session=forged.value".parse().unwrap());
    assert_eq!(refused(req).await.0, 401);
}

#[tokio::test]
async fn ping_answers_with_its_ref_and_sockets_outlive_the_request_timeout() {
    let app = spawn_with(|c| c.request_timeout_secs = 1).await;
    let alice = register(&app, "alice").await;
    let mut c = connect(&app, &alice).await;
    let pong = c.request(json!({"type": "ping"})).await;
    assert_eq!(pong["type"], "pong");
    assert!(pong["server_time"].is_string());
    c.send(json!({"type": "ping", "ref": 42})).await;
    let pong = c.next().await;
    assert_eq!(
        (pong["type"].as_str(), pong["ref"].as_i64()),
        (Some("pong"), Some(42))
    );
    // Longer than the HTTP request timeout: an upgraded socket is no longer a request.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pong = c.request(json!({"type": "ping"})).await;
    assert_eq!(pong["type"], "pong");
}

#[tokio::test]
async fn a_room_receives_messages_in_the_order_they_were_sent() {
    let app = spawn().await;
    with_limits(&app, |l| l.burst = 200);
    let (alice, bob, r) = pair(&app).await;
    let mut a = connect(&app, &alice).await;
    let mut b = connect(&app, &bob).await;
    // The rooms of a member are loaded at connect: no join_room needed to receive them.
    assert!(
        b.ready["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == r.as_str()),
        "{}",
        b.ready
    );
    for i in 0..50 {
        a.send(json!({"type": "send_message", "room_id": r, "body": format!("m{i}"), "ref": i}))
            .await;
    }
    let mut got = Vec::new();
    while got.len() < 50 {
        got.push(b.wait_for("new_message", |_| true).await["message"].clone());
    }
    let bodies: Vec<String> = got
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    let sent: Vec<String> = (0..50).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies, sent);
    let ids: Vec<uuid::Uuid> = got
        .iter()
        .map(|m| m["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
    // Every frame was acked, in order, with the stored message.
    let mut acked = Vec::new();
    while acked.len() < 50 {
        let f = a.next().await;
        if f["type"] == "ack" {
            assert_eq!(f["for"], "send_message");
            assert_eq!(f["message"]["body"], format!("m{}", f["ref"]));
            acked.push(f["ref"].as_i64().unwrap());
        }
    }
    assert_eq!(acked, (0..50).collect::<Vec<i64>>());
}

#[tokio::test]
async fn a_reconnecting_client_catches_up_by_cursor() {
    let app = spawn().await;
    let (alice, bob, r) = pair(&app).await;
    let mut b = connect(&app, &bob).await;
    send(&app, &alice, &r, "before").await;
    let seen = b
        .wait_for("new_message", |f| f["message"]["body"] == "before")
        .await;
    let last = seen["message"]["id"].as_str().unwrap().to_owned();
    drop(b);
    for i in 0..3 {
        send(&app, &alice, &r, &format!("missed {i}")).await;
    }
    let mut b = connect(&app, &bob).await;
    let page = get(
        &app,
        &bob,
        &format!("/api/v1/chat/rooms/{r}/messages?after={last}"),
    )
    .await;
    page.expect(200);
    let mut missed: Vec<(String, String)> = page.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_owned(),
                m["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    missed.sort();
    let bodies: Vec<&str> = missed.iter().map(|(_, b)| b.as_str()).collect();
    assert_eq!(bodies, ["missed 0", "missed 1", "missed 2"]);
    // And live again.
    send(&app, &alice, &r, "after").await;
    b.wait_for("new_message", |f| f["message"]["body"] == "after")
        .await;
}

#[tokio::test]
async fn edits_deletions_and_reactions_reach_the_room() {
    let app = spawn().await;
    let (alice, bob, r) = pair(&app).await;
    let mut a = connect(&app, &alice).await;
    let mut b = connect(&app, &bob).await;
    let ack = a
        .ok(json!({"type": "send_message", "room_id": r, "body": "hello **world**"}))
        .await;
    let mid = ack["message"]["id"].as_str().unwrap().to_owned();
    assert_eq!(ack["message"]["body_html"], "hello <strong>world</strong>");
    let is_mid = |f: &Value| f["message"]["id"] == mid.as_str() || f["message_id"] == mid.as_str();
    b.wait_for("new_message", is_mid).await;

    let ack = a
        .ok(json!({"type": "edit_message", "message_id": mid, "body": "hello again"}))
        .await;
    assert_eq!(ack["message"]["is_edited"], true);
    let upd = b.wait_for("message_updated", is_mid).await;
    assert_eq!(upd["message"]["body"], "hello again");
    assert_eq!(upd["message"]["is_edited"], true);
    // Only the author edits.
    let e = b
        .request(json!({"type": "edit_message", "message_id": mid, "body": "mine now"}))
        .await;
    assert_eq!(e["type"], "error", "{e}");

    b.ok(json!({"type": "add_reaction", "message_id": mid, "emoji": "👍"}))
        .await;
    let re = a.wait_for("reaction_updated", is_mid).await;
    assert_eq!(re["room_id"], r.as_str());
    assert_eq!(re["reactions"][0]["emoji"], "👍");
    assert_eq!(re["reactions"][0]["count"], 1);
    assert_eq!(re["reactions"][0]["user_ids"], json!([bob.id]));
    b.ok(json!({"type": "remove_reaction", "message_id": mid, "emoji": "👍"}))
        .await;
    let re = a.wait_for("reaction_updated", is_mid).await;
    assert_eq!(re["reactions"], json!([]));

    a.ok(json!({"type": "delete_message", "message_id": mid}))
        .await;
    let gone = b.wait_for("message_updated", is_mid).await;
    assert_eq!(gone["message"]["deleted"], true);
    assert_eq!(gone["message"]["body"], "");
    let e = a
        .request(json!({"type": "edit_message", "message_id": mid, "body": "back"}))
        .await;
    assert_eq!(e["type"], "error", "{e}");
}

#[tokio::test]
async fn read_receipts_reach_the_other_side_of_a_conversation() {
    let app = spawn().await;
    let alice = register(&app, "alice").await;
    let bob = register(&app, "bob").await;
    let mut a = connect(&app, &alice).await;
    let mut b = connect(&app, &bob).await;
    // The first direct message creates the conversation; the other side receives it live.
    let ack = a
        .ok(json!({"type": "send_direct_message", "to": bob.id, "body": "hi bob"}))
        .await;
    let m = ack["message"].clone();
    let got = b
        .wait_for("new_direct_message", |f| f["message"]["id"] == m["id"])
        .await;
    assert_eq!(got["message"]["body"], "hi bob");
    // Read receipts go to the other side.
    let ack = b
        .ok(json!({"type": "mark_read", "room_id": m["room_id"], "message_id": m["id"]}))
        .await;
    assert_eq!(ack["receipt"]["user_id"], bob.id.as_str());
    let rr = a
        .wait_for("read_receipt", |f| f["user_id"] == bob.id.as_str())
        .await;
    assert_eq!(rr["room_id"], m["room_id"]);
    assert_eq!(rr["last_read_message_id"], m["id"]);
    // Replying with the `user_id` alias lands in the same conversation.
    let reply = b
        .ok(json!({"type": "send_direct_message", "user_id": alice.id, "body": "hi alice"}))
        .await;
    assert_eq!(reply["message"]["room_id"], m["room_id"]);
    a.wait_for("new_direct_message", |f| f["message"]["body"] == "hi alice")
        .await;

    // A DM via REST reaches the other side's socket too.
    dm(&app, &alice, &bob, "over http").await;
    b.wait_for("new_direct_message", |f| {
        f["message"]["body"] == "over http"
    })
    .await;
}

#[tokio::test]
async fn socket_messages_carry_attachments_with_working_links() {
    let app = spawn().await;
    let alice = register(&app, "alice").await;
    let bob = register(&app, "bob").await;
    let lobby = room(&app, &alice, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    let png = upload(&app, &alice, "pixel.png", PNG).await["id"].clone();
    let his = upload(&app, &bob, "his.png", PNG).await["id"].clone();
    let mut a = connect(&app, &alice).await;
    let mut b = connect(&app, &bob).await;

    // Files without a body; the other member receives them live, with a link that downloads.
    let ack = a
        .ok(json!({"type": "send_message", "room_id": lobby, "attachments": [png]}))
        .await;
    let m = ack["message"].clone();
    assert_eq!(m["body"], "");
    assert_eq!(m["attachments"][0]["id"], png);
    assert_eq!(m["attachments"][0]["content_type"], "image/png");
    let got = b
        .wait_for("new_message", |f| f["message"]["id"] == m["id"])
        .await;
    let url = got["message"]["attachments"][0]["url"].as_str().unwrap();
    assert_eq!(download(&app, url).await, (200, PNG.to_vec()));

    // Someone else's file is refused with the element named; nothing is sent.
    let e = a
        .error(
            json!({"type": "send_message", "room_id": lobby, "body": "x", "attachments": [his]}),
            "VALIDATION_ERROR",
        )
        .await;
    assert_eq!(e["fields"][0]["field"], "attachments[0]");
    // Without files a body is still required.
    let e = a
        .error(
            json!({"type": "send_message", "room_id": lobby, "attachments": []}),
            "VALIDATION_ERROR",
        )
        .await;
    assert_eq!(e["fields"][0]["field"], "body");

    // A direct message with the same file (a file may be attached more than once).
    let ack = a
        .ok(json!({"type": "send_direct_message", "to": bob.id, "body": "again", "attachments": [png]}))
        .await;
    let dm_id = ack["message"]["id"].clone();
    let got = b
        .wait_for("new_direct_message", |f| f["message"]["id"] == dm_id)
        .await;
    assert_eq!(got["message"]["attachments"][0]["id"], png);
    assert_eq!(got["message"]["body"], "again");
}

#[tokio::test]
async fn typing_reaches_the_others_but_not_the_typist() {
    let app = spawn().await;
    let (alice, bob, r) = pair(&app).await;
    let mut a = connect(&app, &alice).await;
    let mut a2 = connect(&app, &alice).await;
    let mut b = connect(&app, &bob).await;
    a.ok(json!({"type": "typing", "room_id": r})).await;
    let t = b.wait_for("user_typing", |_| true).await;
    assert_eq!(t["room_id"], r.as_str());
    assert_eq!(t["user"]["id"], alice.id.as_str());
    assert_eq!(t["user"]["username"], "alice");
    assert_eq!(t["is_typing"], true);
    assert!(t["expires_in_ms"].as_u64().unwrap() > 0);
    // Bob's message is published after the typing event: had the typist's sockets been sent
    // the typing, it would come before the message.
    b.ok(json!({"type": "send_message", "room_id": r, "body": "typed"}))
        .await;
    for c in [&mut a, &mut a2] {
        let seen = c.until("new_message").await;
        assert!(
            seen.iter().all(|f| f["type"] != "user_typing"),
            "the typist saw their own typing: {seen:?}"
        );
    }
    // Stopping is forwarded at once (no throttle).
    a.ok(json!({"type": "typing", "room_id": r, "is_typing": false}))
        .await;
    let t = b.wait_for("user_typing", |f| f["is_typing"] == false).await;
    assert_eq!(t["user"]["id"], alice.id.as_str());
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_socket_stays_usable() {
    let app = spawn().await;
    let alice = register(&app, "alice").await;
    let carol = register(&app, "carol").await;
    let other = room(&app, &carol, "Carol's", "public").await;
    let mut c = connect(&app, &alice).await;

    c.ws.send(Message::text("{not json")).await.unwrap();
    let e = c.next().await;
    assert_eq!(
        (e["type"].as_str(), e["code"].as_str()),
        (Some("error"), Some("MALFORMED_JSON"))
    );
    assert_eq!(e["ref"], Value::Null);
    c.error(json!({"type": "dance"}), "UNKNOWN_TYPE").await;
    let e = c
        .error(
            json!({"type": "ping", "pad": "x".repeat(70 * 1024)}),
            "FRAME_TOO_LARGE",
        )
        .await;
    assert!(
        e["ref"].is_string(),
        "the ref of an oversized frame is kept: {e}"
    );
    let e = c
        .error(json!({"type": "send_message"}), "VALIDATION_ERROR")
        .await;
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["room_id", "body"]);
    c.error(
        json!({"type": "join_room", "room_id": "not-a-uuid"}),
        "VALIDATION_ERROR",
    )
    .await;
    c.error(json!({"ref": "no type"}), "VALIDATION_ERROR").await;
    c.ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(c.next().await["code"], "UNSUPPORTED_FRAME");
    // Rules of the chat service come back as error frames with the request's ref.
    let e = c
        .error(
            json!({"type": "send_message", "room_id": other, "body": "let me in"}),
            "NOT_A_MEMBER",
        )
        .await;
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
    // Still open and answering.
    assert_eq!(c.request(json!({"type": "ping"})).await["type"], "pong");
}

#[tokio::test]
async fn flooding_closes_the_socket_with_1008() {
    let app = spawn().await;
    let alice = register(&app, "alice").await;
    let mut c = connect(&app, &alice).await;
    for _ in 0..200 {
        if c.ws
            .send(Message::text(r#"{"type":"ping"}"#))
            .await
            .is_err()
        {
            break;
        }
    }
    assert_eq!(c.closed(WAIT).await, Some(1008));
    // The user may connect again.
    connect(&app, &alice).await;
}

#[tokio::test]
async fn non_members_can_neither_join_private_rooms_nor_post() {
    let app = spawn().await;
    let alice = register(&app, "alice").await;
    let carol = register(&app, "carol").await;
    let secret = room(&app, &alice, "Secret", "private").await;
    let lobby = room(&app, &alice, "Lobby", "public").await;
    let mut c = connect(&app, &carol).await;

    c.error(json!({"type": "join_room", "room_id": secret}), "NOT_FOUND")
        .await;
    let e = c
        .request(json!({"type": "send_message", "room_id": secret, "body": "hi"}))
        .await;
    assert_eq!(e["type"], "error");
    assert!(
        ["NOT_FOUND", "NOT_A_MEMBER"].contains(&e["code"].as_str().unwrap()),
        "{e}"
    );
    c.error(json!({"type": "typing", "room_id": secret}), "NOT_A_MEMBER")
        .await;
    c.error(
        json!({"type": "send_message", "room_id": lobby, "body": "hi"}),
        "NOT_A_MEMBER",
    )
    .await;
    c.error(json!({"type": "typing", "room_id": lobby}), "NOT_A_MEMBER")
        .await;
    // Anyone signed in may watch a public room, and then reads it live.
    let ack = c.ok(json!({"type": "join_room", "room_id": lobby})).await;
    assert_eq!(ack["kind"], "public");
    send(&app, &alice, &lobby, "for watchers").await;
    c.wait_for("new_message", |f| f["message"]["body"] == "for watchers")
        .await;

    // Invited into the private room, carol's open socket receives it without reconnecting ...
    add(&app, &alice, &secret, &carol).await;
    send(&app, &alice, &secret, "welcome").await;
    c.wait_for("new_message", |f| f["message"]["body"] == "welcome")
        .await;
    // ... and once removed, no longer.
    common::call(
        &app,
        Method::DELETE,
        &format!("/api/v1/chat/rooms/{secret}/members/{}", carol.id),
        &alice.token,
        None,
    )
    .await
    .expect(204);
    send(&app, &alice, &secret, "not for carol").await;
    send(&app, &alice, &lobby, "marker").await;
    let seen = c.until("new_message").await;
    let bodies: Vec<&str> = seen
        .iter()
        .filter_map(|f| f["message"]["body"].as_str())
        .collect();
    assert_eq!(bodies, ["marker"], "{seen:?}");
}

/// The id of the session behind `token`.
async fn session_id(app: &TestApp, token: &str) -> String {
    let res = common::call(app, Method::GET, "/api/v1/auth/sessions", token, None).await;
    res.expect(200);
    res.data()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_revoked_session_closes_its_sockets() {
    let app = spawn().await;
    let alice = register(&app, "alice").await;
    let laptop = common::login(&app, "alice").await;
    let laptop_session = session_id(&app, &laptop).await;
    let mut on_laptop = Client::open(ws_request(&app, &format!("?token={laptop}"))).await;
    let mut on_phone = connect(&app, &alice).await;
    common::call(
        &app,
        Method::DELETE,
        &format!("/api/v1/auth/sessions/{laptop_session}"),
        &alice.token,
        None,
    )
    .await
    .expect(204);
    assert_eq!(on_laptop.closed(WAIT).await, Some(1008));
    // The other session's socket stays.
    assert_eq!(
        on_phone.request(json!({"type": "ping"})).await["type"],
        "pong"
    );
    assert_eq!(
        refused(ws_request(&app, &format!("?token={laptop}")))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn sessions_ended_without_an_event_are_found_by_the_periodic_check() {
    let app = spawn().await;
    with_limits(&app, |l| l.session_recheck = Duration::from_millis(200));
    let alice = register(&app, "alice").await;
    let mut c = connect(&app, &alice).await;
    // Revoked behind the app's back: no bus event, so only the periodic re-check sees it (after
    // the session cache's 5 s).
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => "UPDATE sessions SET revoked_at = NOW()",
        _ => "UPDATE sessions SET revoked_at = CURRENT_TIMESTAMP",
    };
    sea_orm::ConnectionTrait::execute_unprepared(&app.state.db, sql)
        .await
        .unwrap();
    assert_eq!(c.closed(Duration::from_secs(10)).await, Some(1008));
}

#[tokio::test]
async fn notifications_are_pushed_to_the_users_sockets() {
    use vertechie_kernel::notify::{Notice, notify};
    let app = spawn().await;
    let alice = register(&app, "alice").await;
    let mut c = connect(&app, &alice).await;
    let txn = vertechie_kernel::db::begin_write(&app.state.db)
        .await
        .unwrap();
    notify(
        &app.state.queue,
        &txn,
        app.state.clock.now(),
        Notice {
            user_id: vertechie_kernel::UserId(alice.id.parse().unwrap()),
            kind: "test.hello".into(),
            title: "Hello there".into(),
            body: "A body".into(),
            link: None,
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    let n = c
        .wait_for("notification", |f| {
            f["notification"]["title"] == "Hello there"
        })
        .await;
    assert_eq!(n["notification"]["kind"], "test.hello");
    assert_eq!(n["notification"]["read"], false);
}

#[tokio::test]
async fn contacts_see_each_other_come_online_and_go_offline() {
    let app = spawn().await;
    let (alice, bob, _) = pair(&app).await;
    let stranger = register(&app, "stranger").await;
    let mut a = connect(&app, &alice).await;
    assert_eq!(a.ready["online"], json!([]));
    let b = connect(&app, &bob).await;
    assert_eq!(b.ready["online"], json!([alice.id]));
    a.wait_for("presence", |f| {
        f["user_id"] == bob.id.as_str() && f["status"] == "online"
    })
    .await;
    let presence = |ids: String| {
        let app = &app;
        let alice = &alice;
        async move {
            let res = get(app, alice, &format!("/api/v1/chat/presence?user_ids={ids}")).await;
            res.expect(200);
            res.data()
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["status"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        presence(format!("{},{},{}", alice.id, bob.id, stranger.id)).await,
        ["online", "online", "offline"]
    );
    drop(b);
    a.wait_for("presence", |f| {
        f["user_id"] == bob.id.as_str() && f["status"] == "offline"
    })
    .await;
    assert_eq!(presence(bob.id.clone()).await, ["offline"]);

    // Online while any socket is open: closing one of two says nothing.
    let b1 = connect(&app, &bob).await;
    a.wait_for("presence", |f| f["status"] == "online").await;
    let _b2 = connect(&app, &bob).await;
    drop(b1);
    common::wait_until("the first socket to go", || async {
        gw(&app).connections() == 2
    })
    .await;
    assert_eq!(presence(bob.id.clone()).await, ["online"]);

    // Asking badly.
    get(&app, &alice, "/api/v1/chat/presence")
        .await
        .expect_error(422, "VALIDATION_ERROR");
    get(&app, &alice, "/api/v1/chat/presence?user_ids=nope")
        .await
        .expect_error(422, "VALIDATION_ERROR");
    let many: Vec<String> = (0..101).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    get(
        &app,
        &alice,
        &format!("/api/v1/chat/presence?user_ids={}", many.join(",")),
    )
    .await
    .expect_error(422, "VALIDATION_ERROR");
    app.get(&format!("/api/v1/chat/presence?user_ids={}", bob.id))
        .await
        .expect_error(401, "TOKEN_MISSING");
}

/// `GET /chat/presence` answers for your contacts (and you) only: anyone else is `offline`,
/// even when connected, until you share a conversation or a small room.
#[tokio::test]
async fn presence_answers_for_contacts_only() {
    let app = spawn().await;
    let (alice, bob, _) = pair(&app).await;
    let stranger = register(&app, "stranger").await;
    let _a = connect(&app, &alice).await;
    let _b = connect(&app, &bob).await;
    let _s = connect(&app, &stranger).await;
    let ids: Vec<uuid::Uuid> = [&alice, &bob, &stranger]
        .iter()
        .map(|u| u.id.parse().unwrap())
        .collect();
    common::wait_until("all three to be online", || async {
        gw(&app).online(&ids).await.unwrap() == [true, true, true]
    })
    .await;
    async fn statuses(app: &TestApp, asker: &User, ids: &[&User]) -> Vec<String> {
        let query: Vec<&str> = ids.iter().map(|u| u.id.as_str()).collect();
        let res = get(
            app,
            asker,
            &format!("/api/v1/chat/presence?user_ids={}", query.join(",")),
        )
        .await;
        res.expect(200);
        res.data()
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["status"].as_str().unwrap().to_owned())
            .collect()
    }
    let all = [&alice, &bob, &stranger];
    assert_eq!(
        statuses(&app, &alice, &all).await,
        ["online", "online", "offline"]
    );
    assert_eq!(
        statuses(&app, &stranger, &all).await,
        ["offline", "offline", "online"]
    );
    // A first direct message makes them contacts.
    dm(&app, &stranger, &alice, "hello").await;
    assert_eq!(
        statuses(&app, &alice, &all).await,
        ["online", "online", "online"]
    );
    assert_eq!(
        statuses(&app, &stranger, &all).await,
        ["online", "offline", "online"]
    );
}

/// `GET /chat/rooms/{id}/online` as `user`: (online count, member count, usernames).
async fn online(app: &TestApp, user: &User, room: &str) -> (u64, u64, Vec<String>) {
    let res = get(app, user, &format!("/api/v1/chat/rooms/{room}/online")).await;
    res.expect(200);
    let d = res.data();
    let mut names: Vec<String> = d["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    (
        d["online_count"].as_u64().unwrap(),
        d["member_count"].as_u64().unwrap(),
        names,
    )
}

#[tokio::test]
async fn watchers_of_a_room_are_counted_and_announced() {
    let app = spawn().await;
    let (alice, bob, r) = pair(&app).await;
    let carol = register(&app, "carol").await;
    let secret = room(&app, &alice, "Secret", "private").await;
    let mut a = connect(&app, &alice).await;
    let ack = a.ok(json!({"type": "join_room", "room_id": r})).await;
    assert_eq!(
        (ack["online_count"].as_u64(), ack["member_count"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(ack["online_user_ids"], json!([alice.id]));
    let mut b = connect(&app, &bob).await;
    let ack = b.ok(json!({"type": "join_room", "room_id": r})).await;
    assert_eq!(ack["online_count"], 2);
    let joined = a
        .wait_for("user_joined", |f| f["user_id"] == bob.id.as_str())
        .await;
    assert_eq!(joined["room_id"], r.as_str());
    assert_eq!(joined["user"]["username"], "bob");
    a.wait_for("room_stats_updated", |f| {
        f["online_count"] == 2 && f["member_count"] == 2
    })
    .await;
    assert_eq!(
        online(&app, &alice, &r).await,
        (2, 2, vec!["alice".into(), "bob".into()])
    );
    // Anyone who may read the room may ask; a private room is not found for others.
    assert_eq!(online(&app, &carol, &r).await.0, 2);
    get(&app, &carol, &format!("/api/v1/chat/rooms/{secret}/online"))
        .await
        .expect_error(404, "NOT_FOUND");

    b.ok(json!({"type": "leave_room", "room_id": r})).await;
    a.wait_for("user_left", |f| f["user_id"] == bob.id.as_str())
        .await;
    a.wait_for("room_stats_updated", |f| f["online_count"] == 1)
        .await;
    assert_eq!(online(&app, &alice, &r).await.0, 1);
    // Closing a watching socket leaves the room too.
    b.ok(json!({"type": "join_room", "room_id": r})).await;
    a.wait_for("user_joined", |f| f["user_id"] == bob.id.as_str())
        .await;
    drop(b);
    a.wait_for("user_left", |f| f["user_id"] == bob.id.as_str())
        .await;
    assert_eq!(online(&app, &alice, &r).await.0, 1);
    // A new member changes the member count.
    join(&app, &carol, &r).await;
    a.wait_for("room_stats_updated", |f| f["member_count"] == 3)
        .await;
}

#[tokio::test]
async fn quiet_clients_are_pinged_and_dead_ones_reaped() {
    let app = spawn().await;
    with_limits(&app, |l| {
        l.ping_interval = Duration::from_millis(100);
        l.idle_timeout = Duration::from_millis(400);
    });
    let alice = register(&app, "alice").await;
    // A client that reads answers pings by itself and stays.
    let mut live = connect(&app, &alice).await;
    let mut pings = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(1000);
    while let Ok(msg) = tokio::time::timeout_at(until, live.ws.next()).await {
        match msg {
            Some(Ok(Message::Ping(_))) => pings += 1,
            Some(Ok(Message::Close(f))) => panic!("a live client was closed: {f:?}"),
            _ => {}
        }
    }
    assert!(pings >= 2, "pinged {pings} times");
    assert_eq!(live.request(json!({"type": "ping"})).await["type"], "pong");
    drop(live);
    common::wait_until("the live socket to go", || async {
        gw(&app).connections() == 0
    })
    .await;
    // One that reads nothing does not answer them either: after the idle timeout the server
    // drops it (the client may see the 1001 close frame, or, having answered a ping after it,
    // a reset).
    let mut dead = connect(&app, &alice).await;
    common::wait_until("the silent socket to be reaped", || async {
        gw(&app).connections() == 0
    })
    .await;
    let code = dead.closed(WAIT).await;
    assert!(matches!(code, None | Some(1001)), "{code:?}");
}

#[tokio::test]
async fn a_client_too_slow_to_read_is_disconnected() {
    use vertechie_kernel::bus::Event;
    let app = spawn().await;
    with_limits(&app, |l| {
        l.outbound_queue = 8;
        l.write_timeout = Duration::from_millis(500);
    });
    let (_, bob, r) = pair(&app).await;
    let _b = connect(&app, &bob).await;
    assert_eq!(gw(&app).connections(), 1);
    // Large frames for bob's room until the socket buffers are full and the queue overflows;
    // bob never reads.
    let pad = "x".repeat(60_000);
    for _ in 0..5_000 {
        if gw(&app).connections() == 0 {
            break;
        }
        app.state.bus.publish(Event::new(
            "chat.event",
            json!({"room_id": r, "frame": {"type": "new_message", "pad": pad}}),
        ));
        tokio::task::yield_now().await;
    }
    common::wait_until("the slow socket to be dropped", || async {
        gw(&app).connections() == 0
    })
    .await;
}

#[tokio::test]
async fn shutdown_closes_sockets_with_1001_and_refuses_new_ones() {
    let app = spawn().await;
    let (alice, bob, r) = pair(&app).await;
    let mut a = connect(&app, &alice).await;
    let mut b = connect(&app, &bob).await;
    b.ok(json!({"type": "join_room", "room_id": r})).await;
    gateway::shutdown(&app.state, Duration::from_secs(3)).await;
    assert_eq!(a.closed(WAIT).await, Some(1001));
    assert_eq!(b.closed(WAIT).await, Some(1001));
    assert_eq!(gw(&app).connections(), 0);
    assert_eq!(
        refused(ws_request(&app, &format!("?token={}", alice.token))).await,
        (503, "SHUTTING_DOWN".into())
    );
}

// ---- several instances over Redis ----

#[tokio::test]
async fn two_instances_share_messages_typing_and_presence() {
    let Some(url) = test_redis().await else {
        return;
    };
    let on_a = spawn_with({
        let url = url.clone();
        move |c| c.redis_url = Some(url)
    })
    .await;
    let on_b = spawn_beside(&on_a, move |c| c.redis_url = Some(url)).await;
    let (alice, bob, r) = pair(&on_a).await;
    let mut a = connect(&on_a, &alice).await;
    a.ok(json!({"type": "join_room", "room_id": r})).await;
    let mut b = connect(&on_b, &bob).await;
    assert_eq!(
        b.ready["online"],
        json!([alice.id]),
        "presence from the other instance"
    );
    let ack = b.ok(json!({"type": "join_room", "room_id": r})).await;
    assert_eq!(ack["online_count"], 2);
    a.wait_for("presence", |f| {
        f["user_id"] == bob.id.as_str() && f["status"] == "online"
    })
    .await;
    a.wait_for("user_joined", |f| f["user_id"] == bob.id.as_str())
        .await;

    // A client on A sends; the client on B receives it within a second.
    let started = std::time::Instant::now();
    a.ok(json!({"type": "send_message", "room_id": r, "body": "across"}))
        .await;
    b.wait_for("new_message", |f| f["message"]["body"] == "across")
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    b.ok(json!({"type": "typing", "room_id": r})).await;
    a.wait_for("user_typing", |f| f["user"]["id"] == bob.id.as_str())
        .await;

    // Both instances agree on presence and counts.
    for app in [&on_a, &on_b] {
        assert_eq!(
            online(app, &alice, &r).await,
            (2, 2, vec!["alice".into(), "bob".into()])
        );
        let res = get(
            app,
            &alice,
            &format!("/api/v1/chat/presence?user_ids={},{}", alice.id, bob.id),
        )
        .await;
        assert_eq!(res.data()[0]["status"], "online");
        assert_eq!(res.data()[1]["status"], "online");
    }
    drop(b);
    let is_bob = |f: &Value| f["user_id"] == bob.id.as_str();
    let offline = |f: &Value| is_bob(f) && f["status"] == "offline";
    a.wait_each(&[("presence", &offline), ("user_left", &is_bob)])
        .await;
    for app in [&on_a, &on_b] {
        assert_eq!(online(app, &alice, &r).await.0, 1);
    }
}

#[tokio::test]
async fn the_users_of_a_dead_instance_go_offline() {
    use vertechie_messaging::gateway::presence::{
        INSTANCES_KEY, instance_key, room_entry, room_key, user_entry, user_key,
    };
    let Some(url) = test_redis().await else {
        return;
    };
    let app = spawn_with({
        let url = url.clone();
        move |c| c.redis_url = Some(url)
    })
    .await;
    with_limits(&app, |l| l.presence_heartbeat = Duration::from_millis(100));
    let (alice, bob, r) = pair(&app).await;
    let mut a = connect(&app, &alice).await;
    a.ok(json!({"type": "join_room", "room_id": r})).await;

    // An instance that holds bob (online, watching the room) and then dies: its entries are
    // written as its heartbeat would, and never refreshed.
    let dead = uuid::Uuid::now_v7();
    let bob_id: uuid::Uuid = bob.id.parse().unwrap();
    let room_id: uuid::Uuid = r.parse().unwrap();
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let (secs, micros): (u64, u64) = redis::cmd("TIME").query_async(&mut conn).await.unwrap();
    let expiry = secs * 1000 + micros / 1000 + 1500;
    let _: () = redis::pipe()
        .cmd("ZADD")
        .arg(user_key(bob_id))
        .arg(expiry)
        .arg(dead.to_string())
        .ignore()
        .cmd("ZADD")
        .arg(room_key(room_id))
        .arg(expiry)
        .arg(format!("{bob_id}:{dead}"))
        .ignore()
        .cmd("SADD")
        .arg(instance_key(dead))
        .arg(user_entry(bob_id))
        .arg(room_entry(room_id, bob_id))
        .ignore()
        .cmd("ZADD")
        .arg(INSTANCES_KEY)
        .arg(expiry)
        .arg(dead.to_string())
        .ignore()
        .query_async(&mut conn)
        .await
        .unwrap();
    let res = get(
        &app,
        &alice,
        &format!("/api/v1/chat/presence?user_ids={}", bob.id),
    )
    .await;
    assert_eq!(res.data()[0]["status"], "online");
    assert_eq!(online(&app, &alice, &r).await.0, 2);

    // After the TTL, a heartbeat claims the dead instance and announces what it implied.
    let is_bob = |f: &Value| f["user_id"] == bob.id.as_str();
    let offline = |f: &Value| is_bob(f) && f["status"] == "offline";
    let seen = a
        .wait_each(&[("presence", &offline), ("user_left", &is_bob)])
        .await;
    assert_eq!(seen[1]["user"]["username"], "bob");
    let res = get(
        &app,
        &alice,
        &format!("/api/v1/chat/presence?user_ids={}", bob.id),
    )
    .await;
    assert_eq!(res.data()[0]["status"], "offline");
    assert_eq!(online(&app, &alice, &r).await.0, 1);
    let exists: i64 = redis::cmd("EXISTS")
        .arg(instance_key(dead))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(exists, 0, "the dead instance's set is removed");
}
