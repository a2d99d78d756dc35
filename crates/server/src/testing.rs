//! Spawns the whole application for integration tests (feature `testkit`).
#![allow(clippy::expect_used)]

use std::sync::Arc;

use vertechie_kernel::clock::OffsetClock;
use vertechie_kernel::config::Config;
use vertechie_kernel::testkit::{TestApp, TestDb, test_config};

/// The app with test defaults on a fresh database.
pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

/// The app with test defaults changed by `tweak`.
pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let db = TestDb::fresh().await;
    let mut cfg = test_config(&db);
    tweak(&mut cfg);
    cfg.validate().expect("test configuration is valid");
    let conn = crate::connect_and_migrate(&cfg)
        .await
        .expect("connect and migrate");
    let clock = Arc::new(OffsetClock::new());
    let state = crate::build_state(cfg, conn, clock.clone())
        .await
        .expect("build state");
    let app = crate::build_app(state.clone());
    TestApp::start(state, app, clock, db).await
}

/// A second instance of `first`'s app on the same database and secret (so tokens and sessions
/// work on both), with its own process state: caches, bus, clock. `tweak` adjusts its settings.
pub async fn spawn_beside(first: &TestApp, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let db = first.db().shared();
    let mut cfg = (*first.state.config).clone();
    tweak(&mut cfg);
    cfg.validate().expect("test configuration is valid");
    let conn = crate::connect_and_migrate(&cfg)
        .await
        .expect("connect and migrate");
    let clock = Arc::new(OffsetClock::new());
    let state = crate::build_state(cfg, conn, clock.clone())
        .await
        .expect("build state");
    let app = crate::build_app(state.clone());
    TestApp::start(state, app, clock, db).await
}
