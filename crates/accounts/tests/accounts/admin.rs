//! HTTP tests for the admin part of the accounts API: user search, role and activation changes,
//! the audit log and the development outbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use vertechie_kernel::testkit::{TestApp, TestResponse};

// ---- helpers (local to this file) ----

async fn get_auth(app: &TestApp, tok: &str, path: &str) -> TestResponse {
    app.req(Method::GET, path).token(tok).send().await
}

async fn patch_user(app: &TestApp, tok: &str, id: &str, body: Value) -> TestResponse {
    app.req(Method::PATCH, &format!("/api/v1/users/{id}"))
        .token(tok)
        .json(&body)
        .send()
        .await
}

/// Registers with a chosen email and full name; returns (id, access token).
async fn register_named(
    app: &TestApp,
    username: &str,
    email: &str,
    full_name: &str,
) -> (String, String) {
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": email, "username": username, "password": PASSWORD, "full_name": full_name}),
        )
        .await;
    res.expect(201);
    (
        res.data()["user"]["id"].as_str().unwrap().to_owned(),
        res.data()["access_token"].as_str().unwrap().to_owned(),
    )
}

/// GET /api/v1/users?{query} as `tok`, expecting 200.
async fn list(app: &TestApp, tok: &str, query: &str) -> Value {
    let res = get_auth(app, tok, &format!("/api/v1/users?{query}")).await;
    res.expect(200);
    res.data().clone()
}

fn usernames(page: &Value) -> Vec<String> {
    let mut names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn audit(app: &TestApp, tok: &str) -> Vec<Value> {
    let res = get_auth(app, tok, "/api/v1/admin/audit-log?limit=100").await;
    res.expect(200);
    res.data().as_array().unwrap().clone()
}

/// Audit entries with this action and target, newest first.
fn entries<'a>(log: &'a [Value], action: &str, target: &str) -> Vec<&'a Value> {
    log.iter()
        .filter(|e| e["action"] == action && e["target_id"] == target)
        .collect()
}

async fn roles_of(app: &TestApp, tok: &str) -> Value {
    let res = get_auth(app, tok, "/api/v1/users/me").await;
    res.expect(200);
    res.data()["roles"].clone()
}

// ---- listing and search ----

#[tokio::test]
async fn only_admins_list_users_and_read_admin_pages() {
    let app = spawn().await;
    let t = register(&app, "techie1").await;
    for path in [
        "/api/v1/users",
        "/api/v1/admin/audit-log",
        "/api/v1/admin/outbox",
    ] {
        get_auth(&app, &t.access, path)
            .await
            .expect_error(403, "FORBIDDEN_ROLE");
        app.get(path).await.expect_error(401, "TOKEN_MISSING");
    }
    // Other non-admin roles are not enough either.
    let boss = super_admin(&app, "boss").await;
    patch_user(
        &app,
        &boss.access,
        &t.id,
        json!({"roles": ["techie", "recruiter", "mentor", "instructor", "school_admin"]}),
    )
    .await
    .expect(200);
    get_auth(&app, &t.access, "/api/v1/users")
        .await
        .expect_error(403, "FORBIDDEN_ROLE");
    let other = register(&app, "techie2").await;
    patch_user(
        &app,
        &t.access,
        &other.id,
        json!({"roles": ["techie", "recruiter"]}),
    )
    .await
    .expect_error(403, "FORBIDDEN_ROLE");
    assert_eq!(roles_of(&app, &other.access).await, json!(["techie"]));
    // Admins can.
    let page = list(&app, &boss.access, "").await;
    assert_eq!(page["pagination"]["total"], 3);
    get_auth(&app, &boss.access, "/api/v1/admin/audit-log")
        .await
        .expect(200);
    get_auth(&app, &boss.access, "/api/v1/admin/outbox")
        .await
        .expect(200);
}

