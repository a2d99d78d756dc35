#![allow(clippy::unwrap_used, clippy::expect_used)]
//! HTTP tests for jobs: posting and its validation, the authorisation matrix, full-text search
//! with every filter and sort, saved jobs, the match for a signed-in reader, and freshness (the
//! `stale` flag and the queued auto-close, driven by the test clock).

use std::time::Duration;

use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use vertechie_kernel::testkit::TestApp;
use vertechie_server::testing::spawn;

use crate::common;
use common::*;

async fn search(app: &TestApp, query: &str) -> Value {
    let res = app.get(&format!("/api/v1/jobs?{query}")).await;
    res.expect(200);
    res.data().clone()
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn create_and_read_a_job() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let acme = company(&app, &ada, "Acme").await;
    let res = post_job(&app, &ada.token, job(&acme)).await;
    res.expect(201);
    let d = res.data();
    assert_eq!(d["title"], "Backend Engineer");
    assert_eq!(
        d["description"], "## About\n\n  We build *things*.\n",
        "markdown stored as given"
    );
    assert_eq!(d["company"]["name"], "Acme");
    assert_eq!(d["company"]["slug"], "acme");
    assert_eq!(d["company"]["verified"], false);
    assert_eq!(d["status"], "open");
    assert_eq!(d["stale"], false);
    assert!(d["response_rate"].is_null());
    assert!(d["published_at"].is_string());
    assert_eq!(
        d["skills"][0],
        json!({"name": "Rust", "weight": 5, "required": true})
    );
    assert_eq!(d["skills"][1]["required"], false);
    assert_eq!(d["screening_questions"][0]["knockout_answer"], true);
    assert_eq!(d["screening_questions"][3]["required"], false);
    let id = d["id"].as_str().unwrap().to_owned();

    // Anonymous readers see the job without knockout answers and without a match.
    let res = app.get(&format!("/api/v1/jobs/{id}")).await;
    res.expect(200);
    assert_eq!(res.data()["company"]["id"], acme.as_str());
    assert!(
        res.data()["screening_questions"][0]
            .get("knockout_answer")
            .is_none()
    );
    assert!(res.data().get("match").is_none());
    // The owner sees them.
    let res = call(
        &app,
        Method::GET,
        &format!("/api/v1/jobs/{id}"),
        &ada.token,
        None,
    )
    .await;
    assert_eq!(
        res.data()["screening_questions"][2]["knockout_answer"],
        "late"
    );

    // Default status is draft, not published.
    let mut body = job(&acme);
    body.as_object_mut().unwrap().remove("status");
    let res = post_job(&app, &ada.token, body).await;
    res.expect(201);
    assert_eq!(res.data()["status"], "draft");
    assert!(res.data()["published_at"].is_null());

    // Unknown job, bad id.
    app.get(&format!("/api/v1/jobs/{}", uuid_like()))
        .await
        .expect(404);
    app.get("/api/v1/jobs/not-a-uuid").await.expect(400);
}

fn uuid_like() -> &'static str {
    "01900000-0000-7000-8000-000000000000"
}

