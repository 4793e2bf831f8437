//! The token, introspection and revocation endpoints beyond the browser flows: client
//! credentials for each signing algorithm, introspection of access and refresh tokens,
//! revocation, discovery, and the OAuth error shapes for bad input.

use serde_json::{json, Value};

use crate::helpers::oauth::{spawn_provider, RegisteredClient};
use crate::helpers::TestApp;

async fn service_client(app: &TestApp, extra: Value) -> RegisteredClient {
    let admin = app.new_admin().await;
    let mut body = json!({
        "grant_types": ["client_credentials"],
        "allowed_scopes": ["api", "reports:read"],
        "audience": "https://api.example.com",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.register_client(&admin, body).await
}

async fn post_form(
    app: &TestApp,
    path: &str,
    client: Option<&RegisteredClient>,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = app.client.post(app.url(path)).form(form);
    if let Some(client) = client {
        request = request.basic_auth(&client.client_id, client.client_secret.as_deref());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

fn header_of(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn client_credentials_tokens_are_signed_with_the_clients_algorithm() {
    let app = spawn_provider().await;
    for alg in ["RS256", "ES256", "EdDSA"] {
        let client = service_client(&app, json!({"signing_alg": alg})).await;
        let (status, headers, body) = post_form(
            &app,
            "/api/v1/oauth/token",
            Some(&client),
            &[("grant_type", "client_credentials"), ("scope", "api")],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["scope"], "api");
        assert_eq!(body["expires_in"], 900);
        let members: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert!(
            !members
                .iter()
                .any(|k| *k == "refresh_token" || *k == "id_token"),
            "no refresh_token or id_token member at all: {members:?}"
        );
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(header_of(token)["alg"], alg);
        // The client's own introspection sees it active, with its audience.
        let (_, _, info) = post_form(
            &app,
            "/api/v1/oauth/introspect",
            Some(&client),
            &[("token", token)],
        )
        .await;
        assert_eq!(info["active"], true, "{info}");
        assert_eq!(info["sub"], client.client_id.as_str());
        assert_eq!(info["client_id"], client.client_id.as_str());
        assert_eq!(info["aud"], json!(["https://api.example.com"]));
    }
}

#[tokio::test]
async fn client_credentials_scopes_are_limited_to_the_allowed_ones() {
    let app = spawn_provider().await;
    let client = service_client(&app, json!({})).await;
    let (status, _, all) = post_form(
        &app,
        "/api/v1/oauth/token",
        Some(&client),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(all["scope"], "api reports:read");
    let (status, _, refused) = post_form(
        &app,
        "/api/v1/oauth/token",
        Some(&client),
        &[("grant_type", "client_credentials"), ("scope", "api admin")],
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    // Not one of its grants.
    let (status, _, refused) = post_form(
        &app,
        "/api/v1/oauth/token",
        Some(&client),
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    let (status, _, refused) = post_form(
        &app,
        "/api/v1/oauth/token",
        Some(&client),
        &[("grant_type", "password")],
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

#[tokio::test]
async fn introspection_answers_inactive_for_anything_not_live_or_not_its_own() {
    let app = spawn_provider().await;
    let client = service_client(&app, json!({})).await;
    let other = service_client(&app, json!({"audience": "https://other.example.com"})).await;
    let (_, _, issued) = post_form(
        &app,
        "/api/v1/oauth/token",
        Some(&client),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let token = issued["access_token"].as_str().unwrap();
    let inactive = |body: &Value| body == &json!({"active": false});
    for junk in ["garbage", "a.b.c", &"x".repeat(9000)] {
        let (status, _, body) = post_form(
            &app,
            "/api/v1/oauth/introspect",
            Some(&client),
            &[("token", junk)],
        )
        .await;
        assert_eq!(status, 200);
        assert!(inactive(&body), "{junk}: {body}");
    }
    let (_, _, body) = post_form(
        &app,
        "/api/v1/oauth/introspect",
        Some(&other),
        &[("token", token)],
    )
    .await;
    assert!(
        inactive(&body),
        "another client with another audience sees nothing"
    );
    // Public clients cannot introspect; no client at all is invalid_request.
    let (status, _, body) =
        post_form(&app, "/api/v1/oauth/introspect", None, &[("token", token)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // Expired tokens are inactive.
    app.clock.advance(chrono::Duration::minutes(16));
    let (_, _, body) = post_form(
        &app,
        "/api/v1/oauth/introspect",
        Some(&client),
        &[("token", token)],
    )
    .await;
    assert!(inactive(&body));
}

#[tokio::test]
async fn a_revoked_access_token_is_inactive_and_refused() {
    let app = spawn_provider().await;
    let client = service_client(&app, json!({})).await;
    let (_, _, issued) = post_form(
        &app,
        "/api/v1/oauth/token",
        Some(&client),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let token = issued["access_token"].as_str().unwrap();
    let (status, _, body) = post_form(
        &app,
        "/api/v1/oauth/revoke",
        Some(&client),
        &[("token", token)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["message"], "Token revoked");
    let (_, _, body) = post_form(
        &app,
        "/api/v1/oauth/introspect",
        Some(&client),
        &[("token", token)],
    )
    .await;
    assert_eq!(body, json!({"active": false}));
    // Unknown tokens are "revoked" too (RFC 7009 §2.2).
    let (status, _, _) = post_form(
        &app,
        "/api/v1/oauth/revoke",
        Some(&client),
        &[("token", "unknown")],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, body) = post_form(&app, "/api/v1/oauth/revoke", Some(&client), &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let audit = crate::helpers::oauth::audit_actions(&app).await;
    assert!(audit.iter().any(|a| a == "oauth_token.revoked"));
}

#[tokio::test]
async fn discovery_lists_exactly_what_is_implemented() {
    let app = spawn_provider().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let (status, m) = app.get_json(path).await;
        assert_eq!(status, 200);
        assert_eq!(m["issuer"], app.base.as_str());
        assert_eq!(
            m["authorization_endpoint"],
            app.url("/api/v1/oauth/authorize").as_str()
        );
        assert_eq!(m["token_endpoint"], app.url("/api/v1/oauth/token").as_str());
        assert_eq!(m["end_session_endpoint"], app.url("/logout").as_str());
        assert_eq!(m["jwks_uri"], app.url("/.well-known/jwks.json").as_str());
        assert_eq!(m["response_types_supported"], json!(["code"]));
        assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(m["authorization_response_iss_parameter_supported"], true);
        assert_eq!(
            m["introspection_endpoint_auth_methods_supported"],
            json!(["client_secret_basic", "client_secret_post"])
        );
        assert_eq!(
            m["grant_types_supported"],
            json!([
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code"
            ])
        );
        assert!(m["device_authorization_endpoint"].is_string());
        assert_eq!(
            m["prompt_values_supported"],
            json!(["none", "login", "consent"])
        );
    }
}

#[tokio::test]
async fn bad_token_requests_get_oauth_errors_never_5xx() {
    let app = spawn_provider().await;
    let client = service_client(&app, json!({})).await;
    let url = app.url("/api/v1/oauth/token");
    let json_body = app
        .client
        .post(&url)
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), 400);
    let body: Value = json_body.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(body["error_description"].is_string());
    let duplicated = app
        .client
        .post(&url)
        .basic_auth(&client.client_id, client.client_secret.as_deref())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(duplicated.status(), 400);
    let (status, _, body) = post_form(&app, "/api/v1/oauth/token", Some(&client), &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let both = app
        .client
        .post(&url)
        .basic_auth(&client.client_id, client.client_secret.as_deref())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", client.client_secret.as_deref().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400, "two authentication methods");
    let hostile = app
        .client
        .post(&url)
        .header("authorization", "Basic !!!not-base64")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(hostile.status(), 401);
    let unknown = app
        .client
        .post(&url)
        .basic_auth("jnc_nobody", Some("jns_nothing"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let long_code = "c".repeat(5000);
    let admin = app.new_admin().await;
    let code_client = app.register_client(&admin, json!({})).await;
    let (status, _, body) = post_form(
        &app,
        "/api/v1/oauth/token",
        Some(&code_client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &long_code),
            ("redirect_uri", "https://rp.example.com/callback"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn userinfo_refuses_tokens_without_openid_and_client_tokens() {
    let app = spawn_provider().await;
    let client = service_client(&app, json!({})).await;
    let (_, _, issued) = post_form(
        &app,
        "/api/v1/oauth/token",
        Some(&client),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let response = app
        .get_auth(
            "/api/v1/oauth/userinfo",
            issued["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(response.status(), 401, "a client token has no user");
    // A REST session token gets every claim.
    let user = app.new_user().await;
    let response = app
        .get_auth("/api/v1/oauth/userinfo", &user.access_token)
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["email"], user.email.as_str());
    assert!(body.get("updated_at").is_some());
}
