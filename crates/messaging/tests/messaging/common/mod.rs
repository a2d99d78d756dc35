//! Helpers shared by the messaging HTTP tests: users, calls, rooms, messages, bus events and
//! waiting for the job queue.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use vertechie_kernel::bus::Event;
use vertechie_kernel::testkit::{TestApp, TestResponse};

pub const PASSWORD: &str = "correct horse battery";

pub struct User {
    pub id: String,
    pub username: String,
    pub token: String,
}

pub async fn register(app: &TestApp, username: &str) -> User {
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": format!("{username}@example.com"), "username": username,
                   "password": PASSWORD, "full_name": format!("{username} Person")}),
        )
        .await;
    res.expect(201);
    User {
        id: res.data()["user"]["id"].as_str().unwrap().to_owned(),
        username: username.to_owned(),
        token: res.data()["access_token"].as_str().unwrap().to_owned(),
    }
}

/// A platform admin deactivates the user (`PATCH /api/v1/users/{id}` with `is_active: false`).
pub async fn deactivate(app: &TestApp, user: &User) {
    let email = "root@example.com";
    // Makes the admin, or promotes the existing account again.
    vertechie_accounts::service::admin::create_admin(&app.state, email, PASSWORD)
        .await
        .unwrap();
    let res = app
        .post(
            "/api/v1/auth/login",
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    res.expect(200);
    call(
        app,
        Method::PATCH,
        &format!("/api/v1/users/{}", user.id),
        res.data()["access_token"].as_str().unwrap(),
        Some(json!({"is_active": false})),
    )
    .await
    .expect(200);
}

/// Signs in again (after the test clock moved past the access token's lifetime).
pub async fn login(app: &TestApp, username: &str) -> String {
    let res = app
        .post(
            "/api/v1/auth/login",
            json!({"email": format!("{username}@example.com"), "password": PASSWORD}),
        )
        .await;
    res.expect(200);
    res.data()["access_token"].as_str().unwrap().to_owned()
}

/// `tok` empty means anonymous.
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    tok: &str,
    body: Option<Value>,
) -> TestResponse {
    let mut req = app.req(method, path);
    if !tok.is_empty() {
        req = req.token(tok);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await
}

pub async fn get(app: &TestApp, user: &User, path: &str) -> TestResponse {
    call(app, Method::GET, path, &user.token, None).await
}

pub async fn post(app: &TestApp, user: &User, path: &str, body: Value) -> TestResponse {
    call(app, Method::POST, path, &user.token, Some(body)).await
}

pub async fn put(app: &TestApp, user: &User, path: &str, body: Value) -> TestResponse {
    call(app, Method::PUT, path, &user.token, Some(body)).await
}

pub async fn patch(app: &TestApp, user: &User, path: &str, body: Value) -> TestResponse {
    call(app, Method::PATCH, path, &user.token, Some(body)).await
}

pub async fn delete(app: &TestApp, user: &User, path: &str) -> TestResponse {
    call(app, Method::DELETE, path, &user.token, None).await
}

/// Creates a room (`kind` public or private) and returns its id.
pub async fn room(app: &TestApp, owner: &User, name: &str, kind: &str) -> String {
    let res = post(
        app,
        owner,
        "/api/v1/chat/rooms",
        json!({"name": name, "kind": kind}),
    )
    .await;
    res.expect(201);
    res.data()["id"].as_str().unwrap().to_owned()
}

pub async fn join_room(app: &TestApp, user: &User, room: &str) -> TestResponse {
    post(
        app,
        user,
        &format!("/api/v1/chat/rooms/{room}/join"),
        json!({}),
    )
    .await
}

pub async fn join(app: &TestApp, user: &User, room: &str) {
    join_room(app, user, room).await.expect(200);
}

pub async fn leave(app: &TestApp, user: &User, room: &str) -> TestResponse {
    post(
        app,
        user,
        &format!("/api/v1/chat/rooms/{room}/leave"),
        json!({}),
    )
    .await
}

pub async fn add(app: &TestApp, by: &User, room: &str, user: &User) {
    post(
        app,
        by,
        &format!("/api/v1/chat/rooms/{room}/members"),
        json!({"user_id": user.id}),
    )
    .await
    .expect(201);
}

/// Posts a message and returns its view.
pub async fn send(app: &TestApp, user: &User, room: &str, body: &str) -> Value {
    let res = post(
        app,
        user,
        &format!("/api/v1/chat/rooms/{room}/messages"),
        json!({"body": body}),
    )
    .await;
    res.expect(201);
    res.data().clone()
}

/// Sends a direct message and returns its view.
pub async fn dm(app: &TestApp, from: &User, to: &User, body: &str) -> Value {
    let res = post(
        app,
        from,
        &format!("/api/v1/chat/direct/{}/messages", to.id),
        json!({"body": body}),
    )
    .await;
    res.expect(201);
    res.data().clone()
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

pub async fn count(app: &TestApp, sql: &str) -> i64 {
    app.state
        .db
        .query_one_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

/// Polls `f` until it is true (at most 15 s).
pub async fn wait_until<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !f().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until no job due by the test clock is left to run.
pub async fn wait_due_jobs(app: &TestApp) {
    app.wait_for_queue().await;
}

/// The next event on `topic` (others are skipped); panics after 5 s.
pub async fn next_event(rx: &mut broadcast::Receiver<Event>, topic: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let ev = tokio::time::timeout(left, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {topic} event within 5 s"))
            .expect("bus closed");
        if ev.topic == topic {
            return ev.payload;
        }
    }
}

/// The events on `topic` already published (without waiting).
pub fn drain(rx: &mut broadcast::Receiver<Event>, topic: &str) -> Vec<Value> {
    let mut out = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        if ev.topic == topic {
            out.push(ev.payload);
        }
    }
    out
}

/// A 1×1 PNG (its first bytes: enough for the type check).
pub const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Uploads `bytes` as `name` through `POST /api/v1/files` (multipart by hand) and returns the
/// file view.
pub async fn upload(app: &TestApp, user: &User, name: &str, bytes: &[u8]) -> Value {
    const BOUNDARY: &str = "vt-messaging-test-boundary";
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let res = app
        .req(Method::POST, "/api/v1/files")
        .token(&user.token)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await;
    res.expect(201);
    res.data().clone()
}

/// GETs a signed file link without credentials: the status and the bytes.
pub async fn download(app: &TestApp, url: &str) -> (u16, Vec<u8>) {
    let res = app.client.get(app.url(url)).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.bytes().await.unwrap().to_vec())
}
