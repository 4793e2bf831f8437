//! Hosted pages: the login form (CSRF, cookies, redirects, errors), forgot/reset password and
//! email verification through captured mail, and `GET /api/v1/auth/session` by cookie.

use std::time::Duration;

use janua::mail::capture::extract_link;
use serde_json::Value;

use crate::helpers::accounts::PASSWORD;
use crate::helpers::pages::{csrf_token, hidden_field, set_cookies, Browser};
use crate::helpers::{assert_error_shape, spawn_app, spawn_app_with, TestApp};

const NEW_PASSWORD: &str = "Another-Secret-Phrase-7!";

/// The path and query of the first link in the latest mail to `to` that contains `needle`.
async fn mailed_path(app: &TestApp, to: &str, needle: &str) -> String {
    for _ in 0..100 {
        let found = app
            .mail
            .messages_to(to)
            .into_iter()
            .rev()
            .filter_map(|m| extract_link(&m.text))
            .find(|link| link.contains(needle));
        if let Some(link) = found {
            let after_scheme = link.split_once("://").unwrap().1;
            return after_scheme[after_scheme.find('/').unwrap()..].to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} with {needle}");
}

#[tokio::test]
async fn the_login_page_renders_a_form_with_a_csrf_token_and_plants_the_csrf_cookie() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/auth/login?next=/welcome").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    let cookies = set_cookies(&response);
    let csrf_cookie = cookies
        .iter()
        .find(|c| c.starts_with("janua_csrf="))
        .expect("janua_csrf cookie");
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Lax"));
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"login-form\""));
    assert!(html.contains("name=\"email\"") && html.contains("name=\"password\""));
    assert!(html.contains("type=\"submit\""));
    assert!(!csrf_token(&html).is_empty());
    assert_eq!(hidden_field(&html, "next").as_deref(), Some("/welcome"));

    let css = app.get("/static/pages/janua.css").await;
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
}

#[tokio::test]
async fn the_stylesheet_is_served_even_with_the_docs_off() {
    let app = spawn_app_with(&[("ENABLE_DOCS", "false")]).await;
    assert_eq!(app.get("/static/pages/janua.css").await.status(), 200);
    assert_eq!(app.get("/docs").await.status(), 404);
}

#[tokio::test]
async fn signing_in_through_the_form_sets_the_session_cookie_that_answers_the_session_endpoint() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let browser = Browser::new(&app);
    let response = browser.sign_in(&user.email, PASSWORD).await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/");
    let session_cookie = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("janua_session="))
        .expect("janua_session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(session_cookie.contains(attribute), "{session_cookie}");
    }
    assert!(
        !session_cookie.contains("Secure"),
        "plain-http localhost in test"
    );

    let (status, body) = browser.session().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["authenticated"], true);
    assert_eq!(body["user"]["id"], user.id.as_str());
    assert_eq!(body["user"]["email"], user.email.as_str());
    assert_eq!(body["user"]["email_verified"], false);
    assert_eq!(body["user"]["is_admin"], false);
    assert!(body["user"]["roles"].is_array() && body["user"]["permissions"].is_array());
    assert_eq!(body["session"]["expires_at"], "2026-01-09T03:04:05.000Z");

    // The bearer works too; nothing at all is 401 in the REST shape.
    let bearer = app
        .get_auth("/api/v1/auth/session", &user.access_token)
        .await;
    assert_eq!(bearer.status(), 200);
    let (status, body) = app.get_json("/api/v1/auth/session").await;
    assert_eq!(status, 401);
    assert_eq!(assert_error_shape(&body), "UNAUTHORIZED");
}

