#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::*;

#[tokio::test]
async fn register_then_read_me() {
    let app = spawn().await;
    let a = register(&app, "ada").await;
    let me = app
        .req(reqwest::Method::GET, "/api/v1/users/me")
        .token(&a.access)
        .send()
        .await;
    me.expect(200);
    assert_eq!(me.data()["email"], "ada@example.com");
    let mails = app.wait_for_mail("ada@example.com", 1).await;
    assert!(mails[0].subject.contains("Confirm"));
}
