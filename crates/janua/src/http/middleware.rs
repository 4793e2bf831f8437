//! Cross-cutting request handling that is not an error or a limit: the client IP, the trace
//! span, Prometheus request metrics, and security headers.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::http::extract::resolve_client_ip;
use crate::http::request_id::RequestId;
use crate::state::AppState;
use crate::telemetry::metrics::{HTTP_REQUESTS_TOTAL, HTTP_REQUEST_DURATION_SECONDS};

/// Label for requests that matched no route, so scanners cannot explode the label set.
const UNMATCHED: &str = "unmatched";

pub async fn client_ip(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = resolve_client_ip(request.extensions(), request.headers(), &state.proxies);
    request.extensions_mut().insert(ip);
    next.run(request).await
}

/// One span per request with the method, the route template and the request id (never the raw
/// path, which can carry tokens), plus the two HTTP metrics of API.md §2.
pub async fn observe(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let span =
        tracing::info_span!("request", %method, endpoint = %endpoint, request_id = %request_id);
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::debug!(
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request finished"
        );
    });
    let method = method.as_str().to_owned();
    metrics::counter!(HTTP_REQUESTS_TOTAL, "method" => method.clone(), "endpoint" => endpoint.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION_SECONDS, "method" => method, "endpoint" => endpoint)
        .record(elapsed.as_secs_f64());
    response
}

/// Headers every response carries (API.md §0): no sniffing, no framing, no referrer leaks,
/// HSTS when served over TLS, and `no-store` unless a handler chose a cache policy.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::REFERRER_POLICY) {
        // Hosted pages choose `same-origin`, so their form posts keep a real `Origin`.
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.server.tls_cert_file.is_some() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}
