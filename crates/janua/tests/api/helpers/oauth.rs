//! Helpers for the OAuth provider tests: an app whose `ISSUER` is its own loopback address (so
//! a standard relying party can discover it), an administrator, registered clients, a browser
//! that signs in and consents, and an `openidconnect` relying party.

use janua_core::clock::Clock;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenVerifier, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};
use serde_json::{json, Value};

use super::accounts::TestUser;
use super::pages::{hidden_field, Browser};
use super::{try_spawn_app_with, TestApp};

pub const REDIRECT_URI: &str = "https://rp.example.com/callback";

/// A relying party client with discovered endpoints.
pub type RpClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

pub struct RegisteredClient {
    /// The row id (`/oauth/clients/{id}`).
    #[allow(dead_code)]
    pub id: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

/// A free loopback port: bound and released, for an app that must know its own URL.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An app whose issuer, API and base URLs are its own address. The port is chosen before the
/// app binds it (the URLs name it), so another socket can take it in between; then a new one
/// is chosen.
pub async fn spawn_provider_with(extra: &[(&str, &str)]) -> TestApp {
    for _ in 0..5 {
        let port = free_port().to_string();
        let base = format!("http://127.0.0.1:{port}");
        let mut vars = vec![
            ("PORT", port.as_str()),
            ("ISSUER", base.as_str()),
            ("API_BASE_URL", base.as_str()),
            ("BASE_URL", base.as_str()),
            ("INTERNAL_API_KEY", "internal-test-key-0123456789"),
        ];
        vars.extend_from_slice(extra);
        match try_spawn_app_with(&vars).await {
            Ok(app) => return app,
            Err(error) if address_in_use(&error) => continue,
            Err(error) => panic!("app builds: {error:#}"),
        }
    }
    panic!("no free port for the provider after five tries")
}

fn address_in_use(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse)
    })
}

pub async fn spawn_provider() -> TestApp {
    spawn_provider_with(&[]).await
}

/// The openidconnect HTTP client: no redirects followed (as its docs require).
pub fn rp_http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub const ALL_ALGS: [CoreJwsSigningAlgorithm; 3] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EdDsa,
];

impl TestApp {
    /// A verified platform administrator with a fresh token carrying the `admin` role.
    pub async fn new_admin(&self) -> TestUser {
        let mut user = self.new_user().await;
        let id = user.id.parse().unwrap();
        let now = self.clock.now();
        self.state
            .store
            .set_admin(id, true, now, &[])
            .await
            .unwrap();
        self.state
            .store
            .mark_email_verified(id, now, &[])
            .await
            .unwrap();
        let (access, refresh) = self.sign_in_tokens(&user).await;
        user.access_token = access;
        user.refresh_token = refresh;
        user
    }

    /// Registers a client through the API as `admin`; `extra` overrides the defaults
    /// (confidential, code + refresh grants, `openid profile email offline_access`).
    pub async fn register_client(&self, admin: &TestUser, extra: Value) -> RegisteredClient {
        let mut body = json!({
            "name": format!("RP {}", uuid::Uuid::new_v4().simple()),
            "redirect_uris": [REDIRECT_URI],
            "allowed_scopes": ["openid", "profile", "email", "offline_access"],
            "grant_types": ["authorization_code", "refresh_token"],
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let response = self
            .post_json_auth("/api/v1/oauth/clients", &admin.access_token, &body)
            .await;
        let status = response.status();
        let created: Value = response.json().await.unwrap();
        assert_eq!(status, 201, "{created}");
        RegisteredClient {
            id: created["id"].as_str().unwrap().to_owned(),
            client_id: created["client_id"].as_str().unwrap().to_owned(),
            client_secret: created["client_secret"].as_str().map(str::to_owned),
        }
    }

    /// The provider metadata as a relying party discovers it.
    pub async fn discover(&self) -> CoreProviderMetadata {
        let issuer = IssuerUrl::new(self.base.clone()).unwrap();
        CoreProviderMetadata::discover_async(issuer, &rp_http())
            .await
            .unwrap()
    }

    pub async fn rp_client(&self, client: &RegisteredClient) -> RpClient {
        let metadata = self.discover().await;
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(client.client_id.clone()),
            client.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).unwrap())
    }
}

/// The client's ID token verifier, accepting every algorithm Janua signs with and reading the
/// time from the app's manual clock.
pub fn id_verifier<'a>(rp: &'a RpClient, app: &TestApp) -> CoreIdTokenVerifier<'a> {
    let clock = app.clock.clone();
    rp.id_token_verifier()
        .set_allowed_algs(ALL_ALGS)
        .set_time_fn(move || clock.now())
}

/// One authorization request as the relying party builds it.
pub struct AuthRequest {
    pub url: String,
    pub state: CsrfToken,
    pub nonce: Nonce,
    pub verifier: PkceCodeVerifier,
}

pub fn auth_request(rp: &RpClient, scopes: &[&str]) -> AuthRequest {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = rp.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).to_owned()));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    AuthRequest {
        url: url.to_string(),
        state,
        nonce,
        verifier,
    }
}

