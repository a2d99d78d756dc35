#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The profile editor, public profile, settings and people search pages, driven as a browser
//! without JavaScript: forms, redirects, flash messages, inline errors and what other people see.

use crate::common;
use common::*;

use reqwest::Method;
use serde_json::{Value, json};
use vertechie_kernel::testkit::{Browser, TestApp, TestResponse};

/// A registered user with a browser signed in through the sign-in page.
async fn signed_in(app: &TestApp, username: &str) -> (Account, Browser) {
    let a = register(app, username).await;
    let b = app.browser();
    b.sign_in(&a.email, PASSWORD).await;
    (a, b)
}

/// `GET` through the API with a bearer token; the `data` of a 200.
async fn api_get(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.req(Method::GET, path).token(token).send().await;
    res.expect(200);
    res.data().clone()
}

fn location(res: &TestResponse) -> Option<&str> {
    res.header("location")
}

/// Asserts a 303 to `to`.
fn redirected(res: &TestResponse, to: &str) {
    assert_eq!(
        (res.status, location(res)),
        (303, Some(to)),
        "expected a redirect to {to}: {}",
        res.text
    );
}

/// The HTML of the editor section with this id (up to the next section).
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section class=\"card\" id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section #{id}"));
    let rest = &html[start..];
    let end = rest.find("</section>").unwrap();
    &rest[..end]
}

/// Values of `attr="…"` in `html` that start with `prefix`.
fn attrs_starting<'a>(html: &'a str, attr: &str, prefix: &str) -> Vec<&'a str> {
    let needle = format!("{attr}=\"{prefix}");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let v = &html[i + attr.len() + 2..];
            &v[..v.find('"').unwrap()]
        })
        .collect()
}

/// Fills in a complete profile through the editor's forms.
async fn fill_profile(b: &Browser) {
    redirected(
        &b.post_form(
            "/profile",
            &[
                ("full_name", "Ada Lovelace"),
                ("bio", "Writes programs for engines that do not exist yet."),
                ("avatar_url", "https://example.com/ada.png"),
                ("phone", "+44 20 7946 0958"),
                ("education_level", "Self-taught"),
                ("experience_level", "mid"),
                ("preferred_career_track", "Backend engineering"),
                ("learning_style", "hands-on"),
                ("interests", "Rust, open source, rust ,  , mathematics"),
                ("career_goals", "Lead a compiler team."),
            ],
        )
        .await,
        "/profile#basics",
    );
    redirected(
        &b.post_form("/profile/skills", &[("name", "Rust"), ("level", "4")])
            .await,
        "/profile#skills",
    );
    redirected(
        &b.post_form(
            "/profile/experiences",
            &[
                ("title", "Analyst"),
                ("company", "Analytical Engines Ltd"),
                ("location", "London"),
                ("start_date", "2021-09-01"),
                ("end_date", ""),
                ("is_current", "on"),
                ("description", "Notes on the engine."),
            ],
        )
        .await,
        "/profile#experiences",
    );
    redirected(
        &b.post_form(
            "/profile/education",
            &[
                ("school", "University of London"),
                ("degree", "BSc"),
                ("field_of_study", "Mathematics"),
                ("start_year", "2016"),
                ("end_year", "2020"),
                ("grade", ""),
                ("description", ""),
            ],
        )
        .await,
        "/profile#education",
    );
    redirected(
        &b.post_form(
            "/profile/cv",
            &[("cv_text", "SECRET-CV-LINE: references on request")],
        )
        .await,
        "/profile#cv",
    );
}

