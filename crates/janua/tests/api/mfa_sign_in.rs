//! The MFA sign-in challenge (API.md §4, §7), black-box: expiry, lockout, the hosted MFA step,
//! recovery by email, instances sharing one database, and the audit trail. Helpers (codes
//! computed with `totp-rs` at the app's clock) come from `crate::mfa`.

use std::time::Duration;

use serde_json::json;

use crate::helpers::pages::{hidden_field, Browser};
use crate::helpers::{assert_error_shape, spawn_app, spawn_second_instance, TestApp};
use crate::mfa::{challenge, code_at, enable, enable_and_verify, json_of, mfa_token};

#[tokio::test]
async fn a_challenge_expires_after_five_minutes() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, _) = enable_and_verify(&app, &user).await;
    let token = mfa_token(&app, &user).await;
    app.clock.advance(chrono::Duration::seconds(301));
    let (status, body) = challenge(&app, &token, &code_at(&app, &secret, 0)).await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (401, "MFA_CHALLENGE_EXPIRED")
    );
    let (status, body) = challenge(&app, "not-a-token", &code_at(&app, &secret, 0)).await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (401, "MFA_CHALLENGE_EXPIRED")
    );
}

#[tokio::test]
async fn wrong_codes_lock_the_account_like_wrong_passwords() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, _) = enable_and_verify(&app, &user).await;
    let token = mfa_token(&app, &user).await;
    let good = code_at(&app, &secret, 0);
    let wrong = if good == "123456" { "654321" } else { "123456" };
    for attempt in 1..=4 {
        let (status, _) = challenge(&app, &token, wrong).await;
        assert_eq!(status, 401, "attempt {attempt}");
    }
    let (status, body) = challenge(&app, &token, wrong).await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (423, "ACCOUNT_LOCKED")
    );
    // Locked: neither the right code (refused as locked, or already as rate-limited: this is
    // the sixth attempt of the minute) nor the password gets through now.
    let (status, body) = challenge(&app, &token, &good).await;
    assert!(status == 423 || status == 429, "{status} {body}");
    let response = app.sign_in(&user.email, &user.password).await;
    assert_eq!(response.status(), 423);
    assert!(response.headers().get("retry-after").is_some());
}

#[tokio::test]
async fn a_correct_password_does_not_reset_the_count_of_wrong_codes() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    enable_and_verify(&app, &user).await;
    for _ in 0..4 {
        let token = mfa_token(&app, &user).await;
        let (status, _) = challenge(&app, &token, "ZZZZ-ZZZZ").await;
        assert_eq!(status, 401);
    }
    let token = mfa_token(&app, &user).await;
    let (status, _) = challenge(&app, &token, "ZZZZ-ZZZZ").await;
    assert_eq!(status, 423);
}