#[tokio::test]
async fn admin_searches_by_name_email_and_username() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    register_named(&app, "grace", "ghopper@navy.example", "Grace Hopper").await;
    register_named(&app, "alan", "turing@bletchley.example", "Alan Turing").await;
    register_named(&app, "linus_t", "linus@kernel.example", "Linus Torvalds").await;
    register_named(&app, "linusxt", "other@kernel.example", "Someone Else").await;

    // By full name (case-insensitive, substring).
    assert_eq!(
        usernames(&list(&app, &boss.access, "q=TORVALDS").await),
        ["linus_t"]
    );
    assert_eq!(
        usernames(&list(&app, &boss.access, "q=hopp").await),
        ["grace"]
    );
    // By email.
    assert_eq!(
        usernames(&list(&app, &boss.access, "q=Bletchley").await),
        ["alan"]
    );
    assert_eq!(
        usernames(&list(&app, &boss.access, "q=kernel.example").await),
        ["linus_t", "linusxt"]
    );
    // By username.
    assert_eq!(
        usernames(&list(&app, &boss.access, "q=alan").await),
        ["alan"]
    );
    // LIKE wildcards are taken literally.
    assert_eq!(
        usernames(&list(&app, &boss.access, "q=linus_").await),
        ["linus_t"]
    );
    assert_eq!(usernames(&list(&app, &boss.access, "q=%25").await).len(), 0);
    // Surrounding blanks are ignored; a blank query lists everyone.
    assert_eq!(
        usernames(&list(&app, &boss.access, "q=%20grace%20").await),
        ["grace"]
    );
    let everyone = list(&app, &boss.access, "q=%20").await;
    assert_eq!(everyone["pagination"]["total"], 5);
    // No match.
    let none = list(&app, &boss.access, "q=nobody-here").await;
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["pagination"]["total"], 0);
    assert_eq!(none["pagination"]["pages"], 0);
    // Items are the full admin view (email included).
    let one = list(&app, &boss.access, "q=grace").await;
    assert_eq!(one["items"][0]["email"], "ghopper@navy.example");
    assert_eq!(one["items"][0]["full_name"], "Grace Hopper");
}

#[tokio::test]
async fn admin_filters_by_role_and_active() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let rec = register(&app, "rita").await;
    let off = register(&app, "otto").await;
    register(&app, "tina").await;
    patch_user(
        &app,
        &boss.access,
        &rec.id,
        json!({"roles": ["techie", "recruiter"]}),
    )
    .await
    .expect(200);
    patch_user(&app, &boss.access, &off.id, json!({"is_active": false}))
        .await
        .expect(200);

    assert_eq!(
        usernames(&list(&app, &boss.access, "role=recruiter").await),
        ["rita"]
    );
    assert_eq!(
        usernames(&list(&app, &boss.access, "role=super_admin").await),
        ["boss"]
    );
    assert_eq!(
        usernames(&list(&app, &boss.access, "role=admin").await),
        ["boss"]
    );
    assert_eq!(
        usernames(&list(&app, &boss.access, "role=mentor").await).len(),
        0
    );
    assert_eq!(
        usernames(&list(&app, &boss.access, "role=techie").await),
        ["boss", "otto", "rita", "tina"]
    );
    assert_eq!(
        usernames(&list(&app, &boss.access, "is_active=false").await),
        ["otto"]
    );
    assert_eq!(
        usernames(&list(&app, &boss.access, "is_active=true").await),
        ["boss", "rita", "tina"]
    );
    // Filters combine with each other and with q.
    assert_eq!(
        usernames(&list(&app, &boss.access, "role=recruiter&is_active=false").await).len(),
        0
    );
    assert_eq!(
        usernames(&list(&app, &boss.access, "role=techie&is_active=true&q=t").await),
        ["rita", "tina"]
    );
    // Bad filter values are a 400 in the envelope.
    get_auth(&app, &boss.access, "/api/v1/users?role=wizard")
        .await
        .expect_error(400, "INVALID_QUERY");
    get_auth(&app, &boss.access, "/api/v1/users?is_active=maybe")
        .await
        .expect_error(400, "INVALID_QUERY");
    get_auth(&app, &boss.access, "/api/v1/users?page=-1")
        .await
        .expect_error(400, "INVALID_QUERY");
}

