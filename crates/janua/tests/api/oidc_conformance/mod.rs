//! The OpenID Foundation's Basic OP conformance plan, item by item (one test each, named after
//! the checklist of issue 8), against the real server. The full relying-party journey with the
//! `openidconnect` crate is in `oidc_flow.rs`.

pub(crate) mod fixture;

use janua_core::clock::Clock;
use openidconnect::{OAuth2TokenResponse, TokenResponse};
use serde_json::{json, Value};

use crate::helpers::oauth::{
    auth_request, code_from, id_verifier, location, rp_http, REDIRECT_URI,
};
use crate::helpers::pages::Browser;
use fixture::{code_of, error_of, fixture, jwt_part, urlencode};

#[tokio::test]
async fn code_flow_happy_path() {
    let fx = fixture().await;
    let rp = fx.app.rp_client(&fx.client).await;
    let request = auth_request(&rp, &["openid"]);
    let browser = Browser::new(&fx.app);
    let redirect = browser
        .authorize_through(&fx.app, &request.url, &fx.user)
        .await;
    let code = code_from(&fx.app, &redirect, &request.state);
    let tokens = rp
        .exchange_code(code)
        .unwrap()
        .set_pkce_verifier(request.verifier)
        .request_async(&rp_http())
        .await
        .unwrap();
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&id_verifier(&rp, &fx.app), &request.nonce)
        .unwrap();
    assert_eq!(claims.subject().as_str(), fx.user.id);
    assert_eq!(tokens.token_type().as_ref(), "bearer");
}

#[tokio::test]
async fn missing_response_type() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    let response = browser.get(&fx.authorize_path("no_response_type=1")).await;
    assert_eq!(response.status(), 302);
    assert_eq!(error_of(&location(&response)), "invalid_request");
}

#[tokio::test]
async fn id_token_signature_and_kid() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    let redirect = location(&browser.get(&fx.authorize_path("nonce=n1")).await);
    let (status, tokens) = fx.exchange(&code_of(&redirect)).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap();
    let header = jwt_part(id_token, 0);
    let kid = header["kid"].as_str().expect("a kid");
    let (_, jwks) = fx.app.get_json("/.well-known/jwks.json").await;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .expect("the kid is published in the JWKS");
    let key: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
    let decoding = jsonwebtoken::DecodingKey::from_jwk(&key).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[&fx.client.client_id]);
    validation.set_issuer(&[&fx.app.base]);
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Value>(id_token, &decoding, &validation)
        .expect("the signature verifies with the published key");
    assert_eq!(data.claims["nonce"], "n1");
    // A token whose signature is altered is refused.
    let mut forged = id_token.to_owned();
    forged.pop();
    forged.push(if id_token.ends_with('A') { 'B' } else { 'A' });
    assert!(jsonwebtoken::decode::<Value>(&forged, &decoding, &validation).is_err());
}

