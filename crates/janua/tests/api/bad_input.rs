//! Whatever a client sends, the answer is a 4xx in the common error shape, never a 5xx.

use crate::helpers::{assert_error_shape, spawn_app, spawn_app_with};

#[tokio::test]
async fn unknown_routes_answer_404_in_the_error_shape() {
    let app = spawn_app().await;
    for path in [
        "/nope",
        "/api/v1/unknown/thing",
        "/%2e%2e/etc/passwd",
        "/api/v1/health/%00",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(assert_error_shape(&body), "NOT_FOUND", "{path}");
    }
}

#[tokio::test]
async fn wrong_methods_answer_405_in_the_error_shape() {
    let app = spawn_app().await;
    let response = app.client.delete(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(assert_error_shape(&body), "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn oversized_bodies_answer_413_in_the_error_shape() {
    let app = spawn_app_with(&[("MAX_BODY_BYTES", "1024")]).await;
    let response = app
        .client
        .post(app.url("/health"))
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(assert_error_shape(&body), "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn hostile_paths_and_headers_never_yield_a_5xx() {
    let app = spawn_app().await;
    let long = "a".repeat(8000);
    let paths = [
        "/'; DROP TABLE users; --".to_owned(),
        "/<script>alert(1)</script>".to_owned(),
        format!("/{long}"),
        "/api/v1/health?x=%ff%fe".to_owned(),
        "/metrics?%00".to_owned(),
    ];
    for path in paths {
        let response = app
            .client
            .get(app.url(&path))
            .header("authorization", "Bearer \u{1F600}garbage")
            .send()
            .await;
        if let Ok(response) = response {
            assert!(
                response.status().as_u16() < 500,
                "{path}: {}",
                response.status()
            );
        }
    }
}
