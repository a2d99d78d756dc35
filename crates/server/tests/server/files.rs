//! The files API through HTTP on the local store: uploads of every allowed type judged by the
//! bytes, refusals (type, size, input) that leave nothing behind, the size limit at and past the
//! edge, signed download links (bytes, headers, tampering, other ids, expiry), owner-only
//! metadata and deletion, and `/files/*` staying outside the page machinery.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chrono::Duration;
use reqwest::Method;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use vertechie_kernel::files::model as file;
use vertechie_kernel::testkit::{TestApp, TestResponse};
use vertechie_server::testing::{spawn, spawn_with};

const BOUNDARY: &str = "vt-test-boundary-7MA4YWxkTrZu0gW";

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9";
const GIF: &[u8] = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0;";
const WEBP: &[u8] =
    b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\0\0\0\x10\x07\x10\x11\x11\x88\x88\xfe\x07\0";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
/// The start of a Windows executable: "MZ", then NULs.
const EXE: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0\xb8\0\0\0\0\0\0\0@\0\0\0";

async fn register(app: &TestApp, username: &str) -> String {
    let res = app
        .post(
            "/api/v1/auth/register",
            json!({"email": format!("{username}@example.com"), "username": username,
                   "password": "correct horse battery"}),
        )
        .await;
    res.expect(201);
    res.data()["access_token"].as_str().unwrap().to_owned()
}

/// Signs in again (after the test clock moved past the access token's lifetime).
async fn login(app: &TestApp, username: &str) -> String {
    let res = app
        .post(
            "/api/v1/auth/login",
            json!({"email": format!("{username}@example.com"), "password": "correct horse battery"}),
        )
        .await;
    res.expect(200);
    res.data()["access_token"].as_str().unwrap().to_owned()
}

/// A multipart/form-data body of `(field, file name, bytes)` parts.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (field, name, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match name {
            Some(n) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{field}\"; filename=\"{n}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{field}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

async fn send_form(
    app: &TestApp,
    token: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> TestResponse {
    let (content_type, body) = multipart(parts);
    let mut req = app
        .req(Method::POST, "/api/v1/files")
        .header("content-type", &content_type)
        .body(body);
    if !token.is_empty() {
        req = req.token(token);
    }
    req.send().await
}

async fn upload(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> TestResponse {
    send_form(app, token, &[("file", Some(name), bytes)]).await
}

struct Download {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Download {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes).unwrap_or_default()
    }

    fn expect_refused(&self, status: u16, code: &str) {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.bytes)
        );
        assert!(self.header("content-type").starts_with("application/json"));
        let body = self.json();
        assert_eq!(body["status"], "error");
        assert_eq!(body["error"]["code"], code, "{body}");
    }
}

/// A GET without credentials (a link is the permission), bytes kept as they are.
async fn fetch(app: &TestApp, url: &str) -> Download {
    let res = app.client.get(app.url(url)).send().await.unwrap();
    Download {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        bytes: res.bytes().await.unwrap().to_vec(),
    }
}

async fn rows(app: &TestApp) -> u64 {
    file::Entity::find().count(&app.state.db).await.unwrap()
}

fn objects_under(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { objects_under(&p) } else { 1 })
        .sum()
}

fn objects(app: &TestApp) -> usize {
    objects_under(&app.state.config.data_dir.join("files"))
}

fn assert_nothing_stored(app: &TestApp, before_rows: u64, after_rows: u64) {
    assert_eq!(after_rows, before_rows, "no row may be left");
    assert_eq!(objects(app), before_rows as usize, "no object may be left");
}

fn with_sig(url: &str, sig: &str) -> String {
    let (path, query) = url.split_once('?').unwrap();
    let exp = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("exp="))
        .unwrap();
    format!("{path}?exp={exp}&sig={sig}")
}

fn sig_of(url: &str) -> &str {
    url.split("sig=").nth(1).unwrap()
}