#[tokio::test]
async fn every_validation_rule() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let acme = company(&app, &ada, "Acme").await;
    let q = |v: Value| json!([v]);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"title": null}), "title"),
        (json!({"title": "   "}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({"description": null}), "description"),
        (json!({"description": "x".repeat(20_001)}), "description"),
        (json!({"requirements": "x".repeat(10_001)}), "requirements"),
        (json!({"location": "x".repeat(121)}), "location"),
        (json!({"remote": null}), "remote"),
        (json!({"remote": "mars"}), "remote"),
        (json!({"employment_type": null}), "employment_type"),
        (json!({"employment_type": "gig"}), "employment_type"),
        (json!({"experience_level": "guru"}), "experience_level"),
        (json!({"status": "archived"}), "status"),
        (json!({"salary_min": -1}), "salary_min"),
        (json!({"salary_max": -1, "salary_min": null}), "salary_max"),
        (json!({"salary_min": 9_000_000}), "salary_max"),
        (json!({"currency": null}), "currency"),
        (json!({"currency": "eur"}), "currency"),
        (json!({"currency": "EURO"}), "currency"),
        (json!({"closes_at": "2000-01-01T00:00:00Z"}), "closes_at"),
        (
            json!({"skills": [{"name": "Rust", "weight": 0}]}),
            "skills[0].weight",
        ),
        (
            json!({"skills": [{"name": "Rust", "weight": 6}]}),
            "skills[0].weight",
        ),
        (json!({"skills": [{"weight": 3}]}), "skills[0].name"),
        (
            json!({"skills": [{"name": "x".repeat(61)}]}),
            "skills[0].name",
        ),
        (
            json!({"skills": [{"name": "JS"}, {"name": "JavaScript"}]}),
            "skills[1].name",
        ),
        (
            json!({"skills": (0..51).map(|i| json!({"name": format!("s{i}")})).collect::<Vec<_>>()}),
            "skills",
        ),
        (
            json!({"screening_questions": q(json!({"id": "a b", "text": "Q", "kind": "text"}))}),
            "screening_questions[0].id",
        ),
        (
            json!({"screening_questions": q(json!({"text": "Q", "kind": "text"}))}),
            "screening_questions[0].id",
        ),
        (
            json!({"screening_questions": [{"id": "a", "text": "Q", "kind": "text"}, {"id": "a", "text": "R", "kind": "text"}]}),
            "screening_questions[1].id",
        ),
        (
            json!({"screening_questions": q(json!({"id": "a", "kind": "text"}))}),
            "screening_questions[0].text",
        ),
        (
            json!({"screening_questions": q(json!({"id": "a", "text": "Q", "kind": "essay"}))}),
            "screening_questions[0].kind",
        ),
        (
            json!({"screening_questions": q(json!({"id": "a", "text": "Q"}))}),
            "screening_questions[0].kind",
        ),
        (
            json!({"screening_questions": q(json!({"id": "a", "text": "Q", "kind": "single_choice"}))}),
            "screening_questions[0].options",
        ),
        (
            json!({"screening_questions": q(json!({"id": "a", "text": "Q", "kind": "single_choice", "options": ["one"]}))}),
            "screening_questions[0].options",
        ),
        (
            json!({"screening_questions": q(json!({"id": "a", "text": "Q", "kind": "single_choice", "options": ["x", "x"]}))}),
            "screening_questions[0].options",
        ),
        (
            json!({"screening_questions": q(json!({"id": "a", "text": "Q", "kind": "single_choice", "options": ["x", " "]}))}),
            "screening_questions[0].options",
        ),
        (
            json!({"screening_questions": q(json!({"id": "a", "text": "Q", "kind": "text", "options": ["x", "y"]}))}),
            "screening_questions[0].options",
        ),
        (
            json!({"screening_questions": q(json!({"id": "a", "text": "Q", "kind": "yes_no", "knockout_answer": "yes"}))}),
            "screening_questions[0].knockout_answer",
        ),
        (
            json!({"screening_questions": q(json!({"id": "a", "text": "Q", "kind": "single_choice", "options": ["x", "y"], "knockout_answer": "z"}))}),
            "screening_questions[0].knockout_answer",
        ),
        (
            json!({"screening_questions": q(json!({"id": "a", "text": "Q", "kind": "text", "knockout_answer": "no"}))}),
            "screening_questions[0].knockout_answer",
        ),
        (
            json!({"screening_questions": (0..21).map(|i| json!({"id": format!("q{i}"), "text": "Q", "kind": "text"})).collect::<Vec<_>>()}),
            "screening_questions",
        ),
        (json!({"company_id": null}), "company_id"),
        (json!({"company_id": uuid_like()}), "company_id"),
        (json!({"salary_min": "lots"}), "salary_min"),
    ];
    for (change, field) in cases {
        let res = post_job(&app, &ada.token, with(job(&acme), change.clone())).await;
        assert_eq!(res.status, 422, "{change}: {}", res.text);
        assert!(
            res.error_fields().contains(&field.to_owned()),
            "{change}: expected {field} in {:?}",
            res.error_fields()
        );
    }
    // Currency without a salary is fine; salary_min == salary_max is fine; no salary at all is fine.
    let ok = [
        json!({"salary_min": null, "salary_max": null}),
        json!({"salary_min": 100, "salary_max": 100}),
        json!({"salary_min": null, "salary_max": null, "currency": null}),
        json!({"skills": [], "screening_questions": []}),
    ];
    for change in ok {
        post_job(&app, &ada.token, with(job(&acme), change))
            .await
            .expect(201);
    }

    // PATCH applies the same rules to the result.
    let id = create_job(&app, &ada.token, job(&acme)).await;
    let path = format!("/api/v1/jobs/{id}");
    for (change, field) in [
        (json!({"salary_min": 9_000_000}), "salary_max"),
        (json!({"title": null}), "title"),
        (json!({"remote": "space"}), "remote"),
        (json!({"currency": null}), "currency"),
        (json!({"closes_at": "2000-01-01T00:00:00Z"}), "closes_at"),
    ] {
        let res = call(&app, Method::PATCH, &path, &ada.token, Some(change.clone())).await;
        assert_eq!(res.status, 422, "{change}: {}", res.text);
        assert!(
            res.error_fields().contains(&field.to_owned()),
            "{change}: {:?}",
            res.error_fields()
        );
    }
    let res = call(
        &app,
        Method::PATCH,
        &path,
        &ada.token,
        Some(json!({"title": "Staff Engineer", "location": null, "salary_min": null, "salary_max": null,
                    "skills": [{"name": "Go", "weight": 2}]})),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["title"], "Staff Engineer");
    assert!(res.data()["location"].is_null());
    assert!(res.data()["salary_min"].is_null());
    assert_eq!(res.data()["currency"], "EUR");
    assert_eq!(
        res.data()["skills"],
        json!([{"name": "Go", "weight": 2, "required": false}])
    );
    assert_eq!(res.data()["remote"], "hybrid", "absent fields stay");
}

