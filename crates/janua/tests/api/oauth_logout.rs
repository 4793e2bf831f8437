//! RP-initiated logout (`/logout`) and the consent page's Deny: where the browser goes, which
//! sessions end, and the errors for bad requests.

use serde_json::{json, Value};

use crate::helpers::oauth::{location, query_param, spawn_provider, REDIRECT_URI};
use crate::helpers::pages::Browser;

#[tokio::test]
async fn logout_without_a_client_shows_a_page_and_clears_the_cookies() {
    let app = spawn_provider().await;
    let user = app.new_user().await;
    let browser = Browser::new(&app);
    browser.sign_in(&user.email, &user.password).await;
    assert_eq!(browser.session().await.0, 200);
    let response = browser.get("/logout").await;
    assert_eq!(response.status(), 200);
    let cookies = crate::helpers::pages::set_cookies(&response);
    for name in [
        "janua_session=",
        "access_token=",
        "refresh_token=",
        "janua_access_token=",
        "janua_refresh_token=",
    ] {
        assert!(
            cookies
                .iter()
                .any(|c| c.starts_with(name) && c.contains("Max-Age=0")),
            "{name} cleared: {cookies:?}"
        );
    }
    assert_eq!(browser.session().await.0, 401);
}

#[tokio::test]
async fn logout_redirects_only_to_a_registered_uri_or_origin() {
    let app = spawn_provider().await;
    let admin = app.new_admin().await;
    let client = app.register_client(&admin, json!({})).await;
    let browser = Browser::new(&app);
    let registered = browser
        .get(&format!(
            "/logout?client_id={}&post_logout_redirect_uri={REDIRECT_URI}&state=s1",
            client.client_id
        ))
        .await;
    assert_eq!(registered.status(), 302);
    assert_eq!(
        query_param(&location(&registered), "state").as_deref(),
        Some("s1")
    );
    let origin = browser
        .get(&format!(
            "/logout?client_id={}&post_logout_redirect_uri=https://rp.example.com",
            client.client_id
        ))
        .await;
    assert_eq!(origin.status(), 302);
    let foreign = browser
        .get(&format!(
            "/logout?client_id={}&post_logout_redirect_uri=https://evil.example.com/",
            client.client_id
        ))
        .await;
    assert_eq!(foreign.status(), 200, "no open redirect");
    assert!(foreign.headers().get("location").is_none());
    let no_client = browser
        .get("/logout?post_logout_redirect_uri=https://rp.example.com/callback")
        .await;
    assert_eq!(no_client.status(), 400);
    let body: Value = no_client.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let unknown = browser.get("/logout?client_id=jnc_nobody_here").await;
    assert_eq!(unknown.status(), 400);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let bad_hint = browser.get("/logout?id_token_hint=abc.def.ghi").await;
    assert_eq!(bad_hint.status(), 400);
}

#[tokio::test]
async fn denying_consent_sends_access_denied_to_the_client() {
    let app = spawn_provider().await;
    let admin = app.new_admin().await;
    let client = app.register_client(&admin, json!({})).await;
    let user = app.new_user().await;
    let browser = Browser::new(&app);
    browser.sign_in(&user.email, &user.password).await;
    let page = browser
        .get(&format!(
            "/api/v1/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20email&state=d1",
            client.client_id,
            url::form_urlencoded::byte_serialize(REDIRECT_URI.as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("See your email address"));
    let to = browser.consent(&html, "deny").await;
    assert_eq!(query_param(&to, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&to, "state").as_deref(), Some("d1"));
    assert_eq!(query_param(&to, "iss").as_deref(), Some(app.base.as_str()));
    // The parked request is used up: answering again is refused.
    let token = crate::helpers::pages::hidden_field(&html, "csrf_token").unwrap();
    let id = crate::helpers::pages::hidden_field(&html, "auth_request_id").unwrap();
    let again = browser
        .post_form(
            "/api/v1/oauth/consent",
            &[
                ("csrf_token", &token),
                ("auth_request_id", &id),
                ("action", "allow"),
            ],
        )
        .await;
    assert_eq!(again.status(), 400);
    let anonymous = Browser::new(&app);
    let no_session = anonymous
        .post_form(
            "/api/v1/oauth/consent",
            &[
                ("csrf_token", &token),
                ("auth_request_id", &id),
                ("action", "allow"),
            ],
        )
        .await;
    assert_eq!(no_session.status(), 403, "no CSRF cookie in this browser");
}

#[tokio::test]
async fn ending_the_browser_session_ends_its_grants_except_offline_ones() {
    let app = spawn_provider().await;
    let admin = app.new_admin().await;
    let client = app.register_client(&admin, json!({})).await;
    let user = app.new_user().await;
    let browser = Browser::new(&app);
    let exchange = |scope: &'static str| {
        let app = &app;
        let client = &client;
        let browser = &browser;
        let user = &user;
        async move {
            let path = format!(
                "/api/v1/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope={scope}&state=s",
                client.client_id,
                url::form_urlencoded::byte_serialize(REDIRECT_URI.as_bytes()).collect::<String>()
            );
            let redirect = browser.authorize_through(app, &path, user).await;
            let code = query_param(&redirect, "code").unwrap();
            let response = app
                .client
                .post(app.url("/api/v1/oauth/token"))
                .basic_auth(&client.client_id, client.client_secret.as_deref())
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT_URI),
                ])
                .send()
                .await
                .unwrap();
            let body: Value = response.json().await.unwrap();
            body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let online = exchange("openid").await;
    let offline = exchange("openid%20offline_access").await;
    assert_eq!(
        app.get_auth("/api/v1/oauth/userinfo", &online)
            .await
            .status(),
        200
    );
    let response = browser.get("/logout").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.get_auth("/api/v1/oauth/userinfo", &online)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.get_auth("/api/v1/oauth/userinfo", &offline)
            .await
            .status(),
        200,
        "offline_access grants outlive the browser session"
    );
}
