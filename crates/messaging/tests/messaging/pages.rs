#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The messaging pages driven as a browser without JavaScript: the messages home, creating and
//! browsing rooms (inline errors), a room's page (post, reply, edit, delete, react, join, leave,
//! add people, mark read, older pages), direct conversations with "Seen", search, the
//! notifications list (open, mark one and all read), the notification preferences, 404 for
//! what the reader may not see, CSRF on forms and on cookie-authenticated API writes. Effects are
//! checked through the JSON API and the database; on SQLite and PostgreSQL.

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

#[track_caller]
fn redirected(res: &TestResponse, to: &str) {
    assert_eq!(
        (res.status, res.header("location")),
        (303, Some(to)),
        "expected a redirect to {to}: {}",
        res.text
    );
}

/// The target of a 303, asserting it starts with `prefix`.
#[track_caller]
fn redirected_to(res: &TestResponse, prefix: &str) -> String {
    assert_eq!(res.status, 303, "not a redirect: {}", res.text);
    let to = res.header("location").unwrap().to_owned();
    assert!(to.starts_with(prefix), "redirect to {to}, not {prefix}…");
    to
}

#[track_caller]
fn ok(res: &TestResponse) -> &str {
    assert_eq!(res.status, 200, "{}", res.text);
    &res.text
}

/// Follows a redirect (without its #fragment) and returns the page.
async fn follow(b: &Browser, res: &TestResponse) -> TestResponse {
    assert_eq!(res.status, 303, "not a redirect: {}", res.text);
    let to = res.header("location").unwrap();
    b.get(to.split('#').next().unwrap()).await
}

/// The HTML of message `id` on a page.
fn message_html<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"m-{id}\""))
        .unwrap_or_else(|| panic!("message {id} is not on the page"));
    let start = html[..at].rfind("<li").unwrap();
    let rest = &html[start..];
    &rest[..rest.find("</li>\n").unwrap_or(rest.len())]
}

async fn messages_of(app: &TestApp, user: &User, room: &str) -> Vec<Value> {
    let res = get(app, user, &format!("/api/v1/chat/rooms/{room}/messages")).await;
    res.expect(200);
    res.data()["items"].as_array().unwrap().clone()
}

