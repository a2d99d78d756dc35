//! Test harness: the real app on 127.0.0.1:0 with a fresh database (a temporary SQLite file, or
//! a freshly created PostgreSQL database when `TEST_DATABASE_URL` is set, dropped afterwards),
//! an HTTP client, the mail outbox, and a local SMTP sink.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::watch;

use crate::clock::OffsetClock;
use crate::config::{Config, Secret};
use crate::mail::OutboxMail;
use crate::state::AppState;

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn fresh() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) => {
                let name = format!("vt_test_{}", uuid::Uuid::now_v7().simple());
                let admin = sea_orm::Database::connect(admin_url.as_str())
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = replace_db_name(&admin_url, &name);
                Self {
                    url,
                    dir,
                    pg: Some((admin_url, name)),
                }
            }
            None => {
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Self { url, dir, pg: None }
            }
        }
    }

    /// The same database for a second app instance; only the first handle drops it.
    pub fn shared(&self) -> Self {
        Self {
            url: self.url.clone(),
            dir: tempfile::tempdir().expect("temp dir"),
            pg: None,
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            // Drop runs outside async context: use a private runtime on its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async move {
                    let admin = sea_orm::Database::connect(admin_url.as_str()).await.ok()?;
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await
                        .ok()?;
                    admin.close().await.ok()
                })
            })
            .join();
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].rfind('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Configuration for tests: fast password hashing, no rate limits, one worker.
pub fn test_config(db: &TestDb) -> Config {
    Config {
        bind: "127.0.0.1:0".into(),
        data_dir: db.dir().to_path_buf(),
        database_url: Some(db.url.clone()),
        secret: Some(Secret::new("test-secret-test-secret-test-secret-0123")),
        public_url: Some("http://vertechie.test".into()),
        rate_limit_per_min: 0,
        auth_rate_limit_per_min: 0,
        user_write_rate_limit_per_min: 0,
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        queue_workers: 1,
        db_max_connections: 5,
        ..Config::default()
    }
}

/// The Redis to run tests against (`VERTECHIE_TEST_REDIS_URL`, default
/// `redis://127.0.0.1:6379`) when it answers PING. Otherwise `None` after printing why the test
/// is skipped — or a panic when `VERTECHIE_REDIS_TESTS=required`.
pub async fn test_redis() -> Option<String> {
    let url = std::env::var("VERTECHIE_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let ping = async {
        let client = redis::Client::open(url.as_str())?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    let why = match tokio::time::timeout(Duration::from_secs(3), ping).await {
        Ok(Ok(_)) => return Some(url),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "timed out".into(),
    };
    if std::env::var("VERTECHIE_REDIS_TESTS").as_deref() == Ok("required") {
        panic!(
            "Redis at {url} is required (VERTECHIE_REDIS_TESTS=required) but unreachable: {why}"
        );
    }
    skipped(&format!(
        "Redis at {url} is unreachable ({why}); set VERTECHIE_REDIS_TESTS=required to fail instead"
    ));
    None
}

/// Says on the terminal that the running test skipped its checks and why. Written to stderr
/// directly, past the test harness's output capture, so a passing `cargo test` still lists
/// every skip (`SKIPPED <test>: <why>`).
pub fn skipped(why: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {why}");
}

/// The running app of one test.
pub struct TestApp {
    pub addr: SocketAddr,
    pub base_url: String,
    pub state: AppState,
    pub clock: Arc<OffsetClock>,
    pub client: reqwest::Client,
    stop: watch::Sender<bool>,
    _db: TestDb,
}

impl TestApp {
    /// Serves `router` on 127.0.0.1:0 and runs the job workers, until the `TestApp` is dropped.
    pub async fn start(
        state: AppState,
        router: Router,
        clock: Arc<OffsetClock>,
        db: TestDb,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, rx) = watch::channel(false);
        state
            .queue
            .spawn_workers(state.clone(), state.config.queue_workers.max(1), rx.clone());
        let mut srv_rx = rx;
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = srv_rx.wait_for(|s| *s).await;
            })
            .await
            .ok();
        });
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Self {
            addr,
            base_url: format!("http://{addr}"),
            state,
            clock,
            client,
            stop,
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// The test database this app runs on.
    pub fn db(&self) -> &TestDb {
        &self._db
    }

    /// Starts a request; finish it with `.token()`, `.json()`, `.send()`.
    pub fn req(&self, method: Method, path: &str) -> TestRequest {
        TestRequest {
            inner: self.client.request(method, self.url(path)),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.req(Method::GET, path).send().await
    }

    pub async fn post(&self, path: &str, body: Value) -> TestResponse {
        self.req(Method::POST, path).json(&body).send().await
    }

    /// Mail stored in the outbox for `to`, newest first.
    pub async fn outbox(&self, to: &str) -> Vec<OutboxMail> {
        crate::mail::outbox(&self.state.db, Some(to), 100, 0)
            .await
            .expect("read outbox")
    }

    /// Waits (up to 10 s) until `n` mails to `to` are in the outbox; returns them newest first.
    pub async fn wait_for_mail(&self, to: &str, n: usize) -> Vec<OutboxMail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let mails = self.outbox(to).await;
            if mails.len() >= n {
                return mails;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} mail(s) to {to}, found {}",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (up to 15 s) until no queue task due by the test clock is left to run.
    pub async fn wait_for_queue(&self) {
        use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
        let backend = self.state.db.get_database_backend();
        let sql = match backend {
            DatabaseBackend::Postgres => {
                "SELECT COUNT(*) AS n FROM queue_tasks WHERE status IN ('queued', 'running') AND run_at <= $1"
            }
            _ => {
                "SELECT COUNT(*) AS n FROM queue_tasks WHERE status IN ('queued', 'running') AND run_at <= ?"
            }
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let now = self.state.clock.now();
            let left = self
                .state
                .db
                .query_one_raw(Statement::from_sql_and_values(backend, sql, [now.into()]))
                .await
                .expect("count due tasks")
                .and_then(|r| r.try_get::<i64>("", "n").ok())
                .unwrap_or(0);
            if left == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{left} due queue task(s) still waiting after 15 s"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Moves the app's clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    pub fn is_postgres(&self) -> bool {
        self._db.is_postgres()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

pub struct TestRequest {
    inner: reqwest::RequestBuilder,
}

impl TestRequest {
    pub fn token(mut self, token: &str) -> Self {
        self.inner = self.inner.bearer_auth(token);
        self
    }
    pub fn json(mut self, body: &Value) -> Self {
        self.inner = self.inner.json(body);
        self
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.inner = self.inner.header(k, v);
        self
    }
    pub fn body(mut self, body: impl Into<reqwest::Body>) -> Self {
        self.inner = self.inner.body(body);
        self
    }
    pub async fn send(self) -> TestResponse {
        let res = self.inner.send().await.expect("request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        TestResponse {
            status,
            headers,
            body,
            text,
        }
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl TestResponse {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
    /// The error code of an error envelope ("" otherwise).
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }
    /// Asserts an error envelope with this status and code.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.body["status"], "error",
            "not an error envelope: {}",
            self.text
        );
        assert_eq!(
            self.code(),
            code,
            "unexpected error code; body: {}",
            self.text
        );
        self
    }
    /// The field names in the error details.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["error"]["details"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|d| d["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A message received by the SMTP sink.
#[derive(Debug, Clone)]
pub struct SinkMessage {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

/// A minimal SMTP server on 127.0.0.1:0 that accepts and keeps every message.
pub struct SmtpSink {
    pub addr: SocketAddr,
    messages: Arc<Mutex<Vec<SinkMessage>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind smtp sink");
        let addr = listener.local_addr().expect("addr");
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = smtp_session(stream, store).await;
                });
            }
        });
        Self { addr, messages }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn messages(&self) -> Vec<SinkMessage> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Waits (up to 10 s) for at least `n` messages.
    pub async fn wait_for(&self, n: usize) -> Vec<SinkMessage> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} SMTP message(s), got {}",
                m.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn smtp_session(
    stream: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<SinkMessage>>>,
) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut lines = BufReader::new(r).lines();
    w.write_all(b"220 vertechie-test-sink ESMTP\r\n").await?;
    let mut current = SinkMessage {
        from: String::new(),
        to: Vec::new(),
        data: String::new(),
    };
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            w.write_all(b"250-vertechie-test-sink\r\n250 8BITMIME\r\n")
                .await?;
        } else if upper.starts_with("MAIL FROM:") {
            current.from = line[10..].trim().trim_matches(['<', '>']).to_owned();
            w.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            current
                .to
                .push(line[8..].trim().trim_matches(['<', '>']).to_owned());
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                data.push('\n');
            }
            current.data = data;
            if let Ok(mut m) = store.lock() {
                m.push(std::mem::replace(
                    &mut current,
                    SinkMessage {
                        from: String::new(),
                        to: Vec::new(),
                        data: String::new(),
                    },
                ));
            }
            w.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "QUIT" {
            w.write_all(b"221 Bye\r\n").await?;
            break;
        } else {
            // RSET, NOOP and anything else.
            w.write_all(b"250 OK\r\n").await?;
        }
    }
    Ok(())
}