#[tokio::test]
async fn authorisation_matrix() {
    let app = spawn().await;
    let owner = register(&app, "owner").await;
    let admin = register(&app, "admin1").await;
    let recruiter = register(&app, "recruiter").await;
    let interviewer = register(&app, "interviewer").await;
    let outsider = register(&app, "outsider").await;
    let acme = company(&app, &owner, "Acme").await;
    add_member(&app, &owner, &acme, &admin, "admin").await;
    add_member(&app, &owner, &acme, &recruiter, "recruiter").await;
    add_member(&app, &owner, &acme, &interviewer, "interviewer").await;

    // Create.
    for u in [&owner, &admin, &recruiter] {
        post_job(&app, &u.token, job(&acme)).await.expect(201);
    }
    post_job(&app, &interviewer.token, job(&acme))
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    post_job(&app, &outsider.token, job(&acme))
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    post_job(&app, "", job(&acme)).await.expect(401);

    // A draft: members see it, outsiders and anonymous get 404.
    let draft = create_job(
        &app,
        &recruiter.token,
        with(job(&acme), json!({"status": "draft"})),
    )
    .await;
    let path = format!("/api/v1/jobs/{draft}");
    for u in [&owner, &admin, &recruiter, &interviewer] {
        call(&app, Method::GET, &path, &u.token, None)
            .await
            .expect(200);
    }
    call(&app, Method::GET, &path, &outsider.token, None)
        .await
        .expect(404);
    call(&app, Method::GET, &path, "", None).await.expect(404);
    call(
        &app,
        Method::GET,
        &format!("{path}/match"),
        &outsider.token,
        None,
    )
    .await
    .expect(404);
    call(
        &app,
        Method::PUT,
        &format!("{path}/save"),
        &outsider.token,
        None,
    )
    .await
    .expect(404);

    // Edit a draft.
    let edit = |tok: String| {
        let path = path.clone();
        let app = &app;
        async move {
            call(
                app,
                Method::PATCH,
                &path,
                &tok,
                Some(json!({"title": "Edited"})),
            )
            .await
        }
    };
    for u in [&owner, &admin, &recruiter] {
        edit(u.token.clone()).await.expect(200);
    }
    edit(interviewer.token.clone())
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    edit(outsider.token.clone()).await.expect(404);
    edit(String::new()).await.expect(401);
    call(&app, Method::DELETE, &path, &interviewer.token, None)
        .await
        .expect(403);
    call(&app, Method::DELETE, &path, &outsider.token, None)
        .await
        .expect(404);
    call(&app, Method::DELETE, &path, "", None)
        .await
        .expect(401);

    // An open job: everyone reads it; outsiders may not edit it (403: it is public).
    let open = create_job(&app, &owner.token, job(&acme)).await;
    let path = format!("/api/v1/jobs/{open}");
    call(&app, Method::GET, &path, "", None).await.expect(200);
    call(
        &app,
        Method::PATCH,
        &path,
        &outsider.token,
        Some(json!({"title": "x"})),
    )
    .await
    .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    call(&app, Method::DELETE, &path, &outsider.token, None)
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    call(&app, Method::DELETE, &path, &interviewer.token, None)
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    // Another company's recruiter is an outsider here.
    let other = company(&app, &outsider, "Other").await;
    post_job(
        &app,
        &outsider.token,
        with(job(&acme), json!({"company_id": acme})),
    )
    .await
    .expect(403);
    post_job(&app, &outsider.token, job(&other))
        .await
        .expect(201);
}

#[tokio::test]
async fn delete_removes_drafts_and_closes_the_rest() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let bob = register(&app, "bob").await;
    let acme = company(&app, &ada, "Acme").await;
    let draft = create_job(
        &app,
        &ada.token,
        with(job(&acme), json!({"status": "draft"})),
    )
    .await;
    let open = create_job(
        &app,
        &ada.token,
        with(job(&acme), json!({"title": "Open role"})),
    )
    .await;
    call(
        &app,
        Method::PUT,
        &format!("/api/v1/jobs/{open}/save"),
        &bob.token,
        None,
    )
    .await
    .expect(204);

    let res = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/jobs/{draft}"),
        &ada.token,
        None,
    )
    .await;
    res.expect(204);
    call(
        &app,
        Method::GET,
        &format!("/api/v1/jobs/{draft}"),
        &ada.token,
        None,
    )
    .await
    .expect(404);

    assert_eq!(titles(&search(&app, "q=open").await), vec!["Open role"]);
    let res = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/jobs/{open}"),
        &ada.token,
        None,
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["status"], "closed");
    // Closed: gone from search, 404 to outsiders, still there for members; deleting again keeps it closed.
    assert!(titles(&search(&app, "q=open").await).is_empty());
    app.get(&format!("/api/v1/jobs/{open}")).await.expect(404);
    call(
        &app,
        Method::GET,
        &format!("/api/v1/jobs/{open}"),
        &ada.token,
        None,
    )
    .await
    .expect(200);
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/jobs/{open}"),
        &ada.token,
        None,
    )
    .await
    .expect(200);
    // Re-opening brings it back.
    let res = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/jobs/{open}"),
        &ada.token,
        Some(json!({"status": "open"})),
    )
    .await;
    res.expect(200);
    assert_eq!(titles(&search(&app, "q=open").await), vec!["Open role"]);
}