#[tokio::test]
async fn admin_list_pagination() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    for i in 0..6 {
        register(&app, &format!("user{i}")).await;
    }
    // 7 users in all.
    let first = list(&app, &boss.access, "limit=3").await;
    assert_eq!(
        first["pagination"],
        json!({"total": 7, "page": 1, "limit": 3, "pages": 3})
    );
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let second = list(&app, &boss.access, "limit=3&page=2").await;
    assert_eq!(
        second["pagination"],
        json!({"total": 7, "page": 2, "limit": 3, "pages": 3})
    );
    let third = list(&app, &boss.access, "limit=3&page=3").await;
    assert_eq!(third["items"].as_array().unwrap().len(), 1);
    let beyond = list(&app, &boss.access, "limit=3&page=4").await;
    assert_eq!(beyond["items"], json!([]));
    assert_eq!(beyond["pagination"]["total"], 7);

    // The pages together hold every user exactly once.
    let mut seen: Vec<String> = Vec::new();
    for p in [&first, &second, &third] {
        seen.extend(usernames(p));
    }
    seen.sort();
    let mut all = vec!["boss".to_owned()];
    all.extend((0..6).map(|i| format!("user{i}")));
    assert_eq!(seen, all);

    // Newest first.
    assert_eq!(first["items"][0]["username"], "user5");

    // Defaults and caps.
    let default = list(&app, &boss.access, "").await;
    assert_eq!(
        default["pagination"],
        json!({"total": 7, "page": 1, "limit": 20, "pages": 1})
    );
    let capped = list(&app, &boss.access, "limit=1000").await;
    assert_eq!(capped["pagination"]["limit"], 100);
    assert_eq!(capped["items"].as_array().unwrap().len(), 7);
    let at_cap = list(&app, &boss.access, "limit=100").await;
    assert_eq!(at_cap["pagination"]["limit"], 100);
    let min = list(&app, &boss.access, "limit=0&page=0").await;
    assert_eq!(min["pagination"]["limit"], 1);
    assert_eq!(min["pagination"]["page"], 1);
    assert_eq!(min["pagination"]["pages"], 7);

    // Pagination counts what the filter matches.
    let filtered = list(&app, &boss.access, "q=user&limit=4").await;
    assert_eq!(
        filtered["pagination"],
        json!({"total": 6, "page": 1, "limit": 4, "pages": 2})
    );
}

#[tokio::test]
async fn deleted_accounts_are_not_listed_or_editable() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let gone = register(&app, "gone").await;
    app.req(Method::DELETE, "/api/v1/users/me")
        .token(&gone.access)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .expect(204);
    let page = list(&app, &boss.access, "").await;
    assert_eq!(usernames(&page), ["boss"]);
    assert_eq!(page["pagination"]["total"], 1);
    assert!(!page.to_string().contains("gone@example.com"));
    patch_user(&app, &boss.access, &gone.id, json!({"is_active": true}))
        .await
        .expect_error(404, "NOT_FOUND");
}

// ---- PATCH /users/{id} ----