#[tokio::test]
async fn a_wrong_password_re_renders_the_form_with_401_and_no_session_cookie() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let browser = Browser::new(&app);
    let response = browser.sign_in(&user.email, "Wrong-Password-1!").await;
    assert_eq!(response.status(), 401);
    assert!(set_cookies(&response)
        .iter()
        .all(|c| !c.starts_with("janua_session=")));
    let html = response.text().await.unwrap();
    assert!(html.contains("Invalid email or password"));
    assert!(html.contains("id=\"login-form\""));
    assert!(html.contains(&format!("value=\"{}\"", user.email)));
    // The re-rendered form carries a token that works.
    let token = csrf_token(&html);
    let retry = browser
        .post_form(
            "/api/v1/auth/login-form",
            &[
                ("email", &user.email),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(retry.status(), 302);
}

#[tokio::test]
async fn the_fifth_failure_locks_the_form_with_423_and_retry_after() {
    let app = spawn_app_with(&[("RATE_LIMIT_SIGNIN", "100/minute")]).await;
    let user = app.new_user().await;
    let browser = Browser::new(&app);
    for _ in 0..4 {
        let response = browser.sign_in(&user.email, "Wrong-Password-1!").await;
        assert_eq!(response.status(), 401);
    }
    let locked = browser.sign_in(&user.email, "Wrong-Password-1!").await;
    assert_eq!(locked.status(), 423);
    assert!(locked.headers().contains_key("retry-after"));
    assert!(locked.text().await.unwrap().contains("id=\"login-form\""));
}

#[tokio::test]
async fn missing_forged_or_expired_csrf_tokens_are_refused_with_403_csrf_failed() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let browser = Browser::new(&app);
    let token = browser.form_token("/api/v1/auth/login").await;
    let (expiry, _) = token.split_once('.').unwrap();
    let forged = format!("{expiry}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let credentials = [("email", user.email.as_str()), ("password", PASSWORD)];
    for bad in [None, Some(""), Some(forged.as_str()), Some("garbage")] {
        let mut fields = credentials.to_vec();
        if let Some(bad) = bad {
            fields.push(("csrf_token", bad));
        }
        let response = browser.post_form("/api/v1/auth/login-form", &fields).await;
        assert_eq!(response.status(), 403, "{bad:?}");
        assert!(set_cookies(&response)
            .iter()
            .all(|c| !c.starts_with("janua_session=")));
        let html = response.text().await.unwrap();
        assert!(html.contains("CSRF_FAILED"), "{html}");
    }

    // A valid token without its cookie (another browser's) fails too.
    let stranger = Browser::new(&app);
    let mut fields = credentials.to_vec();
    fields.push(("csrf_token", &token));
    let response = stranger.post_form("/api/v1/auth/login-form", &fields).await;
    assert_eq!(response.status(), 403);

    // After an hour the token has expired.
    app.clock.advance(chrono::Duration::minutes(61));
    let response = browser.post_form("/api/v1/auth/login-form", &fields).await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("CSRF_FAILED"));
}

#[tokio::test]
async fn a_form_post_from_a_foreign_origin_is_refused_and_ours_is_accepted() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let browser = Browser::new(&app);
    let token = browser.form_token("/api/v1/auth/login").await;
    let fields = [
        ("email", user.email.as_str()),
        ("password", PASSWORD),
        ("csrf_token", token.as_str()),
    ];
    let foreign = browser
        .post_form_from("/api/v1/auth/login-form", &fields, Some("https://evil.com"))
        .await;
    assert_eq!(foreign.status(), 403);
    assert!(foreign.text().await.unwrap().contains("CSRF_FAILED"));
    let ours = browser
        .post_form_from(
            "/api/v1/auth/login-form",
            &fields,
            Some("http://localhost:8000"),
        )
        .await;
    assert_eq!(ours.status(), 302);
}

