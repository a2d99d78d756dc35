#![allow(clippy::unwrap_used, clippy::expect_used)]
//! HTTP tests for companies, their members and admin verification: every endpoint, the
//! validation errors, and the authorisation matrix.

use reqwest::Method;
use serde_json::{Value, json};
use vertechie_kernel::testkit::{TestApp, TestResponse};
use vertechie_server::testing::spawn;

const PASSWORD: &str = "correct horse battery";

/// A registered, signed-in user with a verified address.
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
    crate::common::verify_email(app, &format!("{username}@example.com")).await;
    User {
        id: res.data()["user"]["id"].as_str().unwrap().to_owned(),
        token: res.data()["access_token"].as_str().unwrap().to_owned(),
    }
}

/// A platform admin, made the way the CLI makes one, then signed in.
async fn platform_admin(app: &TestApp, username: &str) -> User {
    let email = format!("{username}@example.com");
    vertechie_accounts::service::admin::create_admin(&app.state, &email, PASSWORD)
        .await
        .unwrap();
    let res = app
        .post(
            "/api/v1/auth/login",
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    res.expect(200);
    User {
        id: res.data()["user"]["id"].as_str().unwrap().to_owned(),
        token: res.data()["access_token"].as_str().unwrap().to_owned(),
    }
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    tok: &str,
    body: Option<Value>,
) -> TestResponse {
    let mut req = app.req(method, path).token(tok);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await
}

async fn create(app: &TestApp, tok: &str, body: Value) -> TestResponse {
    call(app, Method::POST, "/api/v1/companies", tok, Some(body)).await
}

/// Creates a company named `name` as `owner` and returns its id.
async fn company(app: &TestApp, owner: &User, name: &str) -> String {
    let res = create(app, &owner.token, json!({"name": name})).await;
    res.expect(201);
    res.data()["id"].as_str().unwrap().to_owned()
}

async fn set_member(
    app: &TestApp,
    tok: &str,
    company: &str,
    user: &str,
    role: &str,
) -> TestResponse {
    call(
        app,
        Method::POST,
        &format!("/api/v1/companies/{company}/members"),
        tok,
        Some(json!({"user_id": user, "role": role})),
    )
    .await
}

async fn remove_member(app: &TestApp, tok: &str, company: &str, user: &str) -> TestResponse {
    call(
        app,
        Method::DELETE,
        &format!("/api/v1/companies/{company}/members/{user}"),
        tok,
        None,
    )
    .await
}

async fn patch(app: &TestApp, tok: &str, company: &str, body: Value) -> TestResponse {
    call(
        app,
        Method::PATCH,
        &format!("/api/v1/companies/{company}"),
        tok,
        Some(body),
    )
    .await
}

fn roles(members: &Value) -> Vec<(String, String)> {
    members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user_id"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn create_get_and_the_creator_becomes_owner() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let res = create(
        &app,
        &ada.token,
        json!({"name": "  Acme   Robotics ", "website": "https://acme.example", "logo_url": "http://cdn.example/logo.png",
               "size": "11-50", "industry": "Robotics", "location": "Berlin", "about": "We build robots.\nGood ones.",
               "verified": true}),
    )
    .await;
    res.expect(201);
    let c = res.data().clone();
    assert_eq!(c["name"], "Acme Robotics");
    assert_eq!(c["slug"], "acme-robotics");
    assert_eq!(c["size"], "11-50");
    assert_eq!(c["about"], "We build robots.\nGood ones.");
    assert_eq!(c["verified"], false, "verified is read-only");
    let id = c["id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);

    // Public read, no token needed.
    let got = app.get(&format!("/api/v1/companies/{id}")).await;
    got.expect(200);
    assert_eq!(got.data(), &c);

    let members = call(
        &app,
        Method::GET,
        &format!("/api/v1/companies/{id}/members"),
        &ada.token,
        None,
    )
    .await;
    members.expect(200);
    assert_eq!(
        roles(members.data()),
        vec![(ada.id.clone(), "owner".into())]
    );
    assert_eq!(members.data()[0]["username"], "ada");
    assert_eq!(members.data()[0]["full_name"], "ada Person");
}

#[tokio::test]
async fn signed_out_requests_get_401() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let id = company(&app, &ada, "Acme").await;
    let none = |m: Method, p: String| app.req(m, &p).send();
    none(Method::POST, "/api/v1/companies".into())
        .await
        .expect_error(401, "TOKEN_MISSING");
    for (m, p) in [
        (Method::PATCH, format!("/api/v1/companies/{id}")),
        (Method::DELETE, format!("/api/v1/companies/{id}")),
        (Method::GET, format!("/api/v1/companies/{id}/members")),
        (Method::POST, format!("/api/v1/companies/{id}/members")),
        (
            Method::DELETE,
            format!("/api/v1/companies/{id}/members/{}", ada.id),
        ),
        (Method::POST, format!("/api/v1/admin/companies/{id}/verify")),
    ] {
        let res = none(m.clone(), p.clone()).await;
        assert_eq!(res.status, 401, "{m} {p}: {}", res.text);
    }
    // A bad token is 401 as well.
    let res = create(&app, "not-a-token", json!({"name": "X Co"})).await;
    assert_eq!(res.status, 401);
}

