#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The company side's pages driven as a browser without JavaScript: the hiring dashboard,
//! creating and editing a company and its members, the jobs editor with its skill and question
//! rows and the stage editor, the pipeline board with its move forms and bulk reject, and the
//! candidate drawer (answers, match, timeline, notes, scorecards, reject). Effects are checked
//! through the JSON API; outsiders get 404 pages.

use crate::common;
use common::*;

use reqwest::Method;
use serde_json::{Value, json};
use vertechie_kernel::testkit::{Browser, TestApp, TestResponse};
use vertechie_server::testing::spawn;

// ---- helpers (local to this file) ----

fn email(username: &str) -> String {
    format!("{username}@example.com")
}

/// A browser signed in as `username` (registered with the common password).
async fn browser(app: &TestApp, username: &str) -> Browser {
    let b = app.browser();
    b.sign_in(&email(username), PASSWORD).await;
    b
}

fn location(res: &TestResponse) -> &str {
    res.header("location").unwrap_or("")
}

/// Asserts a 303 whose target starts with `prefix`; returns the target.
#[track_caller]
fn redirected<'a>(res: &'a TestResponse, prefix: &str) -> &'a str {
    assert_eq!(
        res.status, 303,
        "expected a redirect to {prefix}…: {}",
        res.text
    );
    let to = location(res);
    assert!(to.starts_with(prefix), "redirected to {to}, not {prefix}…");
    to
}

/// The id after `prefix` in a redirect target such as `/hiring/jobs/{id}/edit`.
fn id_after<'a>(to: &'a str, prefix: &str) -> &'a str {
    let rest = &to[prefix.len()..];
    let end = rest.find(['/', '#', '?']).unwrap_or(rest.len());
    &rest[..end]
}

/// The HTML from the element with this id to the next element with an id starting with `next`.
fn block<'a>(html: &'a str, id: &str, next: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id}"));
    let rest = &html[start + id.len()..];
    let end = rest.find(&format!("id=\"{next}")).unwrap_or(rest.len());
    &rest[..end]
}

async fn api(app: &TestApp, tok: &str, path: &str) -> Value {
    let res = call(app, Method::GET, path, tok, None).await;
    res.expect(200);
    res.data().clone()
}

#[track_caller]
fn has(res: &TestResponse, status: u16, needles: &[&str]) {
    assert_eq!(res.status, status, "unexpected status; body: {}", res.text);
    for n in needles {
        assert!(res.text.contains(n), "{n:?} not in the page: {}", res.text);
    }
}

