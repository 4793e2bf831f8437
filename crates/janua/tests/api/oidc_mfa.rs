//! A relying party signing in a user who has MFA on, through the hosted pages: authorize →
//! login form → hosted MFA step (TOTP computed independently with `totp-rs`) → consent → code
//! exchange with the `openidconnect` crate. The ID token and the access token say a second
//! factor was used (`amr`), and refreshing keeps it.

use openidconnect::{OAuth2TokenResponse, TokenResponse};
use serde_json::json;

use crate::helpers::oauth::{
    auth_request, code_from, id_verifier, location, path_of, rp_http, spawn_provider,
};
use crate::helpers::pages::{hidden_field, Browser};
use crate::mfa::{amr, code_at, enable_and_verify};

#[tokio::test]
async fn an_mfa_user_completes_the_code_flow_through_the_hosted_mfa_step() {
    let app = spawn_provider().await;
    let admin = app.new_admin().await;
    let client = app.register_client(&admin, json!({})).await;
    let user = app.new_user().await;
    let (secret, _) = enable_and_verify(&app, &user).await;
    let rp = app.rp_client(&client).await;
    let http = rp_http();

    let request = auth_request(&rp, &["openid", "email", "offline_access"]);
    let browser = Browser::new(&app);
    let code = code_at(&app, &secret, 0);
    let redirect = browser
        .authorize_through_mfa(&app, &request.url, &user, &code)
        .await;
    let tokens = rp
        .exchange_code(code_from(&app, &redirect, &request.state))
        .unwrap()
        .set_pkce_verifier(request.verifier)
        .request_async(&http)
        .await
        .unwrap();

    let verifier = id_verifier(&rp, &app);
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token.claims(&verifier, &request.nonce).unwrap();
    assert_eq!(claims.subject().as_str(), user.id);
    let id_amr: Vec<String> = claims
        .auth_method_refs()
        .expect("amr in the ID token")
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert!(id_amr.iter().any(|m| m == "pwd"), "{id_amr:?}");
    assert!(id_amr.iter().any(|m| m == "otp"), "{id_amr:?}");
    let access_amr = amr(tokens.access_token().secret());
    assert!(access_amr.iter().any(|m| m == "otp"), "{access_amr:?}");

    // The grant remembers how the user signed in: a refreshed access token still shows it.
    let refreshed = rp
        .exchange_refresh_token(tokens.refresh_token().expect("a refresh token"))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let refreshed_amr = amr(refreshed.access_token().secret());
    assert!(
        refreshed_amr.iter().any(|m| m == "otp"),
        "{refreshed_amr:?}"
    );
}

#[tokio::test]
async fn without_the_second_factor_no_code_is_issued() {
    let app = spawn_provider().await;
    let admin = app.new_admin().await;
    let client = app.register_client(&admin, json!({})).await;
    let user = app.new_user().await;
    let (secret, _) = enable_and_verify(&app, &user).await;
    let rp = app.rp_client(&client).await;
    let request = auth_request(&rp, &["openid"]);
    let browser = Browser::new(&app);
    let wrong = if code_at(&app, &secret, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    // Drive the steps by hand: the wrong code is refused on the MFA page, and going back to
    // the authorization endpoint still asks for a sign-in (no session was opened).
    let started = browser.get(&path_of(&app, &request.url)).await;
    assert_eq!(started.status(), 302);
    let login = location(&started);
    assert!(login.starts_with("/api/v1/auth/login"), "{login}");
    let page = browser.get(&login).await.text().await.unwrap();
    let mut fields = vec![
        ("email", user.email.clone()),
        ("password", user.password.clone()),
    ];
    for name in ["csrf_token", "auth_request_id", "client_id", "client_name"] {
        if let Some(v) = hidden_field(&page, name) {
            fields.push((name, v));
        }
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let step = browser.post_form("/api/v1/auth/login-form", &fields).await;
    assert_eq!(step.status(), 200);
    let step_page = step.text().await.unwrap();
    assert!(step_page.contains("id=\"login-mfa-form\""));
    let mut answer = vec![("code", wrong.to_owned())];
    for name in ["mfa_token", "csrf_token", "auth_request_id", "client_id"] {
        if let Some(v) = hidden_field(&step_page, name) {
            answer.push((name, v));
        }
    }
    let answer: Vec<(&str, &str)> = answer.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = browser
        .post_form("/api/v1/auth/login-mfa-form", &answer)
        .await;
    assert_eq!(refused.status(), 401);
    assert!(browser.cookie("janua_session").is_none());
    let again = browser.get(&path_of(&app, &request.url)).await;
    assert_eq!(again.status(), 302);
    assert!(location(&again).starts_with("/api/v1/auth/login"));
}
