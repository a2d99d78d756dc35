//! The `vertechie` binary as an operator uses it: configuration, migrate, create-admin, serve on
//! port 0, the generated secret surviving restarts, and graceful shutdown on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use vertechie_kernel::testkit::TestDb;

/// The shutdown test times a slow request against the grace period, and the two-process test
/// runs two servers: they take turns, so one's load does not make the other late.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn vertechie(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vertechie"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("VERTECHIE_DATA_DIR", db.dir())
        .env("DATABASE_URL", &db.url)
        .env("VERTECHIE_ARGON2_MEMORY_KIB", "1024")
        .env("VERTECHIE_ARGON2_ITERATIONS", "1");
    cmd
}

/// Starts `serve` on port 0 and returns the child and the URL from its log line.
fn start(db: &TestDb) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    start_cmd(vertechie(db))
}

/// Starts `serve` on port 0 with `cmd`'s environment.
fn start_cmd(mut cmd: Command) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut child = cmd
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no listening line; saw {seen:#?}"));
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("log line is not JSON: {line}"));
        if let Some(url) = v["url"].as_str() {
            assert!(v["message"].as_str().unwrap().contains(url));
            return (child, url.to_owned(), rx);
        }
        seen.push(line);
        assert!(std::time::Instant::now() < deadline);
    }
}

