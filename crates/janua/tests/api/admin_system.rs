//! `/api/v1/admin` operations: dependency health, the platform-wide activity log, maintenance
//! mode (seen by every instance), the configuration with secrets masked, and the recorded OIDC
//! custom domain.

use chrono::Duration;
use serde_json::{json, Value};

use crate::admin::admin_app;
use crate::helpers::orgs::As;
use crate::helpers::{assert_error_shape, spawn_second_instance, TestApp};

/// Longer than an instance trusts its cached copy of the maintenance switch.
const PAST_THE_CACHE: i64 = janua::http::maintenance::CACHE_TTL_SECONDS + 1;

#[tokio::test]
async fn admin_health_reports_storage_cache_version_and_uptime() {
    let (app, admin) = admin_app().await;
    app.clock.advance(Duration::seconds(90));
    let (status, body) = app.call("GET", "/api/v1/admin/health", &admin, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["uptime_seconds"], 90);
    assert_eq!(body["maintenance_mode"], false);
    assert_eq!(body["checks"]["database"]["status"], "ok");
    assert_eq!(body["checks"]["cache"]["status"], "ok");
    let expected_db = if app.backend.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["checks"]["database"]["backend"], expected_db);
}

#[tokio::test]
async fn activity_logs_list_everyones_entries_with_the_audit_filters() {
    let (app, admin) = admin_app().await;
    let first = app.new_user().await;
    let second = app.new_user().await;
    let (status, body) = app
        .call(
            "GET",
            "/api/v1/admin/activity-logs?limit=1000",
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let logs = body["logs"].as_array().unwrap();
    assert_eq!(body["total"].as_u64().unwrap() as usize, logs.len());
    for user in [&first.id, &second.id] {
        assert!(
            logs.iter().any(|e| e["target"]["id"] == json!(user)),
            "no entry about {user}"
        );
    }
    // Cursor pages, newest first.
    let (_, page) = app
        .call("GET", "/api/v1/admin/activity-logs?limit=1", &admin, None)
        .await;
    assert_eq!(page["logs"].as_array().unwrap().len(), 1);
    assert_eq!(page["has_more"], true);
    let cursor = page["cursor"].as_str().unwrap();
    let (_, next) = app
        .call(
            "GET",
            &format!("/api/v1/admin/activity-logs?limit=1&cursor={cursor}"),
            &admin,
            None,
        )
        .await;
    assert_ne!(next["logs"][0]["id"], page["logs"][0]["id"]);
    // The filters of /audit-logs.
    let (_, about) = app
        .call(
            "GET",
            &format!("/api/v1/admin/activity-logs?resource={}", second.id),
            &admin,
            None,
        )
        .await;
    let about = about["logs"].as_array().unwrap();
    assert!(!about.is_empty());
    assert!(about.iter().all(|e| e["target"]["id"] == json!(second.id)));
    let overlong = "x".repeat(201);
    for bad in [
        "limit=0".to_owned(),
        "limit=1001".to_owned(),
        "cursor=not-a-cursor".to_owned(),
        "action=User%20Created".to_owned(),
        "outcome=maybe".to_owned(),
        "start_date=yesterday".to_owned(),
        format!("actor={overlong}"),
    ] {
        let (status, body) = app
            .call(
                "GET",
                &format!("/api/v1/admin/activity-logs?{bad}"),
                &admin,
                None,
            )
            .await;
        assert_eq!(
            (status, assert_error_shape(&body).as_str()),
            (422, "VALIDATION_ERROR"),
            "{bad}"
        );
    }
}

async fn set_maintenance(app: &TestApp, admin: &As, body: Value) -> Value {
    let (status, response) = app
        .call("POST", "/api/v1/admin/maintenance-mode", admin, Some(&body))
        .await;
    assert_eq!(status, 200, "{response}");
    response
}

async fn patch_me(app: &TestApp, token: &str) -> (u16, Value) {
    app.call(
        "PATCH",
        "/api/v1/users/me",
        &As::User(token.to_owned()),
        Some(&json!({"first_name": "Changed"})),
    )
    .await
}

#[tokio::test]
async fn maintenance_mode_refuses_non_admin_writes_on_every_instance() {
    let (app, admin) = admin_app().await;
    let other = spawn_second_instance(&app, &[]).await;
    let user = app.new_user().await;
    // The second instance reads (and caches) the switch while it is off.
    assert_eq!(patch_me(&other, &user.access_token).await.0, 200);

    let on = set_maintenance(
        &app,
        &admin,
        json!({"enabled": true, "message": "  Upgrading; back at 05:00 UTC  "}),
    )
    .await;
    assert_eq!(on["enabled"], true);
    assert_eq!(on["message"], "Upgrading; back at 05:00 UTC");

    // A user's write: 503 in the common shape, with the message.
    let response = app
        .client
        .patch(app.url("/api/v1/users/me"))
        .bearer_auth(&user.access_token)
        .json(&json!({"first_name": "Changed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(assert_error_shape(&body), "SERVICE_UNAVAILABLE");
    assert_eq!(body["error"]["message"], "Upgrading; back at 05:00 UTC");
    let signup = app.sign_up("new@example.com", "Another-Password-123").await;
    assert_eq!(signup.status(), 503);
    let hosted_form = app
        .client
        .post(app.url("/api/v1/auth/forgot-password-form"))
        .form(&[("email", user.email.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(hosted_form.status(), 503);
    // Reads, probes and sign-in keep working; so does the administrator.
    let (status, _) = app
        .call(
            "GET",
            "/api/v1/users/me",
            &As::User(user.access_token.clone()),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.get("/health").await.status(), 200);
    assert_eq!(app.get("/ready").await.status(), 200);
    assert_eq!(app.sign_in(&user.email, &user.password).await.status(), 200);
    let (status, body) = app
        .call(
            "PUT",
            "/api/v1/admin/settings/ops.note",
            &admin,
            Some(&json!({"value": "maintenance in progress"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, health) = app.call("GET", "/api/v1/admin/health", &admin, None).await;
    assert_eq!(health["maintenance_mode"], true);

    // The other instance sees the switch once its copy expires.
    other.clock.advance(Duration::seconds(PAST_THE_CACHE));
    let (status, body) = patch_me(&other, &user.access_token).await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (503, "SERVICE_UNAVAILABLE")
    );
    let (status, state) = other
        .call("GET", "/api/v1/admin/maintenance-mode", &admin, None)
        .await;
    assert_eq!((status, state["enabled"].clone()), (200, json!(true)));

    // Off again: writes work everywhere.
    let off = set_maintenance(&app, &admin, json!({"enabled": false})).await;
    assert_eq!(off["enabled"], false);
    assert_eq!(patch_me(&app, &user.access_token).await.0, 200);
    other.clock.advance(Duration::seconds(PAST_THE_CACHE));
    assert_eq!(patch_me(&other, &user.access_token).await.0, 200);

    let (_, logs) = app
        .call(
            "GET",
            "/api/v1/admin/activity-logs?action=maintenance_mode.*",
            &admin,
            None,
        )
        .await;
    let actions: Vec<&str> = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["maintenance_mode.disabled", "maintenance_mode.enabled"]
    );
}

#[tokio::test]
async fn maintenance_mode_refuses_malformed_switches() {
    let (app, admin) = admin_app().await;
    for body in [
        json!({}),
        json!({"enabled": "yes"}),
        json!({"enabled": true, "message": 5}),
        json!({"enabled": true, "message": "x".repeat(501)}),
        json!({"enabled": true, "message": "line\u{0}break"}),
    ] {
        let (status, response) = app
            .call(
                "POST",
                "/api/v1/admin/maintenance-mode",
                &admin,
                Some(&body),
            )
            .await;
        assert_eq!(
            (status, assert_error_shape(&response).as_str()),
            (422, "VALIDATION_ERROR"),
            "{body}"
        );
    }
    let As::User(token) = &admin else {
        unreachable!()
    };
    let response = app
        .client
        .post(app.url("/api/v1/admin/maintenance-mode"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // The generic settings route cannot bypass the validation.
    let (status, _) = app
        .call(
            "PUT",
            "/api/v1/admin/settings/system.maintenance_mode",
            &admin,
            Some(&json!({"value": {"enabled": true}})),
        )
        .await;
    assert_eq!(status, 422);
    let (_, state) = app
        .call("GET", "/api/v1/admin/maintenance-mode", &admin, None)
        .await;
    assert_eq!(state["enabled"], false);
}

#[tokio::test]
async fn the_configuration_is_shown_with_every_secret_masked() {
    let secrets = [
        ("INTERNAL_API_KEY", "internal-api-key-value-0123456789"),
        ("METRICS_TOKEN", "metrics-token-value-0123456789"),
        ("JWT_SECRET_KEY", "jwt-secret-key-value-0123456789abcdef"),
        ("SMTP_HOST", "smtp.example.com"),
        ("SMTP_USERNAME", "mailer"),
        ("SMTP_PASSWORD", "smtp-password-value-0123456789"),
        ("OAUTH_GITHUB_CLIENT_ID", "github-client-id"),
        (
            "OAUTH_GITHUB_CLIENT_SECRET",
            "github-secret-value-0123456789",
        ),
    ];
    let (app, token) = crate::helpers::audit::admin_app(&secrets).await;
    let response = app.get_auth("/api/v1/admin/config", &token).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["config"]["mail"]["smtp_host"], "smtp.example.com");
    assert_eq!(body["config"]["security"]["secret_key"], "***");
    let mut needles: Vec<String> = secrets
        .iter()
        .filter(|(name, _)| {
            name.contains("KEY")
                || name.contains("TOKEN")
                || name.contains("PASSWORD")
                || name.contains("SECRET")
        })
        .map(|(_, value)| (*value).to_owned())
        .collect();
    needles.push("test-secret-key-0123456789-abcdefghijklmnop".to_owned());
    needles.push(crate::helpers::audit::ADMIN_PASSWORD.to_owned());
    for url in [
        Some(app.backend.database_url.clone()),
        app.backend.redis_url.clone(),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(password) = url_password(&url) {
            needles.push(password);
        }
    }
    for needle in needles {
        assert!(!text.contains(&needle), "a secret leaked: {needle}");
    }
}

/// The password of `scheme://user:password@host/…`, if any.
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split('/').next()?.rsplit_once('@')?.0;
    let password = userinfo.split_once(':')?.1;
    (!password.is_empty()).then(|| password.to_owned())
}

#[tokio::test]
async fn the_custom_domain_is_validated_stored_and_audited() {
    let (app, admin) = admin_app().await;
    let path = "/api/v1/admin/settings/oidc/custom-domain";
    let (status, body) = app.call("GET", path, &admin, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["domain"], Value::Null);
    assert_eq!(body["active"], false);
    assert!(body["issuer"].is_string());

    let (status, body) = app
        .call(
            "PUT",
            path,
            &admin,
            Some(&json!({"domain": "Auth.Example.COM"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["domain"], "auth.example.com");
    // Recorded only: the running issuer does not change.
    assert_eq!(body["active"], false);
    let (_, read) = app.call("GET", path, &admin, None).await;
    assert_eq!(read["domain"], "auth.example.com");
    let (_, setting) = app
        .call(
            "GET",
            "/api/v1/admin/settings/oidc.custom_domain",
            &admin,
            None,
        )
        .await;
    assert_eq!(setting["value"], "auth.example.com");

    let overlong = format!("{}.example.com", "a".repeat(250));
    for bad in [
        json!({}),
        json!({"domain": null}),
        json!({"domain": 42}),
        json!({"domain": "https://auth.example.com"}),
        json!({"domain": "auth.example.com:8443"}),
        json!({"domain": "10.0.0.1"}),
        json!({"domain": "localhost"}),
        json!({"domain": overlong}),
    ] {
        let (status, response) = app.call("PUT", path, &admin, Some(&bad)).await;
        assert_eq!(
            (status, assert_error_shape(&response).as_str()),
            (422, "VALIDATION_ERROR"),
            "{bad}"
        );
    }
    let (status, _) = app
        .call(
            "PUT",
            "/api/v1/admin/settings/oidc.custom_domain",
            &admin,
            Some(&json!({"value": "not a domain"})),
        )
        .await;
    assert_eq!(status, 422);
    let (_, read) = app.call("GET", path, &admin, None).await;
    assert_eq!(read["domain"], "auth.example.com");

    let (_, logs) = app
        .call(
            "GET",
            "/api/v1/admin/activity-logs?action=oidc.custom_domain_updated",
            &admin,
            None,
        )
        .await;
    assert_eq!(logs["total"], 1, "{logs}");
    assert_eq!(logs["logs"][0]["details"]["domain"], "auth.example.com");
    assert_eq!(logs["logs"][0]["target"]["id"], "oidc.custom_domain");
}

#[tokio::test]
async fn generic_setting_changes_are_audited() {
    let (app, admin) = admin_app().await;
    let (status, _) = app
        .call(
            "PUT",
            "/api/v1/admin/settings/auth.allow_signups",
            &admin,
            Some(&json!({"value": false})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, logs) = app
        .call(
            "GET",
            "/api/v1/admin/activity-logs?action=setting.updated",
            &admin,
            None,
        )
        .await;
    assert_eq!(logs["total"], 1, "{logs}");
    assert_eq!(logs["logs"][0]["details"]["key"], "auth.allow_signups");
    assert_eq!(logs["logs"][0]["details"]["value"], false);
}