#[tokio::test]
async fn the_editor_needs_sign_in_and_has_every_section_the_dashboard_links_to() {
    let app = spawn().await;
    let anon = app.browser();
    redirected(&anon.get("/profile").await, "/signin?next=%2Fprofile");
    redirected(&anon.get("/settings").await, "/signin?next=%2Fsettings");

    let (_a, b) = signed_in(&app, "ada").await;
    let dash = b.get("/dashboard").await;
    let links = attrs_starting(&dash.text, "href", "/profile#");
    assert!(
        links.len() >= 8,
        "the dashboard links to missing parts: {links:?}"
    );
    let page = b.get("/profile").await;
    page.expect(200);
    for link in links {
        let id = link.trim_start_matches("/profile#");
        assert!(
            page.text.contains(&format!("id=\"{id}\"")),
            "no #{id} on the editor"
        );
    }
    // Labelled fields, and the experience level is a choice of the four levels.
    for field in [
        "full_name",
        "bio",
        "phone",
        "interests",
        "career_goals",
        "cv_text",
    ] {
        assert!(
            page.text.contains(&format!("<label for=\"f-{field}\"")),
            "{field}"
        );
    }
    let basics = section(&page.text, "basics");
    for level in ["fresher", "junior", "mid", "senior"] {
        assert!(basics.contains(&format!("<option value=\"{level}\"")));
    }
    assert!(page.text.contains("No skills yet"));
    assert!(page.text.contains("<main id=\"main\""));
}

#[tokio::test]
async fn basics_are_saved_and_shown_everywhere() {
    let app = spawn().await;
    let (a, b) = signed_in(&app, "ada").await;
    fill_profile(&b).await;

    let page = b.get("/profile").await;
    page.expect(200);
    assert!(
        page.text.contains("Your CV is saved."),
        "the last flash is shown"
    );
    let basics = section(&page.text, "basics");
    assert!(basics.contains("value=\"Ada Lovelace\""));
    assert!(basics.contains("<option value=\"mid\" selected>"));
    assert!(basics.contains("value=\"Rust, open source, mathematics\""));
    assert!(basics.contains(">Lead a compiler team.</textarea>"));

    let me = api_get(&app, &a.access, "/api/v1/users/me").await;
    assert_eq!(me["full_name"], "Ada Lovelace");
    assert_eq!(me["experience_level"], "mid");
    assert_eq!(me["phone"], "+44 20 7946 0958");
    assert_eq!(
        me["interests"],
        json!(["Rust", "open source", "mathematics"]),
        "split on commas, blanks and repeats dropped"
    );
    assert_eq!(me["has_cv"], true);

    // Blank fields clear what was there.
    redirected(
        &b.post_form(
            "/profile",
            &[
                ("full_name", "Ada Lovelace"),
                ("bio", "   "),
                ("experience_level", ""),
                ("interests", ""),
            ],
        )
        .await,
        "/profile#basics",
    );
    assert!(
        b.get("/profile")
            .await
            .text
            .contains("Your profile is saved.")
    );
    let me = api_get(&app, &a.access, "/api/v1/users/me").await;
    assert_eq!(
        (&me["bio"], &me["experience_level"], &me["interests"]),
        (&Value::Null, &Value::Null, &json!([]))
    );
    // The dashboard no longer asks for what is done.
    let dash = b.get("/dashboard").await;
    assert!(!dash.text.contains("/profile#cv") && !dash.text.contains("/profile#education"));
    assert!(dash.text.contains("/profile#bio"));
}

#[tokio::test]
async fn basics_errors_are_shown_next_to_their_fields_with_the_typed_values() {
    let app = spawn().await;
    let (a, b) = signed_in(&app, "ada").await;
    let res = b
        .post_form(
            "/profile",
            &[
                ("full_name", "Changed Name"),
                ("avatar_url", "not a url"),
                ("phone", "call me"),
                ("experience_level", "guru"),
                ("bio", &"x".repeat(2001)),
            ],
        )
        .await;
    res.expect(422);
    let basics = section(&res.text, "basics");
    assert!(basics.contains("role=\"alert\""));
    for (field, msg) in [
        ("avatar_url", "must be an http(s) URL"),
        ("phone", "must be a phone number of 7–15 digits"),
        (
            "experience_level",
            "must be one of fresher, junior, mid, senior",
        ),
        ("bio", "at most 2000"),
    ] {
        let at = basics
            .find(&format!("id=\"e-{field}\""))
            .unwrap_or_else(|| panic!("no error for {field}: {basics}"));
        assert!(basics[at..].contains(msg), "{field}: {msg}");
        assert!(basics.contains(&format!(
            "aria-invalid=\"true\" aria-describedby=\"e-{field}\""
        )));
    }
    assert!(!basics.contains("id=\"e-full_name\""));
    assert!(
        basics.contains("value=\"Changed Name\""),
        "typed values kept"
    );
    assert!(basics.contains("value=\"not a url\""));
    // Errors stay in their section.
    assert!(!section(&res.text, "skills").contains("field-error"));
    // Nothing was saved.
    let me = api_get(&app, &a.access, "/api/v1/users/me").await;
    assert_eq!(me["full_name"], "Test Person");
}