#[tokio::test]
async fn no_unsigned_id_tokens() {
    let fx = fixture().await;
    let (_, metadata) = fx.app.get_json("/.well-known/openid-configuration").await;
    let algs = metadata["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(!algs.iter().any(|a| a == "none"));
    let browser = fx.signed_in_browser().await;
    let redirect = location(&browser.get(&fx.authorize_path("")).await);
    let (_, tokens) = fx.exchange(&code_of(&redirect)).await;
    let header = jwt_part(tokens["id_token"].as_str().unwrap(), 0);
    assert_ne!(header["alg"], "none");
    // A client cannot ask for unsigned tokens either.
    let admin = fx.app.new_admin().await;
    let refused = fx
        .app
        .post_json_auth(
            "/api/v1/oauth/clients",
            &admin.access_token,
            &json!({"name": "Unsigned", "redirect_uris": [REDIRECT_URI], "signing_alg": "none"}),
        )
        .await;
    assert_eq!(refused.status(), 422);
}

#[tokio::test]
async fn userinfo_by_get_post_header_and_post_body() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    let redirect = location(
        &browser
            .get(&fx.authorize_path("scope=openid%20email"))
            .await,
    );
    let (_, tokens) = fx.exchange(&code_of(&redirect)).await;
    let token = tokens["access_token"].as_str().unwrap();
    let url = fx.app.url("/api/v1/oauth/userinfo");
    let by_get = fx
        .app
        .client
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let by_post_header = fx
        .app
        .client
        .post(&url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let by_post_body = fx
        .app
        .client
        .post(&url)
        .form(&[("access_token", token)])
        .send()
        .await
        .unwrap();
    for response in [by_get, by_post_header, by_post_body] {
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["sub"], fx.user.id.as_str());
        assert_eq!(body["email"], fx.user.email.as_str());
    }
    let missing = fx.app.client.get(&url).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert!(missing.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn nonce_is_optional_for_the_code_flow() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    let redirect = location(&browser.get(&fx.authorize_path("")).await);
    let (status, tokens) = fx.exchange(&code_of(&redirect)).await;
    assert_eq!(status, 200);
    let claims = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
    assert!(claims.get("nonce").is_none());
}

#[tokio::test]
async fn scopes_profile_email_and_all() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    let userinfo_for = |scope: &'static str| {
        let path = fx.authorize_path(&format!("scope={scope}"));
        let browser = &browser;
        let fx = &fx;
        async move {
            let redirect = browser.authorize_through(&fx.app, &path, &fx.user).await;
            let (_, tokens) = fx.exchange(&code_of(&redirect)).await;
            let (status, body) = {
                let r = fx
                    .app
                    .get_auth(
                        "/api/v1/oauth/userinfo",
                        tokens["access_token"].as_str().unwrap(),
                    )
                    .await;
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            };
            assert_eq!(status, 200);
            (tokens["scope"].as_str().unwrap().to_owned(), body)
        }
    };
    let (scope, profile) = userinfo_for("openid%20profile").await;
    assert_eq!(scope, "openid profile");
    assert!(profile.get("updated_at").is_some());
    assert!(profile.get("email").is_none());
    let (_, email) = userinfo_for("openid%20email").await;
    assert_eq!(email["email"], fx.user.email.as_str());
    assert!(email.get("email_verified").is_some());
    assert!(email.get("updated_at").is_none());
    let (_, all) = userinfo_for("openid%20profile%20email").await;
    assert!(all.get("email").is_some() && all.get("updated_at").is_some());
}

#[tokio::test]
async fn prompt_login() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    fx.app.clock.advance(chrono::Duration::seconds(30));
    let response = browser.get(&fx.authorize_path("prompt=login")).await;
    assert_eq!(response.status(), 302);
    assert!(location(&response).starts_with("/api/v1/auth/login?auth_request_id="));
    let redirect = browser
        .authorize_through(&fx.app, &fx.authorize_path("prompt=login"), &fx.user)
        .await;
    let (_, tokens) = fx.exchange(&code_of(&redirect)).await;
    let claims = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
    assert_eq!(
        claims["auth_time"].as_i64().unwrap(),
        Clock::now(&*fx.app.clock).timestamp(),
        "a fresh authentication"
    );
}

#[tokio::test]
async fn prompt_none_logged_in_and_logged_out() {
    let fx = fixture().await;
    let logged_out = Browser::new(&fx.app);
    let response = logged_out.get(&fx.authorize_path("prompt=none")).await;
    assert_eq!(response.status(), 302);
    assert_eq!(error_of(&location(&response)), "login_required");
    let browser = fx.signed_in_browser().await;
    let response = browser.get(&fx.authorize_path("prompt=none")).await;
    assert_eq!(response.status(), 302);
    code_of(&location(&response));
    // Consent not yet given for a wider scope: consent_required, not a page.
    let response = browser
        .get(&fx.authorize_path("prompt=none&scope=openid%20offline_access"))
        .await;
    assert_eq!(error_of(&location(&response)), "consent_required");
}

#[tokio::test]
async fn max_age_1_and_10000() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    fx.app.clock.advance(chrono::Duration::seconds(5));
    let too_old = browser.get(&fx.authorize_path("max_age=1")).await;
    assert_eq!(too_old.status(), 302);
    assert!(location(&too_old).starts_with("/api/v1/auth/login"));
    let recent_enough = browser.get(&fx.authorize_path("max_age=10000")).await;
    let (_, tokens) = fx.exchange(&code_of(&location(&recent_enough))).await;
    let claims = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
    assert!(claims["auth_time"].is_i64());
    let bad = browser.get(&fx.authorize_path("max_age=-3")).await;
    assert_eq!(error_of(&location(&bad)), "invalid_request");
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    let response = browser
        .get(&fx.authorize_path("foo=bar&extra_param=1&claims_locales=de&ui_locales=fr"))
        .await;
    assert_eq!(response.status(), 302);
    code_of(&location(&response));
}