async fn stage_names(app: &TestApp, tok: &str, job: &str) -> Vec<(String, String)> {
    api(app, tok, &format!("/api/v1/jobs/{job}/stages"))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn stage_id(stages: &[(String, String)], name: &str) -> String {
    stages
        .iter()
        .find(|(_, n)| n == name)
        .unwrap_or_else(|| panic!("no stage {name}"))
        .0
        .clone()
}

// ---- company pages ----

#[tokio::test]
async fn companies_are_created_edited_and_staffed_through_the_pages() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let rita = register(&app, "rita").await;
    register(&app, "ivan").await;
    let olga = register(&app, "olga").await;
    let b = browser(&app, "ada").await;

    // Signed out: sign in first. Signed in without a company: the empty state.
    let anon = app.browser();
    redirected(&anon.get("/hiring").await, "/signin?next=%2Fhiring");
    has(
        &b.get("/hiring").await,
        200,
        &["You are not hiring yet", "href=\"/hiring/companies/new\""],
    );
    has(
        &b.get("/hiring/companies/new").await,
        200,
        &[
            "name=\"name\"",
            "name=\"slug\"",
            "name=\"size\"",
            "name=\"logo_url\"",
        ],
    );

    // A refused create keeps what was typed and says why by the field.
    let res = b
        .post_form(
            "/hiring/companies/new",
            &[
                ("name", ""),
                ("website", "ftp://acme.example"),
                ("industry", "Robots"),
            ],
        )
        .await;
    has(
        &res,
        422,
        &[
            "id=\"e-name\">is required",
            "id=\"e-website\">must be an http(s) URL",
            "value=\"Robots\"",
        ],
    );
    let res = b
        .post_form(
            "/hiring/companies/new",
            &[
                ("name", "Acme Labs"),
                ("slug", ""),
                ("website", "https://acme.example"),
                ("size", "11-50"),
                ("industry", "Robots"),
                ("location", "Berlin"),
                ("about", "We build robots."),
                ("logo_url", ""),
            ],
        )
        .await;
    let to = redirected(&res, "/hiring/companies/").to_owned();
    let acme = id_after(&to, "/hiring/companies/").to_owned();
    let c = api(&app, &ada.token, &format!("/api/v1/companies/{acme}")).await;
    assert_eq!(
        (c["name"].as_str(), c["slug"].as_str()),
        (Some("Acme Labs"), Some("acme-labs"))
    );
    assert_eq!(c["size"], "11-50");
    let page = b.get(&to).await;
    has(
        &page,
        200,
        &[
            "Acme Labs",
            "href=\"/companies/acme-labs\"",
            "Your role: <strong>Owner</strong>",
            &format!("action=\"/hiring/companies/{acme}#profile\""),
            "Add a member",
        ],
    );
    assert!(page.text.contains("is created, and you are its owner"));

    // Edit: a bad slug is shown by the slug field and nothing is saved.
    let path = format!("/hiring/companies/{acme}");
    let edit = |slug: &'static str, about: &'static str| {
        [
            ("name", "Acme Labs"),
            ("slug", slug),
            ("website", "https://acme.example"),
            ("size", "51-200"),
            ("industry", "Robots"),
            ("location", "Berlin"),
            ("about", about),
            ("logo_url", ""),
        ]
    };
    let res = b.post_form(&path, &edit("Bad Slug!", "Changed")).await;
    has(
        &res,
        422,
        &[
            "id=\"e-slug\">may contain only lower-case letters, digits and hyphens",
            "value=\"Bad Slug!\"",
        ],
    );
    let c = api(&app, &ada.token, &format!("/api/v1/companies/{acme}")).await;
    assert_eq!(
        (c["slug"].as_str(), c["size"].as_str()),
        (Some("acme-labs"), Some("11-50"))
    );
    redirected(
        &b.post_form(&path, &edit("acme", "We build kind robots."))
            .await,
        &path,
    );
    let c = api(&app, &ada.token, &format!("/api/v1/companies/{acme}")).await;
    assert_eq!(c["slug"], "acme");
    assert_eq!(c["about"], "We build kind robots.");
    assert_eq!(c["size"], "51-200");

    // Members: by username (with or without @) and by email; unknown people are named.
    let members = format!("{path}/members");
    redirected(
        &b.post_form(&members, &[("who", "@rita"), ("role", "recruiter")])
            .await,
        &path,
    );
    redirected(
        &b.post_form(
            &members,
            &[("who", "IVAN@example.com"), ("role", "interviewer")],
        )
        .await,
        &path,
    );
    has(
        &b.post_form(&members, &[("who", "nobody"), ("role", "admin")])
            .await,
        422,
        &[
            "Nobody has this username or email address",
            "value=\"nobody\"",
        ],
    );
    has(
        &b.post_form(&members, &[("who", "rita"), ("role", "boss")])
            .await,
        422,
        &["must be one of owner, admin, recruiter, interviewer"],
    );
    let list = api(
        &app,
        &ada.token,
        &format!("/api/v1/companies/{acme}/members"),
    )
    .await;
    let roles: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["username"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            ("ada", "owner"),
            ("rita", "recruiter"),
            ("ivan", "interviewer")
        ]
    );

    // The last owner can neither leave nor step down; the page says why.
    let res = b
        .post_form(&format!("{members}/{}/remove", ada.id), &[])
        .await;
    has(
        &res,
        409,
        &["A company needs an owner: make someone else owner first"],
    );
    let res = b
        .post_form(&format!("{members}/{}", ada.id), &[("role", "admin")])
        .await;
    has(
        &res,
        409,
        &["A company needs an owner: make someone else owner first"],
    );

    // Change a role, then the recruiter sees a read-only company page.
    redirected(
        &b.post_form(&format!("{members}/{}", rita.id), &[("role", "admin")])
            .await,
        &path,
    );
    let list = api(
        &app,
        &ada.token,
        &format!("/api/v1/companies/{acme}/members"),
    )
    .await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|m| m["username"] == "rita" && m["role"] == "admin")
    );
    redirected(
        &b.post_form(&format!("{members}/{}", rita.id), &[("role", "recruiter")])
            .await,
        &path,
    );
    let rb = browser(&app, "rita").await;
    let page = rb.get(&path).await;
    has(
        &page,
        200,
        &[
            "Only owners and admins change the company profile",
            "Your role: <strong>Recruiter</strong>",
            "ada Person",
        ],
    );
    assert!(
        !page
            .text
            .contains(&format!("action=\"/hiring/companies/{acme}#profile\""))
    );
    assert!(!page.text.contains("Add a member"));
    assert!(!page.text.contains(&format!("{members}/{}/remove", ada.id)));
    // …and is refused when posting anyway (the service decides).
    let res = rb.post_form(&path, &edit("rita-was-here", "x")).await;
    has(
        &res,
        403,
        &["This needs one of these roles in the company: owner, admin"],
    );
    // The dashboard lists the company with the role.
    has(
        &rb.get("/hiring").await,
        200,
        &[
            "Acme Labs",
            "Your role: <strong>Recruiter</strong>",
            &format!("/hiring/companies/{acme}/jobs/new"),
        ],
    );

    // Outsiders: the company's private page does not exist for them.
    let ob = browser(&app, "olga").await;
    has(&ob.get(&path).await, 404, &["Page not found"]);
    has(
        &ob.post_form(&path, &edit("olga", "x")).await,
        404,
        &["Page not found"],
    );
    has(
        &ob.post_form(&members, &[("who", "olga"), ("role", "owner")])
            .await,
        404,
        &["Page not found"],
    );
    let _ = olga;

    // Remove a member; forms without the CSRF token are refused.
    redirected(
        &b.post_form(&format!("{members}/{}/remove", rita.id), &[])
            .await,
        &path,
    );
    let list = api(
        &app,
        &ada.token,
        &format!("/api/v1/companies/{acme}/members"),
    )
    .await;
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["username"] == "rita")
    );
    let res = b.post_form_without_csrf(&path, &edit("nocsrf", "x")).await;
    assert_eq!(res.status, 403, "{}", res.text);
    assert_eq!(
        api(&app, &ada.token, &format!("/api/v1/companies/{acme}")).await["slug"],
        "acme"
    );
}