async fn member_ids(app: &TestApp, user: &User, room: &str) -> Vec<String> {
    let res = get(app, user, &format!("/api/v1/chat/rooms/{room}/members")).await;
    res.expect(200);
    res.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn unread_notifications(app: &TestApp, user: &User) -> u64 {
    let res = get(app, user, "/api/v1/notifications").await;
    res.expect(200);
    res.data()["unread_count"].as_u64().unwrap()
}

async fn wait_notifications(app: &TestApp, user: &User, n: u64) -> Vec<Value> {
    wait_until("the notifications", || async {
        unread_notifications(app, user).await >= n
    })
    .await;
    get(app, user, "/api/v1/notifications").await.data()["items"]
        .as_array()
        .unwrap()
        .clone()
}

// ---- tests ----

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in() {
    let app = spawn().await;
    let ada = register(&app, "ada").await;
    let room = room(&app, &ada, "General", "public").await;
    let anon = app.browser();
    for path in [
        "/messages".to_owned(),
        "/messages/rooms".to_owned(),
        "/messages/rooms/new".to_owned(),
        format!("/messages/rooms/{room}"),
        format!("/messages/direct/{}", ada.id),
        "/messages/search?q=x".to_owned(),
        "/messages/scheduled".to_owned(),
        format!("/messages/rooms/{room}/settings"),
        format!("/messages/messages/{}/thread", uuid::Uuid::now_v7()),
        format!("/messages/messages/{}/edits", uuid::Uuid::now_v7()),
        "/notifications".to_owned(),
        "/settings/notifications".to_owned(),
    ] {
        let res = anon.get(&path).await;
        let to = redirected_to(&res, "/signin?next=");
        assert!(to.contains("%2F"), "{path}: {to}");
    }
    // Signed-out pages carry no CSRF meta and no live scripts.
    let landing = anon.get("/").await;
    assert!(!ok(&landing).contains("csrf-token"));
    assert!(!landing.text.contains("notifications."));
}

#[tokio::test]
async fn the_layout_has_the_bell_the_csrf_meta_and_the_scripts() {
    let app = spawn().await;
    let (_ada, b) = signed_in(&app, "ada").await;
    let page = b.get("/dashboard").await;
    let html = ok(&page);
    let token = b.cookie("vt_csrf").unwrap();
    assert!(html.contains(&format!("<meta name=\"csrf-token\" content=\"{token}\">")));
    assert!(html.contains("data-bell") && html.contains("href=\"/notifications\""));
    assert!(html.contains("/static/js/notifications."));
    assert!(html.contains("/static/css/chat."));
    assert!(
        html.contains("href=\"/messages\""),
        "the Messages menu entry"
    );
    for (path, kind) in [
        ("/static/js/realtime.js", "text/javascript"),
        ("/static/js/chat.js", "text/javascript"),
        ("/static/js/notifications.js", "text/javascript"),
        ("/static/css/chat.css", "text/css"),
    ] {
        let res = b.get(path).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(res.header("content-type").unwrap().starts_with(kind));
    }
    // The conversation pages load chat.js; the home page shows ways to start.
    let home = b.get("/messages").await;
    let html = ok(&home);
    assert!(html.contains("/static/js/chat."));
    assert!(html.contains("Create a room") && html.contains("Browse rooms"));
}

#[tokio::test]
async fn creating_a_room_shows_errors_inline_and_posting_works_without_js() {
    let app = spawn().await;
    let (ada, b) = signed_in(&app, "ada").await;

    let form = b.get("/messages/rooms/new").await;
    assert!(ok(&form).contains("name=\"csrf_token\""));

    // Inline 422s, values kept.
    let res = b
        .post_form(
            "/messages/rooms/new",
            &[
                ("name", "   "),
                ("topic", "Kept <topic>"),
                ("kind", "private"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(res.text.contains("id=\"e-name\""));
    assert!(res.text.contains("Kept &#60;topic&#62;"), "{}", res.text);
    assert!(res.text.contains("value=\"private\" checked"));
    let long = "x".repeat(81);
    let res = b
        .post_form(
            "/messages/rooms/new",
            &[("name", &long), ("kind", "public")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.text.contains("id=\"e-name\""));
    let res = b
        .post_form("/messages/rooms/new", &[("name", "Ok"), ("kind", "secret")])
        .await;
    assert_eq!(res.status, 422);
    assert!(res.text.contains("id=\"e-kind\""));
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM chat_rooms").await, 0);

    let res = b
        .post_form(
            "/messages/rooms/new",
            &[
                ("name", "General"),
                ("topic", "All things"),
                ("kind", "public"),
            ],
        )
        .await;
    let to = redirected_to(&res, "/messages/rooms/");
    let room = to.trim_start_matches("/messages/rooms/").to_owned();
    let page = b.get(&to).await;
    let html = ok(&page);
    assert!(html.contains("General is created"), "the flash");
    assert!(html.contains("All things"));
    assert!(html.contains("data-composer"));
    let api = get(&app, &ada, &format!("/api/v1/chat/rooms/{room}")).await;
    api.expect(200);
    assert_eq!(api.data()["kind"], "public");
    assert_eq!(api.data()["my_role"], "owner");

    // Post without JavaScript: redirect back to the message.
    let res = b
        .post_form(
            &format!("/messages/rooms/{room}/messages"),
            &[
                ("body", "Hello **team** <script>x</script>"),
                ("reply_to", ""),
            ],
        )
        .await;
    let to = redirected_to(&res, &format!("/messages/rooms/{room}#m-"));
    let msg = to.rsplit("#m-").next().unwrap().to_owned();
    let items = messages_of(&app, &ada, &room).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], msg.as_str());
    let page = b.get(&format!("/messages/rooms/{room}")).await;
    let li = message_html(ok(&page), &msg);
    assert!(li.contains("<strong>team</strong>"));
    assert!(li.contains("&lt;script&gt;") && !li.contains("<script>x"));
    assert!(li.contains("msg-mine"));

    // A refused post comes back with the error and what was typed.
    let res = b
        .post_form(
            &format!("/messages/rooms/{room}/messages"),
            &[("body", "  \n ")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.text.contains("id=\"e-body\""));
    let too_long = "y".repeat(4001);
    let res = b
        .post_form(
            &format!("/messages/rooms/{room}/messages"),
            &[("body", &too_long)],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.text.contains(&too_long), "the text is kept");
    assert_eq!(messages_of(&app, &ada, &room).await.len(), 1);

    // /messages opens the most recent conversation; browsing finds the room.
    let home = b.get("/messages").await;
    assert!(ok(&home).contains(&format!("data-room-id=\"{room}\"")));
    let browse = b.get("/messages/rooms?q=gener").await;
    assert!(ok(&browse).contains("General") && browse.text.contains("1 room"));
    let none = b.get("/messages/rooms?q=nothing-like-it").await;
    assert!(ok(&none).contains("No rooms found"));
}

#[tokio::test]
async fn joining_leaving_adding_people_and_private_rooms() {
    let app = spawn().await;
    let (ada, ada_b) = signed_in(&app, "ada").await;
    let (bob, b) = signed_in(&app, "bob").await;
    let public = room(&app, &ada, "Lobby", "public").await;
    let first = id(&send(&app, &ada, &public, "welcome").await);

    // A public room reads before joining, with a Join button and no composer.
    let page = b.get(&format!("/messages/rooms/{public}")).await;
    let html = ok(&page);
    assert!(html.contains("welcome"));
    assert!(html.contains(&format!("action=\"/messages/rooms/{public}/join\"")));
    assert!(!html.contains("data-composer"));
    assert!(
        !message_html(html, &first).contains("data-reply-to"),
        "no actions before joining"
    );
    let res = b
        .post_form(&format!("/messages/rooms/{public}/join"), &[])
        .await;
    redirected(&res, &format!("/messages/rooms/{public}"));
    let page = follow(&b, &res).await;
    assert!(ok(&page).contains("You joined Lobby"));
    assert!(page.text.contains("data-composer"));
    assert!(member_ids(&app, &ada, &public).await.contains(&bob.id));
    // Joining shows in the browse list.
    let browse = b.get("/messages/rooms").await;
    assert!(ok(&browse).contains("You are a member"));

    // The last owner cannot leave while others remain; a member can.
    let res = ada_b
        .post_form(&format!("/messages/rooms/{public}/leave"), &[])
        .await;
    redirected(&res, &format!("/messages/rooms/{public}"));
    assert!(
        follow(&ada_b, &res)
            .await
            .text
            .contains("Make another member an owner first")
    );
    let res = b
        .post_form(&format!("/messages/rooms/{public}/leave"), &[])
        .await;
    redirected(&res, "/messages");
    assert!(!member_ids(&app, &ada, &public).await.contains(&bob.id));

    // A private room is a 404 to outsiders, for reading and for every form.
    let private = room(&app, &ada, "Secret plans", "private").await;
    let secret = id(&send(&app, &ada, &private, "the plan").await);
    for path in [
        format!("/messages/rooms/{private}"),
        format!("/messages/rooms/{private}?at={secret}"),
        format!("/messages/rooms/{}", uuid::Uuid::now_v7()),
        "/messages/rooms/not-an-id".to_owned(),
    ] {
        let res = b.get(&path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(res.text.contains("Page not found"));
        assert!(!res.text.contains("the plan"));
    }
    for (path, fields) in [
        (format!("/messages/rooms/{private}/join"), vec![]),
        (
            format!("/messages/rooms/{private}/messages"),
            vec![("body", "let me in")],
        ),
        (format!("/messages/m/{secret}/react"), vec![("emoji", "👍")]),
        (format!("/messages/m/{secret}/delete"), vec![]),
        (
            format!("/messages/m/{secret}/edit"),
            vec![("body", "mine now")],
        ),
        (
            format!("/messages/rooms/{private}/members"),
            vec![("username", "bob")],
        ),
    ] {
        let res = b.post_form(&path, &fields).await;
        assert_eq!(res.status, 404, "{path}: {}", res.text);
    }
    assert_eq!(messages_of(&app, &ada, &private).await.len(), 1);
    assert_eq!(
        messages_of(&app, &ada, &private).await[0]["body"],
        "the plan"
    );

    // Its owner adds people by username (unknown names are explained).
    let res = ada_b
        .post_form(
            &format!("/messages/rooms/{private}/members"),
            &[("username", "@nobody-here")],
        )
        .await;
    redirected(&res, &format!("/messages/rooms/{private}"));
    assert!(
        follow(&ada_b, &res)
            .await
            .text
            .contains("Nobody is called @nobody-here")
    );
    let res = ada_b
        .post_form(
            &format!("/messages/rooms/{private}/members"),
            &[("username", "bob")],
        )
        .await;
    redirected(&res, &format!("/messages/rooms/{private}"));
    assert!(
        follow(&ada_b, &res)
            .await
            .text
            .contains("bob Person is now a member")
    );
    assert!(member_ids(&app, &ada, &private).await.contains(&bob.id));
    let page = b.get(&format!("/messages/rooms/{private}")).await;
    assert!(ok(&page).contains("the plan"));
    // A member (not a manager) sees no add form; their add is refused.
    assert!(!page.text.contains("invite-username"));
    let res = b
        .post_form(
            &format!("/messages/rooms/{private}/members"),
            &[("username", "ada")],
        )
        .await;
    redirected(&res, &format!("/messages/rooms/{private}"));
}

#[tokio::test]
async fn replies_edits_deletes_reactions_and_older_pages_without_js() {
    let app = spawn().await;
    let (ada, ada_b) = signed_in(&app, "ada").await;
    let (bob, b) = signed_in(&app, "bob").await;
    let room = room(&app, &ada, "Team", "public").await;
    join(&app, &bob, &room).await;
    let hello = id(&send(&app, &ada, &room, "hello from ada").await);
    let path = format!("/messages/rooms/{room}");

    // Reply: the link opens the composer with the quote; the post carries reply_to.
    let page = b.get(&format!("{path}?reply_to={hello}")).await;
    let html = ok(&page);
    assert!(html.contains(&format!("name=\"reply_to\" value=\"{hello}\"")));
    assert!(html.contains("Replying to"));
    let res = b
        .post_form(
            &format!("{path}/messages"),
            &[("body", "hi ada"), ("reply_to", &hello)],
        )
        .await;
    let to = redirected_to(&res, &format!("{path}#m-"));
    let reply = to.rsplit("#m-").next().unwrap().to_owned();
    let items = messages_of(&app, &ada, &room).await;
    assert_eq!(items[0]["reply_to"], hello.as_str());
    let page = b.get(&path).await;
    let li = message_html(ok(&page), &reply);
    assert!(li.contains("msg-quote") && li.contains("hello from ada"));
    assert!(li.contains(&format!("href=\"#m-{hello}\"")));
    // A reply to a message of another room is refused inline.
    let other = room_id_with(&app, &ada, "Elsewhere").await;
    let foreign = id(&send(&app, &ada, &other, "elsewhere").await);
    let res = b
        .post_form(
            &format!("{path}/messages"),
            &[("body", "cross"), ("reply_to", &foreign)],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);

    // Edit: the editor opens in place; saving changes the body and marks it edited.
    let page = b.get(&format!("{path}?edit={reply}")).await;
    assert!(message_html(ok(&page), &reply).contains("data-edit-form"));
    let res = b
        .post_form(
            &format!("/messages/m/{reply}/edit"),
            &[
                ("body", "hi ada (edited)"),
                ("back", &format!("{path}?edit={reply}")),
            ],
        )
        .await;
    redirected(&res, &format!("{path}#m-{reply}"));
    let m = get(&app, &bob, &format!("/api/v1/chat/messages/{reply}")).await;
    assert_eq!(m.data()["body"], "hi ada (edited)");
    assert_eq!(m.data()["is_edited"], true);
    assert!(message_html(&b.get(&path).await.text, &reply).contains("(edited)"));
    // Someone else's message: refused, unchanged, the editor comes back with the reason.
    let res = b
        .post_form(
            &format!("/messages/m/{hello}/edit"),
            &[("body", "taken over"), ("back", &path)],
        )
        .await;
    redirected(&res, &format!("{path}?edit={hello}#m-{hello}"));
    let m = get(&app, &ada, &format!("/api/v1/chat/messages/{hello}")).await;
    assert_eq!(m.data()["body"], "hello from ada");
    // No editor for a message that is not yours.
    let page = b.get(&format!("{path}?edit={hello}")).await;
    assert!(!message_html(ok(&page), &hello).contains("data-edit-form"));
    // An empty edit is refused.
    let res = b
        .post_form(
            &format!("/messages/m/{reply}/edit"),
            &[("body", " "), ("back", &path)],
        )
        .await;
    redirected(&res, &format!("{path}?edit={reply}#m-{reply}"));

    // Reactions toggle.
    let react = |emoji: &'static str| {
        let b = &b;
        let hello = hello.clone();
        let path = path.clone();
        async move {
            b.post_form(
                &format!("/messages/m/{hello}/react"),
                &[("emoji", emoji), ("back", &path)],
            )
            .await
        }
    };
    redirected(&react("👍").await, &format!("{path}#m-{hello}"));
    let m = get(&app, &ada, &format!("/api/v1/chat/messages/{hello}")).await;
    assert_eq!(m.data()["reactions"][0]["emoji"], "👍");
    assert_eq!(m.data()["reactions"][0]["user_ids"], json!([bob.id]));
    let page = b.get(&path).await;
    let li = message_html(ok(&page), &hello);
    assert!(li.contains("reaction reaction-mine") && li.contains("aria-pressed=\"true\""));
    redirected(&react("👍").await, &format!("{path}#m-{hello}"));
    let m = get(&app, &ada, &format!("/api/v1/chat/messages/{hello}")).await;
    assert_eq!(m.data()["reactions"], json!([]));
    // A bad emoji is explained, not stored.
    let res = react("two words").await;
    redirected(&res, &format!("{path}#m-{hello}"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM chat_reactions").await,
        0
    );

    // Delete: the author deletes theirs (a tombstone), the owner deletes anyone's.
    let res = b
        .post_form(&format!("/messages/m/{reply}/delete"), &[("back", &path)])
        .await;
    redirected(&res, &format!("{path}#m-{reply}"));
    let page = follow(&b, &res).await;
    assert!(message_html(ok(&page), &reply).contains("This message was deleted."));
    let mine_now = id(&send(&app, &bob, &room, "bob again").await);
    let page = b.get(&path).await;
    assert!(
        !message_html(ok(&page), &hello).contains("/delete"),
        "no delete for others' messages"
    );
    let res = b
        .post_form(&format!("/messages/m/{hello}/delete"), &[("back", &path)])
        .await;
    redirected(&res, &format!("{path}#m-{hello}"));
    let m = get(&app, &ada, &format!("/api/v1/chat/messages/{hello}")).await;
    assert_eq!(m.data()["deleted"], false, "a member cannot delete others'");
    let res = ada_b
        .post_form(
            &format!("/messages/m/{mine_now}/delete"),
            &[("back", &path)],
        )
        .await;
    redirected(&res, &format!("{path}#m-{mine_now}"));
    let m = get(&app, &bob, &format!("/api/v1/chat/messages/{mine_now}")).await;
    assert_eq!(m.data()["deleted"], true, "the owner moderates");

    // Older pages: 50 at a time, oldest to newest, with the cursor links.
    for i in 0..55 {
        send(&app, &ada, &room, &format!("filler {i:02}")).await;
    }
    let page = b.get(&path).await;
    let html = ok(&page);
    assert_eq!(html.matches("data-author-id=").count(), 50);
    assert!(html.find("filler 53").unwrap() < html.find("filler 54").unwrap());
    assert!(!html.contains("filler 04"));
    let older = html
        .split("data-next-before=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(html.contains(&format!("href=\"{path}?before={older}\"")));
    let page = b.get(&format!("{path}?before={older}")).await;
    let html = ok(&page);
    assert!(html.contains("filler 04") && html.contains("hello from ada"));
    assert!(!html.contains("filler 05"));
    assert_eq!(html.matches("data-author-id=").count(), 8);
    assert!(html.contains("This is the start of #Team"));
    assert!(html.contains("Jump to the latest"));
    assert!(html.contains("?after="), "a link to the newer messages");
}

/// A public room of `owner` (a second helper name so tests read clearly).
async fn room_id_with(app: &TestApp, owner: &User, name: &str) -> String {
    room(app, owner, name, "public").await
}

#[tokio::test]
async fn direct_messages_unread_mark_read_and_seen() {
    let app = spawn().await;
    let (ada, a) = signed_in(&app, "ada").await;
    let (bob, b) = signed_in(&app, "bob").await;
    let to_bob = format!("/messages/direct/{}", bob.id);

    let page = a.get(&to_bob).await;
    let html = ok(&page);
    assert!(html.contains("This is the start of your conversation with bob Person"));
    assert!(html.contains(&format!("action=\"{to_bob}/messages\"")));

    let res = a
        .post_form(&format!("{to_bob}/messages"), &[("body", "hi bob")])
        .await;
    let to = redirected_to(&res, &format!("{to_bob}#m-"));
    let first = to.rsplit("#m-").next().unwrap().to_owned();
    let convs = get(&app, &bob, "/api/v1/chat/conversations").await;
    let conv = &convs.data()["items"][0];
    assert_eq!(conv["unread_count"], 1);
    let dm_room = conv["room_id"].as_str().unwrap().to_owned();

    // Bob's sidebar and page: unread, then marked read by the form.
    let page = b.get("/messages").await;
    let html = ok(&page);
    assert!(html.contains(&format!("data-side-direct=\"{}\"", ada.id)));
    assert!(html.contains("hi bob"));
    let page = b.get(&format!("/messages/direct/{}", ada.id)).await;
    let html = ok(&page);
    assert!(html.contains("1 new message"));
    assert!(html.contains("data-unread-divider"));
    assert!(
        !a.get(&to_bob).await.text.contains("data-seen"),
        "not seen yet"
    );
    let res = b
        .post_form(
            &format!("/messages/rooms/{dm_room}/read"),
            &[
                ("message_id", &first),
                ("back", &format!("/messages/direct/{}", ada.id)),
            ],
        )
        .await;
    redirected(&res, &format!("/messages/direct/{}", ada.id));
    let convs = get(&app, &bob, "/api/v1/chat/conversations").await;
    assert_eq!(convs.data()["items"][0]["unread_count"], 0);
    let page = a.get(&to_bob).await;
    assert!(message_html(ok(&page), &first).contains("data-seen"));

    // Bob answers; Ada's newest message is no longer the last one of hers… it stays Seen.
    let res = b
        .post_form(
            &format!("/messages/direct/{}/messages", ada.id),
            &[("body", "hey ada, @ada"), ("reply_to", &first)],
        )
        .await;
    redirected_to(&res, &format!("/messages/direct/{}#m-", ada.id));
    let page = a.get(&to_bob).await;
    assert!(ok(&page).contains("hey ada"));

    // The room id of a direct conversation leads to it.
    let res = a.get(&format!("/messages/rooms/{dm_room}")).await;
    redirected(&res, &to_bob);

    // Yourself, unknown people and bad ids.
    let me = a.get(&format!("/messages/direct/{}", ada.id)).await;
    assert_eq!(me.status, 422);
    let res = a
        .post_form(
            &format!("/messages/direct/{}/messages", ada.id),
            &[("body", "me")],
        )
        .await;
    assert_eq!(res.status, 422);
    let res = a
        .get(&format!("/messages/direct/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(a.get("/messages/direct/nope").await.status, 404);

    // "Message someone" by username, and the Message button on public profiles.
    let res = a.get("/messages/direct?username=%40Bob").await;
    redirected(&res, &to_bob);
    let res = a.get("/messages/direct?username=ghost").await;
    redirected(&res, "/messages");
    assert!(
        follow(&a, &res)
            .await
            .text
            .contains("Nobody is called @ghost")
    );
    let profile = a.get("/u/bob").await;
    assert!(ok(&profile).contains(&format!("href=\"{to_bob}\"")));
    let own = b.get("/u/bob").await;
    assert!(!ok(&own).contains("/messages/direct/"));
}

#[tokio::test]
async fn searching_messages_and_opening_a_hit() {
    let app = spawn().await;
    let (ada, a) = signed_in(&app, "ada").await;
    let (_cat, c) = signed_in(&app, "cat").await;
    let room = room(&app, &ada, "Launch", "private").await;
    let hit = id(&send(&app, &ada, &room, "deploy the rockets tonight").await);
    for i in 0..30 {
        send(&app, &ada, &room, &format!("chatter {i}")).await;
    }

    let page = a.get("/messages/search").await;
    assert!(ok(&page).contains("Search messages") && !page.text.contains("found"));
    let page = a.get("/messages/search?q=rockets").await;
    let html = ok(&page);
    assert!(html.contains("1 message found"));
    let link = format!("/messages/rooms/{room}?at={hit}#m-{hit}");
    assert!(html.contains(&link));
    let around = a.get(link.split('#').next().unwrap()).await;
    let html = ok(&around);
    assert!(message_html(html, &hit).contains("msg-highlight"));
    assert!(html.contains("chatter 0") && !html.contains("chatter 29"));
    assert!(html.contains("Jump to the latest"));

    let bad = a.get("/messages/search?q=%21%21%21").await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains("Search:"));

    // Someone outside the room finds nothing.
    let page = c.get("/messages/search?q=rockets").await;
    assert!(ok(&page).contains("0 messages found"));
}

#[tokio::test]
async fn notifications_open_mark_read_and_read_all() {
    let app = spawn().await;
    let (ada, _a) = signed_in(&app, "ada").await;
    let (bob, b) = signed_in(&app, "bob").await;
    let room = room(&app, &ada, "Ops", "public").await;
    join(&app, &bob, &room).await;
    send(&app, &ada, &room, "@bob can you look?").await;
    let items = wait_notifications(&app, &bob, 1).await;
    let n = items[0]["id"].as_str().unwrap().to_owned();
    let link = items[0]["link"].as_str().unwrap().to_owned();
    assert_eq!(link, format!("/messages?room={room}"));

    let page = b.get("/notifications").await;
    let html = ok(&page);
    assert!(html.contains("ada Person mentioned you in Ops"));
    assert!(html.contains("Unread (1)"));
    assert!(html.contains(&format!("name=\"next\" value=\"{link}\"")));
    // Open: marks it read and goes to its link, which opens the room.
    let res = b
        .post_form(&format!("/notifications/{n}/read"), &[("next", &link)])
        .await;
    redirected(&res, &link);
    assert_eq!(unread_notifications(&app, &bob).await, 0);
    redirected(&b.get(&link).await, &format!("/messages/rooms/{room}"));
    // Reading again keeps it read; an open redirect is not followed.
    let res = b
        .post_form(
            &format!("/notifications/{n}/read"),
            &[("next", "https://evil.example/")],
        )
        .await;
    redirected(&res, "/dashboard");

    // Someone else's notification is a 404.
    let (_cat, c) = signed_in(&app, "cat").await;
    let res = c.post_form(&format!("/notifications/{n}/read"), &[]).await;
    assert_eq!(res.status, 404);

    // Read all, and the unread filter.
    send(&app, &ada, &room, "@bob one").await;
    send(&app, &ada, &room, "@bob two").await;
    wait_notifications(&app, &bob, 2).await;
    let page = b.get("/notifications?unread=true").await;
    assert!(ok(&page).contains("Unread (2)"));
    assert_eq!(page.text.matches("notification-unread").count(), 2);
    let res = b
        .post_form(
            "/notifications/read-all",
            &[("next", "/notifications?unread=true")],
        )
        .await;
    redirected(&res, "/notifications?unread=true");
    let page = follow(&b, &res).await;
    assert!(ok(&page).contains("2 notifications marked as read"));
    assert!(page.text.contains("You are all caught up"));
    assert_eq!(unread_notifications(&app, &bob).await, 0);
    let all = b.get("/notifications").await;
    assert_eq!(ok(&all).matches("class=\"card notification").count(), 3);
}

#[tokio::test]
async fn notification_preferences_are_saved_and_read_back() {
    let app = spawn().await;
    let (ada, a) = signed_in(&app, "ada").await;
    // A kind set through the API that the page does not show is kept.
    put(
        &app,
        &ada,
        "/api/v1/notifications/preferences",
        json!({"other.kind": "none"}),
    )
    .await
    .expect(200);

    let page = a.get("/settings/notifications").await;
    let html = ok(&page);
    for kind in [
        "chat.mention",
        "chat.added",
        "hiring.new_application",
        "hiring.status_changed",
    ] {
        assert!(
            html.contains(&format!("name=\"{kind}\" value=\"both\" checked")),
            "{kind} defaults to both"
        );
    }
    let res = a
        .post_form(
            "/settings/notifications",
            &[
                ("chat.mention", "none"),
                ("chat.added", "in_app"),
                ("hiring.new_application", "email"),
                ("hiring.status_changed", "both"),
            ],
        )
        .await;
    redirected(&res, "/settings/notifications");
    let page = follow(&a, &res).await;
    assert!(ok(&page).contains("Your notification settings are saved"));
    assert!(
        page.text
            .contains("name=\"chat.mention\" value=\"none\" checked")
    );
    let prefs = get(&app, &ada, "/api/v1/notifications/preferences").await;
    prefs.expect(200);
    assert_eq!(
        prefs.data(),
        &json!({"chat.mention": "none", "chat.added": "in_app",
                "hiring.new_application": "email", "hiring.status_changed": "both",
                "other.kind": "none"})
    );

    // A tampered channel is refused next to its kind; nothing changes.
    let res = a
        .post_form(
            "/settings/notifications",
            &[("chat.mention", "loud"), ("chat.added", "none")],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(res.text.contains("id=\"e-chat-mention\""));
    assert!(
        res.text
            .contains("must be one of in_app, email, both, none")
    );
    let prefs = get(&app, &ada, "/api/v1/notifications/preferences").await;
    assert_eq!(prefs.data()["chat.added"], "in_app");

    // The choice is honoured: no stored notification for a mention now.
    let (bob, _b) = signed_in(&app, "bob").await;
    let room = room(&app, &bob, "Quiet", "public").await;
    join(&app, &ada, &room).await;
    send(&app, &bob, &room, "@ada ping").await;
    wait_due_jobs(&app).await;
    assert_eq!(unread_notifications(&app, &ada).await, 0);
}

#[tokio::test]
async fn forms_and_cookie_api_writes_need_the_csrf_token() {
    let app = spawn().await;
    let (ada, a) = signed_in(&app, "ada").await;
    let room = room(&app, &ada, "Guarded", "public").await;

    for (path, fields) in [
        ("/messages/rooms/new".to_owned(), vec![("name", "Sneaky")]),
        (
            format!("/messages/rooms/{room}/messages"),
            vec![("body", "forged")],
        ),
        ("/notifications/read-all".to_owned(), vec![]),
        (
            "/settings/notifications".to_owned(),
            vec![("chat.mention", "none")],
        ),
    ] {
        let res = a.post_form_without_csrf(&path, &fields).await;
        assert_eq!(res.status, 403, "{path}");
        assert!(res.text.contains("This form has expired"));
    }
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM chat_rooms").await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM chat_messages").await,
        0
    );
    let prefs = get(&app, &ada, "/api/v1/notifications/preferences").await;
    assert_eq!(prefs.data(), &json!({}));

    // The API with the session cookie: writes need X-CSRF-Token equal to the vt_csrf cookie.
    let token = a.cookie("vt_csrf").unwrap();
    let url = app.url(&format!("/api/v1/chat/rooms/{room}/messages"));
    let res = a
        .client
        .post(&url)
        .json(&json!({"body": "no header"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "CSRF_FAILED");
    let res = a
        .client
        .post(&url)
        .header("X-CSRF-Token", "not-the-token-at-all-000")
        .json(&json!({"body": "wrong header"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM chat_messages").await,
        0
    );
    let res = a
        .client
        .post(&url)
        .header("X-CSRF-Token", &token)
        .json(&json!({"body": "with the token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // Reads need no token; other methods do.
    let res = a.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = a
        .client
        .post(app.url("/api/v1/notifications/read-all"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = a
        .client
        .put(app.url("/api/v1/notifications/preferences"))
        .header("X-CSRF-Token", &token)
        .json(&json!({"chat.mention": "email"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Bearer tokens are not affected.
    call(
        &app,
        Method::POST,
        &format!("/api/v1/chat/rooms/{room}/messages"),
        &ada.token,
        Some(json!({"body": "bearer"})),
    )
    .await
    .expect(201);
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM chat_messages").await,
        2
    );
}

/// The part of `html` from the first `start` on, up to the next `end`.
fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let at = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} is not on the page"));
    let rest = &html[at..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

async fn role_of(app: &TestApp, viewer: &User, room: &str, user: &User) -> Option<String> {
    let res = get(app, viewer, &format!("/api/v1/chat/rooms/{room}/members")).await;
    res.expect(200);
    res.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["id"] == user.id.as_str())
        .map(|m| m["role"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn room_settings_rename_roles_and_removal() {
    let app = spawn().await;
    let (ada, ada_b) = signed_in(&app, "ada").await;
    let (bob, bob_b) = signed_in(&app, "bob").await;
    let cara = register(&app, "cara").await;
    let (_dave, dave_b) = signed_in(&app, "dave").await;
    let room = room(&app, &ada, "Lobby", "public").await;
    join(&app, &bob, &room).await;
    join(&app, &cara, &room).await;
    let settings = format!("/messages/rooms/{room}/settings");

    // Members find the settings from the room's header.
    let page = bob_b.get(&format!("/messages/rooms/{room}")).await;
    assert!(ok(&page).contains(&format!("href=\"{settings}\"")));

    // The owner sees the rename form, every member with a role picker, and remove buttons.
    let page = ada_b.get(&settings).await;
    let html = ok(&page);
    assert!(
        html.contains("data-room-settings") && html.contains("value=\"Lobby\""),
        "{html}"
    );
    assert!(html.contains("Members <span class=\"muted small\">(3)</span>"));
    for u in [&ada, &bob, &cara] {
        assert!(html.contains(&format!("data-member=\"{}\"", u.id)));
        assert!(html.contains(&format!("/members/{}/role", u.id)));
    }
    assert!(html.contains(&format!("/members/{}/remove", bob.id)));
    assert!(
        !html.contains(&format!("/members/{}/remove", ada.id)),
        "no removing yourself"
    );

    // A plain member reads it without forms; a rename is refused on the page, typed values kept.
    let page = bob_b.get(&settings).await;
    let html = ok(&page);
    assert!(!html.contains("data-room-settings") && !html.contains("/role\""));
    assert!(
        html.contains("Only the room&#39;s owners and moderators")
            || html.contains("Only the room's owners and moderators")
    );
    let res = bob_b
        .post_form(&settings, &[("name", "Bob's room"), ("topic", "")])
        .await;
    assert_eq!(res.status, 403, "{}", res.text);
    assert!(res.text.contains("alert-error"));
    let api = get(&app, &ada, &format!("/api/v1/chat/rooms/{room}")).await;
    assert_eq!(api.data()["name"], "Lobby");

    // Inline 422s with the values kept.
    let res = ada_b
        .post_form(&settings, &[("name", "  "), ("topic", "Kept <topic>")])
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(res.text.contains("id=\"e-name\""));
    assert!(res.text.contains("Kept &#60;topic&#62;"), "{}", res.text);
    let long_topic = "t".repeat(251);
    let res = ada_b
        .post_form(&settings, &[("name", "Lobby"), ("topic", &long_topic)])
        .await;
    assert_eq!(res.status, 422);
    assert!(res.text.contains("id=\"e-topic\"") && res.text.contains(&long_topic));

    // A good rename redirects back with a message; an empty topic clears it.
    let res = ada_b
        .post_form(&settings, &[("name", "Front desk"), ("topic", "Say hi")])
        .await;
    redirected(&res, &settings);
    assert!(
        follow(&ada_b, &res)
            .await
            .text
            .contains("now called Front desk")
    );
    let api = get(&app, &ada, &format!("/api/v1/chat/rooms/{room}")).await;
    assert_eq!(
        (api.data()["name"].as_str(), api.data()["topic"].as_str()),
        (Some("Front desk"), Some("Say hi"))
    );
    let res = ada_b
        .post_form(&settings, &[("name", "Front desk"), ("topic", " ")])
        .await;
    redirected(&res, &settings);
    let api = get(&app, &ada, &format!("/api/v1/chat/rooms/{room}")).await;
    assert!(api.data()["topic"].is_null());

    // Roles: the owner makes bob a moderator; a bad role and the last owner stepping down are
    // explained.
    let res = ada_b
        .post_form(
            &format!("/messages/rooms/{room}/members/{}/role", bob.id),
            &[("role", "moderator")],
        )
        .await;
    redirected(&res, &settings);
    assert!(
        follow(&ada_b, &res)
            .await
            .text
            .contains("bob Person is now a moderator")
    );
    assert_eq!(
        role_of(&app, &ada, &room, &bob).await.as_deref(),
        Some("moderator")
    );
    let res = ada_b
        .post_form(
            &format!("/messages/rooms/{room}/members/{}/role", cara.id),
            &[("role", "boss")],
        )
        .await;
    redirected(&res, &settings);
    assert!(
        follow(&ada_b, &res)
            .await
            .text
            .contains("The role must be owner, moderator or member")
    );
    let res = ada_b
        .post_form(
            &format!("/messages/rooms/{room}/members/{}/role", ada.id),
            &[("role", "member")],
        )
        .await;
    redirected(&res, &settings);
    assert!(
        follow(&ada_b, &res)
            .await
            .text
            .contains("Make another member an owner first")
    );
    assert_eq!(
        role_of(&app, &ada, &room, &ada).await.as_deref(),
        Some("owner")
    );

    // A moderator renames and removes members, but changes no roles and removes no owner.
    let page = bob_b.get(&settings).await;
    assert!(ok(&page).contains("data-room-settings"));
    assert!(!page.text.contains(&format!("/members/{}/remove", ada.id)));
    let res = bob_b
        .post_form(
            &format!("/messages/rooms/{room}/members/{}/role", cara.id),
            &[("role", "owner")],
        )
        .await;
    redirected(&res, &settings);
    assert!(follow(&bob_b, &res).await.text.contains("Only the room"));
    assert_eq!(
        role_of(&app, &ada, &room, &cara).await.as_deref(),
        Some("member")
    );
    let res = bob_b
        .post_form(
            &format!("/messages/rooms/{room}/members/{}/remove", ada.id),
            &[],
        )
        .await;
    redirected(&res, &settings);
    assert!(
        follow(&bob_b, &res)
            .await
            .text
            .contains("Only an owner can remove an owner")
    );
    let res = bob_b
        .post_form(
            &format!("/messages/rooms/{room}/members/{}/remove", cara.id),
            &[],
        )
        .await;
    redirected(&res, &settings);
    assert!(
        follow(&bob_b, &res)
            .await
            .text
            .contains("cara Person was removed")
    );
    assert!(!member_ids(&app, &ada, &room).await.contains(&cara.id));
    // Removing yourself here is refused (leaving is the room's Leave button).
    let res = bob_b
        .post_form(
            &format!("/messages/rooms/{room}/members/{}/remove", bob.id),
            &[],
        )
        .await;
    redirected(&res, &settings);
    assert!(member_ids(&app, &ada, &room).await.contains(&bob.id));

    // Adding by username from the settings comes back to them.
    let res = ada_b
        .post_form(
            &format!("/messages/rooms/{room}/members"),
            &[("username", "cara"), ("back", &settings)],
        )
        .await;
    redirected(&res, &settings);
    assert!(member_ids(&app, &ada, &room).await.contains(&cara.id));

    // Outsiders of a private room get the 404 page everywhere; so does a direct room.
    let private = common::room(&app, &ada, "Board", "private").await;
    let p_settings = format!("/messages/rooms/{private}/settings");
    for path in [
        p_settings.clone(),
        "/messages/rooms/nope/settings".to_owned(),
    ] {
        let res = dave_b.get(&path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(!res.text.contains("Board"));
    }
    for (path, fields) in [
        (p_settings.clone(), vec![("name", "Mine")]),
        (
            format!("/messages/rooms/{private}/members/{}/role", ada.id),
            vec![("role", "member")],
        ),
        (
            format!("/messages/rooms/{private}/members/{}/remove", ada.id),
            vec![],
        ),
    ] {
        let res = dave_b.post_form(&path, &fields).await;
        assert_eq!(res.status, 404, "{path}: {}", res.text);
    }
    let api = get(&app, &ada, &format!("/api/v1/chat/rooms/{private}")).await;
    assert_eq!(api.data()["name"], "Board");
    let direct_room = dm(&app, &ada, &bob, "hi").await["room_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = ada_b
        .get(&format!("/messages/rooms/{direct_room}/settings"))
        .await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn send_later_schedules_lists_and_cancels() {
    let app = spawn().await;
    let (ada, ada_b) = signed_in(&app, "ada").await;
    let (bob, bob_b) = signed_in(&app, "bob").await;
    let room = room(&app, &ada, "Standup", "public").await;
    let path = format!("/messages/rooms/{room}");
    let page = ada_b.get(&path).await;
    let html = ok(&page);
    assert!(
        html.contains("Send later") && html.contains("type=\"datetime-local\" name=\"send_at\"")
    );
    assert!(
        html.contains("Send at (UTC)"),
        "without JS the label says UTC"
    );

    // A time in the past, too far ahead, or not a time: inline, with text and time kept.
    let now = app.state.clock.now();
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    for (at, says) in [
        (
            fmt(now - chrono::Duration::hours(1)),
            "must be in the future",
        ),
        (
            fmt(now + chrono::Duration::days(91)),
            "must be at most 90 days ahead",
        ),
        ("tomorrow".to_owned(), "must be a date and time"),
    ] {
        let res = ada_b
            .post_form(
                &format!("{path}/messages"),
                &[("body", "kept text"), ("send_at", &at), ("tz_offset", "0")],
            )
            .await;
        assert_eq!(res.status, 422, "{at}: {}", res.text);
        assert!(
            res.text.contains("id=\"e-send_at\"") && res.text.contains(says),
            "{at}"
        );
        assert!(res.text.contains("kept text") && res.text.contains(&format!("value=\"{at}\"")));
        assert!(res.text.contains("composer-later small\" open"));
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM chat_scheduled_messages").await,
        0
    );

    // The browser's local time (UTC+2: offset -120) is turned into UTC.
    let utc = now + chrono::Duration::hours(3);
    let local = utc + chrono::Duration::hours(2);
    let res = ada_b
        .post_form(
            &format!("{path}/messages"),
            &[
                ("body", "standup in 5"),
                ("send_at", &fmt(local)),
                ("tz_offset", "-120"),
            ],
        )
        .await;
    redirected(&res, &path);
    assert!(
        follow(&ada_b, &res)
            .await
            .text
            .contains("Your message will be sent on")
    );
    let api = get(&app, &ada, "/api/v1/chat/scheduled").await;
    api.expect(200);
    let items = api.data()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    let when: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(items[0]["send_at"].clone()).unwrap();
    assert_eq!(fmt(when), fmt(utc));
    let room_item = id(&items[0]);
    assert!(
        messages_of(&app, &ada, &room).await.is_empty(),
        "not sent yet"
    );

    // Without JS (no offset) the time is UTC; a direct message can be scheduled too.
    let res = ada_b
        .post_form(
            &format!("/messages/direct/{}/messages", bob.id),
            &[
                ("body", "happy birthday"),
                ("send_at", &fmt(now + chrono::Duration::days(2))),
            ],
        )
        .await;
    redirected(&res, &format!("/messages/direct/{}", bob.id));

    // The list: soonest first, where each goes, with cancel buttons; others see none of it.
    let page = ada_b.get("/messages/scheduled").await;
    let html = ok(&page);
    assert!(html.contains("2 messages wait"));
    let first = html.find("standup in 5").unwrap();
    let second = html.find("happy birthday").unwrap();
    assert!(first < second);
    assert!(html.contains("#Standup") && html.contains("bob Person"));
    assert!(html.contains(&format!("/messages/scheduled/{room_item}/cancel")));
    let page = bob_b.get("/messages/scheduled").await;
    assert!(ok(&page).contains("Nothing scheduled"));
    let res = bob_b
        .post_form(&format!("/messages/scheduled/{room_item}/cancel"), &[])
        .await;
    assert_eq!(res.status, 404);

    // Cancelling; a second time is explained.
    let res = ada_b
        .post_form(&format!("/messages/scheduled/{room_item}/cancel"), &[])
        .await;
    redirected(&res, "/messages/scheduled");
    let page = follow(&ada_b, &res).await;
    assert!(ok(&page).contains("was cancelled") && !page.text.contains("standup in 5"));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM chat_scheduled_messages WHERE status = 'cancelled'"
        )
        .await,
        1
    );
    let res = ada_b
        .post_form(&format!("/messages/scheduled/{room_item}/cancel"), &[])
        .await;
    redirected(&res, "/messages/scheduled");
    assert!(
        follow(&ada_b, &res)
            .await
            .text
            .contains("already sent or cancelled")
    );
    let res = ada_b.get("/messages/scheduled").await;
    assert!(ok(&res).contains("1 message waits"));

    // One that cannot be sent (the author left the room) is listed under "Not sent", with why.
    join(&app, &bob, &room).await;
    let send_at = app.state.clock.now() + chrono::Duration::minutes(5);
    post(
        &app,
        &bob,
        &format!("/api/v1/chat/rooms/{room}/messages"),
        json!({"body": "left before it went", "send_at": send_at}),
    )
    .await
    .expect(202);
    leave(&app, &bob, &room).await.expect(204);
    app.advance(chrono::Duration::minutes(6));
    wait_until("the failed delivery", || async {
        count(
            &app,
            "SELECT COUNT(*) AS n FROM chat_scheduled_messages WHERE status = 'failed'",
        )
        .await
            == 1
    })
    .await;
    let res = bob_b.get("/messages/scheduled").await;
    let html = ok(&res);
    let failed = section(html, "Not sent", "</ul>");
    assert!(failed.contains("left before it went"), "{failed}");
    assert!(failed.contains("Not sent: "), "{failed}");
    assert!(!ok(&ada_b.get("/messages/scheduled").await).contains("Not sent"));
}

#[tokio::test]
async fn edit_history_and_threads() {
    let app = spawn().await;
    let (ada, ada_b) = signed_in(&app, "ada").await;
    let (bob, bob_b) = signed_in(&app, "bob").await;
    let (_cara, cara_b) = signed_in(&app, "cara").await;
    let room = room(&app, &ada, "Design", "public").await;
    join(&app, &bob, &room).await;
    let msg = id(&send(&app, &ada, &room, "version one").await);
    for body in ["version two", "version **three**"] {
        patch(
            &app,
            &ada,
            &format!("/api/v1/chat/messages/{msg}"),
            json!({"body": body}),
        )
        .await
        .expect(200);
    }

    // The edited mark links to the history: newest first.
    let page = bob_b.get(&format!("/messages/rooms/{room}")).await;
    let li = message_html(ok(&page), &msg);
    assert!(li.contains(&format!("href=\"/messages/messages/{msg}/edits\"")));
    let page = bob_b.get(&format!("/messages/messages/{msg}/edits")).await;
    let html = ok(&page);
    let (three, two, one) = (
        html.find("version <strong>three</strong>").unwrap(),
        html.find("version two").unwrap(),
        html.find("version one").unwrap(),
    );
    assert!(three < two && two < one, "newest first");
    assert!(html.contains("Current version, since"));
    // Outsiders of public rooms read it too (they may read the room).
    assert_eq!(
        cara_b
            .get(&format!("/messages/messages/{msg}/edits"))
            .await
            .status,
        200
    );

    // Threads: "N replies" links to the message with its replies and a reply form.
    for body in ["first reply", "second reply"] {
        let res = post(
            &app,
            &bob,
            &format!("/api/v1/chat/rooms/{room}/messages"),
            json!({"body": body, "reply_to": msg}),
        )
        .await;
        res.expect(201);
    }
    let page = ada_b.get(&format!("/messages/rooms/{room}")).await;
    let li = message_html(ok(&page), &msg);
    assert!(li.contains(&format!("href=\"/messages/messages/{msg}/thread\"")));
    assert!(li.contains("2 replies"));
    let thread = format!("/messages/messages/{msg}/thread");
    let page = ada_b.get(&thread).await;
    let html = ok(&page);
    let root = section(html, "thread-root", "</ol>");
    assert!(root.contains("version <strong>three</strong>"));
    let list = section(html, "thread-replies", "</ol>");
    assert!(list.find("first reply").unwrap() < list.find("second reply").unwrap());
    assert!(html.contains("2 replies") && html.contains("data-thread-reply"));
    assert!(html.contains(&format!("name=\"reply_to\" value=\"{msg}\"")));

    // Replying from the thread comes back to it; refused replies keep the text.
    let res = ada_b
        .post_form(
            &format!("/messages/rooms/{room}/messages"),
            &[
                ("body", "third reply"),
                ("reply_to", &msg),
                ("back", &thread),
            ],
        )
        .await;
    let to = redirected_to(&res, &format!("{thread}#m-"));
    let new_id = to.rsplit("#m-").next().unwrap();
    let page = ada_b.get(&thread).await;
    assert!(ok(&page).contains("3 replies") && page.text.contains(&format!("id=\"m-{new_id}\"")));
    let api = get(&app, &ada, &format!("/api/v1/chat/messages/{msg}/replies")).await;
    assert_eq!(api.data()["items"].as_array().unwrap().len(), 3);
    let res = ada_b
        .post_form(
            &format!("/messages/rooms/{room}/messages"),
            &[("body", " "), ("reply_to", &msg), ("back", &thread)],
        )
        .await;
    assert_eq!(res.status, 422);

    // A reader who is not a member sees the thread without the form.
    let page = cara_b.get(&thread).await;
    assert!(ok(&page).contains("to reply") && !page.text.contains("data-thread-reply"));

    // Private rooms: 404 for outsiders on both pages, as for unknown or malformed ids.
    let private = common::room(&app, &ada, "Secret", "private").await;
    let secret = id(&send(&app, &ada, &private, "hidden words").await);
    patch(
        &app,
        &ada,
        &format!("/api/v1/chat/messages/{secret}"),
        json!({"body": "hidden, edited"}),
    )
    .await
    .expect(200);
    for path in [
        format!("/messages/messages/{secret}/edits"),
        format!("/messages/messages/{secret}/thread"),
        format!("/messages/messages/{}/thread", uuid::Uuid::now_v7()),
        "/messages/messages/nope/edits".to_owned(),
    ] {
        let res = bob_b.get(&path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(!res.text.contains("hidden words") && !res.text.contains("hidden, edited"));
    }
    assert_eq!(
        ada_b
            .get(&format!("/messages/messages/{secret}/edits"))
            .await
            .status,
        200
    );

    // Direct messages: the thread's form posts to the direct conversation.
    let d = id(&dm(&app, &ada, &bob, "direct question").await);
    let page = bob_b.get(&format!("/messages/messages/{d}/thread")).await;
    assert!(ok(&page).contains(&format!("action=\"/messages/direct/{}/messages\"", ada.id)));
    let res = bob_b
        .post_form(
            &format!("/messages/direct/{}/messages", ada.id),
            &[
                ("body", "direct answer"),
                ("reply_to", &d),
                ("back", &format!("/messages/messages/{d}/thread")),
            ],
        )
        .await;
    redirected_to(&res, &format!("/messages/messages/{d}/thread#m-"));
}

#[tokio::test]
async fn the_phone_bar_holds_messages() {
    let app = spawn().await;
    let (_ada, b) = signed_in(&app, "ada").await;
    let page = b.get("/dashboard").await;
    let bar = section(ok(&page), "class=\"bottomnav\"", "</nav>");
    let hrefs: Vec<&str> = bar
        .split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(
        hrefs,
        [
            "/dashboard",
            "/jobs",
            "/messages",
            "/applications",
            "/profile"
        ]
    );
    // What the bar has no room for is in the account menu on small screens.
    let menu = section(&page.text, "class=\"menu-panel\"", "</div>");
    assert!(menu.contains("href=\"/settings\""));
    assert!(menu.contains("class=\"menu-compact\" href=\"/hiring\""));
    assert!(!menu.contains("class=\"menu-compact\" href=\"/messages\""));
}
