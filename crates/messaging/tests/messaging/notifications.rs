#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Notifications through HTTP: durable `notify` (rolled back → nothing), delivery (stored,
//! published on the bus, mailed per preference), the list with unread filter and count, read and
//! read-all (own only), preferences and their validation, and authentication.

use std::time::Duration;

use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;
use vertechie_kernel::UserId;
use vertechie_kernel::db::begin_write;
use vertechie_kernel::notify::{Notice, notify};
use vertechie_kernel::testkit::{TestApp, TestResponse};
use vertechie_server::testing::{spawn, spawn_with};

const PASSWORD: &str = "correct horse battery";

struct User {
    id: String,
    email: String,
    token: String,
}

async fn register(app: &TestApp, username: &str) -> User {
    let email = format!("{username}@example.com");
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": email, "username": username,
                   "password": PASSWORD, "full_name": format!("{username} Person")}),
        )
        .await;
    res.expect(201);
    User {
        id: res.data()["user"]["id"].as_str().unwrap().to_owned(),
        email,
        token: res.data()["access_token"].as_str().unwrap().to_owned(),
    }
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    tok: &str,
    body: Option<Value>,
) -> TestResponse {
    let mut req = app.req(method, path).token(tok);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await
}

fn notice(user: &User, kind: &str, title: &str) -> Notice {
    Notice {
        user_id: UserId(user.id.parse().unwrap()),
        kind: kind.to_owned(),
        title: title.to_owned(),
        body: format!("Body of {title}"),
        link: Some("/jobs/1".to_owned()),
    }
}

/// Raises a notification the way a domain does: in its own (committed) transaction.
async fn raise(app: &TestApp, n: Notice) -> Uuid {
    let txn = begin_write(&app.state.db).await.unwrap();
    let id = notify(&app.state.queue, &txn, app.state.clock.now(), n)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    id
}