#[tokio::test]
async fn open_redirects_in_next_land_on_the_root_and_safe_ones_are_followed() {
    let app = spawn_app_with(&[("RATE_LIMIT_SIGNIN", "100/minute")]).await;
    let user = app.new_user().await;
    let cases = [
        ("//evil.com", "/"),
        ("https://evil.com", "/"),
        ("/\\evil.com", "/"),
        ("javascript:alert(1)", "/"),
        ("/dashboard?tab=1", "/dashboard?tab=1"),
        (
            "http://localhost:8000/account",
            "http://localhost:8000/account",
        ),
    ];
    for (next, expected) in cases {
        let browser = Browser::new(&app);
        let token = browser.form_token("/api/v1/auth/login").await;
        let response = browser
            .post_form(
                "/api/v1/auth/login-form",
                &[
                    ("email", user.email.as_str()),
                    ("password", PASSWORD),
                    ("csrf_token", token.as_str()),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.status(), 302, "{next}");
        assert_eq!(response.headers()["location"], expected, "{next}");
    }

    // The login page drops an unsafe next, and a signed-in browser goes to a safe one at once.
    let browser = Browser::new(&app);
    let html = browser
        .get("/api/v1/auth/login?next=//evil.com")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(hidden_field(&html, "next"), None);
    assert_eq!(browser.sign_in(&user.email, PASSWORD).await.status(), 302);
    let again = browser.get("/api/v1/auth/login?next=/home").await;
    assert_eq!(again.status(), 302);
    assert_eq!(again.headers()["location"], "/home");
    let unsafe_next = browser
        .get("/api/v1/auth/login?next=https://evil.com")
        .await;
    assert_eq!(unsafe_next.status(), 200);
}

#[tokio::test]
async fn with_an_auth_request_id_the_browser_goes_back_to_the_authorize_endpoint() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let browser = Browser::new(&app);
    let page = browser
        .get("/api/v1/auth/login?auth_request_id=req%201&client_id=app&client_name=Acme%20%3Cb%3E")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Acme &lt;b&gt;"), "client names are escaped");
    let token = csrf_token(&page);
    let request_id = hidden_field(&page, "auth_request_id").unwrap();
    let response = browser
        .post_form(
            "/api/v1/auth/login-form",
            &[
                ("email", user.email.as_str()),
                ("password", PASSWORD),
                ("csrf_token", token.as_str()),
                ("auth_request_id", request_id.as_str()),
                ("next", "/ignored"),
            ],
        )
        .await;
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        "/api/v1/oauth/authorize?auth_request_id=req+1"
    );
}

