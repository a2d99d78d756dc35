//! Lockout per account and client network: parallel bursts are counted exactly, a right password
//! that races a lock is refused, a lock holds only for the network the guesses came from, and a
//! password reset lifts it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Duration;
use common::*;
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use vertechie_accounts::model::login_failure;
use vertechie_kernel::testkit::{TestApp, TestResponse};

/// Signs in as if from `ip` (the app must trust `X-Forwarded-For`).
async fn login_from(app: &TestApp, ip: &str, ident: &str, password: &str) -> TestResponse {
    app.req(Method::POST, "/api/v1/auth/login")
        .header("x-forwarded-for", ip)
        .json(&json!({"email": ident, "password": password}))
        .send()
        .await
}

async fn fire_login(app: &TestApp, email: &str, password: &str) -> u16 {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_parallel_burst_is_counted_exactly_and_cannot_slip_the_right_password_past_the_lock() {
    // Slower hashing than the tests' default: every guess passes the early check before the
    // fifth failure is counted, as in a real burst.
    let app = spawn_with(|cfg| cfg.argon2_memory_kib = 8192).await;
    let a = register(&app, "ada").await;
    let threshold = app.state.config.lockout_threshold as usize;
    let mut burst: Vec<_> = (0..20)
        .map(|_| fire_login(&app, &a.email, "wrong password"))
        .collect();
    // The right password arrives with the burst, after the guesses that reach the threshold.
    burst.push(fire_login(&app, &a.email, PASSWORD));
    let statuses = futures::future::join_all(burst).await;
    let right = statuses[20];
    let wrong = &statuses[..20];
    let answered_401 = wrong.iter().filter(|s| **s == 401).count();
    assert!(wrong.iter().all(|s| *s == 401 || *s == 423), "{statuses:?}");
    match right {
        // Refused: no sign-in reset the count, so exactly threshold - 1 guesses were evaluated
        // and answered 401 before the lock; every later one got 423 without being counted.
        423 => assert_eq!(answered_401, threshold - 1, "{statuses:?}"),
        // Accepted before the lock landed: it cleared the count once, so at most two runs.
        200 => assert!(answered_401 <= 2 * (threshold - 1), "{statuses:?}"),
        other => panic!("unexpected status {other} for the right password: {statuses:?}"),
    }
    // The burst ends with the account locked for this network.
    login(&app, &a.email, PASSWORD)
        .await
        .expect_error(423, "ACCOUNT_LOCKED");
}

#[tokio::test]
async fn a_right_password_checked_while_a_lock_lands_is_refused() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    for _ in 0..4 {
        login(&app, &a.email, "wrong password")
            .await
            .expect_error(401, "INVALID_CREDENTIALS");
    }
    // A parallel fifth guess is locking the network: its transaction holds the row (and on
    // SQLite the write lock) while the right password is being checked.
    let locking = vertechie_kernel::db::begin_write(&app.state.db)
        .await
        .unwrap();
    let until = app.state.clock.now() + Duration::minutes(15);
    login_failure::Entity::update_many()
        .col_expr(login_failure::Column::LockedUntil, Expr::value(Some(until)))
        .filter(login_failure::Column::UserId.eq(uuid::Uuid::parse_str(&a.id).unwrap()))
        .exec(&locking)
        .await
        .unwrap();
    let right = tokio::spawn({
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/login");
        let email = a.email.clone();
        async move {
            client
                .post(url)
                .json(&json!({"email": email, "password": PASSWORD}))
                .send()
                .await
                .unwrap()
        }
    });
    // Let the sign-in pass its early (unlocked) check and reach its own transaction.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    locking.commit().await.unwrap();
    let res = right.await.unwrap();
    assert_eq!(res.status().as_u16(), 423);
    assert!(res.headers().get("retry-after").is_some());
    login(&app, &a.email, PASSWORD)
        .await
        .expect_error(423, "ACCOUNT_LOCKED");
}

