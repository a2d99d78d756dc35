//! HTTP tests for the profile part of the accounts API: `/api/v1/users/me` and everything under
//! it (skills, CV, experiences, education, account deletion) and the public profile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use vertechie_kernel::testkit::{TestApp, TestResponse};

// ---- helpers (local to this file) ----

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    tok: &str,
    body: Option<Value>,
) -> TestResponse {
    let mut r = app.req(method, path).token(tok);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await
}

async fn get_auth(app: &TestApp, tok: &str, path: &str) -> TestResponse {
    call(app, Method::GET, path, tok, None).await
}

async fn post_auth(app: &TestApp, tok: &str, path: &str, body: Value) -> TestResponse {
    call(app, Method::POST, path, tok, Some(body)).await
}

async fn patch_auth(app: &TestApp, tok: &str, path: &str, body: Value) -> TestResponse {
    call(app, Method::PATCH, path, tok, Some(body)).await
}

async fn delete_auth(app: &TestApp, tok: &str, path: &str) -> TestResponse {
    call(app, Method::DELETE, path, tok, None).await
}

async fn patch_me(app: &TestApp, tok: &str, body: Value) -> TestResponse {
    patch_auth(app, tok, "/api/v1/users/me", body).await
}

async fn me(app: &TestApp, tok: &str) -> Value {
    let res = get_auth(app, tok, "/api/v1/users/me").await;
    res.expect(200);
    res.data().clone()
}

/// Asserts a 422 VALIDATION_ERROR whose details name `field`.
#[track_caller]
fn expect_invalid(res: &TestResponse, field: &str) {
    res.expect_error(422, "VALIDATION_ERROR");
    assert!(
        res.error_fields().iter().any(|f| f == field),
        "expected a detail for `{field}`; body: {}",
        res.text
    );
}

const PROFILE_FIELDS: [&str; 8] = [
    "full_name",
    "bio",
    "avatar_url",
    "phone",
    "education_level",
    "experience_level",
    "preferred_career_track",
    "learning_style",
];

fn full_profile() -> Value {
    json!({
        "full_name": "  Ada   Lovelace ",
        "bio": "Analyst.\nFirst programmer.",
        "avatar_url": "https://example.com/ada.png",
        "phone": "+44 20 7946 0958",
        "education_level": "Self-taught",
        "experience_level": "Senior",
        "preferred_career_track": "Backend engineering",
        "learning_style": "visual",
        "interests": ["Rust", "Compilers"],
        "career_goals": "Build the analytical engine.",
    })
}

async fn add_experience(app: &TestApp, tok: &str, body: Value) -> Value {
    let res = post_auth(app, tok, "/api/v1/users/me/experiences", body).await;
    res.expect(201);
    res.data().clone()
}

async fn add_education(app: &TestApp, tok: &str, body: Value) -> Value {
    let res = post_auth(app, tok, "/api/v1/users/me/education", body).await;
    res.expect(201);
    res.data().clone()
}

// ---- authentication ----

#[tokio::test]
async fn every_profile_endpoint_needs_a_token() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let some_id = uuid::Uuid::now_v7();
    let cases: Vec<(Method, String)> = vec![
        (Method::GET, "/api/v1/users/me".into()),
        (Method::PATCH, "/api/v1/users/me".into()),
        (Method::DELETE, "/api/v1/users/me".into()),
        (Method::GET, "/api/v1/users/me/skills".into()),
        (Method::POST, "/api/v1/users/me/skills".into()),
        (Method::DELETE, "/api/v1/users/me/skills/rust".into()),
        (Method::GET, "/api/v1/users/me/cv".into()),
        (Method::PUT, "/api/v1/users/me/cv".into()),
        (Method::GET, "/api/v1/users/me/experiences".into()),
        (Method::POST, "/api/v1/users/me/experiences".into()),
        (
            Method::GET,
            format!("/api/v1/users/me/experiences/{some_id}"),
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/me/experiences/{some_id}"),
        ),
        (
            Method::DELETE,
            format!("/api/v1/users/me/experiences/{some_id}"),
        ),
        (Method::GET, "/api/v1/users/me/education".into()),
        (Method::POST, "/api/v1/users/me/education".into()),
        (Method::GET, format!("/api/v1/users/me/education/{some_id}")),
        (
            Method::PATCH,
            format!("/api/v1/users/me/education/{some_id}"),
        ),
        (
            Method::DELETE,
            format!("/api/v1/users/me/education/{some_id}"),
        ),
    ];
    for (method, path) in &cases {
        let res = app
            .req(method.clone(), path)
            .json(&json!({"password": PASSWORD}))
            .send()
            .await;
        assert_eq!(res.status, 401, "{method} {path}: {}", res.text);
        assert_eq!(res.code(), "TOKEN_MISSING", "{method} {path}: {}", res.text);
    }
    // A garbage token is not "missing": it is invalid.
    get_auth(&app, "not-a-jwt", "/api/v1/users/me")
        .await
        .expect_error(401, "TOKEN_INVALID");
    // And the account was not touched by any of the anonymous calls.
    let data = me(&app, &a.access).await;
    assert_eq!(data["email"], "ada@example.com");
    assert_eq!(data["full_name"], "Test Person");
}

// ---- GET / PATCH /users/me ----

#[tokio::test]
async fn get_me_returns_the_own_account() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let data = me(&app, &a.access).await;
    assert_eq!(data["id"], a.id.as_str());
    assert_eq!(data["email"], "ada@example.com");
    assert_eq!(data["username"], "ada");
    assert_eq!(data["full_name"], "Test Person");
    assert_eq!(data["roles"], json!(["techie"]));
    assert_eq!(data["tier"], "free");
    assert_eq!(data["interests"], json!([]));
    assert_eq!(data["has_cv"], false);
    assert_eq!(data["is_active"], true);
    assert!(data["phone"].is_null());
    assert!(data.get("password_hash").is_none());
    assert!(
        !get_auth(&app, &a.access, "/api/v1/users/me")
            .await
            .text
            .contains("argon2")
    );
}