#[tokio::test]
async fn every_allowed_type_uploads_by_its_bytes_and_downloads_by_link() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let text = "# Notes\ncaf\u{e9}, 1, 2\n\u{1f600}\n".as_bytes();
    let cases: &[(&str, &[u8], &str, &str)] = &[
        ("pixel.png", PNG, "image/png", "inline"),
        ("photo.jpg", JPEG, "image/jpeg", "inline"),
        ("anim.gif", GIF, "image/gif", "inline"),
        ("pic.webp", WEBP, "image/webp", "inline"),
        ("cv.pdf", PDF, "application/pdf", "attachment"),
        ("notes.md", text, "text/plain", "attachment"),
        ("data.csv", b"a,b\n1,2\n", "text/plain", "attachment"),
        // The name does not matter: a PNG called .txt is a PNG.
        ("x.txt", PNG, "image/png", "inline"),
        (
            "r\u{e9}sum\u{e9} final.pdf",
            PDF,
            "application/pdf",
            "attachment",
        ),
    ];
    for (name, bytes, content_type, disposition) in cases {
        let res = upload(&app, &ann, name, bytes).await;
        res.expect(201);
        let view = res.data();
        assert_eq!(view["name"], *name);
        assert_eq!(view["content_type"], *content_type, "{name}");
        assert_eq!(view["size"], bytes.len());
        let url = view["url"].as_str().unwrap();
        let id = view["id"].as_str().unwrap();
        assert!(url.starts_with(&format!("/files/{id}?exp=")), "{url}");
        assert!(view["url_expires_at"].is_string());

        // The row: type from the bytes, size and hash of what was sent.
        let row = file::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap())
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.content_type, *content_type);
        assert_eq!(row.size, bytes.len() as i64);
        use sha2::Digest;
        assert_eq!(row.sha256, hex::encode(sha2::Sha256::digest(bytes)));

        let got = fetch(&app, url).await;
        assert_eq!(got.status, 200, "{name}");
        assert_eq!(got.bytes, *bytes, "{name}");
        let want_type = if content_type.starts_with("text/") {
            format!("{content_type}; charset=utf-8")
        } else {
            content_type.to_string()
        };
        assert_eq!(got.header("content-type"), want_type);
        assert_eq!(got.header("content-length"), bytes.len().to_string());
        assert_eq!(got.header("x-content-type-options"), "nosniff");
        let cd = got.header("content-disposition");
        assert!(cd.starts_with(&format!("{disposition}; filename=")), "{cd}");
        assert!(cd.contains("filename*=UTF-8''"), "{cd}");
        let cache = got.header("cache-control");
        let max_age: u64 = cache
            .strip_prefix("private, max-age=")
            .unwrap_or_else(|| panic!("{cache}"))
            .parse()
            .unwrap();
        assert!((3600..=3900).contains(&max_age), "{cache}");
        assert!(got.header("content-security-policy").starts_with("sandbox"));
        // Not a page: no session or CSRF cookie handling.
        assert!(got.headers.get("set-cookie").is_none());
    }
    let cd = fetch(
        &app,
        upload(&app, &ann, "r\u{e9}sum\u{e9}.pdf", PDF).await.data()["url"]
            .as_str()
            .unwrap(),
    )
    .await;
    assert_eq!(
        cd.header("content-disposition"),
        "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
    );
    assert_eq!(rows(&app).await, cases.len() as u64 + 1);
    assert_eq!(objects(&app), cases.len() + 1);
}

