#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The candidate hiring pages driven as a browser without JavaScript: job search with filters
//! and pagination, the job page (signed out, "how you match", save, apply with every question
//! kind, inline errors, conflicts, knockouts, closed jobs), saved jobs, my applications with the
//! candidate's timeline and withdrawal, public company pages, and CSRF. Effects are checked
//! through the JSON API.

use crate::common;
use common::*;

use reqwest::Method;
use serde_json::{Value, json};
use vertechie_kernel::testkit::{Browser, TestApp, TestResponse};
use vertechie_server::testing::spawn;

// ---- helpers ----

async fn signed_in(app: &TestApp, username: &str) -> (User, Browser) {
    let u = register(app, username).await;
    let b = app.browser();
    b.sign_in(&format!("{username}@example.com"), PASSWORD)
        .await;
    (u, b)
}

async fn api(app: &TestApp, method: Method, path: &str, tok: &str, body: Option<Value>) -> Value {
    let res = call(app, method, path, tok, body).await;
    assert!(
        (200..300).contains(&res.status),
        "{path}: {} {}",
        res.status,
        res.text
    );
    res.data().clone()
}

#[track_caller]
fn redirected(res: &TestResponse, to: &str) {
    assert_eq!(
        (res.status, res.header("location")),
        (303, Some(to)),
        "expected a redirect to {to}: {}",
        res.text
    );
}

#[track_caller]
fn ok(res: &TestResponse) -> &str {
    assert_eq!(res.status, 200, "{}", res.text);
    &res.text
}

/// Follows a redirect and returns the page (with its flash message).
async fn follow(b: &Browser, res: &TestResponse) -> TestResponse {
    assert_eq!(res.status, 303, "not a redirect: {}", res.text);
    b.get(res.header("location").unwrap()).await
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

/// The HTML of the element with this id, up to the end of its section.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap()]
}

/// A company "Acme" (owner ada, recruiter rita) with a profile, and its open job from
/// `common::job` (questions: visa yes_no knockout=yes, years number, shift single_choice
/// knockout=late, why text).
struct World {
    app: TestApp,
    ada: User,
    rita: User,
    company: String,
    job: String,
}

async fn world() -> World {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let rita = register(&app, "rita").await;
    let company = company(&app, &ada, "Acme").await;
    add_member(&app, &ada, &company, &rita, "recruiter").await;
    api(
        &app,
        Method::PATCH,
        &format!("/api/v1/companies/{company}"),
        &ada.token,
        Some(json!({"website": "https://acme.example", "about": "We make anvils.\n\nAnd <b>rockets</b>.",
                    "industry": "Manufacturing", "location": "Berlin", "size": "51-200"})),
    )
    .await;
    let job = create_job(&app, &ada.token, common::job(&company)).await;
    World {
        app,
        ada,
        rita,
        company,
        job,
    }
}

fn good_answers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("q_visa", "no"),
        ("q_years", "4"),
        ("q_shift", "early"),
        ("q_why", "I like <Rust> & \"types\""),
        ("cover_letter", "Dear Acme,\nhire me."),
        ("resume_text", ""),
    ]
}

/// The id in a `/applications/{id}` redirect.
fn app_id(res: &TestResponse) -> String {
    let loc = res.header("location").unwrap();
    assert!(loc.starts_with("/applications/"), "{loc}");
    loc.trim_start_matches("/applications/").to_owned()
}

// ---- search ----