/// The path and query of an absolute URL on the app (or the `Location` of a redirect).
pub fn path_of(app: &TestApp, url: &str) -> String {
    url.strip_prefix(&app.base).unwrap_or(url).to_owned()
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on a {} answer", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).unwrap();
    parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

impl Browser<'_> {
    /// Follows an authorize URL through sign-in (when asked) and consent (allow) to the
    /// client's redirect; returns that final `Location`.
    pub async fn authorize_through(&self, app: &TestApp, url: &str, user: &TestUser) -> String {
        self.authorize_with(app, url, user, None).await
    }

    /// As [`Browser::authorize_through`], for a user with MFA on: the login form answers with
    /// the hosted MFA step (and no session yet), which is completed with `code`.
    pub async fn authorize_through_mfa(
        &self,
        app: &TestApp,
        url: &str,
        user: &TestUser,
        code: &str,
    ) -> String {
        self.authorize_with(app, url, user, Some(code)).await
    }

    async fn authorize_with(
        &self,
        app: &TestApp,
        url: &str,
        user: &TestUser,
        second_factor: Option<&str>,
    ) -> String {
        let mut next = path_of(app, url);
        for _ in 0..6 {
            let response = self.get(&next).await;
            match response.status().as_u16() {
                302 => {
                    let to = location(&response);
                    if to.starts_with(REDIRECT_URI) {
                        return to;
                    }
                    if to.starts_with("/api/v1/auth/login") {
                        let page = self.get(&to).await.text().await.unwrap();
                        let mut fields = vec![
                            ("email", user.email.clone()),
                            ("password", user.password.clone()),
                            ("csrf_token", hidden_field(&page, "csrf_token").unwrap()),
                        ];
                        for name in ["auth_request_id", "client_id", "client_name", "next"] {
                            if let Some(v) = hidden_field(&page, name) {
                                fields.push((name, v));
                            }
                        }
                        let fields: Vec<(&str, &str)> =
                            fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                        let mut posted = self.post_form("/api/v1/auth/login-form", &fields).await;
                        if let Some(code) = second_factor {
                            posted = self.second_factor(posted, code).await;
                        }
                        assert_eq!(posted.status(), 302, "sign-in failed");
                        next = location(&posted);
                    } else {
                        next = path_of(app, &to);
                    }
                }
                200 => {
                    let page = response.text().await.unwrap();
                    assert!(page.contains("consent-form"), "expected the consent page");
                    next = self.consent(&page, "allow").await;
                    if next.starts_with(REDIRECT_URI) {
                        return next;
                    }
                }
                other => panic!("unexpected {other} in the authorization flow"),
            }
        }
        panic!("the authorization flow did not reach the client");
    }

    /// Answers the hosted MFA step that `login_form_answer` must be with `code`, carrying the
    /// step's hidden fields (the pending authorization request among them).
    async fn second_factor(
        &self,
        login_form_answer: reqwest::Response,
        code: &str,
    ) -> reqwest::Response {
        assert_eq!(login_form_answer.status(), 200, "expected the MFA step");
        let page = login_form_answer.text().await.unwrap();
        assert!(
            page.contains("id=\"login-mfa-form\""),
            "expected the MFA step"
        );
        assert!(
            self.cookie("janua_session").is_none(),
            "no session before the second factor"
        );
        let mut fields = vec![("code", code.to_owned())];
        for name in [
            "mfa_token",
            "csrf_token",
            "auth_request_id",
            "client_id",
            "client_name",
            "next",
        ] {
            if let Some(v) = hidden_field(&page, name) {
                fields.push((name, v));
            }
        }
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post_form("/api/v1/auth/login-mfa-form", &fields).await
    }

    /// Posts the consent form shown in `page` with `action`; returns the `Location`.
    pub async fn consent(&self, page: &str, action: &str) -> String {
        let token = hidden_field(page, "csrf_token").unwrap();
        let id = hidden_field(page, "auth_request_id").unwrap();
        let posted = self
            .post_form(
                "/api/v1/oauth/consent",
                &[
                    ("csrf_token", &token),
                    ("auth_request_id", &id),
                    ("action", action),
                ],
            )
            .await;
        assert_eq!(posted.status(), 302, "consent post failed");
        location(&posted)
    }
}

/// The `code` of a successful authorization redirect, after checking `state` and `iss`.
pub fn code_from(app: &TestApp, redirect: &str, state: &CsrfToken) -> AuthorizationCode {
    assert_eq!(
        query_param(redirect, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(
        query_param(redirect, "iss").as_deref(),
        Some(app.base.as_str())
    );
    AuthorizationCode::new(query_param(redirect, "code").expect("a code"))
}

/// Every audit action recorded so far, read straight from the database.
pub async fn audit_actions(app: &TestApp) -> Vec<String> {
    let url = &app.backend.database_url;
    let rows: Vec<(String,)> = if app.backend.is_postgres() {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let rows = sqlx::query_as("SELECT action FROM audit_logs ORDER BY occurred_at")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        rows
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let rows = sqlx::query_as("SELECT action FROM audit_logs ORDER BY occurred_at")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        rows
    };
    rows.into_iter().map(|(a,)| a).collect()
}

impl TestApp {
    pub async fn get_json_auth(&self, path: &str, token: &str) -> (u16, Value) {
        let response = self.get_auth(path, token).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}
