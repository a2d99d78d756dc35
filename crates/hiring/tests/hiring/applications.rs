#![allow(clippy::unwrap_used, clippy::expect_used)]
//! HTTP tests for applications and the ATS pipeline: stages, apply (answers by kind, knockout,
//! one per user and job even under a race, closed jobs), the stored match, emails and
//! notifications, the timeline, move/reject/withdraw, notes, the scorecard visibility rule, the
//! stuck list with the test clock, and the authorisation matrix (outsiders get 404).

use std::time::Duration;

use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use vertechie_kernel::testkit::{TestApp, TestResponse};
use vertechie_server::testing::spawn;

use crate::common;
use common::*;

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

/// Waits for a mail to `who` whose text contains `needle`; the registration mail is ignored.
/// Notices mailed within ten minutes of an earlier one wait for the digest (messaging), so
/// when nothing came after a moment the test clock is moved past that window once.
async fn mail_to(app: &TestApp, who: &str, needle: &str) -> (String, String) {
    let to = email(who);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut flush_digest = Some(tokio::time::Instant::now() + Duration::from_secs(2));
    loop {
        if flush_digest.is_some_and(|at| tokio::time::Instant::now() > at) {
            app.clock
                .advance(chrono::Duration::minutes(10) + chrono::Duration::seconds(1));
            flush_digest = None;
        }
        let found = app
            .outbox(&to)
            .await
            .into_iter()
            .find(|m| m.subject.contains(needle) || m.body_text.contains(needle));
        if let Some(m) = found {
            return (m.subject, m.body_text);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no mail to {to} with {needle:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn email(name: &str) -> String {
    format!("{name}@example.com")
}

async fn apply(app: &TestApp, tok: &str, job: &str, body: Value) -> TestResponse {
    call(
        app,
        Method::POST,
        &format!("/api/v1/jobs/{job}/apply"),
        tok,
        Some(body),
    )
    .await
}

fn good_answers() -> Value {
    json!({"answers": {"visa": false, "years": 4, "shift": "early", "why": "Rust!"}})
}

async fn stages(app: &TestApp, tok: &str, job: &str) -> Vec<(String, String)> {
    let res = call(
        app,
        Method::GET,
        &format!("/api/v1/jobs/{job}/stages"),
        tok,
        None,
    )
    .await;
    res.expect(200);
    res.data()
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

fn names(stages: &[(String, String)]) -> Vec<&str> {
    stages.iter().map(|(_, n)| n.as_str()).collect()
}

/// A company (owner ada, recruiter rita, interviewer ivan), an open job, another company's
/// recruiter (olga) and a candidate (cora).
struct World {
    app: TestApp,
    ada: User,
    rita: User,
    ivan: User,
    olga: User,
    cora: User,
    job: String,
}

async fn world() -> World {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let rita = register(&app, "rita").await;
    let ivan = register(&app, "ivan").await;
    let olga = register(&app, "olga").await;
    let cora = register(&app, "cora").await;
    let acme = company(&app, &ada, "Acme").await;
    add_member(&app, &ada, &acme, &rita, "recruiter").await;
    add_member(&app, &ada, &acme, &ivan, "interviewer").await;
    let oscar = register(&app, "oscar").await;
    let other = company(&app, &oscar, "Other").await;
    add_member(&app, &oscar, &other, &olga, "recruiter").await;
    let job = create_job(&app, &ada.token, job(&acme)).await;
    World {
        app,
        ada,
        rita,
        ivan,
        olga,
        cora,
        job,
    }
}

#[tokio::test]
async fn stages_default_edit_and_lazy() {
    let w = world().await;
    let app = &w.app;
    let path = format!("/api/v1/jobs/{}/stages", w.job);
    let st = stages(app, &w.ivan.token, &w.job).await;
    assert_eq!(
        names(&st),
        ["applied", "screening", "interview", "offer", "hired"]
    );
    // Outsiders and candidates: 404; interviewers may not edit.
    call(app, Method::GET, &path, &w.olga.token, None)
        .await
        .expect_error(404, "NOT_FOUND");
    call(app, Method::GET, &path, &w.cora.token, None)
        .await
        .expect_error(404, "NOT_FOUND");
    call(app, Method::GET, &path, "", None).await.expect(401);
    call(
        app,
        Method::POST,
        &path,
        &w.ivan.token,
        Some(json!({"name": "x"})),
    )
    .await
    .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    call(
        app,
        Method::POST,
        &path,
        &w.olga.token,
        Some(json!({"name": "x"})),
    )
    .await
    .expect_error(404, "NOT_FOUND");

    // Add at a position, by a recruiter.
    let res = call(
        app,
        Method::POST,
        &path,
        &w.rita.token,
        Some(json!({"name": "Tech test", "position": 2})),
    )
    .await;
    res.expect(201);
    let st = stages(app, &w.ada.token, &w.job).await;
    assert_eq!(
        names(&st),
        [
            "applied",
            "screening",
            "Tech test",
            "interview",
            "offer",
            "hired"
        ]
    );
    // Added last by default; duplicates (any case) are refused; names are checked.
    call(
        app,
        Method::POST,
        &path,
        &w.rita.token,
        Some(json!({"name": "tech TEST"})),
    )
    .await
    .expect_error(409, "STAGE_EXISTS");
    let res = call(
        app,
        Method::POST,
        &path,
        &w.rita.token,
        Some(json!({"name": "  "})),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["name"]);
    let res = call(
        app,
        Method::POST,
        &path,
        &w.rita.token,
        Some(json!({"name": "x".repeat(61)})),
    )
    .await;
    assert_eq!(res.error_fields(), ["name"]);
    let res = call(
        app,
        Method::POST,
        &path,
        &w.rita.token,
        Some(json!({"name": "late", "position": 99})),
    )
    .await;
    assert_eq!(res.error_fields(), ["position"]);
    call(
        app,
        Method::POST,
        &path,
        &w.rita.token,
        Some(json!({"name": "Reference check"})),
    )
    .await
    .expect(201);
    let st = stages(app, &w.ada.token, &w.job).await;
    assert_eq!(names(&st).last(), Some(&"Reference check"));

    // Rename and move.
    let tech = st[2].0.clone();
    let res = call(
        app,
        Method::PATCH,
        &format!("{path}/{tech}"),
        &w.rita.token,
        Some(json!({"name": "Take-home", "position": 4})),
    )
    .await;
    res.expect(200);
    let st = stages(app, &w.ada.token, &w.job).await;
    assert_eq!(
        names(&st),
        [
            "applied",
            "screening",
            "interview",
            "offer",
            "Take-home",
            "hired",
            "Reference check"
        ]
    );
    call(
        app,
        Method::PATCH,
        &format!("{path}/{tech}"),
        &w.rita.token,
        Some(json!({"name": "Offer"})),
    )
    .await
    .expect_error(409, "STAGE_EXISTS");
    call(
        app,
        Method::PATCH,
        &format!("{path}/{tech}"),
        &w.ivan.token,
        Some(json!({"name": "y"})),
    )
    .await
    .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    call(
        app,
        Method::PATCH,
        &format!("{path}/{}", uuid_like()),
        &w.rita.token,
        Some(json!({"name": "y"})),
    )
    .await
    .expect_error(404, "NOT_FOUND");

    // Delete: never the first, never a stage with applications.
    call(
        app,
        Method::DELETE,
        &format!("{path}/{}", st[0].0),
        &w.rita.token,
        None,
    )
    .await
    .expect_error(409, "STAGE_FIRST");
    let a = apply(app, &w.cora.token, &w.job, good_answers()).await;
    a.expect(201);
    let app_id = a.data()["id"].as_str().unwrap().to_owned();
    call(
        app,
        Method::POST,
        &format!("/api/v1/applications/{app_id}/move"),
        &w.rita.token,
        Some(json!({"stage_id": st[4].0})),
    )
    .await
    .expect(200);
    call(
        app,
        Method::DELETE,
        &format!("{path}/{}", st[4].0),
        &w.rita.token,
        None,
    )
    .await
    .expect_error(409, "STAGE_NOT_EMPTY");
    call(
        app,
        Method::DELETE,
        &format!("{path}/{}", st[6].0),
        &w.ivan.token,
        None,
    )
    .await
    .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    call(
        app,
        Method::DELETE,
        &format!("{path}/{}", st[6].0),
        &w.rita.token,
        None,
    )
    .await
    .expect(204);
    let after = stages(app, &w.ada.token, &w.job).await;
    assert_eq!(after.len(), 6);
    let res = call(app, Method::GET, &path, &w.ada.token, None).await;
    let counts: Vec<i64> = res
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["applications"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [0, 0, 0, 0, 1, 0]);
    let positions: Vec<i64> = res
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, [0, 1, 2, 3, 4, 5]);

    // A job from before the stages table gets its defaults on first use.
    let other = create_job(app, &w.ada.token, job(&company_of(app, &w.job).await)).await;
    let db = &app.state.db;
    let n = exec_for_job(db, "DELETE FROM job_stages WHERE job_id = $1", &other).await;
    assert_eq!(n, 5);
    apply(app, &w.cora.token, &other, good_answers())
        .await
        .expect(201);
    assert_eq!(names(&stages(app, &w.ada.token, &other).await).len(), 5);
}

/// Runs `sql` with the job id bound as `$1`; returns the rows affected.
async fn exec_for_job(db: &sea_orm::DatabaseConnection, sql: &str, job: &str) -> u64 {
    let backend = db.get_database_backend();
    let sql = if backend == sea_orm::DatabaseBackend::Postgres {
        sql.to_owned()
    } else {
        sql.replace("$1", "?")
    };
    let id: uuid::Uuid = job.parse().unwrap();
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
        .await
        .unwrap()
        .rows_affected()
}

fn uuid_like() -> &'static str {
    "01900000-0000-7000-8000-000000000000"
}

async fn company_of(app: &TestApp, job: &str) -> String {
    let res = app.get(&format!("/api/v1/jobs/{job}")).await;
    res.data()["company"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn answers_are_checked_by_kind_and_knockouts_reject_kindly() {
    let w = world().await;
    let app = &w.app;
    let cases = [
        (json!({"shift": "early"}), "answers.visa"),
        (json!({"visa": "no", "shift": "early"}), "answers.visa"),
        (json!({"visa": null, "shift": "early"}), "answers.visa"),
        (json!({"visa": false}), "answers.shift"),
        (json!({"visa": false, "shift": "night"}), "answers.shift"),
        (json!({"visa": false, "shift": 1}), "answers.shift"),
        (
            json!({"visa": false, "shift": "early", "years": "five"}),
            "answers.years",
        ),
        (
            json!({"visa": false, "shift": "early", "why": 5}),
            "answers.why",
        ),
        (
            json!({"visa": false, "shift": "early", "why": "x".repeat(5001)}),
            "answers.why",
        ),
        (
            json!({"visa": false, "shift": "early", "nope": 1}),
            "answers.nope",
        ),
    ];
    for (answers, field) in cases {
        let res = apply(app, &w.cora.token, &w.job, json!({"answers": answers})).await;
        res.expect_error(422, "VALIDATION_ERROR");
        assert_eq!(res.error_fields(), [field], "{answers}");
    }
    let res = apply(app, &w.cora.token, &w.job, json!({})).await;
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(fields, ["answers.shift", "answers.visa"]);
    assert_eq!(res.error_fields().len(), 2);
    let res = apply(
        app,
        &w.cora.token,
        &w.job,
        json!({"answers": {"visa": false, "shift": "early"}, "cover_letter": "x".repeat(10_001)}),
    )
    .await;
    assert_eq!(res.error_fields(), ["cover_letter"]);
    call(
        app,
        Method::POST,
        &format!("/api/v1/jobs/{}/apply", w.job),
        "",
        Some(good_answers()),
    )
    .await
    .expect(401);
    apply(app, &w.cora.token, uuid_like(), good_answers())
        .await
        .expect_error(404, "NOT_FOUND");

    // Optional questions may be left out; a text answer of blanks counts as absent.
    let res = apply(
        app,
        &w.cora.token,
        &w.job,
        json!({"answers": {"visa": false, "shift": "early", "why": "   "}, "cover_letter": "Hello"}),
    )
    .await;
    res.expect(201);
    assert_eq!(res.data()["status"], "active");
    assert_eq!(res.data()["stage"]["name"], "applied");
    assert!(res.data()["message"].is_null());
    assert!(
        res.data().get("answers").is_none(),
        "the candidate view has no member fields"
    );
    // One application per user and job.
    apply(app, &w.cora.token, &w.job, good_answers())
        .await
        .expect_error(409, "ALREADY_APPLIED");

    // A knockout answer (yes_no, then single_choice) rejects straight away, kindly.
    for (who, answers) in [
        ("kim", json!({"visa": true, "shift": "early"})),
        ("kai", json!({"visa": false, "shift": "late"})),
    ] {
        let u = register(app, who).await;
        let res = apply(app, &u.token, &w.job, json!({"answers": answers})).await;
        res.expect(201);
        assert_eq!(res.data()["status"], "rejected");
        let msg = res.data()["message"].as_str().unwrap();
        assert!(msg.starts_with("Thank you for applying"), "{msg}");
        assert!(res.data().get("reject_reason").is_none());
        let id = res.data()["id"].as_str().unwrap();
        let res = call(
            app,
            Method::GET,
            &format!("/api/v1/applications/{id}"),
            &w.rita.token,
            None,
        )
        .await;
        assert_eq!(res.data()["reject_reason"], "knockout");
        let kinds: Vec<&str> = res.data()["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["applied", "rejected"]);
    }

    // Closed and draft jobs.
    let acme = company_of(app, &w.job).await;
    let closed = create_job(
        app,
        &w.ada.token,
        with(job(&acme), json!({"status": "closed"})),
    )
    .await;
    apply(app, &w.cora.token, &closed, good_answers())
        .await
        .expect_error(409, "JOB_CLOSED");
    let draft = create_job(
        app,
        &w.ada.token,
        with(job(&acme), json!({"status": "draft"})),
    )
    .await;
    apply(app, &w.rita.token, &draft, good_answers())
        .await
        .expect_error(409, "JOB_CLOSED");
    apply(app, &w.cora.token, &draft, good_answers())
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn parallel_applications_make_one() {
    let w = world().await;
    let app = &w.app;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/jobs/{}/apply", w.job));
        let tok = w.cora.token.clone();
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(tok)
                .json(&good_answers())
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (status, body)
        }));
    }
    let mut created = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            201 => created += 1,
            409 => assert_eq!(body["error"]["code"], "ALREADY_APPLIED", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created, 1);
    let res = call(
        app,
        Method::GET,
        "/api/v1/users/me/applications",
        &w.cora.token,
        None,
    )
    .await;
    assert_eq!(res.data()["pagination"]["total"], 1);
}

#[tokio::test]
async fn the_match_is_stored_and_explained() {
    let w = world().await;
    let app = &w.app;
    call(
        app,
        Method::POST,
        "/api/v1/users/me/skills",
        &w.cora.token,
        Some(json!({"name": "Rust", "level": 4})),
    )
    .await
    .expect(201);
    call(
        app,
        Method::PATCH,
        "/api/v1/users/me",
        &w.cora.token,
        Some(json!({"experience_level": "mid"})),
    )
    .await
    .expect(200);
    call(
        app,
        Method::PUT,
        "/api/v1/users/me/cv",
        &w.cora.token,
        Some(json!({"cv_text": "I like Java."})),
    )
    .await
    .expect(200);
    // The resume text given with the application stands in for the profile CV.
    let res = apply(
        app,
        &w.cora.token,
        &w.job,
        json!({"answers": {"visa": false, "shift": "early"}, "resume_text": "Ten years of Postgres."}),
    )
    .await;
    res.expect(201);
    let m = &res.data()["match"];
    assert_eq!(m["level_fit"], "exact");
    let matched: Vec<(String, String)> = m["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["skill"].as_str().unwrap().to_owned(),
                s["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(matched.contains(&("Rust".into(), "profile".into())), "{m}");
    assert!(matched.contains(&("PostgreSQL".into(), "cv".into())), "{m}");
    let score = m["score"].as_i64().unwrap();
    assert!(score > 0 && score <= 100);
    let id = res.data()["id"].as_str().unwrap().to_owned();

    // Without resume_text the profile CV is used: no PostgreSQL there.
    let bo = register(app, "bobby").await;
    call(
        app,
        Method::PUT,
        "/api/v1/users/me/cv",
        &bo.token,
        Some(json!({"cv_text": "PostgreSQL daily."})),
    )
    .await
    .expect(200);
    let res = apply(app, &bo.token, &w.job, good_answers()).await;
    let m2 = res.data()["match"].clone();
    assert_eq!(m2["missing"][0]["skill"], "Rust");
    let bo_score = m2["score"].as_i64().unwrap();
    assert!(bo_score < score);

    // Members see the same stored explanation; sort by match puts cora first.
    let res = call(
        app,
        Method::GET,
        &format!("/api/v1/applications/{id}"),
        &w.ivan.token,
        None,
    )
    .await;
    assert_eq!(&res.data()["match"], m);
    assert_eq!(res.data()["resume_text"], "Ten years of Postgres.");
    assert_eq!(res.data()["answers"]["shift"], "early");
    let res = call(
        app,
        Method::GET,
        &format!("/api/v1/jobs/{}/applications?sort=match", w.job),
        &w.rita.token,
        None,
    )
    .await;
    let scores: Vec<i64> = res.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["match_score"].as_i64().unwrap())
        .collect();
    assert_eq!(scores, [score, bo_score]);
    let res = call(
        app,
        Method::GET,
        &format!("/api/v1/jobs/{}/applications?sort=newest", w.job),
        &w.rita.token,
        None,
    )
    .await;
    assert_eq!(res.data()["items"][0]["candidate"]["username"], "bobby");
    call(
        app,
        Method::GET,
        &format!("/api/v1/jobs/{}/applications?sort=best", w.job),
        &w.rita.token,
        None,
    )
    .await
    .expect_error(400, "INVALID_QUERY");
}

#[tokio::test]
async fn the_pipeline_end_to_end() {
    let w = world().await;
    let app = &w.app;
    let res = apply(app, &w.cora.token, &w.job, good_answers()).await;
    res.expect(201);
    let id = res.data()["id"].as_str().unwrap().to_owned();
    let app_path = format!("/api/v1/applications/{id}");

    // The hiring team (owner, recruiter; not the interviewer) hear of it by mail and in-app.
    for who in ["ada", "rita"] {
        let (subject, body) = mail_to(app, who, "New application: Backend Engineer").await;
        assert!(body.contains("cora Person applied"), "{subject}: {body}");
        assert!(
            body.contains("/applications/"),
            "the mail links the application: {body}"
        );
        // One mail per event: the notice is the only path (no second, direct mail).
        let n = app
            .outbox(&email(who))
            .await
            .into_iter()
            .filter(|m| m.subject.contains("New application"))
            .count();
        assert_eq!(n, 1, "{who} got {n} mails for one application");
    }
    let ada = w.ada.token.clone();
    wait_until("ada's notification", || {
        let ada = ada.clone();
        async move {
            let res = call(app, Method::GET, "/api/v1/notifications", &ada, None).await;
            res.data()["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|n| n["kind"] == "hiring.new_application"))
        }
    })
    .await;
    assert!(
        !app.outbox(&email("ivan"))
            .await
            .iter()
            .any(|m| m.subject.contains("New application"))
    );

    // Authorisation matrix for reading.
    let list = format!("/api/v1/jobs/{}/applications", w.job);
    for tok in [&w.ada.token, &w.rita.token, &w.ivan.token] {
        let res = call(app, Method::GET, &list, tok, None).await;
        res.expect(200);
        assert_eq!(res.data()["pagination"]["total"], 1);
        call(app, Method::GET, &app_path, tok, None)
            .await
            .expect(200);
        call(app, Method::GET, &format!("{app_path}/notes"), tok, None)
            .await
            .expect(200);
        call(
            app,
            Method::GET,
            &format!("{app_path}/scorecards"),
            tok,
            None,
        )
        .await
        .expect(200);
    }
    for tok in [&w.olga.token, &w.cora.token] {
        call(app, Method::GET, &list, tok, None)
            .await
            .expect_error(404, "NOT_FOUND");
        call(app, Method::GET, &format!("{app_path}/notes"), tok, None)
            .await
            .expect_error(404, "NOT_FOUND");
        call(
            app,
            Method::GET,
            &format!("{app_path}/scorecards"),
            tok,
            None,
        )
        .await
        .expect_error(404, "NOT_FOUND");
        call(
            app,
            Method::GET,
            &format!("/api/v1/jobs/{}/stuck", w.job),
            tok,
            None,
        )
        .await
        .expect_error(404, "NOT_FOUND");
    }
    call(app, Method::GET, &app_path, &w.olga.token, None)
        .await
        .expect_error(404, "NOT_FOUND");
    call(app, Method::GET, &app_path, "", None)
        .await
        .expect(401);

    // Move: interviewers may not, outsiders do not see it, the stage must be the job's.
    let st = stages(app, &w.ada.token, &w.job).await;
    let interview = st[2].0.clone();
    let mv = format!("{app_path}/move");
    call(
        app,
        Method::POST,
        &mv,
        &w.ivan.token,
        Some(json!({"stage_id": interview})),
    )
    .await
    .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    call(
        app,
        Method::POST,
        &mv,
        &w.olga.token,
        Some(json!({"stage_id": interview})),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    call(
        app,
        Method::POST,
        &mv,
        &w.cora.token,
        Some(json!({"stage_id": interview})),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    let acme = company_of(app, &w.job).await;
    let other_job = create_job(app, &w.ada.token, job(&acme)).await;
    let foreign = stages(app, &w.ada.token, &other_job).await[2].0.clone();
    let res = call(
        app,
        Method::POST,
        &mv,
        &w.rita.token,
        Some(json!({"stage_id": foreign})),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["stage_id"]);
    let res = call(app, Method::POST, &mv, &w.rita.token, Some(json!({}))).await;
    assert_eq!(res.error_fields(), ["stage_id"]);
    let res = call(
        app,
        Method::POST,
        &mv,
        &w.rita.token,
        Some(json!({"stage_id": interview})),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["stage"]["name"], "interview");
    mail_to(app, "cora", "moved to the interview stage").await;
    let cora = w.cora.token.clone();
    wait_until("cora's notification", || {
        let cora = cora.clone();
        async move {
            let res = call(app, Method::GET, "/api/v1/notifications", &cora, None).await;
            res.data()["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|n| n["kind"] == "hiring.status_changed"))
        }
    })
    .await;
    let res = call(
        app,
        Method::GET,
        &format!("{list}?stage=interview"),
        &w.ivan.token,
        None,
    )
    .await;
    assert_eq!(res.data()["pagination"]["total"], 1);
    let res = call(
        app,
        Method::GET,
        &format!("{list}?stage={}", st[1].0),
        &w.ivan.token,
        None,
    )
    .await;
    assert_eq!(res.data()["pagination"]["total"], 0);
    call(
        app,
        Method::GET,
        &format!("{list}?stage=nowhere"),
        &w.ivan.token,
        None,
    )
    .await
    .expect_error(400, "INVALID_QUERY");

    // Notes: members only (interviewers too).
    let notes = format!("{app_path}/notes");
    call(
        app,
        Method::POST,
        &notes,
        &w.ivan.token,
        Some(json!({"body": "Strong systems answers"})),
    )
    .await
    .expect(201);
    let res = call(
        app,
        Method::POST,
        &notes,
        &w.rita.token,
        Some(json!({"body": " "})),
    )
    .await;
    assert_eq!(res.error_fields(), ["body"]);
    call(
        app,
        Method::POST,
        &notes,
        &w.olga.token,
        Some(json!({"body": "x"})),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    call(
        app,
        Method::POST,
        &notes,
        &w.cora.token,
        Some(json!({"body": "x"})),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    let res = call(app, Method::GET, &notes, &w.ada.token, None).await;
    assert_eq!(res.data()[0]["body"], "Strong systems answers");
    assert_eq!(res.data()[0]["author"]["username"], "ivan");

    // Reject: a reason from the list is required; interviewers may not.
    let rj = format!("{app_path}/reject");
    let res = call(app, Method::POST, &rj, &w.rita.token, Some(json!({}))).await;
    assert_eq!(res.error_fields(), ["reason"]);
    let res = call(
        app,
        Method::POST,
        &rj,
        &w.rita.token,
        Some(json!({"reason": "vibes"})),
    )
    .await;
    assert_eq!(res.error_fields(), ["reason"]);
    call(
        app,
        Method::POST,
        &rj,
        &w.ivan.token,
        Some(json!({"reason": "skills"})),
    )
    .await
    .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    call(
        app,
        Method::POST,
        &rj,
        &w.olga.token,
        Some(json!({"reason": "skills"})),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    let res = call(
        app,
        Method::POST,
        &rj,
        &w.rita.token,
        Some(json!({"reason": "skills", "note": "needs more Rust"})),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["status"], "rejected");
    assert_eq!(res.data()["reject_reason"], "skills");
    assert_eq!(res.data()["reject_note"], "needs more Rust");
    mail_to(app, "cora", "Thank you for your interest").await;
    call(
        app,
        Method::POST,
        &rj,
        &w.rita.token,
        Some(json!({"reason": "skills"})),
    )
    .await
    .expect_error(409, "APPLICATION_CLOSED");
    call(
        app,
        Method::POST,
        &mv,
        &w.rita.token,
        Some(json!({"stage_id": st[3].0})),
    )
    .await
    .expect_error(409, "APPLICATION_CLOSED");
    call(
        app,
        Method::POST,
        &format!("{app_path}/withdraw"),
        &w.cora.token,
        None,
    )
    .await
    .expect_error(409, "APPLICATION_CLOSED");

    // The member timeline has everything, with who did it.
    let res = call(app, Method::GET, &app_path, &w.ada.token, None).await;
    let tl = res.data()["timeline"].as_array().unwrap();
    let kinds: Vec<&str> = tl.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["applied", "moved", "note_added", "rejected"]);
    assert_eq!(tl[1]["actor"]["username"], "rita");
    assert_eq!(tl[1]["data"]["from"], "applied");
    assert_eq!(tl[1]["data"]["to"], "interview");
    assert_eq!(tl[3]["data"]["reason"], "skills");
    // The candidate sees their status changes only, without names or reasons.
    let res = call(app, Method::GET, &app_path, &w.cora.token, None).await;
    res.expect(200);
    let tl = res.data()["timeline"].as_array().unwrap();
    let kinds: Vec<&str> = tl.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["applied", "moved", "rejected"]);
    assert!(tl.iter().all(|e| e.get("actor").is_none()));
    assert!(tl[2]["data"].get("reason").is_none());
    for hidden in [
        "answers",
        "reject_reason",
        "reject_note",
        "resume_text",
        "candidate",
    ] {
        assert!(res.data().get(hidden).is_none(), "{hidden}");
    }
    assert!(
        res.data()["message"]
            .as_str()
            .unwrap()
            .starts_with("Thank you for your interest")
    );

    // My applications, with the job and company.
    let res = call(
        app,
        Method::GET,
        "/api/v1/users/me/applications",
        &w.cora.token,
        None,
    )
    .await;
    res.expect(200);
    let item = &res.data()["items"][0];
    assert_eq!(item["status"], "rejected");
    assert_eq!(item["stage"]["name"], "interview");
    assert_eq!(item["job"]["title"], "Backend Engineer");
    assert_eq!(item["job"]["company"]["name"], "Acme");
    call(app, Method::GET, "/api/v1/users/me/applications", "", None)
        .await
        .expect(401);

    // Withdraw: only one's own, active application.
    let res = apply(app, &w.cora.token, &other_job, good_answers()).await;
    let second = res.data()["id"].as_str().unwrap().to_owned();
    call(
        app,
        Method::POST,
        &format!("/api/v1/applications/{second}/withdraw"),
        &w.rita.token,
        None,
    )
    .await
    .expect_error(404, "NOT_FOUND");
    let res = call(
        app,
        Method::POST,
        &format!("/api/v1/applications/{second}/withdraw"),
        &w.cora.token,
        None,
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["status"], "withdrawn");
    let res = call(
        app,
        Method::GET,
        "/api/v1/users/me/applications?limit=1",
        &w.cora.token,
        None,
    )
    .await;
    assert_eq!(res.data()["pagination"]["total"], 2);
    assert_eq!(res.data()["items"][0]["status"], "withdrawn");
    let res = call(
        app,
        Method::GET,
        &format!("{list}?status=rejected"),
        &w.ada.token,
        None,
    )
    .await;
    assert_eq!(res.data()["pagination"]["total"], 1);
}

#[tokio::test]
async fn interviewers_see_scorecards_after_their_own() {
    let w = world().await;
    let app = &w.app;
    let res = apply(app, &w.cora.token, &w.job, good_answers()).await;
    let id = res.data()["id"].as_str().unwrap().to_owned();
    let sc = format!("/api/v1/applications/{id}/scorecards");
    let card = json!({"ratings": {"Rust": 4, "Communication": 3}, "recommendation": "strong_yes", "notes": "Great"});

    // Validation.
    for (body, field) in [
        (json!({"recommendation": "yes"}), "ratings"),
        (json!({"ratings": {}, "recommendation": "yes"}), "ratings"),
        (
            json!({"ratings": {"Rust": 5}, "recommendation": "yes"}),
            "ratings.Rust",
        ),
        (
            json!({"ratings": {"Rust": 0}, "recommendation": "yes"}),
            "ratings.Rust",
        ),
        (
            json!({"ratings": {"Rust": "4"}, "recommendation": "yes"}),
            "ratings.Rust",
        ),
        (json!({"ratings": {"Rust": 2}}), "recommendation"),
        (
            json!({"ratings": {"Rust": 2}, "recommendation": "maybe"}),
            "recommendation",
        ),
    ] {
        let res = call(app, Method::POST, &sc, &w.rita.token, Some(body.clone())).await;
        res.expect_error(422, "VALIDATION_ERROR");
        assert_eq!(res.error_fields(), [field], "{body}");
    }
    for tok in [&w.olga.token, &w.cora.token] {
        call(app, Method::POST, &sc, tok, Some(card.clone()))
            .await
            .expect_error(404, "NOT_FOUND");
    }

    let res = call(app, Method::POST, &sc, &w.rita.token, Some(card.clone())).await;
    res.expect(201);
    assert_eq!(res.data()["ratings"]["Rust"], 4);
    assert_eq!(res.data()["interviewer"]["username"], "rita");
    call(app, Method::POST, &sc, &w.rita.token, Some(card.clone()))
        .await
        .expect_error(409, "SCORECARD_EXISTS");

    // The interviewer sees nothing of the others before submitting.
    let res = call(app, Method::GET, &sc, &w.ivan.token, None).await;
    res.expect(200);
    assert_eq!(res.data()["items"].as_array().unwrap().len(), 0);
    assert_eq!(res.data()["hidden"], 1);
    // The owner sees all.
    let res = call(app, Method::GET, &sc, &w.ada.token, None).await;
    assert_eq!(res.data()["items"].as_array().unwrap().len(), 1);
    call(
        app,
        Method::POST,
        &sc,
        &w.ivan.token,
        Some(json!({"ratings": {"Rust": 2}, "recommendation": "no"})),
    )
    .await
    .expect(201);
    let res = call(app, Method::GET, &sc, &w.ivan.token, None).await;
    assert_eq!(res.data()["items"].as_array().unwrap().len(), 2);
    assert_eq!(res.data()["hidden"], 0);
    let res = call(
        app,
        Method::GET,
        &format!("/api/v1/applications/{id}"),
        &w.ada.token,
        None,
    )
    .await;
    let kinds: Vec<&str> = res.data()["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["applied", "scorecard_submitted", "scorecard_submitted"]
    );
}

#[tokio::test]
async fn stuck_applications_and_pipeline_activity() {
    let w = world().await;
    let app = &w.app;
    let a = apply(app, &w.cora.token, &w.job, good_answers()).await;
    let first = a.data()["id"].as_str().unwrap().to_owned();
    let bo = register(app, "bobby").await;
    let b = apply(app, &bo.token, &w.job, good_answers()).await;
    let second = b.data()["id"].as_str().unwrap().to_owned();
    let kim = register(app, "kim").await;
    let k = apply(app, &kim.token, &w.job, good_answers()).await;
    let third = k.data()["id"].as_str().unwrap().to_owned();
    let stuck = format!("/api/v1/jobs/{}/stuck", w.job);
    let res = call(app, Method::GET, &stuck, &w.rita.token, None).await;
    res.expect(200);
    assert_eq!(res.data().as_array().unwrap().len(), 0);

    app.advance(chrono::Duration::days(31));
    let rita = login(app, "rita").await;
    let ada = login(app, "ada").await;
    let res = app.get(&format!("/api/v1/jobs/{}", w.job)).await;
    assert_eq!(res.data()["stale"], true);
    let st = stages(app, &ada, &w.job).await;
    call(
        app,
        Method::POST,
        &format!("/api/v1/applications/{first}/move"),
        &rita,
        Some(json!({"stage_id": st[1].0})),
    )
    .await
    .expect(200);
    call(
        app,
        Method::POST,
        &format!("/api/v1/applications/{third}/reject"),
        &rita,
        Some(json!({"reason": "other"})),
    )
    .await
    .expect(200);
    // Moving bumped the job's pipeline activity.
    let res = app.get(&format!("/api/v1/jobs/{}", w.job)).await;
    assert_eq!(res.data()["stale"], false);

    // Default 7 days: only the untouched, active one.
    let res = call(app, Method::GET, &stuck, &rita, None).await;
    let ids: Vec<&str> = res
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str()]);
    assert_eq!(res.data()[0]["days_in_stage"], 31);
    let res = call(app, Method::GET, &format!("{stuck}?days=40"), &rita, None).await;
    assert_eq!(res.data().as_array().unwrap().len(), 0);
    app.advance(chrono::Duration::days(8));
    let ivan = login(app, "ivan").await;
    let res = call(app, Method::GET, &stuck, &ivan, None).await;
    assert_eq!(res.data().as_array().unwrap().len(), 2);
    for bad in ["0", "366", "x"] {
        call(
            app,
            Method::GET,
            &format!("{stuck}?days={bad}"),
            &ivan,
            None,
        )
        .await
        .expect_error(400, "INVALID_QUERY");
    }
    // The per-job setting: editors change it (1–365), members see it, the public does not.
    let rita = login(app, "rita").await;
    let job_url = format!("/api/v1/jobs/{}", w.job);
    for bad in [json!(0), json!(366), json!("soon")] {
        let res = call(
            app,
            Method::PATCH,
            &job_url,
            &rita,
            Some(json!({"stuck_after_days": bad})),
        )
        .await;
        assert_eq!(res.status, 422, "{bad}: {}", res.text);
    }
    let res = call(
        app,
        Method::PATCH,
        &job_url,
        &rita,
        Some(json!({"stuck_after_days": 30})),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["stuck_after_days"], 30);
    assert!(
        app.get(&job_url)
            .await
            .data()
            .get("stuck_after_days")
            .is_none()
    );
    let res = call(app, Method::GET, &stuck, &ivan, None).await;
    assert_eq!(res.data().as_array().unwrap().len(), 1);
    // null restores the default of 7 days.
    let res = call(
        app,
        Method::PATCH,
        &job_url,
        &rita,
        Some(json!({"stuck_after_days": null})),
    )
    .await;
    assert_eq!(res.data()["stuck_after_days"], 7);
    let res = call(app, Method::GET, &stuck, &ivan, None).await;
    assert_eq!(res.data().as_array().unwrap().len(), 2);
}

/// The employer's response rate in listings and on the job page, and the kernel events that
/// applications, moves, rejections and withdrawals publish.
#[tokio::test]
async fn response_rate_and_pipeline_events() {
    let w = world().await;
    let app = &w.app;
    let mut events = app.state.bus.subscribe();
    let job_url = format!("/api/v1/jobs/{}", w.job);
    // No applications yet: no rate.
    assert!(app.get(&job_url).await.data()["response_rate"].is_null());

    let mut ids = Vec::new();
    for name in ["cora2", "bea", "cal", "dee"] {
        let u = register(app, name).await;
        let res = apply(app, &u.token, &w.job, good_answers()).await;
        res.expect(201);
        ids.push((res.data()["id"].as_str().unwrap().to_owned(), u));
    }
    // A knockout answer (visa sponsorship needed) is not counted either way.
    let ko = register(app, "kay").await;
    let res = apply(
        app,
        &ko.token,
        &w.job,
        json!({"answers": {"visa": true, "years": 4, "shift": "early", "why": "x"}}),
    )
    .await;
    res.expect(201);
    assert_eq!(res.data()["status"], "rejected");
    assert_eq!(app.get(&job_url).await.data()["response_rate"], 0.0);

    let st = stages(app, &w.ada.token, &w.job).await;
    call(
        app,
        Method::POST,
        &format!("/api/v1/applications/{}/move", ids[0].0),
        &w.rita.token,
        Some(json!({"stage_id": st[1].0})),
    )
    .await
    .expect(200);
    call(
        app,
        Method::POST,
        &format!("/api/v1/applications/{}/reject", ids[1].0),
        &w.rita.token,
        Some(json!({"reason": "skills"})),
    )
    .await
    .expect(200);
    call(
        app,
        Method::POST,
        &format!("/api/v1/applications/{}/withdraw", ids[2].0),
        &ids[2].1.token,
        None,
    )
    .await
    .expect(200);
    // Acted on 2 of the 3 that count (the withdrawn one and the knockout are left out).
    assert_eq!(app.get(&job_url).await.data()["response_rate"], 0.67);
    let res = app.get("/api/v1/jobs?q=rust").await;
    res.expect(200);
    let listed = res.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == w.job.as_str())
        .cloned()
        .expect("the job is listed");
    assert_eq!(listed["response_rate"], 0.67);

    // Events, in order, with who and what.
    let mut seen = Vec::new();
    while seen.len() < 9 {
        let e = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("an event")
            .expect("the bus is open");
        if e.topic.starts_with("hiring.application.") {
            seen.push(e);
        }
    }
    let topics: Vec<&str> = seen.iter().map(|e| e.topic.as_str()).collect();
    assert_eq!(
        topics,
        [
            "hiring.application.created",
            "hiring.application.created",
            "hiring.application.created",
            "hiring.application.created",
            "hiring.application.created",
            "hiring.application.rejected",
            "hiring.application.stage_changed",
            "hiring.application.rejected",
            "hiring.application.withdrawn",
        ]
    );
    let moved = &seen[6].payload;
    assert_eq!(moved["application_id"], ids[0].0.as_str());
    assert_eq!(moved["job_id"], w.job.as_str());
    assert_eq!(moved["stage_id"], st[1].0.as_str());
    assert_eq!(moved["actor_id"], w.rita.id.as_str());
    assert_eq!(moved["candidate_id"], ids[0].1.id.as_str());
    assert_eq!(seen[8].payload["status"], "withdrawn");
}

#[tokio::test]
async fn bulk_reject_is_all_or_nothing_and_skips_closed_ones() {
    let w = world().await;
    let app = &w.app;
    let dan = register(app, "dan").await;
    let eve = register(app, "eve").await;
    let mut ids = Vec::new();
    for who in [&w.cora, &dan, &eve] {
        let res = apply(app, &who.token, &w.job, good_answers()).await;
        res.expect(201);
        ids.push(res.data()["id"].as_str().unwrap().to_owned());
    }
    // An application to another job of the same company is foreign to this one.
    let acme = company_of(app, &w.job).await;
    let other_job = create_job(app, &w.ada.token, job(&acme)).await;
    let res = apply(app, &w.cora.token, &other_job, good_answers()).await;
    res.expect(201);
    let foreign = res.data()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/jobs/{}/applications/reject", w.job);
    async fn status(app: &TestApp, tok: &str, id: &str) -> String {
        let res = call(
            app,
            Method::GET,
            &format!("/api/v1/applications/{id}"),
            tok,
            None,
        )
        .await;
        res.expect(200);
        res.data()["status"].as_str().unwrap().to_owned()
    }

    // Validation: a reason from the list, at least one id, at most 200.
    let res = call(
        app,
        Method::POST,
        &path,
        &w.rita.token,
        Some(json!({"application_ids": [ids[0]]})),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["reason"]);
    let res = call(
        app,
        Method::POST,
        &path,
        &w.rita.token,
        Some(json!({"application_ids": [], "reason": "skills"})),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["application_ids"]);
    let many: Vec<String> = (0..201).map(|_| uuid_like().to_owned()).collect();
    let res = call(
        app,
        Method::POST,
        &path,
        &w.rita.token,
        Some(json!({"application_ids": many, "reason": "skills"})),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["application_ids"]);

    // A foreign id refuses the whole request, naming the entry; nothing changes.
    let res = call(
        app,
        Method::POST,
        &path,
        &w.rita.token,
        Some(json!({"application_ids": [ids[0], foreign, uuid_like()], "reason": "skills"})),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(
        res.error_fields(),
        ["application_ids[1]", "application_ids[2]"]
    );
    assert_eq!(status(app, &w.ada.token, &ids[0]).await, "active");
    assert_eq!(status(app, &w.ada.token, &foreign).await, "active");

    // Outsiders and the candidate: 404; an interviewer: 403; anonymous: 401.
    let body = json!({"application_ids": [ids[0]], "reason": "skills"});
    for tok in [&w.olga.token, &w.cora.token] {
        call(app, Method::POST, &path, tok, Some(body.clone()))
            .await
            .expect_error(404, "NOT_FOUND");
    }
    call(app, Method::POST, &path, &w.ivan.token, Some(body.clone()))
        .await
        .expect_error(403, "FORBIDDEN_COMPANY_ROLE");
    call(app, Method::POST, &path, "", Some(body.clone()))
        .await
        .expect(401);
    assert_eq!(status(app, &w.ada.token, &ids[0]).await, "active");

    // Success: both rejected, as a single rejection would (timeline, reason, candidate told).
    let res = call(
        app,
        Method::POST,
        &path,
        &w.rita.token,
        Some(json!({"application_ids": [ids[0], ids[1], ids[0]], "reason": "skills", "note": "Needs more Rust"})),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["rejected"], json!([ids[0], ids[1]]));
    assert_eq!(res.data()["skipped"], json!([]));
    let res = call(
        app,
        Method::GET,
        &format!("/api/v1/applications/{}", ids[1]),
        &w.ada.token,
        None,
    )
    .await;
    assert_eq!(res.data()["status"], "rejected");
    assert_eq!(res.data()["reject_reason"], "skills");
    assert_eq!(res.data()["reject_note"], "Needs more Rust");
    let timeline = res.data()["timeline"].as_array().unwrap();
    let last = timeline.last().unwrap();
    assert_eq!(
        (last["kind"].as_str(), last["data"]["reason"].as_str()),
        (Some("rejected"), Some("skills"))
    );
    assert_eq!(last["actor"]["username"], "rita");
    mail_to(app, "dan", "not to move forward").await;
    // The candidate sees the kind message, not the reason.
    let res = call(
        app,
        Method::GET,
        &format!("/api/v1/applications/{}", ids[0]),
        &w.cora.token,
        None,
    )
    .await;
    assert_eq!(res.data()["status"], "rejected");
    assert!(res.data().get("reject_reason").is_none());

    // Repeating is harmless: closed ones are skipped, the rest rejected.
    let res = call(
        app,
        Method::POST,
        &path,
        &w.ada.token,
        Some(json!({"application_ids": [ids[0], ids[2]], "reason": "position_filled"})),
    )
    .await;
    res.expect(200);
    assert_eq!(res.data()["rejected"], json!([ids[2]]));
    assert_eq!(res.data()["skipped"], json!([ids[0]]));
    assert_eq!(status(app, &w.ada.token, &ids[2]).await, "rejected");
    assert_eq!(status(app, &w.ada.token, &foreign).await, "active");
}

/// The member view carries the rules the candidate drawer shows, worked out by the service:
/// whether the viewer may move and reject (a recruiter yes, an interviewer no) and which
/// screening answer was a knockout. The candidate sees no answer review.
#[tokio::test]
async fn the_member_view_says_who_may_move_and_marks_knockouts() {
    let w = world().await;
    let app = &w.app;
    let answers = json!({"answers": {"visa": true, "years": 4, "shift": "early", "why": "Rust!"}});
    let res = apply(app, &w.cora.token, &w.job, answers).await;
    res.expect(201);
    assert_eq!(res.data()["status"], "rejected");
    assert_eq!(res.data()["can_move"], false);
    assert!(res.data().get("answer_review").is_none());
    let url = format!(
        "/api/v1/applications/{}",
        res.data()["id"].as_str().unwrap()
    );

    let rita = call(app, Method::GET, &url, &w.rita.token, None).await;
    rita.expect(200);
    assert_eq!(rita.data()["can_move"], true);
    let review = rita.data()["answer_review"].as_array().unwrap().clone();
    let ids: Vec<&str> = review
        .iter()
        .map(|r| r["question_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["visa", "years", "shift", "why"]);
    for r in &review {
        let knockout = r["question_id"] == "visa";
        assert_eq!(r["knockout"], knockout, "{r}");
        assert_eq!(r["still_asked"], true, "{r}");
    }
    assert_eq!(review[0]["answer"], true);
    assert!(
        review[0]["question"]
            .as_str()
            .is_some_and(|q| !q.is_empty())
    );

    let ivan = call(app, Method::GET, &url, &w.ivan.token, None).await;
    ivan.expect(200);
    assert_eq!(ivan.data()["can_move"], false);
    assert_eq!(ivan.data()["answer_review"], rita.data()["answer_review"]);

    let cora = call(app, Method::GET, &url, &w.cora.token, None).await;
    cora.expect(200);
    assert_eq!(cora.data()["can_move"], false);
    assert!(cora.data().get("answer_review").is_none());
}
