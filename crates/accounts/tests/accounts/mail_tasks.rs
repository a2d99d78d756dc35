//! The queue tasks behind account mail: once a mail is sent its task keeps only the recipient
//! (no body, no link), and finished tasks are purged after `queue_retention_days`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Duration;
use common::*;
use sea_orm::{ConnectionTrait, Statement, Value as DbValue};
use serde_json::{Value, json};
use vertechie_kernel::testkit::TestApp;

#[derive(Debug)]
struct Task {
    id: uuid::Uuid,
    status: String,
    payload: String,
}

async fn tasks(app: &TestApp, kind: &str) -> Vec<Task> {
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let sql = if app.is_postgres() {
        "SELECT id, status, payload FROM queue_tasks WHERE kind = $1 ORDER BY id"
    } else {
        "SELECT id, status, payload FROM queue_tasks WHERE kind = ? ORDER BY id"
    };
    db.query_all_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [DbValue::from(kind)],
    ))
    .await
    .unwrap()
    .into_iter()
    .map(|r| Task {
        id: r.try_get("", "id").unwrap(),
        status: r.try_get("", "status").unwrap(),
        payload: r.try_get("", "payload").unwrap(),
    })
    .collect()
}

/// Waits (up to 10 s) until every task of `kind` is done, and returns them.
async fn all_done(app: &TestApp, kind: &str, n: usize) -> Vec<Task> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let found = tasks(app, kind).await;
        if found.len() == n && found.iter().all(|t| t.status == "done") {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {n} finished {kind} task(s): {found:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Waits (up to 10 s) until a task of `kind` has finished.
async fn one_done(app: &TestApp, kind: &str) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !tasks(app, kind).await.iter().any(|t| t.status == "done") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {kind} task finished"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_sent_mails_task_keeps_only_the_recipient() {
    let app = spawn().await;
    let t = register(&app, "tess").await;
    app.post(
        "/api/v1/auth/password-reset/request",
        json!({"email": t.email}),
    )
    .await
    .expect(202);
    let mails = app.wait_for_mail(&t.email, 2).await;
    let done = all_done(&app, vertechie_kernel::mail::MAIL_JOB, 2).await;
    for task in &done {
        let payload: Value = serde_json::from_str(&task.payload).unwrap();
        assert_eq!(
            payload,
            json!({"redacted": true, "to": "tess@example.com"}),
            "{task:?}"
        );
    }
    // The tokens live only in the mail itself.
    for mail in &mails {
        let token = token_from_mail(&mail.body_text);
        assert!(done.iter().all(|t| !t.payload.contains(&token)));
    }
}

#[tokio::test]
async fn finished_tasks_are_purged_after_the_retention_period() {
    use vertechie_kernel::queue::{PURGE_DONE_TASKS, PURGE_EVERY};
    let app = spawn_with(|cfg| cfg.queue_retention_days = 3).await;
    // The kernel keeps the purge recurring.
    assert!(
        vertechie_kernel::module()
            .schedules
            .iter()
            .any(|s| s.kind == PURGE_DONE_TASKS && s.every == PURGE_EVERY)
    );
    register(&app, "old").await;
    let old = all_done(&app, vertechie_kernel::mail::MAIL_JOB, 1).await;
    app.advance(Duration::days(2));
    register(&app, "recent").await;
    let both = all_done(&app, vertechie_kernel::mail::MAIL_JOB, 2).await;
    let recent = both.iter().find(|t| t.id != old[0].id).unwrap().id;

    // A day later the first is past the three days; the second is not.
    app.advance(Duration::days(1) + Duration::minutes(1));
    let now = app.state.clock.now();
    app.state
        .queue
        .enqueue(&app.state.db, now, PURGE_DONE_TASKS, json!({}))
        .await
        .unwrap();
    one_done(&app, PURGE_DONE_TASKS).await;
    let left: Vec<uuid::Uuid> = tasks(&app, vertechie_kernel::mail::MAIL_JOB)
        .await
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(left, vec![recent]);
    // Unfinished tasks are never purged, however old.
    let queued = app
        .state
        .queue
        .enqueue_at(
            &app.state.db,
            now,
            now + Duration::days(30),
            "test.later",
            json!({}),
        )
        .await
        .unwrap();
    app.advance(Duration::days(10));
    vertechie_kernel::queue::purge_done(&app.state)
        .await
        .unwrap();
    let later: Vec<uuid::Uuid> = tasks(&app, "test.later")
        .await
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(later, vec![queued]);
    assert!(
        tasks(&app, vertechie_kernel::mail::MAIL_JOB)
            .await
            .is_empty()
    );
}