#[tokio::test]
async fn search_filters_counts_and_pages() {
    let w = world().await;
    let (app, ada) = (&w.app, &w.ada);
    let frontend = create_job(
        app,
        &ada.token,
        with(
            common::job(&w.company),
            json!({"title": "Frontend Developer", "remote": "remote", "location": "Lisbon",
                   "skills": [{"name": "TypeScript", "weight": 4}], "salary_min": 4_000_000,
                   "salary_max": 5_000_000, "experience_level": "junior"}),
        ),
    )
    .await;
    create_job(
        app,
        &ada.token,
        with(
            common::job(&w.company),
            json!({"title": "Secret Draft Role", "status": "draft"}),
        ),
    )
    .await;
    for i in 0..20 {
        create_job(
            app,
            &ada.token,
            with(
                common::job(&w.company),
                json!({"title": format!("Data Engineer {i}"), "remote": "remote", "location": "Anywhere",
                       "skills": [{"name": "Python"}], "salary_min": null, "salary_max": null,
                       "currency": null}),
            ),
        )
        .await;
    }
    let b = app.browser();

    // Everything open: 22 jobs, 20 per page, the draft nowhere.
    let res = b.get("/jobs").await;
    let html = ok(&res);
    assert!(html.contains("22 jobs"), "{html}");
    assert_eq!(count(html, "class=\"card jobs-result\""), 20);
    assert!(html.contains("rel=\"next\" href=\"/jobs?page=2\""));
    assert!(!html.contains("Secret Draft"));
    // The page loads the hiring styles, and they hold the candidate pages' section.
    let at = html
        .find("href=\"/static/css/hiring.")
        .expect("hiring.css linked");
    let href = html[at + 6..].split('"').next().unwrap().to_owned();
    let css = b.get(&href).await;
    assert_eq!(css.status, 200);
    assert!(css.text.contains(".jobs-result"));

    // Filters and their count; pagination keeps them.
    let html = b.get("/jobs?remote=remote").await.text;
    assert!(html.contains("21 jobs"), "{html}");
    assert!(
        html.contains("href=\"/jobs?remote=remote&#38;page=2\""),
        "{html}"
    );
    assert!(html.contains("<option value=\"remote\" selected>"));
    let html = b.get("/jobs?remote=remote&page=2").await.text;
    assert_eq!(count(&html, "class=\"card jobs-result\""), 1);
    assert!(html.contains("rel=\"prev\" href=\"/jobs?remote=remote\""));

    // Words and place: the card shows what a candidate compares.
    let html = b.get("/jobs?q=backend&location=berlin").await.text;
    assert!(html.contains("1 job<") || html.contains("1 job "), "{html}");
    let card = &html[html.find("class=\"card jobs-result\"").unwrap()..];
    for want in [
        &format!("href=\"/jobs/{}\"", w.job),
        "Backend Engineer",
        "href=\"/companies/acme\"",
        "€60,000 – €80,000",
        "Hybrid",
        "Berlin",
        "Full-time",
        "Mid-level",
        "<li class=\"tag word-break\">Rust</li>",
        "Posted <time",
        "today",
    ] {
        assert!(card.contains(want), "card lacks {want}: {card}");
    }
    // No applications yet: no response rate, and no "null" either.
    assert!(!card.contains("Responds to"));
    assert!(!card.contains("null"));
    assert!(!html.contains("Frontend Developer"));

    // Salary in whole units, skills with synonyms, level, sort.
    let html = b.get("/jobs?salary_min=70000").await.text;
    assert!(
        html.contains("1 job") && html.contains("Backend Engineer"),
        "{html}"
    );
    assert!(!html.contains("Frontend Developer"));
    let html = b.get("/jobs?skill=TS").await.text;
    assert!(
        html.contains("1 job") && html.contains("Frontend Developer"),
        "{html}"
    );
    assert!(html.contains(&format!("/jobs/{frontend}")));
    let html = b.get("/jobs?level=junior&sort=salary").await.text;
    assert!(
        html.contains("1 job") && html.contains("Frontend Developer"),
        "{html}"
    );
    let html = b.get("/jobs?sort=salary&remote=").await.text;
    let (be, fe) = (
        html.find("Backend Engineer").unwrap(),
        html.find("Frontend Developer").unwrap(),
    );
    assert!(be < fe, "highest salary first");

    // Nothing found: an empty state, not an error.
    let res = b.get("/jobs?q=haskell").await;
    assert!(ok(&res).contains("No jobs match these filters"));

    // Bad filter values: a friendly 400 on the form, the typed value kept.
    let res = b.get("/jobs?salary_min=abc&q=rust").await;
    assert_eq!(res.status, 400, "{}", res.text);
    assert!(res.text.contains("must be an amount, like 60000"));
    assert!(res.text.contains("value=\"abc\""));
    assert!(res.text.contains("value=\"rust\""));
    let res = b.get("/jobs?remote=moon").await;
    assert_eq!(res.status, 400);
    assert!(res.text.contains("must be one of onsite, hybrid, remote"));
    let res = b.get("/jobs?posted_within=soon").await;
    assert_eq!(res.status, 400);
    assert!(res.text.contains("must be a whole number of days"));
    // An unreadable page number is the first page.
    assert_eq!(b.get("/jobs?page=abc").await.status, 200);
}

// ---- the job page ----

