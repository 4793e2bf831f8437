//! Flows that go through a mailed link: email verification, password reset, magic links.

use std::time::Duration;

use janua::mail::capture::{extract_link, extract_token};
use serde_json::{json, Value};

use crate::helpers::accounts::PASSWORD;
use crate::helpers::pages::{set_cookies, Browser};
use crate::helpers::{assert_error_shape, spawn_app, spawn_app_with, TestApp};

const WAIT: Duration = Duration::from_secs(10);

/// Waits for the next mail to `to` and returns (subject, link, token). Clears the outbox so the
/// next call sees only newer mail.
async fn next_mail(app: &TestApp, to: &str) -> (String, String, String) {
    let mail = app
        .mail
        .wait_for(to, WAIT)
        .await
        .unwrap_or_else(|| panic!("no mail to {to}"));
    app.mail.clear();
    let link = extract_link(&mail.text).expect("a link in the mail");
    let token = extract_token(&mail.text).expect("a token in the link");
    (mail.subject, link, token)
}

#[tokio::test]
async fn sign_up_mails_a_verification_link_that_verifies_the_email_once() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (_, link, token) = next_mail(&app, &user.email).await;
    assert!(
        link.starts_with("http://localhost:8000/auth/verify-email?token="),
        "{link}"
    );
    let verified = app
        .post_json("/api/v1/auth/email/verify", &json!({"token": token}))
        .await;
    assert_eq!(verified.status(), 200);
    assert_eq!(
        verified.json::<Value>().await.unwrap()["message"],
        "Email successfully verified"
    );
    let me: Value = app
        .get_auth("/api/v1/auth/me", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], true);
    let again = app
        .post_json("/api/v1/auth/verify-email", &json!({"token": token}))
        .await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        assert_error_shape(&again.json().await.unwrap()),
        "INVALID_TOKEN"
    );
    let resend = app
        .post_json_auth(
            "/api/v1/auth/email/resend-verification",
            &user.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(resend.status(), 400);
    assert_eq!(
        assert_error_shape(&resend.json().await.unwrap()),
        "EMAIL_ALREADY_VERIFIED"
    );
}

#[tokio::test]
async fn verification_links_expire_after_48_hours_and_can_be_resent() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (_, _, old) = next_mail(&app, &user.email).await;
    app.clock.advance(chrono::Duration::hours(49));
    let expired = app
        .post_json("/api/v1/auth/email/verify", &json!({"token": old}))
        .await;
    assert_eq!(expired.status(), 400);
    let (access, _) = app.sign_in_tokens(&user).await;
    let resend = app
        .post_json_auth(
            "/api/v1/auth/email/resend-verification",
            &access,
            &json!({}),
        )
        .await;
    assert_eq!(resend.status(), 200);
    assert_eq!(
        resend.json::<Value>().await.unwrap()["message"],
        "Verification email sent"
    );
    let (_, _, fresh) = next_mail(&app, &user.email).await;
    assert_eq!(
        app.post_json("/api/v1/auth/email/verify", &json!({"token": fresh}))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn password_reset_by_mail_sets_the_password_unlocks_and_revokes_every_session() {
    let app = spawn_app_with(&[("RATE_LIMIT_SIGNIN", "100/minute")]).await;
    let user = app.new_user().await;
    let _ = next_mail(&app, &user.email).await; // the verification mail
    for _ in 0..5 {
        app.sign_in(&user.email, "Wrong-Password-1").await;
    }
    assert_eq!(app.sign_in(&user.email, PASSWORD).await.status(), 423);
    let forgot = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({"email": user.email}),
        )
        .await;
    assert_eq!(forgot.status(), 200);
    assert_eq!(
        forgot.json::<Value>().await.unwrap()["message"],
        "If the email exists, a password reset link has been sent"
    );
    let (subject, link, token) = next_mail(&app, &user.email).await;
    assert!(subject.to_lowercase().contains("password"), "{subject}");
    assert!(
        link.starts_with("http://localhost:8000/api/v1/auth/reset-password?token="),
        "{link}"
    );
    let weak = app
        .post_json(
            "/api/v1/auth/password/reset",
            &json!({"token": token, "new_password": "weak"}),
        )
        .await;
    assert_eq!(weak.status(), 400);
    assert_eq!(
        assert_error_shape(&weak.json().await.unwrap()),
        "WEAK_PASSWORD"
    );
    let reset = app
        .post_json(
            "/api/v1/auth/password/reset",
            &json!({"token": token, "new_password": "Brand-New-Pass-77"}),
        )
        .await;
    assert_eq!(reset.status(), 200);
    assert_eq!(
        reset.json::<Value>().await.unwrap()["message"],
        "Password successfully reset"
    );
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        401,
        "sessions revoked"
    );
    let signed_in = app.sign_in(&user.email, "Brand-New-Pass-77").await;
    assert_eq!(signed_in.status(), 200, "unlocked, new password works");
    assert_eq!(
        signed_in.json::<Value>().await.unwrap()["user"]["email_verified"],
        true,
        "a reset verifies the email"
    );
    let reused = app
        .post_json(
            "/api/v1/auth/password/reset",
            &json!({"token": token, "new_password": "Another-Pass-88"}),
        )
        .await;
    assert_eq!(reused.status(), 400);
    assert_eq!(
        assert_error_shape(&reused.json().await.unwrap()),
        "INVALID_TOKEN"
    );
    let changed = app
        .mail
        .wait_for(&user.email, WAIT)
        .await
        .expect("a password-changed notice");
    assert!(changed.subject.to_lowercase().contains("password"));
}