#[tokio::test]
async fn bad_form_bodies_are_pages_with_4xx_never_5xx() {
    let app = spawn_app().await;
    let json = app
        .client
        .post(app.url("/api/v1/auth/login-form"))
        .json(&serde_json::json!({"email": "a@b.c"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 415);
    assert!(json.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let garbage = app
        .client
        .post(app.url("/api/v1/auth/forgot-password-form"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=%ZZ&&&==")
        .send()
        .await
        .unwrap();
    assert!(garbage.status().is_client_error(), "{}", garbage.status());
}

#[tokio::test]
async fn forgot_then_reset_through_the_pages_changes_the_password_and_kills_old_sessions() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let old_browser = Browser::new(&app);
    assert_eq!(
        old_browser.sign_in(&user.email, PASSWORD).await.status(),
        302
    );

    let browser = Browser::new(&app);
    let token = browser.form_token("/api/v1/auth/forgot-password").await;
    let sent = browser
        .post_form(
            "/api/v1/auth/forgot-password-form",
            &[
                ("email", user.email.as_str()),
                ("csrf_token", token.as_str()),
            ],
        )
        .await;
    assert_eq!(sent.status(), 200);
    let sent_page = sent.text().await.unwrap();
    assert!(sent_page.contains("Check your email"));
    // An unknown address gets the very same page.
    let token = browser.form_token("/api/v1/auth/forgot-password").await;
    let unknown = browser
        .post_form(
            "/api/v1/auth/forgot-password-form",
            &[
                ("email", "nobody@example.com"),
                ("csrf_token", token.as_str()),
            ],
        )
        .await;
    assert_eq!(unknown.status(), 200);
    assert_eq!(unknown.text().await.unwrap(), sent_page);

    let path = mailed_path(&app, &user.email, "reset-password").await;
    assert!(
        path.starts_with("/api/v1/auth/reset-password?token="),
        "{path}"
    );
    let page = browser.get(&path).await.text().await.unwrap();
    let reset_token = hidden_field(&page, "token").unwrap();
    let csrf = csrf_token(&page);

    let weak = browser
        .post_form(
            "/api/v1/auth/reset-password-form",
            &[
                ("token", reset_token.as_str()),
                ("new_password", "short"),
                ("csrf_token", csrf.as_str()),
            ],
        )
        .await;
    assert_eq!(weak.status(), 400);
    let weak_page = weak.text().await.unwrap();
    assert!(weak_page.contains("id=\"reset-password-form\""));
    assert!(weak_page.contains("<li>"), "one line per unmet rule");
    let csrf = csrf_token(&weak_page);

    let done = browser
        .post_form(
            "/api/v1/auth/reset-password-form",
            &[
                ("token", reset_token.as_str()),
                ("new_password", NEW_PASSWORD),
                ("csrf_token", csrf.as_str()),
            ],
        )
        .await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Password changed"));

    // Used once only.
    let csrf = browser.form_token(&path).await;
    let reused = browser
        .post_form(
            "/api/v1/auth/reset-password-form",
            &[
                ("token", reset_token.as_str()),
                ("new_password", NEW_PASSWORD),
                ("csrf_token", csrf.as_str()),
            ],
        )
        .await;
    assert_eq!(reused.status(), 400);
    assert!(reused.text().await.unwrap().contains("INVALID_TOKEN"));

    assert_eq!(
        old_browser.session().await.0,
        401,
        "old cookie session is dead"
    );
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        401,
        "old bearer session is dead"
    );
    let fresh = Browser::new(&app);
    assert_eq!(fresh.sign_in(&user.email, PASSWORD).await.status(), 401);
    assert_eq!(fresh.sign_in(&user.email, NEW_PASSWORD).await.status(), 302);
    assert_eq!(fresh.session().await.0, 200);
}

#[tokio::test]
async fn the_verification_link_from_the_sign_up_mail_verifies_the_email() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let path = mailed_path(&app, &user.email, "verify-email").await;
    assert!(path.starts_with("/auth/verify-email?token="), "{path}");
    let response = app.get(&path).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Email verified"));
    let me: Value = app
        .get_auth("/api/v1/auth/me", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], true);

    // Used, and the API path answers the same way.
    let api_path = path.replacen("/auth/", "/api/v1/auth/", 1);
    let again = app.get(&api_path).await;
    assert_eq!(again.status(), 400);
    assert!(again.text().await.unwrap().contains("INVALID_TOKEN"));
}

#[tokio::test]
async fn a_cookie_session_revoked_by_sign_out_or_session_delete_no_longer_authenticates() {
    let app = spawn_app().await;
    let user = app.new_user().await;

    // Sign-out with the bearer of another session of the same user, sending the cookie.
    let browser = Browser::new(&app);
    assert_eq!(browser.sign_in(&user.email, PASSWORD).await.status(), 302);
    let (access, _) = app.sign_in_tokens(&user).await;
    let signout = app
        .client
        .post(app.url("/api/v1/auth/signout"))
        .bearer_auth(&access)
        .header(
            "cookie",
            format!("janua_session={}", browser.cookie("janua_session").unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(signout.status(), 200);
    assert!(set_cookies(&signout)
        .iter()
        .any(|c| c.starts_with("janua_session=;") && c.contains("Max-Age=0")));
    assert_eq!(browser.session().await.0, 401);

    // DELETE /api/v1/sessions/{id} of the cookie session.
    let browser = Browser::new(&app);
    assert_eq!(browser.sign_in(&user.email, PASSWORD).await.status(), 302);
    assert_eq!(browser.session().await.0, 200);
    let list: Value = app
        .get_auth("/api/v1/sessions", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{list}");
    let cookie_session = sessions.iter().find(|s| s["is_current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = app
        .delete_auth(
            &format!("/api/v1/sessions/{cookie_session}"),
            &user.access_token,
        )
        .await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(browser.session().await.0, 401);

    // A made-up cookie is just unauthenticated.
    let stranger = Browser::new(&app);
    stranger.set_cookie(
        "janua_session",
        "not-a-real-session-secret-0123456789abcdef",
    );
    assert_eq!(stranger.session().await.0, 401);
}

#[tokio::test]
async fn a_cookie_session_past_its_lifetime_no_longer_authenticates() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let browser = Browser::new(&app);
    assert_eq!(browser.sign_in(&user.email, PASSWORD).await.status(), 302);
    app.clock.advance(chrono::Duration::days(8));
    assert_eq!(browser.session().await.0, 401, "past the 7-day session");
}