#[tokio::test]
async fn patch_me_sets_every_field() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let res = patch_me(&app, &a.access, full_profile()).await;
    res.expect(200);
    let expected = json!({
        "full_name": "Ada Lovelace",
        "bio": "Analyst.\nFirst programmer.",
        "avatar_url": "https://example.com/ada.png",
        "phone": "+44 20 7946 0958",
        "education_level": "Self-taught",
        "experience_level": "senior",
        "preferred_career_track": "Backend engineering",
        "learning_style": "visual",
        "interests": ["Rust", "Compilers"],
        "career_goals": "Build the analytical engine.",
    });
    let stored = me(&app, &a.access).await;
    for (k, v) in expected.as_object().unwrap() {
        assert_eq!(&res.data()[k], v, "response field {k}");
        assert_eq!(&stored[k], v, "stored field {k}");
    }
    // Identity fields are untouched.
    assert_eq!(stored["email"], "ada@example.com");
    assert_eq!(stored["username"], "ada");
}

#[tokio::test]
async fn patch_me_absent_fields_stay_and_null_clears() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    patch_me(&app, &a.access, full_profile()).await.expect(200);

    // Only bio is present: everything else stays as it was.
    let res = patch_me(&app, &a.access, json!({"bio": "Changed."})).await;
    res.expect(200);
    let stored = me(&app, &a.access).await;
    assert_eq!(stored["bio"], "Changed.");
    assert_eq!(stored["full_name"], "Ada Lovelace");
    assert_eq!(stored["phone"], "+44 20 7946 0958");
    assert_eq!(stored["experience_level"], "senior");
    assert_eq!(stored["interests"], json!(["Rust", "Compilers"]));
    assert_eq!(stored["career_goals"], "Build the analytical engine.");

    // An empty body changes nothing.
    patch_me(&app, &a.access, json!({})).await.expect(200);
    assert_eq!(me(&app, &a.access).await["bio"], "Changed.");

    // null clears each field, one at a time, leaving the others alone.
    for (i, field) in PROFILE_FIELDS.iter().enumerate() {
        let res = patch_me(&app, &a.access, json!({ *field: null })).await;
        res.expect(200);
        let stored = me(&app, &a.access).await;
        assert!(stored[*field].is_null(), "{field} not cleared: {stored}");
        if let Some(next) = PROFILE_FIELDS.get(i + 1) {
            assert!(
                !stored[*next].is_null(),
                "{next} cleared too early: {stored}"
            );
        }
    }
    patch_me(
        &app,
        &a.access,
        json!({"career_goals": null, "interests": null}),
    )
    .await
    .expect(200);
    let stored = me(&app, &a.access).await;
    assert!(stored["career_goals"].is_null());
    assert_eq!(stored["interests"], json!([]));
    // `[]` clears the list as well.
    patch_me(&app, &a.access, json!({"interests": ["Go"]}))
        .await
        .expect(200);
    assert_eq!(me(&app, &a.access).await["interests"], json!(["Go"]));
    patch_me(&app, &a.access, json!({"interests": []}))
        .await
        .expect(200);
    assert_eq!(me(&app, &a.access).await["interests"], json!([]));

    // A blank string also clears.
    patch_me(&app, &a.access, json!({"full_name": "Ada"}))
        .await
        .expect(200);
    patch_me(&app, &a.access, json!({"full_name": "   "}))
        .await
        .expect(200);
    assert!(me(&app, &a.access).await["full_name"].is_null());
}

#[tokio::test]
async fn patch_me_experience_level_is_one_of_four() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    for level in ["fresher", "junior", "mid", "senior", "JUNIOR"] {
        let res = patch_me(&app, &a.access, json!({"experience_level": level})).await;
        res.expect(200);
        assert_eq!(res.data()["experience_level"], level.to_lowercase());
    }
    for bad in ["expert", "intern", "medium", "", "senior level"] {
        let res = patch_me(
            &app,
            &a.access,
            json!({"experience_level": bad, "full_name": "Should Not Stick"}),
        )
        .await;
        if bad.is_empty() {
            // Blank clears (like null); that is not an invalid level.
            res.expect(200);
            patch_me(
                &app,
                &a.access,
                json!({"experience_level": "junior", "full_name": "Test Person"}),
            )
            .await
            .expect(200);
            continue;
        }
        expect_invalid(&res, "experience_level");
        assert_eq!(res.error_fields(), vec!["experience_level"]);
    }
    // A rejected request writes nothing, not even its valid fields.
    let stored = me(&app, &a.access).await;
    assert_eq!(stored["experience_level"], "junior");
    assert_eq!(stored["full_name"], "Test Person");
    // Wrong JSON type names the field too.
    expect_invalid(
        &patch_me(&app, &a.access, json!({"experience_level": 3})).await,
        "experience_level",
    );
}

#[tokio::test]
async fn patch_me_avatar_url_must_be_http() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    for ok in [
        "https://example.com/a.png",
        "http://cdn.example.org/x/y.jpg?v=2",
    ] {
        let res = patch_me(&app, &a.access, json!({"avatar_url": ok})).await;
        res.expect(200);
        assert_eq!(res.data()["avatar_url"], ok);
    }
    let long = format!("https://example.com/{}", "a".repeat(500));
    for bad in [
        "javascript:alert(1)",
        "ftp://example.com/a.png",
        "data:image/png;base64,AAAA",
        "//example.com/a.png",
        "example.com/a.png",
        "https://exa mple.com/a.png",
        "https://example.com/\"onerror=\"x",
        long.as_str(),
    ] {
        let res = patch_me(&app, &a.access, json!({"avatar_url": bad})).await;
        expect_invalid(&res, "avatar_url");
    }
    assert_eq!(
        me(&app, &a.access).await["avatar_url"],
        "http://cdn.example.org/x/y.jpg?v=2"
    );
}

#[tokio::test]
async fn patch_me_phone_is_validated() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    for ok in [
        "+44 20 7946 0958",
        "(555) 123-4567",
        "5551234",
        "123456789012345",
    ] {
        let res = patch_me(&app, &a.access, json!({"phone": ok})).await;
        res.expect(200);
        assert_eq!(res.data()["phone"], ok);
    }
    for bad in [
        "call me",
        "123456",
        "1234567890123456",
        "+1 555 CALL NOW",
        "555-1234 ext. 9",
        "<script>1234567</script>",
    ] {
        let res = patch_me(&app, &a.access, json!({"phone": bad})).await;
        expect_invalid(&res, "phone");
    }
    assert_eq!(me(&app, &a.access).await["phone"], "123456789012345");
}