#[tokio::test]
async fn forgot_password_answers_the_same_for_unknown_emails_and_sends_nothing() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({"email": "nobody@example.com"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["message"],
        "If the email exists, a password reset link has been sent"
    );
    assert!(app
        .mail
        .wait_for("nobody@example.com", Duration::from_millis(1500))
        .await
        .is_none());
}

#[tokio::test]
async fn a_reset_link_may_point_at_an_allowed_frontend_only() {
    let app =
        spawn_app_with(&[("PASSWORD_RESET_REDIRECT_ORIGINS", "https://app.example.com")]).await;
    let user = app.new_user().await;
    let _ = next_mail(&app, &user.email).await;
    app.post_json(
        "/api/v1/auth/password/forgot",
        &json!({"email": user.email, "redirect_base": "https://app.example.com/reset"}),
    )
    .await;
    let (_, link, _) = next_mail(&app, &user.email).await;
    assert!(
        link.starts_with("https://app.example.com/reset?token="),
        "{link}"
    );
    app.post_json(
        "/api/v1/auth/password/forgot",
        &json!({"email": user.email, "redirect_base": "https://evil.example.net/reset"}),
    )
    .await;
    let (_, link, _) = next_mail(&app, &user.email).await;
    assert!(
        link.starts_with("http://localhost:8000/api/v1/auth/reset-password?token="),
        "a foreign base falls back: {link}"
    );
}

#[tokio::test]
async fn the_forgot_password_limit_applies_per_email() {
    let app = spawn_app_with(&[("RATE_LIMIT_PASSWORD_FORGOT", "2/hour")]).await;
    for _ in 0..2 {
        assert_eq!(
            app.post_json(
                "/api/v1/auth/password/forgot",
                &json!({"email": "x@example.com"})
            )
            .await
            .status(),
            200
        );
    }
    let limited = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({"email": "x@example.com"}),
        )
        .await;
    assert_eq!(limited.status(), 429);
}

