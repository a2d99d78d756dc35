#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Chat attachments through HTTP: room and direct messages with files (in order, body optional),
//! the 422s (someone else's file, unknown, twice, too many, nothing to send), links in every view
//! that shows a message (list, one message, room and conversation previews, replies) that
//! download for readers, nothing for outsiders of private rooms, edits keeping the files, deletion
//! hiding them and releasing the files (409 `FILE_IN_USE` before), and scheduled messages that
//! keep their files or fail when one was deleted. On SQLite, and on PostgreSQL with
//! `TEST_DATABASE_URL`.

use crate::common;

use common::*;
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use vertechie_server::testing::spawn;

fn attachment_ids(message: &Value) -> Vec<String> {
    message["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn scheduled(app: &vertechie_kernel::testkit::TestApp, status: &str) -> i64 {
    count(
        app,
        &format!("SELECT COUNT(*) AS n FROM chat_scheduled_messages WHERE status = '{status}'"),
    )
    .await
}

fn post_path(room: &str) -> String {
    format!("/api/v1/chat/rooms/{room}/messages")
}

#[tokio::test]
async fn messages_carry_files_that_readers_can_download() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let carol = register(&app, "carol").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    let text = b"minutes of the meeting\n";
    let png = upload(&app, &ann, "pixel.png", PNG).await;
    let txt = upload(&app, &ann, "minutes.txt", text).await;

    // Files only, no body: allowed, in the order given.
    let res = post(
        &app,
        &ann,
        &post_path(&lobby),
        json!({"attachments": [id(&txt), id(&png)]}),
    )
    .await;
    res.expect(201);
    let m = res.data().clone();
    assert_eq!(m["body"], "");
    assert_eq!(attachment_ids(&m), [id(&txt), id(&png)]);
    let a0 = &m["attachments"][0];
    assert_eq!(a0["name"], "minutes.txt");
    assert_eq!(a0["content_type"], "text/plain");
    assert_eq!(a0["size"], text.len());
    assert_eq!(m["attachments"][1]["content_type"], "image/png");

    // A member reads the page: links that download the bytes.
    let page = get(&app, &bob, &format!("/api/v1/chat/rooms/{lobby}/messages")).await;
    page.expect(200);
    let seen = &page.data()["items"][0];
    assert_eq!(attachment_ids(seen), [id(&txt), id(&png)]);
    let (status, bytes) = download(&app, seen["attachments"][0]["url"].as_str().unwrap()).await;
    assert_eq!((status, bytes.as_slice()), (200, &text[..]));
    let (status, bytes) = download(&app, seen["attachments"][1]["url"].as_str().unwrap()).await;
    assert_eq!((status, bytes.as_slice()), (200, PNG));
    // Anyone who may read a public room gets them too; one message; the room's preview.
    let one = get(&app, &carol, &format!("/api/v1/chat/messages/{}", id(&m))).await;
    one.expect(200);
    assert_eq!(attachment_ids(one.data()), [id(&txt), id(&png)]);
    let preview = get(&app, &bob, &format!("/api/v1/chat/rooms/{lobby}")).await;
    assert_eq!(
        attachment_ids(&preview.data()["last_message"]),
        [id(&txt), id(&png)]
    );

    // A reply with a body and a file; the replies list shows it.
    let bob_png = upload(&app, &bob, "mine.png", PNG).await;
    let reply = post(
        &app,
        &bob,
        &post_path(&lobby),
        json!({"body": "here is mine", "reply_to": id(&m), "attachments": [id(&bob_png)]}),
    )
    .await;
    reply.expect(201);
    let replies = get(
        &app,
        &ann,
        &format!("/api/v1/chat/messages/{}/replies", id(&m)),
    )
    .await;
    assert_eq!(attachment_ids(&replies.data()["items"][0]), [id(&bob_png)]);

    // Edits change the body, never the files.
    let edited = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/chat/messages/{}", id(reply.data())),
        &bob.token,
        Some(json!({"body": "here is mine (edited)", "attachments": []})),
    )
    .await;
    edited.expect(200);
    assert_eq!(attachment_ids(edited.data()), [id(&bob_png)]);

    // Private rooms: outsiders get no message and so no link.
    let secret = room(&app, &ann, "Secret", "private").await;
    let ann_pdf = upload(&app, &ann, "plan.pdf", b"%PDF-1.4\n%%EOF\n").await;
    post(
        &app,
        &ann,
        &post_path(&secret),
        json!({"body": "the plan", "attachments": [id(&ann_pdf)]}),
    )
    .await
    .expect(201);
    get(
        &app,
        &carol,
        &format!("/api/v1/chat/rooms/{secret}/messages"),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM chat_message_attachments").await,
        4
    );
}

#[tokio::test]
async fn only_your_own_existing_files_distinct_and_few_may_be_attached() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    let mine = upload(&app, &ann, "a.png", PNG).await;
    let his = upload(&app, &bob, "b.png", PNG).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let cases = [
        (
            json!({"body": "x", "attachments": [id(&his)]}),
            vec!["attachments[0]"],
        ),
        (
            json!({"body": "x", "attachments": [id(&mine), unknown]}),
            vec!["attachments[1]"],
        ),
        (
            json!({"body": "x", "attachments": [id(&mine), id(&mine)]}),
            vec!["attachments[1]"],
        ),
        (json!({"body": "", "attachments": []}), vec!["body"]),
        (json!({"attachments": [id(&his)]}), vec!["attachments[0]"]),
        (json!({}), vec!["body"]),
    ];
    for (body, fields) in cases {
        let res = post(&app, &ann, &post_path(&lobby), body.clone()).await;
        res.expect_error(422, "VALIDATION_ERROR");
        assert_eq!(res.error_fields(), fields, "{body}");
    }
    let mut many = Vec::new();
    for i in 0..11 {
        many.push(id(&upload(&app, &ann, &format!("{i}.txt"), b"x").await));
    }
    let res = post(&app, &ann, &post_path(&lobby), json!({"attachments": many})).await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["attachments"]);
    // Ten is fine.
    many.pop();
    let ok = post(&app, &ann, &post_path(&lobby), json!({"attachments": many})).await;
    ok.expect(201);
    assert_eq!(attachment_ids(ok.data()), many);
    // Direct messages follow the same rules.
    let res = post(
        &app,
        &ann,
        &format!("/api/v1/chat/direct/{}/messages", bob.id),
        json!({"attachments": [id(&his)]}),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["attachments[0]"]);
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM chat_messages").await,
        1,
        "only the valid message was posted"
    );
}