#[tokio::test]
async fn admin_grants_recruiter_and_mentor() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let adm = admin(&app, &boss, "adam").await;
    let t = register(&app, "tess").await;

    let res = patch_user(
        &app,
        &adm.access,
        &t.id,
        json!({"roles": ["techie", "recruiter", "mentor"]}),
    )
    .await;
    res.expect(200);
    let mut roles: Vec<String> = res.data()["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    roles.sort();
    assert_eq!(roles, ["mentor", "recruiter", "techie"]);
    assert_eq!(res.data()["id"], t.id.as_str());
    // The target sees the new roles with the token it already had.
    let mine = roles_of(&app, &t.access).await;
    assert_eq!(mine.as_array().unwrap().len(), 3);
    assert!(mine.as_array().unwrap().contains(&json!("recruiter")));

    // Taking a role away works too.
    let res = patch_user(
        &app,
        &adm.access,
        &t.id,
        json!({"roles": ["techie", "mentor"]}),
    )
    .await;
    res.expect(200);
    assert!(
        !res.data()["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("recruiter"))
    );

    // Both changes are audited with actor and target.
    let log = audit(&app, &adm.access).await;
    let changes = entries(&log, "user.roles_changed", &t.id);
    assert_eq!(changes.len(), 2, "{log:?}");
    for e in &changes {
        assert_eq!(e["actor_id"], adm.id.as_str());
        assert_eq!(e["target_type"], "user");
    }
    let newest: Value = serde_json::from_str(changes[0]["details"].as_str().unwrap()).unwrap();
    assert!(
        newest["before"]
            .as_array()
            .unwrap()
            .contains(&json!("recruiter"))
    );
    assert!(
        !newest["after"]
            .as_array()
            .unwrap()
            .contains(&json!("recruiter"))
    );

    // Setting the same roles again is not a change and is not audited.
    patch_user(
        &app,
        &adm.access,
        &t.id,
        json!({"roles": ["mentor", "techie"]}),
    )
    .await
    .expect(200);
    assert_eq!(
        entries(&audit(&app, &adm.access).await, "user.roles_changed", &t.id).len(),
        2
    );
}

#[tokio::test]
async fn admin_cannot_grant_admin_roles_or_touch_admins() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let a1 = admin(&app, &boss, "adam").await;
    let a2 = admin(&app, &boss, "anna").await;
    let t = register(&app, "tess").await;

    for roles in [
        json!(["techie", "admin"]),
        json!(["techie", "super_admin"]),
        json!(["admin"]),
    ] {
        patch_user(&app, &a1.access, &t.id, json!({ "roles": roles }))
            .await
            .expect_error(403, "FORBIDDEN_ROLE");
    }
    assert_eq!(roles_of(&app, &t.access).await, json!(["techie"]));
    get_auth(&app, &t.access, "/api/v1/users")
        .await
        .expect_error(403, "FORBIDDEN_ROLE");

    // Another admin's account, or the super admin's, is off limits to a plain admin.
    for target in [&a2.id, &boss.id] {
        patch_user(&app, &a1.access, target, json!({"is_active": false}))
            .await
            .expect_error(403, "FORBIDDEN_ROLE");
        patch_user(&app, &a1.access, target, json!({"roles": ["techie"]}))
            .await
            .expect_error(403, "FORBIDDEN_ROLE");
    }
    // Nor can a plain admin change their own roles; disabling oneself is invalid for anyone.
    patch_user(&app, &a1.access, &a1.id, json!({"roles": ["techie"]}))
        .await
        .expect_error(403, "FORBIDDEN_ROLE");
    patch_user(&app, &a1.access, &a1.id, json!({"is_active": false}))
        .await
        .expect_error(422, "VALIDATION_ERROR");
    // Nothing changed: both admins still work, the boss too.
    get_auth(&app, &a2.access, "/api/v1/users")
        .await
        .expect(200);
    get_auth(&app, &a1.access, "/api/v1/users")
        .await
        .expect(200);
    get_auth(&app, &boss.access, "/api/v1/users")
        .await
        .expect(200);
    login(&app, "anna@example.com", PASSWORD).await.expect(200);
    // And nothing was audited for the refused attempts.
    let log = audit(&app, &boss.access).await;
    assert!(
        log.iter().all(|e| e["actor_id"] != a1.id.as_str()),
        "{log:?}"
    );
}

