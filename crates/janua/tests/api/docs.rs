//! `/openapi.json`, `/docs` and `/redoc`: generated from the code, rendered from embedded
//! assets only, and absent when `ENABLE_DOCS` is off.

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn openapi_document_is_3_1_and_lists_the_operations_routes() {
    let app = spawn_app().await;
    let (status, spec) = app.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        spec["openapi"]
    );
    for path in [
        "/",
        "/health",
        "/ready",
        "/metrics",
        "/api/v1/health",
        "/api/v1/health/live",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} missing from the spec"
        );
    }
}

#[tokio::test]
async fn docs_pages_load_only_local_assets_that_are_served() {
    let app = spawn_app().await;
    for page in ["/docs", "/redoc"] {
        let response = app.get(page).await;
        assert_eq!(response.status(), 200, "{page}");
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let html = response.text().await.unwrap();
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{page} references the network"
        );
        let assets: Vec<&str> = html
            .split(['"', '\''])
            .filter(|s| s.starts_with("/static/"))
            .collect();
        assert!(!assets.is_empty(), "{page} loads no assets");
        for asset in assets {
            let asset_response = app.get(asset).await;
            assert_eq!(asset_response.status(), 200, "{asset}");
            assert!(
                asset_response.bytes().await.unwrap().len() > 100,
                "{asset} is empty"
            );
        }
    }
}

#[tokio::test]
async fn docs_are_absent_when_disabled() {
    let app = spawn_app_with(&[("ENABLE_DOCS", "false")]).await;
    for path in [
        "/openapi.json",
        "/docs",
        "/redoc",
        "/static/docs/swagger-init.js",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}