#[tokio::test]
async fn refused_uploads_leave_nothing_behind() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let before = rows(&app).await;
    // An executable named like a picture.
    upload(&app, &ann, "holiday.png", EXE)
        .await
        .expect_error(415, "UNSUPPORTED_FILE_TYPE");
    // Archives, binary junk, text that is not UTF-8, text with a NUL further in.
    let late_nul = [b"a fine start ".repeat(1000).as_slice(), b"\0"].concat();
    let refused: [&[u8]; 4] = [
        b"PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0",
        b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0",
        b"caf\xe9 in latin-1",
        &late_nul,
    ];
    for bytes in refused {
        upload(&app, &ann, "file.txt", bytes)
            .await
            .expect_error(415, "UNSUPPORTED_FILE_TYPE");
    }
    // Input errors: empty file, no `file` field, not multipart at all.
    let res = upload(&app, &ann, "empty.txt", b"").await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["file"]);
    let res = send_form(&app, &ann, &[("other", None, b"value")]).await;
    res.expect_error(422, "VALIDATION_ERROR");
    assert_eq!(res.error_fields(), ["file"]);
    app.req(Method::POST, "/api/v1/files")
        .token(&ann)
        .json(&json!({"file": "x"}))
        .send()
        .await
        .expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
    // Without a credential.
    upload(&app, "", "a.png", PNG)
        .await
        .expect_error(401, "TOKEN_MISSING");
    assert_nothing_stored(&app, before, rows(&app).await);
}

#[tokio::test]
async fn the_configured_size_limit_is_exact_and_nothing_past_it_is_kept() {
    let max: usize = 64 * 1024;
    let app = spawn_with(|c| c.files_max_bytes = max as u64).await;
    let ann = register(&app, "ann").await;
    let at_limit = vec![b'a'; max];
    let res = upload(&app, &ann, "exact.txt", &at_limit).await;
    res.expect(201);
    assert_eq!(res.data()["size"], max);
    let got = fetch(&app, res.data()["url"].as_str().unwrap()).await;
    assert_eq!(got.bytes, at_limit);

    let before = rows(&app).await;
    let over = vec![b'a'; max + 1];
    let res = upload(&app, &ann, "over.txt", &over).await;
    res.expect_error(413, "FILE_TOO_LARGE");
    assert_eq!(res.body["error"]["max_bytes"], max);
    // A PNG past the limit, and a small file after a huge other field (the whole body is bounded).
    let big_png = [PNG, &vec![0u8; max]].concat();
    upload(&app, &ann, "big.png", &big_png)
        .await
        .expect_error(413, "FILE_TOO_LARGE");
    let filler = vec![b'x'; 200 * 1024];
    send_form(
        &app,
        &ann,
        &[
            ("note", None, &filler[..]),
            ("file", Some("a.txt"), b"small"),
        ],
    )
    .await
    .expect_error(413, "FILE_TOO_LARGE");
    assert_nothing_stored(&app, before, rows(&app).await);
}

#[tokio::test]
async fn the_default_limit_is_ten_mib_and_the_global_body_limit_does_not_cut_uploads() {
    let app = spawn().await;
    assert_eq!(app.state.config.files_max_bytes, 10_485_760);
    assert!(app.state.config.body_limit_bytes < 10_485_760);
    let ann = register(&app, "ann").await;
    let mut exact = PNG.to_vec();
    exact.resize(10_485_760, 7);
    let res = upload(&app, &ann, "big.png", &exact).await;
    res.expect(201);
    assert_eq!(res.data()["size"], 10_485_760);
    let got = fetch(&app, res.data()["url"].as_str().unwrap()).await;
    assert_eq!(got.status, 200);
    assert!(got.bytes == exact, "the download must equal the upload");

    exact.push(7);
    upload(&app, &ann, "bigger.png", &exact)
        .await
        .expect_error(413, "FILE_TOO_LARGE");
    assert_eq!(rows(&app).await, 1);
    assert_eq!(objects(&app), 1);
}

