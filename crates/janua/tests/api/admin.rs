//! `/api/v1/admin`: refused to everyone but platform admins (admin users and clients whose
//! client-credentials token carries the `admin` scope); the bootstrap admin manages users,
//! organizations, CORS origins and settings.

use serde_json::{json, Value};

use crate::helpers::orgs::{slug, As};
use crate::helpers::{assert_error_shape, spawn_app, spawn_app_with, TestApp};

const ADMIN_EMAIL: &str = "root@example.com";
const ADMIN_PASSWORD: &str = "Admin-Password-123";

pub async fn admin_app() -> (TestApp, As) {
    let app = spawn_app_with(&[
        ("ADMIN_EMAIL", ADMIN_EMAIL),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("RATE_LIMIT_SIGNIN", "1000/minute"),
    ])
    .await;
    let body: Value = app
        .sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let token = body["tokens"]["access_token"].as_str().unwrap().to_owned();
    (app, As::User(token))
}

const ADMIN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/admin/stats"),
    ("GET", "/api/v1/admin/users"),
    ("POST", "/api/v1/admin/users"),
    ("GET", "/api/v1/admin/organizations"),
    ("GET", "/api/v1/admin/settings"),
    ("GET", "/api/v1/admin/settings/cors"),
    ("POST", "/api/v1/admin/settings/cors"),
    ("POST", "/api/v1/admin/settings/cors/invalidate-cache"),
    ("POST", "/api/v1/admin/sessions/revoke-all"),
    ("PUT", "/api/v1/admin/settings/auth.allow_signups"),
    ("GET", "/api/v1/admin/health"),
    ("GET", "/api/v1/admin/activity-logs"),
    ("GET", "/api/v1/admin/maintenance-mode"),
    ("POST", "/api/v1/admin/maintenance-mode"),
    ("GET", "/api/v1/admin/config"),
    ("GET", "/api/v1/admin/settings/oidc/custom-domain"),
    ("PUT", "/api/v1/admin/settings/oidc/custom-domain"),
];

#[tokio::test]
async fn admin_routes_refuse_anonymous_callers_users_and_api_keys() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let org = app.create_org(&user.access_token, &slug("adm")).await;
    let (_, key) = app
        .create_api_key(&user.access_token, org["id"].as_str().unwrap(), &["*"])
        .await;
    for (method, path) in ADMIN_ROUTES {
        let body = Some(json!({}));
        let (status, response) = app.call(method, path, &As::Anonymous, body.as_ref()).await;
        assert_eq!(
            (status, assert_error_shape(&response).as_str()),
            (401, "UNAUTHORIZED"),
            "{method} {path}"
        );
        let (status, response) = app
            .call(
                method,
                path,
                &As::User(user.access_token.clone()),
                body.as_ref(),
            )
            .await;
        assert_eq!(
            (status, assert_error_shape(&response).as_str()),
            (403, "FORBIDDEN"),
            "{method} {path}"
        );
        for key in [As::BearerKey(key.clone()), As::Key(key.clone())] {
            let (status, response) = app.call(method, path, &key, body.as_ref()).await;
            assert_eq!(
                (status, assert_error_shape(&response).as_str()),
                (403, "FORBIDDEN"),
                "{method} {path}: an API key is never an administrator"
            );
        }
    }
}