#[tokio::test]
async fn skills_are_added_levelled_and_removed() {
    let app = spawn().await;
    let (a, b) = signed_in(&app, "ada").await;
    redirected(
        &b.post_form("/profile/skills", &[("name", "Rust"), ("level", "4")])
            .await,
        "/profile#skills",
    );
    let page = b.get("/profile").await;
    assert!(page.text.contains("Added Rust (Advanced)."));
    let skills = section(&page.text, "skills");
    assert!(skills.contains("Rust") && skills.contains("Advanced (4/5)"));
    assert!(skills.contains("action=\"/profile/skills/remove#skills\""));
    assert!(skills.contains("aria-label=\"Remove Rust\""));

    // The same skill again (any case) changes its level.
    redirected(
        &b.post_form("/profile/skills", &[("name", "rust"), ("level", "2")])
            .await,
        "/profile#skills",
    );
    assert!(b.get("/profile").await.text.contains("is now Elementary."));
    redirected(
        &b.post_form("/profile/skills", &[("name", "SQL"), ("level", "5")])
            .await,
        "/profile#skills",
    );
    let list = api_get(&app, &a.access, "/api/v1/users/me/skills").await;
    let got: Vec<(String, i64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["level"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, vec![("SQL".into(), 5), ("rust".into(), 2)]);

    // Errors: a missing name and a level out of range, with the typed name kept.
    let res = b
        .post_form("/profile/skills", &[("name", "   "), ("level", "9")])
        .await;
    res.expect(422);
    let skills = section(&res.text, "skills");
    assert!(skills.contains("id=\"skill-name-error\""), "{skills}");
    let at = skills.find("id=\"skill-level-error\"").unwrap();
    assert!(skills[at..].contains("must be between 1 and 5"));
    let res = b
        .post_form("/profile/skills", &[("name", "Go"), ("level", "high")])
        .await;
    res.expect(422);
    let skills = section(&res.text, "skills");
    assert!(skills.contains("value=\"Go\"") && skills.contains("id=\"skill-level-error\""));
    assert!(!skills.contains("id=\"skill-name-error\""));

    // Remove, and removing again is harmless.
    redirected(
        &b.post_form("/profile/skills/remove", &[("name", "RUST")])
            .await,
        "/profile#skills",
    );
    assert!(b.get("/profile").await.text.contains("Removed RUST."));
    redirected(
        &b.post_form("/profile/skills/remove", &[("name", "Rust")])
            .await,
        "/profile#skills",
    );
    assert!(
        b.get("/profile")
            .await
            .text
            .contains("That skill was already removed.")
    );
    let list = api_get(&app, &a.access, "/api/v1/users/me/skills").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "SQL");
}

