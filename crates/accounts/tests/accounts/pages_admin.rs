#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Admin pages through HTTP as a browser without JavaScript uses them: the users list with its
//! filters and row actions, the mail outbox and the audit log.

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use vertechie_kernel::testkit::{Browser, TestApp, TestResponse};

// ---- helpers (local to this file) ----

async fn register_named(app: &TestApp, username: &str, full_name: &str) -> Account {
    let email = format!("{username}@example.com");
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": email, "username": username, "password": PASSWORD, "full_name": full_name}),
        )
        .await;
    res.expect(201);
    let d = res.data();
    Account {
        id: d["user"]["id"].as_str().unwrap().to_owned(),
        email,
        username: username.to_owned(),
        access: d["access_token"].as_str().unwrap().to_owned(),
        refresh: d["refresh_token"].as_str().unwrap().to_owned(),
    }
}

/// A browser signed in as `acc`.
async fn browser_for(app: &TestApp, acc: &Account) -> Browser {
    let b = app.browser();
    b.sign_in(&acc.email, PASSWORD).await;
    b
}

/// The user as the admin API sees it (roles, is_active), looked up by username.
async fn api_user(app: &TestApp, boss: &Account, username: &str) -> Value {
    let res = app
        .req(
            Method::GET,
            &format!("/api/v1/users?q={username}&limit=100"),
        )
        .token(&boss.access)
        .send()
        .await;
    res.expect(200);
    res.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .cloned()
        .unwrap_or_else(|| panic!("{username} not in the admin API list"))
}

async fn api_roles(app: &TestApp, boss: &Account, username: &str) -> Vec<String> {
    let mut roles: Vec<String> = api_user(app, boss, username).await["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    roles.sort();
    roles
}

/// Number of user rows on a users list page.
fn rows(page: &TestResponse) -> usize {
    page.text.matches("<tr id=\"user-").count()
}

/// Follows a 303 and returns the page it leads to.
async fn follow(b: &Browser, res: &TestResponse) -> TestResponse {
    assert_eq!(res.status, 303, "{}", res.text);
    let to = res.header("location").expect("location").to_owned();
    let page = b.get(&to).await;
    page.expect(200);
    page
}

fn active_form(id: &str) -> String {
    format!("action=\"/admin/users/{id}/active\"")
}

fn roles_form(id: &str) -> String {
    format!("action=\"/admin/users/{id}/roles\"")
}

// ---- tests ----

#[tokio::test]
async fn admin_pages_are_for_admins_only() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let techie = register(&app, "techie").await;

    // Signed out: sent to sign in and back.
    let visitor = app.browser();
    for path in ["/admin/users", "/admin/outbox", "/admin/audit"] {
        let res = visitor.get(path).await;
        let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(
            (res.status, res.header("location")),
            (303, Some(format!("/signin?next={next}").as_str())),
            "{path}"
        );
    }

    // A techie gets the friendly 403 page, which shows nobody's data.
    let b = browser_for(&app, &techie).await;
    let dash = b.get("/dashboard").await;
    assert!(
        !dash.text.contains("href=\"/admin/users\""),
        "no Admin link for techies"
    );
    for path in [
        "/admin/users",
        "/admin/users?q=boss",
        "/admin/outbox",
        "/admin/audit",
    ] {
        let res = b.get(path).await;
        res.expect(403);
        assert!(
            res.text.contains("Not allowed") && res.text.contains("<main"),
            "{path}: {}",
            res.text
        );
        assert!(!res.text.contains(&boss.email), "{path} leaks data");
    }
    // Nor can a techie act, even with a valid form.
    let res = b
        .post_form(
            &format!("/admin/users/{}/active", boss.id),
            &[("active", "false"), ("back", "/admin/users")],
        )
        .await;
    res.expect(403);
    let res = b
        .post_form(
            &format!("/admin/users/{}/roles", techie.id),
            &[("roles", "techie"), ("roles", "admin")],
        )
        .await;
    res.expect(403);
    assert_eq!(api_user(&app, &boss, "boss").await["is_active"], true);
    assert_eq!(api_roles(&app, &boss, "techie").await, vec!["techie"]);

    // An admin has the Admin link and the pages.
    let a = browser_for(&app, &boss).await;
    assert!(
        a.get("/dashboard")
            .await
            .text
            .contains("href=\"/admin/users\"")
    );
    let res = a.get("/admin").await;
    assert_eq!(
        (res.status, res.header("location")),
        (303, Some("/admin/users"))
    );
}