#[tokio::test]
async fn search_relevance_filters_sorts_and_pages() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let acme = company(&app, &ada, "Acme").await;
    let globex = company(&app, &ada, "Globex").await;
    let base = |title: &str, description: &str| {
        with(
            job(&acme),
            json!({"title": title, "description": description, "requirements": null,
                   "skills": [], "screening_questions": []}),
        )
    };
    // A description hit is created first so "newest" would put it last, but relevance puts
    // the title hit first.
    create_job(
        &app,
        &ada.token,
        base("Platform Engineer", "You will love kubernetes here."),
    )
    .await;
    app.advance(chrono::Duration::minutes(1));
    create_job(
        &app,
        &ada.token,
        base("Kubernetes Operator", "Run clusters."),
    )
    .await;
    app.advance(chrono::Duration::minutes(1));
    create_job(
        &app,
        &ada.token,
        with(
            base("Data Analyst", "Numbers."),
            json!({"skills": [{"name": "Kubernetes", "weight": 1}]}),
        ),
    )
    .await;
    let res = search(&app, "q=kubernetes").await;
    assert_eq!(res["pagination"]["total"], 3);
    assert_eq!(titles(&res)[0], "Kubernetes Operator", "title hit first");
    assert_eq!(titles(&res)[2], "Platform Engineer", "description hit last");
    let res = search(&app, "q=kubernetes&sort=newest").await;
    assert_eq!(
        titles(&res),
        vec!["Data Analyst", "Kubernetes Operator", "Platform Engineer"]
    );
    // Every word must match; stemming/case do not matter for the plain words used here.
    assert_eq!(
        titles(&search(&app, "q=KUBERNETES%20clusters").await),
        vec!["Kubernetes Operator"]
    );
    assert!(titles(&search(&app, "q=kubernetes%20nonexistentword").await).is_empty());

    // Filters.
    create_job(
        &app,
        &ada.token,
        with(
            base("Remote Rustacean", "Async all the way."),
            json!({"company_id": globex, "remote": "remote", "employment_type": "contract",
                   "experience_level": "senior", "location": "Lisbon, Portugal",
                   "salary_min": 9_000_000, "salary_max": 12_000_000,
                   "skills": [{"name": "JavaScript", "weight": 2}]}),
        ),
    )
    .await;
    create_job(
        &app,
        &ada.token,
        with(
            base("Junior Intern", "Learn."),
            json!({"employment_type": "internship", "experience_level": "fresher",
                   "salary_min": null, "salary_max": null, "location": null}),
        ),
    )
    .await;
    create_job(
        &app,
        &ada.token,
        with(
            base("Secret Draft", "Hidden kubernetes."),
            json!({"status": "draft"}),
        ),
    )
    .await;
    let one = |q: &str| {
        let app = &app;
        let q = q.to_owned();
        async move { titles(&search(app, &q).await) }
    };
    assert_eq!(one("remote=remote").await, vec!["Remote Rustacean"]);
    assert_eq!(one("type=contract").await, vec!["Remote Rustacean"]);
    assert_eq!(one("level=senior").await, vec!["Remote Rustacean"]);
    assert_eq!(one("location=lisbon").await, vec!["Remote Rustacean"]);
    assert_eq!(
        one("location=%25").await,
        Vec::<String>::new(),
        "LIKE wildcards are literal"
    );
    assert_eq!(
        one(&format!("company={globex}")).await,
        vec!["Remote Rustacean"]
    );
    assert_eq!(one("company=globex").await, vec!["Remote Rustacean"]);
    assert_eq!(
        one("skill=js").await,
        vec!["Remote Rustacean"],
        "skill synonyms"
    );
    assert_eq!(one("salary_min=10000000").await, vec!["Remote Rustacean"]);
    assert_eq!(
        one("type=internship&level=fresher").await,
        vec!["Junior Intern"]
    );
    // Drafts never show.
    assert!(!one("q=secret").await.iter().any(|t| t == "Secret Draft"));
    assert_eq!(search(&app, "").await["pagination"]["total"], 5);
    // Sorting by salary: highest top of range first, no salary last.
    let by_salary = one("sort=salary").await;
    assert_eq!(by_salary.first().unwrap(), "Remote Rustacean");
    assert_eq!(by_salary.last().unwrap(), "Junior Intern");
    // posted_within: advance the clock; only new jobs count.
    app.advance(chrono::Duration::days(10));
    let tok = login(&app, "ada").await;
    create_job(&app, &tok, base("Fresh Role", "New.")).await;
    assert_eq!(one("posted_within=3").await, vec!["Fresh Role"]);
    assert_eq!(
        search(&app, "posted_within=30").await["pagination"]["total"],
        6
    );
    // Pagination.
    let p1 = search(&app, "limit=4&page=1&sort=newest").await;
    let p2 = search(&app, "limit=4&page=2&sort=newest").await;
    assert_eq!(
        p1["pagination"],
        json!({"total": 6, "page": 1, "limit": 4, "pages": 2})
    );
    assert_eq!(titles(&p1).len(), 4);
    assert_eq!(titles(&p2).len(), 2);
    assert_eq!(titles(&p1)[0], "Fresh Role");
    // Items carry the company and the freshness fields.
    let item = &p1["items"][0];
    assert_eq!(item["company"]["name"], "Acme");
    assert_eq!(item["stale"], false);
    assert!(item["response_rate"].is_null());
    // Bad parameters are 400, not 500.
    for bad in [
        "sort=best",
        "remote=moon",
        "type=x",
        "level=x",
        "salary_min=-5",
        "salary_min=abc",
        "posted_within=-1",
    ] {
        let res = app.get(&format!("/api/v1/jobs?{bad}")).await;
        res.expect_error(400, "INVALID_QUERY");
    }
}

