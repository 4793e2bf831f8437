//! API keys: the lifecycle (create → use → rotate → revoke), where keys are accepted, scopes,
//! the per-key rate limit and `last_used`.

use serde_json::json;

use crate::helpers::orgs::{slug, As};
use crate::helpers::{assert_error_shape, spawn_app, TestApp};

const O: &str = "/api/v1/organizations";

async fn setup(app: &TestApp) -> (String, String) {
    let owner = app.new_user().await;
    let org = app.create_org(&owner.access_token, &slug("keys")).await;
    (owner.access_token, org["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_key_is_shown_once_used_rotated_and_revoked() {
    let app = spawn_app().await;
    let (owner, org) = setup(&app).await;
    let as_owner = As::User(owner.clone());
    let (status, created) = app
        .call("POST", &format!("/api/v1/api-keys?organization_id={org}"), &as_owner,
              Some(&json!({"name": "ci", "scopes": ["org:read", "users:read"], "rate_limit_per_min": 100})))
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("sk_live_") && key.len() == 72, "{key}");
    assert_eq!(created["key_prefix"], &key[..12]);
    assert_eq!(created["prefix"], format!("{}...", &key[..12]));
    // Shown once: reads never carry the secret.
    let (_, read) = app
        .call("GET", &format!("/api/v1/api-keys/{id}"), &as_owner, None)
        .await;
    assert!(read.get("key").is_none(), "{read}");
    assert!(read["last_used"].is_null());
    // Use it both ways.
    for who in [As::Key(key.clone()), As::BearerKey(key.clone())] {
        let (status, body) = app.call("GET", &format!("{O}/{org}"), &who, None).await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, read) = app
        .call("GET", &format!("/api/v1/api-keys/{id}"), &as_owner, None)
        .await;
    assert!(read["last_used"].is_string(), "last_used recorded: {read}");
    let (status, verified) = app
        .call(
            "POST",
            "/api/v1/api-keys/verify",
            &As::Anonymous,
            Some(&json!({"key": key})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(verified["valid"], true);
    assert_eq!(verified["org_id"], org.as_str());
    // Rotate: the old secret fails at once, the new one works.
    let (status, rotated) = app
        .call(
            "POST",
            &format!("/api/v1/api-keys/{id}/rotate"),
            &as_owner,
            None,
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_key = rotated["key"].as_str().unwrap().to_owned();
    assert_ne!(new_key, key);
    assert_eq!(rotated["previous_prefix"], format!("{}...", &key[..12]));
    let (status, body) = app
        .call("GET", &format!("{O}/{org}"), &As::Key(key.clone()), None)
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (401, "INVALID_API_KEY")
    );
    let (status, _) = app
        .call(
            "GET",
            &format!("{O}/{org}"),
            &As::Key(new_key.clone()),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // Revoke: rejected from then on.
    let (status, _) = app
        .call("DELETE", &format!("/api/v1/api-keys/{id}"), &as_owner, None)
        .await;
    assert_eq!(status, 204);
    let (status, body) = app
        .call(
            "GET",
            &format!("{O}/{org}"),
            &As::BearerKey(new_key.clone()),
            None,
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (401, "INVALID_API_KEY")
    );
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/api-keys/verify",
            &As::Anonymous,
            Some(&json!({"key": new_key})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (401, "INVALID_API_KEY")
    );
    let (status, _) = app
        .call("DELETE", &format!("/api/v1/api-keys/{id}"), &as_owner, None)
        .await;
    assert_eq!(status, 404);
    // Listed only with include_inactive.
    let (_, list) = app
        .call(
            "GET",
            &format!("/api/v1/api-keys?organization_id={org}"),
            &as_owner,
            None,
        )
        .await;
    assert_eq!(list["total"], 0);
    let (_, list) = app
        .call(
            "GET",
            &format!("/api/v1/api-keys?organization_id={org}&include_inactive=true"),
            &as_owner,
            None,
        )
        .await;
    assert_eq!(list["total"], 1);
    assert!(list["items"][0]["revoked_at"].is_string());
}

#[tokio::test]
async fn keys_are_refused_on_account_routes_and_unknown_keys_are_401() {
    let app = spawn_app().await;
    let (owner, org) = setup(&app).await;
    let (_, key) = app.create_api_key(&owner, &org, &["*"]).await;
    for path in ["/api/v1/users/me", "/api/v1/auth/me", "/api/v1/sessions"] {
        let (status, body) = app
            .call("GET", path, &As::BearerKey(key.clone()), None)
            .await;
        assert_eq!(status, 401, "{path}: {body}");
    }
    let forged = format!("sk_live_{}", "0".repeat(64));
    for who in [
        As::Key(forged.clone()),
        As::BearerKey(forged),
        As::Key("garbage".into()),
    ] {
        let (status, body) = app.call("GET", &format!("{O}/{org}"), &who, None).await;
        assert_eq!(
            (status, assert_error_shape(&body).as_str()),
            (401, "INVALID_API_KEY")
        );
    }
}

#[tokio::test]
async fn scopes_cannot_exceed_the_creators_permissions_and_bad_input_is_refused() {
    let app = spawn_app().await;
    let (owner, org) = setup(&app).await;
    let admin = app.new_user().await;
    app.add_member(&owner, &org, &admin.id, "admin").await;
    let as_admin = As::User(admin.access_token.clone());
    let path = format!("/api/v1/api-keys?organization_id={org}");
    let (status, body) = app
        .call(
            "POST",
            &path,
            &as_admin,
            Some(&json!({"name": "all", "scopes": ["org:delete"]})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (403, "INSUFFICIENT_PERMISSIONS")
    );
    let (status, _) = app
        .call(
            "POST",
            &path,
            &as_admin,
            Some(&json!({"name": "fine", "scopes": ["users:*"]})),
        )
        .await;
    assert_eq!(status, 201);
    for bad in [
        json!({"scopes": []}),
        json!({"name": "x", "scopes": ["teleport"]}),
        json!({"name": "x", "rate_limit_per_min": 0}),
        json!({"name": "x", "rate_limit_per_min": 10001}),
        json!({"name": "x", "expires_at": "tomorrow"}),
        json!({"name": "x", "expires_at": "2020-01-01T00:00:00Z"}),
        json!({"name": "x", "scopes": "org:read"}),
    ] {
        let (status, body) = app.call("POST", &path, &as_admin, Some(&bad)).await;
        assert!(status == 422 || status == 400, "{bad}: {status} {body}");
        assert_error_shape(&body);
    }
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/api-keys",
            &as_admin,
            Some(&json!({"name": "no org"})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (422, "VALIDATION_ERROR")
    );
}

#[tokio::test]
async fn a_key_over_its_rate_limit_gets_429_with_retry_after() {
    let app = spawn_app().await;
    let (owner, org) = setup(&app).await;
    let (status, created) = app
        .call(
            "POST",
            &format!("/api/v1/api-keys?organization_id={org}"),
            &As::User(owner.clone()),
            Some(&json!({"name": "slow", "scopes": ["org:read"], "rate_limit_per_min": 2})),
        )
        .await;
    assert_eq!(status, 201);
    let key = created["key"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let (status, _) = app
            .call("GET", &format!("{O}/{org}"), &As::Key(key.clone()), None)
            .await;
        assert_eq!(status, 200);
    }
    let response = app
        .client
        .get(app.url(&format!("{O}/{org}")))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_key_stops_working_when_its_creator_leaves_the_organization() {
    let app = spawn_app().await;
    let (owner, org) = setup(&app).await;
    let admin = app.new_user().await;
    app.add_member(&owner, &org, &admin.id, "admin").await;
    let (_, key) = app
        .create_api_key(&admin.access_token, &org, &["users:read"])
        .await;
    let (status, _) = app
        .call(
            "GET",
            &format!("{O}/{org}/members"),
            &As::Key(key.clone()),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call(
            "DELETE",
            &format!("{O}/{org}/members/{}", admin.id),
            &As::User(owner),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .call("GET", &format!("{O}/{org}/members"), &As::Key(key), None)
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (403, "INSUFFICIENT_PERMISSIONS")
    );
}