#[tokio::test]
async fn validation_errors_name_the_fields() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let res = create(
        &app,
        &ada.token,
        json!({"slug": "Bad Slug!", "website": "ftp://x.example", "logo_url": "javascript:alert(1)",
               "size": "huge", "industry": "i".repeat(101), "location": "l".repeat(121), "about": "a".repeat(5001)}),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "about", "industry", "location", "logo_url", "name", "size", "slug", "website"
        ]
    );

    let res = create(&app, &ada.token, json!({"name": "n".repeat(121)})).await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["name"]);
    // Whitespace-only is no name; a wrong type is named too.
    create(&app, &ada.token, json!({"name": "   "}))
        .await
        .expect_error(422, "VALIDATION_ERROR");
    let res = create(&app, &ada.token, json!({"name": 42})).await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["name"]);
    for slug in ["a", "-acme", "acme-", "ac_me", &"a".repeat(61)] {
        let res = create(&app, &ada.token, json!({"name": "Acme", "slug": slug})).await;
        res.expect_error(422, "VALIDATION_ERROR");
        assert_eq!(res.error_fields(), ["slug"], "{slug}");
    }
    // Exactly at the limits is fine; an upper-case slug is lowered.
    let res = create(
        &app,
        &ada.token,
        json!({"name": "n".repeat(120), "slug": "AB", "about": "a".repeat(5000), "size": "1000+"}),
    )
    .await;
    res.expect(201);
    assert_eq!(res.data()["slug"], "ab");
    // Malformed JSON is 400, not 422.
    app.req(Method::POST, "/api/v1/companies")
        .token(&ada.token)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .expect_error(400, "MALFORMED_JSON");
    // Bad ids in the path are 400.
    call(
        &app,
        Method::GET,
        "/api/v1/companies/not-a-uuid",
        &ada.token,
        None,
    )
    .await
    .expect_error(400, "INVALID_PATH");
    app.get(&format!("/api/v1/companies/{}", uuid::Uuid::now_v7()))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn slugs_are_generated_unique_and_conflicts_are_409() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let first = create(&app, &ada.token, json!({"name": "Acme, Inc."})).await;
    first.expect(201);
    assert_eq!(first.data()["slug"], "acme-inc");
    // The same name again gets a numbered slug rather than an error.
    let second = create(&app, &ada.token, json!({"name": "Acme Inc"})).await;
    second.expect(201);
    assert_eq!(second.data()["slug"], "acme-inc-2");
    // A name without ASCII letters still gets a valid slug.
    let third = create(&app, &ada.token, json!({"name": "株式会社"})).await;
    third.expect(201);
    assert_eq!(third.data()["slug"], "company");

    // Asking for a taken slug is a conflict, on create and on update.
    create(
        &app,
        &ada.token,
        json!({"name": "Other", "slug": "acme-inc"}),
    )
    .await
    .expect_error(409, "SLUG_TAKEN");
    let other = create(
        &app,
        &ada.token,
        json!({"name": "Other", "slug": "other-co"}),
    )
    .await;
    other.expect(201);
    let other_id = other.data()["id"].as_str().unwrap().to_owned();
    patch(&app, &ada.token, &other_id, json!({"slug": "acme-inc-2"}))
        .await
        .expect_error(409, "SLUG_TAKEN");
    // Keeping one's own slug is not a conflict; changing to a free one works.
    patch(&app, &ada.token, &other_id, json!({"slug": "other-co"}))
        .await
        .expect(200);
    let res = patch(&app, &ada.token, &other_id, json!({"slug": "brand-new"})).await;
    res.expect(200);
    assert_eq!(res.data()["slug"], "brand-new");
    patch(&app, &ada.token, &other_id, json!({"slug": null}))
        .await
        .expect_error(422, "VALIDATION_ERROR");
}

