//! Helpers shared by the accounts integration tests.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use vertechie_kernel::testkit::TestApp;
pub use vertechie_server::testing::{spawn, spawn_with};

pub const PASSWORD: &str = "correct horse battery";

/// A registered, signed-in user.
pub struct Account {
    pub id: String,
    pub email: String,
    pub username: String,
    pub access: String,
    pub refresh: String,
}

pub async fn register(app: &TestApp, username: &str) -> Account {
    let email = format!("{username}@example.com");
    let res = app
        .post("/api/v1/auth/register", json!({"email": email, "username": username, "password": PASSWORD, "full_name": "Test Person"}))
        .await;
    res.expect(201);
    account_from(&res.body["data"], &email, username)
}

fn account_from(data: &Value, email: &str, username: &str) -> Account {
    Account {
        id: data["user"]["id"].as_str().unwrap().to_owned(),
        email: email.to_owned(),
        username: username.to_owned(),
        access: data["access_token"].as_str().unwrap().to_owned(),
        refresh: data["refresh_token"].as_str().unwrap().to_owned(),
    }
}

pub async fn login(
    app: &TestApp,
    ident: &str,
    password: &str,
) -> vertechie_kernel::testkit::TestResponse {
    app.post(
        "/api/v1/auth/login",
        json!({"email": ident, "password": password}),
    )
    .await
}

/// Registers a user and makes it super admin through the same service the CLI uses, then signs in
/// again so the token carries the new roles.
pub async fn super_admin(app: &TestApp, username: &str) -> Account {
    let email = format!("{username}@example.com");
    vertechie_accounts::service::admin::create_admin(&app.state, &email, PASSWORD)
        .await
        .unwrap();
    let res = login(app, &email, PASSWORD).await;
    res.expect(200);
    account_from(&res.body["data"], &email, username)
}

/// A plain admin (granted by a super admin).
pub async fn admin(app: &TestApp, boss: &Account, username: &str) -> Account {
    let acc = register(app, username).await;
    app.req(reqwest::Method::PATCH, &format!("/api/v1/users/{}", acc.id))
        .token(&boss.access)
        .json(&json!({"roles": ["techie", "admin"]}))
        .send()
        .await
        .expect(200);
    let res = login(app, &acc.email, PASSWORD).await;
    res.expect(200);
    account_from(&res.body["data"], &acc.email, username)
}

/// The token from a mailed link (`…?token=XYZ`).
pub fn token_from_mail(body: &str) -> String {
    let start = body.find("token=").expect("a link with a token") + "token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
