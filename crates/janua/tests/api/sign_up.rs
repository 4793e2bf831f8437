//! `POST /api/v1/auth/signup` (and `/register`).

use serde_json::{json, Value};

use crate::helpers::accounts::PASSWORD;
use crate::helpers::{assert_error_shape, spawn_app, spawn_app_with};

#[tokio::test]
async fn sign_up_creates_the_account_and_signs_in() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/auth/signup",
            &json!({"email": " Ada.Lovelace@Example.COM ", "password": PASSWORD, "first_name": "Ada", "last_name": "Lovelace", "username": "ada_l"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    let user = &body["user"];
    assert_eq!(
        user["email"], "Ada.Lovelace@example.com",
        "trimmed, domain lower-cased"
    );
    assert_eq!(user["email_verified"], false);
    assert_eq!(user["username"], "ada_l");
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["is_admin"], false);
    assert_eq!(user["id"].as_str().unwrap().len(), 36);
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    let tokens = &body["tokens"];
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert_eq!(
        tokens["access_token"].as_str().unwrap().split('.').count(),
        3
    );
    assert!(tokens["refresh_token"].as_str().unwrap().len() >= 43);
    assert_eq!(body["mfa_required"], false);
    assert!(body["mfa_token"].is_null());
    let me = app
        .get_auth("/api/v1/auth/me", tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["id"], user["id"]);
}

#[tokio::test]
async fn register_is_an_alias_of_signup() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "alias@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_taken_email_is_refused_whatever_its_case() {
    let app = spawn_app().await;
    assert_eq!(
        app.sign_up("taken@example.com", PASSWORD).await.status(),
        200
    );
    let response = app.sign_up("TAKEN@Example.com", PASSWORD).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        assert_error_shape(&response.json().await.unwrap()),
        "EMAIL_TAKEN"
    );
}

#[tokio::test]
async fn a_taken_username_is_refused() {
    let app = spawn_app().await;
    let first = app
        .post_json(
            "/api/v1/auth/signup",
            &json!({"email": "u1@example.com", "password": PASSWORD, "username": "Same_Name"}),
        )
        .await;
    assert_eq!(first.status(), 200);
    let second = app
        .post_json(
            "/api/v1/auth/signup",
            &json!({"email": "u2@example.com", "password": PASSWORD, "username": "same_name"}),
        )
        .await;
    assert_eq!(second.status(), 400);
    assert_eq!(
        assert_error_shape(&second.json().await.unwrap()),
        "USERNAME_TAKEN"
    );
}

#[tokio::test]
async fn a_weak_password_lists_every_unmet_rule() {
    let app = spawn_app().await;
    let response = app.sign_up("weak@example.com", "short").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(assert_error_shape(&body), "WEAK_PASSWORD");
    let details = body["error"]["details"].as_array().unwrap();
    assert!(details.len() >= 3, "{body}");
    assert!(details.iter().all(|d| d["field"] == "password"));
}

#[tokio::test]
async fn invalid_fields_are_a_422_naming_each_field() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/auth/signup",
            &json!({"email": "not-an-email", "password": PASSWORD, "username": "x", "first_name": "a".repeat(101)}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(assert_error_shape(&body), "VALIDATION_ERROR");
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    for field in ["email", "username", "first_name"] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }
}

#[tokio::test]
async fn sign_ups_can_be_disabled() {
    let app = spawn_app_with(&[("ENABLE_SIGNUPS", "false")]).await;
    let response = app.sign_up("closed@example.com", PASSWORD).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        assert_error_shape(&response.json().await.unwrap()),
        "SIGNUPS_DISABLED"
    );
}

#[tokio::test]
async fn the_signup_rate_limit_is_per_ip() {
    let app = spawn_app_with(&[("RATE_LIMIT_SIGNUP", "2/minute")]).await;
    assert_eq!(app.sign_up("r1@example.com", PASSWORD).await.status(), 200);
    assert_eq!(app.sign_up("r2@example.com", PASSWORD).await.status(), 200);
    let limited = app.sign_up("r3@example.com", PASSWORD).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}