#[tokio::test]
async fn enrollment_started_on_one_instance_is_verified_on_another() {
    let a = spawn_app().await;
    let b = spawn_second_instance(&a, &[]).await;
    let user = a.new_user().await;
    let (secret, _) = enable(&a, &user).await;
    let (status, body) = json_of(
        b.post_json_auth(
            "/api/v1/mfa/verify",
            &user.access_token,
            &json!({"code": code_at(&b, &secret, 0)}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // A code accepted on B is refused on A in the same step (the used step is shared).
    let code = code_at(&a, &secret, 1);
    let token = mfa_token(&a, &user).await;
    let (status, _) = challenge(&a, &token, &code).await;
    assert_eq!(status, 200);
    if b.backend.redis_url.is_some() {
        // The challenge itself lives in the shared cache: issued on A, completed on B.
        let token = mfa_token(&a, &user).await;
        let (status, _) = challenge(&b, &token, &code).await;
        assert_eq!(status, 401, "replayed step refused on the other instance");
        b.clock.advance(chrono::Duration::seconds(60));
        a.clock.advance(chrono::Duration::seconds(60));
        let (status, body) = challenge(&b, &token, &code_at(&b, &secret, 0)).await;
        assert_eq!(status, 200, "{body}");
    }
}

#[tokio::test]
async fn the_hosted_login_form_asks_for_the_code_and_then_continues() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, _) = enable_and_verify(&app, &user).await;
    let browser = Browser::new(&app);
    let token = browser.form_token("/api/v1/auth/login?next=/after").await;
    let response = browser
        .post_form(
            "/api/v1/auth/login-form",
            &[
                ("email", user.email.as_str()),
                ("password", user.password.as_str()),
                ("csrf_token", &token),
                ("next", "/after"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(browser.cookie("janua_session").is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"login-mfa-form\""), "{html}");
    let mfa_token = hidden_field(&html, "mfa_token").unwrap();
    let csrf = hidden_field(&html, "csrf_token").unwrap();
    assert_eq!(hidden_field(&html, "next").as_deref(), Some("/after"));

    let response = browser
        .post_form(
            "/api/v1/auth/login-mfa-form",
            &[
                ("mfa_token", mfa_token.as_str()),
                ("code", "000000"),
                ("csrf_token", &csrf),
                ("next", "/after"),
            ],
        )
        .await;
    if code_at(&app, &secret, 0) != "000000" {
        assert_eq!(response.status(), 401);
        assert!(response.text().await.unwrap().contains("login-mfa-form"));
    }
    let response = browser
        .post_form(
            "/api/v1/auth/login-mfa-form",
            &[
                ("mfa_token", mfa_token.as_str()),
                ("code", &code_at(&app, &secret, 0)),
                ("csrf_token", &csrf),
                ("next", "/after"),
            ],
        )
        .await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/after");
    let (status, body) = browser.session().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email"], user.email);

    // Without a CSRF token the step is refused.
    let response = browser
        .post_form(
            "/api/v1/auth/login-mfa-form",
            &[("mfa_token", mfa_token.as_str()), ("code", "123456")],
        )
        .await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn recovery_by_email_mails_a_code_that_works_once() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    enable_and_verify(&app, &user).await;

    let (status, known) = app
        .get_json(&format!(
            "/api/v1/mfa/recovery-options?email={}",
            user.email
        ))
        .await;
    assert_eq!(status, 200);
    let (_, unknown) = app
        .get_json("/api/v1/mfa/recovery-options?email=nobody@example.com")
        .await;
    assert_eq!(known, unknown);
    assert_eq!(known["recovery_available"], true);

    let response = app
        .client
        .post(app.url("/api/v1/mfa/initiate-recovery"))
        .query(&[("email", &user.email)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The sign-up's verification mail went to the same address first.
    let recovery_code = |text: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.len() == 23 && l.matches('-').count() == 3)
            .map(str::to_owned)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(code) = app
            .mail
            .messages_to(&user.email)
            .iter()
            .find_map(|m| recovery_code(&m.text))
        {
            break code;
        }
        assert!(std::time::Instant::now() < deadline, "no recovery mail");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let token = mfa_token(&app, &user).await;
    let (status, body) = challenge(&app, &token, &code).await;
    assert_eq!(status, 200, "{body}");
    let token = mfa_token(&app, &user).await;
    let (status, _) = challenge(&app, &token, &code).await;
    assert_eq!(status, 401);

    // Unknown addresses get the same answer and no mail.
    let response = app
        .client
        .post(app.url("/api/v1/mfa/initiate-recovery?email=nobody@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(app.mail.messages_to("nobody@example.com").is_empty());
}

/// `SELECT COUNT(*)` on the app's own database (either backend); `sql` holds no user input.
async fn count(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Connection;
    let url = &app.backend.database_url;
    if app.backend.is_postgres() {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    }
}

#[tokio::test]
async fn enabling_using_and_disabling_mfa_is_audited_with_webhook_events() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (_, codes) = enable_and_verify(&app, &user).await;
    let token = mfa_token(&app, &user).await;
    let (status, _) = challenge(&app, &token, "000000-not-a-code").await;
    assert_eq!(status, 401);
    let (status, _) = challenge(&app, &token, &codes[0]).await;
    assert_eq!(status, 200);
    let (status, _) = json_of(
        app.post_json_auth(
            "/api/v1/mfa/disable",
            &user.access_token,
            &json!({"password": user.password}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);

    let id = &user.id;
    let audited = |action: &str, outcome: &str| {
        format!(
            "SELECT COUNT(*) FROM audit_logs WHERE action = '{action}' AND outcome = '{outcome}' \
             AND target_type = 'user' AND target_id = '{id}'"
        )
    };
    assert_eq!(count(&app, &audited("mfa.enabled", "success")).await, 1);
    assert_eq!(count(&app, &audited("mfa.verified", "success")).await, 1);
    assert_eq!(
        count(&app, &audited("mfa.verification_failed", "failure")).await,
        1
    );
    assert_eq!(count(&app, &audited("mfa.disabled", "success")).await, 1);
    for event in ["mfa.enabled", "mfa.disabled"] {
        let sql = format!(
            "SELECT COUNT(*) FROM outbox_events WHERE event_type = '{event}' AND user_id = '{id}'"
        );
        assert_eq!(count(&app, &sql).await, 1, "{event}");
    }
}

#[tokio::test]
async fn the_mfa_step_resumes_a_stored_authorization_request() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, _) = enable_and_verify(&app, &user).await;
    let browser = Browser::new(&app);
    let token = browser
        .form_token("/api/v1/auth/login?auth_request_id=req-123&client_id=app-1&client_name=App")
        .await;
    let response = browser
        .post_form(
            "/api/v1/auth/login-form",
            &[
                ("email", user.email.as_str()),
                ("password", user.password.as_str()),
                ("csrf_token", &token),
                ("auth_request_id", "req-123"),
                ("client_id", "app-1"),
                ("client_name", "App"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("id=\"login-mfa-form\"") && html.contains("App"),
        "{html}"
    );
    assert_eq!(
        hidden_field(&html, "auth_request_id").as_deref(),
        Some("req-123")
    );
    let fields = [
        ("mfa_token", hidden_field(&html, "mfa_token").unwrap()),
        ("csrf_token", hidden_field(&html, "csrf_token").unwrap()),
        ("auth_request_id", "req-123".to_owned()),
        ("client_id", "app-1".to_owned()),
        ("code", code_at(&app, &secret, 0)),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = browser
        .post_form("/api/v1/auth/login-mfa-form", &fields)
        .await;
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        "/api/v1/oauth/authorize?auth_request_id=req-123"
    );
    assert!(browser.cookie("janua_session").is_some());
}
