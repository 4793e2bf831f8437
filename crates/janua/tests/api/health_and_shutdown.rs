//! Liveness, readiness and graceful shutdown (API.md §2).

use std::time::Duration;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn root_identifies_the_service() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["message"], "Janua API");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn health_reports_healthy_with_version_and_environment() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["environment"], "test");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn ready_checks_the_real_database_and_cache() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/ready").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    let db = &body["checks"]["database"];
    assert_eq!(db["status"], "ok");
    assert!(db["latency_ms"].is_number());
    let expected_db = if app.backend.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(db["backend"], expected_db);
    let cache = &body["checks"]["cache"];
    assert_eq!(cache["status"], "ok");
    let expected_cache = if app.backend.redis_url.is_some() {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(cache["backend"], expected_cache);
}

#[tokio::test]
async fn api_health_aliases_answer_in_their_shapes() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["service"], "janua-api");
    assert_eq!(
        body["timestamp"], "2026-01-02T03:04:05.000Z",
        "time comes from the injected clock"
    );
    app.clock.advance(chrono::Duration::seconds(61));
    let (_, body) = app.get_json("/api/v1/health").await;
    assert_eq!(body["timestamp"], "2026-01-02T03:05:06.000Z");
    let (status, body) = app.get_json("/api/v1/health/live").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "alive");
    let (status, body) = app.get_json("/api/v1/health/ready").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn an_unreachable_redis_makes_ready_fail_but_not_health() {
    // Port 1 on loopback refuses connections: Redis configured but down.
    let app = spawn_app_with(&[("REDIS_URL", "redis://127.0.0.1:1")]).await;
    let (status, body) = app.get_json("/ready").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["checks"]["cache"]["status"], "error");
    assert!(
        body["checks"]["cache"]["error"]
            .as_str()
            .unwrap()
            .contains("redis"),
        "{body}"
    );
    assert_eq!(body["checks"]["database"]["status"], "ok");
    let (status, _) = app.get_json("/health").await;
    assert_eq!(status, 200, "liveness does not depend on Redis");
}

#[tokio::test]
async fn on_stop_ready_turns_503_while_requests_are_still_served_then_the_server_exits() {
    let mut app = spawn_app_with(&[("SHUTDOWN_DRAIN_SECONDS", "1")]).await;
    assert_eq!(app.get("/ready").await.status(), 200);
    let server = app.begin_shutdown();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = app.get_json("/ready").await;
    assert_eq!(status, 503, "draining instance must not be ready");
    assert_eq!(body["checks"]["shutdown"]["status"], "draining");
    assert_eq!(
        app.get("/health").await.status(),
        200,
        "still serving during the drain"
    );
    let outcome = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server stops after the drain");
    outcome.expect("server task").expect("clean exit");
    let refused = app
        .client
        .get(app.url("/health"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(refused.is_err(), "listener is closed after shutdown");
}

#[tokio::test]
async fn detailed_health_is_for_administrators_and_names_every_check() {
    let app = spawn_app_with(&[
        ("ADMIN_EMAIL", "ops@example.com"),
        ("ADMIN_PASSWORD", "Ops-Password-1234"),
    ])
    .await;
    assert_eq!(app.get("/api/v1/health/detailed").await.status(), 401);
    let user = app.new_user().await;
    assert_eq!(
        app.get_auth("/api/v1/health/detailed", &user.access_token)
            .await
            .status(),
        403
    );
    let admin: serde_json::Value = app
        .sign_in("ops@example.com", "Ops-Password-1234")
        .await
        .json()
        .await
        .unwrap();
    let token = admin["tokens"]["access_token"].as_str().unwrap();
    let response = app.get_auth("/api/v1/health/detailed", token).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "healthy");
    for check in ["database", "cache", "jobs", "shutdown"] {
        assert!(
            body["checks"][check]["status"].is_string(),
            "{check}: {body}"
        );
        assert!(body["checks"][check]["critical"].is_boolean());
        assert!(body["checks"][check]["duration_ms"].is_number());
    }
}
