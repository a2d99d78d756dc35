//! The HTTP edge through HTTP: the client address behind trusted proxies, the strict budget of
//! the sign-in pages, the per-user write budget and the `/metrics` token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::Method;
use serde_json::json;
use vertechie_kernel::config::Secret;
use vertechie_kernel::testkit::TestApp;
use vertechie_server::testing::spawn_with;

const PASSWORD: &str = "correct horse battery";

/// Registers `username` through the API with extra request headers; returns the access token.
async fn register_with(app: &TestApp, username: &str, headers: &[(&str, &str)]) -> String {
    let mut req = app.req(Method::POST, "/api/v1/auth/register").json(
        &json!({"email": format!("{username}@example.com"), "username": username, "password": PASSWORD}),
    );
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let res = req.send().await;
    res.expect(201);
    res.data()["access_token"].as_str().unwrap().to_owned()
}

/// The IP the new session of `username` was recorded with.
async fn session_ip(app: &TestApp, username: &str, xff: &str) -> String {
    let token = register_with(app, username, &[("x-forwarded-for", xff)]).await;
    let res = app
        .req(Method::GET, "/api/v1/auth/sessions")
        .token(&token)
        .send()
        .await;
    res.expect(200);
    res.data()[0]["ip"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn client_ip_is_read_through_trusted_proxies_only() {
    // The test client connects from 127.0.0.1: a trusted proxy here.
    let app = spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.0/8".into(), "10.0.0.0/8".into()];
    })
    .await;
    // The rightmost hop that is not a trusted proxy; what the client wrote left of it is ignored.
    assert_eq!(
        session_ip(&app, "ada", "6.6.6.6, 203.0.113.9, 10.0.0.3").await,
        "203.0.113.9"
    );
    assert_eq!(session_ip(&app, "bob", "2001:db8::5").await, "2001:db8::5");

    // Without trusted proxies the header is a claim of the client: ignored.
    let direct = spawn_with(|_| {}).await;
    assert_eq!(session_ip(&direct, "cyd", "203.0.113.9").await, "127.0.0.1");
    // A peer outside the list is not believed either.
    let elsewhere = spawn_with(|c| c.trusted_proxies = vec!["10.0.0.0/8".into()]).await;
    assert_eq!(
        session_ip(&elsewhere, "dee", "203.0.113.9").await,
        "127.0.0.1"
    );
    // The deprecated switch still works and means loopback proxies.
    let legacy = spawn_with(|c| c.trust_proxy_headers = true).await;
    assert_eq!(
        session_ip(&legacy, "eve", "6.6.6.6, 203.0.113.7").await,
        "203.0.113.7"
    );
}

#[tokio::test]
async fn a_spoofed_forwarded_for_does_not_escape_the_ip_budget() {
    let app = spawn_with(|c| c.rate_limit_per_min = 2).await;
    for n in 0..2 {
        app.req(Method::GET, "/api/v1/users/me")
            .header("x-forwarded-for", &format!("198.51.100.{n}"))
            .send()
            .await
            .expect_error(401, "TOKEN_MISSING");
    }
    app.req(Method::GET, "/api/v1/users/me")
        .header("x-forwarded-for", "198.51.100.77")
        .send()
        .await
        .expect_error(429, "RATE_LIMITED");

    // Behind a trusted proxy each forwarded client has its own budget (IPv6 per /64).
    let proxied = spawn_with(|c| {
        c.rate_limit_per_min = 2;
        c.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    let get = |xff: &'static str| {
        proxied
            .req(Method::GET, "/api/v1/users/me")
            .header("x-forwarded-for", xff)
            .send()
    };
    get("2001:db8:0:1::1").await.expect(401);
    get("2001:db8:0:1::2").await.expect(401);
    get("2001:db8:0:1:ffff::3")
        .await
        .expect_error(429, "RATE_LIMITED");
    get("2001:db8:0:2::1").await.expect(401);
    get("198.51.100.1").await.expect(401);
}

#[tokio::test]
async fn sign_in_and_password_pages_spend_the_auth_budget() {
    let app = spawn_with(|c| c.auth_rate_limit_per_min = 3).await;
    let b = app.browser();
    // Showing the forms is not limited by the auth budget …
    for _ in 0..5 {
        b.get("/signin").await.expect(200);
    }
    // … posting them is, across the four pages and the API together.
    b.post_form(
        "/signin",
        &[("email", "x@example.com"), ("password", "wrong pass")],
    )
    .await
    .expect(401);
    b.post_form("/forgot-password", &[("email", "x@example.com")])
        .await;
    app.post(
        "/api/v1/auth/login",
        json!({"email": "x@example.com", "password": "whatever1"}),
    )
    .await
    .expect(401);
    for page in ["/signin", "/signup", "/forgot-password", "/reset-password"] {
        let res = b
            .post_form(page, &[("email", "x@example.com"), ("password", "pw")])
            .await;
        res.expect_error(429, "RATE_LIMITED");
        let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "{page}: {retry}");
    }
}

#[tokio::test]
async fn one_user_over_the_write_budget_does_not_limit_another_on_the_same_ip() {
    let app = spawn_with(|c| c.user_write_rate_limit_per_min = 3).await;
    let ada = register_with(&app, "ada", &[]).await;
    let bob = register_with(&app, "bob", &[]).await;
    let patch = |token: &str, name: &str| {
        app.req(Method::PATCH, "/api/v1/users/me")
            .token(token)
            .json(&json!({"full_name": name}))
            .send()
    };
    for n in 0..3 {
        patch(&ada, &format!("Ada {n}")).await.expect(200);
    }
    let limited = patch(&ada, "Ada 4").await;
    limited.expect_error(429, "RATE_LIMITED");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    // Reads are not writes, and Bob (same IP) has his own budget.
    app.req(Method::GET, "/api/v1/users/me")
        .token(&ada)
        .send()
        .await
        .expect(200);
    patch(&bob, "Bob").await.expect(200);

    // Page forms of a signed-in user spend the same budget.
    let cyd = app.browser();
    register_with(&app, "cyd", &[]).await;
    cyd.sign_in("cyd@example.com", PASSWORD).await;
    for skill in ["Rust", "Go", "SQL"] {
        let res = cyd
            .post_form("/profile/skills", &[("name", skill), ("level", "4")])
            .await;
        res.expect(303);
    }
    let page = cyd
        .post_form("/profile/skills", &[("name", "Haskell"), ("level", "3")])
        .await;
    page.expect(429);
    assert!(page.header("retry-after").is_some());
    assert!(page.text.contains("Too many requests"), "{}", page.text);
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let app = spawn_with(|c| c.metrics_token = Some(Secret::new("scrape-token-0123456789"))).await;
    let res = app.get("/metrics").await;
    res.expect_error(401, "TOKEN_MISSING");
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    app.req(Method::GET, "/metrics")
        .token("scrape-token-012345678")
        .send()
        .await
        .expect_error(401, "TOKEN_INVALID");
    let ok = app
        .req(Method::GET, "/metrics")
        .token("scrape-token-0123456789")
        .send()
        .await;
    ok.expect(200);
    assert!(ok.text.contains("db_pool_connections"), "{}", ok.text);
    // Without a token configured the metrics stay open (the platform tests rely on it).
    spawn_with(|_| {}).await.get("/metrics").await.expect(200);
}
