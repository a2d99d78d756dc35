//! The platform edge and kernel services through HTTP: envelopes for framework errors, request
//! ids, security headers, rate limits, health/readiness/metrics, OpenAPI, docs, job queue, mail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use vertechie_kernel::testkit::{SmtpSink, TestApp};
use vertechie_server::testing::{spawn, spawn_with};

async fn register(app: &TestApp, username: &str) -> serde_json::Value {
    let res = app
        .post("/api/v1/auth/register", json!({"email": format!("{username}@example.com"), "username": username, "password": "correct horse battery"}))
        .await;
    res.expect(201);
    res.body["data"].clone()
}

#[tokio::test]
async fn request_ids_are_generated_or_echoed() {
    let app = spawn().await;
    let res = app.get("/health").await;
    let generated = res.header("x-request-id").unwrap();
    assert_eq!(
        uuid::Uuid::parse_str(generated).unwrap().get_version_num(),
        7
    );
    let res = app
        .req(Method::GET, "/health")
        .header("x-request-id", "trace-abc_123")
        .send()
        .await;
    assert_eq!(res.header("x-request-id"), Some("trace-abc_123"));
    // Something that is not a sane id is replaced, not echoed.
    let res = app
        .req(Method::GET, "/health")
        .header("x-request-id", "bad id with spaces")
        .send()
        .await;
    assert_ne!(res.header("x-request-id"), Some("bad id with spaces"));
}

#[tokio::test]
async fn security_headers_are_set() {
    let app = spawn().await;
    let res = app.get("/").await;
    res.expect(200);
    assert_eq!(res.header("x-frame-options"), Some("DENY"));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        res.header("referrer-policy"),
        Some("strict-origin-when-cross-origin")
    );
    let csp = res.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    // HSTS only when served over TLS (public URL is https).
    assert!(res.header("strict-transport-security").is_none());
    let tls = spawn_with(|c| c.public_url = Some("https://vertechie.example".into())).await;
    let res = tls.get("/health").await;
    assert!(
        res.header("strict-transport-security")
            .unwrap()
            .contains("max-age=")
    );
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_with(|c| c.cors_origins = vec!["https://app.example".into()]).await;
    let ok = app
        .req(Method::OPTIONS, "/api/v1/auth/login")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let other = app
        .req(Method::OPTIONS, "/api/v1/auth/login")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    assert!(other.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn framework_errors_use_the_envelope() {
    let app = spawn().await;
    app.get("/api/v1/does-not-exist")
        .await
        .expect_error(404, "NOT_FOUND");
    let res = app
        .req(Method::PUT, "/api/v1/auth/login")
        .json(&json!({}))
        .send()
        .await;
    res.expect_error(405, "METHOD_NOT_ALLOWED");
    app.get("/api/v1/users/not-a-uuid")
        .await
        .expect_error(400, "INVALID_PATH");
    let token = register(&app, "ada").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.req(Method::GET, "/api/v1/users?page=abc")
        .token(&token)
        .send()
        .await
        .expect_error(400, "INVALID_QUERY");
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let app = spawn_with(|c| {
        c.auth_rate_limit_per_min = 3;
        c.rate_limit_per_min = 5;
    })
    .await;
    for _ in 0..3 {
        let res = app
            .post(
                "/api/v1/auth/login",
                json!({"email": "x@example.com", "password": "whatever1"}),
            )
            .await;
        assert_eq!(res.status, 401);
    }
    let limited = app
        .post(
            "/api/v1/auth/login",
            json!({"email": "x@example.com", "password": "whatever1"}),
        )
        .await;
    limited.expect_error(429, "RATE_LIMITED");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(limited.body["error"]["retry_after"].as_u64(), Some(retry));
    // The general API budget is separate from the auth budget …
    for _ in 0..5 {
        app.get("/api/v1/users/me")
            .await
            .expect_error(401, "TOKEN_MISSING");
    }
    app.get("/api/v1/users/me")
        .await
        .expect_error(429, "RATE_LIMITED");
    // … and health checks are exempt.
    for _ in 0..20 {
        app.get("/health").await.expect(200);
    }
    app.get("/ready").await.expect(200);
}

#[tokio::test]
async fn health_ready_and_metrics() {
    let app = spawn().await;
    let res = app.get("/health").await;
    res.expect(200);
    assert_eq!(res.body["status"], "ok");
    let res = app.get("/ready").await;
    res.expect(200);
    assert_eq!(res.body["checks"]["database"], "ok");
    assert!(res.body["checks"].get("redis").is_none());

    register(&app, "ada").await;
    app.get("/api/v1/users/me").await;
    let res = app.get("/metrics").await;
    res.expect(200);
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let text = &res.text;
    assert!(text.contains("http_requests_total{"), "{text}");
    assert!(text.contains("route=\"/api/v1/auth/register\""), "{text}");
    assert!(text.contains("status=\"201\""), "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(text.contains("db_pool_connections"), "{text}");
    assert!(
        text.contains("job_queue_depth{status=\"queued\"}"),
        "{text}"
    );

    // A database that stops answering makes the instance unready, naming the failed check.
    app.state.db.clone().close().await.unwrap();
    let res = app.get("/ready").await;
    res.expect(503);
    assert_eq!(res.body["checks"]["database"], "failed");
    assert_eq!(res.body["failed"], json!(["database"]));
}

#[tokio::test]
async fn ready_checks_redis_when_configured() {
    let Some(redis) = vertechie_kernel::testkit::test_redis().await else {
        return;
    };
    let app = spawn_with(|c| c.redis_url = Some(redis)).await;
    let res = app.get("/ready").await;
    res.expect(200);
    assert_eq!(res.body["checks"]["redis"], "ok");
}

#[tokio::test]
async fn openapi_document_is_served_and_matches_the_committed_file() {
    let app = spawn().await;
    let res = app.get("/api/v1/openapi.json").await;
    res.expect(200);
    assert!(res.body["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/users/me",
        "/api/v1/users/{id}",
        "/api/v1/users/me/skills",
    ] {
        assert!(res.body["paths"].get(path).is_some(), "{path} missing");
    }
    let generated = serde_json::to_string_pretty(&vertechie_server::openapi()).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed =
        std::fs::read_to_string(path).expect("openapi.json is committed at the repository root");
    assert!(
        committed == generated,
        "openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p vertechie-server --test server openapi`"
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&committed).unwrap(),
        res.body
    );
}

#[tokio::test]
async fn responses_are_compressed_when_asked() {
    let app = spawn().await;
    let raw = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.headers().get("content-encoding").unwrap(), "gzip");
    let plain = app.get("/api/v1/openapi.json").await;
    assert!(plain.header("content-encoding").is_none());
}

#[tokio::test]
async fn api_docs_work_offline() {
    let app = spawn().await;
    let res = app.get("/api/docs/").await;
    res.expect(200);
    assert!(res.text.contains("swagger-ui"), "{}", res.text);
    let external: Vec<&str> = res
        .text
        .split(['"', '\''])
        .filter(|s| s.starts_with("http://") || s.starts_with("https://"))
        .collect();
    assert!(
        external.is_empty(),
        "docs page loads from the internet: {external:?}"
    );
    // Its scripts and styles come from this server.
    for asset in [
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/swagger-ui.css",
        "/api/docs/swagger-initializer.js",
    ] {
        app.get(asset).await.expect(200);
    }
    let init = app.get("/api/docs/swagger-initializer.js").await;
    assert!(
        init.text.contains("/api/docs/openapi.json"),
        "{}",
        init.text
    );
}

async fn job_row(app: &TestApp) -> (String, i64, Option<String>) {
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT status, attempts, last_error FROM queue_tasks WHERE kind = 'mail.send'",
        ))
        .await
        .unwrap()
        .expect("a mail job");
    (
        row.try_get("", "status").unwrap(),
        row.try_get::<i32>("", "attempts").unwrap() as i64,
        row.try_get("", "last_error").unwrap(),
    )
}

