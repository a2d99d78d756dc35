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

// ---- the API contract: error envelope, catalogue, documented errors, unique constraints ----

const ENVELOPE_REF: &str = "#/components/schemas/ErrorEnvelope";

/// Every `$ref` string anywhere under `v`.
fn refs_in(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", serde_json::Value::String(r)) => out.push(r.clone()),
                    _ => refs_in(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

fn resolve<'a>(doc: &'a serde_json::Value, r: &str) -> Option<&'a serde_json::Value> {
    doc.pointer(r.strip_prefix('#')?)
}

/// The codes a description names: catalogue codes, and anything code-like (`A_B`).
fn codes_named(description: &str) -> Vec<&str> {
    description
        .split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        .filter(|w| w.len() >= 3 && w.starts_with(|c: char| c.is_ascii_uppercase()))
        .filter(|w| w.contains('_') || vertechie_kernel::error::code_info(w).is_some())
        .collect()
}

#[test]
fn openapi_refs_resolve_and_every_operation_documents_the_errors_its_shape_implies() {
    let doc = vertechie_server::openapi();
    let mut refs = Vec::new();
    refs_in(&doc, &mut refs);
    assert!(refs.len() > 200, "only {} refs", refs.len());
    let unresolved: Vec<&String> = refs.iter().filter(|r| resolve(&doc, r).is_none()).collect();
    assert!(unresolved.is_empty(), "unresolved $refs: {unresolved:?}");

    // The catalogue is published whole, and the 422 details are what the server sends.
    let schemas = &doc["components"]["schemas"];
    let published: Vec<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let catalogue: Vec<&str> = vertechie_kernel::error::ERROR_CODES
        .iter()
        .map(|c| c.code)
        .collect();
    assert_eq!(published, catalogue);
    assert_eq!(
        schemas["ErrorCode"]["x-error-codes"]
            .as_array()
            .unwrap()
            .len(),
        catalogue.len()
    );
    assert_eq!(
        schemas["ErrorObject"]["properties"]["details"]["items"]["$ref"],
        "#/components/schemas/FieldError"
    );
    assert_eq!(
        schemas["FieldError"]["required"],
        json!(["field", "message"])
    );

    let mut operations = 0;
    let mut problems = Vec::new();
    let mut operation_ids = std::collections::BTreeSet::new();
    let mut linked = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let at = format!("{} {path}", method.to_uppercase());
            match op["operationId"].as_str() {
                Some(id) if !operation_ids.insert(id.to_owned()) => {
                    problems.push(format!("{at}: operationId {id} is used twice"))
                }
                Some(_) => {}
                None => problems.push(format!("{at}: no operationId")),
            }
            let security: Vec<&serde_json::Value> = op["security"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            let signed_in = security.iter().any(|r| !r.as_object().unwrap().is_empty());
            let params: Vec<&str> = op["parameters"]
                .as_array()
                .map(|a| a.iter().map(|p| p["in"].as_str().unwrap()).collect())
                .unwrap_or_default();
            let body = op.get("requestBody");
            let json_body = body.is_some_and(|b| b["content"].get("application/json").is_some());
            let write = matches!(method.as_str(), "post" | "put" | "patch" | "delete");
            let mut implied = vec!["429", "500", "503"];
            if signed_in {
                implied.push("401");
            }
            if signed_in && write {
                implied.push("403");
            }
            if params.contains(&"path") {
                implied.extend(["400", "404"]);
            }
            if params.contains(&"query") {
                implied.push("400");
            }
            if body.is_some() {
                implied.extend(["400", "413", "415"]);
            }
            if json_body {
                implied.push("422");
            }
            let responses = op["responses"].as_object().unwrap();
            for status in implied {
                if !responses.contains_key(status) {
                    problems.push(format!("{at}: no {status} response"));
                }
            }
            for (status, response) in responses {
                for link in response["links"].as_object().into_iter().flatten() {
                    linked.push((
                        at.clone(),
                        link.1["operationId"].as_str().unwrap().to_owned(),
                    ));
                }
                let Ok(code) = status.parse::<u16>() else {
                    problems.push(format!("{at}: status {status} is not a number"));
                    continue;
                };
                if code < 400 {
                    continue;
                }
                let response = match response.get("$ref").and_then(|r| r.as_str()) {
                    Some(r) => resolve(&doc, r).unwrap(),
                    None => response,
                };
                if response["content"]["application/json"]["schema"]["$ref"] != ENVELOPE_REF {
                    problems.push(format!("{at}: {status} is not the error envelope"));
                }
                let description = response["description"].as_str().unwrap_or("");
                if description.is_empty() {
                    problems.push(format!("{at}: {status} has no description"));
                }
                for named in codes_named(description) {
                    if !vertechie_kernel::error::code_allows(named, code) {
                        problems.push(format!(
                            "{at}: {status} names {named}, which the catalogue does not give {status}"
                        ));
                    }
                }
            }
        }
    }
    assert!(operations > 100, "only {operations} operations");
    assert!(linked.len() > 50, "only {} links", linked.len());
    for (at, target) in linked {
        if !operation_ids.contains(&target) {
            problems.push(format!("{at}: links to unknown operation {target}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn errors_match_the_documented_envelope() {
    let app = spawn().await;
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "not an email", "username": "ada", "password": "short"}),
        )
        .await;
    res.expect_error(422, "VALIDATION_ERROR");
    let error = res.body["error"].as_object().unwrap();
    let details = error["details"].as_array().unwrap();
    assert!(!details.is_empty());
    for d in details {
        let d = d.as_object().unwrap();
        let mut keys: Vec<&String> = d.keys().collect();
        keys.sort();
        assert_eq!(keys, ["field", "message"], "{d:?}");
    }
    assert!(
        vertechie_kernel::error::code_allows(error["code"].as_str().unwrap(), 422),
        "{error:?}"
    );
}