#[tokio::test]
async fn links_refuse_tampering_other_files_and_expiry() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let a = upload(&app, &ann, "a.png", PNG).await.data().clone();
    let b = upload(&app, &ann, "b.gif", GIF).await.data().clone();
    let a_url = a["url"].as_str().unwrap();
    let b_id = b["id"].as_str().unwrap();
    assert_eq!(fetch(&app, a_url).await.status, 200);

    let sig = sig_of(a_url);
    let mut flipped = sig.as_bytes().to_vec();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let exp = a_url
        .split("exp=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let a_id = a["id"].as_str().unwrap();
    let later: i64 = exp.parse::<i64>().unwrap() + 86_400;
    for bad in [
        with_sig(a_url, &flipped),
        // A's signature on B's id.
        a_url.replace(a_id, b_id),
        // A longer life than was signed.
        format!("/files/{a_id}?exp={later}&sig={sig}"),
        format!("/files/{a_id}?exp={exp}"),
        format!("/files/{a_id}?sig={sig}"),
        format!("/files/{a_id}"),
        format!("/files/not-an-id?exp={exp}&sig={sig}"),
    ] {
        let got = fetch(&app, &bad).await;
        got.expect_refused(403, "LINK_INVALID");
        assert!(got.headers.get("set-cookie").is_none());
    }
    // Unknown paths and methods under /files/ answer in the envelope, not with the HTML page.
    fetch(&app, "/files/a/b")
        .await
        .expect_refused(404, "NOT_FOUND");
    let res = app.req(Method::POST, a_url).send().await;
    res.expect_error(405, "METHOD_NOT_ALLOWED");

    // Past its expiry the link is refused; the owner gets a fresh one.
    app.advance(Duration::seconds(3600 + 301));
    fetch(&app, a_url).await.expect_refused(403, "LINK_EXPIRED");
}