#[tokio::test]
async fn super_admin_grants_admin_and_it_applies_to_the_old_token() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let t = register(&app, "tess").await;
    let other = register(&app, "otis").await;
    get_auth(&app, &t.access, "/api/v1/users")
        .await
        .expect_error(403, "FORBIDDEN_ROLE");

    let res = patch_user(
        &app,
        &boss.access,
        &t.id,
        json!({"roles": ["techie", "admin"]}),
    )
    .await;
    res.expect(200);
    assert!(
        res.data()["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("admin"))
    );

    // Roles are read fresh per request: the token issued before the grant now lists users
    // and can manage a techie.
    let page = list(&app, &t.access, "").await;
    assert_eq!(page["pagination"]["total"], 3);
    get_auth(&app, &t.access, "/api/v1/admin/audit-log")
        .await
        .expect(200);
    patch_user(
        &app,
        &t.access,
        &other.id,
        json!({"roles": ["techie", "mentor"]}),
    )
    .await
    .expect(200);

    // Revoking works the same way, immediately.
    patch_user(&app, &boss.access, &t.id, json!({"roles": ["techie"]}))
        .await
        .expect(200);
    get_auth(&app, &t.access, "/api/v1/users")
        .await
        .expect_error(403, "FORBIDDEN_ROLE");

    // A super admin can make another super admin.
    patch_user(
        &app,
        &boss.access,
        &other.id,
        json!({"roles": ["techie", "super_admin"]}),
    )
    .await
    .expect(200);
    patch_user(
        &app,
        &other.access,
        &t.id,
        json!({"roles": ["techie", "admin"]}),
    )
    .await
    .expect(200);

    let log = audit(&app, &boss.access).await;
    let changes = entries(&log, "user.roles_changed", &t.id);
    assert_eq!(changes.len(), 3, "{log:?}");
    assert_eq!(changes[0]["actor_id"], other.id.as_str());
    assert_eq!(changes[1]["actor_id"], boss.id.as_str());
    assert_eq!(changes[2]["actor_id"], boss.id.as_str());
    let first: Value = serde_json::from_str(changes[2]["details"].as_str().unwrap()).unwrap();
    assert_eq!(first["before"], json!(["techie"]));
    assert!(first["after"].as_array().unwrap().contains(&json!("admin")));
    let by_t = entries(&log, "user.roles_changed", &other.id);
    assert!(
        by_t.iter().any(|e| e["actor_id"] == t.id.as_str()),
        "{log:?}"
    );
}

#[tokio::test]
async fn super_admin_cannot_demote_or_disable_self() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let res = patch_user(
        &app,
        &boss.access,
        &boss.id,
        json!({"roles": ["techie", "admin"]}),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["roles"]);
    let res = patch_user(&app, &boss.access, &boss.id, json!({"is_active": false})).await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["is_active"]);
    let res = patch_user(&app, &boss.access, &boss.id, json!({"roles": []})).await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert!(res.error_fields().contains(&"roles".to_owned()));

    // Still a working, active super admin.
    let me = get_auth(&app, &boss.access, "/api/v1/users/me").await;
    me.expect(200);
    assert_eq!(me.data()["is_active"], true);
    assert!(
        me.data()["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("super_admin"))
    );
    // Keeping super_admin while changing other roles of one's own is allowed.
    patch_user(
        &app,
        &boss.access,
        &boss.id,
        json!({"roles": ["super_admin", "mentor"]}),
    )
    .await
    .expect(200);
    get_auth(&app, &boss.access, "/api/v1/users")
        .await
        .expect(200);
    // No audit entries for the refused attempts.
    let log = audit(&app, &boss.access).await;
    assert!(entries(&log, "user.deactivated", &boss.id).is_empty());
    assert_eq!(entries(&log, "user.roles_changed", &boss.id).len(), 1);
}

