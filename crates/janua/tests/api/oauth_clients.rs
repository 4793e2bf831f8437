//! `/api/v1/oauth/clients` (API.md §10): creation and its rules, listing, reading, updating,
//! deleting, secret rotation with a grace period, secret listing and revocation, the internal
//! idempotent registration, who may manage a client, and bad input.

use serde_json::{json, Value};

use crate::helpers::oauth::{spawn_provider, REDIRECT_URI};
use crate::helpers::{assert_error_shape, TestApp};

async fn token_status(app: &TestApp, client_id: &str, secret: &str) -> u16 {
    app.client
        .post(app.url("/api/v1/oauth/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_created_client_shows_its_secret_once_and_stores_only_its_digest() {
    let app = spawn_provider().await;
    let user = app.new_user().await;
    let (status, created) = json_of(
        app.post_json_auth(
            "/api/v1/oauth/clients",
            &user.access_token,
            &json!({"name": "My app", "redirect_uris": [REDIRECT_URI]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let client_id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    assert!(client_id.starts_with("jnc_"));
    assert!(secret.starts_with("jns_") && secret.len() > 40);
    assert_eq!(
        created["allowed_scopes"],
        json!(["openid", "profile", "email"])
    );
    assert_eq!(created["is_confidential"], true);
    assert_eq!(created["is_first_party"], false);
    for field in [
        "id",
        "name",
        "grant_types",
        "created_at",
        "updated_at",
        "is_active",
    ] {
        assert!(created.get(field).is_some(), "{field}");
    }
    let id = created["id"].as_str().unwrap();
    let (status, read) = json_of(
        app.get_auth(&format!("/api/v1/oauth/clients/{id}"), &user.access_token)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(read.get("client_secret").is_none(), "never shown again");
    let stored = app
        .state
        .store
        .list_client_secrets(id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].secret_hash,
        janua_core::crypto::secret_digest(secret)
    );
    assert_eq!(stored[0].prefix, format!("{}...", &secret[..12]));
}

#[tokio::test]
async fn names_are_unique_unless_duplicates_are_allowed() {
    let app = spawn_provider().await;
    let user = app.new_user().await;
    let body = json!({"name": "Twice", "redirect_uris": [REDIRECT_URI]});
    let first = app
        .post_json_auth("/api/v1/oauth/clients", &user.access_token, &body)
        .await;
    assert_eq!(first.status(), 201);
    let (status, again) = json_of(
        app.post_json_auth("/api/v1/oauth/clients", &user.access_token, &body)
            .await,
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(assert_error_shape(&again), "CONFLICT");
    let allowed = app
        .post_json_auth(
            "/api/v1/oauth/clients",
            &user.access_token,
            &json!({"name": "Twice", "redirect_uris": [REDIRECT_URI], "allow_duplicate": true}),
        )
        .await;
    assert_eq!(allowed.status(), 201);
}

#[tokio::test]
async fn invalid_fields_are_422_with_details_and_privileged_fields_need_an_admin() {
    let app = spawn_provider().await;
    let user = app.new_user().await;
    let cases = [
        json!({"name": ""}),
        json!({"name": "x".repeat(256)}),
        json!({"name": "A", "description": "d".repeat(1001)}),
        json!({"name": "A", "redirect_uris": ["http://rp.example.com/cb"]}),
        json!({"name": "A", "redirect_uris": ["https://rp.example.com/cb#frag"]}),
        json!({"name": "A", "redirect_uris": ["javascript:alert(1)"]}),
        json!({"name": "A", "redirect_uris": vec!["https://a.example/cb"; 21]}),
        json!({"name": "A", "allowed_scopes": ["openid", "bad scope"]}),
        json!({"name": "A", "grant_types": ["implicit"]}),
        json!({"name": "A", "is_confidential": false, "grant_types": ["client_credentials"]}),
        json!({"name": "A", "signing_alg": "HS256"}),
        json!({"name": "A", "allowed_scopes": ["admin"]}),
        json!({"name": "A", "is_first_party": true}),
        json!({"name": "A", "logo_url": "ftp://x"}),
        json!({"name": 5}),
        json!({}),
    ];
    for body in cases {
        let (status, error) = json_of(
            app.post_json_auth("/api/v1/oauth/clients", &user.access_token, &body)
                .await,
        )
        .await;
        assert_eq!(status, 422, "{body} → {error}");
        assert_eq!(assert_error_shape(&error), "VALIDATION_ERROR");
    }
    let pinned = app
        .post_json_auth(
            "/api/v1/oauth/clients",
            &user.access_token,
            &json!({"name": "Pinned", "client_id": "jnc_pinned_abc"}),
        )
        .await;
    assert_eq!(pinned.status(), 403, "pinned ids are admin-only");
    let malformed = app
        .client
        .post(app.url("/api/v1/oauth/clients"))
        .bearer_auth(&user.access_token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let anonymous = app
        .post_json("/api/v1/oauth/clients", &json!({"name": "A"}))
        .await;
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn admins_may_pin_ids_grant_admin_and_make_first_party_clients() {
    let app = spawn_provider().await;
    let admin = app.new_admin().await;
    let (status, created) = json_of(
        app.post_json_auth(
            "/api/v1/oauth/clients",
            &admin.access_token,
            &json!({
                "name": "Ops", "client_id": "jnc_ops_console", "is_first_party": true,
                "allowed_scopes": ["admin", "openid"], "grant_types": ["client_credentials"],
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["client_id"], "jnc_ops_console");
    let taken = app
        .post_json_auth(
            "/api/v1/oauth/clients",
            &admin.access_token,
            &json!({"name": "Other", "client_id": "jnc_ops_console"}),
        )
        .await;
    assert_eq!(taken.status(), 409);
}

#[tokio::test]
async fn only_the_creator_and_admins_manage_a_client() {
    let app = spawn_provider().await;
    let owner = app.new_user().await;
    let stranger = app.new_user().await;
    let admin = app.new_admin().await;
    let created = app.register_client(&owner, json!({})).await;
    let path = format!("/api/v1/oauth/clients/{}", created.id);
    assert_eq!(
        app.get_auth(&path, &stranger.access_token).await.status(),
        403
    );
    assert_eq!(app.get_auth(&path, &admin.access_token).await.status(), 200);
    let (_, mine) = app
        .get_json_auth("/api/v1/oauth/clients", &owner.access_token)
        .await;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["page"], 1);
    assert_eq!(mine["per_page"], 20);
    let (_, theirs) = app
        .get_json_auth("/api/v1/oauth/clients", &stranger.access_token)
        .await;
    assert_eq!(theirs["total"], 0);
    let (status, all) = app
        .get_json_auth("/api/v1/oauth/clients/admin/all", &admin.access_token)
        .await;
    assert_eq!(status, 200);
    assert!(all["total"].as_u64().unwrap() >= 1);
    assert_eq!(
        app.get_auth("/api/v1/oauth/clients/admin/all", &owner.access_token)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.get_auth("/api/v1/oauth/clients/not-a-uuid", &owner.access_token)
            .await
            .status(),
        400
    );
    assert_eq!(
        app.get_auth(
            &format!("/api/v1/oauth/clients/{}", uuid::Uuid::now_v7()),
            &owner.access_token
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn a_client_is_updated_field_by_field_and_deleted() {
    let app = spawn_provider().await;
    let owner = app.new_user().await;
    let created = app
        .register_client(
            &owner,
            json!({"grant_types": ["client_credentials"], "allowed_scopes": ["api"]}),
        )
        .await;
    let secret = created.client_secret.clone().unwrap();
    let path = format!("/api/v1/oauth/clients/{}", created.id);
    let patch = |body: Value| {
        let app = &app;
        let path = path.clone();
        let token = owner.access_token.clone();
        async move {
            let r = app
                .client
                .patch(app.url(&path))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            json_of(r).await
        }
    };
    let (status, updated) = patch(json!({"description": "New", "signing_alg": "ES256", "website_url": "https://rp.example.com"})).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["description"], "New");
    assert_eq!(updated["signing_alg"], "ES256");
    assert_eq!(
        updated["name"],
        created_name(&app, &owner, &created.id).await
    );
    let (status, cleared) = patch(json!({"description": null})).await;
    assert_eq!(status, 200);
    assert!(cleared["description"].is_null());
    let (status, _) = patch(json!({"is_first_party": true})).await;
    assert_eq!(status, 403);
    let (status, _) = patch(json!({"redirect_uris": ["http://not-loopback.example/cb"]})).await;
    assert_eq!(status, 422);
    // Deactivating takes effect at once for client authentication.
    assert_eq!(token_status(&app, &created.client_id, &secret).await, 200);
    let (status, _) = patch(json!({"is_active": false})).await;
    assert_eq!(status, 200);
    assert_eq!(token_status(&app, &created.client_id, &secret).await, 401);
    let deleted = app.delete_auth(&path, &owner.access_token).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get_auth(&path, &owner.access_token).await.status(), 404);
}

async fn created_name(
    app: &TestApp,
    owner: &crate::helpers::accounts::TestUser,
    id: &str,
) -> String {
    let (_, c) = app
        .get_json_auth(&format!("/api/v1/oauth/clients/{id}"), &owner.access_token)
        .await;
    c["name"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn rotation_keeps_old_secrets_for_the_grace_period_and_they_can_be_revoked() {
    let app = spawn_provider().await;
    let owner = app.new_user().await;
    let created = app
        .register_client(
            &owner,
            json!({"grant_types": ["client_credentials"], "allowed_scopes": ["api"]}),
        )
        .await;
    let old = created.client_secret.clone().unwrap();
    let base = format!("/api/v1/oauth/clients/{}", created.id);
    let (status, rotated) = json_of(
        app.post_json_auth(
            &format!("{base}/rotate"),
            &owner.access_token,
            &json!({"grace_period_hours": 1}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(rotated["grace_period_hours"], 1);
    for field in [
        "client_id",
        "rotated_at",
        "old_secrets_expire_at",
        "message",
    ] {
        assert!(rotated.get(field).is_some(), "{field}");
    }
    assert_eq!(
        token_status(&app, &created.client_id, &old).await,
        200,
        "grace"
    );
    assert_eq!(token_status(&app, &created.client_id, &new).await, 200);
    let (_, listed) = app
        .get_json_auth(&format!("{base}/secrets"), &owner.access_token)
        .await;
    assert_eq!(listed["total_count"], 2);
    assert_eq!(listed["active_count"], 2);
    assert_eq!(listed["has_primary"], true);
    assert_eq!(listed["max_age_days"], 90);
    assert_eq!(listed["rotation_recommended"], false);
    let secrets = listed["secrets"].as_array().unwrap();
    let primary = secrets.iter().find(|s| s["is_primary"] == true).unwrap();
    let previous = secrets.iter().find(|s| s["is_primary"] == false).unwrap();
    // The primary cannot be revoked; the previous one can.
    let (status, _) = json_of(
        app.post_json_auth(
            &format!("{base}/secrets/revoke"),
            &owner.access_token,
            &json!({"secret_id": primary["id"]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = json_of(
        app.post_json_auth(
            &format!("{base}/secrets/revoke"),
            &owner.access_token,
            &json!({"secret_id": previous["id"]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(token_status(&app, &created.client_id, &old).await, 401);
    // A second rotation with no grace: the last secret stops at once; revoke-all-old counts.
    let (_, again) = json_of(
        app.post_json_auth(
            &format!("{base}/rotate"),
            &owner.access_token,
            &json!({"grace_period_hours": 0}),
        )
        .await,
    )
    .await;
    assert_eq!(token_status(&app, &created.client_id, &new).await, 401);
    let newest = again["client_secret"].as_str().unwrap();
    assert_eq!(token_status(&app, &created.client_id, newest).await, 200);
    let (status, revoked) = json_of(
        app.post_json_auth(
            &format!("{base}/secrets/revoke-all-old"),
            &owner.access_token,
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(revoked["revoked_count"], 1);
    let (status, _) = json_of(
        app.post_json_auth(
            &format!("{base}/rotate"),
            &owner.access_token,
            &json!({"grace_period_hours": 169}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn the_rotation_grace_period_ends_with_time() {
    let app = spawn_provider().await;
    let owner = app.new_user().await;
    let created = app
        .register_client(
            &owner,
            json!({"grant_types": ["client_credentials"], "allowed_scopes": ["api"]}),
        )
        .await;
    let old = created.client_secret.clone().unwrap();
    let rotated = app
        .post_json_auth(
            &format!("/api/v1/oauth/clients/{}/rotate", created.id),
            &owner.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(rotated.status(), 200);
    assert_eq!(token_status(&app, &created.client_id, &old).await, 200);
    app.clock.advance(chrono::Duration::hours(25));
    // The cache keeps a client for a few seconds; the clock has moved far past that.
    assert_eq!(token_status(&app, &created.client_id, &old).await, 401);
}

#[tokio::test]
async fn the_internal_registration_is_idempotent_and_keyed() {
    let app = spawn_provider().await;
    let body =
        json!({"name": "Dashboard", "client_key": "dashboard", "redirect_uris": [REDIRECT_URI]});
    let without_key = app.post_json("/api/v1/oauth/clients/register", &body).await;
    assert_eq!(without_key.status(), 401);
    let register = || {
        app.client
            .post(app.url("/api/v1/oauth/clients/register"))
            .header("x-internal-api-key", "internal-test-key-0123456789")
            .json(&body)
            .send()
    };
    let no_admin = register().await.unwrap();
    assert_eq!(no_admin.status(), 503, "nobody could manage it");
    app.new_admin().await;
    let (status, first) = json_of(register().await.unwrap()).await;
    assert_eq!(status, 201, "{first}");
    assert!(first["client_secret"].is_string());
    let (status, second) = json_of(register().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(second.get("client_secret").is_none());
    assert_eq!(second["client_id"], first["client_id"]);
    let by_name = app
        .client
        .get(app.url("/api/v1/oauth/clients/internal/by-name/Dashboard"))
        .header("x-internal-api-key", "internal-test-key-0123456789")
        .send()
        .await
        .unwrap();
    let (status, found) = json_of(by_name).await;
    assert_eq!(status, 200);
    assert_eq!(found["client_id"], first["client_id"]);
}

#[tokio::test]
async fn the_internal_registration_is_503_without_an_internal_key() {
    let app = crate::helpers::spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/oauth/clients/register"))
        .header("x-internal-api-key", "anything")
        .json(&json!({"name": "X"}))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, 503);
    assert_eq!(assert_error_shape(&body), "NOT_CONFIGURED");
}

#[tokio::test]
async fn client_changes_are_audited() {
    let app = spawn_provider().await;
    let owner = app.new_user().await;
    let created = app.register_client(&owner, json!({})).await;
    app.post_json_auth(
        &format!("/api/v1/oauth/clients/{}/rotate", created.id),
        &owner.access_token,
        &json!({}),
    )
    .await;
    app.delete_auth(
        &format!("/api/v1/oauth/clients/{}", created.id),
        &owner.access_token,
    )
    .await;
    let actions = crate::helpers::oauth::audit_actions(&app).await;
    for action in [
        "oauth_client.created",
        "oauth_client.secret_rotated",
        "oauth_client.deleted",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}
