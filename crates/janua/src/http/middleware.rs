//! The request's way in and out, as two middlewares (few layers: each one costs a clone of
//! everything inside it on every request).
//!
//! - [`envelope`], outermost: request id and receive time, client IP, one span per request,
//!   the Prometheus request metrics, security headers, the common error shape, and the id
//!   echoed on the response.
//! - [`admit`], inside CORS: the global per-IP rate limit, then the maintenance gate.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::http::error;
use crate::http::extract::{resolve_client_ip, ClientIp};
use crate::http::request_id::{self, ReceivedAt};
use crate::http::{maintenance, rate_limit};
use crate::state::AppState;
use crate::telemetry::metrics::{HTTP_REQUESTS_TOTAL, HTTP_REQUEST_DURATION_SECONDS};

/// Label for requests that matched no route, so scanners cannot explode the label set.
const UNMATCHED: &str = "unmatched";

/// Everything every request gets on its way in and out; see the module doc.
pub async fn envelope(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let request_id = request_id::assign(&state, &mut request);
    let received_at = request.extensions().get::<ReceivedAt>().map(|r| r.0);
    let ip = resolve_client_ip(request.extensions(), request.headers(), &state.proxies);
    request.extensions_mut().insert(ip);

    let method = method_label(request.method());
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    // The route template and the request id, never the raw path (it can carry tokens).
    let span =
        tracing::info_span!("request", method, endpoint = %endpoint, request_id = %request_id);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();

    add_security_headers(
        response.headers_mut(),
        state.config.server.tls_cert_file.is_some(),
    );
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::debug!(
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request finished"
        );
    });
    metrics::counter!(HTTP_REQUESTS_TOTAL, "method" => method, "endpoint" => endpoint.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION_SECONDS, "method" => method, "endpoint" => endpoint)
        .record(elapsed.as_secs_f64());

    let mut response = error::shape(response, &request_id, received_at);
    request_id::echo(&mut response, &request_id);
    response
}

/// The metric label of a method: the standard ones as themselves, anything else as `OTHER`
/// (so a client cannot grow the label set with invented methods).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// Whether a request may go on to its handler: the global per-IP limit first, then the
/// maintenance gate. A refusal is the answer.
pub async fn admit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let ip = request.extensions().get::<ClientIp>().copied();
    if let Err(refused) = rate_limit::check_global(&state, request.uri().path(), ip).await {
        return refused;
    }
    match maintenance::gate(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(refused) => refused,
    }
}

/// Headers every response carries (API.md §0): no sniffing, no framing, no referrer leaks,
/// HSTS when served over TLS, and `no-store` unless a handler chose a cache policy.
fn add_security_headers(headers: &mut HeaderMap, tls: bool) {
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
    if tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::method_label;

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "OTHER");
    }
}