#[tokio::test]
async fn patch_me_interests_are_deduplicated_and_limited() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let res = patch_me(
        &app,
        &a.access,
        json!({"interests": ["Rust", "rust", "  AI   safety ", "", "   ", "RUST", "ai safety", "Go"]}),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["interests"], json!(["Rust", "AI safety", "Go"]));
    assert_eq!(
        me(&app, &a.access).await["interests"],
        json!(["Rust", "AI safety", "Go"])
    );

    // Case-insensitive beyond ASCII too.
    let res = patch_me(
        &app,
        &a.access,
        json!({"interests": ["Éclair", "éCLAIR", "ÉCLAIR"]}),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["interests"], json!(["Éclair"]));

    // 20 distinct is the most.
    let twenty: Vec<String> = (0..20).map(|i| format!("topic {i}")).collect();
    let res = patch_me(&app, &a.access, json!({ "interests": twenty })).await;
    res.expect(200);
    assert_eq!(res.data()["interests"].as_array().unwrap().len(), 20);

    // Duplicates do not count towards the limit.
    let mut with_dupes = twenty.clone();
    with_dupes.extend(twenty.iter().map(|s| s.to_uppercase()));
    patch_me(&app, &a.access, json!({ "interests": with_dupes }))
        .await
        .expect(200);

    let twenty_one: Vec<String> = (0..21).map(|i| format!("subject {i}")).collect();
    let res = patch_me(&app, &a.access, json!({ "interests": twenty_one })).await;
    expect_invalid(&res, "interests");

    let res = patch_me(&app, &a.access, json!({"interests": ["x".repeat(51)]})).await;
    expect_invalid(&res, "interests");
    patch_me(&app, &a.access, json!({"interests": ["y".repeat(50)]}))
        .await
        .expect(200);

    let res = patch_me(&app, &a.access, json!({"interests": "rust"})).await;
    expect_invalid(&res, "interests");
    let res = patch_me(&app, &a.access, json!({"interests": [1, 2]})).await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert!(
        res.error_fields()[0].starts_with("interests"),
        "{}",
        res.text
    );

    // The failed attempts left the last good value.
    assert_eq!(
        me(&app, &a.access).await["interests"],
        json!(["y".repeat(50)])
    );
}

#[tokio::test]
async fn patch_me_length_limits_name_each_field() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let res = patch_me(
        &app,
        &a.access,
        json!({
            "full_name": "n".repeat(101),
            "bio": "b".repeat(2001),
            "career_goals": "g".repeat(2001),
            "education_level": "e".repeat(51),
            "learning_style": "l".repeat(51),
            "preferred_career_track": "t".repeat(101),
            "phone": "nope",
            "experience_level": "guru",
            "avatar_url": "file:///etc/passwd",
        }),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    let fields = res.error_fields();
    for f in [
        "full_name",
        "bio",
        "career_goals",
        "education_level",
        "learning_style",
        "preferred_career_track",
        "phone",
        "experience_level",
        "avatar_url",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} missing in {fields:?}");
    }
    assert_eq!(me(&app, &a.access).await["full_name"], "Test Person");

    // The limits themselves are allowed.
    let res = patch_me(
        &app,
        &a.access,
        json!({"full_name": "n".repeat(100), "bio": "b".repeat(2000), "career_goals": "g".repeat(2000)}),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["bio"].as_str().unwrap().len(), 2000);

    // Wrong types are 422 naming the field; malformed JSON is 400.
    expect_invalid(
        &patch_me(&app, &a.access, json!({"full_name": 5})).await,
        "full_name",
    );
    expect_invalid(
        &patch_me(&app, &a.access, json!({"bio": ["x"]})).await,
        "bio",
    );
    app.req(Method::PATCH, "/api/v1/users/me")
        .token(&a.access)
        .header("content-type", "application/json")
        .body("{\"bio\": ")
        .send()
        .await
        .expect_error(400, "MALFORMED_JSON");
}

#[tokio::test]
async fn patch_me_cannot_change_identity_roles_or_tier() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let res = patch_me(
        &app,
        &a.access,
        json!({
            "email": "evil@example.com",
            "username": "root",
            "roles": ["techie", "super_admin"],
            "tier": "enterprise",
            "is_active": false,
            "is_verified": true,
            "id": uuid::Uuid::now_v7(),
            "bio": "hi",
        }),
    )
    .await;
    res.expect(200);
    let stored = me(&app, &a.access).await;
    assert_eq!(stored["email"], "ada@example.com");
    assert_eq!(stored["username"], "ada");
    assert_eq!(stored["roles"], json!(["techie"]));
    assert_eq!(stored["tier"], "free");
    assert_eq!(stored["is_active"], true);
    assert_eq!(stored["id"], a.id.as_str());
    assert_eq!(stored["bio"], "hi");
    get_auth(&app, &a.access, "/api/v1/users")
        .await
        .expect_error(403, "FORBIDDEN_ROLE");
}

// ---- public profile ----

#[tokio::test]
async fn public_profile_shows_career_data_but_never_email_or_phone() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let b = register(&app, "bob").await;
    patch_me(&app, &a.access, full_profile()).await.expect(200);
    post_auth(
        &app,
        &a.access,
        "/api/v1/users/me/skills",
        json!({"name": "Rust", "level": 5}),
    )
    .await
    .expect(201);
    let exp = add_experience(
        &app,
        &a.access,
        json!({"title": "Engineer", "company": "Analytical Ltd", "start_date": "2020-01-15", "is_current": true}),
    )
    .await;
    let edu = add_education(
        &app,
        &a.access,
        json!({"school": "University of London", "degree": "BSc", "start_year": 2014, "end_year": 2017}),
    )
    .await;
    put_cv(&app, &a.access, "SECRET-CV-TEXT").await.expect(200);

    let path = format!("/api/v1/users/{}", a.id);
    let anon = app.get(&path).await;
    let signed_in = get_auth(&app, &b.access, &path).await;
    for res in [&anon, &signed_in] {
        res.expect(200);
        let d = res.data();
        assert_eq!(d["id"], a.id.as_str());
        assert_eq!(d["username"], "ada");
        assert_eq!(d["full_name"], "Ada Lovelace");
        assert_eq!(d["bio"], "Analyst.\nFirst programmer.");
        assert_eq!(d["experience_level"], "senior");
        assert_eq!(d["interests"], json!(["Rust", "Compilers"]));
        assert_eq!(d["skills"], json!([{"name": "Rust", "level": 5}]));
        assert_eq!(d["experiences"].as_array().unwrap().len(), 1);
        assert_eq!(d["experiences"][0]["id"], exp["id"]);
        assert_eq!(d["experiences"][0]["company"], "Analytical Ltd");
        assert_eq!(d["education"].as_array().unwrap().len(), 1);
        assert_eq!(d["education"][0]["id"], edu["id"]);
        assert!(d.get("email").is_none(), "{}", res.text);
        assert!(d.get("phone").is_none(), "{}", res.text);
        assert!(d.get("cv_text").is_none(), "{}", res.text);
        assert!(!res.text.contains("ada@example.com"), "{}", res.text);
        assert!(!res.text.contains("7946"), "{}", res.text);
        assert!(!res.text.contains("SECRET-CV-TEXT"), "{}", res.text);
        assert!(!res.text.to_lowercase().contains("argon2"), "{}", res.text);
    }
}