#[tokio::test]
async fn search_input_is_sanitised() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let acme = company(&app, &ada, "Acme").await;
    for (title, description) in [
        ("Rust Engineer", "Systems work."),
        ("Müller Søren Café Team", "Ünïcode everywhere."),
        ("東京 エンジニア", "Tokyo office."),
        ("C++ and Node.js Developer", "Native add-ons."),
    ] {
        create_job(
            &app,
            &ada.token,
            with(job(&acme), json!({"title": title, "description": description, "skills": [], "requirements": null})),
        )
        .await;
    }
    let q = |s: &str| {
        let app = &app;
        let s = s.to_owned();
        async move {
            let url = reqwest::Url::parse_with_params("http://x/api/v1/jobs", &[("q", s.as_str())])
                .unwrap();
            let res = app
                .get(&format!("/api/v1/jobs?{}", url.query().unwrap()))
                .await;
            assert_eq!(res.status, 200, "q={s}: {}", res.text);
            titles(res.data())
        }
    };
    for hostile in [
        "\"rust",
        "rust\"",
        "rust*",
        "*",
        "-rust",
        "rust -",
        "rust OR",
        "NOT rust",
        "NEAR(rust engineer)",
        "title:rust",
        "rust^",
        "(rust",
        "rust)",
        "rust & | !",
        "'rust'",
        "rust:*",
        "\\rust",
        "rust; DROP TABLE job_postings",
    ] {
        let found = q(hostile).await;
        if hostile.contains("DROP") {
            assert!(found.is_empty(), "{hostile}");
        } else if hostile.contains("NOT")
            || hostile.contains("OR")
            || hostile.contains("NEAR")
            || hostile.contains("title")
            || hostile.contains("engineer")
        {
            // Operators are ordinary words: every word must appear.
            let _ = found;
        } else if hostile.contains("rust") {
            assert_eq!(found, vec!["Rust Engineer"], "{hostile}");
        }
    }
    // Punctuation only means no text filter.
    for only in ["!!!", "\"\"", "*", "-", "()", "   "] {
        assert_eq!(q(only).await.len(), 4, "{only}");
    }
    assert_eq!(q("müller").await, vec!["Müller Søren Café Team"]);
    assert_eq!(q("MÜLLER søren").await, vec!["Müller Søren Café Team"]);
    assert_eq!(q("東京").await, vec!["東京 エンジニア"]);
    assert_eq!(q("node.js").await, vec!["C++ and Node.js Developer"]);
    assert_eq!(q("c++").await, vec!["C++ and Node.js Developer"]);
    // Gone from the index when deleted, changed in it when edited.
    let rust = search(&app, "q=rust").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    call(
        &app,
        Method::PATCH,
        &format!("/api/v1/jobs/{rust}"),
        &ada.token,
        Some(json!({"title": "Golang Engineer"})),
    )
    .await
    .expect(200);
    assert!(q("rust").await.is_empty());
    assert_eq!(q("golang").await, vec!["Golang Engineer"]);
}