// ---- jobs editor and stages ----

/// Salaries are typed in the currency's own units (`kernel::money`): yen have no minor unit,
/// so 500000 typed is 500000 stored, and it is shown back without decimals.
#[tokio::test]
async fn a_yen_salary_is_stored_in_yen_and_shown_without_decimals() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let acme = company(&app, &ada, "Acme").await;
    let b = browser(&app, "ada").await;
    let new = format!("/hiring/companies/{acme}/jobs/new");
    let mut form: Vec<(&str, &str)> = vec![
        ("title", "Tokyo Backend Engineer"),
        ("description", "We build things in Tokyo."),
        ("location", "Tokyo"),
        ("remote", "onsite"),
        ("employment_type", "full_time"),
        ("experience_level", "mid"),
        ("salary_min", "500000"),
        ("salary_max", "7,500,000"),
        ("currency", "JPY"),
        ("status", "open"),
    ];
    let res = b.post_form(&new, &form).await;
    let to = redirected(&res, "/hiring/jobs/").to_owned();
    let job = id_after(&to, "/hiring/jobs/").to_owned();
    let j = api(&app, &ada.token, &format!("/api/v1/jobs/{job}")).await;
    assert_eq!(
        (
            j["salary_min"].as_i64(),
            j["salary_max"].as_i64(),
            j["currency"].as_str()
        ),
        (Some(500_000), Some(7_500_000), Some("JPY"))
    );
    let page = b.get(&format!("/jobs/{job}")).await;
    has(&page, 200, &["¥500,000 – ¥7,500,000"]);
    assert!(!page.text.contains("¥5,000 "), "{}", page.text);
    assert!(!page.text.contains("500,000.00"));
    has(
        &b.get(&format!("/hiring/jobs/{job}/edit")).await,
        200,
        &["value=\"500000\"", "value=\"7500000\""],
    );
    // A fraction of a yen is refused on the form, and nothing more is created.
    form.retain(|(k, _)| *k != "salary_min");
    form.push(("salary_min", "500000.5"));
    has(
        &b.post_form(&new, &form).await,
        422,
        &["id=\"e-salary_min\">must be a whole amount in this currency"],
    );
    assert_eq!(
        api(&app, &ada.token, &format!("/api/v1/jobs?company={acme}")).await["pagination"]["total"],
        1
    );
}