#[tokio::test]
async fn patch_user_bad_input() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let t = register(&app, "tess").await;
    patch_user(
        &app,
        &boss.access,
        &uuid::Uuid::now_v7().to_string(),
        json!({"is_active": false}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    patch_user(
        &app,
        &boss.access,
        "not-a-uuid",
        json!({"is_active": false}),
    )
    .await
    .expect_error(400, "INVALID_PATH");
    let res = patch_user(
        &app,
        &boss.access,
        &t.id,
        json!({"roles": ["techie", "wizard"]}),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert!(res.error_fields()[0].starts_with("roles"), "{}", res.text);
    let res = patch_user(&app, &boss.access, &t.id, json!({"roles": []})).await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["roles"]);
    let res = patch_user(&app, &boss.access, &t.id, json!({"is_active": "no"})).await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["is_active"]);
    let me = get_auth(&app, &t.access, "/api/v1/users/me").await;
    me.expect(200);
    assert_eq!(me.data()["roles"], json!(["techie"]));
}

// ---- activation ----

#[tokio::test]
async fn deactivation_ends_sessions_and_blocks_login_until_reactivated() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let adm = admin(&app, &boss, "adam").await;
    let t = register(&app, "tess").await;
    app.get(&format!("/api/v1/users/{}", t.id))
        .await
        .expect(200);

    let res = patch_user(&app, &adm.access, &t.id, json!({"is_active": false})).await;
    res.expect(200);
    assert_eq!(res.data()["is_active"], false);

    // The existing access token stops working at once (a 401 in the envelope).
    let res = get_auth(&app, &t.access, "/api/v1/users/me").await;
    assert_eq!(res.status, 401, "{}", res.text);
    assert_eq!(res.body["status"], "error");
    assert!(
        ["SESSION_REVOKED", "ACCOUNT_DISABLED"].contains(&res.code()),
        "{}",
        res.text
    );
    // So does the refresh token.
    let res = app
        .post("/api/v1/auth/refresh", json!({"refresh_token": t.refresh}))
        .await;
    assert_eq!(res.status, 401, "{}", res.text);
    // Signing in is refused as disabled (with the right password) …
    login(&app, "tess@example.com", PASSWORD)
        .await
        .expect_error(403, "ACCOUNT_DISABLED");
    // … but a wrong password still gets the usual answer.
    login(&app, "tess@example.com", "wrong password")
        .await
        .expect_error(401, "INVALID_CREDENTIALS");
    // A disabled account has no public profile.
    app.get(&format!("/api/v1/users/{}", t.id))
        .await
        .expect_error(404, "NOT_FOUND");

    // Reactivation lets them back in.
    let res = patch_user(&app, &adm.access, &t.id, json!({"is_active": true})).await;
    res.expect(200);
    assert_eq!(res.data()["is_active"], true);
    let res = login(&app, "tess", PASSWORD).await;
    res.expect(200);
    let fresh = res.data()["access_token"].as_str().unwrap().to_owned();
    get_auth(&app, &fresh, "/api/v1/users/me").await.expect(200);
    app.get(&format!("/api/v1/users/{}", t.id))
        .await
        .expect(200);
    // The old token stays dead: reactivation does not revive ended sessions.
    assert_eq!(
        get_auth(&app, &t.access, "/api/v1/users/me").await.status,
        401
    );

    // Both changes are in the audit log with actor and target.
    let log = audit(&app, &boss.access).await;
    let off = entries(&log, "user.deactivated", &t.id);
    let on = entries(&log, "user.activated", &t.id);
    assert_eq!(off.len(), 1, "{log:?}");
    assert_eq!(on.len(), 1, "{log:?}");
    assert_eq!(off[0]["actor_id"], adm.id.as_str());
    assert_eq!(on[0]["actor_id"], adm.id.as_str());
    assert_eq!(off[0]["target_type"], "user");
    // Newest first.
    let pos = |action: &str| {
        log.iter()
            .position(|e| e["action"] == action && e["target_id"] == t.id.as_str())
    };
    assert!(pos("user.activated") < pos("user.deactivated"));

    // Setting the same state again is not a change and is not audited.
    patch_user(&app, &adm.access, &t.id, json!({"is_active": true}))
        .await
        .expect(200);
    assert_eq!(
        entries(&audit(&app, &boss.access).await, "user.activated", &t.id).len(),
        1
    );
}