async fn wait_for_job(app: &TestApp, attempts: i64, status: &str) -> (String, i64, Option<String>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let row = job_row(app).await;
        if row.1 == attempts && row.0 == status {
            return row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "job stuck at {row:?}, wanted {status} after {attempts}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn failing_jobs_back_off_then_dead_letter() {
    // An SMTP server that is not there: every delivery fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let app = spawn_with(|c| {
        c.smtp_url = Some(vertechie_kernel::config::Secret::new(format!(
            "smtp://127.0.0.1:{port}"
        )));
        c.queue_max_attempts = 3;
    })
    .await;
    register(&app, "ada").await;
    let (_, _, err) = wait_for_job(&app, 1, "queued").await;
    assert!(err.is_some());
    // Not retried before its backoff (10 s) has passed.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(job_row(&app).await.1, 1);
    app.advance(Duration::seconds(11));
    wait_for_job(&app, 2, "queued").await;
    app.advance(Duration::seconds(21));
    wait_for_job(&app, 3, "dead").await;
    // Dead jobs stay dead and show in the metrics.
    app.advance(Duration::hours(2));
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(job_row(&app).await.0, "dead");
    let metrics = app.get("/metrics").await;
    assert!(
        metrics.text.contains("job_queue_depth{status=\"dead\"} 1"),
        "{}",
        metrics.text
    );
    // Nothing reached the outbox: with SMTP configured mail is never silently diverted.
    assert!(app.outbox("ada@example.com").await.is_empty());
}

#[tokio::test]
async fn mail_is_delivered_over_smtp_when_configured() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_with(|c| c.smtp_url = Some(vertechie_kernel::config::Secret::new(url))).await;
    register(&app, "ada").await;
    let messages = sink.wait_for(1).await;
    assert_eq!(messages[0].to, vec!["ada@example.com"]);
    assert!(messages[0].from.contains("no-reply@vertechie.local"));
    assert!(
        messages[0]
            .data
            .contains("Subject: Confirm your email for VerTechie"),
        "{}",
        messages[0].data
    );
    assert!(messages[0].data.contains("verify-email?token="));
    wait_for_job(&app, 1, "done").await;
    assert!(app.outbox("ada@example.com").await.is_empty());
}