#[tokio::test]
async fn saved_jobs() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let bob = register(&app, "bob").await;
    let acme = company(&app, &ada, "Acme").await;
    let first = create_job(
        &app,
        &ada.token,
        with(job(&acme), json!({"title": "First"})),
    )
    .await;
    let second = create_job(
        &app,
        &ada.token,
        with(job(&acme), json!({"title": "Second"})),
    )
    .await;
    let draft = create_job(
        &app,
        &ada.token,
        with(job(&acme), json!({"status": "draft"})),
    )
    .await;

    for _ in 0..2 {
        call(
            &app,
            Method::PUT,
            &format!("/api/v1/jobs/{first}/save"),
            &bob.token,
            None,
        )
        .await
        .expect(204);
    }
    app.advance(chrono::Duration::seconds(5));
    call(
        &app,
        Method::PUT,
        &format!("/api/v1/jobs/{second}/save"),
        &bob.token,
        None,
    )
    .await
    .expect(204);
    call(
        &app,
        Method::PUT,
        &format!("/api/v1/jobs/{draft}/save"),
        &bob.token,
        None,
    )
    .await
    .expect(404);
    call(
        &app,
        Method::PUT,
        &format!("/api/v1/jobs/{first}/save"),
        "",
        None,
    )
    .await
    .expect(401);
    call(&app, Method::GET, "/api/v1/users/me/saved-jobs", "", None)
        .await
        .expect(401);

    let res = call(
        &app,
        Method::GET,
        "/api/v1/users/me/saved-jobs",
        &bob.token,
        None,
    )
    .await;
    res.expect(200);
    let items = res.data()["items"].as_array().unwrap();
    let saved: Vec<&str> = items
        .iter()
        .map(|i| i["job"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(saved, vec!["Second", "First"], "newest first");
    assert!(items[0]["saved_at"].is_string());
    assert_eq!(res.data()["pagination"]["total"], 2);
    let res = call(
        &app,
        Method::GET,
        "/api/v1/users/me/saved-jobs?limit=1&page=2",
        &bob.token,
        None,
    )
    .await;
    assert_eq!(res.data()["items"][0]["job"]["title"], "First");
    assert_eq!(res.data()["pagination"]["pages"], 2);
    // Ada saved nothing.
    let res = call(
        &app,
        Method::GET,
        "/api/v1/users/me/saved-jobs",
        &ada.token,
        None,
    )
    .await;
    assert_eq!(res.data()["pagination"]["total"], 0);

    for _ in 0..2 {
        call(
            &app,
            Method::DELETE,
            &format!("/api/v1/jobs/{first}/save"),
            &bob.token,
            None,
        )
        .await
        .expect(204);
    }
    let res = call(
        &app,
        Method::GET,
        "/api/v1/users/me/saved-jobs",
        &bob.token,
        None,
    )
    .await;
    assert_eq!(res.data()["pagination"]["total"], 1);
}

#[tokio::test]
async fn a_signed_in_reader_sees_their_match() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let bob = register(&app, "bob").await;
    let acme = company(&app, &ada, "Acme").await;
    let id = create_job(
        &app,
        &ada.token,
        with(
            job(&acme),
            json!({"experience_level": "mid",
                   "skills": [{"name": "JavaScript", "weight": 5, "required": true},
                              {"name": "Postgres", "weight": 3},
                              {"name": "Kubernetes", "weight": 2}]}),
        ),
    )
    .await;
    // Bob's profile: "JS" as a skill, PostgreSQL in the CV, mid level.
    call(
        &app,
        Method::POST,
        "/api/v1/users/me/skills",
        &bob.token,
        Some(json!({"name": "JS", "level": 4})),
    )
    .await
    .expect(201);
    call(
        &app,
        Method::PUT,
        "/api/v1/users/me/cv",
        &bob.token,
        Some(json!({"cv_text": "Five years with PostgreSQL and Python."})),
    )
    .await
    .expect(200);
    call(
        &app,
        Method::PATCH,
        "/api/v1/users/me",
        &bob.token,
        Some(json!({"experience_level": "mid"})),
    )
    .await
    .expect(200);

    let res = call(
        &app,
        Method::GET,
        &format!("/api/v1/jobs/{id}"),
        &bob.token,
        None,
    )
    .await;
    res.expect(200);
    let m = &res.data()["match"];
    assert_eq!(m["level_fit"], "exact");
    assert_eq!(
        m["matched"],
        json!([{"skill": "JavaScript", "weight": 5, "source": "profile"},
               {"skill": "Postgres", "weight": 3, "source": "cv"}])
    );
    assert_eq!(
        m["missing"],
        json!([{"skill": "Kubernetes", "weight": 2, "required": false}])
    );
    let score = m["score"].as_u64().unwrap();
    assert!(score > 40 && score < 100, "{score}");
    let res = call(
        &app,
        Method::GET,
        &format!("/api/v1/jobs/{id}/match"),
        &bob.token,
        None,
    )
    .await;
    res.expect(200);
    assert_eq!(res.data(), m);
    // Anonymous: no match; the match endpoint needs a sign-in.
    assert!(
        app.get(&format!("/api/v1/jobs/{id}"))
            .await
            .data()
            .get("match")
            .is_none()
    );
    app.get(&format!("/api/v1/jobs/{id}/match"))
        .await
        .expect(401);
    // Someone with an empty profile: every required skill missing, capped score.
    let res = call(
        &app,
        Method::GET,
        &format!("/api/v1/jobs/{id}/match"),
        &ada.token,
        None,
    )
    .await;
    assert!(res.data()["score"].as_u64().unwrap() <= 40);
    assert_eq!(res.data()["level_fit"], "unknown");
}