#[tokio::test]
async fn only_the_owner_sees_and_deletes_a_file() {
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let up = upload(&app, &ann, "a.pdf", PDF).await;
    up.expect(201);
    let id = up.data()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/files/{id}");

    for (method, status) in [(Method::GET, 404), (Method::DELETE, 404)] {
        app.req(method, &path)
            .token(&bob)
            .send()
            .await
            .expect_error(status, "NOT_FOUND");
    }
    app.req(Method::GET, &path)
        .send()
        .await
        .expect_error(401, "TOKEN_MISSING");
    app.req(Method::DELETE, &path)
        .send()
        .await
        .expect_error(401, "TOKEN_MISSING");

    // The owner's view carries a working link, fresh after the old one expired.
    app.advance(Duration::seconds(4000));
    let old_url = up.data()["url"].as_str().unwrap();
    fetch(&app, old_url)
        .await
        .expect_refused(403, "LINK_EXPIRED");
    let ann = login(&app, "ann").await;
    let mine = app.req(Method::GET, &path).token(&ann).send().await;
    mine.expect(200);
    assert_eq!(mine.data()["name"], "a.pdf");
    assert_eq!(mine.data()["size"], PDF.len());
    let fresh = mine.data()["url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(&app, &fresh).await.bytes, PDF);

    app.req(Method::DELETE, &path)
        .token(&ann)
        .send()
        .await
        .expect(204);
    assert_eq!(rows(&app).await, 0);
    assert_eq!(objects(&app), 0);
    app.req(Method::GET, &path)
        .token(&ann)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    // A link still signed for the deleted file finds nothing.
    fetch(&app, &fresh).await.expect_refused(404, "NOT_FOUND");
    app.req(Method::DELETE, &path)
        .token(&ann)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn downloads_spend_the_rate_limit() {
    let app = spawn_with(|c| c.rate_limit_per_min = 4).await;
    let ann = register(&app, "ann").await;
    let url = upload(&app, &ann, "a.png", PNG).await.data()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(fetch(&app, &url).await.status);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

#[tokio::test]
async fn a_browser_uploads_with_its_session_cookie_and_the_csrf_header() {
    let app = spawn().await;
    register(&app, "ann").await;
    let browser = app.browser();
    browser
        .sign_in("ann@example.com", "correct horse battery")
        .await;
    let csrf = browser.cookie("vt_csrf").expect("a CSRF cookie");
    let (content_type, body) = multipart(&[("file", Some("pixel.png"), PNG)]);
    let without = browser
        .client
        .post(app.url("/api/v1/files"))
        .header("content-type", &content_type)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(without.status().as_u16(), 403);
    let with = browser
        .client
        .post(app.url("/api/v1/files"))
        .header("content-type", &content_type)
        .header("x-csrf-token", &csrf)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(with.status().as_u16(), 201);
    let view: serde_json::Value = with.json().await.unwrap();
    assert_eq!(view["data"]["content_type"], "image/png");
    assert_eq!(rows(&app).await, 1);
}

// ---- quota ----

#[tokio::test]
async fn uploads_past_the_users_quota_are_refused_and_keep_nothing() {
    let app = spawn_with(|c| c.files_quota_bytes = 100).await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let sixty = vec![b'a'; 60];
    let first = upload(&app, &ann, "one.txt", &sixty).await;
    first.expect(201);
    let before = rows(&app).await;
    let res = upload(&app, &ann, "two.txt", &sixty).await;
    res.expect_error(413, "QUOTA_EXCEEDED");
    assert_eq!(res.body["error"]["quota_bytes"], 100);
    assert_eq!(res.body["error"]["used_bytes"], 60);
    assert_nothing_stored(&app, before, rows(&app).await);
    // Up to the quota exactly is fine; the quota is per user.
    upload(&app, &ann, "forty.txt", &[b'b'; 40])
        .await
        .expect(201);
    upload(&app, &ann, "one-more.txt", b"c")
        .await
        .expect_error(413, "QUOTA_EXCEEDED");
    upload(&app, &bob, "bobs.txt", &sixty).await.expect(201);
    // Deleting frees the room again.
    let id = first.data()["id"].as_str().unwrap();
    app.req(Method::DELETE, &format!("/api/v1/files/{id}"))
        .token(&ann)
        .send()
        .await
        .expect(204);
    upload(&app, &ann, "again.txt", &sixty).await.expect(201);
}

#[tokio::test]
async fn parallel_uploads_cannot_pass_the_quota_together() {
    let app = spawn_with(|c| c.files_quota_bytes = 100).await;
    let ann = register(&app, "ann").await;
    let sixty = vec![b'a'; 60];
    let names: Vec<String> = (0..6).map(|i| format!("p{i}.txt")).collect();
    let statuses: Vec<u16> =
        futures::future::join_all(names.iter().map(|n| upload(&app, &ann, n, &sixty)))
            .await
            .iter()
            .map(|r| r.status)
            .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 413).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(rows(&app).await, 1);
    assert_eq!(objects(&app), 1);
}

// ---- clean-up ----

/// Waits (up to 10 s) until `n` objects are stored (object deletion runs as a queue task).
async fn wait_for_objects(app: &TestApp, n: usize) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while objects(app) != n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {n} objects, found {}",
            objects(app)
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn file_exists(app: &TestApp, id: &str) -> bool {
    file::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .is_some()
}

fn id_of(res: &TestResponse) -> String {
    res.data()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn uploads_never_attached_are_swept_after_a_day_and_attached_ones_stay() {
    use vertechie_kernel::files::cleanup::{SWEEP_EVERY, SWEEP_UNATTACHED, sweep_unattached};
    assert!(
        vertechie_kernel::module()
            .schedules
            .iter()
            .any(|s| s.kind == SWEEP_UNATTACHED && s.every == SWEEP_EVERY)
    );
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let room = app
        .req(Method::POST, "/api/v1/chat/rooms")
        .token(&ann)
        .json(&json!({"name": "Lobby", "kind": "public"}))
        .send()
        .await;
    room.expect(201);
    let messages = format!("/api/v1/chat/rooms/{}/messages", id_of(&room));
    let loose = id_of(
        upload(&app, &ann, "loose.txt", b"never attached")
            .await
            .expect(201),
    );
    let sent = id_of(upload(&app, &ann, "sent.png", PNG).await.expect(201));
    let later = id_of(upload(&app, &ann, "later.pdf", PDF).await.expect(201));
    let message = app
        .req(Method::POST, &messages)
        .token(&ann)
        .json(&json!({"body": "see this", "attachments": [sent]}))
        .send()
        .await;
    message.expect(201);
    let send_at = app.state.clock.now() + Duration::days(3);
    app.req(Method::POST, &messages)
        .token(&ann)
        .json(&json!({"body": "and this, later", "attachments": [later], "send_at": send_at}))
        .send()
        .await
        .expect(202);

    // A day is not over yet: nothing goes.
    app.advance(Duration::hours(23));
    let ann = login(&app, "ann").await;
    let fresh = id_of(
        upload(&app, &ann, "fresh.txt", b"just now")
            .await
            .expect(201),
    );
    assert_eq!(sweep_unattached(&app.state).await.unwrap(), 0);
    assert_eq!(rows(&app).await, 4);

    // Past a day, only the never-attached upload goes: its row at once, its object right after.
    app.advance(Duration::hours(2));
    let now = app.state.clock.now();
    app.state
        .queue
        .enqueue(&app.state.db, now, SWEEP_UNATTACHED, json!({}))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while file_exists(&app, &loose).await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the loose upload was not swept"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    wait_for_objects(&app, 3).await;
    for kept in [&sent, &later, &fresh] {
        assert!(file_exists(&app, kept).await, "{kept} must stay");
    }
    let ann = login(&app, "ann").await;
    app.req(Method::GET, &format!("/api/v1/files/{loose}"))
        .token(&ann)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");

    // Files found in use stay even once let go: the owner deletes them if they want.
    let msg = id_of(&message);
    app.req(Method::DELETE, &format!("/api/v1/chat/messages/{msg}"))
        .token(&ann)
        .send()
        .await
        .expect(200);
    app.advance(Duration::days(2));
    assert_eq!(
        sweep_unattached(&app.state).await.unwrap(),
        1,
        "only `fresh` goes"
    );
    for kept in [&sent, &later] {
        assert!(file_exists(&app, kept).await, "{kept} must stay");
    }
    assert!(!file_exists(&app, &fresh).await);
    wait_for_objects(&app, 2).await;
}

#[tokio::test]
async fn a_users_files_are_deleted_in_the_callers_transaction_and_their_objects_after() {
    use vertechie_kernel::files::delete_owned_by;
    let app = spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    upload(&app, &ann, "a.txt", b"one").await.expect(201);
    upload(&app, &ann, "b.png", PNG).await.expect(201);
    upload(&app, &bob, "c.txt", b"bob's").await.expect(201);
    let me = app
        .req(Method::GET, "/api/v1/users/me")
        .token(&ann)
        .send()
        .await;
    let ann_id = vertechie_kernel::UserId(uuid::Uuid::parse_str(&id_of(&me)).unwrap());

    // Rolled back: nothing happens, and no object deletion is left queued.
    let txn = vertechie_kernel::db::begin_write(&app.state.db)
        .await
        .unwrap();
    assert_eq!(delete_owned_by(&app.state, &txn, ann_id).await.unwrap(), 2);
    txn.rollback().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!((rows(&app).await, objects(&app)), (3, 3));

    // Committed: the rows are gone with the transaction, the objects once the queue ran.
    let txn = vertechie_kernel::db::begin_write(&app.state.db)
        .await
        .unwrap();
    assert_eq!(delete_owned_by(&app.state, &txn, ann_id).await.unwrap(), 2);
    assert_eq!(
        objects(&app),
        3,
        "objects stay until the rows are gone for good"
    );
    txn.commit().await.unwrap();
    assert_eq!(rows(&app).await, 1);
    wait_for_objects(&app, 1).await;
    let txn = vertechie_kernel::db::begin_write(&app.state.db)
        .await
        .unwrap();
    assert_eq!(delete_owned_by(&app.state, &txn, ann_id).await.unwrap(), 0);
    txn.commit().await.unwrap();
}