/// The public profile is cached per instance: every kind of profile write shows at once on the
/// next read (the write evicts the entry), and deactivation hides the profile at once.
#[tokio::test]
async fn public_profile_reflects_every_write_at_once() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let boss = super_admin(&app, "boss").await;
    let path = format!("/api/v1/users/{}", a.id);
    let read = || async {
        let res = app.get(&path).await;
        res.expect(200);
        res.data().clone()
    };
    assert_eq!(read().await["skills"], json!([])); // now cached
    read().await;
    let skills = "/api/v1/users/me/skills";
    post_auth(&app, &a.access, skills, json!({"name": "Rust", "level": 3}))
        .await
        .expect(201);
    assert_eq!(
        read().await["skills"],
        json!([{"name": "Rust", "level": 3}])
    );
    post_auth(&app, &a.access, skills, json!({"name": "rust", "level": 5}))
        .await
        .expect(200);
    // The upsert also takes the spelling it was given.
    assert_eq!(
        read().await["skills"],
        json!([{"name": "rust", "level": 5}])
    );
    delete_auth(&app, &a.access, "/api/v1/users/me/skills/rust")
        .await
        .expect(204);
    assert_eq!(read().await["skills"], json!([]));

    let exp = add_experience(
        &app,
        &a.access,
        json!({"title": "Engineer", "company": "Analytical Ltd", "start_date": "2020-01-15", "is_current": true}),
    )
    .await;
    assert_eq!(read().await["experiences"][0]["title"], "Engineer");
    let exp_path = format!(
        "/api/v1/users/me/experiences/{}",
        exp["id"].as_str().unwrap()
    );
    patch_auth(&app, &a.access, &exp_path, json!({"title": "Lead"}))
        .await
        .expect(200);
    assert_eq!(read().await["experiences"][0]["title"], "Lead");
    delete_auth(&app, &a.access, &exp_path).await.expect(204);
    assert_eq!(read().await["experiences"], json!([]));

    let edu = add_education(
        &app,
        &a.access,
        json!({"school": "University of London", "degree": "BSc", "start_year": 2014}),
    )
    .await;
    assert_eq!(read().await["education"][0]["degree"], "BSc");
    let edu_path = format!("/api/v1/users/me/education/{}", edu["id"].as_str().unwrap());
    patch_auth(&app, &a.access, &edu_path, json!({"degree": "MSc"}))
        .await
        .expect(200);
    assert_eq!(read().await["education"][0]["degree"], "MSc");
    delete_auth(&app, &a.access, &edu_path).await.expect(204);
    assert_eq!(read().await["education"], json!([]));

    patch_me(&app, &a.access, json!({"full_name": "Countess Ada"}))
        .await
        .expect(200);
    assert_eq!(read().await["full_name"], "Countess Ada");
    patch_auth(
        &app,
        &boss.access,
        &format!("/api/v1/users/{}", a.id),
        json!({"is_active": false}),
    )
    .await
    .expect(200);
    app.get(&path).await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn public_profile_unknown_bad_and_deleted_ids() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    app.get(&format!("/api/v1/users/{}", uuid::Uuid::now_v7()))
        .await
        .expect_error(404, "NOT_FOUND");
    app.get("/api/v1/users/not-a-uuid")
        .await
        .expect_error(400, "INVALID_PATH");
    app.get("/api/v1/users/12345")
        .await
        .expect_error(400, "INVALID_PATH");
    let path = format!("/api/v1/users/{}", a.id);
    app.get(&path).await.expect(200);
    delete_me(&app, &a.access, PASSWORD).await.expect(204);
    app.get(&path).await.expect_error(404, "NOT_FOUND");
}

// ---- skills ----

#[tokio::test]
async fn skills_are_case_insensitive_and_upserted() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let list = get_auth(&app, &a.access, "/api/v1/users/me/skills").await;
    list.expect(200);
    assert_eq!(list.data(), &json!([]));

    let res = post_auth(
        &app,
        &a.access,
        "/api/v1/users/me/skills",
        json!({"name": "Rust", "level": 3}),
    )
    .await;
    res.expect(201);
    assert_eq!(res.data()["name"], "Rust");
    assert_eq!(res.data()["level"], 3);

    let res = post_auth(
        &app,
        &a.access,
        "/api/v1/users/me/skills",
        json!({"name": "rust", "level": 5}),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["level"], 5);
    assert_eq!(res.data()["name"].as_str().unwrap().to_lowercase(), "rust");

    post_auth(
        &app,
        &a.access,
        "/api/v1/users/me/skills",
        json!({"name": "  Machine   Learning ", "level": 2}),
    )
    .await
    .expect(201);
    post_auth(
        &app,
        &a.access,
        "/api/v1/users/me/skills",
        json!({"name": "Go", "level": 4}),
    )
    .await
    .expect(201);

    // Strongest first; one entry per name.
    let list = get_auth(&app, &a.access, "/api/v1/users/me/skills").await;
    list.expect(200);
    let items = list.data().as_array().unwrap();
    assert_eq!(items.len(), 3, "{}", list.text);
    assert_eq!(items[0]["name"].as_str().unwrap().to_lowercase(), "rust");
    assert_eq!(items[0]["level"], 5);
    assert_eq!(items[1], json!({"name": "Go", "level": 4}));
    assert_eq!(items[2], json!({"name": "Machine Learning", "level": 2}));

    // Delete is case-insensitive too, and the name may need URL-encoding.
    delete_auth(&app, &a.access, "/api/v1/users/me/skills/RUST")
        .await
        .expect(204);
    delete_auth(
        &app,
        &a.access,
        "/api/v1/users/me/skills/machine%20learning",
    )
    .await
    .expect(204);
    let list = get_auth(&app, &a.access, "/api/v1/users/me/skills").await;
    assert_eq!(list.data(), &json!([{"name": "Go", "level": 4}]));

    delete_auth(&app, &a.access, "/api/v1/users/me/skills/rust")
        .await
        .expect_error(404, "NOT_FOUND");
    delete_auth(&app, &a.access, "/api/v1/users/me/skills/Python")
        .await
        .expect_error(404, "NOT_FOUND");
    delete_auth(&app, &a.access, "/api/v1/users/me/skills/%20")
        .await
        .expect_error(404, "NOT_FOUND");

    // Names with URL-special characters can be removed with percent-encoding.
    for (name, encoded) in [
        ("C/C++", "c%2Fc%2B%2B"),
        ("C#", "C%23"),
        ("Node.js", "node.JS"),
    ] {
        post_auth(
            &app,
            &a.access,
            "/api/v1/users/me/skills",
            json!({"name": name, "level": 3}),
        )
        .await
        .expect(201);
        delete_auth(
            &app,
            &a.access,
            &format!("/api/v1/users/me/skills/{encoded}"),
        )
        .await
        .expect(204);
    }
    let list = get_auth(&app, &a.access, "/api/v1/users/me/skills").await;
    assert_eq!(list.data(), &json!([{"name": "Go", "level": 4}]));
}