#[tokio::test]
async fn users_list_searches_filters_and_paginates() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    for i in 1..=22 {
        register_named(
            &app,
            &format!("member{i:02}"),
            &format!("Member Number{i:02}"),
        )
        .await;
    }
    let ada = register_named(&app, "ada", "Ada Lovelace").await;
    let grace = register_named(&app, "grace", "Grace Hopper").await;
    // Grace mentors; Ada is disabled (both through the API).
    app.req(Method::PATCH, &format!("/api/v1/users/{}", grace.id))
        .token(&boss.access)
        .json(&json!({"roles": ["techie", "mentor"]}))
        .send()
        .await
        .expect(200);
    app.req(Method::PATCH, &format!("/api/v1/users/{}", ada.id))
        .token(&boss.access)
        .json(&json!({"is_active": false}))
        .send()
        .await
        .expect(200);

    let b = browser_for(&app, &boss).await;
    // 25 people: 20 on page 1, 5 on page 2, newest first.
    let p1 = b.get("/admin/users").await;
    p1.expect(200);
    assert!(p1.text.contains("25 users"), "{}", p1.text);
    assert!(p1.text.contains("page 1 of 2"));
    assert_eq!(rows(&p1), 20);
    assert!(p1.text.contains("grace@example.com") && p1.text.contains("Grace Hopper"));
    assert!(!p1.text.contains("boss@example.com"), "oldest is on page 2");
    assert!(p1.text.contains("href=\"/admin/users?page=2\""));
    let p2 = b.get("/admin/users?page=2").await;
    assert_eq!(rows(&p2), 5);
    assert!(p2.text.contains("boss@example.com") && p2.text.contains("member01@example.com"));
    assert!(p2.text.contains("href=\"/admin/users\" rel=\"prev\""));
    // Roles are shown as tags, the disabled account is marked.
    assert!(p1.text.contains("<li class=\"tag\">mentor</li>"));
    assert!(
        p2.text
            .contains("<li class=\"tag tag-primary\">super_admin</li>")
    );

    // Search by name, email or username, case-insensitively.
    let s = b.get("/admin/users?q=lovelace").await;
    assert_eq!(rows(&s), 1);
    assert!(s.text.contains("ada@example.com") && s.text.contains("1 user matches"));
    assert!(
        s.text.contains("value=\"lovelace\""),
        "the search box keeps the query"
    );
    let s = b.get("/admin/users?q=MEMBER0").await;
    assert_eq!(rows(&s), 9);
    let s = b.get("/admin/users?q=nobody-like-this").await;
    assert_eq!(rows(&s), 0);
    assert!(s.text.contains("No users found"));

    // Filter by role and by status.
    let s = b.get("/admin/users?role=mentor").await;
    assert_eq!(rows(&s), 1);
    assert!(s.text.contains("grace@example.com"));
    assert!(s.text.contains("<option value=\"mentor\" selected>"));
    let s = b.get("/admin/users?role=super_admin").await;
    assert_eq!(rows(&s), 1);
    assert!(s.text.contains("boss@example.com"));
    let s = b.get("/admin/users?status=disabled").await;
    assert_eq!(rows(&s), 1);
    assert!(s.text.contains("ada@example.com") && s.text.contains("Disabled"));
    assert!(s.text.contains(&active_form(&ada.id)) && s.text.contains(">Activate</button>"));
    let s = b.get("/admin/users?status=active&q=member").await;
    assert_eq!(rows(&s), 20);
    assert!(s.text.contains("22 users match"));
    // Pagination keeps the filters.
    assert!(
        s.text
            .contains("href=\"/admin/users?q=member&#38;status=active&#38;page=2\""),
        "{}",
        s.text
    );
    let s2 = b.get("/admin/users?q=member&status=active&page=2").await;
    assert_eq!(rows(&s2), 2);
    assert!(s2.text.contains("member01@example.com") && !s2.text.contains("ada@example.com"));
    // Row forms come back to the filtered list.
    assert!(
        s2.text
            .contains("name=\"back\" value=\"/admin/users?q=member&#38;status=active&#38;page=2\"")
    );
    // Nonsense filters are ignored rather than failing.
    let s = b.get("/admin/users?role=pope&status=maybe&page=abc").await;
    s.expect(200);
    assert_eq!(rows(&s), 20);
}

