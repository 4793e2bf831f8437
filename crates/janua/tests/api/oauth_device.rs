//! The device authorization grant (RFC 8628): a device starts, polls (pending, slow_down), the
//! user approves or denies on the hosted verification page, and the device gets its tokens
//! once; expiry and bad codes.

use serde_json::{json, Value};

use crate::helpers::oauth::{location, spawn_provider, RegisteredClient};
use crate::helpers::pages::{hidden_field, Browser};
use crate::helpers::TestApp;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn device_client(app: &TestApp) -> RegisteredClient {
    let admin = app.new_admin().await;
    app.register_client(
        &admin,
        json!({"is_confidential": false, "grant_types": [GRANT, "refresh_token"], "redirect_uris": []}),
    )
    .await
}

async fn form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn poll(app: &TestApp, client: &RegisteredClient, device_code: &str) -> (u16, Value) {
    form(
        app,
        "/api/v1/oauth/token",
        &[
            ("grant_type", GRANT),
            ("device_code", device_code),
            ("client_id", &client.client_id),
        ],
    )
    .await
}

/// Signs the browser in through the verification page's redirect and answers `action`.
async fn answer(app: &TestApp, browser: &Browser<'_>, user_code: &str, action: &str) -> u16 {
    let page_path = format!("/api/v1/oauth/device?user_code={user_code}");
    let first = browser.get(&page_path).await;
    if first.status() == 302 {
        let user = app.new_user().await;
        let login = location(&first);
        assert!(login.starts_with("/api/v1/auth/login?next="));
        let page = browser.get(&login).await.text().await.unwrap();
        let signed = browser
            .post_form(
                "/api/v1/auth/login-form",
                &[
                    ("email", &user.email),
                    ("password", &user.password),
                    ("csrf_token", &hidden_field(&page, "csrf_token").unwrap()),
                    ("next", &hidden_field(&page, "next").unwrap()),
                ],
            )
            .await;
        assert_eq!(
            location(&signed),
            page_path,
            "back to the verification page"
        );
    }
    let page = browser.get(&page_path).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("device-form"), "{html}");
    browser
        .post_form(
            "/api/v1/oauth/device",
            &[
                ("csrf_token", &hidden_field(&html, "csrf_token").unwrap()),
                ("user_code", &hidden_field(&html, "user_code").unwrap()),
                ("action", action),
            ],
        )
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_device_gets_tokens_after_the_user_approves_it() {
    let app = spawn_provider().await;
    let client = device_client(&app).await;
    let (status, started) = form(
        &app,
        "/api/v1/oauth/device_authorization",
        &[
            ("client_id", &client.client_id),
            ("scope", "openid profile"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{started}");
    let device_code = started["device_code"].as_str().unwrap();
    let user_code = started["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert_eq!(started["interval"], 5);
    assert_eq!(started["expires_in"], 600);
    assert_eq!(
        started["verification_uri"],
        app.url("/api/v1/oauth/device").as_str()
    );
    assert!(started["verification_uri_complete"]
        .as_str()
        .unwrap()
        .ends_with(user_code));

    let (status, pending) = poll(&app, &client, device_code).await;
    assert_eq!(
        (status, pending["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    let (_, fast) = poll(&app, &client, device_code).await;
    assert_eq!(fast["error"], "slow_down");

    let browser = Browser::new(&app);
    let typed = user_code.to_lowercase().replace('-', "");
    assert_eq!(answer(&app, &browser, &typed, "allow").await, 200);

    app.clock.advance(chrono::Duration::seconds(6));
    let (status, tokens) = poll(&app, &client, device_code).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["access_token"].is_string());
    assert!(tokens["id_token"].is_string());
    assert!(tokens["refresh_token"].is_string());
    assert_eq!(tokens["scope"], "openid profile");
    let (status, again) = poll(&app, &client, device_code).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // The code cannot be approved twice.
    let page = browser
        .get(&format!("/api/v1/oauth/device?user_code={user_code}"))
        .await;
    assert_eq!(page.status(), 400);
}

#[tokio::test]
async fn a_denied_or_expired_device_request_gets_no_tokens() {
    let app = spawn_provider().await;
    let client = device_client(&app).await;
    let fields = [("client_id", client.client_id.as_str())];
    let start = || form(&app, "/api/v1/oauth/device_authorization", &fields);
    let (_, denied) = start().await;
    let browser = Browser::new(&app);
    assert_eq!(
        answer(
            &app,
            &browser,
            denied["user_code"].as_str().unwrap(),
            "deny"
        )
        .await,
        200
    );
    let (_, body) = poll(&app, &client, denied["device_code"].as_str().unwrap()).await;
    assert_eq!(body["error"], "access_denied");
    let (_, expiring) = start().await;
    app.clock.advance(chrono::Duration::minutes(11));
    let (_, body) = poll(&app, &client, expiring["device_code"].as_str().unwrap()).await;
    assert_eq!(body["error"], "expired_token");
    let (_, body) = poll(&app, &client, "unknown-device-code").await;
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn only_clients_with_the_device_grant_and_allowed_scopes_may_start() {
    let app = spawn_provider().await;
    let admin = app.new_admin().await;
    let web = app.register_client(&admin, json!({})).await;
    let response = app
        .client
        .post(app.url("/api/v1/oauth/device_authorization"))
        .basic_auth(&web.client_id, web.client_secret.as_deref())
        .form(&[("scope", "openid")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client");
    let device = device_client(&app).await;
    let (status, body) = form(
        &app,
        "/api/v1/oauth/device_authorization",
        &[("client_id", &device.client_id), ("scope", "openid admin")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let browser = Browser::new(&app);
    browser.sign_in(&admin.email, &admin.password).await;
    let unknown = browser
        .get("/api/v1/oauth/device?user_code=BCDF-GHJK")
        .await;
    assert_eq!(unknown.status(), 400);
    let forged = browser
        .post_form(
            "/api/v1/oauth/device",
            &[
                ("user_code", "BCDF-GHJK"),
                ("action", "allow"),
                ("csrf_token", "1.x"),
            ],
        )
        .await;
    assert_eq!(forged.status(), 403);
}
