//! S3 storage against a real S3-compatible server (built only with `--features s3`): objects put,
//! read and deleted through `Storage`, and the files API end to end on the bucket — a small and a
//! multipart-sized upload downloaded through signed links, a refused upload leaving nothing in
//! the bucket, deletion removing the object.
//!
//! Reads `VERTECHIE_TEST_S3_ENDPOINT` (e.g. `http://127.0.0.1:5055`, moto's server; any
//! credentials). Without it the test says it is skipped and passes, unless
//! `VERTECHIE_S3_TESTS=required` (as `.ci/run` sets when it started moto).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use vertechie_kernel::config::Secret;
use vertechie_kernel::files::model as file;
use vertechie_kernel::testkit::TestApp;
use vertechie_server::testing::spawn_with;

const BOUNDARY: &str = "vt-s3-test-boundary";

fn endpoint() -> Option<String> {
    match std::env::var("VERTECHIE_TEST_S3_ENDPOINT") {
        Ok(e) if !e.is_empty() => Some(e.trim_end_matches('/').to_owned()),
        _ => {
            if std::env::var("VERTECHIE_S3_TESTS").as_deref() == Ok("required") {
                panic!("VERTECHIE_S3_TESTS=required but VERTECHIE_TEST_S3_ENDPOINT is not set");
            }
            eprintln!(
                "SKIPPED: set VERTECHIE_TEST_S3_ENDPOINT (an S3-compatible server) to run the S3 test"
            );
            None
        }
    }
}

async fn upload(
    app: &TestApp,
    token: &str,
    name: &str,
    bytes: &[u8],
) -> vertechie_kernel::testkit::TestResponse {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    app.req(Method::POST, "/api/v1/files")
        .token(token)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
}

async fn fetch(app: &TestApp, url: &str) -> (u16, Vec<u8>) {
    let res = app.client.get(app.url(url)).send().await.unwrap();
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

async fn keys(store: &dyn ObjectStore) -> Vec<String> {
    store
        .list(None)
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn s3_store_round_trip() {
    let Some(endpoint) = endpoint() else {
        return;
    };
    // A bucket of its own (moto accepts any credentials and an unsigned create).
    let bucket = format!(
        "vt-test-{}",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    );
    let created = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the S3 endpoint answers");
    assert!(
        created.status().is_success(),
        "creating {bucket}: {}",
        created.status()
    );

    let app = spawn_with(|c| {
        c.s3_bucket = Some(bucket.clone());
        c.s3_endpoint = Some(endpoint.clone());
        c.s3_allow_http = true;
        c.s3_access_key_id = Some("test".into());
        c.s3_secret_access_key = Some(Secret::new("test"));
    })
    .await;
    let storage = &app.state.storage;
    assert_eq!(storage.backend(), "s3");

    // Put, get, delete through the storage itself.
    let mut w = storage.writer("probe/hello.txt");
    w.write_all(b"hello s3").await.unwrap();
    w.shutdown().await.unwrap();
    let got = storage
        .get("probe/hello.txt")
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&got[..], b"hello s3");
    storage.delete("probe/hello.txt").await.unwrap();
    assert!(storage.get("probe/hello.txt").await.is_err());
    assert!(keys(storage.store().as_ref()).await.is_empty());

    // The API on the bucket: a small file and one big enough for a multipart upload.
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "ann@example.com", "username": "ann", "password": "correct horse battery"}),
        )
        .await;
    res.expect(201);
    let token = res.data()["access_token"].as_str().unwrap().to_owned();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";
    let small = upload(&app, &token, "pixel.png", png).await;
    small.expect(201);
    assert_eq!(
        fetch(&app, small.data()["url"].as_str().unwrap()).await,
        (200, png.to_vec())
    );
    let big: Vec<u8> = (0..6 * 1024 * 1024)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    let large = upload(&app, &token, "big.txt", &big).await;
    large.expect(201);
    let (status, bytes) = fetch(&app, large.data()["url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(bytes == big, "the multipart object reads back whole");
    assert_eq!(keys(storage.store().as_ref()).await.len(), 2);

    // A refused upload leaves nothing in the bucket; nothing goes to the local directory.
    upload(&app, &token, "x.png", b"MZ\x90\0\x03\0\0\0\x04\0\0\0")
        .await
        .expect_error(415, "UNSUPPORTED_FILE_TYPE");
    let mut over = big.clone();
    over.resize(10 * 1024 * 1024 + 1, b'a');
    upload(&app, &token, "over.txt", &over)
        .await
        .expect_error(413, "FILE_TOO_LARGE");
    assert_eq!(keys(storage.store().as_ref()).await.len(), 2);
    assert!(!app.state.config.data_dir.join("files").exists());

    // Deleting the file deletes the object.
    let id = large.data()["id"].as_str().unwrap().to_owned();
    let row = file::Entity::find_by_id(uuid::Uuid::parse_str(&id).unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        storage
            .store()
            .head(&Path::from(row.storage_key.as_str()))
            .await
            .is_ok()
    );
    app.req(Method::DELETE, &format!("/api/v1/files/{id}"))
        .token(&token)
        .send()
        .await
        .expect(204);
    assert!(
        storage
            .store()
            .head(&Path::from(row.storage_key.as_str()))
            .await
            .is_err()
    );
    assert_eq!(keys(storage.store().as_ref()).await.len(), 1);
}