#[tokio::test]
async fn experiences_are_added_edited_and_deleted() {
    let app = spawn().await;
    let (a, b) = signed_in(&app, "ada").await;
    // Errors on the add form, with the typed values kept.
    let res = b
        .post_form(
            "/profile/experiences",
            &[
                ("title", ""),
                ("company", "Acme"),
                ("start_date", "yesterday"),
                ("end_date", ""),
            ],
        )
        .await;
    res.expect(422);
    let exp = section(&res.text, "experiences");
    assert!(exp.contains("id=\"exp-new-title-error\""), "{exp}");
    let at = exp.find("id=\"exp-new-start_date-error\"").unwrap();
    assert!(exp[at..].contains("must be a date like 2024-09-01"));
    assert!(exp.contains("value=\"Acme\"") && exp.contains("value=\"yesterday\""));
    assert!(!exp.contains("id=\"exp-new-company-error\""));
    assert!(
        api_get(&app, &a.access, "/api/v1/users/me/experiences")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );

    redirected(
        &b.post_form(
            "/profile/experiences",
            &[
                ("title", "Engineer"),
                ("company", "Acme"),
                ("location", "Remote"),
                ("start_date", "2021-09-01"),
                ("end_date", ""),
                ("is_current", "on"),
                ("description", "Built things."),
            ],
        )
        .await,
        "/profile#experiences",
    );
    let list = api_get(&app, &a.access, "/api/v1/users/me/experiences").await;
    let id = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (&list[0]["is_current"], &list[0]["start_date"]),
        (&json!(true), &json!("2021-09-01"))
    );
    let page = b.get("/profile").await;
    assert!(page.text.contains("Added Engineer at Acme."));
    let exp = section(&page.text, "experiences");
    assert!(exp.contains("Sep 2021 – present"));
    assert!(exp.contains(&format!("action=\"/profile/experiences/{id}#exp-{id}\"")));
    assert!(exp.contains(&format!("id=\"exp-{id}-title\"")) && exp.contains("checked"));
    assert!(exp.contains("data-confirm="), "deleting asks first");

    // A refused edit opens that item's form with its errors; the stored one is unchanged.
    let res = b
        .post_form(
            &format!("/profile/experiences/{id}"),
            &[
                ("title", "Senior Engineer"),
                ("company", "Acme"),
                ("start_date", "2021-09-01"),
                ("end_date", "2020-01-01"),
            ],
        )
        .await;
    res.expect(422);
    let exp = section(&res.text, "experiences");
    let at = exp
        .find(&format!("id=\"exp-{id}-end_date-error\""))
        .unwrap();
    assert!(exp[at..].contains("must not be before the start date"));
    assert!(exp.contains("<details class=\"edit\" open>"));
    assert!(exp.contains("value=\"Senior Engineer\""));
    assert!(!exp.contains("id=\"exp-new-end_date-error\""));

    // A good edit; unticking "current" ends the position.
    redirected(
        &b.post_form(
            &format!("/profile/experiences/{id}"),
            &[
                ("title", "Senior Engineer"),
                ("company", "Acme"),
                ("location", ""),
                ("start_date", "2021-09-01"),
                ("end_date", "2024-03-31"),
                ("description", "Built more things."),
            ],
        )
        .await,
        "/profile#experiences",
    );
    let e = api_get(
        &app,
        &a.access,
        &format!("/api/v1/users/me/experiences/{id}"),
    )
    .await;
    assert_eq!(e["title"], "Senior Engineer");
    assert_eq!(e["end_date"], "2024-03-31");
    assert_eq!(e["is_current"], false);
    assert_eq!(e["location"], Value::Null);
    assert!(b.get("/profile").await.text.contains("Sep 2021 – Mar 2024"));

    // Another user cannot edit or delete it.
    let (_g, other) = signed_in(&app, "grace").await;
    other
        .post_form(
            &format!("/profile/experiences/{id}"),
            &[
                ("title", "Hacked"),
                ("company", "x"),
                ("start_date", "2021-01-01"),
            ],
        )
        .await
        .expect(404);
    redirected(
        &other
            .post_form(&format!("/profile/experiences/{id}/delete"), &[])
            .await,
        "/profile#experiences",
    );
    other
        .post_form("/profile/experiences/not-a-uuid", &[])
        .await
        .expect(404);
    assert_eq!(
        api_get(
            &app,
            &a.access,
            &format!("/api/v1/users/me/experiences/{id}")
        )
        .await["title"],
        "Senior Engineer"
    );

    redirected(
        &b.post_form(&format!("/profile/experiences/{id}/delete"), &[])
            .await,
        "/profile#experiences",
    );
    assert!(b.get("/profile").await.text.contains("Experience removed."));
    assert!(
        api_get(&app, &a.access, "/api/v1/users/me/experiences")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn education_is_added_edited_and_deleted() {
    let app = spawn().await;
    let (a, b) = signed_in(&app, "ada").await;
    let res = b
        .post_form(
            "/profile/education",
            &[
                ("school", ""),
                ("degree", "BSc"),
                ("start_year", "twenty"),
                ("end_year", ""),
            ],
        )
        .await;
    res.expect(422);
    let edu = section(&res.text, "education");
    assert!(edu.contains("id=\"edu-new-school-error\""), "{edu}");
    let at = edu.find("id=\"edu-new-start_year-error\"").unwrap();
    assert!(edu[at..].contains("must be a year between 1950 and 2100"));
    assert!(edu.contains("value=\"BSc\""));

    redirected(
        &b.post_form(
            "/profile/education",
            &[
                ("school", "MIT"),
                ("degree", "BSc"),
                ("field_of_study", "Computer Science"),
                ("start_year", "2016"),
                ("end_year", "2020"),
            ],
        )
        .await,
        "/profile#education",
    );
    let list = api_get(&app, &a.access, "/api/v1/users/me/education").await;
    let id = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (&list[0]["school"], &list[0]["end_year"]),
        (&json!("MIT"), &json!(2020))
    );
    let page = b.get("/profile").await;
    assert!(page.text.contains("Added MIT."));
    assert!(section(&page.text, "education").contains("BSc, Computer Science · 2016 – 2020"));

    let res = b
        .post_form(
            &format!("/profile/education/{id}"),
            &[
                ("school", "MIT"),
                ("start_year", "2016"),
                ("end_year", "2010"),
            ],
        )
        .await;
    res.expect(422);
    let edu = section(&res.text, "education");
    let at = edu
        .find(&format!("id=\"edu-{id}-end_year-error\""))
        .unwrap();
    assert!(edu[at..].contains("must not be before the start year"));

    redirected(
        &b.post_form(
            &format!("/profile/education/{id}"),
            &[
                ("school", "Massachusetts Institute of Technology"),
                ("degree", "MSc"),
                ("field_of_study", ""),
                ("start_year", "2016"),
                ("end_year", "2022"),
                ("grade", "A"),
            ],
        )
        .await,
        "/profile#education",
    );
    let e = api_get(&app, &a.access, &format!("/api/v1/users/me/education/{id}")).await;
    assert_eq!(e["school"], "Massachusetts Institute of Technology");
    assert_eq!(
        (&e["degree"], &e["field_of_study"]),
        (&json!("MSc"), &Value::Null)
    );
    assert_eq!((&e["end_year"], &e["grade"]), (&json!(2022), &json!("A")));

    redirected(
        &b.post_form(&format!("/profile/education/{id}/delete"), &[])
            .await,
        "/profile#education",
    );
    redirected(
        &b.post_form(&format!("/profile/education/{id}/delete"), &[])
            .await,
        "/profile#education",
    );
    assert!(
        b.get("/profile")
            .await
            .text
            .contains("That education entry was already removed.")
    );
    assert!(
        api_get(&app, &a.access, "/api/v1/users/me/education")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_cv_is_saved_refused_when_too_long_and_removed_when_emptied() {
    let app = spawn().await;
    let (a, b) = signed_in(&app, "ada").await;
    let cv = "Ada Lovelace\n\nExperience:\n- notes on the <Analytical Engine>";
    redirected(
        &b.post_form("/profile/cv", &[("cv_text", cv)]).await,
        "/profile#cv",
    );
    let page = b.get("/profile").await;
    assert!(page.text.contains("Your CV is saved."));
    assert!(
        section(&page.text, "cv").contains("notes on the &#60;Analytical Engine&#62;</textarea>")
            || section(&page.text, "cv")
                .contains("notes on the &lt;Analytical Engine&gt;</textarea>"),
        "escaped in the textarea"
    );
    let got = api_get(&app, &a.access, "/api/v1/users/me/cv").await;
    assert_eq!(got["cv_text"], cv);

    let huge = "x".repeat(100 * 1024 + 1);
    let res = b.post_form("/profile/cv", &[("cv_text", &huge)]).await;
    res.expect(422);
    let section_html = section(&res.text, "cv");
    let at = section_html.find("id=\"e-cv_text\"").unwrap();
    assert!(section_html[at..].contains("must be at most 100 KB"));
    assert!(section_html.contains(&huge), "the typed text is kept");
    assert_eq!(
        api_get(&app, &a.access, "/api/v1/users/me/cv").await["cv_text"],
        cv
    );

    redirected(
        &b.post_form("/profile/cv", &[("cv_text", "  ")]).await,
        "/profile#cv",
    );
    assert!(b.get("/profile").await.text.contains("Your CV is removed."));
    assert_eq!(
        api_get(&app, &a.access, "/api/v1/users/me").await["has_cv"],
        false
    );
}

#[tokio::test]
async fn the_public_profile_shows_public_fields_only() {
    let app = spawn().await;
    let (a, b) = signed_in(&app, "ada").await;
    fill_profile(&b).await;
    redirected(
        &b.post_form(
            "/profile",
            &[
                ("full_name", "Ada Lovelace"),
                ("bio", "<script>alert(1)</script> poet of science"),
                ("phone", "+44 20 7946 0958"),
                ("experience_level", "mid"),
                ("preferred_career_track", "Backend engineering"),
                ("interests", "Rust, mathematics"),
                ("career_goals", "Lead a compiler team."),
            ],
        )
        .await,
        "/profile#basics",
    );

    let anon = app.browser();
    let page = anon.get("/u/ada").await;
    page.expect(200);
    for shown in [
        "Ada Lovelace",
        "@ada",
        "poet of science",
        "Backend engineering",
        "Mid-level",
        "mathematics",
        "Lead a compiler team.",
        "Rust",
        "Advanced (4/5)",
        "Analyst · Analytical Engines Ltd",
        "Sep 2021 – present",
        "University of London",
        "BSc, Mathematics · 2016 – 2020",
    ] {
        assert!(page.text.contains(shown), "{shown} is on the public page");
    }
    assert!(!page.text.contains("<script>alert(1)</script>"), "escaped");
    for hidden in [
        a.email.as_str(),
        "7946",
        "SECRET-CV-LINE",
        "ada.png",
        "/profile#",
        "Edit your profile",
    ] {
        assert!(!page.text.contains(hidden), "{hidden} must not be public");
    }
    // The same for another signed-in person; the owner gets an edit link.
    let (_g, other) = signed_in(&app, "grace").await;
    let seen = other.get("/u/ADA").await;
    seen.expect(200);
    assert!(!seen.text.contains(&a.email) && !seen.text.contains("SECRET-CV-LINE"));
    assert!(b.get("/u/ada").await.text.contains("Edit your profile"));

    // Unknown people get the friendly 404 page.
    let missing = anon.get("/u/nobody-here").await;
    missing.expect(404);
    assert!(missing.text.contains("Page not found") && missing.text.contains("<main"));

    // A deactivated account is not found either.
    let boss = super_admin(&app, "boss").await;
    let g = register(&app, "hopper").await;
    anon.get("/u/hopper").await.expect(200);
    app.req(Method::PATCH, &format!("/api/v1/users/{}", g.id))
        .token(&boss.access)
        .json(&json!({"is_active": false}))
        .send()
        .await
        .expect(200);
    anon.get("/u/hopper").await.expect(404);
}

#[tokio::test]
async fn an_empty_public_profile_says_so() {
    let app = spawn().await;
    register(&app, "quiet").await;
    let page = app.browser().get("/u/quiet").await;
    page.expect(200);
    assert!(page.text.contains("Test Person") && page.text.contains("Nothing here yet"));
}

#[tokio::test]
async fn changing_the_password_keeps_this_browser_and_ends_the_others() {
    let app = spawn().await;
    let (a, b) = signed_in(&app, "ada").await;
    let other = app.browser();
    other.sign_in(&a.email, PASSWORD).await;

    let page = b.get("/settings").await;
    page.expect(200);
    assert!(page.text.contains("<label for=\"f-current_password\""));
    assert!(page.text.contains(&a.email));

    let res = b
        .post_form(
            "/settings/password",
            &[
                ("current_password", "not my password"),
                ("new_password", "a brand new secret"),
            ],
        )
        .await;
    res.expect(422);
    let at = res.text.find("id=\"e-current_password\"").unwrap();
    assert!(res.text[at..].contains("is not your current password"));
    assert!(
        !res.text.contains("value=\"not my password\""),
        "passwords are not echoed"
    );
    let res = b
        .post_form(
            "/settings/password",
            &[("current_password", PASSWORD), ("new_password", "short")],
        )
        .await;
    res.expect(422);
    let at = res.text.find("id=\"e-new_password\"").unwrap();
    assert!(res.text[at..].contains("must be at least 8 characters"));
    other.get("/dashboard").await.expect(200);

    redirected(
        &b.post_form(
            "/settings/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new secret"),
            ],
        )
        .await,
        "/settings",
    );
    let page = b.get("/settings").await;
    page.expect(200);
    assert!(page.text.contains("Your password is changed."));
    b.get("/profile").await.expect(200);
    redirected(&other.get("/profile").await, "/signin?next=%2Fprofile");
    login(&app, &a.email, PASSWORD).await.expect(401);
    login(&app, &a.email, "a brand new secret")
        .await
        .expect(200);
}

