//! `/metrics`: the Prometheus series of API.md §2, labelled by route template.

use crate::helpers::{assert_error_shape, spawn_app, spawn_app_with};

#[tokio::test]
async fn metrics_expose_request_counts_and_latency_by_route_template() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health").await.status(), 200);
    assert_eq!(app.get("/no/such/route/12345").await.status(), 404);
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total{")
            && l.contains("method=\"GET\"")
            && l.contains("endpoint=\"/health\"")
            && l.contains("status=\"200\"")),
        "http_requests_total for /health missing"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "histogram buckets missing"
    );
    assert!(text.contains("http_request_duration_seconds_count{"));
    assert!(
        !text.contains("/no/such/route/12345"),
        "raw paths never become labels"
    );
    assert!(text.contains("endpoint=\"unmatched\""));
    for gauge in [
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(gauge)),
            "{gauge} missing"
        );
    }
}

#[tokio::test]
async fn metrics_token_guards_the_scrape() {
    let app = spawn_app_with(&[("METRICS_TOKEN", "scrape-token-123")]).await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(assert_error_shape(&body), "UNAUTHORIZED");
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-token-124")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-token-123")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn metrics_can_be_disabled() {
    let app = spawn_app_with(&[("ENABLE_METRICS", "false")]).await;
    assert_eq!(app.get("/metrics").await.status(), 404);
}