/// A cookie-keeping HTTP client that behaves like a browser without JavaScript: it follows no
/// redirects (so tests can see them) and fills in the CSRF token from its cookie jar.
pub struct Browser {
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: String,
}

impl TestApp {
    pub fn browser(&self) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Browser {
            client,
            jar,
            base: self.base_url.clone(),
        }
    }
}

impl Browser {
    async fn finish(res: reqwest::Response) -> TestResponse {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        TestResponse {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        Self::finish(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// The value of a cookie the site set, if any (HttpOnly ones too).
    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().expect("url");
        let header = self.jar.cookies(&url)?;
        header.to_str().ok()?.split(';').find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    }

    /// Posts a form with the CSRF token from the cookie (loads `/signin` first if there is none).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        if self.cookie("vt_csrf").is_none() {
            self.get("/signin").await;
        }
        let token = self.cookie("vt_csrf").unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        Self::finish(
            self.client
                .post(format!("{}{path}", self.base))
                .form(&all)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// Posts a form without a CSRF token (to check it is refused).
    pub async fn post_form_without_csrf(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> TestResponse {
        Self::finish(
            self.client
                .post(format!("{}{path}", self.base))
                .form(fields)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// Signs in through the page and asserts it worked.
    pub async fn sign_in(&self, email: &str, password: &str) {
        let res = self
            .post_form(
                "/signin",
                &[
                    ("email", email),
                    ("password", password),
                    ("next", "/dashboard"),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "sign-in failed: {}", res.text);
        assert!(
            self.cookie("vt_session").is_some_and(|c| !c.is_empty()),
            "no session cookie after sign-in"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::replace_db_name;

    #[test]
    fn replaces_database_name() {
        assert_eq!(
            replace_db_name("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_db_name("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }
}