async fn queued_close_jobs(app: &TestApp) -> i64 {
    let db = &app.state.db;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM queue_tasks WHERE kind = 'hiring.close_stale_jobs' AND status = 'queued'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn wait_until<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !f().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn stale_jobs_are_flagged_then_closed_by_the_queue() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let acme = company(&app, &ada, "Acme").await;
    let old = create_job(
        &app,
        &ada.token,
        with(job(&acme), json!({"title": "Old role"})),
    )
    .await;
    let closing = create_job(
        &app,
        &ada.token,
        with(job(&acme), json!({"title": "Short role", "closes_at": (chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339()})),
    )
    .await;

    app.advance(chrono::Duration::days(31));
    let ada = User {
        token: login(&app, "ada").await,
        ..ada
    };
    let fresh = create_job(
        &app,
        &ada.token,
        with(job(&acme), json!({"title": "Fresh role"})),
    )
    .await;
    let res = search(&app, "sort=newest").await;
    // The job past its closes_at is no longer listed.
    assert_eq!(titles(&res), vec!["Fresh role", "Old role"]);
    assert_eq!(res["items"][0]["stale"], false);
    assert_eq!(res["items"][1]["stale"], true);

    // Scheduling twice queues one run (the worker may take it at once).
    app.state.queue.start_schedules(&app.state).await.unwrap();
    app.state.queue.start_schedules(&app.state).await.unwrap();
    // The first run closes the job past closes_at (not the 31-day-old one), then queues itself
    // for tomorrow.
    let get = |id: String| {
        let app = &app;
        let tok = ada.token.clone();
        async move {
            call(app, Method::GET, &format!("/api/v1/jobs/{id}"), &tok, None)
                .await
                .data()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    wait_until("the expired job to close", || {
        let get = &get;
        let closing = closing.clone();
        async move { get(closing).await == "closed" }
    })
    .await;
    wait_until("one queued run", || async {
        queued_close_jobs(&app).await == 1
    })
    .await;
    assert_eq!(get(old.clone()).await, "open");

    // 61 days after its last pipeline activity the old job is closed by the daily run.
    app.advance(chrono::Duration::days(30));
    let tok = login(&app, "ada").await;
    let get = |id: String| {
        let app = &app;
        let tok = tok.clone();
        async move {
            call(app, Method::GET, &format!("/api/v1/jobs/{id}"), &tok, None)
                .await
                .data()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    wait_until("the stale job to close", || {
        let get = &get;
        let old = old.clone();
        async move { get(old).await == "closed" }
    })
    .await;
    assert_eq!(get(fresh.clone()).await, "open");
    wait_until("the next run to be queued", || async {
        queued_close_jobs(&app).await == 1
    })
    .await;
    assert_eq!(titles(&search(&app, "").await), vec!["Fresh role"]);
}

/// SQLite: each job has exactly one index row, under `sqlite_rowid(job id)`, through edits, and
/// none once it is deleted; a renamed job is found by its new title only.
#[tokio::test]
async fn search_index_rows_are_keyed_by_job() {
    let app = spawn().await;
    if app.is_postgres() {
        return; // PostgreSQL keeps the index in a column of the job row.
    }
    let ada = register(&app, "ada").await;
    let acme = company(&app, &ada, "Acme").await;
    let id = create_job(
        &app,
        &ada.token,
        with(job(&acme), json!({"title": "Zebra keeper"})),
    )
    .await;
    let rows = |app: &TestApp, id: String| {
        let db = app.state.db.clone();
        async move {
            let uuid: uuid::Uuid = id.parse().unwrap();
            let row = db
                .query_one_raw(Statement::from_sql_and_values(
                    db.get_database_backend(),
                    "SELECT COUNT(*) AS n, \
                     SUM(CASE WHEN rowid = ? THEN 1 ELSE 0 END) AS keyed \
                     FROM job_postings_fts WHERE job_id = ?",
                    [
                        vertechie_kernel::fts::sqlite_rowid(uuid).into(),
                        uuid.into(),
                    ],
                ))
                .await
                .unwrap()
                .unwrap();
            let n: i64 = row.try_get("", "n").unwrap();
            let keyed: Option<i64> = row.try_get("", "keyed").unwrap();
            (n, keyed.unwrap_or(0))
        }
    };
    assert_eq!(rows(&app, id.clone()).await, (1, 1));
    for title in ["Okapi keeper", "Quokka keeper"] {
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/jobs/{id}"),
            &ada.token,
            Some(json!({"title": title})),
        )
        .await
        .expect(200);
        assert_eq!(
            rows(&app, id.clone()).await,
            (1, 1),
            "after renaming to {title}"
        );
    }
    assert_eq!(titles(&search(&app, "q=quokka").await), ["Quokka keeper"]);
    assert!(titles(&search(&app, "q=zebra").await).is_empty());
    // Deleting a draft removes its row (an open job is closed instead and keeps it).
    let draft = create_job(
        &app,
        &ada.token,
        with(
            job(&acme),
            json!({"title": "Draft role", "status": "draft"}),
        ),
    )
    .await;
    assert_eq!(rows(&app, draft.clone()).await, (1, 1));
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/jobs/{draft}"),
        &ada.token,
        None,
    )
    .await
    .expect(204);
    assert_eq!(rows(&app, draft).await, (0, 0));
    assert_eq!(rows(&app, id).await, (1, 1));
}

/// Only verified addresses create companies or post and open jobs: 403 `EMAIL_NOT_VERIFIED`
/// with a message that says what to do. Editing a draft is fine; once the link in the
/// verification mail is opened, all of it works.
#[tokio::test]
async fn unverified_addresses_cannot_create_companies_or_post_jobs() {
    let app = spawn().await;
    let owner = register(&app, "owner").await;
    let una = register_unverified(&app, "una").await;
    let res = call(
        &app,
        Method::POST,
        "/api/v1/companies",
        &una.token,
        Some(json!({"name": "Una Co"})),
    )
    .await;
    res.expect_error(403, "EMAIL_NOT_VERIFIED");
    let message = res.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Confirm your email address to create a company"),
        "{message}"
    );

    // A recruiter of a verified owner's company still needs her own address verified.
    let acme = company(&app, &owner, "Acme").await;
    add_member(&app, &owner, &acme, &una, "recruiter").await;
    for status in ["open", "draft"] {
        post_job(
            &app,
            &una.token,
            with(job(&acme), json!({"status": status})),
        )
        .await
        .expect_error(403, "EMAIL_NOT_VERIFIED");
    }
    let draft = create_job(
        &app,
        &owner.token,
        with(job(&acme), json!({"status": "draft"})),
    )
    .await;
    let path = format!("/api/v1/jobs/{draft}");
    let edit = |body: Value| call(&app, Method::PATCH, &path, &una.token, Some(body));
    edit(json!({"title": "Rust Engineer"})).await.expect(200);
    edit(json!({"status": "open"}))
        .await
        .expect_error(403, "EMAIL_NOT_VERIFIED");
    let res = search(&app, "").await;
    assert_eq!(res["pagination"]["total"], 0, "nothing was opened");

    verify_email(&app, "una@example.com").await;
    edit(json!({"status": "open"})).await.expect(200);
    post_job(&app, &una.token, job(&acme)).await.expect(201);
    call(
        &app,
        Method::POST,
        "/api/v1/companies",
        &una.token,
        Some(json!({"name": "Una Co"})),
    )
    .await
    .expect(201);
}

/// Deleting a company takes its jobs (a cascading foreign key) and their search entries with
/// it. On SQLite the FTS5 table has no foreign key, so the delete removes them itself; on
/// PostgreSQL the entries live in the job rows.
#[tokio::test]
async fn deleting_a_company_leaves_no_search_entries() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let acme = company(&app, &ada, "Acme").await;
    let other = company(&app, &ada, "Other").await;
    let mut gone = Vec::new();
    for title in ["Zebra keeper", "Okapi keeper"] {
        gone.push(create_job(&app, &ada.token, with(job(&acme), json!({"title": title}))).await);
    }
    let kept = create_job(
        &app,
        &ada.token,
        with(job(&other), json!({"title": "Quokka keeper"})),
    )
    .await;
    let index = vertechie_hiring::service::search::JOB_INDEX;
    let entries = |ids: &[String]| {
        let db = app.state.db.clone();
        let ids: Vec<uuid::Uuid> = ids.iter().map(|i| i.parse().unwrap()).collect();
        async move { index.count(&db, &ids).await.unwrap() }
    };
    assert_eq!(entries(&gone).await, 2);
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/companies/{acme}"),
        &ada.token,
        None,
    )
    .await
    .expect(204);
    assert_eq!(
        entries(&gone).await,
        0,
        "the deleted company's jobs are unindexed"
    );
    assert_eq!(entries(std::slice::from_ref(&kept)).await, 1);
    assert_eq!(titles(&search(&app, "q=keeper").await), ["Quokka keeper"]);
}

