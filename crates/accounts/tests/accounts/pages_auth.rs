//! Account pages through HTTP as a browser without JavaScript uses them: forms, cookies, CSRF,
//! redirects, flash messages and error pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;

#[tokio::test]
async fn landing_for_visitors_and_dashboard_after_sign_up() {
    let app = spawn().await;
    let b = app.browser();
    let landing = b.get("/").await;
    landing.expect(200);
    assert!(landing.text.contains("Create your free account"));
    assert!(
        landing
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );

    let res = b
        .post_form(
            "/signup",
            &[
                ("full_name", "Ada Lovelace"),
                ("email", "ada@example.com"),
                ("username", "ada"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    assert_eq!(res.header("location"), Some("/dashboard"));
    let set_cookies: Vec<&str> = res
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let session = set_cookies
        .iter()
        .find(|c| c.starts_with("vt_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && !session.contains("Secure"),
        "{session}"
    );

    let dash = b.get("/dashboard").await;
    dash.expect(200);
    assert!(dash.text.contains("Hello, Ada"), "{}", dash.text);
    assert!(
        dash.text
            .contains("We sent a confirmation link to ada@example.com"),
        "flash shown once"
    );
    assert!(dash.text.contains("% complete"));
    // The flash is gone on the next page.
    let again = b.get("/dashboard").await;
    assert!(
        !again
            .text
            .contains("We sent a confirmation link to ada@example.com")
    );
    // Signed in, the start page is the dashboard.
    let home = b.get("/").await;
    assert_eq!(
        (home.status, home.header("location")),
        (303, Some("/dashboard"))
    );
}

#[tokio::test]
async fn sign_up_errors_are_shown_next_to_the_fields() {
    let app = spawn().await;
    register(&app, "taken").await;
    let b = app.browser();
    let res = b
        .post_form(
            "/signup",
            &[
                ("email", "not-an-email"),
                ("username", "x"),
                ("password", "short"),
            ],
        )
        .await;
    res.expect(422);
    assert!(res.text.contains("id=\"e-email\""), "{}", res.text);
    assert!(res.text.contains("id=\"e-username\""));
    assert!(res.text.contains("id=\"e-password\""));
    assert!(res.text.contains("must be a valid email address"));
    assert!(
        res.text.contains("value=\"not-an-email\""),
        "the typed value is kept"
    );
    let res = b
        .post_form(
            "/signup",
            &[
                ("email", "taken@example.com"),
                ("username", "fresh"),
                ("password", PASSWORD),
            ],
        )
        .await;
    res.expect(409);
    assert!(
        res.text.contains("id=\"e-email\"") && res.text.contains("already exists"),
        "{}",
        res.text
    );
    assert!(b.cookie("vt_session").is_none());
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let b = app.browser();
    b.get("/signin").await.expect(200);
    assert!(b.cookie("vt_csrf").is_some());
    let res = b
        .post_form_without_csrf("/signin", &[("email", &a.email), ("password", PASSWORD)])
        .await;
    res.expect(403);
    assert!(res.text.contains("This form has expired"));
    let res = b
        .post_form_without_csrf(
            "/signin",
            &[
                ("csrf_token", "forged-token-forged-token"),
                ("email", &a.email),
                ("password", PASSWORD),
            ],
        )
        .await;
    res.expect(403);
    assert!(b.cookie("vt_session").is_none());
}

#[tokio::test]
async fn sign_in_errors_lockout_and_next() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let b = app.browser();
    // A protected page sends you to sign in and back.
    let res = b.get("/dashboard").await;
    assert_eq!(
        (res.status, res.header("location")),
        (303, Some("/signin?next=%2Fdashboard"))
    );
    let page = b.get("/signin?next=/settings").await;
    assert!(page.text.contains("value=\"/settings\""));
    let res = b
        .post_form(
            "/signin",
            &[("email", &a.email), ("password", "wrong password")],
        )
        .await;
    res.expect(401);
    assert!(
        res.text.contains("role=\"alert\"") && res.text.contains("password is wrong"),
        "{}",
        res.text
    );
    for _ in 0..3 {
        b.post_form(
            "/signin",
            &[("email", &a.email), ("password", "wrong password")],
        )
        .await
        .expect(401);
    }
    let locked = b
        .post_form(
            "/signin",
            &[("email", &a.email), ("password", "wrong password")],
        )
        .await;
    locked.expect(423);
    assert!(
        locked.text.contains("try again in 15 minutes"),
        "{}",
        locked.text
    );
    let locked = b
        .post_form("/signin", &[("email", &a.email), ("password", PASSWORD)])
        .await;
    locked.expect(423);
    app.advance(chrono::Duration::minutes(16));
    let ok = b
        .post_form(
            "/signin",
            &[
                ("email", &a.email),
                ("password", PASSWORD),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!((ok.status, ok.header("location")), (303, Some("/settings")));
    // No open redirects.
    let b2 = app.browser();
    let ok = b2
        .post_form(
            "/signin",
            &[
                ("email", &a.email),
                ("password", PASSWORD),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(ok.header("location"), Some("/dashboard"));
}

#[tokio::test]
async fn next_with_control_characters_or_backslashes_stays_on_site() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let b = app.browser();
    // Browsers drop the tab: `/<TAB>/evil.example` would be `//evil.example`, another site.
    let page = b.get("/signin?next=/%09/evil.example").await;
    page.expect(200);
    assert!(!page.text.contains("evil.example"), "{}", page.text);
    assert!(page.text.contains("value=\"/dashboard\""), "{}", page.text);
    for evil in ["/\t/evil.example", "/\\evil.example", "/%5Cevil.example"] {
        let b = app.browser();
        let res = b
            .post_form(
                "/signin",
                &[("email", &a.email), ("password", PASSWORD), ("next", evil)],
            )
            .await;
        assert_eq!(
            (res.status, res.header("location")),
            (303, Some("/dashboard")),
            "{evil:?}"
        );
    }
}

#[tokio::test]
async fn sign_out_and_revoked_sessions_end_the_browser_session() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let b = app.browser();
    b.sign_in(&a.email, PASSWORD).await;
    b.get("/dashboard").await.expect(200);
    let out = b.post_form("/signout", &[]).await;
    assert_eq!((out.status, out.header("location")), (303, Some("/")));
    assert!(b.cookie("vt_session").is_none_or(|c| c.is_empty()));
    assert_eq!(b.get("/dashboard").await.status, 303);

    // Revoking the browser's session from the API (the sessions page does the same) signs it out.
    b.sign_in(&a.email, PASSWORD).await;
    let sessions = app
        .req(reqwest::Method::GET, "/api/v1/auth/sessions")
        .token(&a.access)
        .send()
        .await;
    let browser_session = sessions
        .data()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.req(
        reqwest::Method::DELETE,
        &format!("/api/v1/auth/sessions/{browser_session}"),
    )
    .token(&a.access)
    .send()
    .await
    .expect(204);
    let res = b.get("/dashboard").await;
    assert_eq!(res.status, 303);
    let cleared = res
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.starts_with("vt_session=;"));
    assert!(cleared, "the stale cookie is cleared");
    let landing = b.get("/").await;
    assert!(landing.text.contains("Sign in"));
}

#[tokio::test]
async fn forgot_and_reset_password_pages() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    app.wait_for_mail(&a.email, 1).await;
    let b = app.browser();
    b.get("/forgot-password").await.expect(200);
    let res = b.post_form("/forgot-password", &[("email", "")]).await;
    res.expect(422);
    let res = b
        .post_form("/forgot-password", &[("email", &a.email)])
        .await;
    res.expect(200);
    assert!(res.text.contains("is on its way"));
    let unknown = b
        .post_form("/forgot-password", &[("email", "nobody@example.com")])
        .await;
    assert!(
        unknown.text.contains("is on its way"),
        "same answer for unknown addresses"
    );
    let token = token_from_mail(&app.wait_for_mail(&a.email, 2).await[0].body_text);
    let form = b.get(&format!("/reset-password?token={token}")).await;
    form.expect(200);
    assert!(form.text.contains(&token));
    let weak = b
        .post_form(
            "/reset-password",
            &[("token", &token), ("new_password", "short")],
        )
        .await;
    weak.expect(422);
    assert!(weak.text.contains("id=\"e-new_password\""));
    let done = b
        .post_form(
            "/reset-password",
            &[("token", &token), ("new_password", "a brand new secret")],
        )
        .await;
    assert_eq!(
        (done.status, done.header("location")),
        (303, Some("/signin"))
    );
    let page = b.get("/signin").await;
    assert!(page.text.contains("Your password is changed"));
    b.sign_in(&a.email, "a brand new secret").await;
    let spent = b
        .post_form(
            "/reset-password",
            &[("token", &token), ("new_password", "another new one")],
        )
        .await;
    spent.expect(400);
    assert!(spent.text.contains("invalid or was already used"));
}

#[tokio::test]
async fn verify_email_page_and_resend() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let token = token_from_mail(&app.wait_for_mail(&a.email, 1).await[0].body_text);
    let b = app.browser();
    b.sign_in(&a.email, PASSWORD).await;
    let dash = b.get("/dashboard").await;
    assert!(dash.text.contains("Please confirm your email address"));
    let resent = b.post_form("/verify-email/resend", &[]).await;
    assert_eq!(resent.status, 303);
    app.wait_for_mail(&a.email, 2).await;
    let ok = b.get(&format!("/verify-email?token={token}")).await;
    ok.expect(200);
    assert!(ok.text.contains("Email confirmed"));
    let again = b.get(&format!("/verify-email?token={token}")).await;
    again.expect(400);
    assert!(again.text.contains("We could not confirm your email"));
    let dash = b.get("/dashboard").await;
    assert!(!dash.text.contains("Please confirm your email address"));
}

#[tokio::test]
async fn theme_choice_persists_in_a_cookie() {
    let app = spawn().await;
    let b = app.browser();
    let page = b.get("/").await;
    assert!(page.text.contains("data-theme=\"system\""));
    let res = b
        .post_form("/theme", &[("theme", "dark"), ("back", "/signin")])
        .await;
    assert_eq!((res.status, res.header("location")), (303, Some("/signin")));
    assert_eq!(b.cookie("vt_theme").as_deref(), Some("dark"));
    assert!(b.get("/signin").await.text.contains("data-theme=\"dark\""));
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_404_and_assets_are_cached() {
    let app = spawn().await;
    let b = app.browser();
    let res = b.get("/no/such/page").await;
    res.expect(404);
    assert!(
        res.text.contains("Page not found") && res.text.contains("<main"),
        "{}",
        res.text
    );
    // The layout links hashed assets that are served with long cache lifetimes.
    let css = res
        .text
        .split("href=\"")
        .find_map(|s| s.strip_prefix("/static/css/app."))
        .map(|s| s.split('"').next().unwrap().to_owned())
        .unwrap();
    let asset = b.get(&format!("/static/css/app.{css}")).await;
    asset.expect(200);
    assert!(asset.header("cache-control").unwrap().contains("immutable"));
    assert!(
        asset
            .header("content-type")
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(b.get("/static/nope.css").await.status, 404);
}

#[tokio::test]
async fn session_cookie_is_secure_behind_https() {
    let app = spawn_with(|c| c.public_url = Some("https://vertechie.example".into())).await;
    let b = app.browser();
    let res = b
        .post_form(
            "/signup",
            &[
                ("email", "ada@example.com"),
                ("username", "ada"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    let session = res
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("vt_session="))
        .unwrap()
        .to_owned();
    assert!(
        session.contains("; Secure") && session.contains("HttpOnly"),
        "{session}"
    );
    assert!(res.header("strict-transport-security").is_some());
}
