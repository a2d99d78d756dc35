//! Registration, sign-in, lockout, refresh rotation, sessions, verification, reset, token errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use base64::Engine;
use chrono::Duration;
use common::*;
use reqwest::Method;
use serde_json::json;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[tokio::test]
async fn register_returns_tokens_and_normalises_input() {
    let app = spawn().await;
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "  Grace.Hopper@Example.COM ", "username": "Grace_H", "password": PASSWORD, "full_name": " Grace  Hopper "}),
        )
        .await;
    res.expect(201);
    let d = res.data();
    assert_eq!(res.body["status"], "success");
    assert_eq!(d["token_type"], "bearer");
    assert_eq!(d["expires_in"], 900);
    assert!(d["access_token"].as_str().unwrap().split('.').count() == 3);
    assert!(d["refresh_token"].as_str().unwrap().len() >= 40);
    assert_eq!(d["user"]["email"], "grace.hopper@example.com");
    assert_eq!(d["user"]["username"], "grace_h");
    assert_eq!(d["user"]["full_name"], "Grace Hopper");
    assert_eq!(d["user"]["roles"], json!(["techie"]));
    assert_eq!(d["user"]["tier"], "free");
    assert_eq!(d["user"]["is_verified"], false);
    assert!(d["user"].get("password_hash").is_none());
    // The verification mail is queued and delivered by the job queue.
    let mails = app.wait_for_mail("grace.hopper@example.com", 1).await;
    assert!(
        mails[0]
            .body_text
            .contains("http://vertechie.test/verify-email?token=")
    );
}

#[tokio::test]
async fn register_validates_every_field() {
    let app = spawn().await;
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "nope", "username": "x!", "password": "short"}),
        )
        .await;
    res.expect_error(422, "VALIDATION_ERROR");
    let fields = res.error_fields();
    assert!(
        fields.contains(&"email".to_owned())
            && fields.contains(&"username".to_owned())
            && fields.contains(&"password".to_owned())
    );

    for (username, ok) in [
        ("ab", false),
        ("abc", true),
        (&*"a".repeat(30), true),
        (&*"a".repeat(31), false),
        ("has space", false),
    ] {
        let res = app
            .post("/api/v1/auth/register", json!({"email": format!("{}@x.io", username.replace(' ', "")), "username": username, "password": PASSWORD}))
            .await;
        assert_eq!(res.status == 201, ok, "username {username:?}: {}", res.text);
    }
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "p@x.io", "username": "pw_user", "password": "x".repeat(129)}),
        )
        .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), vec!["password"]);
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "same@x.io", "username": "sameuser", "password": "SAME@x.io"}),
        )
        .await;
    res.expect_error(422, "VALIDATION_ERROR");
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "same@x.io", "username": "sameuser", "password": "sameuser"}),
        )
        .await;
    res.expect_error(422, "VALIDATION_ERROR");
    // A missing field is named.
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "m@x.io", "password": PASSWORD}),
        )
        .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), vec!["username"]);
    // Nothing half-written: the failed attempts left no mail behind.
    assert!(app.outbox("nope").await.is_empty());
}

#[tokio::test]
async fn duplicate_email_and_username_conflict() {
    let app = spawn().await;
    register(&app, "ada").await;
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "ADA@example.com", "username": "other", "password": PASSWORD}),
        )
        .await;
    res.expect_error(409, "EMAIL_TAKEN");
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "other@example.com", "username": "ADA", "password": PASSWORD}),
        )
        .await;
    res.expect_error(409, "USERNAME_TAKEN");
}