#[tokio::test]
async fn direct_messages_carry_files_and_the_conversation_shows_them() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let png = upload(&app, &ann, "pixel.png", PNG).await;
    let res = post(
        &app,
        &ann,
        &format!("/api/v1/chat/direct/{}/messages", bob.id),
        json!({"attachments": [id(&png)]}),
    )
    .await;
    res.expect(201);
    assert_eq!(attachment_ids(res.data()), [id(&png)]);
    let convs = get(&app, &bob, "/api/v1/chat/conversations").await;
    let last = &convs.data()["items"][0]["last_message"];
    assert_eq!(attachment_ids(last), [id(&png)]);
    let view = get(&app, &bob, &format!("/api/v1/chat/direct/{}", ann.id)).await;
    let url = view.data()["messages"]["items"][0]["attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(download(&app, &url).await, (200, PNG.to_vec()));
}

#[tokio::test]
async fn deleting_a_message_hides_its_files_and_lets_them_go() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    let png = upload(&app, &ann, "pixel.png", PNG).await;
    let file_path = format!("/api/v1/files/{}", id(&png));
    let m = post(
        &app,
        &ann,
        &post_path(&lobby),
        json!({"body": "look", "attachments": [id(&png)]}),
    )
    .await
    .data()
    .clone();
    // In use: the file stays.
    delete(&app, &ann, &file_path)
        .await
        .expect_error(409, "FILE_IN_USE");
    let mine = get(&app, &ann, &file_path).await;
    mine.expect(200);

    let gone = delete(&app, &ann, &format!("/api/v1/chat/messages/{}", id(&m))).await;
    gone.expect(200);
    assert_eq!(gone.data()["deleted"], true);
    assert_eq!(gone.data()["attachments"], json!([]));
    let page = get(&app, &bob, &format!("/api/v1/chat/rooms/{lobby}/messages")).await;
    assert_eq!(page.data()["items"][0]["attachments"], json!([]));
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM chat_message_attachments").await,
        0
    );
    // Released: the owner may delete the file now, and its links stop working.
    let url = mine.data()["url"].as_str().unwrap().to_owned();
    delete(&app, &ann, &file_path).await.expect(204);
    assert_eq!(download(&app, &url).await.0, 404);
}

#[tokio::test]
async fn scheduled_messages_keep_their_files_or_fail_without_them() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let lobby = room(&app, &ann, "Lobby", "public").await;
    join(&app, &bob, &lobby).await;
    let now = app.state.clock.now();
    let kept = upload(&app, &ann, "kept.png", PNG).await;
    let doomed = upload(&app, &ann, "doomed.txt", b"soon gone").await;
    let his = upload(&app, &bob, "his.png", PNG).await;

    let res = post(
        &app,
        &ann,
        &post_path(&lobby),
        json!({"attachments": [id(&his)], "send_at": now + chrono::Duration::minutes(5)}),
    )
    .await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["attachments[0]"]);

    let first = post(
        &app,
        &ann,
        &post_path(&lobby),
        json!({"attachments": [id(&kept)], "send_at": now + chrono::Duration::minutes(5)}),
    )
    .await;
    first.expect(202);
    assert_eq!(first.data()["attachments"], json!([id(&kept)]));
    let second = post(
        &app,
        &ann,
        &format!("/api/v1/chat/direct/{}/messages", bob.id),
        json!({"body": "see file", "attachments": [id(&doomed)],
               "send_at": now + chrono::Duration::minutes(6)}),
    )
    .await;
    second.expect(202);
    // Not attached yet, so the file may still be deleted; the scheduled message then fails.
    delete(&app, &ann, &format!("/api/v1/files/{}", id(&doomed)))
        .await
        .expect(204);

    app.advance(chrono::Duration::minutes(7));
    wait_due_jobs(&app).await;
    assert_eq!(scheduled(&app, "sent").await, 1);
    assert_eq!(scheduled(&app, "failed").await, 1);
    let bob_token = login(&app, "bob").await;
    let page = call(
        &app,
        Method::GET,
        &format!("/api/v1/chat/rooms/{lobby}/messages"),
        &bob_token,
        None,
    )
    .await;
    let delivered = &page.data()["items"][0];
    assert_eq!(attachment_ids(delivered), [id(&kept)]);
    let url = delivered["attachments"][0]["url"].as_str().unwrap();
    assert_eq!(download(&app, url).await, (200, PNG.to_vec()));
    let failed = call(
        &app,
        Method::GET,
        &format!("/api/v1/chat/direct/{}", ann.id),
        &bob_token,
        None,
    )
    .await;
    failed.expect(200);
    assert!(failed.data()["conversation"].is_null(), "nothing was sent");
    let error: String = {
        let backend = app.state.db.get_database_backend();
        let row = app
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                "SELECT error FROM chat_scheduled_messages WHERE status = 'failed'",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "error").unwrap()
    };
    assert_eq!(error, "an attached file was deleted");
}