#[tokio::test]
async fn skills_are_per_user() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let b = register(&app, "bob").await;
    post_auth(
        &app,
        &a.access,
        "/api/v1/users/me/skills",
        json!({"name": "Rust", "level": 3}),
    )
    .await
    .expect(201);
    // Same name for another user is a new skill (201), and does not touch ada's.
    post_auth(
        &app,
        &b.access,
        "/api/v1/users/me/skills",
        json!({"name": "rust", "level": 1}),
    )
    .await
    .expect(201);
    delete_auth(&app, &b.access, "/api/v1/users/me/skills/rust")
        .await
        .expect(204);
    let list = get_auth(&app, &a.access, "/api/v1/users/me/skills").await;
    assert_eq!(list.data(), &json!([{"name": "Rust", "level": 3}]));
}

#[tokio::test]
async fn skills_validation() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let path = "/api/v1/users/me/skills";
    for level in [0, 6, -1, 100] {
        expect_invalid(
            &post_auth(
                &app,
                &a.access,
                path,
                json!({"name": "Rust", "level": level}),
            )
            .await,
            "level",
        );
    }
    expect_invalid(
        &post_auth(&app, &a.access, path, json!({"name": "   ", "level": 3})).await,
        "name",
    );
    expect_invalid(
        &post_auth(
            &app,
            &a.access,
            path,
            json!({"name": "x".repeat(51), "level": 3}),
        )
        .await,
        "name",
    );
    expect_invalid(
        &post_auth(
            &app,
            &a.access,
            path,
            json!({"name": "Rust", "level": "high"}),
        )
        .await,
        "level",
    );
    expect_invalid(
        &post_auth(&app, &a.access, path, json!({"name": "Rust"})).await,
        "level",
    );
    expect_invalid(
        &post_auth(&app, &a.access, path, json!({"level": 3})).await,
        "name",
    );
    let both = post_auth(&app, &a.access, path, json!({"name": "", "level": 9})).await;
    expect_invalid(&both, "name");
    expect_invalid(&both, "level");
    // None of that was saved.
    assert_eq!(get_auth(&app, &a.access, path).await.data(), &json!([]));
    // Bounds are inclusive.
    post_auth(&app, &a.access, path, json!({"name": "A", "level": 1}))
        .await
        .expect(201);
    post_auth(
        &app,
        &a.access,
        path,
        json!({"name": "x".repeat(50), "level": 5}),
    )
    .await
    .expect(201);
}

// ---- CV ----

async fn put_cv(app: &TestApp, tok: &str, text: &str) -> TestResponse {
    call(
        app,
        Method::PUT,
        "/api/v1/users/me/cv",
        tok,
        Some(json!({ "cv_text": text })),
    )
    .await
}

#[tokio::test]
async fn cv_round_trip_and_100kb_limit() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let res = get_auth(&app, &a.access, "/api/v1/users/me/cv").await;
    res.expect(200);
    assert!(res.data()["cv_text"].is_null());

    let res = put_cv(&app, &a.access, "Ada Lovelace\n\nExperience: lots").await;
    res.expect(200);
    assert_eq!(res.data()["cv_text"], "Ada Lovelace\n\nExperience: lots");
    let res = get_auth(&app, &a.access, "/api/v1/users/me/cv").await;
    assert_eq!(res.data()["cv_text"], "Ada Lovelace\n\nExperience: lots");
    assert_eq!(me(&app, &a.access).await["has_cv"], true);

    // Exactly 100 KB is accepted.
    let exact = "a".repeat(100 * 1024);
    put_cv(&app, &a.access, &exact).await.expect(200);
    let res = get_auth(&app, &a.access, "/api/v1/users/me/cv").await;
    assert_eq!(res.data()["cv_text"].as_str().unwrap().len(), 100 * 1024);

    // One byte more is not, and the stored CV stays as it was.
    expect_invalid(
        &put_cv(&app, &a.access, &"b".repeat(100 * 1024 + 1)).await,
        "cv_text",
    );
    // The limit is in bytes: 51,201 two-byte characters are 102,402 bytes.
    expect_invalid(
        &put_cv(&app, &a.access, &"é".repeat(51_201)).await,
        "cv_text",
    );
    let res = get_auth(&app, &a.access, "/api/v1/users/me/cv").await;
    assert_eq!(res.data()["cv_text"].as_str().unwrap(), exact);

    // Missing or wrongly typed cv_text names the field.
    expect_invalid(
        &call(
            &app,
            Method::PUT,
            "/api/v1/users/me/cv",
            &a.access,
            Some(json!({})),
        )
        .await,
        "cv_text",
    );
    expect_invalid(
        &call(
            &app,
            Method::PUT,
            "/api/v1/users/me/cv",
            &a.access,
            Some(json!({"cv_text": 1})),
        )
        .await,
        "cv_text",
    );

    // An empty CV clears it.
    put_cv(&app, &a.access, "   ").await.expect(200);
    assert!(
        get_auth(&app, &a.access, "/api/v1/users/me/cv")
            .await
            .data()["cv_text"]
            .is_null()
    );
    assert_eq!(me(&app, &a.access).await["has_cv"], false);
}

// ---- experiences ----