#[tokio::test]
async fn id_token_hint() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    let redirect = location(&browser.get(&fx.authorize_path("")).await);
    let (_, tokens) = fx.exchange(&code_of(&redirect)).await;
    let hint = tokens["id_token"].as_str().unwrap().to_owned();
    let same_user = browser
        .get(&fx.authorize_path(&format!("prompt=none&id_token_hint={hint}")))
        .await;
    code_of(&location(&same_user));
    // The hint names another user: with prompt=none that means login_required.
    let other = Browser::new(&fx.app);
    let someone = fx.app.new_user().await;
    other
        .authorize_through(&fx.app, &fx.authorize_path(""), &someone)
        .await;
    let mismatch = other
        .get(&fx.authorize_path(&format!("prompt=none&id_token_hint={hint}")))
        .await;
    assert_eq!(error_of(&location(&mismatch)), "login_required");
    let garbage = browser
        .get(&fx.authorize_path("prompt=none&id_token_hint=not.a.token"))
        .await;
    assert_eq!(error_of(&location(&garbage)), "login_required");
}

#[tokio::test]
async fn login_hint() {
    let fx = fixture().await;
    let browser = Browser::new(&fx.app);
    let response = browser
        .get(&fx.authorize_path(&format!("login_hint={}", urlencode(&fx.user.email))))
        .await;
    let login = location(&response);
    assert!(login.contains("login_hint="));
    let page = browser.get(&login).await.text().await.unwrap();
    assert!(
        page.contains(&format!("value=\"{}\"", fx.user.email)),
        "the email field is pre-filled"
    );
}

#[tokio::test]
async fn code_reuse_revokes_the_tokens_issued_from_it() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    let code = code_of(&location(&browser.get(&fx.authorize_path("")).await));
    let (status, tokens) = fx.exchange(&code).await;
    assert_eq!(status, 200);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        fx.app
            .get_auth("/api/v1/oauth/userinfo", access)
            .await
            .status(),
        200
    );
    let (status, replay) = fx.exchange(&code).await;
    assert_eq!(status, 400);
    assert_eq!(replay["error"], "invalid_grant");
    assert_eq!(
        fx.app
            .get_auth("/api/v1/oauth/userinfo", access)
            .await
            .status(),
        401
    );
    let (status, refresh) = fx
        .token_form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(
        (status, refresh["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn unregistered_redirect_uri_is_rejected_without_a_redirect() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    for evil in [
        "https://evil.example.com/callback",
        "https://rp.example.com/callback/extra",
        "https://rp.example.com/callback?x=1",
    ] {
        let path = format!(
            "/api/v1/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=st",
            fx.client.client_id,
            urlencode(evil)
        );
        let response = browser.get(&path).await;
        assert_eq!(response.status(), 400, "{evil}");
        assert!(response.headers().get("location").is_none());
        let page = response.text().await.unwrap();
        assert!(page.contains("invalid_request"));
    }
    let unknown_client = browser
        .get(&format!(
            "/api/v1/oauth/authorize?response_type=code&client_id=jnc_unknown123&redirect_uri={}",
            urlencode(REDIRECT_URI)
        ))
        .await;
    assert_eq!(unknown_client.status(), 400);
    assert!(unknown_client.headers().get("location").is_none());
}

#[tokio::test]
async fn post_to_the_authorization_endpoint() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    let posted = browser
        .post_form(
            "/api/v1/oauth/authorize",
            &[
                ("response_type", "code"),
                ("client_id", &fx.client.client_id),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid"),
                ("state", "st"),
                ("nonce", "post-nonce"),
            ],
        )
        .await;
    assert_eq!(posted.status(), 302);
    let (_, tokens) = fx.exchange(&code_of(&location(&posted))).await;
    let claims = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
    assert_eq!(claims["nonce"], "post-nonce");
    // A csrf_token that does not verify is refused.
    let forged = browser
        .post_form(
            "/api/v1/oauth/authorize",
            &[
                ("response_type", "code"),
                ("client_id", &fx.client.client_id),
                ("redirect_uri", REDIRECT_URI),
                ("csrf_token", "1.forged"),
            ],
        )
        .await;
    assert_eq!(forged.status(), 403);
}