#[tokio::test]
async fn deactivating_a_user_ends_their_browser_session_and_reactivating_restores_it() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let admin = admin(&app, &boss, "admin").await;
    let bob = register(&app, "bob").await;

    let bob_browser = browser_for(&app, &bob).await;
    bob_browser.get("/dashboard").await.expect(200);

    let a = browser_for(&app, &admin).await;
    let list = a.get("/admin/users?q=bob").await;
    assert!(list.text.contains(&active_form(&bob.id)));
    assert!(list.text.contains(">Deactivate</button>"));
    let res = a
        .post_form(
            &format!("/admin/users/{}/active", bob.id),
            &[("active", "false"), ("back", "/admin/users?q=bob")],
        )
        .await;
    assert_eq!(res.header("location"), Some("/admin/users?q=bob"));
    let page = follow(&a, &res).await;
    assert!(
        page.text
            .contains("@bob is deactivated and signed out everywhere"),
        "{}",
        page.text
    );
    assert!(page.text.contains("Disabled") && page.text.contains(">Activate</button>"));
    assert_eq!(api_user(&app, &boss, "bob").await["is_active"], false);

    // Bob's browser is signed out on its next page; signing in again is refused.
    let res = bob_browser.get("/dashboard").await;
    assert_eq!(
        (res.status, res.header("location")),
        (303, Some("/signin?next=%2Fdashboard"))
    );
    let res = bob_browser
        .post_form("/signin", &[("email", &bob.email), ("password", PASSWORD)])
        .await;
    res.expect(403);
    assert!(
        res.text.contains("This account has been disabled"),
        "{}",
        res.text
    );
    assert!(
        bob_browser
            .cookie("vt_session")
            .is_none_or(|c| c.is_empty())
    );

    // Reactivate: Bob can sign in again.
    let res = a
        .post_form(
            &format!("/admin/users/{}/active", bob.id),
            &[("active", "true"), ("back", "/admin/users?status=disabled")],
        )
        .await;
    assert_eq!(res.header("location"), Some("/admin/users?status=disabled"));
    let page = follow(&a, &res).await;
    assert!(page.text.contains("@bob is active again"));
    assert_eq!(rows(&page), 0, "nobody is disabled any more");
    assert_eq!(api_user(&app, &boss, "bob").await["is_active"], true);
    bob_browser.sign_in(&bob.email, PASSWORD).await;
    bob_browser.get("/dashboard").await.expect(200);

    // A back target off the users list is ignored.
    let res = a
        .post_form(
            &format!("/admin/users/{}/active", bob.id),
            &[("active", "true"), ("back", "https://evil.example/")],
        )
        .await;
    assert_eq!(res.header("location"), Some("/admin/users"));
}

#[tokio::test]
async fn nobody_is_offered_actions_they_may_not_take() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let admin = admin(&app, &boss, "admin").await;
    let carol = register(&app, "carol").await;

    // A plain admin: no actions on admin rows (theirs or the boss's), no privileged checkboxes.
    let a = browser_for(&app, &admin).await;
    let list = a.get("/admin/users").await;
    for id in [&boss.id, &admin.id] {
        assert!(!list.text.contains(&active_form(id)), "{}", list.text);
        assert!(!list.text.contains(&roles_form(id)));
    }
    assert!(list.text.contains(&active_form(&carol.id)));
    assert!(list.text.contains(&roles_form(&carol.id)));
    assert!(list.text.contains("name=\"roles\" value=\"mentor\""));
    assert!(!list.text.contains("name=\"roles\" value=\"admin\""));
    assert!(!list.text.contains("name=\"roles\" value=\"super_admin\""));
    assert!(list.text.contains("Super admin only"));

    // A super admin: every checkbox, actions on admins, but no deactivating themselves and their
    // own super_admin role cannot be unticked.
    let s = browser_for(&app, &boss).await;
    let list = s.get("/admin/users").await;
    assert!(list.text.contains(&active_form(&admin.id)));
    assert!(list.text.contains(&roles_form(&admin.id)));
    assert!(list.text.contains("name=\"roles\" value=\"admin\""));
    assert!(list.text.contains("name=\"roles\" value=\"super_admin\""));
    assert!(!list.text.contains(&active_form(&boss.id)));
    assert!(list.text.contains(&roles_form(&boss.id)));
    assert!(list.text.contains(
        "<input type=\"checkbox\" checked disabled><input type=\"hidden\" name=\"roles\" value=\"super_admin\">"
    ));

    // Forged forms are still refused by the service, with an error flash.
    let res = s
        .post_form(
            &format!("/admin/users/{}/active", boss.id),
            &[("active", "false"), ("back", "/admin/users")],
        )
        .await;
    let page = follow(&s, &res).await;
    assert!(
        page.text.contains("You cannot disable your own account"),
        "{}",
        page.text
    );
    let res = s
        .post_form(
            &format!("/admin/users/{}/roles", boss.id),
            &[("roles", "techie"), ("roles", "admin")],
        )
        .await;
    let page = follow(&s, &res).await;
    assert!(
        page.text
            .contains("You cannot remove your own super_admin role")
    );
    assert_eq!(api_user(&app, &boss, "boss").await["is_active"], true);
    assert_eq!(
        api_roles(&app, &boss, "boss").await,
        vec!["admin", "super_admin", "techie"]
    );
}