/// Registers a client-credentials client allowed `scopes` (as the admin `admin`) and returns
/// its row id and a fresh token for all of them.
pub async fn client_with_token(app: &TestApp, admin: &As, scopes: &[&str]) -> (String, String) {
    let (status, created) = app
        .call(
            "POST",
            "/api/v1/oauth/clients",
            admin,
            Some(&json!({
                "name": format!("svc {}", scopes.join(" ")),
                "grant_types": ["client_credentials"],
                "allowed_scopes": scopes,
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let response = app
        .client
        .post(app.url("/api/v1/oauth/token"))
        .basic_auth(
            created["client_id"].as_str().unwrap(),
            created["client_secret"].as_str(),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    (
        created["id"].as_str().unwrap().to_owned(),
        body["access_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_client_token_with_the_admin_scope_administers_the_platform() {
    let (app, admin) = admin_app().await;
    let (_, token) = client_with_token(&app, &admin, &["admin"]).await;
    let service = As::User(token);
    let (status, users) = app.call("GET", "/api/v1/admin/users", &service, None).await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(users["total"], 1);
    let (status, stats) = app.call("GET", "/api/v1/admin/stats", &service, None).await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["total_users"], 1);
    // Its changes are audited as the client's.
    let (status, created) = app
        .call(
            "POST",
            "/api/v1/admin/users",
            &service,
            Some(&json!({"email": "made-by-a-service@example.com"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (_, logs) = app
        .call(
            "GET",
            "/api/v1/audit-logs?action=user.created&actor_type=oauth_client",
            &admin,
            None,
        )
        .await;
    assert_eq!(logs["total"], 1, "{logs}");
    assert!(logs["logs"][0]["actor"]["id"]
        .as_str()
        .unwrap()
        .starts_with("jnc_"));
}

#[tokio::test]
async fn client_tokens_stay_out_of_user_routes_and_need_the_admin_scope() {
    let (app, admin) = admin_app().await;
    let (_, admin_token) = client_with_token(&app, &admin, &["admin"]).await;
    let (_, api_token) = client_with_token(&app, &admin, &["api"]).await;
    for token in [&admin_token, &api_token] {
        for path in ["/api/v1/auth/me", "/api/v1/users/me", "/api/v1/sessions"] {
            let (status, body) = app.call("GET", path, &As::User(token.clone()), None).await;
            assert_eq!(
                (status, assert_error_shape(&body).as_str()),
                (401, "UNAUTHORIZED"),
                "{path}"
            );
        }
    }
    for (method, path) in ADMIN_ROUTES {
        let (status, body) = app
            .call(method, path, &As::User(api_token.clone()), Some(&json!({})))
            .await;
        assert_eq!(
            (status, assert_error_shape(&body).as_str()),
            (403, "FORBIDDEN"),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn a_deleted_deactivated_or_revoked_clients_token_is_refused() {
    let (app, admin) = admin_app().await;
    let users = "/api/v1/admin/users";
    // Deleted.
    let (id, token) = client_with_token(&app, &admin, &["admin"]).await;
    assert_eq!(
        app.call("GET", users, &As::User(token.clone()), None)
            .await
            .0,
        200
    );
    let path = format!("/api/v1/oauth/clients/{id}");
    let (status, _) = app.call("DELETE", &path, &admin, None).await;
    assert!(status == 200 || status == 204, "{status}");
    assert_eq!(app.call("GET", users, &As::User(token), None).await.0, 401);
    // Deactivated.
    let (id, token) = client_with_token(&app, &admin, &["admin"]).await;
    let path = format!("/api/v1/oauth/clients/{id}");
    let (status, body) = app
        .call("PATCH", &path, &admin, Some(&json!({"is_active": false})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.call("GET", users, &As::User(token), None).await.0, 401);
    // Its `admin` scope withdrawn: the live token loses it too.
    let (id, token) = client_with_token(&app, &admin, &["admin", "api"]).await;
    let path = format!("/api/v1/oauth/clients/{id}");
    let (status, body) = app
        .call(
            "PATCH",
            &path,
            &admin,
            Some(&json!({"allowed_scopes": ["api"]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.call("GET", users, &As::User(token), None).await.0, 403);
    // Revoked (the jti deny list).
    let (status, created) = app
        .call(
            "POST",
            "/api/v1/oauth/clients",
            &admin,
            Some(&json!({"name": "revoker", "grant_types": ["client_credentials"], "allowed_scopes": ["admin"]})),
        )
        .await;
    assert_eq!(status, 201);
    let (client_id, secret) = (
        created["client_id"].as_str().unwrap(),
        created["client_secret"].as_str().unwrap(),
    );
    let post = |path: &str| {
        app.client
            .post(app.url(path))
            .basic_auth(client_id, Some(secret))
    };
    let token: Value = post("/api/v1/oauth/token")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call("GET", users, &As::User(token.clone()), None)
            .await
            .0,
        200
    );
    let revoked = post("/api/v1/oauth/revoke")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(app.call("GET", users, &As::User(token), None).await.0, 401);
}

#[tokio::test]
async fn the_bootstrap_admin_manages_users() {
    let (app, admin) = admin_app().await;
    let (status, created) = app
        .call("POST", "/api/v1/admin/users", &admin, Some(&json!({"email": "staff@example.com", "password": "Staff-Password-123", "first_name": "Staff", "email_verified": true})))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/admin/users",
            &admin,
            Some(&json!({"email": "staff@example.com"})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (400, "EMAIL_TAKEN")
    );
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/admin/users",
            &admin,
            Some(&json!({"email": "x"})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (422, "VALIDATION_ERROR")
    );
    // Lock the account with failures, then unlock it.
    for _ in 0..5 {
        app.sign_in("staff@example.com", "Wrong-Password-000").await;
    }
    let (_, status_body) = app
        .call(
            "GET",
            &format!("/api/v1/admin/users/{id}/lockout-status"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status_body["locked"], true, "{status_body}");
    assert_eq!(
        app.sign_in("staff@example.com", "Staff-Password-123")
            .await
            .status(),
        423
    );
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/v1/admin/users/{id}/unlock"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.sign_in("staff@example.com", "Staff-Password-123")
            .await
            .status(),
        200
    );
    // Promote, suspend, delete.
    let (status, patched) = app
        .call(
            "PATCH",
            &format!("/api/v1/admin/users/{id}"),
            &admin,
            Some(&json!({"is_admin": true})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    let (status, patched) = app
        .call(
            "PATCH",
            &format!("/api/v1/admin/users/{id}"),
            &admin,
            Some(&json!({"status": "suspended"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(patched["status"], "suspended");
    assert_eq!(
        app.sign_in("staff@example.com", "Staff-Password-123")
            .await
            .status(),
        401
    );
    let (status, body) = app
        .call(
            "PATCH",
            &format!("/api/v1/admin/users/{id}"),
            &admin,
            Some(&json!({"status": "sleeping"})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (422, "VALIDATION_ERROR")
    );
    let (status, _) = app
        .call("DELETE", &format!("/api/v1/admin/users/{id}"), &admin, None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call("DELETE", &format!("/api/v1/admin/users/{id}"), &admin, None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call("GET", "/api/v1/admin/users/not-an-id", &admin, None)
        .await;
    assert_eq!(status, 400);
    let (_, stats) = app.call("GET", "/api/v1/admin/stats", &admin, None).await;
    assert_eq!(stats["total_users"], 1, "{stats}");
    assert!(stats["active_sessions"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn the_bootstrap_admin_lists_and_deletes_any_organization() {
    let (app, admin) = admin_app().await;
    let user = app.new_user().await;
    let s = slug("tenant");
    let org = app.create_org(&user.access_token, &s).await;
    let id = org["id"].as_str().unwrap();
    let (status, list) = app
        .call(
            "GET",
            &format!("/api/v1/admin/organizations?search={s}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);
    // Platform admins hold every permission in every organization.
    let (status, _) = app
        .call(
            "GET",
            &format!("/api/v1/organizations/{id}/members"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/admin/organizations/{id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (_, stats) = app.call("GET", "/api/v1/admin/stats", &admin, None).await;
    assert_eq!(stats["total_organizations"], 0);
    let (status, _) = app
        .call(
            "GET",
            &format!("/api/v1/organizations/{id}"),
            &As::User(user.access_token),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn stored_cors_origins_are_honoured_and_settings_are_managed() {
    let (app, admin) = admin_app().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/me"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .send()
    };
    let response = preflight("https://app.example.com").await.unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/admin/settings/cors",
            &admin,
            Some(&json!({"origin": "https://App.example.com/"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["origin"], "https://app.example.com");
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/admin/settings/cors",
            &admin,
            Some(&json!({"origin": "https://app.example.com"})),
        )
        .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (409, "CONFLICT")
    );
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/admin/settings/cors",
            &admin,
            Some(&json!({"origin": "javascript:alert(1)"})),
        )
        .await;
    assert_eq!(status, 422);
    let response = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let id = body_id(&app, &admin).await;
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/admin/settings/cors/{id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 204);
    let response = preflight("https://app.example.com").await.unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    // Settings: sign-ups off through the admin API.
    let (status, body) = app
        .call(
            "PUT",
            "/api/v1/admin/settings/auth.allow_signups",
            &admin,
            Some(&json!({"value": false})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .call(
            "GET",
            "/api/v1/admin/settings/auth.allow_signups",
            &admin,
            None,
        )
        .await;
    assert_eq!((status, body["value"].clone()), (200, json!(false)));
    let response = app.sign_up("late@example.com", "Late-Password-123").await;
    assert_eq!(response.status(), 403);
    let (status, _) = app
        .call(
            "PUT",
            "/api/v1/admin/settings/Bad Key",
            &admin,
            Some(&json!({"value": 1})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .call(
            "PUT",
            "/api/v1/admin/settings/x.y",
            &admin,
            Some(&json!({})),
        )
        .await;
    assert_eq!(status, 422);
}

async fn body_id(app: &TestApp, admin: &As) -> String {
    let (_, list) = app
        .call("GET", "/api/v1/admin/settings/cors", admin, None)
        .await;
    list["origins"][0]["id"].as_str().unwrap().to_owned()
}