#[tokio::test]
async fn the_jobs_editor_handles_rows_errors_and_stages() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let ivan = register(&app, "ivan").await;
    let olga = register(&app, "olga").await;
    let acme = company(&app, &ada, "Acme").await;
    add_member(&app, &ada, &acme, &ivan, "interviewer").await;
    company(&app, &olga, "Other").await;
    let b = browser(&app, "ada").await;
    let new = format!("/hiring/companies/{acme}/jobs/new");

    let page = b.get(&new).await;
    has(
        &page,
        200,
        &[
            "name=\"skills[2][name]\"",
            "name=\"questions[1][text]\"",
            "name=\"salary_min\"",
            "name=\"closes_at\"",
        ],
    );
    assert!(!page.text.contains("name=\"skills[3][name]\""));

    let base: Vec<(&str, &str)> = vec![
        ("title", "Backend Engineer"),
        ("description", "## About\n\nWe build *things*."),
        ("requirements", "Three years of Rust"),
        ("location", "Berlin"),
        ("remote", "hybrid"),
        ("employment_type", "full_time"),
        ("experience_level", "mid"),
        ("salary_min", "60,000"),
        ("salary_max", "80000.50"),
        ("currency", "EUR"),
        ("status", "open"),
        ("closes_at", "2099-12-31"),
        ("stuck_after_days", "10"),
        ("skills[0][name]", "Rust"),
        ("skills[0][weight]", "5"),
        ("skills[0][required]", "on"),
        ("skills[1][name]", ""),
        ("skills[1][weight]", ""),
        ("questions[0][id]", ""),
        ("questions[0][text]", "Do you need a visa?"),
        ("questions[0][kind]", "yes_no"),
        ("questions[0][options]", ""),
        ("questions[0][knockout]", "yes"),
        ("questions[0][required]", "on"),
        ("questions[1][id]", ""),
        ("questions[1][text]", ""),
        ("questions[1][kind]", "text"),
        ("questions[1][options]", ""),
        ("questions[1][knockout]", ""),
    ];
    // A bad weight in the third row (the second skill the service sees) is shown by that row;
    // a single-choice question with one option likewise.
    let mut bad = base.clone();
    bad.extend([
        ("skills[2][name]", "PostgreSQL"),
        ("skills[2][weight]", "9"),
        ("questions[2][text]", "Preferred shift"),
        ("questions[2][kind]", "single_choice"),
        ("questions[2][options]", "early"),
        ("questions[2][knockout]", ""),
    ]);
    let res = b.post_form(&new, &bad).await;
    has(&res, 422, &["Some skills or questions need attention"]);
    let row2 = block(&res.text, "skill-row-2", "skill-row-");
    assert!(row2.contains("must be 1–5"), "{row2}");
    assert!(row2.contains("value=\"PostgreSQL\""), "{row2}");
    assert!(!block(&res.text, "skill-row-0", "skill-row-").contains("field-error"));
    let q2 = block(&res.text, "question-row-2", "question-row-");
    assert!(q2.contains("needs at least 2 choices"), "{q2}");
    // Nothing was created.
    assert_eq!(
        api(&app, &ada.token, &format!("/api/v1/jobs?company={acme}")).await["pagination"]["total"],
        0
    );
    // A salary that is not an amount is caught by the page.
    let mut bad = base.clone();
    bad.retain(|(k, _)| *k != "salary_min");
    bad.push(("salary_min", "lots"));
    has(
        &b.post_form(&new, &bad).await,
        422,
        &["id=\"e-salary_min\">must be an amount"],
    );

    // Two skills and two questions.
    let mut good = base.clone();
    good.extend([
        ("skills[2][name]", "PostgreSQL"),
        ("skills[2][weight]", "3"),
        ("questions[2][text]", "Preferred shift"),
        ("questions[2][kind]", "single_choice"),
        ("questions[2][options]", "early\r\nlate\r\n"),
        ("questions[2][knockout]", "late"),
    ]);
    let res = b.post_form(&new, &good).await;
    let to = redirected(&res, "/hiring/jobs/").to_owned();
    let job = id_after(&to, "/hiring/jobs/").to_owned();
    assert_eq!(to, format!("/hiring/jobs/{job}/edit"));
    let j = api(&app, &ada.token, &format!("/api/v1/jobs/{job}")).await;
    assert_eq!(j["title"], "Backend Engineer");
    assert_eq!(
        j["skills"],
        json!([{"name": "Rust", "weight": 5, "required": true}, {"name": "PostgreSQL", "weight": 3, "required": false}])
    );
    assert_eq!(
        (j["salary_min"].as_i64(), j["salary_max"].as_i64()),
        (Some(6_000_000), Some(8_000_050))
    );
    assert_eq!(
        (j["currency"].as_str(), j["status"].as_str()),
        (Some("EUR"), Some("open"))
    );
    assert_eq!(j["stuck_after_days"], 10);
    assert!(
        j["closes_at"]
            .as_str()
            .unwrap()
            .starts_with("2099-12-31T23:59:59")
    );
    let qs = j["screening_questions"].as_array().unwrap();
    assert_eq!(qs.len(), 2);
    assert_eq!(
        (qs[0]["kind"].as_str(), &qs[0]["knockout_answer"]),
        (Some("yes_no"), &json!(true))
    );
    assert_eq!(qs[1]["options"], json!(["early", "late"]));
    assert_eq!(qs[1]["knockout_answer"], "late");
    let (q0, q1) = (
        qs[0]["id"].as_str().unwrap().to_owned(),
        qs[1]["id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(q0, "do_you_need_a_visa");

    // The edit page shows it all, in major units, with blank rows after the filled ones.
    let edit = format!("/hiring/jobs/{job}/edit");
    let page = b.get(&edit).await;
    has(
        &page,
        200,
        &[
            "value=\"Backend Engineer\"",
            "value=\"60000\"",
            "value=\"80000.50\"",
            "value=\"2099-12-31\"",
            "value=\"PostgreSQL\"",
            "name=\"skills[4][name]\"",
            &format!("value=\"{q0}\""),
            "early\nlate</textarea>",
            "value=\"late\"",
            "id=\"stages\"",
            "Close this job",
        ],
    );
    assert!(!page.text.contains("name=\"skills[5][name]\""));

    // Edit: new title, PostgreSQL removed (its row left empty), Docker added; questions kept.
    let fields: Vec<(&str, &str)> = vec![
        ("title", "Senior Backend Engineer"),
        ("description", "## About\n\nWe build *things*."),
        ("requirements", ""),
        ("location", "Berlin"),
        ("remote", "remote"),
        ("employment_type", "full_time"),
        ("experience_level", "senior"),
        ("salary_min", "60000"),
        ("salary_max", "90000"),
        ("currency", "EUR"),
        ("status", "open"),
        ("closes_at", "2099-12-31"),
        ("stuck_after_days", ""),
        ("skills[0][name]", "Rust"),
        ("skills[0][weight]", "4"),
        ("skills[0][required]", "on"),
        ("skills[1][name]", ""),
        ("skills[1][weight]", "3"),
        ("skills[2][name]", "Docker"),
        ("skills[2][weight]", "2"),
        ("questions[0][id]", &q0),
        ("questions[0][text]", "Do you need a visa?"),
        ("questions[0][kind]", "yes_no"),
        ("questions[0][options]", ""),
        ("questions[0][knockout]", "yes"),
        ("questions[0][required]", "on"),
        ("questions[1][id]", &q1),
        ("questions[1][text]", "Preferred shift"),
        ("questions[1][kind]", "single_choice"),
        ("questions[1][options]", "early\nlate"),
        ("questions[1][knockout]", "late"),
    ];
    redirected(&b.post_form(&edit, &fields).await, &edit);
    let j = api(&app, &ada.token, &format!("/api/v1/jobs/{job}")).await;
    assert_eq!(j["title"], "Senior Backend Engineer");
    assert_eq!(j["requirements"], Value::Null);
    assert_eq!(
        j["skills"],
        json!([{"name": "Rust", "weight": 4, "required": true}, {"name": "Docker", "weight": 2, "required": false}])
    );
    assert_eq!(j["stuck_after_days"], 7);
    let ids: Vec<&str> = j["screening_questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [q0.as_str(), q1.as_str()]);
    // A refused edit keeps the typed rows and saves nothing.
    let mut bad: Vec<(&str, &str)> = fields.clone();
    bad.retain(|(k, _)| *k != "skills[2][weight]");
    bad.push(("skills[2][weight]", "0"));
    let res = b.post_form(&edit, &bad).await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(block(&res.text, "skill-row-2", "skill-row-").contains("must be 1–5"));
    assert_eq!(
        api(&app, &ada.token, &format!("/api/v1/jobs/{job}")).await["skills"][1]["weight"],
        2
    );

    // Stages: add, rename, move up, refuse a duplicate, delete.
    let stages = format!("/hiring/jobs/{job}/stages");
    redirected(&b.post_form(&stages, &[("name", "Tech test")]).await, &edit);
    let st = stage_names(&app, &ada.token, &job).await;
    let screening = stage_id(&st, "screening");
    let tech = stage_id(&st, "Tech test");
    redirected(
        &b.post_form(
            &format!("{stages}/{screening}"),
            &[("name", "Phone screen")],
        )
        .await,
        &edit,
    );
    redirected(
        &b.post_form(&format!("{stages}/{tech}/move"), &[("position", "4")])
            .await,
        &edit,
    );
    redirected(
        &b.post_form(&format!("{stages}/{tech}/move"), &[("position", "3")])
            .await,
        &edit,
    );
    let names: Vec<String> = stage_names(&app, &ada.token, &job)
        .await
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(
        names,
        [
            "applied",
            "Phone screen",
            "interview",
            "Tech test",
            "offer",
            "hired"
        ]
    );
    let res = b.post_form(&stages, &[("name", "tech TEST")]).await;
    has(
        &res,
        409,
        &[
            "The job already has a stage with this name",
            "id=\"new-stage-error\"",
            "value=\"tech TEST\"",
        ],
    );
    let res = b
        .post_form(&format!("{stages}/{screening}"), &[("name", "")])
        .await;
    assert_eq!(res.status, 422);
    assert!(block(&res.text, &format!("stage-{screening}"), "stage-").contains("Name is required"));
    let offer = stage_id(&stage_names(&app, &ada.token, &job).await, "offer");
    redirected(
        &b.post_form(&format!("{stages}/{offer}/delete"), &[]).await,
        &edit,
    );
    let page = b.get(&edit).await;
    has(
        &page,
        200,
        &["value=\"Phone screen\"", "value=\"Tech test\""],
    );
    assert!(!page.text.contains("value=\"offer\""));

    // Interviewers may not edit; outsiders do not see the editor at all.
    let ib = browser(&app, "ivan").await;
    has(&ib.get(&edit).await, 403, &["owner, admin, recruiter"]);
    has(&ib.get(&new).await, 403, &["owner, admin, recruiter"]);
    let ob = browser(&app, "olga").await;
    has(&ob.get(&edit).await, 404, &["Page not found"]);
    has(&ob.get(&new).await, 404, &["Page not found"]);
    has(
        &ob.post_form(&edit, &fields).await,
        404,
        &["Page not found"],
    );

    // A draft is deleted; a published job is closed, and the page says which happened.
    let draft = create_job(
        &app,
        &ada.token,
        with(common::job(&acme), json!({"status": "draft"})),
    )
    .await;
    let res = b
        .post_form(&format!("/hiring/jobs/{draft}/delete"), &[])
        .await;
    redirected(&res, "/hiring");
    assert!(res.header("set-cookie").unwrap_or("").contains("deleted"));
    call(
        &app,
        Method::GET,
        &format!("/api/v1/jobs/{draft}"),
        &ada.token,
        None,
    )
    .await
    .expect(404);
    let res = b
        .post_form(&format!("/hiring/jobs/{job}/delete"), &[])
        .await;
    redirected(&res, &edit);
    has(
        &b.get(&edit).await,
        200,
        &["is closed rather than deleted", "This job is closed"],
    );
    assert_eq!(
        api(&app, &ada.token, &format!("/api/v1/jobs/{job}")).await["status"],
        "closed"
    );
}

// ---- pipeline board and candidate drawer ----

struct Pipeline {
    app: TestApp,
    ada: User,
    job: String,
    acme: String,
    /// cora, dan, eve
    apps: Vec<String>,
}

async fn pipeline() -> Pipeline {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let ivan = register(&app, "ivan").await;
    let olga = register(&app, "olga").await;
    let acme = company(&app, &ada, "Acme").await;
    add_member(&app, &ada, &acme, &ivan, "interviewer").await;
    company(&app, &olga, "Other").await;
    let job = create_job(&app, &ada.token, job(&acme)).await;
    let mut apps = Vec::new();
    for who in ["cora", "dan", "eve"] {
        let u = register(&app, who).await;
        call(
            &app,
            Method::POST,
            "/api/v1/users/me/skills",
            &u.token,
            Some(json!({"name": "Rust", "level": 4})),
        )
        .await
        .expect(201);
        let res = call(
            &app,
            Method::POST,
            &format!("/api/v1/jobs/{job}/apply"),
            &u.token,
            Some(json!({"answers": {"visa": false, "years": 4, "shift": "early", "why": "I love Rust"},
                        "cover_letter": format!("Dear Acme, I am {who}.")})),
        )
        .await;
        res.expect(201);
        apps.push(res.data()["id"].as_str().unwrap().to_owned());
    }
    Pipeline {
        app,
        ada,
        job,
        acme,
        apps,
    }
}

#[tokio::test]
async fn the_board_moves_cards_without_javascript() {
    let p = pipeline().await;
    let app = &p.app;
    let b = browser(app, "ada").await;
    let board = format!("/hiring/jobs/{}/pipeline", p.job);
    let cora = &p.apps[0];
    let score =
        api(app, &p.ada.token, &format!("/api/v1/applications/{cora}")).await["match"]["score"]
            .as_i64()
            .unwrap();

    let page = b.get(&board).await;
    has(
        &page,
        200,
        &[
            "js/kanban",
            "css/hiring",
            "data-kanban",
            "id=\"kanban-status\"",
            "cora Person",
            &format!("Match {score}"),
            &format!("action=\"/hiring/applications/{cora}/move\""),
            &format!("href=\"/hiring/applications/{cora}\""),
            "Rejected (0)",
        ],
    );
    // Columns in stage order; every card starts in the first.
    let order: Vec<usize> = ["applied", "screening", "interview", "offer", "hired"]
        .iter()
        .map(|s| page.text.find(&format!("data-stage-name=\"{s}\"")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    let st = stage_names(app, &p.ada.token, &p.job).await;
    let applied = block(
        &page.text,
        &format!("col-{}", stage_id(&st, "applied")),
        "col-",
    );
    assert!(applied.contains("cora Person") && applied.contains("eve Person"));
    has(
        &b.get(&format!("{board}?sort=match")).await,
        200,
        &["aria-current=\"page\">Best match"],
    );

    // The move form: back to the board with a flash, the API agrees.
    let interview = stage_id(&st, "interview");
    let res = b
        .post_form(
            &format!("/hiring/applications/{cora}/move"),
            &[("stage_id", interview.as_str()), ("back", board.as_str())],
        )
        .await;
    redirected(&res, &board);
    let a = api(app, &p.ada.token, &format!("/api/v1/applications/{cora}")).await;
    assert_eq!(a["stage"]["name"], "interview");
    let page = b.get(&board).await;
    has(&page, 200, &["cora Person moved to interview."]);
    let col = block(&page.text, &format!("col-{interview}"), "col-");
    assert!(col.contains("cora Person"), "{col}");

    // kanban.js posts the same form asking for JSON: the new stage, or the error as JSON.
    let csrf = b.cookie("vt_csrf").unwrap();
    let screening = stage_id(&st, "screening");
    let res = b
        .client
        .post(app.url(&format!("/hiring/applications/{}/move", p.apps[1])))
        .header("accept", "application/json")
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("stage_id", screening.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["stage"]["name"], "screening");
    let res = b
        .client
        .post(app.url(&format!("/hiring/applications/{}/move", p.apps[1])))
        .header("accept", "application/json")
        .form(&[("csrf_token", csrf.as_str()), ("stage_id", p.job.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["details"][0]["field"], "stage_id");
    let res = b
        .client
        .post(app.url(&format!("/hiring/applications/{}/move", p.apps[1])))
        .header("accept", "application/json")
        .form(&[("stage_id", interview.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "no CSRF token, no move");
    assert_eq!(
        api(
            app,
            &p.ada.token,
            &format!("/api/v1/applications/{}", p.apps[1])
        )
        .await["stage"]["name"],
        "screening"
    );
    // Without JS a refused move comes back to the board with the reason.
    let res = b
        .post_form(
            &format!("/hiring/applications/{}/move", p.apps[1]),
            &[("stage_id", ""), ("back", board.as_str())],
        )
        .await;
    redirected(&res, &board);
    has(&b.get(&board).await, 200, &["Stage id: is required"]);

    // Interviewers read the board but get no move forms or checkboxes.
    let ib = browser(app, "ivan").await;
    let page = ib.get(&board).await;
    has(&page, 200, &["cora Person"]);
    assert!(!page.text.contains("data-move-form"));
    assert!(!page.text.contains("name=\"application_ids\""));

    // Outsiders: 404 for the board, the drawer and the company page; the candidate too.
    let ob = browser(app, "olga").await;
    has(&ob.get(&board).await, 404, &["Page not found"]);
    has(
        &ob.get(&format!("/hiring/applications/{cora}")).await,
        404,
        &["Page not found"],
    );
    has(
        &ob.get(&format!("/hiring/companies/{}", p.acme)).await,
        404,
        &["Page not found"],
    );
    has(
        &ob.post_form(
            &format!("/hiring/applications/{cora}/move"),
            &[("stage_id", screening.as_str())],
        )
        .await,
        404,
        &["Page not found"],
    );
    let cb = browser(app, "cora").await;
    has(
        &cb.get(&format!("/hiring/applications/{cora}")).await,
        404,
        &["Page not found"],
    );
    has(&cb.get(&board).await, 404, &["Page not found"]);

    // The dashboard lists the job with its counts, and later the applications left waiting.
    let dash = b.get("/hiring").await;
    has(
        &dash,
        200,
        &[
            "Backend Engineer",
            "3 active applications",
            &format!("href=\"/hiring/jobs/{}/pipeline\"", p.job),
            &format!("href=\"/hiring/jobs/{}/edit\"", p.job),
        ],
    );
    assert!(!dash.text.contains("stuck for more than"));
    app.advance(chrono::Duration::days(8));
    has(
        &b.get("/hiring").await,
        200,
        &[
            "3 stuck for more than 7 days in a stage",
            &format!("href=\"/hiring/applications/{cora}\">cora Person</a>"),
            "8 days in interview",
        ],
    );
}

#[tokio::test]
async fn the_drawer_shows_the_candidate_and_takes_notes_scorecards_and_rejections() {
    let p = pipeline().await;
    let app = &p.app;
    let b = browser(app, "ada").await;
    let (cora, dan, eve) = (&p.apps[0], &p.apps[1], &p.apps[2]);
    let drawer = format!("/hiring/applications/{cora}");
    let a = api(app, &p.ada.token, &drawer.replace("/hiring/", "/api/v1/")).await;
    let score = a["match"]["score"].as_i64().unwrap();

    let page = b.get(&drawer).await;
    has(
        &page,
        200,
        &[
            "<h1 class=\"word-break\">cora Person</h1>",
            "href=\"/u/cora\"",
            "Rust <span class=\"muted\">4/5</span>",
            "Do you need a visa?</dt>",
            "Preferred shift</dt>",
            "I love Rust",
            &format!("<strong>{score}</strong>"),
            "(from the profile)",
            "Experience level:",
            "Dear Acme, I am cora.",
            "Applied (entered applied)",
            "No notes yet.",
            "No scorecards yet.",
            &format!("action=\"{drawer}/reject#actions\""),
        ],
    );
    let answers = block(&page.text, "answers", "letter");
    assert!(
        answers.contains("<dd class=\"word-break prose\">No</dd>"),
        "{answers}"
    );
    assert!(answers.contains("early"), "{answers}");

    // Notes: refused when empty, added otherwise.
    let res = b
        .post_form(&format!("{drawer}/notes"), &[("body", "  ")])
        .await;
    has(&res, 422, &["id=\"e-body\">is required"]);
    redirected(
        &b.post_form(
            &format!("{drawer}/notes"),
            &[("body", "Strong Rust background")],
        )
        .await,
        &drawer,
    );
    let notes = api(
        app,
        &p.ada.token,
        &format!("/api/v1/applications/{cora}/notes"),
    )
    .await;
    assert_eq!(notes[0]["body"], "Strong Rust background");
    has(
        &b.get(&drawer).await,
        200,
        &["Strong Rust background", "Added a note"],
    );

    // Scorecards: a bad rating by its row, then a good one.
    let card = format!("{drawer}/scorecards");
    let res = b
        .post_form(
            &card,
            &[
                ("criteria[0][name]", "Technical skills"),
                ("criteria[0][rating]", "9"),
                ("criteria[1][name]", "Communication"),
                ("criteria[1][rating]", "3"),
                ("recommendation", "yes"),
            ],
        )
        .await;
    has(
        &res,
        422,
        &["id=\"criterion-0-error\">must be an integer from 1 to 4"],
    );
    let res = b.post_form(&card, &[("recommendation", "")]).await;
    has(
        &res,
        422,
        &[
            "needs at least one criterion",
            "id=\"e-recommendation\">is required",
        ],
    );
    redirected(
        &b.post_form(
            &card,
            &[
                ("criteria[0][name]", "Technical skills"),
                ("criteria[0][rating]", "4"),
                ("criteria[1][name]", "Communication"),
                ("criteria[1][rating]", "3"),
                ("criteria[2][name]", "Problem solving"),
                ("criteria[2][rating]", ""),
                ("recommendation", "strong_yes"),
                ("notes", "Hire"),
            ],
        )
        .await,
        &drawer,
    );
    let cards = api(
        app,
        &p.ada.token,
        &format!("/api/v1/applications/{cora}/scorecards"),
    )
    .await;
    assert_eq!(
        cards["items"][0]["ratings"],
        json!({"Technical skills": 4, "Communication": 3})
    );
    assert_eq!(cards["items"][0]["recommendation"], "strong_yes");
    let page = b.get(&drawer).await;
    has(&page, 200, &["Strong yes", "Technical skills: 4/4"]);
    assert!(
        !page.text.contains(&format!("action=\"{card}#scorecards\"")),
        "one scorecard each"
    );
    // The interviewer sees the others' only after submitting their own.
    let ib = browser(app, "ivan").await;
    let page = ib.get(&drawer).await;
    has(
        &page,
        200,
        &[
            "1 scorecard is hidden until you submit yours",
            &format!("action=\"{card}#scorecards\""),
        ],
    );
    assert!(!page.text.contains("Technical skills: 4/4"));
    assert!(
        !page
            .text
            .contains(&format!("action=\"{drawer}/reject#actions\""))
    );

    // Reject one with a reason from the drawer.
    let dan_drawer = format!("/hiring/applications/{dan}");
    has(
        &b.post_form(
            &format!("{dan_drawer}/reject"),
            &[("reason", ""), ("note", "Keep for later")],
        )
        .await,
        422,
        &["id=\"e-reason\">is required", "Keep for later"],
    );
    redirected(
        &b.post_form(
            &format!("{dan_drawer}/reject"),
            &[("reason", "experience"), ("note", "Too junior")],
        )
        .await,
        &dan_drawer,
    );
    let a = api(app, &p.ada.token, &format!("/api/v1/applications/{dan}")).await;
    assert_eq!(
        (a["status"].as_str(), a["reject_reason"].as_str()),
        (Some("rejected"), Some("experience"))
    );
    has(
        &b.get(&dan_drawer).await,
        200,
        &[
            "Reason: <strong>Experience</strong>",
            "Too junior",
            "Rejected: Experience",
        ],
    );

    // Bulk reject from the board: a missing reason keeps the choice; then both go.
    let board = format!("/hiring/jobs/{}/pipeline", p.job);
    let bulk = format!("/hiring/jobs/{}/bulk-reject", p.job);
    let res = b
        .post_form(
            &bulk,
            &[
                ("application_ids", cora.as_str()),
                ("application_ids", eve.as_str()),
                ("reason", ""),
            ],
        )
        .await;
    has(&res, 422, &["id=\"e-reason\">is required"]);
    assert!(
        res.text
            .contains(&format!("value=\"{cora}\" id=\"pick-{cora}\" checked"))
    );
    has(
        &b.post_form(&bulk, &[("reason", "skills")]).await,
        422,
        &["needs at least one application"],
    );
    let res = b
        .post_form(
            &bulk,
            &[
                ("application_ids", cora.as_str()),
                ("application_ids", eve.as_str()),
                ("reason", "position_filled"),
                ("note", "Filled"),
            ],
        )
        .await;
    redirected(&res, &board);
    for id in [cora, eve] {
        let a = api(app, &p.ada.token, &format!("/api/v1/applications/{id}")).await;
        assert_eq!(
            (a["status"].as_str(), a["reject_reason"].as_str()),
            (Some("rejected"), Some("position_filled"))
        );
    }
    let page = b.get(&board).await;
    has(&page, 200, &["2 applications are rejected", "Rejected (3)"]);
    assert!(!page.text.contains(&format!("id=\"pick-{cora}\"")));
    // Posting the same again skips them, and says so.
    let res = b
        .post_form(
            &bulk,
            &[("application_ids", cora.as_str()), ("reason", "skills")],
        )
        .await;
    redirected(&res, &board);
    has(&b.get(&board).await, 200, &["already closed"]);
    // CSRF is checked here too.
    let res = b
        .post_form_without_csrf(
            &bulk,
            &[("application_ids", cora.as_str()), ("reason", "skills")],
        )
        .await;
    assert_eq!(res.status, 403);
}
