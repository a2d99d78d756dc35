//! Operations endpoints: `/health` (liveness), `/ready` (database, Redis), `/metrics` (Prometheus;
//! behind `Authorization: Bearer <metrics_token>` when that is set).

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's Prometheus recorder, installed on first use (the `metrics` facade is process-wide).
pub fn metrics_handle() -> Option<PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        5.0, 10.0,
                    ],
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .clone()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics_text))
}

async fn health() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

async fn ready(State(state): State<AppState>) -> Response {
    let db_ok = tokio::time::timeout(Duration::from_secs(2), crate::db::ping(&state.db))
        .await
        .is_ok_and(|r| r.is_ok());
    let redis_ok = match &state.redis {
        None => None,
        Some(conn) => {
            let mut conn = conn.clone();
            let pong = tokio::time::timeout(Duration::from_secs(2), async move {
                redis::cmd("PING").query_async::<String>(&mut conn).await
            })
            .await;
            Some(matches!(pong, Ok(Ok(_))))
        }
    };
    let mut checks = serde_json::Map::new();
    checks.insert(
        "database".into(),
        if db_ok { "ok" } else { "failed" }.into(),
    );
    if let Some(ok) = redis_ok {
        checks.insert("redis".into(), if ok { "ok" } else { "failed" }.into());
    }
    let all_ok = db_ok && redis_ok.unwrap_or(true);
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let failed: Vec<&String> = checks
        .iter()
        .filter(|(_, v)| *v == "failed")
        .map(|(k, _)| k)
        .collect();
    let body = serde_json::json!({
        "status": if all_ok { "ready" } else { "unavailable" },
        "checks": checks,
        "failed": failed,
    });
    (status, axum::Json(body)).into_response()
}

/// Whether the request may read the metrics: always without a `metrics_token`, otherwise only
/// with it as the bearer token. Both sides are hashed first, so the constant-time comparison
/// does not even tell the token's length.
fn metrics_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(expected) = &state.config.metrics_token else {
        return true;
    };
    let given = crate::auth::bearer(headers).unwrap_or("");
    let (expected, given) = (
        crate::auth::hash_token(expected.expose()),
        crate::auth::hash_token(given),
    );
    crate::auth::constant_time_eq(expected.as_bytes(), given.as_bytes())
}

async fn metrics_text(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !metrics_allowed(&state, &headers) {
        const WHY: &str = "The metrics need the configured metrics token as a bearer token";
        let err = if crate::auth::bearer(&headers).is_some() {
            crate::error::AppError::unauthorized("TOKEN_INVALID", WHY)
        } else {
            crate::error::AppError::unauthorized("TOKEN_MISSING", WHY)
        };
        let mut res = err.into_response();
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return res;
    }
    let (size, idle) = crate::db::pool_stats(&state.db);
    metrics::gauge!("db_pool_connections").set(size as f64);
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    if let Ok(depth) = state.queue.depth(&state.db).await {
        metrics::gauge!("job_queue_depth", "status" => "queued").set(depth.queued as f64);
        metrics::gauge!("job_queue_depth", "status" => "running").set(depth.running as f64);
        metrics::gauge!("job_queue_depth", "status" => "dead").set(depth.dead as f64);
    }
    let body = state
        .metrics
        .as_ref()
        .map(|h| h.render())
        .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