#[tokio::test]
async fn unique_violations_are_told_apart_by_constraint_on_this_database() {
    use vertechie_kernel::AppError;
    use vertechie_kernel::error::UniqueKey;
    let app = spawn().await;
    let db = &app.state.db;
    for sql in [
        "CREATE TABLE uq_probe (id INTEGER PRIMARY KEY, a VARCHAR(10), b VARCHAR(10))",
        "CREATE UNIQUE INDEX uq_uq_probe_a ON uq_probe (a)",
        "CREATE UNIQUE INDEX uq_uq_probe_b ON uq_probe (b)",
        "INSERT INTO uq_probe (id, a, b) VALUES (1, 'x', 'y')",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
    let a = UniqueKey::new("uq_uq_probe_a", "uq_probe", &["a"]);
    let b = UniqueKey::new("uq_uq_probe_b", "uq_probe", &["b"]);
    let pk = UniqueKey::new("uq_probe_pkey", "uq_probe", &["id"]);
    for (sql, broken) in [
        ("INSERT INTO uq_probe (id, a, b) VALUES (2, 'x', 'z')", a),
        ("INSERT INTO uq_probe (id, a, b) VALUES (3, 'w', 'y')", b),
        ("INSERT INTO uq_probe (id, a, b) VALUES (1, 'v', 'u')", pk),
    ] {
        let err = AppError::from(db.execute_unprepared(sql).await.unwrap_err());
        assert_eq!((err.status.as_u16(), err.code), (409, "CONFLICT"), "{sql}");
        for key in [a, b, pk] {
            assert_eq!(
                err.is_conflict_on(&key),
                key == broken,
                "{sql} vs {}",
                key.name
            );
        }
        let precise = err.on_conflict(&a, || AppError::conflict("SLUG_TAKEN", "taken"));
        let expected = if broken == a {
            "SLUG_TAKEN"
        } else {
            "CONFLICT"
        };
        assert_eq!(precise.code, expected, "{sql}");
    }
}

/// `(name, table, columns)` of each `UniqueKey::new(…)` in the domains' sources.
fn unique_keys_in_sources() -> Vec<(String, String, Vec<String>)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    walk(&crates, &mut files);
    let mut keys = Vec::new();
    for file in files {
        let shown = file.display().to_string();
        // The kernel's own examples (its unit tests) are not schema.
        if shown.contains("/kernel/src/error") || !shown.contains("/src/") {
            continue;
        }
        let src = std::fs::read_to_string(&file).unwrap();
        for (at, _) in src.match_indices("UniqueKey::new(") {
            let args = &src[at..];
            let args = &args[..args.find(')').unwrap()];
            let literals: Vec<String> = args
                .split('"')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect();
            assert!(literals.len() >= 3, "{shown}: cannot read {args}");
            keys.push((
                literals[0].clone(),
                literals[1].clone(),
                literals[2..].to_vec(),
            ));
        }
    }
    keys
}

#[tokio::test]
async fn every_unique_key_in_the_code_is_a_unique_index_of_the_schema() {
    use sea_orm::FromQueryResult;
    #[derive(FromQueryResult)]
    struct IndexColumn {
        name: String,
        origin: String,
        col: String,
    }
    let app = spawn().await;
    let db = &app.state.db;
    let keys = unique_keys_in_sources();
    assert!(keys.len() >= 7, "{keys:?}");
    for (name, table, columns) in keys {
        let sql = if app.is_postgres() {
            format!(
                "SELECT i.relname AS name, CASE WHEN x.indisprimary THEN 'pk' ELSE 'u' END AS origin, \
                 a.attname AS col FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                 JOIN pg_class t ON t.oid = x.indrelid \
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey) \
                 WHERE t.relname = '{table}' AND x.indisunique"
            )
        } else {
            format!(
                "SELECT il.name AS name, il.origin AS origin, ii.name AS col \
                 FROM pragma_index_list('{table}') il JOIN pragma_index_info(il.name) ii \
                 WHERE il.\"unique\" = 1"
            )
        };
        let rows =
            IndexColumn::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
                .all(db)
                .await
                .unwrap();
        let mut found: Vec<String> = rows
            .iter()
            .filter(|r| {
                // SQLite names a primary key's index `sqlite_autoindex_…`; PostgreSQL `<table>_pkey`.
                r.name == name || (r.origin == "pk" && name == format!("{table}_pkey"))
            })
            .map(|r| r.col.clone())
            .collect();
        found.sort();
        let mut expected = columns.clone();
        expected.sort();
        assert_eq!(found, expected, "unique key {name} on {table}");
    }
}
