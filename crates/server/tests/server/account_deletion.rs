//! Deleting an account runs every module's deletion hook in one transaction: company
//! memberships (handed over or the company closed), applications redacted, saved jobs,
//! notifications and pending send-later messages removed, uploaded files removed (rows at once,
//! objects by a queued task), chat messages kept under "Deleted user". On SQLite and PostgreSQL.

use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use vertechie_kernel::testkit::{TestApp, TestResponse};
use vertechie_server::testing::spawn;

const PASSWORD: &str = "correct horse battery";

struct User {
    id: String,
    token: String,
}

async fn register(app: &TestApp, username: &str) -> User {
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": format!("{username}@example.com"), "username": username,
                   "password": PASSWORD, "full_name": format!("{username} Person")}),
        )
        .await;
    res.expect(201);
    // Companies and jobs need a verified address.
    count(
        app,
        &format!("UPDATE users SET is_verified = TRUE WHERE username = '{username}'"),
    )
    .await;
    User {
        id: res.data()["user"]["id"].as_str().unwrap().to_owned(),
        token: res.data()["access_token"].as_str().unwrap().to_owned(),
    }
}

async fn call(app: &TestApp, method: Method, path: &str, who: &User, body: Value) -> TestResponse {
    app.req(method, path)
        .token(&who.token)
        .json(&body)
        .send()
        .await
}

/// Runs `sql` with `?` placeholders bound to `uuids`; for a `SELECT COUNT(*) AS n …` returns n.
async fn count_with(app: &TestApp, sql: &str, uuids: &[&str]) -> i64 {
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let mut sql = sql.to_owned();
    if backend == sea_orm::DatabaseBackend::Postgres {
        for i in 1..=uuids.len() {
            sql = sql.replacen('?', &format!("${i}"), 1);
        }
    }
    let values: Vec<sea_orm::Value> = uuids
        .iter()
        .map(|u| uuid::Uuid::parse_str(u).unwrap().into())
        .collect();
    let stmt = Statement::from_sql_and_values(backend, sql.clone(), values);
    if sql.starts_with("SELECT") {
        db.query_one_raw(stmt)
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
    } else {
        db.execute_raw(stmt).await.unwrap();
        0
    }
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    count_with(app, sql, &[]).await
}

fn job(company: &str, title: &str) -> Value {
    json!({
        "company_id": company, "title": title, "description": "Build things.",
        "remote": "remote", "employment_type": "full_time", "status": "open",
        "screening_questions": [{"id": "why", "text": "Why us?", "kind": "text"}]
    })
}