#[tokio::test]
async fn role_changes_follow_the_super_admin_rules() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let admin = admin(&app, &boss, "admin").await;
    let carol = register(&app, "carol").await;

    // An admin grants mentor and recruiter from the page; the API sees it.
    let a = browser_for(&app, &admin).await;
    let res = a
        .post_form(
            &format!("/admin/users/{}/roles", carol.id),
            &[
                ("roles", "techie"),
                ("roles", "mentor"),
                ("roles", "recruiter"),
                ("back", "/admin/users?q=carol"),
            ],
        )
        .await;
    assert_eq!(res.header("location"), Some("/admin/users?q=carol"));
    let page = follow(&a, &res).await;
    assert!(
        page.text
            .contains("Roles of @carol: techie, mentor, recruiter."),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("name=\"roles\" value=\"mentor\" checked")
    );
    assert_eq!(
        api_roles(&app, &boss, "carol").await,
        vec!["mentor", "recruiter", "techie"]
    );

    // An admin cannot grant admin: an error flash and nothing changes.
    let res = a
        .post_form(
            &format!("/admin/users/{}/roles", carol.id),
            &[
                ("roles", "techie"),
                ("roles", "admin"),
                ("back", "/admin/users?q=carol"),
            ],
        )
        .await;
    assert_eq!(res.header("location"), Some("/admin/users?q=carol"));
    let page = follow(&a, &res).await;
    assert!(
        page.text.contains("toast-error")
            && page
                .text
                .contains("Only a super admin can grant admin or super_admin"),
        "{}",
        page.text
    );
    assert_eq!(
        api_roles(&app, &boss, "carol").await,
        vec!["mentor", "recruiter", "techie"]
    );
    // …nor touch an admin's account.
    let res = a
        .post_form(
            &format!("/admin/users/{}/active", boss.id),
            &[("active", "false")],
        )
        .await;
    let page = follow(&a, &res).await;
    assert!(page.text.contains("Only a super admin can change an admin"));
    assert_eq!(api_user(&app, &boss, "boss").await["is_active"], true);

    // Invalid role sets are refused with a message.
    let res = a
        .post_form(&format!("/admin/users/{}/roles", carol.id), &[])
        .await;
    let page = follow(&a, &res).await;
    assert!(
        page.text.contains("A user needs at least one role"),
        "{}",
        page.text
    );
    let res = a
        .post_form(
            &format!("/admin/users/{}/roles", carol.id),
            &[("roles", "pope")],
        )
        .await;
    let page = follow(&a, &res).await;
    assert!(
        page.text.contains("There is no role &#34;pope&#34;."),
        "{}",
        page.text
    );
    assert_eq!(
        api_roles(&app, &boss, "carol").await,
        vec!["mentor", "recruiter", "techie"]
    );
    // An unknown user id is a 404 page.
    let res = a
        .post_form("/admin/users/not-a-uuid/roles", &[("roles", "techie")])
        .await;
    res.expect(404);

    // The super admin can grant admin; Carol then sees the Admin pages.
    let s = browser_for(&app, &boss).await;
    let res = s
        .post_form(
            &format!("/admin/users/{}/roles", carol.id),
            &[("roles", "techie"), ("roles", "admin")],
        )
        .await;
    let page = follow(&s, &res).await;
    assert!(page.text.contains("Roles of @carol: techie, admin."));
    assert_eq!(
        api_roles(&app, &boss, "carol").await,
        vec!["admin", "techie"]
    );
    let c = browser_for(&app, &carol).await;
    c.get("/admin/users").await.expect(200);

    // The audit page lists the changes, newest first, with names.
    let audit = s.get("/admin/audit").await;
    audit.expect(200);
    let granted = audit.text.find("user.roles_changed").unwrap();
    assert!(audit.text[granted..].contains("@boss") && audit.text[granted..].contains("@carol"));
    assert!(
        audit.text.contains("@admin"),
        "the admin's own change is listed"
    );
    assert!(
        audit
            .text
            .contains("&#34;after&#34;:[&#34;techie&#34;,&#34;admin&#34;]")
    );
}

