//! The HTTP edge: request ids, the client's address (through trusted proxies, see
//! [`crate::net`]) and the [`Client`] extractor, rate limits, error envelopes for framework
//! errors, security headers, structured request logs and metrics; plus the standard tower layers.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use crate::config::Config;
use crate::error::{InternalErrorDetail, framework_error};
use crate::net::TrustedProxies;
use crate::ratelimit::{Limiter, RateLimiter, budget_for};

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id, available to handlers through extensions.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The route template a response came from (set by `tag_route`), used as the metrics label.
#[derive(Clone, Debug)]
struct RouteLabel(String);

/// The client address the edge attributed a request to; read it with [`Client`].
#[derive(Clone, Copy, Debug)]
struct ClientIp(IpAddr);

/// Who sent a request: the client IP as the edge resolved it (the socket peer, or through the
/// configured `trusted_proxies` from `X-Forwarded-For`) and the user agent. The one extractor
/// for this; it never fails (`ip` is None only on a router without the edge middleware).
#[derive(Clone, Debug, Default)]
pub struct Client {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl Client {
    /// The IP as text, as the audit log and sessions store it.
    pub fn ip_string(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Client {
            ip: parts.extensions.get::<ClientIp>().map(|c| c.0),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        })
    }
}

#[derive(Clone)]
pub struct EdgeState {
    limiter: Arc<RateLimiter>,
    hsts: bool,
    proxies: Arc<TrustedProxies>,
}

/// Wraps `router` (all routes already merged) with the platform's middleware, outermost last.
pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>, cfg: &Config) -> Router<S> {
    if cfg.trust_proxy_headers {
        tracing::warn!(
            "trust_proxy_headers is deprecated: it trusts loopback proxies only; set trusted_proxies"
        );
    }
    let edge = EdgeState {
        limiter: Arc::new(RateLimiter::new(
            cfg.rate_limit_per_min,
            cfg.auth_rate_limit_per_min,
            cfg.user_write_rate_limit_per_min,
        )),
        hsts: cfg.is_tls(),
        // Validated at start; an unreadable entry cannot reach here.
        proxies: Arc::new(cfg.trusted_proxies().unwrap_or_default()),
    };
    router
        .route_layer(middleware::from_fn(tag_route))
        .layer(axum::extract::DefaultBodyLimit::max(cfg.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(cfg.request_timeout_secs),
        ))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(edge, edge_middleware))
        // Outermost, so even rate-limit answers carry CORS headers a browser can read.
        .layer(cors(cfg))
}

fn cors(cfg: &Config) -> CorsLayer {
    let origins: Vec<HeaderValue> = cfg
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            X_REQUEST_ID.clone(),
        ])
        .expose_headers([X_REQUEST_ID.clone(), header::RETRY_AFTER])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
}

async fn tag_route(req: Request, next: Next) -> Response {
    let label = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let mut res = next.run(req).await;
    if let Some(label) = label {
        res.extensions_mut().insert(RouteLabel(label));
    }
    res
}

/// The socket peer, or — when it is a trusted proxy — the client it forwarded for.
fn client_ip(req: &Request, proxies: &TrustedProxies) -> Option<IpAddr> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    // A header line that is not text cannot be read hop by hop: it ends the walk there.
    let lines: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or("?"))
        .collect();
    Some(proxies.client_ip(peer, lines.into_iter()))
}

fn valid_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)))
    .then(|| s.to_owned())
}

async fn edge_middleware(State(edge): State<EdgeState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(valid_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let ip = client_ip(&req, &edge.proxies);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    req.extensions_mut().insert(Limiter(edge.limiter.clone()));
    if let Some(ip) = ip {
        req.extensions_mut().insert(ClientIp(ip));
    }

    let limited = match (budget_for(&method, &path), ip) {
        (Some(budget), Some(ip)) if method != Method::OPTIONS => {
            edge.limiter.check(budget, ip).err()
        }
        _ => None,
    };
    let mut res = match limited {
        Some(wait) => crate::error::AppError::rate_limited(wait).into_response(),
        None => next.run(req).await,
    };

    let status = res.status();
    if (status.is_client_error() || status.is_server_error())
        && (path.starts_with("/api/") || path.starts_with("/files/"))
        && !is_json(&res)
    {
        // A framework-made error (unknown route, wrong method, body limit, timeout): same envelope.
        let (parts, _) = res.into_parts();
        let mut fresh = framework_error(status).into_response();
        for (k, v) in parts.headers.iter() {
            if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
                fresh.headers_mut().insert(k.clone(), v.clone());
            }
        }
        *fresh.extensions_mut() = parts.extensions;
        res = fresh;
    }

    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert(X_REQUEST_ID.clone(), v);
    }
    security_headers(headers, edge.hsts, &path);

    let route = res
        .extensions()
        .get::<RouteLabel>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    let status_s = status.as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.to_string(), "route" => route.clone(), "status" => status_s.clone()).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method.to_string(), "route" => route.clone(), "status" => status_s).record(elapsed.as_secs_f64());

    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    if let Some(detail) = res.extensions().get::<InternalErrorDetail>() {
        tracing::error!(request_id = %request_id, method = %method, path = %path, route = %route, status = status.as_u16(), latency_ms, error = %detail.0, "request failed");
    } else if status.is_server_error() {
        tracing::error!(request_id = %request_id, method = %method, path = %path, route = %route, status = status.as_u16(), latency_ms, "request failed");
    } else {
        tracing::info!(request_id = %request_id, method = %method, path = %path, route = %route, status = status.as_u16(), latency_ms, "request");
    }
    res
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json") || v.starts_with("application/problem+json")
        })
}

/// CSP for pages: everything from our own origin; inline styles allowed for the docs UI only.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
                   form-action 'self'; frame-ancestors 'none'";
const CSP_DOCS: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                        script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
                        frame-ancestors 'none'";

fn security_headers(h: &mut axum::http::HeaderMap, hsts: bool, path: &str) {
    let csp = if path.starts_with("/api/docs") {
        CSP_DOCS
    } else {
        CSP
    };
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(csp));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}