#[tokio::test]
async fn experiences_crud() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let base = "/api/v1/users/me/experiences";
    assert_eq!(get_auth(&app, &a.access, base).await.data(), &json!([]));

    let past = add_experience(
        &app,
        &a.access,
        json!({
            "title": " Junior   Developer ",
            "company": "Acme",
            "location": "London",
            "start_date": "2018-09-01",
            "end_date": "2020-06-30",
            "description": "Wrote code.",
        }),
    )
    .await;
    assert_eq!(past["title"], "Junior Developer");
    assert_eq!(past["company"], "Acme");
    assert_eq!(past["location"], "London");
    assert_eq!(past["start_date"], "2018-09-01");
    assert_eq!(past["end_date"], "2020-06-30");
    assert_eq!(past["is_current"], false);
    assert_eq!(past["description"], "Wrote code.");
    let past_id = past["id"].as_str().unwrap().to_owned();

    let current = add_experience(
        &app,
        &a.access,
        json!({"title": "Engineer", "company": "Initech", "start_date": "2015-01-01", "is_current": true}),
    )
    .await;
    assert!(current["end_date"].is_null());
    let current_id = current["id"].as_str().unwrap().to_owned();

    // Current first, then newest start.
    let list = get_auth(&app, &a.access, base).await;
    list.expect(200);
    let ids: Vec<&str> = list
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![current_id.as_str(), past_id.as_str()]);

    let one = get_auth(&app, &a.access, &format!("{base}/{past_id}")).await;
    one.expect(200);
    assert_eq!(one.data(), &past);

    // PATCH changes only what is present.
    let res = patch_auth(
        &app,
        &a.access,
        &format!("{base}/{past_id}"),
        json!({"title": "Developer"}),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["title"], "Developer");
    assert_eq!(res.data()["company"], "Acme");
    assert_eq!(res.data()["location"], "London");
    assert_eq!(res.data()["start_date"], "2018-09-01");
    assert_eq!(res.data()["end_date"], "2020-06-30");
    assert_eq!(res.data()["description"], "Wrote code.");
    let again = get_auth(&app, &a.access, &format!("{base}/{past_id}")).await;
    assert_eq!(again.data()["title"], "Developer");

    // Becoming current (without an end date in the patch) drops the end date.
    let res = patch_auth(
        &app,
        &a.access,
        &format!("{base}/{past_id}"),
        json!({"is_current": true}),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["is_current"], true);
    assert!(res.data()["end_date"].is_null());
    // Ending a current job.
    let res = patch_auth(
        &app,
        &a.access,
        &format!("{base}/{current_id}"),
        json!({"is_current": false, "end_date": "2017-12-31"}),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["end_date"], "2017-12-31");

    delete_auth(&app, &a.access, &format!("{base}/{past_id}"))
        .await
        .expect(204);
    get_auth(&app, &a.access, &format!("{base}/{past_id}"))
        .await
        .expect_error(404, "NOT_FOUND");
    delete_auth(&app, &a.access, &format!("{base}/{past_id}"))
        .await
        .expect_error(404, "NOT_FOUND");
    patch_auth(
        &app,
        &a.access,
        &format!("{base}/{past_id}"),
        json!({"title": "x"}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    let list = get_auth(&app, &a.access, base).await;
    assert_eq!(list.data().as_array().unwrap().len(), 1);
    assert_eq!(list.data()[0]["id"], current_id.as_str());

    get_auth(&app, &a.access, &format!("{base}/not-a-uuid"))
        .await
        .expect_error(400, "INVALID_PATH");
}

#[tokio::test]
async fn experience_validation() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let base = "/api/v1/users/me/experiences";

    let res = post_auth(&app, &a.access, base, json!({})).await;
    for f in ["title", "company", "start_date"] {
        expect_invalid(&res, f);
    }
    let ok = json!({"title": "Dev", "company": "Acme", "start_date": "2020-01-01"});
    for missing in ["title", "company", "start_date"] {
        let mut body = ok.clone();
        body.as_object_mut().unwrap().remove(missing);
        expect_invalid(&post_auth(&app, &a.access, base, body).await, missing);
        let mut blank = ok.clone();
        blank[missing] = json!("   ");
        expect_invalid(&post_auth(&app, &a.access, base, blank).await, missing);
    }
    for bad in [
        "2020/01/01",
        "01-02-2020",
        "2020-02-30",
        "2020-1-1x",
        "yesterday",
        "1900-01-01",
    ] {
        let mut body = ok.clone();
        body["start_date"] = json!(bad);
        expect_invalid(&post_auth(&app, &a.access, base, body).await, "start_date");
        let mut body = ok.clone();
        body["end_date"] = json!(bad);
        expect_invalid(&post_auth(&app, &a.access, base, body).await, "end_date");
    }
    // End before start.
    let mut body = ok.clone();
    body["end_date"] = json!("2019-12-31");
    expect_invalid(&post_auth(&app, &a.access, base, body).await, "end_date");
    // Current with an end date.
    let mut body = ok.clone();
    body["is_current"] = json!(true);
    body["end_date"] = json!("2021-01-01");
    expect_invalid(&post_auth(&app, &a.access, base, body).await, "end_date");
    // Too long.
    let mut body = ok.clone();
    body["title"] = json!("t".repeat(121));
    expect_invalid(&post_auth(&app, &a.access, base, body).await, "title");
    // Wrong types.
    let mut body = ok.clone();
    body["is_current"] = json!("yes");
    expect_invalid(&post_auth(&app, &a.access, base, body).await, "is_current");

    // Nothing was stored by any of that.
    assert_eq!(get_auth(&app, &a.access, base).await.data(), &json!([]));

    // Same start and end day is fine.
    let mut body = ok.clone();
    body["end_date"] = json!("2020-01-01");
    let created = add_experience(&app, &a.access, body).await;
    let path = format!("{base}/{}", created["id"].as_str().unwrap());

    // PATCH is validated against the merged record, and a failed PATCH changes nothing.
    expect_invalid(
        &patch_auth(&app, &a.access, &path, json!({"start_date": "2020-06-01"})).await,
        "end_date",
    );
    expect_invalid(
        &patch_auth(&app, &a.access, &path, json!({"title": ""})).await,
        "title",
    );
    expect_invalid(
        &patch_auth(&app, &a.access, &path, json!({"start_date": ""})).await,
        "start_date",
    );
    expect_invalid(
        &patch_auth(&app, &a.access, &path, json!({"end_date": "2020-13-01"})).await,
        "end_date",
    );
    expect_invalid(
        &patch_auth(
            &app,
            &a.access,
            &path,
            json!({"is_current": true, "end_date": "2020-02-01"}),
        )
        .await,
        "end_date",
    );
    let stored = get_auth(&app, &a.access, &path).await;
    assert_eq!(stored.data(), &created);
}

