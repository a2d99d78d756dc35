//! Helpers shared by the hiring HTTP tests: users, companies, members and a valid job.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use reqwest::Method;
use serde_json::{Value, json};
use vertechie_kernel::testkit::{TestApp, TestResponse};

pub const PASSWORD: &str = "correct horse battery";

pub struct User {
    pub id: String,
    pub token: String,
}

/// Registers `username` and confirms the address through the verification mail, as creating
/// companies and posting jobs need.
pub async fn register(app: &TestApp, username: &str) -> User {
    let user = register_unverified(app, username).await;
    verify_email(app, &format!("{username}@example.com")).await;
    user
}

/// Registers `username` without confirming the address.
pub async fn register_unverified(app: &TestApp, username: &str) -> User {
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
        token: res.data()["access_token"].as_str().unwrap().to_owned(),
    }
}

/// Opens the link of the verification mail to `email`, as the person would.
pub async fn verify_email(app: &TestApp, email: &str) {
    let mails = app.wait_for_mail(email, 1).await;
    let text = &mails
        .iter()
        .find(|m| m.body_text.contains("/verify-email?token="))
        .expect("a verification mail")
        .body_text;
    let start = text.find("token=").unwrap() + "token=".len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    app.get(&format!("/api/v1/auth/verify-email?token={token}"))
        .await
        .expect(200);
}

/// A platform admin deactivates the user (as `PATCH /api/v1/users/{id}` does it).
pub async fn deactivate(app: &TestApp, user_id: &str) {
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
        &format!("/api/v1/users/{user_id}"),
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

pub async fn company(app: &TestApp, owner: &User, name: &str) -> String {
    let res = call(
        app,
        Method::POST,
        "/api/v1/companies",
        &owner.token,
        Some(json!({"name": name})),
    )
    .await;
    res.expect(201);
    res.data()["id"].as_str().unwrap().to_owned()
}

pub async fn add_member(app: &TestApp, owner: &User, company: &str, user: &User, role: &str) {
    call(
        app,
        Method::POST,
        &format!("/api/v1/companies/{company}/members"),
        &owner.token,
        Some(json!({"user_id": user.id, "role": role})),
    )
    .await
    .expect(201);
}

/// A valid open job for `company`.
pub fn job(company: &str) -> Value {
    json!({
        "company_id": company,
        "title": "Backend Engineer",
        "description": "## About\n\n  We build *things*.\n",
        "requirements": "Three years of experience",
        "skills": [{"name": "Rust", "weight": 5, "required": true}, {"name": "PostgreSQL", "weight": 3}],
        "location": "Berlin",
        "remote": "hybrid",
        "employment_type": "full_time",
        "experience_level": "mid",
        "salary_min": 6_000_000,
        "salary_max": 8_000_000,
        "currency": "EUR",
        "screening_questions": [
            {"id": "visa", "text": "Do you need a visa?", "kind": "yes_no", "required": true, "knockout_answer": true},
            {"id": "years", "text": "Years of Rust?", "kind": "number", "required": false},
            {"id": "shift", "text": "Preferred shift", "kind": "single_choice", "options": ["early", "late"], "required": true, "knockout_answer": "late"},
            {"id": "why", "text": "Why us?", "kind": "text"}
        ],
        "status": "open"
    })
}

pub fn with(mut base: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

pub async fn post_job(app: &TestApp, tok: &str, body: Value) -> TestResponse {
    call(app, Method::POST, "/api/v1/jobs", tok, Some(body)).await
}

pub async fn create_job(app: &TestApp, tok: &str, body: Value) -> String {
    let res = post_job(app, tok, body).await;
    res.expect(201);
    res.data()["id"].as_str().unwrap().to_owned()
}