#[tokio::test]
async fn list_searches_name_industry_location_and_pages() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    for (name, industry, location) in [
        ("Zeta Labs", "Biotech", "Paris"),
        ("Acme", "Robotics", "Berlin"),
        ("Beta 100% Co", "Fintech", "London"),
        ("Gamma_Works", "Robotics", "Lisbon"),
    ] {
        create(
            &app,
            &ada.token,
            json!({"name": name, "industry": industry, "location": location}),
        )
        .await
        .expect(201);
    }
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = app.get("/api/v1/companies").await;
    all.expect(200);
    assert_eq!(
        names(all.data()),
        ["Acme", "Beta 100% Co", "Gamma_Works", "Zeta Labs"]
    );
    assert_eq!(
        all.data()["pagination"],
        json!({"total": 4, "page": 1, "limit": 20, "pages": 1})
    );

    let q = |s: &str| format!("/api/v1/companies?q={s}");
    assert_eq!(
        names(app.get(&q("ROBOTICS")).await.data()),
        ["Acme", "Gamma_Works"]
    );
    assert_eq!(names(app.get(&q("paris")).await.data()), ["Zeta Labs"]);
    assert_eq!(names(app.get(&q("labs")).await.data()), ["Zeta Labs"]);
    // LIKE wildcards are literal characters.
    assert_eq!(names(app.get(&q("%25")).await.data()), ["Beta 100% Co"]);
    assert_eq!(names(app.get(&q("a_w")).await.data()), ["Gamma_Works"]);
    assert!(names(app.get(&q("nothing-like-this")).await.data()).is_empty());

    let page2 = app.get("/api/v1/companies?page=2&limit=3").await;
    page2.expect(200);
    assert_eq!(names(page2.data()), ["Zeta Labs"]);
    assert_eq!(
        page2.data()["pagination"],
        json!({"total": 4, "page": 2, "limit": 3, "pages": 2})
    );
    app.get("/api/v1/companies?page=abc")
        .await
        .expect_error(400, "INVALID_QUERY");
}