#[tokio::test]
async fn a_disabled_admin_loses_admin_access() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let adm = admin(&app, &boss, "adam").await;
    patch_user(&app, &boss.access, &adm.id, json!({"is_active": false}))
        .await
        .expect(200);
    assert_eq!(
        get_auth(&app, &adm.access, "/api/v1/users").await.status,
        401
    );
    login(&app, "adam@example.com", PASSWORD)
        .await
        .expect_error(403, "ACCOUNT_DISABLED");
    let page = list(&app, &boss.access, "is_active=false").await;
    assert_eq!(usernames(&page), ["adam"]);
}

// ---- audit log and outbox ----

#[tokio::test]
async fn audit_log_is_admin_only_and_newest_first() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let t = register(&app, "tess").await;
    get_auth(&app, &t.access, "/api/v1/admin/audit-log")
        .await
        .expect_error(403, "FORBIDDEN_ROLE");

    for roles in [
        json!(["techie", "mentor"]),
        json!(["techie", "recruiter"]),
        json!(["techie"]),
    ] {
        patch_user(&app, &boss.access, &t.id, json!({ "roles": roles }))
            .await
            .expect(200);
    }
    let log = audit(&app, &boss.access).await;
    let changes = entries(&log, "user.roles_changed", &t.id);
    assert_eq!(changes.len(), 3);
    let afters: Vec<Value> = changes
        .iter()
        .map(|e| {
            serde_json::from_str::<Value>(e["details"].as_str().unwrap()).unwrap()["after"].clone()
        })
        .collect();
    assert_eq!(afters[0], json!(["techie"]));
    assert!(afters[1].as_array().unwrap().contains(&json!("recruiter")));
    assert!(afters[2].as_array().unwrap().contains(&json!("mentor")));
    // The bootstrap of the super admin is there too, with no actor.
    let boot = entries(&log, "user.super_admin_bootstrapped", &boss.id);
    assert_eq!(boot.len(), 1);
    assert!(boot[0]["actor_id"].is_null());

    // limit is honoured and capped.
    let res = get_auth(&app, &boss.access, "/api/v1/admin/audit-log?limit=2").await;
    res.expect(200);
    assert_eq!(res.data().as_array().unwrap().len(), 2);
    assert_eq!(res.data()[0]["id"], log[0]["id"]);
    get_auth(&app, &boss.access, "/api/v1/admin/audit-log?limit=100000")
        .await
        .expect(200);
    get_auth(&app, &boss.access, "/api/v1/admin/audit-log?limit=x")
        .await
        .expect_error(400, "INVALID_QUERY");
}

#[tokio::test]
async fn outbox_shows_the_verification_mail_to_admins() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let t = register(&app, "tess").await;
    let mails = app.wait_for_mail("tess@example.com", 1).await;

    let res = get_auth(
        &app,
        &boss.access,
        "/api/v1/admin/outbox?to=TESS@Example.com",
    )
    .await;
    res.expect(200);
    let items = res.data().as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", res.text);
    assert_eq!(items[0]["to_addr"], "tess@example.com");
    assert_eq!(items[0]["subject"], mails[0].subject.as_str());
    assert!(items[0]["subject"].as_str().unwrap().contains("Confirm"));
    // The link is there, its token masked; the mail itself (read by the test kit) has it.
    let body = items[0]["body_text"].as_str().unwrap();
    let token = token_from_mail(&mails[0].body_text);
    assert!(token.len() > 20);
    assert!(
        body.contains("http://vertechie.test/verify-email?token=\u{2026}\n"),
        "{body}"
    );
    assert!(!body.contains(&token), "{body}");
    assert_eq!(
        body,
        vertechie_kernel::mail::mask_links(&mails[0].body_text)
    );
    // The mailed link verifies the account.
    app.get(&format!("/api/v1/auth/verify-email?token={token}"))
        .await
        .expect(200);
    let me = get_auth(&app, &t.access, "/api/v1/users/me").await;
    assert_eq!(me.data()["is_verified"], true);

    // Unfiltered, it is listed as well; another address has none.
    let all = get_auth(&app, &boss.access, "/api/v1/admin/outbox").await;
    all.expect(200);
    assert!(
        all.data()
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["to_addr"] == "tess@example.com"),
        "{}",
        all.text
    );
    let none = get_auth(
        &app,
        &boss.access,
        "/api/v1/admin/outbox?to=nobody@example.com",
    )
    .await;
    assert_eq!(none.data(), &json!([]));
    get_auth(&app, &t.access, "/api/v1/admin/outbox")
        .await
        .expect_error(403, "FORBIDDEN_ROLE");
}

