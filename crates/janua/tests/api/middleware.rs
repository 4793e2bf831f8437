//! The middleware every response passes through: request ids, security headers, trailing
//! slashes, CORS and the global rate limit.

use crate::helpers::{assert_error_shape, spawn_app, spawn_app_with};

#[tokio::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    let headers = response.headers();
    let id = headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID is generated: {id}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers.contains_key("referrer-policy"));
    assert!(
        !headers.contains_key("strict-transport-security"),
        "no HSTS over plain http"
    );
}

#[tokio::test]
async fn a_sane_caller_request_id_is_echoed_and_a_hostile_one_replaced() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-abc_123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-abc_123");
    let response = app
        .client
        .get(app.url("/nope"))
        .header("x-request-id", "<script>alert(1)</script>")
        .send()
        .await
        .unwrap();
    let echoed = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(echoed, "<script>alert(1)</script>");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["request_id"],
        echoed.as_str(),
        "the error body names the same request id"
    );
}

#[tokio::test]
async fn trailing_slashes_are_optional_without_a_redirect() {
    let app = spawn_app().await;
    let response = app.get("/health/").await;
    assert_eq!(response.status(), 200);
    let response = app.get("/api/v1/health/live/").await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn cors_allows_configured_origins_with_credentials_and_no_others() {
    let app = spawn_app_with(&[("CORS_ORIGINS", "https://app.example.com")]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/health"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    let refused = preflight("https://evil.example.net").await.unwrap();
    assert!(!refused
        .headers()
        .contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn the_global_rate_limit_answers_429_with_retry_after_and_spares_probes() {
    let app = spawn_app_with(&[("RATE_LIMIT_GLOBAL", "5/minute")]).await;
    for _ in 0..5 {
        assert_eq!(app.get("/").await.status(), 200);
    }
    let limited = app.get("/").await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "retry-after {retry_after}");
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(assert_error_shape(&body), "RATE_LIMITED");
    for _ in 0..10 {
        assert_eq!(
            app.get("/health").await.status(),
            200,
            "probes are never limited"
        );
    }
}

#[tokio::test]
async fn rate_limits_can_be_switched_off() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_GLOBAL", "2/minute"),
        ("RATE_LIMIT_ENABLED", "false"),
    ])
    .await;
    for _ in 0..6 {
        assert_eq!(app.get("/").await.status(), 200);
    }
}

#[tokio::test]
async fn forwarded_for_counts_only_behind_a_trusted_proxy() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_GLOBAL", "2/minute"),
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
    ])
    .await;
    let from = |ip: &'static str| {
        app.client
            .get(app.url("/"))
            .header("x-forwarded-for", ip)
            .send()
    };
    assert_eq!(from("198.51.100.1").await.unwrap().status(), 200);
    assert_eq!(from("198.51.100.1").await.unwrap().status(), 200);
    assert_eq!(from("198.51.100.1").await.unwrap().status(), 429);
    assert_eq!(
        from("198.51.100.2").await.unwrap().status(),
        200,
        "another client behind the proxy has its own budget"
    );

    let untrusted = spawn_app_with(&[("RATE_LIMIT_GLOBAL", "2/minute")]).await;
    let from = |ip: &'static str| {
        untrusted
            .client
            .get(untrusted.url("/"))
            .header("x-forwarded-for", ip)
            .send()
    };
    assert_eq!(from("198.51.100.1").await.unwrap().status(), 200);
    assert_eq!(from("198.51.100.2").await.unwrap().status(), 200);
    assert_eq!(
        from("198.51.100.3").await.unwrap().status(),
        429,
        "spoofed headers do not buy a new budget"
    );
}