/// Search pages are cached per instance, and every write through the services shows at once:
/// new, edited and closed jobs, renamed companies; time-based flags follow the clock.
#[tokio::test]
async fn cached_search_answers_follow_every_write_at_once() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let acme = company(&app, &ada, "Acme").await;
    let a = create_job(
        &app,
        &ada.token,
        with(job(&acme), json!({"title": "Walrus keeper"})),
    )
    .await;
    assert_eq!(titles(&search(&app, "q=walrus").await), ["Walrus keeper"]);

    // The page is reused: a row written behind the services' back is not seen...
    app.state
        .db
        .execute_raw(Statement::from_sql_and_values(
            app.state.db.get_database_backend(),
            if app.is_postgres() {
                "UPDATE job_postings SET title = $1 WHERE id = $2"
            } else {
                "UPDATE job_postings SET title = ? WHERE id = ?"
            },
            [
                "Changed behind the cache".into(),
                a.parse::<uuid::Uuid>().unwrap().into(),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(titles(&search(&app, "q=walrus").await), ["Walrus keeper"]);
    // ...but a write through the service is, at once.
    let b = create_job(
        &app,
        &ada.token,
        with(job(&acme), json!({"title": "Walrus trainer"})),
    )
    .await;
    let mut found = titles(&search(&app, "q=walrus").await);
    found.sort();
    assert_eq!(found, ["Changed behind the cache", "Walrus trainer"]);

    call(
        &app,
        Method::PATCH,
        &format!("/api/v1/jobs/{a}"),
        &ada.token,
        Some(json!({"title": "Narwhal keeper"})),
    )
    .await
    .expect(200);
    assert_eq!(titles(&search(&app, "q=walrus").await), ["Walrus trainer"]);
    assert_eq!(titles(&search(&app, "q=narwhal").await), ["Narwhal keeper"]);

    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/jobs/{b}"),
        &ada.token,
        None,
    )
    .await
    .expect(200);
    assert!(titles(&search(&app, "q=walrus").await).is_empty());

    let page = search(&app, &format!("company={acme}")).await;
    assert_eq!(page["items"][0]["company"]["name"], "Acme");
    call(
        &app,
        Method::PATCH,
        &format!("/api/v1/companies/{acme}"),
        &ada.token,
        Some(json!({"name": "Acme Renamed"})),
    )
    .await
    .expect(200);
    let page = search(&app, &format!("company={acme}")).await;
    assert_eq!(page["items"][0]["company"]["name"], "Acme Renamed");

    // Time moves the stale flag even without a write.
    assert_eq!(page["items"][0]["stale"], false);
    app.clock.advance(chrono::Duration::days(31));
    let page = search(&app, &format!("company={acme}")).await;
    assert_eq!(page["items"][0]["stale"], true);
}