#[tokio::test]
async fn patch_by_owner_and_admin_only() {
    let app = spawn().await;
    let owner = register(&app, "owner").await;
    let admin = register(&app, "admin").await;
    let recruiter = register(&app, "recruiter").await;
    let interviewer = register(&app, "interviewer").await;
    let stranger = register(&app, "stranger").await;
    let id = company(&app, &owner, "Acme").await;
    set_member(&app, &owner.token, &id, &admin.id, "admin")
        .await
        .expect(201);
    set_member(&app, &owner.token, &id, &recruiter.id, "recruiter")
        .await
        .expect(201);
    set_member(&app, &owner.token, &id, &interviewer.id, "interviewer")
        .await
        .expect(201);

    for who in [&recruiter, &interviewer, &stranger] {
        patch(&app, &who.token, &id, json!({"about": "hijacked"}))
            .await
            .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    }
    let res = patch(
        &app,
        &owner.token,
        &id,
        json!({"about": "Robots.", "size": "51-200", "location": "Oslo"}),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["about"], "Robots.");
    let res = patch(
        &app,
        &admin.token,
        &id,
        json!({"location": null, "industry": "Robotics", "verified": true}),
    )
    .await;
    res.expect(200);
    let c = res.data();
    assert_eq!(c["location"], Value::Null, "null clears");
    assert_eq!(c["about"], "Robots.", "absent fields stay");
    assert_eq!(c["size"], "51-200");
    assert_eq!(c["industry"], "Robotics");
    assert_eq!(c["verified"], false, "verified cannot be set by members");

    let res = patch(
        &app,
        &owner.token,
        &id,
        json!({"name": null, "website": "nope", "size": "2-3"}),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(fields, ["name", "size", "website"]);
    // Nothing was written by the failed request.
    assert_eq!(
        app.get(&format!("/api/v1/companies/{id}")).await.data()["name"],
        "Acme"
    );

    patch(
        &app,
        &owner.token,
        &uuid::Uuid::now_v7().to_string(),
        json!({"about": "x"}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn delete_by_owner_only() {
    let app = spawn().await;
    let owner = register(&app, "owner").await;
    let admin = register(&app, "admin").await;
    let stranger = register(&app, "stranger").await;
    let id = company(&app, &owner, "Acme").await;
    set_member(&app, &owner.token, &id, &admin.id, "admin")
        .await
        .expect(201);
    let path = format!("/api/v1/companies/{id}");
    for who in [&admin, &stranger] {
        call(&app, Method::DELETE, &path, &who.token, None)
            .await
            .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    }
    let res = call(&app, Method::DELETE, &path, &owner.token, None).await;
    res.expect(204);
    assert!(res.text.is_empty());
    app.get(&path).await.expect_error(404, "NOT_FOUND");
    call(&app, Method::DELETE, &path, &owner.token, None)
        .await
        .expect_error(404, "NOT_FOUND");
    // The slug is free again.
    let again = create(&app, &owner.token, json!({"name": "Acme", "slug": "acme"})).await;
    again.expect(201);
}

#[tokio::test]
async fn members_are_listed_to_members_only() {
    let app = spawn().await;
    let owner = register(&app, "owner").await;
    let interviewer = register(&app, "interviewer").await;
    let recruiter = register(&app, "recruiter").await;
    let stranger = register(&app, "stranger").await;
    let id = company(&app, &owner, "Acme").await;
    set_member(&app, &owner.token, &id, &interviewer.id, "interviewer")
        .await
        .expect(201);
    set_member(&app, &owner.token, &id, &recruiter.id, "recruiter")
        .await
        .expect(201);
    let path = format!("/api/v1/companies/{id}/members");
    for who in [&owner, &interviewer, &recruiter] {
        let res = call(&app, Method::GET, &path, &who.token, None).await;
        res.expect(200);
        assert_eq!(
            roles(res.data()),
            vec![
                (owner.id.clone(), "owner".into()),
                (recruiter.id.clone(), "recruiter".into()),
                (interviewer.id.clone(), "interviewer".into()),
            ],
            "strongest role first"
        );
    }
    call(&app, Method::GET, &path, &stranger.token, None)
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    // A platform admin is not a company member either.
    let boss = platform_admin(&app, "boss").await;
    call(&app, Method::GET, &path, &boss.token, None)
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    let missing = format!("/api/v1/companies/{}/members", uuid::Uuid::now_v7());
    call(&app, Method::GET, &missing, &owner.token, None)
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn adding_and_changing_roles() {
    let app = spawn().await;
    let owner = register(&app, "owner").await;
    let admin = register(&app, "admin").await;
    let rec = register(&app, "rec").await;
    let int = register(&app, "int").await;
    let other = register(&app, "other").await;
    let id = company(&app, &owner, "Acme").await;

    // Adding is 201, changing is 200, repeating the same role is 200 as well.
    let res = set_member(&app, &owner.token, &id, &admin.id, "admin").await;
    res.expect(201);
    assert_eq!(res.data()["role"], "admin");
    assert_eq!(res.data()["username"], "admin");
    set_member(&app, &admin.token, &id, &rec.id, "interviewer")
        .await
        .expect(201);
    let res = set_member(&app, &admin.token, &id, &rec.id, "recruiter").await;
    res.expect(200);
    assert_eq!(res.data()["role"], "recruiter");
    set_member(&app, &admin.token, &id, &rec.id, "recruiter")
        .await
        .expect(200);
    set_member(&app, &admin.token, &id, &int.id, "interviewer")
        .await
        .expect(201);

    // Recruiters, interviewers and outsiders manage nobody.
    for who in [&rec, &int, &other] {
        set_member(&app, &who.token, &id, &other.id, "interviewer")
            .await
            .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    }
    // Only owners make owners, and only owners change an owner's role.
    set_member(&app, &admin.token, &id, &other.id, "owner")
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    set_member(&app, &admin.token, &id, &admin.id, "owner")
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    set_member(&app, &admin.token, &id, &owner.id, "recruiter")
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    set_member(&app, &owner.token, &id, &admin.id, "owner")
        .await
        .expect(200);
    // Now two owners: one may step down to admin.
    set_member(&app, &admin.token, &id, &owner.id, "admin")
        .await
        .expect(200);

    // Validation: unknown role, missing fields, unknown or malformed user.
    let res = set_member(&app, &admin.token, &id, &other.id, "boss").await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["role"]);
    let res = call(
        &app,
        Method::POST,
        &format!("/api/v1/companies/{id}/members"),
        &admin.token,
        Some(json!({})),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(fields, ["role", "user_id"]);
    let res = set_member(
        &app,
        &admin.token,
        &id,
        &uuid::Uuid::now_v7().to_string(),
        "recruiter",
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["user_id"]);
    let res = set_member(&app, &admin.token, &id, "not-a-uuid", "recruiter").await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["user_id"]);
    set_member(
        &app,
        &admin.token,
        &uuid::Uuid::now_v7().to_string(),
        &other.id,
        "recruiter",
    )
    .await
    .expect_error(404, "NOT_FOUND");

    let members = call(
        &app,
        Method::GET,
        &format!("/api/v1/companies/{id}/members"),
        &int.token,
        None,
    )
    .await;
    assert_eq!(
        roles(members.data()),
        vec![
            (admin.id.clone(), "owner".into()),
            (owner.id.clone(), "admin".into()),
            (rec.id.clone(), "recruiter".into()),
            (int.id.clone(), "interviewer".into()),
        ]
    );
}

/// A deactivated account is not added to a company (403 `USER_INACTIVE`); the company's
/// members stay as they were.
#[tokio::test]
async fn deactivated_accounts_are_not_added() {
    let app = spawn().await;
    let owner = register(&app, "owner").await;
    let gone = register(&app, "gone").await;
    let id = company(&app, &owner, "Acme").await;
    crate::common::deactivate(&app, &gone.id).await;
    let res = set_member(&app, &owner.token, &id, &gone.id, "recruiter").await;
    res.expect_error(403, "USER_INACTIVE");
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("deactivated"),
        "{}",
        res.text
    );
    let res = call(
        &app,
        Method::GET,
        &format!("/api/v1/companies/{id}/members"),
        &owner.token,
        None,
    )
    .await;
    res.expect(200);
    let members = res.data().as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["username"], "owner");
    assert_eq!(members[0]["display_name"], "owner Person");
}

#[tokio::test]
async fn the_last_owner_can_neither_leave_nor_be_demoted() {
    let app = spawn().await;
    let owner = register(&app, "owner").await;
    let second = register(&app, "second").await;
    let id = company(&app, &owner, "Acme").await;

    set_member(&app, &owner.token, &id, &owner.id, "admin")
        .await
        .expect_error(409, "LAST_OWNER");
    remove_member(&app, &owner.token, &id, &owner.id)
        .await
        .expect_error(409, "LAST_OWNER");

    set_member(&app, &owner.token, &id, &second.id, "owner")
        .await
        .expect(201);
    // With two owners one may leave; then the other is the last again.
    remove_member(&app, &owner.token, &id, &owner.id)
        .await
        .expect(204);
    remove_member(&app, &second.token, &id, &second.id)
        .await
        .expect_error(409, "LAST_OWNER");
    set_member(&app, &second.token, &id, &second.id, "recruiter")
        .await
        .expect_error(409, "LAST_OWNER");
    let members = call(
        &app,
        Method::GET,
        &format!("/api/v1/companies/{id}/members"),
        &second.token,
        None,
    )
    .await;
    assert_eq!(
        roles(members.data()),
        vec![(second.id.clone(), "owner".into())]
    );
    // The one who left is an outsider now.
    patch(&app, &owner.token, &id, json!({"about": "x"}))
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
}

#[tokio::test]
async fn removing_members() {
    let app = spawn().await;
    let owner = register(&app, "owner").await;
    let co_owner = register(&app, "coowner").await;
    let admin = register(&app, "admin").await;
    let rec = register(&app, "rec").await;
    let int = register(&app, "int").await;
    let stranger = register(&app, "stranger").await;
    let id = company(&app, &owner, "Acme").await;
    for (u, r) in [
        (&co_owner, "owner"),
        (&admin, "admin"),
        (&rec, "recruiter"),
        (&int, "interviewer"),
    ] {
        set_member(&app, &owner.token, &id, &u.id, r)
            .await
            .expect(201);
    }
    // Non-managers remove nobody but themselves.
    for who in [&rec, &stranger] {
        remove_member(&app, &who.token, &id, &int.id)
            .await
            .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    }
    // Admins do not remove owners.
    remove_member(&app, &admin.token, &id, &co_owner.id)
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    // Admins remove others; members leave by themselves; owners remove owners.
    remove_member(&app, &admin.token, &id, &int.id)
        .await
        .expect(204);
    remove_member(&app, &rec.token, &id, &rec.id)
        .await
        .expect(204);
    remove_member(&app, &owner.token, &id, &co_owner.id)
        .await
        .expect(204);
    // Gone is gone: 404 for a non-member, also when leaving twice.
    remove_member(&app, &admin.token, &id, &int.id)
        .await
        .expect_error(404, "NOT_FOUND");
    remove_member(&app, &rec.token, &id, &rec.id)
        .await
        .expect_error(404, "NOT_FOUND");
    remove_member(
        &app,
        &owner.token,
        &uuid::Uuid::now_v7().to_string(),
        &owner.id,
    )
    .await
    .expect_error(404, "NOT_FOUND");
    remove_member(&app, &owner.token, &id, "not-a-uuid")
        .await
        .expect_error(400, "INVALID_PATH");
    let members = call(
        &app,
        Method::GET,
        &format!("/api/v1/companies/{id}/members"),
        &owner.token,
        None,
    )
    .await;
    assert_eq!(
        roles(members.data()),
        vec![
            (owner.id.clone(), "owner".into()),
            (admin.id.clone(), "admin".into())
        ]
    );
    // A removed recruiter lost access to the member list.
    call(
        &app,
        Method::GET,
        &format!("/api/v1/companies/{id}/members"),
        &rec.token,
        None,
    )
    .await
    .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
}

#[tokio::test]
async fn only_platform_admins_verify_and_it_is_audited() {
    let app = spawn().await;
    let owner = register(&app, "owner").await;
    let id = company(&app, &owner, "Acme").await;
    let path = format!("/api/v1/admin/companies/{id}/verify");
    // Company owners are not platform admins.
    call(&app, Method::POST, &path, &owner.token, None)
        .await
        .expect_error(403, "FORBIDDEN_ROLE");
    let boss = platform_admin(&app, "boss").await;
    let res = call(&app, Method::POST, &path, &boss.token, None).await;
    res.expect(200);
    assert_eq!(res.data()["verified"], true);
    assert_eq!(
        app.get(&format!("/api/v1/companies/{id}")).await.data()["verified"],
        true
    );

    let log = call(
        &app,
        Method::GET,
        "/api/v1/admin/audit-log",
        &boss.token,
        None,
    )
    .await;
    log.expect(200);
    let entry = log
        .data()
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "company.verified")
        .expect("an audit entry for the verification")
        .clone();
    assert_eq!(entry["actor_id"], boss.id.as_str());
    assert_eq!(entry["target_type"], "company");
    assert_eq!(entry["target_id"], id.as_str());
    let details: Value = serde_json::from_str(entry["details"].as_str().unwrap()).unwrap();
    assert_eq!(details["slug"], "acme");
    assert_eq!(details["already_verified"], false);
    assert!(
        entry["ip"]
            .as_str()
            .is_some_and(|ip| ip.contains("127.0.0.1"))
    );

    // Editing the profile keeps the badge; a new name must be verified again.
    let res = patch(&app, &owner.token, &id, json!({"about": "Robots."})).await;
    assert_eq!(res.data()["verified"], true);
    let res = patch(&app, &owner.token, &id, json!({"name": "Acme Global"})).await;
    assert_eq!(res.data()["verified"], false);

    call(
        &app,
        Method::POST,
        &format!("/api/v1/admin/companies/{}/verify", uuid::Uuid::now_v7()),
        &boss.token,
        None,
    )
    .await
    .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn companies_are_in_the_openapi_document() {
    let app = spawn().await;
    let doc = app.get("/api/v1/openapi.json").await;
    doc.expect(200);
    for path in [
        "/api/v1/companies",
        "/api/v1/companies/{id}",
        "/api/v1/companies/{id}/members",
        "/api/v1/companies/{id}/members/{user_id}",
        "/api/v1/admin/companies/{id}/verify",
    ] {
        assert!(doc.body["paths"].get(path).is_some(), "{path} missing");
    }
}
