//! The event bus across two app instances through the local Redis: an event published on one
//! reaches the other's subscribers exactly once, and the publisher's own subscribers exactly once
//! (not again through Redis). Skipped with a message when Redis is unreachable, unless
//! `VERTECHIE_REDIS_TESTS=required`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::json;
use tokio::sync::broadcast;
use vertechie_kernel::bus::{CHANNEL, Event};
use vertechie_kernel::testkit::TestApp;
use vertechie_server::testing::spawn_with;

/// The reconnect test kills every pub/sub connection on the server, so the tests of this file
/// take turns instead of running in parallel.
static REDIS_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn redis_url() -> String {
    std::env::var("VERTECHIE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// True when Redis answers PING; otherwise skips (or fails when Redis tests are required).
async fn redis_available() -> bool {
    vertechie_kernel::testkit::test_redis().await.is_some()
}

async fn instance() -> TestApp {
    let url = redis_url();
    spawn_with(move |c| c.redis_url = Some(url)).await
}

/// Events with `topic` received within `window`.
async fn collect(rx: &mut broadcast::Receiver<Event>, topic: &str, window: Duration) -> Vec<Event> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + window;
    while let Ok(r) = tokio::time::timeout_at(deadline, rx.recv()).await {
        match r {
            Ok(e) if e.topic == topic => got.push(e),
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
    got
}

#[tokio::test]
async fn events_cross_instances_once_and_are_not_echoed() {
    let _turn = REDIS_TURN.lock().await;
    if !redis_available().await {
        return;
    }
    let a = instance().await;
    let b = instance().await;
    assert!(a.state.bus.is_distributed() && b.state.bus.is_distributed());
    assert_ne!(a.state.bus.instance_id(), b.state.bus.instance_id());
    let mut on_a = a.state.bus.subscribe();
    let mut on_b = b.state.bus.subscribe();

    // Unique topics: other test runs may share this Redis.
    let topic = format!("test.bus.{}", uuid::Uuid::now_v7());
    a.state
        .bus
        .publish(Event::new(topic.clone(), json!({"n": 1, "from": "a"})));
    let got_b = collect(&mut on_b, &topic, Duration::from_millis(1500)).await;
    let got_a = collect(&mut on_a, &topic, Duration::from_millis(300)).await;
    assert_eq!(got_b.len(), 1, "B receives A's event exactly once");
    assert_eq!(got_b[0].payload, json!({"n": 1, "from": "a"}));
    assert_eq!(got_b[0].origin, a.state.bus.instance_id());
    assert_eq!(
        got_a.len(),
        1,
        "A's own subscribers get it once, not echoed"
    );

    // And the other way round, several in order.
    let topic = format!("test.bus.{}", uuid::Uuid::now_v7());
    for n in 0..5 {
        b.state
            .bus
            .publish(Event::new(topic.clone(), json!({"n": n})));
    }
    let got_a = collect(&mut on_a, &topic, Duration::from_millis(1500)).await;
    let got_b = collect(&mut on_b, &topic, Duration::from_millis(300)).await;
    let ns: Vec<i64> = got_a
        .iter()
        .map(|e| e.payload["n"].as_i64().unwrap())
        .collect();
    assert_eq!(ns, vec![0, 1, 2, 3, 4]);
    assert_eq!(got_b.len(), 5);
}

#[tokio::test]
async fn the_subscription_comes_back_after_redis_drops_it() {
    let _turn = REDIS_TURN.lock().await;
    if !redis_available().await {
        return;
    }
    let a = instance().await;
    let b = instance().await;
    let mut on_b = b.state.bus.subscribe();

    // Drop every pub/sub connection on the server (ours included); the bus resubscribes.
    let client = redis::Client::open(redis_url().as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: redis::Value = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut conn)
        .await
        .unwrap();

    // Events published while B reconnects may be lost (the bus is best effort); keep publishing
    // until one arrives.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let topic = format!("test.bus.{}", uuid::Uuid::now_v7());
        a.state.bus.publish(Event::new(topic.clone(), json!({})));
        if collect(&mut on_b, &topic, Duration::from_millis(300))
            .await
            .len()
            == 1
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "B did not resubscribe to {CHANNEL} within 15 s"
        );
    }
}

/// Two instances on one database: a profile change or a sign-out on one reaches the other's
/// cached `/users/me` answer and session check through the bus, well before their expiry.
#[tokio::test]
async fn user_changes_reach_the_other_instance() {
    let _turn = REDIS_TURN.lock().await;
    if !redis_available().await {
        return;
    }
    let a = instance().await;
    let url = redis_url();
    let b = vertechie_server::testing::spawn_beside(&a, move |c| c.redis_url = Some(url)).await;
    let res = a
        .post(
            "/api/v1/auth/register",
            json!({"email": "twin@example.com", "username": "twin",
                   "password": "correct horse battery", "full_name": "Before Change"}),
        )
        .await;
    res.expect(201);
    let token = res.data()["access_token"].as_str().unwrap().to_owned();
    let me_on_b = || async {
        b.req(reqwest::Method::GET, "/api/v1/users/me")
            .token(&token)
            .send()
            .await
    };
    // b caches the answer (and the session) ...
    for _ in 0..2 {
        let res = me_on_b().await;
        res.expect(200);
        assert_eq!(res.data()["full_name"], "Before Change");
    }
    // ... a changes the profile ...
    a.req(reqwest::Method::PATCH, "/api/v1/users/me")
        .token(&token)
        .json(&json!({"full_name": "After Change"}))
        .send()
        .await
        .expect(200);
    // ... and b answers with the change long before its cache entry would expire (30 s).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let res = me_on_b().await;
        if res.data()["full_name"] == "After Change" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "b still shows {}",
            res.data()["full_name"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Signing out on a ends the session on b too, before b's session cache (5 s) would.
    a.req(reqwest::Method::POST, "/api/v1/auth/logout")
        .token(&token)
        .send()
        .await
        .expect(204);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let res = me_on_b().await;
        if res.status == 401 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "b still accepts the signed-out session: {}",
            res.status
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