#[tokio::test]
async fn client_secret_post_and_client_secret_basic() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    let secret = fx.client.client_secret.clone().unwrap();
    let code = code_of(&location(&browser.get(&fx.authorize_path("")).await));
    let by_post = fx
        .app
        .client
        .post(fx.app.url("/api/v1/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &fx.client.client_id),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(by_post.status(), 200);
    let code = code_of(&location(&browser.get(&fx.authorize_path("")).await));
    let (status, _) = fx.exchange(&code).await;
    assert_eq!(status, 200, "client_secret_basic");
    let wrong = fx
        .app
        .client
        .post(fx.app.url("/api/v1/oauth/token"))
        .basic_auth(&fx.client.client_id, Some("jns_wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let no_client = fx
        .app
        .client
        .post(fx.app.url("/api/v1/oauth/token"))
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_client.status(), 400);
    let body: Value = no_client.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn request_and_request_uri_are_rejected_as_not_supported() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    let request = browser
        .get(&fx.authorize_path("request=eyJhbGciOiJub25lIn0.e30."))
        .await;
    assert_eq!(error_of(&location(&request)), "request_not_supported");
    let request_uri = browser
        .get(&fx.authorize_path("request_uri=https%3A%2F%2Frp.example.com%2Freq"))
        .await;
    assert_eq!(
        error_of(&location(&request_uri)),
        "request_uri_not_supported"
    );
}

#[tokio::test]
async fn refresh_token() {
    let fx = fixture().await;
    let browser = fx.signed_in_browser().await;
    let code = code_of(&location(
        &browser
            .get(&fx.authorize_path("scope=openid%20email"))
            .await,
    ));
    let (_, tokens) = fx.exchange(&code).await;
    let first = tokens["refresh_token"].as_str().unwrap();
    let (status, rotated) = fx
        .token_form(&[("grant_type", "refresh_token"), ("refresh_token", first)])
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert!(rotated["id_token"].is_string());
    assert_eq!(rotated["scope"], "openid email");
    let second = rotated["refresh_token"].as_str().unwrap();
    assert_ne!(first, second);
    // Narrowing is allowed, widening is not.
    let (status, narrowed) = fx
        .token_form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", second),
            ("scope", "openid profile"),
        ])
        .await;
    assert_eq!(
        (status, narrowed["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    // Reusing the first token is theft: the family dies, the second token with it.
    let (status, reused) = fx
        .token_form(&[("grant_type", "refresh_token"), ("refresh_token", first)])
        .await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = fx
        .token_form(&[("grant_type", "refresh_token"), ("refresh_token", second)])
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn pkce() {
    let fx = fixture().await;
    let admin = fx.app.new_admin().await;
    let public = fx
        .app
        .register_client(&admin, json!({"is_confidential": false}))
        .await;
    assert!(public.client_secret.is_none());
    let browser = fx.signed_in_browser().await;
    let base = format!(
        "/api/v1/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=st",
        public.client_id,
        urlencode(REDIRECT_URI)
    );
    let without = browser.get(&base).await;
    assert_eq!(error_of(&location(&without)), "invalid_request");
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let plain = browser
        .get(&format!(
            "{base}&code_challenge={challenge}&code_challenge_method=plain"
        ))
        .await;
    assert_eq!(error_of(&location(&plain)), "invalid_request");
    let with_s256 = format!("{base}&code_challenge={challenge}&code_challenge_method=S256");
    let exchange = |code: String, verifier: Option<&'static str>| {
        let fx = &fx;
        let public = &public;
        async move {
            let mut form = vec![
                ("grant_type", "authorization_code".to_owned()),
                ("code", code),
                ("redirect_uri", REDIRECT_URI.to_owned()),
                ("client_id", public.client_id.clone()),
            ];
            if let Some(v) = verifier {
                form.push(("code_verifier", v.to_owned()));
            }
            let r = fx
                .app
                .client
                .post(fx.app.url("/api/v1/oauth/token"))
                .form(&form)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let code = code_of(
        &browser
            .authorize_through(&fx.app, &with_s256, &fx.user)
            .await,
    );
    let (status, body) = exchange(code, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let code = code_of(&location(&browser.get(&with_s256).await));
    let (status, _) = exchange(code, Some("wrong-verifier-wrong-verifier-wrong-verifier-x")).await;
    assert_eq!(status, 400);
    let code = code_of(&location(&browser.get(&with_s256).await));
    let (status, body) = exchange(code, Some(verifier)).await;
    assert_eq!(status, 200, "{body}");
}