#[tokio::test]
async fn another_users_experience_is_not_found() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let b = register(&app, "bob").await;
    let exp = add_experience(
        &app,
        &a.access,
        json!({"title": "Dev", "company": "Acme", "start_date": "2020-01-01"}),
    )
    .await;
    let path = format!(
        "/api/v1/users/me/experiences/{}",
        exp["id"].as_str().unwrap()
    );
    get_auth(&app, &b.access, &path)
        .await
        .expect_error(404, "NOT_FOUND");
    patch_auth(&app, &b.access, &path, json!({"title": "Hacked"}))
        .await
        .expect_error(404, "NOT_FOUND");
    delete_auth(&app, &b.access, &path)
        .await
        .expect_error(404, "NOT_FOUND");
    assert_eq!(
        get_auth(&app, &b.access, "/api/v1/users/me/experiences")
            .await
            .data(),
        &json!([])
    );
    // Still there, unchanged, for its owner.
    let res = get_auth(&app, &a.access, &path).await;
    res.expect(200);
    assert_eq!(res.data(), &exp);
    get_auth(
        &app,
        &a.access,
        &format!("/api/v1/users/me/experiences/{}", uuid::Uuid::now_v7()),
    )
    .await
    .expect_error(404, "NOT_FOUND");
}

// ---- education ----

#[tokio::test]
async fn education_crud() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let base = "/api/v1/users/me/education";
    assert_eq!(get_auth(&app, &a.access, base).await.data(), &json!([]));

    let old = add_education(
        &app,
        &a.access,
        json!({
            "school": "  Springfield   High ",
            "degree": "Diploma",
            "field_of_study": "Science",
            "start_year": 2008,
            "end_year": 2012,
            "grade": "A",
            "description": "Chess club.",
        }),
    )
    .await;
    assert_eq!(old["school"], "Springfield High");
    assert_eq!(old["degree"], "Diploma");
    assert_eq!(old["field_of_study"], "Science");
    assert_eq!(old["start_year"], 2008);
    assert_eq!(old["end_year"], 2012);
    assert_eq!(old["grade"], "A");
    assert_eq!(old["description"], "Chess club.");
    let old_id = old["id"].as_str().unwrap().to_owned();
    let uni = add_education(
        &app,
        &a.access,
        json!({"school": "MIT", "start_year": 2013}),
    )
    .await;
    assert!(uni["degree"].is_null());
    assert!(uni["end_year"].is_null());
    let uni_id = uni["id"].as_str().unwrap().to_owned();

    // Most recent first.
    let list = get_auth(&app, &a.access, base).await;
    list.expect(200);
    let ids: Vec<&str> = list
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![uni_id.as_str(), old_id.as_str()]);

    let one = get_auth(&app, &a.access, &format!("{base}/{old_id}")).await;
    one.expect(200);
    assert_eq!(one.data(), &old);

    let res = patch_auth(
        &app,
        &a.access,
        &format!("{base}/{uni_id}"),
        json!({"end_year": 2017, "degree": "BSc"}),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["end_year"], 2017);
    assert_eq!(res.data()["degree"], "BSc");
    assert_eq!(res.data()["school"], "MIT");
    assert_eq!(res.data()["start_year"], 2013);
    assert_eq!(
        get_auth(&app, &a.access, &format!("{base}/{uni_id}"))
            .await
            .data()["end_year"],
        2017
    );

    delete_auth(&app, &a.access, &format!("{base}/{old_id}"))
        .await
        .expect(204);
    get_auth(&app, &a.access, &format!("{base}/{old_id}"))
        .await
        .expect_error(404, "NOT_FOUND");
    delete_auth(&app, &a.access, &format!("{base}/{old_id}"))
        .await
        .expect_error(404, "NOT_FOUND");
    let list = get_auth(&app, &a.access, base).await;
    assert_eq!(list.data().as_array().unwrap().len(), 1);
    get_auth(&app, &a.access, &format!("{base}/nope"))
        .await
        .expect_error(400, "INVALID_PATH");
}

#[tokio::test]
async fn education_validation() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let base = "/api/v1/users/me/education";
    expect_invalid(&post_auth(&app, &a.access, base, json!({})).await, "school");
    expect_invalid(
        &post_auth(&app, &a.access, base, json!({"school": "  "})).await,
        "school",
    );
    expect_invalid(
        &post_auth(&app, &a.access, base, json!({"school": "s".repeat(151)})).await,
        "school",
    );
    for (field, year) in [
        ("start_year", 1949),
        ("start_year", 2101),
        ("end_year", 1949),
        ("end_year", 2101),
    ] {
        expect_invalid(
            &post_auth(&app, &a.access, base, json!({"school": "MIT", field: year})).await,
            field,
        );
    }
    expect_invalid(
        &post_auth(
            &app,
            &a.access,
            base,
            json!({"school": "MIT", "start_year": 2015, "end_year": 2014}),
        )
        .await,
        "end_year",
    );
    expect_invalid(
        &post_auth(
            &app,
            &a.access,
            base,
            json!({"school": "MIT", "start_year": "2015"}),
        )
        .await,
        "start_year",
    );
    assert_eq!(get_auth(&app, &a.access, base).await.data(), &json!([]));

    // Boundaries are allowed; same start and end year too.
    add_education(
        &app,
        &a.access,
        json!({"school": "Old", "start_year": 1950, "end_year": 2100}),
    )
    .await;
    let e = add_education(
        &app,
        &a.access,
        json!({"school": "Same", "start_year": 2015, "end_year": 2015}),
    )
    .await;
    let path = format!("{base}/{}", e["id"].as_str().unwrap());

    // PATCH is checked against the merged record; a failed PATCH changes nothing.
    expect_invalid(
        &patch_auth(&app, &a.access, &path, json!({"start_year": 2016})).await,
        "end_year",
    );
    expect_invalid(
        &patch_auth(&app, &a.access, &path, json!({"school": ""})).await,
        "school",
    );
    expect_invalid(
        &patch_auth(&app, &a.access, &path, json!({"end_year": 3000})).await,
        "end_year",
    );
    assert_eq!(get_auth(&app, &a.access, &path).await.data(), &e);
}

