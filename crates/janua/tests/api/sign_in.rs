//! `POST /api/v1/auth/signin`: credentials, identical failures, lockout, rate limit.

use serde_json::{json, Value};

use crate::helpers::accounts::PASSWORD;
use crate::helpers::{assert_error_shape, spawn_app, spawn_app_with};

#[tokio::test]
async fn sign_in_by_email_or_username_returns_tokens_and_records_the_time() {
    let app = spawn_app().await;
    let signup = app
        .post_json(
            "/api/v1/auth/signup",
            &json!({"email": "sam@example.com", "password": PASSWORD, "username": "sam"}),
        )
        .await;
    assert_eq!(signup.status(), 200);
    for body in [
        json!({"email": "SAM@example.com", "password": PASSWORD}),
        json!({"username": "SAM", "password": PASSWORD}),
    ] {
        let response = app.post_json("/api/v1/auth/login", &body).await;
        assert_eq!(response.status(), 200, "{body}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["user"]["email"], "sam@example.com");
        assert_eq!(body["user"]["last_sign_in_at"], "2026-01-02T03:04:05.000Z");
        assert!(body["tokens"]["access_token"].is_string());
    }
}

#[tokio::test]
async fn unknown_email_and_wrong_password_fail_identically() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let wrong = app.sign_in(&user.email, "Wrong-Password-1").await;
    let unknown = app.sign_in("nobody@example.com", PASSWORD).await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let (wrong, unknown): (Value, Value) =
        (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(assert_error_shape(&wrong), "INVALID_CREDENTIALS");
    assert_eq!(wrong["error"]["message"], unknown["error"]["message"]);
    assert_eq!(wrong["error"]["code"], unknown["error"]["code"]);
}

#[tokio::test]
async fn the_fifth_failure_locks_the_email_even_for_unknown_accounts_and_the_right_password_then_fails(
) {
    let app = spawn_app_with(&[("RATE_LIMIT_SIGNIN", "100/minute")]).await;
    let user = app.new_user().await;
    for email in [user.email.as_str(), "ghost@example.com"] {
        for attempt in 1..=4 {
            assert_eq!(
                app.sign_in(email, "Wrong-Password-1").await.status(),
                401,
                "attempt {attempt}"
            );
        }
        let fifth = app.sign_in(email, "Wrong-Password-1").await;
        assert_eq!(fifth.status(), 423, "{email}");
        let retry: u64 = fifth.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&retry));
        assert_eq!(
            assert_error_shape(&fifth.json().await.unwrap()),
            "ACCOUNT_LOCKED"
        );
    }
    let locked = app.sign_in(&user.email, PASSWORD).await;
    assert_eq!(locked.status(), 423, "locked even with the right password");
    app.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(
        app.sign_in(&user.email, PASSWORD).await.status(),
        200,
        "the lock expires"
    );
}

#[tokio::test]
async fn a_successful_sign_in_resets_the_failure_count() {
    let app = spawn_app_with(&[("RATE_LIMIT_SIGNIN", "100/minute")]).await;
    let user = app.new_user().await;
    for _ in 0..4 {
        app.sign_in(&user.email, "Wrong-Password-1").await;
    }
    assert_eq!(app.sign_in(&user.email, PASSWORD).await.status(), 200);
    for _ in 0..4 {
        assert_eq!(
            app.sign_in(&user.email, "Wrong-Password-1").await.status(),
            401
        );
    }
}

#[tokio::test]
async fn the_signin_rate_limit_counts_per_ip_and_email() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_SIGNIN", "3/minute"),
        ("ACCOUNT_LOCKOUT_ENABLED", "false"),
    ])
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.sign_in("a@example.com", "Wrong-Password-1")
                .await
                .status(),
            401
        );
    }
    let limited = app.sign_in("a@example.com", "Wrong-Password-1").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(
        assert_error_shape(&limited.json().await.unwrap()),
        "RATE_LIMITED"
    );
    assert_eq!(
        app.sign_in("b@example.com", "Wrong-Password-1")
            .await
            .status(),
        401,
        "another email has its own budget"
    );
}

#[tokio::test]
async fn missing_credentials_are_a_422() {
    let app = spawn_app().await;
    let response = app
        .post_json("/api/v1/auth/signin", &json!({"password": PASSWORD}))
        .await;
    assert_eq!(response.status(), 422);
    let response = app
        .post_json("/api/v1/auth/signin", &json!({"email": "a@example.com"}))
        .await;
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn a_suspended_user_cannot_sign_in() {
    let app = spawn_app_with(&[
        ("ADMIN_EMAIL", "root@example.com"),
        ("ADMIN_PASSWORD", "Admin-Password-123"),
    ])
    .await;
    let user = app.new_user().await;
    let admin = app.sign_in("root@example.com", "Admin-Password-123").await;
    assert_eq!(admin.status(), 200);
    let admin: Value = admin.json().await.unwrap();
    let admin_token = admin["tokens"]["access_token"].as_str().unwrap();
    let suspended = app
        .post_json_auth(
            &format!("/api/v1/users/{}/suspend?reason=abuse", user.id),
            admin_token,
            &json!({}),
        )
        .await;
    assert_eq!(suspended.status(), 200);
    assert_eq!(app.sign_in(&user.email, PASSWORD).await.status(), 401);
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        401,
        "suspension revokes sessions"
    );
}
