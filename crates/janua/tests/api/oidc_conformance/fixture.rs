//! The conformance tests' fixture: an app with one confidential client and one user, a browser
//! signed in through a full authorization, raw authorize paths and token requests.

use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::accounts::TestUser;
use crate::helpers::oauth::{query_param, spawn_provider, RegisteredClient, REDIRECT_URI};
use crate::helpers::pages::Browser;
use crate::helpers::TestApp;

pub struct Fixture {
    pub app: TestApp,
    pub client: RegisteredClient,
    pub user: TestUser,
}

pub async fn fixture() -> Fixture {
    let app = spawn_provider().await;
    let admin = app.new_admin().await;
    let client = app.register_client(&admin, json!({})).await;
    let user = app.new_user().await;
    Fixture { app, client, user }
}

impl Fixture {
    /// `/api/v1/oauth/authorize` for this client with `scope=openid`, `state=st` and `extra`.
    pub fn authorize_path(&self, extra: &str) -> String {
        let mut path = format!(
            "/api/v1/oauth/authorize?client_id={}&redirect_uri={}&state=st",
            self.client.client_id,
            urlencode(REDIRECT_URI)
        );
        if !extra.contains("response_type=") && !extra.contains("no_response_type") {
            path.push_str("&response_type=code");
        }
        if !extra.contains("scope=") {
            path.push_str("&scope=openid");
        }
        if !extra.is_empty() {
            path.push('&');
            path.push_str(extra);
        }
        path
    }

    /// Signs the browser in and consents to `openid profile email`, through one full request.
    pub async fn signed_in_browser(&self) -> Browser<'_> {
        let browser = Browser::new(&self.app);
        let redirect = browser
            .authorize_through(
                &self.app,
                &self.authorize_path("scope=openid%20profile%20email"),
                &self.user,
            )
            .await;
        assert!(query_param(&redirect, "code").is_some());
        browser
    }

    /// Exchanges a code at the token endpoint with HTTP Basic; status and body.
    pub async fn exchange(&self, code: &str) -> (u16, Value) {
        let response = self
            .app
            .client
            .post(self.app.url("/api/v1/oauth/token"))
            .basic_auth(&self.client.client_id, self.client.client_secret.as_deref())
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
            ])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    pub async fn token_form(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .app
            .client
            .post(self.app.url("/api/v1/oauth/token"))
            .basic_auth(&self.client.client_id, self.client.client_secret.as_deref())
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The code of a redirect to the client (after checking it is one).
pub fn code_of(redirect: &str) -> String {
    assert!(redirect.starts_with(REDIRECT_URI), "{redirect}");
    query_param(redirect, "code").unwrap_or_else(|| panic!("no code in {redirect}"))
}

pub fn error_of(redirect: &str) -> String {
    assert!(redirect.starts_with(REDIRECT_URI), "{redirect}");
    assert_eq!(query_param(redirect, "state").as_deref(), Some("st"));
    query_param(redirect, "error").unwrap_or_else(|| panic!("no error in {redirect}"))
}

pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