async fn count(app: &TestApp, sql: &str) -> i64 {
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

/// Waits (up to 10 s) until every job (deliveries and the mail they queue) has run, but for
/// digests still waiting for the end of their window.
async fn wait_delivered(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = count(
            app,
            "SELECT COUNT(*) AS n FROM queue_tasks WHERE status <> 'done' \
             AND NOT (kind = 'notify.digest' AND status = 'queued')",
        )
        .await;
        if left == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{left} job(s) still pending"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Mail to `user` other than the sign-up confirmation, newest first.
async fn notice_mails(app: &TestApp, user: &User) -> Vec<vertechie_kernel::mail::OutboxMail> {
    wait_delivered(app).await;
    app.outbox(&user.email)
        .await
        .into_iter()
        .filter(|m| !m.subject.starts_with("Confirm your email"))
        .collect()
}

/// The mails to `user` (newest first, the sign-up confirmation left out) once there are `n`.
async fn wait_notice_mails(
    app: &TestApp,
    user: &User,
    n: usize,
) -> Vec<vertechie_kernel::mail::OutboxMail> {
    app.wait_for_mail(&user.email, n + 1)
        .await
        .into_iter()
        .filter(|m| !m.subject.starts_with("Confirm your email"))
        .collect()
}

async fn list(app: &TestApp, user: &User, query: &str) -> Value {
    let res = call(
        app,
        Method::GET,
        &format!("/api/v1/notifications{query}"),
        &user.token,
        None,
    )
    .await;
    res.expect(200);
    res.data().clone()
}

#[tokio::test]
async fn a_rolled_back_change_notifies_nobody() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let txn = begin_write(&app.state.db).await.unwrap();
    notify(
        &app.state.queue,
        &txn,
        app.state.clock.now(),
        notice(&ann, "test.rollback", "Never"),
    )
    .await
    .unwrap();
    txn.rollback().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM queue_tasks WHERE kind = 'notify.deliver'"
        )
        .await,
        0
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM notifications").await,
        0
    );
    let data = list(&app, &ann, "").await;
    assert_eq!(data["items"].as_array().unwrap().len(), 0);
    assert_eq!(data["unread_count"], 0);

    // An invalid kind is refused before anything is queued.
    let txn = begin_write(&app.state.db).await.unwrap();
    assert!(
        notify(
            &app.state.queue,
            &txn,
            app.state.clock.now(),
            notice(&ann, "Bad Kind", "x")
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn notifications_are_stored_published_listed_and_read() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let mut events = app.state.bus.subscribe();

    let first = raise(&app, notice(&ann, "hiring.application", "First")).await;
    let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("a bus event within 10 s")
        .unwrap();
    assert_eq!(event.topic, "notification");
    assert_eq!(event.origin, app.state.bus.instance_id());
    assert_eq!(event.payload["user_id"], ann.id.as_str());
    assert_eq!(event.payload["notification"]["id"], first.to_string());
    assert_eq!(event.payload["notification"]["title"], "First");
    assert_eq!(event.payload["notification"]["read"], false);

    let second = raise(&app, notice(&ann, "hiring.stage", "Second")).await;
    let third = raise(&app, notice(&ann, "hiring.stage", "Third")).await;
    raise(&app, notice(&bob, "hiring.stage", "Bob's")).await;
    wait_delivered(&app).await;

    // Newest first, own only, with the unread count.
    let data = list(&app, &ann, "").await;
    let titles: Vec<&str> = data["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["Third", "Second", "First"]);
    assert_eq!(data["unread_count"], 3);
    assert_eq!(data["pagination"]["total"], 3);
    let item = &data["items"][0];
    assert_eq!(item["kind"], "hiring.stage");
    assert_eq!(item["body"], "Body of Third");
    assert_eq!(item["link"], "/jobs/1");
    assert!(item["read_at"].is_null());
    // Default preference is both: mailed too — the first at once, the two that followed
    // within ten minutes together in one digest at the end of the window.
    let mails = notice_mails(&app, &ann).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "First");
    app.clock
        .advance(chrono::Duration::minutes(10) + chrono::Duration::seconds(1));
    let mails = wait_notice_mails(&app, &ann, 2).await;
    assert_eq!(mails[0].subject, "2 new notifications on VerTechie");

    // Pagination.
    let data = list(&app, &ann, "?page=2&limit=2").await;
    assert_eq!(data["items"].as_array().unwrap().len(), 1);
    assert_eq!(data["items"][0]["title"], "First");
    assert_eq!(data["pagination"]["pages"], 2);

    // Read one; reading again changes nothing.
    let res = call(
        &app,
        Method::POST,
        &format!("/api/v1/notifications/{second}/read"),
        &ann.token,
        None,
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["read"], true);
    let read_at = res.data()["read_at"].clone();
    assert!(read_at.is_string());
    let again = call(
        &app,
        Method::POST,
        &format!("/api/v1/notifications/{second}/read"),
        &ann.token,
        None,
    )
    .await;
    again.expect(200);
    assert_eq!(again.data()["read_at"], read_at);

    let data = list(&app, &ann, "?unread=true").await;
    let ids: Vec<&str> = data["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![third.to_string(), first.to_string()]);
    assert_eq!(data["unread_count"], 2);
    assert_eq!(data["pagination"]["total"], 2);
    assert_eq!(
        list(&app, &ann, "?unread=false").await["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Someone else's notification, or none at all: 404.
    call(
        &app,
        Method::POST,
        &format!("/api/v1/notifications/{first}/read"),
        &bob.token,
        None,
    )
    .await
    .expect_error(404, "NOT_FOUND");
    call(
        &app,
        Method::POST,
        &format!("/api/v1/notifications/{}/read", Uuid::now_v7()),
        &ann.token,
        None,
    )
    .await
    .expect_error(404, "NOT_FOUND");
    call(
        &app,
        Method::POST,
        "/api/v1/notifications/not-a-uuid/read",
        &ann.token,
        None,
    )
    .await
    .expect_error(400, "INVALID_PATH");
    call(
        &app,
        Method::GET,
        "/api/v1/notifications?unread=maybe",
        &ann.token,
        None,
    )
    .await
    .expect_error(400, "INVALID_QUERY");

    // Read all: only ann's.
    let res = call(
        &app,
        Method::POST,
        "/api/v1/notifications/read-all",
        &ann.token,
        None,
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["updated"], 2);
    assert_eq!(list(&app, &ann, "").await["unread_count"], 0);
    let bobs = list(&app, &bob, "").await;
    assert_eq!(bobs["unread_count"], 1);
    assert_eq!(bobs["items"][0]["title"], "Bob's");
}

#[tokio::test]
async fn preferences_choose_the_channels() {
    // The clock moves past two digest windows: tokens that outlive it.
    let app = spawn_with(|c| c.access_token_ttl_secs = 86_400).await;
    let ann = register(&app, "ann").await;

    let res = call(
        &app,
        Method::GET,
        "/api/v1/notifications/preferences",
        &ann.token,
        None,
    )
    .await;
    res.expect(200);
    assert_eq!(res.data(), &json!({}));

    let prefs =
        json!({"k.email": "email", "k.in_app": "in_app", "k.none": "none", "k.both": "both"});
    let res = call(
        &app,
        Method::PUT,
        "/api/v1/notifications/preferences",
        &ann.token,
        Some(prefs.clone()),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data(), &prefs);
    let res = call(
        &app,
        Method::GET,
        "/api/v1/notifications/preferences",
        &ann.token,
        None,
    )
    .await;
    assert_eq!(res.data(), &prefs);

    // in_app: stored, no mail. none: nothing. email: mail only. both: both.
    raise(&app, notice(&ann, "k.in_app", "In app")).await;
    raise(&app, notice(&ann, "k.none", "Nothing")).await;
    raise(&app, notice(&ann, "k.email", "By mail")).await;
    wait_delivered(&app).await;
    // The sign-up confirmation and this one.
    app.wait_for_mail(&ann.email, 2).await;
    let mails = notice_mails(&app, &ann).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "By mail");
    assert!(mails[0].body_text.contains("Body of By mail"));
    assert!(mails[0].body_text.contains("http://vertechie.test/jobs/1"));
    let data = list(&app, &ann, "").await;
    let titles: Vec<&str> = data["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["In app"]);

    // Past the digest window, so the next notice is mailed on its own at once.
    app.clock.advance(chrono::Duration::minutes(11));
    raise(&app, notice(&ann, "k.both", "Both")).await;
    wait_delivered(&app).await;
    let mails = notice_mails(&app, &ann).await;
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].subject, "Both");
    assert_eq!(list(&app, &ann, "").await["unread_count"], 2);

    // PUT replaces: k.none is back to both.
    call(
        &app,
        Method::PUT,
        "/api/v1/notifications/preferences",
        &ann.token,
        Some(json!({"k.email": "in_app"})),
    )
    .await
    .expect(200);
    let res = call(
        &app,
        Method::GET,
        "/api/v1/notifications/preferences",
        &ann.token,
        None,
    )
    .await;
    assert_eq!(res.data(), &json!({"k.email": "in_app"}));
    app.clock.advance(chrono::Duration::minutes(11));
    raise(&app, notice(&ann, "k.none", "Now both")).await;
    wait_delivered(&app).await;
    assert_eq!(notice_mails(&app, &ann).await.len(), 3);
    assert_eq!(list(&app, &ann, "").await["unread_count"], 3);

    // Validation.
    for (body, field) in [
        (json!({"k.x": "sms"}), "k.x"),
        (json!({"Bad-Kind": "both"}), "Bad-Kind"),
        (
            json!({"a".repeat(51): "both"}),
            "a".repeat(51).leak() as &str,
        ),
        (json!({"": "both"}), ""),
    ] {
        let res = call(
            &app,
            Method::PUT,
            "/api/v1/notifications/preferences",
            &ann.token,
            Some(body),
        )
        .await;
        res.expect_error(422, "VALIDATION_ERROR");
        assert_eq!(res.error_fields(), vec![field.to_owned()]);
    }
    let res = call(
        &app,
        Method::PUT,
        "/api/v1/notifications/preferences",
        &ann.token,
        Some(json!({"k.x": 3})),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    call(
        &app,
        Method::PUT,
        "/api/v1/notifications/preferences",
        &ann.token,
        Some(json!(["both"])),
    )
    .await
    .expect_error(422, "VALIDATION_ERROR");
    // Nothing changed by the refused requests.
    let res = call(
        &app,
        Method::GET,
        "/api/v1/notifications/preferences",
        &ann.token,
        None,
    )
    .await;
    assert_eq!(res.data(), &json!({"k.email": "in_app"}));
}

async fn held_digests(app: &TestApp) -> i64 {
    count(
        app,
        "SELECT COUNT(*) AS n FROM queue_tasks WHERE kind = 'notify.digest' AND status = 'queued'",
    )
    .await
}

#[tokio::test]
async fn email_notices_within_ten_minutes_go_out_as_one_digest() {
    // The clock moves half an hour: tokens that outlive it.
    let app = spawn_with(|c| c.access_token_ttl_secs = 86_400).await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    app.wait_for_mail(&ann.email, 1).await;

    // The first notice is mailed at once.
    raise(&app, notice(&ann, "k.a", "First")).await;
    wait_delivered(&app).await;
    let mails = notice_mails(&app, &ann).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "First");

    // Two more within ten minutes wait for one digest (one job queued for both); in-app
    // copies are stored at once all the same, and another user is not held up.
    app.clock.advance(chrono::Duration::minutes(3));
    raise(&app, notice(&ann, "k.b", "Second")).await;
    raise(&app, notice(&ann, "k.c", "Third")).await;
    raise(&app, notice(&bob, "k.a", "Bob's first")).await;
    wait_delivered(&app).await;
    assert_eq!(notice_mails(&app, &ann).await.len(), 1);
    assert_eq!(notice_mails(&app, &bob).await.len(), 1);
    assert_eq!(held_digests(&app).await, 1);
    assert_eq!(list(&app, &ann, "").await["unread_count"], 3);

    // The window ends ten minutes after the first mail: one digest with both.
    app.clock
        .advance(chrono::Duration::minutes(7) + chrono::Duration::seconds(1));
    let mails = wait_notice_mails(&app, &ann, 2).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(mails[0].subject, "2 new notifications on VerTechie");
    let text = &mails[0].body_text;
    assert!(
        text.contains("* Second") && text.contains("* Third"),
        "{text}"
    );
    assert!(text.contains("Body of Third"), "{text}");
    assert!(text.contains("http://vertechie.test/jobs/1"), "{text}");
    assert!(
        text.contains("http://vertechie.test/settings/notifications"),
        "{text}"
    );
    assert!(text.find("Second") < text.find("Third"), "oldest first");

    // The digest opened a new window: a notice right after it waits again, and goes out
    // on its own (not as a "1 new notifications" digest) when that window ends.
    raise(&app, notice(&ann, "k.d", "Fourth")).await;
    wait_delivered(&app).await;
    assert_eq!(notice_mails(&app, &ann).await.len(), 2);
    app.clock
        .advance(chrono::Duration::minutes(10) + chrono::Duration::seconds(1));
    let mails = wait_notice_mails(&app, &ann, 3).await;
    assert_eq!(mails.len(), 3);
    assert_eq!(mails[0].subject, "Fourth");

    // A quiet user is mailed at once again.
    app.clock.advance(chrono::Duration::minutes(11));
    raise(&app, notice(&ann, "k.e", "Fifth")).await;
    wait_delivered(&app).await;
    let mails = notice_mails(&app, &ann).await;
    assert_eq!(mails.len(), 4);
    assert_eq!(mails[0].subject, "Fifth");
    assert_eq!(held_digests(&app).await, 0);
}

#[tokio::test]
async fn every_endpoint_needs_a_token() {
    let app = spawn().await;
    let id = Uuid::now_v7();
    for (method, path) in [
        (Method::GET, "/api/v1/notifications".to_owned()),
        (Method::POST, format!("/api/v1/notifications/{id}/read")),
        (Method::POST, "/api/v1/notifications/read-all".to_owned()),
        (Method::GET, "/api/v1/notifications/preferences".to_owned()),
        (Method::PUT, "/api/v1/notifications/preferences".to_owned()),
    ] {
        let res = app.req(method.clone(), &path).json(&json!({})).send().await;
        assert_eq!(res.status, 401, "{method} {path}");
    }
}