#[tokio::test]
async fn twenty_parallel_registrations_with_one_email_create_one_account() {
    let app = spawn().await;
    let tasks = (0..20).map(|i| {
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/register");
        async move {
            client
                .post(url)
                .json(&json!({"email": "race@example.com", "username": format!("racer{i}"), "password": PASSWORD}))
                .send()
                .await
                .unwrap()
        }
    });
    let results = futures::future::join_all(tasks).await;
    let mut created = 0;
    for r in results {
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap();
        match status {
            201 => created += 1,
            409 => assert_eq!(body["error"]["code"], "EMAIL_TAKEN"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created, 1);
    // Exactly one verification mail job: the losers' transactions rolled back with their jobs.
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM queue_tasks WHERE kind = 'mail.send'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
    app.wait_for_mail("race@example.com", 1).await;
}

#[tokio::test]
async fn login_by_email_or_username_and_uniform_failures() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let res = login(&app, "ADA@example.com", PASSWORD).await;
    res.expect(200);
    assert!(res.data()["user"]["last_login"].is_string());
    login(&app, "Ada", PASSWORD).await.expect(200);
    let wrong = login(&app, &a.email, "wrong password").await;
    wrong.expect_error(401, "INVALID_CREDENTIALS");
    let unknown = login(&app, "nobody@example.com", "wrong password").await;
    unknown.expect_error(401, "INVALID_CREDENTIALS");
    assert_eq!(
        wrong.body["error"]["message"],
        unknown.body["error"]["message"]
    );
    login(&app, "", "")
        .await
        .expect_error(422, "VALIDATION_ERROR");
    // `username` is accepted as the identifier key too.
    app.post(
        "/api/v1/auth/login",
        json!({"username": "ada", "password": PASSWORD}),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn five_failures_lock_the_account_until_the_window_passes() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    for _ in 0..4 {
        login(&app, &a.email, "wrong password")
            .await
            .expect_error(401, "INVALID_CREDENTIALS");
    }
    let fifth = login(&app, &a.email, "wrong password").await;
    fifth.expect_error(423, "ACCOUNT_LOCKED");
    let retry: u64 = fifth.header("retry-after").unwrap().parse().unwrap();
    assert!((890..=900).contains(&retry), "retry-after {retry}");
    // Locked even with the right password.
    let right = login(&app, &a.email, PASSWORD).await;
    right.expect_error(423, "ACCOUNT_LOCKED");
    assert!(right.body["error"]["retry_after"].as_u64().unwrap() <= 900);
    app.advance(Duration::minutes(14));
    login(&app, &a.email, PASSWORD)
        .await
        .expect_error(423, "ACCOUNT_LOCKED");
    app.advance(Duration::minutes(2));
    login(&app, &a.email, PASSWORD).await.expect(200);
}

#[tokio::test]
async fn failures_outside_the_window_do_not_add_up() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    for _ in 0..4 {
        login(&app, &a.email, "wrong password")
            .await
            .expect_error(401, "INVALID_CREDENTIALS");
    }
    app.advance(Duration::minutes(16));
    for _ in 0..4 {
        login(&app, &a.email, "wrong password")
            .await
            .expect_error(401, "INVALID_CREDENTIALS");
    }
    // A success resets the count.
    login(&app, &a.email, PASSWORD).await.expect(200);
    for _ in 0..4 {
        login(&app, &a.email, "wrong password")
            .await
            .expect_error(401, "INVALID_CREDENTIALS");
    }
    login(&app, &a.email, PASSWORD).await.expect(200);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let r1 = app
        .post("/api/v1/auth/refresh", json!({"refresh_token": a.refresh}))
        .await;
    r1.expect(200);
    let refresh2 = r1.data()["refresh_token"].as_str().unwrap().to_owned();
    let access2 = r1.data()["access_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh2, a.refresh);
    app.req(Method::GET, "/api/v1/users/me")
        .token(&access2)
        .send()
        .await
        .expect(200);
    // The rotated token presented again: reuse → the whole session is revoked.
    app.post("/api/v1/auth/refresh", json!({"refresh_token": a.refresh}))
        .await
        .expect_error(401, "TOKEN_REUSED");
    app.post("/api/v1/auth/refresh", json!({"refresh_token": refresh2}))
        .await
        .expect_error(401, "SESSION_REVOKED");
    app.req(Method::GET, "/api/v1/users/me")
        .token(&access2)
        .send()
        .await
        .expect_error(401, "SESSION_REVOKED");
    app.req(Method::GET, "/api/v1/users/me")
        .token(&a.access)
        .send()
        .await
        .expect_error(401, "SESSION_REVOKED");
    // Other sessions of the same user are untouched.
    let other = login(&app, &a.email, PASSWORD).await;
    other.expect(200);
    app.req(Method::GET, "/api/v1/users/me")
        .token(other.data()["access_token"].as_str().unwrap())
        .send()
        .await
        .expect(200);
    app.post(
        "/api/v1/auth/refresh",
        json!({"refresh_token": "not-a-token"}),
    )
    .await
    .expect_error(401, "TOKEN_INVALID");
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_yield_at_most_one_pair() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let tasks = (0..5).map(|_| {
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/refresh");
        let token = a.refresh.clone();
        async move {
            client
                .post(url)
                .json(&json!({"refresh_token": token}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(tasks).await;
    assert!(
        statuses.iter().filter(|s| **s == 200).count() <= 1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn refresh_token_expires_with_its_session() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    app.advance(Duration::days(31));
    app.post("/api/v1/auth/refresh", json!({"refresh_token": a.refresh}))
        .await
        .expect_error(401, "TOKEN_EXPIRED");
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    app.req(Method::POST, "/api/v1/auth/logout")
        .token(&a.access)
        .send()
        .await
        .expect(204);
    app.req(Method::GET, "/api/v1/users/me")
        .token(&a.access)
        .send()
        .await
        .expect_error(401, "SESSION_REVOKED");
    app.post("/api/v1/auth/refresh", json!({"refresh_token": a.refresh}))
        .await
        .expect_error(401, "SESSION_REVOKED");
    app.req(Method::POST, "/api/v1/auth/logout")
        .send()
        .await
        .expect_error(401, "TOKEN_MISSING");
}

#[tokio::test]
async fn sessions_are_listed_and_revocable() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let second = app
        .req(Method::POST, "/api/v1/auth/login")
        .header("user-agent", "PhoneBrowser/1.0")
        .json(&json!({"email": a.email, "password": PASSWORD}))
        .send()
        .await;
    second.expect(200);
    let second_access = second.data()["access_token"].as_str().unwrap().to_owned();
    let list = app
        .req(Method::GET, "/api/v1/auth/sessions")
        .token(&a.access)
        .send()
        .await;
    list.expect(200);
    let sessions = list.data().as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone = sessions
        .iter()
        .find(|s| s["user_agent"] == "PhoneBrowser/1.0")
        .unwrap();
    assert_eq!(phone["current"], false);
    assert_eq!(phone["ip"], "127.0.0.1");
    assert!(phone["created_at"].is_string() && phone["last_used_at"].is_string());
    // Someone else cannot revoke it.
    let mallory = register(&app, "mallory").await;
    let path = format!("/api/v1/auth/sessions/{}", phone["id"].as_str().unwrap());
    app.req(Method::DELETE, &path)
        .token(&mallory.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    app.req(Method::DELETE, &path)
        .token(&a.access)
        .send()
        .await
        .expect(204);
    app.req(Method::GET, "/api/v1/users/me")
        .token(&second_access)
        .send()
        .await
        .expect_error(401, "SESSION_REVOKED");
    app.req(Method::GET, "/api/v1/users/me")
        .token(&a.access)
        .send()
        .await
        .expect(200);
    let list = app
        .req(Method::GET, "/api/v1/auth/sessions")
        .token(&a.access)
        .send()
        .await;
    assert_eq!(list.data().as_array().unwrap().len(), 1);
    app.req(Method::DELETE, "/api/v1/auth/sessions/not-a-uuid")
        .token(&a.access)
        .send()
        .await
        .expect_error(400, "INVALID_PATH");
}

#[tokio::test]
async fn email_verification_is_single_use_and_expires() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let mail = &app.wait_for_mail(&a.email, 1).await[0];
    let token = token_from_mail(&mail.body_text);
    let res = app
        .get(&format!("/api/v1/auth/verify-email?token={token}"))
        .await;
    res.expect(200);
    assert_eq!(res.data()["is_verified"], true);
    app.get(&format!("/api/v1/auth/verify-email?token={token}"))
        .await
        .expect_error(400, "TOKEN_INVALID");
    app.get("/api/v1/auth/verify-email")
        .await
        .expect_error(400, "INVALID_QUERY");
    app.req(Method::POST, "/api/v1/auth/verify-email/resend")
        .token(&a.access)
        .send()
        .await
        .expect_error(409, "ALREADY_VERIFIED");

    let b = register(&app, "bob").await;
    let token = token_from_mail(&app.wait_for_mail(&b.email, 1).await[0].body_text);
    app.advance(Duration::hours(49));
    app.get(&format!("/api/v1/auth/verify-email?token={token}"))
        .await
        .expect_error(400, "TOKEN_EXPIRED");
    // A fresh link can be asked for (the access token is expired by now: sign in again).
    let fresh = login(&app, &b.email, PASSWORD).await;
    let access = fresh.data()["access_token"].as_str().unwrap().to_owned();
    app.req(Method::POST, "/api/v1/auth/verify-email/resend")
        .token(&access)
        .send()
        .await
        .expect(202);
    let mails = app.wait_for_mail(&b.email, 2).await;
    let token = token_from_mail(&mails[0].body_text);
    app.get(&format!("/api/v1/auth/verify-email?token={token}"))
        .await
        .expect(200);
}

#[tokio::test]
async fn password_reset_flow() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    app.wait_for_mail(&a.email, 1).await;
    // Unknown addresses get the same answer and no mail.
    let unknown = app
        .post(
            "/api/v1/auth/password-reset/request",
            json!({"email": "nobody@example.com"}),
        )
        .await;
    unknown.expect(202);
    let known = app
        .post(
            "/api/v1/auth/password-reset/request",
            json!({"email": "ADA@example.com"}),
        )
        .await;
    known.expect(202);
    assert_eq!(unknown.body, known.body);
    let mails = app.wait_for_mail(&a.email, 2).await;
    assert!(mails[0].subject.contains("Reset"));
    assert!(app.outbox("nobody@example.com").await.is_empty());
    let token = token_from_mail(&mails[0].body_text);

    let weak = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": "short"}),
        )
        .await;
    weak.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(weak.error_fields(), vec!["new_password"]);
    app.post(
        "/api/v1/auth/password-reset/confirm",
        json!({"token": token, "new_password": "a brand new secret"}),
    )
    .await
    .expect(204);
    // Every session is signed out; the old password no longer works; the token is spent.
    app.req(Method::GET, "/api/v1/users/me")
        .token(&a.access)
        .send()
        .await
        .expect_error(401, "SESSION_REVOKED");
    login(&app, &a.email, PASSWORD)
        .await
        .expect_error(401, "INVALID_CREDENTIALS");
    login(&app, &a.email, "a brand new secret")
        .await
        .expect(200);
    app.post(
        "/api/v1/auth/password-reset/confirm",
        json!({"token": token, "new_password": "another new secret"}),
    )
    .await
    .expect_error(400, "TOKEN_INVALID");

    // Reset links expire after an hour.
    app.post(
        "/api/v1/auth/password-reset/request",
        json!({"email": a.email}),
    )
    .await
    .expect(202);
    let token = token_from_mail(&app.wait_for_mail(&a.email, 3).await[0].body_text);
    app.advance(Duration::minutes(61));
    app.post(
        "/api/v1/auth/password-reset/confirm",
        json!({"token": token, "new_password": "another new secret"}),
    )
    .await
    .expect_error(400, "TOKEN_EXPIRED");
}

#[tokio::test]
async fn access_token_errors_are_distinguished() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let me = |t: Option<String>| {
        let mut r = app.req(Method::GET, "/api/v1/users/me");
        if let Some(t) = t {
            r = r.token(&t);
        }
        r.send()
    };
    me(None).await.expect_error(401, "TOKEN_MISSING");
    me(Some("garbage".into()))
        .await
        .expect_error(401, "TOKEN_INVALID");

    let parts: Vec<&str> = a.access.split('.').collect();
    // alg: none with the real payload and no signature.
    let none = format!(
        "{}.{}.",
        B64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    me(Some(none)).await.expect_error(401, "TOKEN_INVALID");
    // Tampered payload (privilege escalation attempt) with the original signature.
    let mut payload: serde_json::Value =
        serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    payload["roles"] = json!(["super_admin"]);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(payload.to_string()),
        parts[2]
    );
    me(Some(tampered)).await.expect_error(401, "TOKEN_INVALID");
    // Signed with another secret.
    let foreign = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::from_slice::<serde_json::Value>(&B64.decode(parts[1]).unwrap()).unwrap(),
        &jsonwebtoken::EncodingKey::from_secret(b"another-secret-another-secret-0000"),
    )
    .unwrap();
    me(Some(foreign)).await.expect_error(401, "TOKEN_INVALID");
    // HS512 with the right secret is still refused: only HS256 is accepted.
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &serde_json::from_slice::<serde_json::Value>(&B64.decode(parts[1]).unwrap()).unwrap(),
        &jsonwebtoken::EncodingKey::from_secret(b"test-secret-test-secret-test-secret-0123"),
    )
    .unwrap();
    me(Some(hs512)).await.expect_error(401, "TOKEN_INVALID");
    me(Some(a.access.clone())).await.expect(200);
    app.advance(Duration::minutes(16));
    me(Some(a.access.clone()))
        .await
        .expect_error(401, "TOKEN_EXPIRED");
}

#[tokio::test]
async fn malformed_requests_get_the_envelope() {
    let app = spawn().await;
    let res = app
        .req(Method::POST, "/api/v1/auth/login")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await;
    res.expect_error(400, "MALFORMED_JSON");
    let res = app
        .req(Method::POST, "/api/v1/auth/login")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await;
    res.expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
    let res = app
        .req(Method::POST, "/api/v1/auth/login")
        .header("content-type", "application/json")
        .body("[1,2]")
        .send()
        .await;
    res.expect_error(422, "VALIDATION_ERROR");
    let res = app
        .req(Method::POST, "/api/v1/auth/register")
        .json(&json!({"email": 5, "username": "ada", "password": PASSWORD}))
        .send()
        .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), vec!["email"]);
    // A body over 1 MB is refused before it is parsed.
    let big = format!(
        "{{\"email\":\"{}\",\"password\":\"x\"}}",
        "a".repeat(1024 * 1024 + 10)
    );
    let res = app
        .req(Method::POST, "/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await;
    res.expect_error(413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn password_checks_on_sensitive_changes_count_towards_the_lockout() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    for _ in 0..4 {
        let res = app
            .req(Method::DELETE, "/api/v1/users/me")
            .token(&a.access)
            .json(&json!({"password": "a wrong guess"}))
            .send()
            .await;
        res.expect_error(422, "VALIDATION_ERROR");
    }
    let res = app
        .req(Method::POST, "/api/v1/users/me/password")
        .token(&a.access)
        .json(&json!({"current_password": "another guess", "new_password": "a brand new secret"}))
        .send()
        .await;
    res.expect_error(423, "ACCOUNT_LOCKED");
    // Locked now: even the right password is refused everywhere until the window passes.
    app.req(Method::DELETE, "/api/v1/users/me")
        .token(&a.access)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .expect_error(423, "ACCOUNT_LOCKED");
    login(&app, &a.email, PASSWORD)
        .await
        .expect_error(423, "ACCOUNT_LOCKED");
}

#[tokio::test]
async fn change_password_keeps_this_session_and_ends_the_others() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let other = login(&app, &a.email, PASSWORD).await;
    let other_access = other.data()["access_token"].as_str().unwrap().to_owned();
    let res = app
        .req(Method::POST, "/api/v1/users/me/password")
        .token(&a.access)
        .json(&json!({"current_password": PASSWORD, "new_password": PASSWORD}))
        .send()
        .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), vec!["new_password"]);
    app.req(Method::POST, "/api/v1/users/me/password")
        .token(&a.access)
        .json(&json!({"current_password": PASSWORD, "new_password": "a brand new secret"}))
        .send()
        .await
        .expect(204);
    app.req(Method::GET, "/api/v1/users/me")
        .token(&a.access)
        .send()
        .await
        .expect(200);
    app.req(Method::GET, "/api/v1/users/me")
        .token(&other_access)
        .send()
        .await
        .expect_error(401, "SESSION_REVOKED");
    login(&app, &a.email, PASSWORD)
        .await
        .expect_error(401, "INVALID_CREDENTIALS");
    login(&app, &a.email, "a brand new secret")
        .await
        .expect(200);
}