#[tokio::test]
async fn sessions_are_listed_and_revoking_one_signs_that_browser_out() {
    let app = spawn().await;
    let (a, b) = signed_in(&app, "ada").await;
    let phone = app.browser();
    phone.sign_in(&a.email, PASSWORD).await;

    let page = b.get("/settings").await;
    page.expect(200);
    let sessions = section(&page.text, "sessions");
    assert_eq!(sessions.matches("This device").count(), 1);
    // Three sessions: the API registration, this browser and the phone; two can be revoked.
    let forms = attrs_starting(sessions, "action", "/settings/sessions/");
    assert_eq!(forms.len(), 2, "{sessions}");
    assert!(sessions.contains("127.0.0.1"));
    assert!(sessions.contains("Last used"));

    // The phone's session is the revocable one that is not the API's.
    let api_sessions = api_get(&app, &a.access, "/api/v1/auth/sessions").await;
    let api_current = api_sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let phone_form = forms
        .iter()
        .find(|f| !f.contains(&api_current))
        .unwrap()
        .trim_end_matches("#sessions")
        .to_owned();
    redirected(&b.post_form(&phone_form, &[]).await, "/settings#sessions");
    assert!(
        b.get("/settings")
            .await
            .text
            .contains("That device is signed out.")
    );
    let next = phone.get("/profile").await;
    redirected(&next, "/signin?next=%2Fprofile");
    b.get("/profile").await.expect(200);
    app.req(Method::GET, "/api/v1/users/me")
        .token(&a.access)
        .send()
        .await
        .expect(200);

    // Revoking it again, or someone else's session, changes nothing.
    redirected(&b.post_form(&phone_form, &[]).await, "/settings#sessions");
    assert!(
        b.get("/settings")
            .await
            .text
            .contains("That session had already ended.")
    );
    let (_g, grace) = signed_in(&app, "grace").await;
    let own = format!("/settings/sessions/{api_current}/revoke");
    redirected(&grace.post_form(&own, &[]).await, "/settings#sessions");
    app.req(Method::GET, "/api/v1/users/me")
        .token(&a.access)
        .send()
        .await
        .expect(200);

    let page = b.get("/settings").await;
    let sessions = section(&page.text, "sessions");
    assert_eq!(
        attrs_starting(sessions, "action", "/settings/sessions/"),
        vec![format!("/settings/sessions/{api_current}/revoke#sessions")]
    );

    // Revoking this browser's own session (no button, but a hand-made form) signs it out.
    let left = api_get(&app, &a.access, "/api/v1/auth/sessions").await;
    let own_id = left
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .find(|id| *id != api_current)
        .unwrap();
    let res = b
        .post_form(&format!("/settings/sessions/{own_id}/revoke"), &[])
        .await;
    redirected(&res, "/");
    redirected(&b.get("/settings").await, "/signin?next=%2Fsettings");
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_then_signs_out() {
    let app = spawn().await;
    let (a, b) = signed_in(&app, "ada").await;
    fill_profile(&b).await;
    let page = b.get("/settings").await;
    assert!(page.text.contains("action=\"/settings/delete#delete\""));
    assert!(
        page.text
            .contains("data-confirm=\"Delete your account for good?")
    );

    let res = b
        .post_form("/settings/delete", &[("password", "wrong password")])
        .await;
    res.expect(422);
    let at = res.text.find("id=\"e-password\"").unwrap();
    assert!(res.text[at..].contains("is not your current password"));
    b.get("/profile").await.expect(200);
    app.browser().get("/u/ada").await.expect(200);

    let res = b
        .post_form("/settings/delete", &[("password", PASSWORD)])
        .await;
    redirected(&res, "/");
    assert!(b.cookie("vt_session").is_none_or(|c| c.is_empty()));
    let landing = b.get("/").await;
    landing.expect(200);
    assert!(landing.text.contains("Your account is deleted"));
    redirected(&b.get("/dashboard").await, "/signin?next=%2Fdashboard");
    app.browser().get("/u/ada").await.expect(404);
    login(&app, &a.email, PASSWORD).await.expect(401);
    let found = app.browser().get("/search?q=ada").await;
    assert!(!found.text.contains("/u/ada\""));
}

#[tokio::test]
async fn forms_without_the_csrf_token_change_nothing() {
    let app = spawn().await;
    let (a, b) = signed_in(&app, "ada").await;
    let res = b
        .post_form_without_csrf("/profile/skills", &[("name", "Rust"), ("level", "3")])
        .await;
    res.expect(403);
    assert!(res.text.contains("This form has expired"));
    let res = b
        .post_form_without_csrf(
            "/settings/delete",
            &[
                ("csrf_token", "forged-token-forged-token"),
                ("password", PASSWORD),
            ],
        )
        .await;
    res.expect(403);
    assert!(
        api_get(&app, &a.access, "/api/v1/users/me/skills")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    b.get("/profile").await.expect(200);
}

#[tokio::test]
async fn people_search_with_pagination_and_an_empty_state() {
    let app = spawn().await;
    let join = |username: String, full_name: String| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/auth/register",
                json!({"email": format!("{username}@example.com"), "username": username,
                       "password": PASSWORD, "full_name": full_name}),
            )
            .await
            .expect(201);
        }
    };
    for i in 1..=23 {
        join(format!("person{i:02}"), format!("Member {i}")).await;
    }
    join("zed".into(), "Zed Shaw".into()).await;
    let anon = app.browser();

    let first = anon.get("/search?q=person").await;
    first.expect(200);
    assert!(first.text.contains("23 people matching"), "{}", first.text);
    let links = attrs_starting(&first.text, "href", "/u/person");
    assert_eq!(links.len(), 20, "twenty per page");
    assert_eq!(links[0], "/u/person01");
    assert!(!first.text.contains("/u/zed"));
    assert!(
        first.text.contains("href=\"/search?q=person&amp;page=2\"")
            || first.text.contains("href=\"/search?q=person&#38;page=2\"")
    );
    assert!(!first.text.contains("rel=\"prev\""));
    assert!(
        first.text.contains("value=\"person\""),
        "the query stays in the box"
    );

    let second = anon.get("/search?q=person&page=2").await;
    second.expect(200);
    let links = attrs_starting(&second.text, "href", "/u/person");
    assert_eq!(links, vec!["/u/person21", "/u/person22", "/u/person23"]);
    assert!(second.text.contains("rel=\"prev\"") && !second.text.contains("rel=\"next\""));
    assert!(second.text.contains("Page 2 of 2"));

    let past = anon.get("/search?q=person&page=9").await;
    past.expect(200);
    assert!(past.text.contains("No more results"));

    let none = anon.get("/search?q=%3Cnobody%3E").await;
    none.expect(200);
    assert!(none.text.contains("No one matches") && !none.text.contains("<nobody>"));

    // Bad page numbers fall back to the first page; no query lists everyone.
    let all = anon.get("/search?page=abc").await;
    all.expect(200);
    assert!(all.text.contains("24 people"));
    assert!(all.text.contains("href=\"/search?page=2\""));

    // Case-insensitive, on names too, for signed-in people as well.
    let (_a, b) = signed_in(&app, "ada").await;
    redirected(
        &b.post_form("/profile", &[("full_name", "Ada Lovelace")])
            .await,
        "/profile#basics",
    );
    let found = app.browser().get("/search?q=LOVE").await;
    let links = attrs_starting(&found.text, "href", "/u/");
    assert_eq!(links, vec!["/u/ada"]);
    assert!(found.text.contains("Ada Lovelace"));
}