fn stop(mut child: Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    // A guard against hanging, not a timing check: a loaded machine (debug build, argon2 in
    // flight) may need the whole shutdown grace.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn config_prints_effective_values_with_secrets_masked() {
    let db = TestDb::fresh().await;
    let out = vertechie(&db)
        .env(
            "VERTECHIE_SECRET",
            "super-secret-value-that-must-not-leak-0123",
        )
        .env("VERTECHIE_SMTP_URL", "smtp://mailer:hunter2@127.0.0.1:2525")
        .env("VERTECHIE_RATE_LIMIT_PER_MIN", "250")
        .args(["config", "--bind", "127.0.0.1:9999"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("super-secret-value"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("rate_limit_per_min = 250"), "{text}");
    // CLI flags override the environment.
    assert!(text.contains("bind = \"127.0.0.1:9999\""), "{text}");
}

#[tokio::test]
async fn invalid_configuration_stops_start_up_naming_the_key() {
    let db = TestDb::fresh().await;
    let out = vertechie(&db)
        .env("VERTECHIE_AUTH_RATE_LIMIT_PER_MIN", "lots")
        .arg("config")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("auth_rate_limit_per_min"), "{err}");
    let out = vertechie(&db)
        .args(["serve", "--bind", "not-an-address"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bind"));
    let toml = db.dir().join("vertechie.toml");
    std::fs::write(&toml, "log_format = \"xml\"\n").unwrap();
    let out = vertechie(&db)
        .args(["config", "--config", toml.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("log_format"));
}

#[tokio::test]
async fn toml_file_is_layered_under_the_environment() {
    let db = TestDb::fresh().await;
    let toml = db.dir().join("vertechie.toml");
    std::fs::write(
        &toml,
        "rate_limit_per_min = 42\nauth_rate_limit_per_min = 7\n",
    )
    .unwrap();
    let out = vertechie(&db)
        .env("VERTECHIE_AUTH_RATE_LIMIT_PER_MIN", "9")
        .args(["config", "--config", toml.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("rate_limit_per_min = 42"), "{text}");
    assert!(text.contains("auth_rate_limit_per_min = 9"), "{text}");
}

#[tokio::test]
async fn migrate_then_create_admin_from_stdin_then_serve() {
    let db = TestDb::fresh().await;
    let out = vertechie(&db).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut child = vertechie(&db)
        .args(["create-admin", "--email", "Root@Example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long admin password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created super admin root@example.com"));
    // A weak password is refused with the reason.
    let out = vertechie(&db)
        .args([
            "create-admin",
            "--email",
            "x@example.com",
            "--password",
            "short",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));

    let (child, url, _logs) = start(&db);
    let client = reqwest::Client::new();
    let res: serde_json::Value = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(
            &serde_json::json!({"email": "root@example.com", "password": "a long admin password"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let roles = res["data"]["user"]["roles"].as_array().unwrap();
    assert!(roles.iter().any(|r| r == "super_admin"), "{res}");
    assert!(stop(child).success());
}

#[tokio::test]
async fn generated_secret_survives_restarts_and_sigterm_exits_cleanly() {
    let db = TestDb::fresh().await;
    let (child, url, logs) = start(&db);
    assert!(!url.ends_with(":0"), "the log shows the real port: {url}");
    let secret_path = db.dir().join("secret.key");
    assert!(secret_path.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&secret_path)
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    let client = reqwest::Client::new();
    let res: serde_json::Value = client
        .post(format!("{url}/api/v1/auth/register"))
        .json(&serde_json::json!({"email": "ada@example.com", "username": "ada", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = res["data"]["access_token"].as_str().unwrap().to_owned();
    let status = stop(child);
    assert!(status.success(), "exit status {status:?}");
    let lines: Vec<String> = logs.try_iter().collect();
    assert!(
        lines.iter().any(|l| l.contains("\"stopped\"")),
        "{lines:#?}"
    );

    let (child, url, _logs) = start(&db);
    let me = client
        .get(format!("{url}/api/v1/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        200,
        "a token from before the restart still works"
    );
    assert!(stop(child).success());
}

#[tokio::test]
async fn in_flight_requests_finish_during_shutdown() {
    let _turn = HEAVY.lock().await;
    let db = TestDb::fresh().await;
    // Slow password hashing makes registration a long in-flight request.
    let mut cmd = vertechie(&db);
    // (Debug-build argon2 at this cost: about a second unloaded, far more on a busy machine.)
    cmd.env("VERTECHIE_ARGON2_MEMORY_KIB", "32768")
        .env("VERTECHIE_ARGON2_ITERATIONS", "2")
        // Room for a slow (debug, loaded machine) hash to finish inside the grace period.
        .env("VERTECHIE_SHUTDOWN_TIMEOUT_SECS", "40");
    let mut child = cmd
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().unwrap().unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if let Some(u) = v["url"].as_str() {
            break u.to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let client = reqwest::Client::new();
    let req = tokio::spawn({
        let client = client.clone();
        let url = url.clone();
        async move {
            client
                .post(format!("{url}/api/v1/auth/register"))
                .json(&serde_json::json!({"email": "slow@example.com", "username": "slow", "password": "correct horse battery"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    // Give the request time to reach the server; hashing then keeps it busy for seconds.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = tokio::task::spawn_blocking(move || stop(child))
        .await
        .unwrap();
    assert_eq!(
        req.await.unwrap().unwrap(),
        201,
        "the in-flight request completed"
    );
    assert!(status.success());
}

#[tokio::test]
async fn worker_runs_queued_jobs_and_stops_on_sigterm() {
    let db = TestDb::fresh().await;
    // `serve` with no workers queues the verification mail; a separate `worker` process delivers it.
    let mut cmd = vertechie(&db);
    cmd.env("VERTECHIE_QUEUE_WORKERS", "0");
    let mut serve = cmd
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(serve.stdout.take().unwrap()).lines();
    let url = loop {
        let v: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        if let Some(u) = v["url"].as_str() {
            break u.to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let status = reqwest::Client::new()
        .post(format!("{url}/api/v1/auth/register"))
        .json(&serde_json::json!({"email": "ada@example.com", "username": "ada", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 201);
    let conn = vertechie_kernel::db::connect(&db.url, 1).await.unwrap();
    let outbox = || vertechie_kernel::mail::outbox(&conn, Some("ada@example.com"), 10, 0);
    assert!(
        outbox().await.unwrap().is_empty(),
        "nothing delivers mail without a worker"
    );
    let worker = vertechie(&db)
        .arg("worker")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while outbox().await.unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker did not deliver the mail"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        tokio::task::spawn_blocking(move || stop(worker))
            .await
            .unwrap()
            .success()
    );
    Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(serve.wait().unwrap().success());
}

/// A WebSocket client of a `serve` process, speaking JSON frames.
struct Socket(
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
);

impl Socket {
    async fn open(base: &str, token: &str) -> Socket {
        let url = format!("{}/api/v1/ws?token={token}", base.replacen("http", "ws", 1));
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut s = Socket(ws);
        let ready = s.wait_for("ready", |_| true).await;
        assert!(ready["user"]["id"].is_string());
        s
    }

    async fn send(&mut self, frame: serde_json::Value) {
        use futures::SinkExt;
        self.0
            .send(tokio_tungstenite::tungstenite::Message::text(
                frame.to_string(),
            ))
            .await
            .unwrap();
    }

    /// The next frame of type `kind` (`any`: of any type) for which `pred` holds (others
    /// skipped); panics after 5 s.
    async fn wait_for(
        &mut self,
        kind: &str,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        use futures::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let msg = tokio::time::timeout_at(deadline, self.0.next())
                .await
                .unwrap_or_else(|_| panic!("no {kind} frame within 5 s"))
                .expect("the socket ended")
                .expect("socket error");
            if let Message::Text(t) = msg {
                let f: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
                if (kind == "any" || f["type"] == kind) && pred(&f) {
                    return f;
                }
            }
        }
    }

    /// The code of the server's close frame (None when the connection just ended).
    async fn close_code(&mut self) -> Option<u16> {
        use futures::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            match tokio::time::timeout_at(deadline, self.0.next()).await {
                Err(_) => panic!("the socket is still open"),
                Ok(Some(Ok(Message::Close(f)))) => return f.map(|f| u16::from(f.code)),
                Ok(Some(Ok(_))) => {}
                Ok(_) => return None,
            }
        }
    }
}

/// `method url` with a bearer token and a JSON body; the response's `data`.
async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: serde_json::Value,
) -> serde_json::Value {
    let mut req = http.request(method, &url);
    if !body.is_null() {
        req = req.json(&body);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let v: serde_json::Value = res.json().await.unwrap_or_default();
    assert!(status.is_success(), "{url}: {status} {v}");
    v["data"].clone()
}

/// Two `serve` processes on one database and the local Redis, a socket on each: a message
/// sent on one reaches the other within a second, presence and room counts agree on both, and
/// SIGTERM closes a process's sockets with 1001 and takes its users' presence down at once.
#[tokio::test]
async fn two_serve_processes_share_live_messages_and_presence() {
    use reqwest::Method;
    use serde_json::json;
    let Some(redis) = vertechie_kernel::testkit::test_redis().await else {
        return;
    };
    let _turn = HEAVY.lock().await;
    let db = TestDb::fresh().await;
    let with_redis = || {
        let mut cmd = vertechie(&db);
        cmd.env("VERTECHIE_REDIS_URL", &redis);
        cmd
    };
    let (a, url_a, _logs_a) = start_cmd(with_redis());
    let (b, url_b, _logs_b) = start_cmd(with_redis());
    let http = reqwest::Client::new();
    let mut users = Vec::new();
    for (url, name) in [(&url_a, "alice"), (&url_b, "bob")] {
        let d = call(
            &http,
            Method::POST,
            format!("{url}/api/v1/auth/register"),
            None,
            json!({"email": format!("{name}@example.com"), "username": name,
                   "password": "correct horse battery"}),
        )
        .await;
        users.push((
            d["user"]["id"].as_str().unwrap().to_owned(),
            d["access_token"].as_str().unwrap().to_owned(),
        ));
    }
    let [(_, alice), (bob_id, bob)] = [users[0].clone(), users[1].clone()];
    let room = call(
        &http,
        Method::POST,
        format!("{url_a}/api/v1/chat/rooms"),
        Some(&alice),
        json!({"name": "Across", "kind": "public"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    call(
        &http,
        Method::POST,
        format!("{url_b}/api/v1/chat/rooms/{room}/join"),
        Some(&bob),
        json!({}),
    )
    .await;

    let mut on_a = Socket::open(&url_a, &alice).await;
    on_a.send(json!({"type": "join_room", "room_id": room, "ref": 1}))
        .await;
    on_a.wait_for("ack", |f| f["ref"] == 1).await;
    let mut on_b = Socket::open(&url_b, &bob).await;
    on_b.send(json!({"type": "join_room", "room_id": room, "ref": 1}))
        .await;
    let ack = on_b.wait_for("ack", |f| f["ref"] == 1).await;
    assert_eq!(ack["online_count"], 2, "{ack}");
    on_a.wait_for("presence", |f| {
        f["user_id"] == bob_id.as_str() && f["status"] == "online"
    })
    .await;

    let started = std::time::Instant::now();
    on_a.send(json!({"type": "send_message", "room_id": room, "body": "from A"}))
        .await;
    on_b.wait_for("new_message", |f| f["message"]["body"] == "from A")
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "delivered across processes in {:?}",
        started.elapsed()
    );
    for url in [&url_a, &url_b] {
        let d = call(
            &http,
            Method::GET,
            format!("{url}/api/v1/chat/rooms/{room}/online"),
            Some(&alice),
            json!(null),
        )
        .await;
        assert_eq!(
            (d["online_count"].as_u64(), d["member_count"].as_u64()),
            (Some(2), Some(2)),
            "{url}: {d}"
        );
    }

    // B stops: its socket is closed cleanly and A hears at once that bob left.
    let stopping = tokio::task::spawn_blocking(move || stop(b));
    assert_eq!(on_b.close_code().await, Some(1001));
    assert!(stopping.await.unwrap().success());
    // Both announcements come, in either order.
    let mut left = (false, false);
    while left != (true, true) {
        let f = on_a
            .wait_for("any", |f| f["user_id"] == bob_id.as_str())
            .await;
        left.0 |= f["type"] == "presence" && f["status"] == "offline";
        left.1 |= f["type"] == "user_left";
    }
    let d = call(
        &http,
        Method::GET,
        format!("{url_a}/api/v1/chat/rooms/{room}/online"),
        Some(&alice),
        json!(null),
    )
    .await;
    assert_eq!(d["online_count"], 1, "{d}");
    assert!(
        tokio::task::spawn_blocking(move || stop(a))
            .await
            .unwrap()
            .success()
    );
}