#[tokio::test]
async fn job_page_signed_out_offers_sign_in_only() {
    let w = world().await;
    let app = &w.app;
    let tricky = create_job(
        app,
        &w.ada.token,
        with(
            common::job(&w.company),
            json!({"title": "Escaping <Check>", "description": "First line\nsecond line\n\n<script>alert(1)</script> **bold**",
                   "screening_questions": []}),
        ),
    )
    .await;
    let b = app.browser();
    let res = b.get(&format!("/jobs/{}", w.job)).await;
    let html = ok(&res);
    for want in [
        "Backend Engineer",
        "<h3 class=\"jobs-text-heading word-break\">About</h3>",
        "We build *things*.",
        "Three years of experience",
        "€60,000 – €80,000",
        "Rust <span class=\"jobs-required-mark\">· required</span>",
        "PostgreSQL",
        &format!("href=\"/signin?next=%2Fjobs%2F{}\"", w.job),
        "Sign in to apply",
        "href=\"/companies/acme\"",
    ] {
        assert!(html.contains(want), "missing {want}");
    }
    assert!(!html.contains(&format!("action=\"/jobs/{}/apply", w.job)));
    assert!(!html.contains("q_visa"));
    assert!(!html.contains("/save\""), "no save form for visitors");
    assert!(!html.contains("jobs-score"), "no score for visitors");

    // Markdown is shown as text: escaped, paragraphs and line breaks kept.
    let html = b.get(&format!("/jobs/{tricky}")).await.text;
    assert!(html.contains("Escaping &#60;Check&#62;") || html.contains("Escaping &lt;Check&gt;"));
    assert!(html.contains("<p class=\"prose word-break\">First line\nsecond line</p>"));
    assert!(!html.contains("<script>alert(1)</script>"));

    // Unknown, malformed and draft jobs are the 404 page.
    let draft = create_job(
        app,
        &w.ada.token,
        with(common::job(&w.company), json!({"status": "draft"})),
    )
    .await;
    for path in [
        "/jobs/0195f0e0-0000-7000-8000-000000000000".to_owned(),
        "/jobs/not-a-uuid".to_owned(),
        format!("/jobs/{draft}"),
    ] {
        let res = b.get(&path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(res.text.contains("Page not found"));
    }
    // Members see their draft.
    let owner = app.browser();
    owner.sign_in("ada@example.com", PASSWORD).await;
    let html = owner.get(&format!("/jobs/{draft}")).await.text;
    assert!(html.contains("Draft (not published)"));
    assert!(!html.contains("Send application"));

    // Signed-out visitors who post are sent to sign in and back to the job.
    let res = b
        .post_form(&format!("/jobs/{}/apply", w.job), &good_answers())
        .await;
    redirected(&res, &format!("/signin?next=%2Fjobs%2F{}", w.job));
    let res = b.post_form(&format!("/jobs/{}/save", w.job), &[]).await;
    redirected(&res, &format!("/signin?next=%2Fjobs%2F{}", w.job));
}

#[tokio::test]
async fn match_panel_explains_the_score_like_the_api() {
    let w = world().await;
    let app = &w.app;
    let job = create_job(
        app,
        &w.ada.token,
        with(
            common::job(&w.company),
            json!({"skills": [{"name": "Rust", "weight": 5, "required": true},
                              {"name": "PostgreSQL", "weight": 3},
                              {"name": "Kubernetes", "weight": 2, "required": true},
                              {"name": "Terraform", "weight": 1}]}),
        ),
    )
    .await;
    let (cora, b) = signed_in(app, "cora").await;
    api(
        app,
        Method::POST,
        "/api/v1/users/me/skills",
        &cora.token,
        Some(json!({"name": "rust", "level": 4})),
    )
    .await;
    api(
        app,
        Method::PUT,
        "/api/v1/users/me/cv",
        &cora.token,
        Some(json!({"cv_text": "Five years with Postgres and Rust."})),
    )
    .await;
    api(
        app,
        Method::PATCH,
        "/api/v1/users/me",
        &cora.token,
        Some(json!({"experience_level": "mid"})),
    )
    .await;
    let m = api(
        app,
        Method::GET,
        &format!("/api/v1/jobs/{job}/match"),
        &cora.token,
        None,
    )
    .await;
    let score = m["score"].as_u64().unwrap();
    assert_eq!(score, 40, "capped by the missing required skill: {m}");

    let html = b.get(&format!("/jobs/{job}")).await.text;
    let panel = section(&html, "match-title");
    assert!(
        panel.contains(&format!("<strong>{score}</strong>")),
        "{panel}"
    );
    assert!(panel.contains(&format!("value=\"{score}\"")));
    assert!(panel.contains("Rust</span> <span class=\"muted small\">from your profile"));
    assert!(panel.contains("PostgreSQL</span> <span class=\"muted small\">from your CV"));
    assert!(panel.contains("Kubernetes</span> <span class=\"tag jobs-required-tag\">Required"));
    assert!(
        panel.contains("Terraform</span></li>"),
        "missing, not required: {panel}"
    );
    assert!(panel.contains("Your experience level is the one this job asks for."));
    assert!(panel.contains("capped at 40"));
    // The same explanation as the API: every matched and missing skill, nothing else.
    assert_eq!(
        m["matched"].as_array().unwrap().len(),
        count(panel, "class=\"jobs-have\"")
    );
    assert_eq!(
        m["missing"].as_array().unwrap().len(),
        count(panel, "class=\"jobs-missing\"")
    );
    // Signed in: save and apply are offered.
    assert!(html.contains(&format!("action=\"/jobs/{job}/save\"")));
    assert!(html.contains(&format!("action=\"/jobs/{job}/apply#apply\"")));
}

#[tokio::test]
async fn apply_with_every_question_kind() {
    let w = world().await;
    let app = &w.app;
    let (cora, b) = signed_in(app, "cora").await;
    let page = b.get(&format!("/jobs/{}", w.job)).await.text;
    let form = section(&page, "apply");
    // Each kind as its control, required ones marked.
    assert!(form.contains("type=\"radio\" name=\"q_visa\" value=\"yes\""));
    assert!(form.contains("type=\"radio\" name=\"q_visa\" value=\"no\""));
    assert!(form.contains("name=\"q_years\" type=\"number\""));
    assert!(form.contains("type=\"radio\" name=\"q_shift\" value=\"early\""));
    assert!(form.contains("type=\"radio\" name=\"q_shift\" value=\"late\""));
    assert!(form.contains("<textarea id=\"q_why\" name=\"q_why\""));
    assert!(form.contains("Do you need a visa? <span class=\"jobs-required\">(required)</span>"));
    assert!(!form.contains("Why us? <span class=\"jobs-required\">"));
    assert!(form.contains("name=\"cover_letter\"") && form.contains("name=\"resume_text\""));
    assert!(form.contains("name=\"csrf_token\""));
    // Knockout answers are never in the candidate's page.
    assert!(!page.contains("knockout"));

    let res = b
        .post_form(&format!("/jobs/{}/apply", w.job), &good_answers())
        .await;
    let id = app_id(&res);
    let html = follow(&b, &res).await.text;
    assert!(
        html.contains("Your application for Backend Engineer was sent."),
        "{html}"
    );

    // Stored with the right JSON types, as the API would have taken them.
    let a = api(
        app,
        Method::GET,
        &format!("/api/v1/applications/{id}"),
        &w.rita.token,
        None,
    )
    .await;
    assert_eq!(
        a["answers"],
        json!({"visa": false, "years": 4, "shift": "early", "why": "I like <Rust> & \"types\""})
    );
    assert_eq!(a["cover_letter"], "Dear Acme,\nhire me.");
    assert_eq!(a["status"], "active");

    // The job page now says so instead of offering the form.
    let html = b.get(&format!("/jobs/{}", w.job)).await.text;
    let part = section(&html, "apply");
    assert!(part.contains("You applied on"), "{part}");
    assert!(part.contains("status <strong>In progress</strong>"));
    assert!(part.contains(&format!("href=\"/applications/{id}\"")));
    assert!(!part.contains("Send application"));

    // A second try: a clear message, still one application.
    let res = b
        .post_form(&format!("/jobs/{}/apply", w.job), &good_answers())
        .await;
    redirected(&res, &format!("/jobs/{}#apply", w.job));
    let html = follow(&b, &res).await.text;
    assert!(html.contains("You have already applied to this job."));
    let mine = api(
        app,
        Method::GET,
        "/api/v1/users/me/applications",
        &cora.token,
        None,
    )
    .await;
    assert_eq!(mine["pagination"]["total"], 1);

    // A decimal number and an empty optional question are fine too.
    let other = create_job(app, &w.ada.token, common::job(&w.company)).await;
    let res = b
        .post_form(
            &format!("/jobs/{other}/apply"),
            &[
                ("q_visa", "no"),
                ("q_years", "2.5"),
                ("q_shift", "early"),
                ("q_why", "  "),
            ],
        )
        .await;
    let id = app_id(&res);
    let a = api(
        app,
        Method::GET,
        &format!("/api/v1/applications/{id}"),
        &w.rita.token,
        None,
    )
    .await;
    assert_eq!(
        a["answers"],
        json!({"visa": false, "years": 2.5, "shift": "early"})
    );
}

#[tokio::test]
async fn refused_application_shows_inline_errors_and_keeps_values() {
    let w = world().await;
    let app = &w.app;
    let (cora, b) = signed_in(app, "cora").await;
    let res = b
        .post_form(
            &format!("/jobs/{}/apply", w.job),
            &[
                ("q_years", "four"),
                ("q_why", "Because <tools> matter"),
                ("cover_letter", "Kept letter"),
                ("resume_text", "Kept resume"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    let form = section(&res.text, "apply");
    // The API's own messages, next to each question.
    assert!(
        form.contains("<p class=\"field-error\" id=\"e-q_visa\">is required</p>"),
        "{form}"
    );
    assert!(form.contains("<p class=\"field-error\" id=\"e-q_shift\">is required</p>"));
    assert!(form.contains("<p class=\"field-error\" id=\"e-q_years\">must be a number</p>"));
    assert!(!form.contains("id=\"e-q_why\""));
    // What was typed is still there, escaped.
    assert!(form.contains("value=\"four\""));
    assert!(
        form.contains("Because &#60;tools&#62; matter")
            || form.contains("Because &lt;tools&gt; matter")
    );
    assert!(form.contains(">Kept letter</textarea>"));
    assert!(form.contains(">Kept resume</textarea>"));
    assert!(form.contains("Some answers need another look"));

    // A choice stays chosen when another answer is refused.
    let res = b
        .post_form(
            &format!("/jobs/{}/apply", w.job),
            &[("q_visa", "no"), ("q_shift", "early"), ("q_years", "x")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.text.contains("name=\"q_visa\" value=\"no\" checked"));
    assert!(
        res.text
            .contains("name=\"q_shift\" value=\"early\" checked")
    );
    assert!(!res.text.contains("name=\"q_visa\" value=\"yes\" checked"));

    // Nothing was written.
    let mine = api(
        app,
        Method::GET,
        "/api/v1/users/me/applications",
        &cora.token,
        None,
    )
    .await;
    assert_eq!(mine["pagination"]["total"], 0);
}

#[tokio::test]
async fn knockout_answers_are_told_kindly() {
    let w = world().await;
    let app = &w.app;
    let (_cora, b) = signed_in(app, "cora").await;
    let mut answers = good_answers();
    answers[0] = ("q_visa", "yes");
    let res = b
        .post_form(&format!("/jobs/{}/apply", w.job), &answers)
        .await;
    let id = app_id(&res);
    let html = follow(&b, &res).await.text;
    assert!(html.contains("toast toast-info"), "{html}");
    assert!(
        html.contains(
            "Thank you for applying. This role has requirements your answers did not meet"
        )
    );
    assert!(html.contains("Not selected"));
    assert!(!html.contains("/withdraw\""), "nothing to withdraw");
    let a = api(
        app,
        Method::GET,
        &format!("/api/v1/applications/{id}"),
        &w.rita.token,
        None,
    )
    .await;
    assert_eq!(
        (a["status"].as_str(), a["reject_reason"].as_str()),
        (Some("rejected"), Some("knockout"))
    );
}

#[tokio::test]
async fn closed_jobs_take_no_applications() {
    let w = world().await;
    let app = &w.app;
    let (_cora, b) = signed_in(app, "cora").await;
    let (_dan, d) = signed_in(app, "dan").await;
    redirected(
        &b.post_form(&format!("/jobs/{}/save", w.job), &[]).await,
        &format!("/jobs/{}", w.job),
    );
    // The job page as it was: the apply form is there.
    assert!(
        d.get(&format!("/jobs/{}", w.job))
            .await
            .text
            .contains("Send application")
    );
    api(
        app,
        Method::DELETE,
        &format!("/api/v1/jobs/{}", w.job),
        &w.ada.token,
        None,
    )
    .await;

    // cora saved it: she still reads it, with a note instead of the form.
    let html = b.get(&format!("/jobs/{}", w.job)).await.text;
    assert!(
        html.contains("This job is no longer accepting applications."),
        "{html}"
    );
    assert!(!html.contains("Send application"));
    assert!(html.contains("<dd>Closed</dd>"));
    let res = b
        .post_form(&format!("/jobs/{}/apply", w.job), &good_answers())
        .await;
    redirected(&res, &format!("/jobs/{}#apply", w.job));
    assert!(
        follow(&b, &res)
            .await
            .text
            .contains("This job is no longer accepting applications.")
    );
    // The saved list marks it.
    let html = b.get("/jobs/saved").await.text;
    assert!(html.contains("Backend Engineer") && html.contains("No longer accepting applications"));
    // Anyone else: as the API says, a closed job is not there.
    assert_eq!(d.get(&format!("/jobs/{}", w.job)).await.status, 404);
    assert_eq!(
        app.browser().get(&format!("/jobs/{}", w.job)).await.status,
        404
    );

    // A job past its deadline is closed for applying even before the daily job closes it.
    let soon = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let job = create_job(
        app,
        &w.ada.token,
        with(common::job(&w.company), json!({"closes_at": soon})),
    )
    .await;
    // dan saves it, so he can still read it once the daily job closes it.
    redirected(
        &d.post_form(&format!("/jobs/{job}/save"), &[]).await,
        &format!("/jobs/{job}"),
    );
    let html = d.get(&format!("/jobs/{job}")).await.text;
    assert!(
        html.contains("Closes in 1 day")
            || html.contains("Closes in 2 days")
            || html.contains("Closes tomorrow"),
        "{html}"
    );
    assert!(html.contains("Send application"));
    app.advance(chrono::Duration::days(3));
    let d2 = app.browser();
    d2.sign_in("dan@example.com", PASSWORD).await;
    let html = d2.get(&format!("/jobs/{job}")).await.text;
    assert!(
        html.contains("This job is no longer accepting applications."),
        "{html}"
    );
    assert!(!html.contains("Send application"));
}

// ---- saved jobs ----

#[tokio::test]
async fn save_and_unsave() {
    let w = world().await;
    let app = &w.app;
    let (cora, b) = signed_in(app, "cora").await;
    let html = b.get("/jobs/saved").await.text;
    assert!(html.contains("No saved jobs yet"));

    let res = b.post_form(&format!("/jobs/{}/save", w.job), &[]).await;
    redirected(&res, &format!("/jobs/{}", w.job));
    let html = follow(&b, &res).await.text;
    assert!(html.contains("Job saved."));
    assert!(html.contains(&format!("action=\"/jobs/{}/unsave\"", w.job)));
    // Saving twice is fine.
    redirected(
        &b.post_form(&format!("/jobs/{}/save", w.job), &[]).await,
        &format!("/jobs/{}", w.job),
    );
    let saved = api(
        app,
        Method::GET,
        "/api/v1/users/me/saved-jobs",
        &cora.token,
        None,
    )
    .await;
    assert_eq!(saved["pagination"]["total"], 1);
    assert_eq!(saved["items"][0]["job"]["id"], w.job.as_str());

    let html = b.get("/jobs/saved").await.text;
    assert!(html.contains("1 saved job"));
    assert!(html.contains(&format!("href=\"/jobs/{}\"", w.job)));
    assert!(html.contains("Saved today"));

    // Unsave from the list goes back to the list.
    let res = b
        .post_form(
            &format!("/jobs/{}/unsave", w.job),
            &[("back", "/jobs/saved")],
        )
        .await;
    redirected(&res, "/jobs/saved");
    let html = follow(&b, &res).await.text;
    assert!(html.contains("Removed from your saved jobs."));
    assert!(html.contains("No saved jobs yet"));
    let saved = api(
        app,
        Method::GET,
        "/api/v1/users/me/saved-jobs",
        &cora.token,
        None,
    )
    .await;
    assert_eq!(saved["pagination"]["total"], 0);
    // No open redirects through `back`.
    redirected(
        &b.post_form(
            &format!("/jobs/{}/unsave", w.job),
            &[("back", "//evil.example")],
        )
        .await,
        &format!("/jobs/{}", w.job),
    );

    // Saved jobs need an account.
    let res = app.browser().get("/jobs/saved").await;
    redirected(&res, "/signin?next=%2Fjobs%2Fsaved");
}

// ---- my applications ----

#[tokio::test]
async fn my_applications_timeline_and_withdraw() {
    let w = world().await;
    let app = &w.app;
    let (cora, b) = signed_in(app, "cora").await;
    let html = b.get("/applications").await.text;
    assert!(html.contains("No applications yet"));

    let res = b
        .post_form(&format!("/jobs/{}/apply", w.job), &good_answers())
        .await;
    let id = app_id(&res);

    // The recruiter moves it, writes a note and a scorecard: the candidate sees the move only.
    let stages = api(
        app,
        Method::GET,
        &format!("/api/v1/jobs/{}/stages", w.job),
        &w.rita.token,
        None,
    )
    .await;
    let interview = stages
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "interview")
        .unwrap()["id"]
        .clone();
    api(
        app,
        Method::POST,
        &format!("/api/v1/applications/{id}/move"),
        &w.rita.token,
        Some(json!({"stage_id": interview})),
    )
    .await;
    api(
        app,
        Method::POST,
        &format!("/api/v1/applications/{id}/notes"),
        &w.rita.token,
        Some(json!({"body": "SECRET-NOTE-4711 weak on SQL"})),
    )
    .await;
    api(
        app,
        Method::POST,
        &format!("/api/v1/applications/{id}/scorecards"),
        &w.rita.token,
        Some(
            json!({"ratings": {"Rust": 4}, "recommendation": "no", "notes": "SCORECARD-SECRET-99"}),
        ),
    )
    .await;
    let score = api(
        app,
        Method::GET,
        &format!("/api/v1/applications/{id}"),
        &cora.token,
        None,
    )
    .await["match"]["score"]
        .as_u64()
        .unwrap();

    // The employer acted on its one application: the listing says so.
    let html = app.browser().get("/jobs?q=backend").await.text;
    assert!(html.contains("Responds to 100% of applicants"), "{html}");

    let html = b.get("/applications").await.text;
    assert!(html.contains("1 application"));
    for want in [
        &format!("href=\"/applications/{id}\""),
        "Backend Engineer",
        "href=\"/companies/acme\"",
        "In progress",
        "<dd>Interview</dd>",
        &format!("<dd>{score}/100</dd>"),
        "Updated <time",
    ] {
        assert!(html.contains(want), "list lacks {want}: {html}");
    }

    let res = b.get(&format!("/applications/{id}")).await;
    let html = ok(&res);
    for want in [
        "<dd>Interview</dd>",
        "You applied",
        "Moved from Applied to Interview",
        "Do you need a visa?",
        "<dd class=\"word-break prose\">No</dd>",
        "<dd class=\"word-break prose\">4</dd>",
        "<dd class=\"word-break prose\">early</dd>",
        "Dear Acme,\nhire me.",
        "How you matched",
        &format!("<strong>{score}</strong>"),
        &format!("action=\"/applications/{id}/withdraw\" data-confirm="),
    ] {
        assert!(html.contains(want), "application page lacks {want}");
    }
    for secret in [
        "SECRET-NOTE-4711",
        "SCORECARD-SECRET-99",
        "note_added",
        "scorecard",
        "rita",
        "knockout",
    ] {
        assert!(
            !html.to_lowercase().contains(&secret.to_lowercase()),
            "leaks {secret}"
        );
    }

    // Nobody else sees it as theirs: other users and the company's own members get 404.
    let (_olga, o) = signed_in(app, "olga").await;
    assert_eq!(o.get(&format!("/applications/{id}")).await.status, 404);
    let r = app.browser();
    r.sign_in("rita@example.com", PASSWORD).await;
    assert_eq!(r.get(&format!("/applications/{id}")).await.status, 404);
    assert_eq!(o.get("/applications/not-a-uuid").await.status, 404);
    let res = o
        .post_form(&format!("/applications/{id}/withdraw"), &[])
        .await;
    assert_eq!(res.status, 404);
    // Signed out: sign in first.
    redirected(
        &app.browser().get("/applications").await,
        "/signin?next=%2Fapplications",
    );

    // Withdraw.
    let res = b
        .post_form(&format!("/applications/{id}/withdraw"), &[])
        .await;
    redirected(&res, &format!("/applications/{id}"));
    let html = follow(&b, &res).await.text;
    assert!(html.contains("You withdrew your application for Backend Engineer."));
    assert!(
        html.contains("You withdrew your application<"),
        "timeline: {html}"
    );
    assert!(html.contains(">Withdrawn</span>"));
    assert!(!html.contains("/withdraw\""));
    let a = api(
        app,
        Method::GET,
        &format!("/api/v1/applications/{id}"),
        &cora.token,
        None,
    )
    .await;
    assert_eq!(a["status"], "withdrawn");
    // Twice: nothing to do, said plainly.
    let res = b
        .post_form(&format!("/applications/{id}/withdraw"), &[])
        .await;
    assert!(follow(&b, &res).await.text.contains("already closed"));
}

// ---- company pages ----

#[tokio::test]
async fn company_page_lists_open_jobs_only() {
    let w = world().await;
    let app = &w.app;
    create_job(
        app,
        &w.ada.token,
        with(
            common::job(&w.company),
            json!({"title": "Hidden Draft", "status": "draft"}),
        ),
    )
    .await;
    let closed = create_job(
        app,
        &w.ada.token,
        with(common::job(&w.company), json!({"title": "Gone Role"})),
    )
    .await;
    api(
        app,
        Method::DELETE,
        &format!("/api/v1/jobs/{closed}"),
        &w.ada.token,
        None,
    )
    .await;
    // Another company's job is not Acme's.
    let (zed, _) = signed_in(app, "zed").await;
    let other = company(app, &zed, "Zeta").await;
    create_job(
        app,
        &zed.token,
        with(common::job(&other), json!({"title": "Zeta Role"})),
    )
    .await;

    let b = app.browser();
    let res = b.get("/companies/acme").await;
    let html = ok(&res);
    for want in [
        "<h1 class=\"word-break\">Acme</h1>",
        "href=\"https://acme.example\" rel=\"nofollow noopener\" target=\"_blank\"",
        "Manufacturing",
        "51-200 people",
        "We make anvils.",
        "rockets",
        "Open jobs (1)",
        &format!("href=\"/jobs/{}\"", w.job),
    ] {
        assert!(html.contains(want), "company page lacks {want}: {html}");
    }
    for absent in [
        "Hidden Draft",
        "Gone Role",
        "Zeta Role",
        "Verified</span>",
        "<b>rockets",
    ] {
        assert!(!html.contains(absent), "shows {absent}");
    }

    // Verified by a platform admin: the badge shows here and on the job cards.
    let boss_email = "boss@example.com";
    vertechie_accounts::service::admin::create_admin(&app.state, boss_email, PASSWORD)
        .await
        .unwrap();
    let boss = login(app, "boss").await;
    api(
        app,
        Method::POST,
        &format!("/api/v1/admin/companies/{}/verify", w.company),
        &boss,
        None,
    )
    .await;
    let html = b.get("/companies/acme").await.text;
    assert!(html.contains("Verified</span>"));
    assert!(b.get("/jobs").await.text.contains("Verified</span>"));

    for slug in ["nope", "ACME-unknown", "%20"] {
        let res = b.get(&format!("/companies/{slug}")).await;
        assert_eq!(res.status, 404, "{slug}");
        assert!(res.text.contains("Page not found"));
    }
    // Slugs are matched case-insensitively.
    assert_eq!(b.get("/companies/Acme").await.status, 200);
}

// ---- CSRF ----

#[tokio::test]
async fn forms_without_csrf_are_refused() {
    let w = world().await;
    let app = &w.app;
    let (cora, b) = signed_in(app, "cora").await;
    let res = b
        .post_form(&format!("/jobs/{}/apply", w.job), &good_answers())
        .await;
    let id = app_id(&res);
    let other = create_job(app, &w.ada.token, common::job(&w.company)).await;
    for path in [
        format!("/jobs/{other}/apply"),
        format!("/jobs/{other}/save"),
        format!("/jobs/{other}/unsave"),
        format!("/applications/{id}/withdraw"),
    ] {
        let res = b
            .post_form_without_csrf(&path, &[("q_visa", "no"), ("q_shift", "early")])
            .await;
        assert_eq!(res.status, 403, "{path}: {}", res.text);
        assert!(res.text.contains("This form has expired"));
    }
    // Nothing happened.
    let mine = api(
        app,
        Method::GET,
        "/api/v1/users/me/applications",
        &cora.token,
        None,
    )
    .await;
    assert_eq!(mine["pagination"]["total"], 1);
    assert_eq!(mine["items"][0]["status"], "active");
    let saved = api(
        app,
        Method::GET,
        "/api/v1/users/me/saved-jobs",
        &cora.token,
        None,
    )
    .await;
    assert_eq!(saved["pagination"]["total"], 0);
}