async fn id_of(res: TestResponse) -> String {
    res.expect(201);
    res.data()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn deleting_an_account_lets_every_module_go_of_it() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let bob = register(&app, "bob").await;
    let cara = register(&app, "cara").await;

    // Ada owns Acme (Bob is its admin) and, alone, Solo.
    let acme = id_of(
        call(
            &app,
            Method::POST,
            "/api/v1/companies",
            &ada,
            json!({"name": "Acme"}),
        )
        .await,
    )
    .await;
    let solo = id_of(
        call(
            &app,
            Method::POST,
            "/api/v1/companies",
            &ada,
            json!({"name": "Solo"}),
        )
        .await,
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/companies/{acme}/members"),
        &ada,
        json!({"user_id": bob.id, "role": "admin"}),
    )
    .await
    .expect(201);
    let acme_job = id_of(
        call(
            &app,
            Method::POST,
            "/api/v1/jobs",
            &ada,
            job(&acme, "Acme role"),
        )
        .await,
    )
    .await;
    let solo_job = id_of(
        call(
            &app,
            Method::POST,
            "/api/v1/jobs",
            &ada,
            job(&solo, "Solo role"),
        )
        .await,
    )
    .await;

    // Cara applies to Acme and saves the Solo job; Ada gets notified of the application.
    let application = id_of(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/jobs/{acme_job}/apply"),
            &cara,
            json!({"cover_letter": "Dear Acme", "resume_text": "Rust, ten years",
                   "answers": {"why": "Because"}}),
        )
        .await,
    )
    .await;
    call(
        &app,
        Method::PUT,
        &format!("/api/v1/jobs/{solo_job}/save"),
        &cara,
        json!({}),
    )
    .await
    .expect(204);

    // Ada chats with Cara, schedules a message and uploads a file.
    let room = id_of(
        call(
            &app,
            Method::POST,
            "/api/v1/chat/rooms",
            &ada,
            json!({"name": "Team", "kind": "public"}),
        )
        .await,
    )
    .await;
    let file = app
        .req(Method::POST, "/api/v1/files")
        .token(&ada.token)
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\nmy notes\r\n--XyZ--\r\n")
        .send()
        .await;
    let file = id_of(file).await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/chat/rooms/{room}/join"),
        &cara,
        json!({}),
    )
    .await
    .expect(200);
    call(
        &app,
        Method::POST,
        &format!("/api/v1/chat/rooms/{room}/messages"),
        &ada,
        json!({"body": "hello from ada"}),
    )
    .await
    .expect(201);
    let later = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/chat/rooms/{room}/messages"),
        &ada,
        json!({"body": "see you later", "send_at": later}),
    )
    .await
    .expect(202);
    app.wait_for_queue().await;
    assert!(
        count_with(
            &app,
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = ?",
            &[&ada.id]
        )
        .await
            > 0
    );

    // Ada deletes her account.
    call(
        &app,
        Method::DELETE,
        "/api/v1/users/me",
        &ada,
        json!({"password": PASSWORD}),
    )
    .await
    .expect(204);

    // Acme passed to Bob; Solo, with no admin, is closed with its job, and no longer listed.
    let members = call(
        &app,
        Method::GET,
        &format!("/api/v1/companies/{acme}/members"),
        &bob,
        json!({}),
    )
    .await;
    members.expect(200);
    let members = members
        .data()
        .as_array()
        .cloned()
        .unwrap_or_else(|| members.data()["items"].as_array().cloned().unwrap());
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(
        members[0]["user_id"]
            .as_str()
            .or(members[0]["user"]["id"].as_str()),
        Some(bob.id.as_str())
    );
    assert_eq!(members[0]["role"], "owner");
    let solo_view = app.get(&format!("/api/v1/companies/{solo}")).await;
    solo_view.expect(200);
    assert!(solo_view.data()["closed_at"].is_string());
    let listed = app.get("/api/v1/companies").await;
    let names: Vec<&str> = listed.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["Acme"]);
    // Closed jobs are hidden from outsiders (404), so look at the row.
    assert_eq!(
        count_with(
            &app,
            "SELECT COUNT(*) AS n FROM job_postings WHERE id = ? AND status = 'closed'",
            &[&solo_job]
        )
        .await,
        1
    );
    let acme_job_view = app.get(&format!("/api/v1/jobs/{acme_job}")).await;
    assert_eq!(acme_job_view.data()["status"], "open");

    // Her uploads: the rows at once, the objects once the queued clean-up ran.
    assert_eq!(
        count_with(
            &app,
            "SELECT COUNT(*) AS n FROM files WHERE owner_id = ?",
            &[&ada.id]
        )
        .await,
        0
    );
    app.wait_for_queue().await;
    assert!(
        !walk(&app.db().dir().join("files"))
            .iter()
            .any(|p| p.contains(&file)),
        "the object of {file} is still stored"
    );

    // Her notifications and pending messages are gone; her chat message stays, by "Deleted user".
    assert_eq!(
        count_with(
            &app,
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = ?",
            &[&ada.id]
        )
        .await,
        0
    );
    assert_eq!(
        count_with(&app, "SELECT COUNT(*) AS n FROM chat_scheduled_messages WHERE author_id = ? AND status = 'pending'", &[&ada.id]).await,
        0
    );
    let msgs = call(
        &app,
        Method::GET,
        &format!("/api/v1/chat/rooms/{room}/messages"),
        &cara,
        json!({}),
    )
    .await;
    msgs.expect(200);
    let items = msgs.data()["items"].as_array().unwrap().clone();
    let hello = items
        .iter()
        .find(|m| m["body"] == "hello from ada")
        .expect("the message stays");
    assert_eq!(hello["author"]["display_name"], "Deleted user");

    // Cara deletes hers: the application is withdrawn and redacted, the saved job gone.
    call(
        &app,
        Method::DELETE,
        "/api/v1/users/me",
        &cara,
        json!({"password": PASSWORD}),
    )
    .await
    .expect(204);
    let seen = call(
        &app,
        Method::GET,
        &format!("/api/v1/applications/{application}"),
        &bob,
        json!({}),
    )
    .await;
    seen.expect(200);
    let a = seen.data();
    assert_eq!(a["status"], "withdrawn");
    assert!(a["cover_letter"].is_null(), "{a}");
    assert!(a["resume_text"].is_null(), "{a}");
    assert_eq!(a["answers"], json!({}));
    assert_eq!(
        count_with(
            &app,
            "SELECT COUNT(*) AS n FROM saved_jobs WHERE user_id = ?",
            &[&cara.id]
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_failing_hook_rolls_the_whole_deletion_back() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let acme = id_of(
        call(
            &app,
            Method::POST,
            "/api/v1/companies",
            &ada,
            json!({"name": "Acme"}),
        )
        .await,
    )
    .await;
    // A trigger-free way to make the hiring hook fail: its membership delete hits a row lock
    // is not portable, so break the table it writes instead.
    count(&app, "ALTER TABLE saved_jobs RENAME TO saved_jobs_gone").await;
    let res = call(
        &app,
        Method::DELETE,
        "/api/v1/users/me",
        &ada,
        json!({"password": PASSWORD}),
    )
    .await;
    res.expect(500);
    count(&app, "ALTER TABLE saved_jobs_gone RENAME TO saved_jobs").await;
    // Nothing of the deletion happened: she still signs in and still owns Acme.
    app.post(
        "/api/v1/auth/login",
        json!({"email": "ada@example.com", "password": PASSWORD}),
    )
    .await
    .expect(200);
    let members = call(
        &app,
        Method::GET,
        &format!("/api/v1/companies/{acme}/members"),
        &ada,
        json!({}),
    )
    .await;
    members.expect(200);
}

/// Every file path under `dir`.
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}
