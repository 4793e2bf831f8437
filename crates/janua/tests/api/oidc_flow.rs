//! The whole relying-party journey with the `openidconnect` crate: discovery → authorize →
//! hosted sign-in form → consent → code exchange → ID token validation → userinfo → refresh →
//! revoke → logout, for a client of each signing algorithm.

use openidconnect::core::{CoreGenderClaim, CoreJwsSigningAlgorithm};
use openidconnect::{
    AccessTokenHash, EmptyAdditionalClaims, OAuth2TokenResponse, TokenResponse, UserInfoClaims,
};
use serde_json::json;

use crate::helpers::oauth::{
    auth_request, code_from, id_verifier, location, query_param, rp_http, spawn_provider,
    REDIRECT_URI,
};
use crate::helpers::pages::Browser;

async fn full_journey(alg: &str, expected: CoreJwsSigningAlgorithm) {
    let app = spawn_provider().await;
    let admin = app.new_admin().await;
    let client = app
        .register_client(&admin, json!({"signing_alg": alg}))
        .await;
    let user = app.new_user().await;
    let rp = app.rp_client(&client).await;
    let http = rp_http();

    // Authorize, sign in on the hosted form, consent.
    let request = auth_request(&rp, &["openid", "profile", "email"]);
    let browser = Browser::new(&app);
    let redirect = browser.authorize_through(&app, &request.url, &user).await;
    let code = code_from(&app, &redirect, &request.state);

    // Code exchange with the PKCE verifier, then ID token validation (signature, kid, iss,
    // aud, nonce, expiry) and at_hash.
    let tokens = rp
        .exchange_code(code)
        .unwrap()
        .set_pkce_verifier(request.verifier)
        .request_async(&http)
        .await
        .unwrap();
    let verifier = id_verifier(&rp, &app);
    let id_token = tokens.id_token().expect("an ID token");
    assert_eq!(id_token.signing_alg().unwrap(), &expected);
    let claims = id_token.claims(&verifier, &request.nonce).unwrap();
    assert_eq!(claims.subject().as_str(), user.id);
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some(user.email.as_str())
    );
    assert!(claims.auth_time().is_some());
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    assert!(tokens.refresh_token().is_some());

    // UserInfo with the access token.
    let info: UserInfoClaims<EmptyAdditionalClaims, CoreGenderClaim> = rp
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(info.subject().as_str(), user.id);
    assert_eq!(info.email().map(|e| e.as_str()), Some(user.email.as_str()));

    // Refresh: a rotated refresh token and a fresh ID token with the same auth_time.
    let refresh = tokens.refresh_token().unwrap().clone();
    let refreshed = rp
        .exchange_refresh_token(&refresh)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let new_refresh = refreshed.refresh_token().unwrap().clone();
    assert_ne!(new_refresh.secret(), refresh.secret());
    let fresh_id = refreshed.id_token().expect("a fresh ID token");
    let fresh_claims = fresh_id
        .claims(&verifier, |_: Option<&openidconnect::Nonce>| Ok(()))
        .unwrap();
    assert_eq!(fresh_claims.auth_time(), claims.auth_time());

    // Revoke the refresh token (RFC 7009; openidconnect refuses a non-https revocation URL,
    // so the form is posted directly): the grant ends, and its access token with it.
    let revoked = app
        .client
        .post(app.url("/api/v1/oauth/revoke"))
        .basic_auth(&client.client_id, client.client_secret.as_deref())
        .form(&[
            ("token", new_refresh.secret().as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let again = rp
        .exchange_refresh_token(&new_refresh)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(again.is_err(), "a revoked refresh token must fail");
    let info_after = app
        .get_auth("/api/v1/oauth/userinfo", refreshed.access_token().secret())
        .await;
    assert_eq!(info_after.status(), 401);

    // RP-initiated logout with the ID token as hint: back to the client with its state, and
    // the browser session is over.
    let logout = browser
        .get(&format!(
            "/logout?id_token_hint={}&post_logout_redirect_uri={}&state=bye",
            id_token, REDIRECT_URI
        ))
        .await;
    assert_eq!(logout.status(), 302);
    let to = location(&logout);
    assert!(to.starts_with(REDIRECT_URI));
    assert_eq!(query_param(&to, "state").as_deref(), Some("bye"));
    let (status, _) = browser.session().await;
    assert_eq!(status, 401, "the browser session ended");
}

#[tokio::test]
async fn a_relying_party_completes_the_journey_with_rs256() {
    full_journey("RS256", CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256).await;
}

#[tokio::test]
async fn a_relying_party_completes_the_journey_with_es256() {
    full_journey("ES256", CoreJwsSigningAlgorithm::EcdsaP256Sha256).await;
}

#[tokio::test]
async fn a_relying_party_completes_the_journey_with_eddsa() {
    full_journey("EdDSA", CoreJwsSigningAlgorithm::EdDsa).await;
}
