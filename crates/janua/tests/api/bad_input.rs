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

/// The JSON endpoints of the account API, with whether they need a bearer token.
const JSON_ENDPOINTS: &[(&str, &str, bool)] = &[
    ("POST", "/api/v1/auth/signup", false),
    ("POST", "/api/v1/auth/signin", false),
    ("POST", "/api/v1/auth/refresh", false),
    ("POST", "/api/v1/auth/password/forgot", false),
    ("POST", "/api/v1/auth/password/reset", false),
    ("POST", "/api/v1/auth/email/verify", false),
    ("POST", "/api/v1/auth/magic-link", false),
    ("POST", "/api/v1/auth/magic-link/verify", false),
    ("POST", "/api/v1/auth/password/change", true),
    ("PATCH", "/api/v1/users/me", true),
];

const FIELDS: &[&str] = &[
    "email",
    "password",
    "username",
    "first_name",
    "last_name",
    "locale",
    "refresh_token",
    "token",
    "new_password",
    "current_password",
    "redirect_url",
    "redirect_base",
    "display_name",
    "bio",
    "phone_number",
    "timezone",
    "user_metadata",
];

fn hostile_values() -> Vec<serde_json::Value> {
    vec![
        serde_json::json!(12345),
        serde_json::json!(true),
        serde_json::json!([1, 2, 3]),
        serde_json::json!({"nested": {"deep": [null]}}),
        serde_json::json!(1e308),
        serde_json::json!("x".repeat(10_000)),
        serde_json::json!("'; DROP TABLE users; --"),
        serde_json::json!("<script>alert(1)</script>@example.com"),
        serde_json::json!("nul\u{0000}byte@example.com"),
        serde_json::json!("\u{202E}evil\u{200B}@example.com"),
        serde_json::json!("😀😀😀"),
        serde_json::Value::Null,
    ]
}

async fn send(
    app: &crate::helpers::TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> reqwest::RequestBuilder {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
}

/// A 2xx is fine (some endpoints answer the same whatever they get); anything else must be a
/// 4xx in the common shape.
async fn assert_handled(response: reqwest::Response, what: &str) {
    let status = response.status();
    assert!(status.as_u16() < 500, "{what}: {status}");
    if status.is_client_error() {
        let body: serde_json::Value = response
            .json()
            .await
            .unwrap_or_else(|_| panic!("{what}: non-JSON {status}"));
        assert_error_shape(&body);
    }
}

#[tokio::test]
async fn every_account_endpoint_answers_hostile_field_values_with_a_4xx_never_a_5xx() {
    let app = spawn_app_with(&[("RATE_LIMIT_ENABLED", "false")]).await;
    let user = app.new_user().await;
    for (method, path, auth) in JSON_ENDPOINTS {
        let token = auth.then_some(user.access_token.as_str());
        for field in FIELDS {
            for value in hostile_values() {
                let body = serde_json::json!({ *field: value });
                let response = send(&app, method, path, token)
                    .await
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_handled(response, &format!("{method} {path} {field}={value:.40}")).await;
            }
        }
    }
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        200,
        "nothing was lost"
    );
}

#[tokio::test]
async fn malformed_bodies_get_400_415_or_413_on_every_account_endpoint() {
    let app = spawn_app_with(&[("RATE_LIMIT_ENABLED", "false")]).await;
    let user = app.new_user().await;
    let big = format!("{{\"email\": \"{}\"}}", "a".repeat(2 * 1024 * 1024));
    for (method, path, auth) in JSON_ENDPOINTS {
        let token = auth.then_some(user.access_token.as_str());
        let cases: Vec<(&str, Vec<u8>, u16)> = vec![
            ("application/json", b"{\"email\": ".to_vec(), 400),
            ("application/json", vec![0xff, 0xfe, b'{', b'}'], 400),
            ("application/json", b"[]".to_vec(), 422),
            ("text/plain", b"{}".to_vec(), 415),
            ("application/json", big.clone().into_bytes(), 413),
        ];
        for (content_type, body, expected) in cases {
            let response = send(&app, method, path, token)
                .await
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status().as_u16(),
                expected,
                "{method} {path} {content_type} → expected {expected}"
            );
            let shape: serde_json::Value = response.json().await.unwrap();
            assert_error_shape(&shape);
        }
    }
}