#[tokio::test]
async fn another_users_education_is_not_found() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let b = register(&app, "bob").await;
    let e = add_education(&app, &a.access, json!({"school": "MIT"})).await;
    let path = format!("/api/v1/users/me/education/{}", e["id"].as_str().unwrap());
    get_auth(&app, &b.access, &path)
        .await
        .expect_error(404, "NOT_FOUND");
    patch_auth(&app, &b.access, &path, json!({"school": "Hacked"}))
        .await
        .expect_error(404, "NOT_FOUND");
    delete_auth(&app, &b.access, &path)
        .await
        .expect_error(404, "NOT_FOUND");
    let res = get_auth(&app, &a.access, &path).await;
    res.expect(200);
    assert_eq!(res.data(), &e);
}

// ---- account deletion ----

async fn delete_me(app: &TestApp, tok: &str, password: &str) -> TestResponse {
    call(
        app,
        Method::DELETE,
        "/api/v1/users/me",
        tok,
        Some(json!({ "password": password })),
    )
    .await
}

#[tokio::test]
async fn delete_account_with_wrong_password_changes_nothing() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    patch_me(&app, &a.access, full_profile()).await.expect(200);
    post_auth(
        &app,
        &a.access,
        "/api/v1/users/me/skills",
        json!({"name": "Rust", "level": 4}),
    )
    .await
    .expect(201);
    let before = me(&app, &a.access).await;

    expect_invalid(
        &delete_me(&app, &a.access, "wrong password!").await,
        "password",
    );
    expect_invalid(&delete_me(&app, &a.access, "").await, "password");
    expect_invalid(
        &call(
            &app,
            Method::DELETE,
            "/api/v1/users/me",
            &a.access,
            Some(json!({})),
        )
        .await,
        "password",
    );

    let after = me(&app, &a.access).await;
    assert_eq!(before, after);
    assert_eq!(
        get_auth(&app, &a.access, "/api/v1/users/me/skills")
            .await
            .data(),
        &json!([{"name": "Rust", "level": 4}])
    );
    app.get(&format!("/api/v1/users/{}", a.id))
        .await
        .expect(200);
    login(&app, "ada@example.com", PASSWORD).await.expect(200);
}

#[tokio::test]
async fn delete_account_erases_it_and_frees_the_email() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let other_session = login(&app, "ada", PASSWORD).await;
    other_session.expect(200);
    let other_access = other_session.data()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    patch_me(&app, &a.access, full_profile()).await.expect(200);
    post_auth(
        &app,
        &a.access,
        "/api/v1/users/me/skills",
        json!({"name": "Rust", "level": 4}),
    )
    .await
    .expect(201);
    let exp = add_experience(
        &app,
        &a.access,
        json!({"title": "Dev", "company": "Acme", "start_date": "2020-01-01"}),
    )
    .await;
    add_education(&app, &a.access, json!({"school": "MIT"})).await;
    put_cv(&app, &a.access, "my cv").await.expect(200);

    let res = delete_me(&app, &a.access, PASSWORD).await;
    res.expect(204);
    assert!(res.text.is_empty());

    // Every session ends: the old access tokens and the refresh token stop working.
    let res = get_auth(&app, &a.access, "/api/v1/users/me").await;
    assert_eq!(res.status, 401, "{}", res.text);
    assert_eq!(res.body["status"], "error");
    assert_eq!(
        get_auth(&app, &other_access, "/api/v1/users/me")
            .await
            .status,
        401
    );
    assert_eq!(
        get_auth(
            &app,
            &a.access,
            &format!(
                "/api/v1/users/me/experiences/{}",
                exp["id"].as_str().unwrap()
            )
        )
        .await
        .status,
        401
    );
    assert_eq!(
        app.post("/api/v1/auth/refresh", json!({"refresh_token": a.refresh}))
            .await
            .status,
        401
    );
    // Deleting again with the dead token is a 401, not a second deletion.
    assert_eq!(delete_me(&app, &a.access, PASSWORD).await.status, 401);

    // Signing in fails like for an unknown user.
    login(&app, "ada@example.com", PASSWORD)
        .await
        .expect_error(401, "INVALID_CREDENTIALS");
    login(&app, "ada", PASSWORD)
        .await
        .expect_error(401, "INVALID_CREDENTIALS");

    // The public profile is gone.
    app.get(&format!("/api/v1/users/{}", a.id))
        .await
        .expect_error(404, "NOT_FOUND");

    // The email and username can be registered again, as a fresh account.
    let again = register(&app, "ada").await;
    assert_ne!(again.id, a.id);
    let fresh = me(&app, &again.access).await;
    assert_eq!(fresh["email"], "ada@example.com");
    assert!(fresh["bio"].is_null());
    assert!(fresh["phone"].is_null());
    assert_eq!(fresh["interests"], json!([]));
    assert_eq!(fresh["has_cv"], false);
    assert_eq!(
        get_auth(&app, &again.access, "/api/v1/users/me/skills")
            .await
            .data(),
        &json!([])
    );
    assert_eq!(
        get_auth(&app, &again.access, "/api/v1/users/me/experiences")
            .await
            .data(),
        &json!([])
    );
    assert_eq!(
        get_auth(&app, &again.access, "/api/v1/users/me/education")
            .await
            .data(),
        &json!([])
    );
    let public = app.get(&format!("/api/v1/users/{}", again.id)).await;
    public.expect(200);
    assert_eq!(public.data()["skills"], json!([]));
    login(&app, "ada@example.com", PASSWORD).await.expect(200);
    app.get(&format!("/api/v1/users/{}", a.id))
        .await
        .expect_error(404, "NOT_FOUND");
}

/// Parallel POSTs of one skill name in different spellings: exactly one creates it, the rest
/// update it; none fails (no 500 from SQLite lock upgrades, no 409 from the unique index).
#[tokio::test]
async fn concurrent_skill_upserts_make_one_skill() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    for base in ["Rust", "Go", "Kotlin"] {
        let results = futures::future::join_all((0..12).map(|i| {
            let name = match i % 3 {
                0 => base.to_owned(),
                1 => base.to_lowercase(),
                _ => format!(" {} ", base.to_uppercase()),
            };
            post_auth(
                &app,
                &a.access,
                "/api/v1/users/me/skills",
                json!({"name": name, "level": (i % 5) + 1}),
            )
        }))
        .await;
        let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 201),
            "{statuses:?} {:?}",
            results.iter().map(|r| &r.text).collect::<Vec<_>>()
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
    }
    let list = get_auth(&app, &a.access, "/api/v1/users/me/skills").await;
    let mut names: Vec<String> = list
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_lowercase())
        .collect();
    names.sort();
    assert_eq!(names, ["go", "kotlin", "rust"]);
}