#[tokio::test]
async fn a_lock_holds_only_for_the_network_the_guesses_came_from() {
    let app = spawn_with(|cfg| cfg.trust_proxy_headers = true).await;
    let a = register(&app, "ada").await;
    // A stranger guesses from 198.51.100.0/24.
    for _ in 0..4 {
        login_from(&app, "198.51.100.7", &a.email, "guess")
            .await
            .expect_error(401, "INVALID_CREDENTIALS");
    }
    login_from(&app, "198.51.100.7", &a.email, "guess")
        .await
        .expect_error(423, "ACCOUNT_LOCKED");
    // The whole /24 is locked, even with the right password, with Retry-After.
    let res = login_from(&app, "198.51.100.200", &a.email, PASSWORD).await;
    res.expect_error(423, "ACCOUNT_LOCKED");
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((890..=900).contains(&retry), "retry-after {retry}");
    // The owner signs in from their own network as usual.
    let own = login_from(&app, "203.0.113.5", &a.email, PASSWORD).await;
    own.expect(200);
    let own_access = own.data()["access_token"].as_str().unwrap().to_owned();
    // Re-entering the password is locked on the stranger's network too, but not on the owner's.
    app.req(Method::POST, "/api/v1/users/me/password")
        .token(&own_access)
        .header("x-forwarded-for", "198.51.100.9")
        .json(&json!({"current_password": PASSWORD, "new_password": "a brand new secret"}))
        .send()
        .await
        .expect_error(423, "ACCOUNT_LOCKED");
    app.req(Method::POST, "/api/v1/users/me/password")
        .token(&own_access)
        .header("x-forwarded-for", "203.0.113.5")
        .json(&json!({"current_password": PASSWORD, "new_password": "a brand new secret"}))
        .send()
        .await
        .expect(204);
    let password = "a brand new secret";

    // IPv6: counted per /64.
    for _ in 0..5 {
        login_from(&app, "2001:db8:1:2::1", &a.email, "guess").await;
    }
    login_from(&app, "2001:db8:1:2:ffff::9", &a.email, password)
        .await
        .expect_error(423, "ACCOUNT_LOCKED");
    login_from(&app, "2001:db8:1:3::1", &a.email, password)
        .await
        .expect(200);

    // A successful sign-in clears its network's count: four more failures do not lock.
    for _ in 0..4 {
        login_from(&app, "203.0.113.5", &a.email, "typo")
            .await
            .expect_error(401, "INVALID_CREDENTIALS");
    }
    login_from(&app, "203.0.113.5", &a.email, password)
        .await
        .expect(200);
    for _ in 0..4 {
        login_from(&app, "203.0.113.5", &a.email, "typo")
            .await
            .expect_error(401, "INVALID_CREDENTIALS");
    }
    login_from(&app, "203.0.113.5", &a.email, password)
        .await
        .expect(200);

    // The stranger's lock ends with the window.
    app.advance(Duration::minutes(16));
    login_from(&app, "198.51.100.7", &a.email, password)
        .await
        .expect(200);
}

#[tokio::test]
async fn a_password_reset_lifts_the_lock_on_every_network() {
    let app = spawn_with(|cfg| cfg.trust_proxy_headers = true).await;
    let a = register(&app, "ada").await;
    for ip in ["198.51.100.7", "192.0.2.1"] {
        for _ in 0..5 {
            login_from(&app, ip, &a.email, "guess").await;
        }
        login_from(&app, ip, &a.email, PASSWORD)
            .await
            .expect_error(423, "ACCOUNT_LOCKED");
    }
    app.post(
        "/api/v1/auth/password-reset/request",
        json!({"email": a.email}),
    )
    .await;
    let mails = app.wait_for_mail(&a.email, 2).await;
    let token = token_from_mail(&mails[0].body_text);
    app.post(
        "/api/v1/auth/password-reset/confirm",
        json!({"token": token, "new_password": "a brand new secret"}),
    )
    .await
    .expect(204);
    for ip in ["198.51.100.7", "192.0.2.1"] {
        login_from(&app, ip, &a.email, "a brand new secret")
            .await
            .expect(200);
    }
}