#[tokio::test]
async fn outbox_shows_development_mail_to_admins_only() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let dave = register_named(&app, "dave", "<b>Dave</b> & co").await;
    let erin = register(&app, "erin").await;
    let dave_mail = app.wait_for_mail(&dave.email, 1).await;
    app.wait_for_mail(&erin.email, 1).await;
    let token = token_from_mail(&dave_mail[0].body_text);

    let b = browser_for(&app, &boss).await;
    let page = b.get("/admin/outbox").await;
    page.expect(200);
    assert!(page.text.contains("Confirm your email for VerTechie"));
    assert!(page.text.contains("to dave@example.com") && page.text.contains("to erin@example.com"));
    // Newest first: Erin registered after Dave.
    assert!(
        page.text.find("to erin@example.com").unwrap()
            < page.text.find("to dave@example.com").unwrap()
    );
    // The text is escaped; the verification link is clickable.
    assert!(
        page.text
            .contains("Hi &#60;b&#62;Dave&#60;/b&#62; &#38; co,"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("<b>Dave</b>"));
    assert!(page.text.contains("<details>"));
    // The verification link is shown as a link, its token masked.
    let link_start = page
        .text
        .find("verify-email?token=\u{2026}\" rel=\"noopener noreferrer nofollow\">")
        .expect("a masked verification link");
    assert!(page.text[..link_start].rfind("<a href=\"http").is_some());
    assert!(!page.text.contains(&token));

    // Filter by recipient (case and spaces do not matter).
    let only = b.get("/admin/outbox?to=%20DAVE@example.com%20").await;
    assert!(
        only.text.contains("to dave@example.com") && !only.text.contains("to erin@example.com")
    );
    assert!(only.text.contains("value=\"dave@example.com\""));
    let none = b.get("/admin/outbox?to=nobody@example.com").await;
    assert!(none.text.contains("No mail to nobody@example.com"));

    // The link works from there: Dave confirms his address.
    let db = app.browser();
    db.get(&format!("/verify-email?token={token}"))
        .await
        .expect(200);

    // Pages of 20, newest first.
    for i in 0..21 {
        register(&app, &format!("p{i:02}")).await;
    }
    app.wait_for_mail("p20@example.com", 1).await;
    let p1 = b.get("/admin/outbox").await;
    assert_eq!(p1.text.matches("<li class=\"outbox-mail\">").count(), 20);
    assert!(p1.text.contains("href=\"/admin/outbox?page=2\""));
    let p2 = b.get("/admin/outbox?page=2").await;
    assert!(p2.text.contains("to dave@example.com"));
    assert!(p2.text.contains("href=\"/admin/outbox\" rel=\"prev\""));

    // Not for techies, nor for plain admins.
    let t = browser_for(&app, &erin).await;
    let res = t.get("/admin/outbox").await;
    res.expect(403);
    assert!(!res.text.contains("dave@example.com") && !res.text.contains(&token));
    let adam = admin(&app, &boss, "adam").await;
    let a = browser_for(&app, &adam).await;
    let res = a.get("/admin/outbox").await;
    res.expect(403);
    assert!(!res.text.contains("dave@example.com") && !res.text.contains(&token));
}

#[tokio::test]
async fn admin_forms_without_the_csrf_token_are_refused() {
    let app = spawn().await;
    let boss = super_admin(&app, "boss").await;
    let bob = register(&app, "bob").await;
    let b = browser_for(&app, &boss).await;
    let res = b
        .post_form_without_csrf(
            &format!("/admin/users/{}/active", bob.id),
            &[("active", "false")],
        )
        .await;
    res.expect(403);
    assert!(res.text.contains("This form has expired"));
    let res = b
        .post_form_without_csrf(
            &format!("/admin/users/{}/roles", bob.id),
            &[
                ("csrf_token", "forged-token-forged-token"),
                ("roles", "techie"),
                ("roles", "admin"),
            ],
        )
        .await;
    res.expect(403);
    assert_eq!(api_user(&app, &boss, "bob").await["is_active"], true);
    assert_eq!(api_roles(&app, &boss, "bob").await, vec!["techie"]);
}