#[tokio::test]
async fn people_search_and_completeness() {
    let app = spawn().await;
    let a = register(&app, "ada_l").await;
    register(&app, "grace").await;
    let res = app.get("/api/v1/people?q=ADA").await;
    res.expect(200);
    let items = res.data()["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["username"], "ada_l");
    assert!(items[0].get("email").is_none());
    // `_` is matched literally, not as a wildcard.
    assert_eq!(
        app.get("/api/v1/people?q=a_l").await.data()["pagination"]["total"],
        1
    );
    assert_eq!(
        app.get("/api/v1/people?q=r_a").await.data()["pagination"]["total"],
        0
    );
    let c = app
        .req(Method::GET, "/api/v1/users/me/completeness")
        .token(&a.access)
        .send()
        .await;
    c.expect(200);
    let before = c.data()["percent"].as_u64().unwrap();
    assert!(
        c.data()["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["key"] == "bio")
    );
    app.req(Method::PATCH, "/api/v1/users/me")
        .token(&a.access)
        .json(&json!({"bio": "Analytical engine enthusiast"}))
        .send()
        .await
        .expect(200);
    let after = app
        .req(Method::GET, "/api/v1/users/me/completeness")
        .token(&a.access)
        .send()
        .await;
    assert_eq!(after.data()["percent"].as_u64().unwrap(), before + 10);
    assert!(
        !after.data()["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["key"] == "bio")
    );
}

#[tokio::test]
async fn concurrent_wrong_passwords_are_all_counted() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let tasks = (0..5).map(|_| {
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/login");
        let email = a.email.clone();
        async move {
            client
                .post(url)
                .json(&json!({"email": email, "password": "wrong password"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(tasks).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 423).count(),
        1,
        "{statuses:?}"
    );
    login(&app, &a.email, PASSWORD)
        .await
        .expect_error(423, "ACCOUNT_LOCKED");
}