#[tokio::test]
async fn a_magic_link_signs_in_an_existing_user_once() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let _ = next_mail(&app, &user.email).await;
    let sent = app
        .post_json("/api/v1/auth/magic-link", &json!({"email": user.email}))
        .await;
    assert_eq!(sent.status(), 200);
    assert_eq!(
        sent.json::<Value>().await.unwrap()["message"],
        "Magic link sent to email"
    );
    let (_, link, token) = next_mail(&app, &user.email).await;
    assert!(
        link.starts_with("http://localhost:8000/api/v1/auth/magic-link/callback?token="),
        "{link}"
    );
    let verified = app
        .post_json("/api/v1/auth/magic-link/verify", &json!({"token": token}))
        .await;
    assert_eq!(verified.status(), 200);
    let body: Value = verified.json().await.unwrap();
    assert_eq!(body["user"]["id"], user.id.as_str());
    assert_eq!(body["user"]["email_verified"], true);
    let access = body["tokens"]["access_token"].as_str().unwrap();
    assert_eq!(app.get_auth("/api/v1/auth/me", access).await.status(), 200);
    let replay = app
        .post_json("/api/v1/auth/magic-link/verify", &json!({"token": token}))
        .await;
    assert_eq!(replay.status(), 400);
}

#[tokio::test]
async fn a_magic_link_to_an_unknown_address_creates_a_verified_passwordless_account() {
    let app = spawn_app().await;
    app.post_json(
        "/api/v1/auth/magic-link",
        &json!({"email": "newcomer@example.com"}),
    )
    .await;
    let (_, _, token) = next_mail(&app, "newcomer@example.com").await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/auth/magic-link/callback?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://localhost:8000?token=")
            || location.starts_with("http://localhost:8000/?token="),
        "{location}"
    );
    let access = location.split("token=").nth(1).unwrap();
    let me: Value = app
        .get_auth("/api/v1/auth/me", access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "newcomer@example.com");
    assert_eq!(me["email_verified"], true);
    let bad = app
        .client
        .get(app.url("/api/v1/auth/magic-link/callback?token=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn the_magic_link_callback_also_opens_a_cookie_session() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let _ = next_mail(&app, &user.email).await;
    app.post_json("/api/v1/auth/magic-link", &json!({"email": user.email}))
        .await;
    let (_, _, token) = next_mail(&app, &user.email).await;
    let browser = Browser::new(&app);
    let response = browser
        .get(&format!("/api/v1/auth/magic-link/callback?token={token}"))
        .await;
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.contains("token="), "{location}");
    let cookie = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("janua_session="))
        .expect("a janua_session cookie");
    assert!(cookie.len() > "janua_session=".len() + 20, "{cookie}");
    assert!(
        cookie.contains("; HttpOnly") && cookie.contains("; SameSite=Lax"),
        "{cookie}"
    );

    let (status, session) = browser.session().await;
    assert_eq!(status, 200);
    assert_eq!(session["authenticated"], true);
    assert_eq!(session["user"]["id"], user.id.as_str());
}

#[tokio::test]
async fn magic_links_refuse_foreign_redirects_and_can_be_disabled() {
    let app = spawn_app().await;
    let foreign = app
        .post_json(
            "/api/v1/auth/magic-link",
            &json!({"email": "a@example.com", "redirect_url": "https://evil.example.net/cb"}),
        )
        .await;
    assert_eq!(foreign.status(), 400);
    assert_eq!(
        assert_error_shape(&foreign.json().await.unwrap()),
        "REDIRECT_NOT_ALLOWED"
    );
    let disabled = spawn_app_with(&[("ENABLE_MAGIC_LINKS", "false")]).await;
    let refused = disabled
        .post_json(
            "/api/v1/auth/magic-link",
            &json!({"email": "a@example.com"}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        assert_error_shape(&refused.json().await.unwrap()),
        "FEATURE_DISABLED"
    );
}

#[tokio::test]
async fn magic_link_requests_are_limited_per_email() {
    let app = spawn_app_with(&[("RATE_LIMIT_MAGIC_LINK", "1/hour")]).await;
    assert_eq!(
        app.post_json(
            "/api/v1/auth/magic-link",
            &json!({"email": "m@example.com"})
        )
        .await
        .status(),
        200
    );
    let limited = app
        .post_json(
            "/api/v1/auth/magic-link",
            &json!({"email": "m@example.com"}),
        )
        .await;
    assert_eq!(limited.status(), 429);
}