/// A plain admin must not read mail: the reset link of a super admin in it would hand over the
/// super admin's account.
#[tokio::test]
async fn the_outbox_is_for_super_admins_only() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let adam = admin(&app, &boss, "adam").await;
    app.post(
        "/api/v1/auth/password-reset/request",
        json!({"email": boss.email}),
    )
    .await
    .expect(202);
    let mails = app.wait_for_mail(&boss.email, 1).await;
    let token = token_from_mail(&mails[0].body_text);
    for path in [
        "/api/v1/admin/outbox",
        "/api/v1/admin/outbox?to=boss@example.com",
    ] {
        let res = get_auth(&app, &adam.access, path).await;
        res.expect_error(403, "FORBIDDEN_ROLE");
        assert!(!res.text.contains(&token));
    }
    // The super admin sees the reset mail, its link masked.
    let res = get_auth(
        &app,
        &boss.access,
        "/api/v1/admin/outbox?to=boss@example.com",
    )
    .await;
    res.expect(200);
    assert!(!res.text.contains(&token), "{}", res.text);
    let body = res.data()[0]["body_text"].as_str().unwrap();
    assert!(
        body.contains("http://vertechie.test/reset-password?token=\u{2026}"),
        "{body}"
    );
}

/// The admin list is cached per instance; every kind of change shows in the same query at once.
#[tokio::test]
async fn admin_list_reflects_every_change_at_once() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let query = "q=example&limit=50";
    assert_eq!(usernames(&list(&app, &boss.access, query).await), ["boss"]);
    // Cached now; the same answer twice.
    assert_eq!(
        list(&app, &boss.access, query).await,
        list(&app, &boss.access, query).await
    );

    let (ann_id, ann_token) = register_named(&app, "ann", "ann@example.com", "Ann Lee").await;
    assert_eq!(
        usernames(&list(&app, &boss.access, query).await),
        ["ann", "boss"]
    );

    app.req(Method::PATCH, "/api/v1/users/me")
        .token(&ann_token)
        .json(&json!({"full_name": "Ann Renamed"}))
        .send()
        .await
        .expect(200);
    let page = list(&app, &boss.access, query).await;
    assert!(page.to_string().contains("Ann Renamed"), "{page}");

    patch_user(&app, &boss.access, &ann_id, json!({"is_active": false}))
        .await
        .expect(200);
    let page = list(&app, &boss.access, "is_active=false").await;
    assert_eq!(usernames(&page), ["ann"]);
    let page = list(&app, &boss.access, query).await;
    let ann = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "ann")
        .unwrap()
        .clone();
    assert_eq!(ann["is_active"], false);

    patch_user(&app, &boss.access, &ann_id, json!({"is_active": true}))
        .await
        .expect(200);
    let (_, gone_token) = register_named(&app, "gone", "gone@example.com", "Gone").await;
    assert_eq!(
        list(&app, &boss.access, query).await["pagination"]["total"],
        3
    );
    app.req(Method::DELETE, "/api/v1/users/me")
        .token(&gone_token)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .expect(204);
    let page = list(&app, &boss.access, query).await;
    assert_eq!(usernames(&page), ["ann", "boss"]);
    assert_eq!(page["pagination"]["total"], 2);
}
