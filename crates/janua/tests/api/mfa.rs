//! MFA (API.md §7), black-box: the TOTP lifecycle, backup codes, validation and bad input.
//! The sign-in challenge is in `mfa_sign_in`. TOTP codes are computed here with
//! `totp-rs` from the secret the server hands out, at the app's manual clock, and that oracle is
//! itself checked against the RFC 6238 test vectors.

use base64::Engine;
use janua_core::clock::Clock;
use serde_json::{json, Value};
use totp_rs::{Algorithm, Builder};

use crate::helpers::accounts::TestUser;
use crate::helpers::{assert_error_shape, spawn_app, TestApp};

/// The code an authenticator app shows for `secret` (base32) at the app's current time,
/// shifted by `steps` 30-second steps.
pub(crate) fn code_at(app: &TestApp, secret: &str, steps: i64) -> String {
    let seed = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(seed)
        .build_noncompliant();
    let t = app.clock.now().timestamp() + steps * 30;
    totp.generate(u64::try_from(t).unwrap()).to_string()
}

pub(crate) fn amr(access_token: &str) -> Vec<String> {
    let payload = access_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    serde_json::from_value(claims["amr"].clone()).unwrap_or_default()
}

pub(crate) async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Enables MFA for `user` and returns (secret, backup codes).
pub(crate) async fn enable(app: &TestApp, user: &TestUser) -> (String, Vec<String>) {
    let (status, body) = json_of(
        app.post_json_auth(
            "/api/v1/mfa/enable",
            &user.access_token,
            &json!({"password": user.password}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let secret = body["secret"].as_str().unwrap().to_owned();
    let codes = serde_json::from_value(body["backup_codes"].clone()).unwrap();
    (secret, codes)
}

pub(crate) async fn enable_and_verify(app: &TestApp, user: &TestUser) -> (String, Vec<String>) {
    let (secret, codes) = enable(app, user).await;
    let (status, body) = json_of(
        app.post_json_auth(
            "/api/v1/mfa/verify",
            &user.access_token,
            &json!({"code": code_at(app, &secret, 0)}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The enrollment code's step is used; later codes come from the next step.
    app.clock.advance(chrono::Duration::seconds(30));
    (secret, codes)
}

/// Signs in with the password and returns the `mfa_token`.
pub(crate) async fn mfa_token(app: &TestApp, user: &TestUser) -> String {
    let (status, body) = json_of(app.sign_in(&user.email, &user.password).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["mfa_required"], true);
    assert!(body["tokens"].is_null());
    body["mfa_token"].as_str().unwrap().to_owned()
}

pub(crate) async fn challenge(app: &TestApp, token: &str, code: &str) -> (u16, Value) {
    json_of(
        app.post_json(
            "/api/v1/mfa/challenge/verify",
            &json!({"mfa_token": token, "code": code}),
        )
        .await,
    )
    .await
}

#[test]
fn the_test_oracle_agrees_with_the_rfc_6238_vectors() {
    // RFC 6238 appendix B, SHA-1 seed "12345678901234567890", 8 digits.
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(8)
        .with_step_duration(30)
        .with_secret(b"12345678901234567890".to_vec())
        .build_noncompliant();
    for (t, expected) in [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        assert_eq!(totp.generate(t).to_string(), expected, "T={t}");
    }
}

#[tokio::test]
async fn the_full_totp_lifecycle_works_with_independently_computed_codes() {
    let app = spawn_app().await;
    let user = app.new_user().await;

    let (status, body) =
        json_of(app.get_auth("/api/v1/mfa/status", &user.access_token).await).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"enabled": false, "verified": false, "backup_codes_remaining": 0, "last_used_at": null})
    );

    let (status, body) = json_of(
        app.post_json_auth(
            "/api/v1/mfa/enable",
            &user.access_token,
            &json!({"password": user.password}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(body["qr_code"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,"));
    let uri = body["provisioning_uri"].as_str().unwrap();
    assert!(
        uri.starts_with(&format!(
            "otpauth://totp/Janua:{}?",
            user.email.replace('@', "%40")
        )) || uri.starts_with(&format!("otpauth://totp/Janua:{}?", user.email)),
        "{uri}"
    );
    assert!(
        uri.contains(&format!("secret={secret}")) && uri.contains("issuer=Janua"),
        "{uri}"
    );
    let codes: Vec<String> = serde_json::from_value(body["backup_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    assert!(
        codes.iter().all(|c| c.len() == 9 && &c[4..5] == "-"),
        "{codes:?}"
    );

    // Not on yet: sign-in still completes with the password alone.
    let (_, body) = json_of(app.sign_in(&user.email, &user.password).await).await;
    assert_eq!(body["mfa_required"], false);

    let (status, body) = json_of(
        app.post_json_auth(
            "/api/v1/mfa/verify",
            &user.access_token,
            &json!({"code": "000000"}),
        )
        .await,
    )
    .await;
    if code_at(&app, &secret, 0) != "000000" {
        assert_eq!(
            (status, assert_error_shape(&body).as_str()),
            (400, "INVALID_MFA_CODE")
        );
    }
    let code = code_at(&app, &secret, 0);
    let (status, body) = json_of(
        app.post_json_auth(
            "/api/v1/mfa/verify",
            &user.access_token,
            &json!({"code": code}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "MFA successfully enabled");

    let (_, body) = json_of(app.get_auth("/api/v1/mfa/status", &user.access_token).await).await;
    assert_eq!(body["enabled"], true);
    assert_eq!(body["verified"], true);
    assert_eq!(body["backup_codes_remaining"], 10);

    // Sign-in now stops at the challenge; the enrollment code cannot be replayed there.
    let token = mfa_token(&app, &user).await;
    let (status, body) = challenge(&app, &token, &code).await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (401, "INVALID_MFA_CODE")
    );

    app.clock.advance(chrono::Duration::seconds(30));
    let code = code_at(&app, &secret, 0);
    let (status, body) = challenge(&app, &token, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["mfa_required"], false);
    assert!(body["mfa_token"].is_null());
    let access = body["tokens"]["access_token"].as_str().unwrap();
    let methods = amr(access);
    assert!(
        methods.contains(&"otp".to_owned()) && methods.contains(&"mfa".to_owned()),
        "{methods:?}"
    );
    assert!(janua_core::mfa::satisfied_by(&methods));
    let (status, _) = json_of(app.get_auth("/api/v1/auth/me", access).await).await;
    assert_eq!(status, 200);

    // The same code a second time (same step, another sign-in) is refused.
    let token = mfa_token(&app, &user).await;
    let (status, _) = challenge(&app, &token, &code).await;
    assert_eq!(status, 401);
    // The neighbouring step (clock skew) is accepted.
    let (status, body) = challenge(&app, &token, &code_at(&app, &secret, 1)).await;
    assert_eq!(status, 200, "{body}");

    // Disable: the password is required and checked.
    let (status, body) = json_of(
        app.post_json_auth(
            "/api/v1/mfa/disable",
            &user.access_token,
            &json!({"password": "Wrong-Password-123"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (400, "INVALID_PASSWORD")
    );
    let (status, body) = json_of(
        app.post_json_auth(
            "/api/v1/mfa/disable",
            &user.access_token,
            &json!({"password": user.password}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "MFA successfully disabled");
    let (_, body) = json_of(app.sign_in(&user.email, &user.password).await).await;
    assert_eq!(body["mfa_required"], false);
    assert!(body["tokens"]["access_token"].is_string());
    let (status, body) = json_of(
        app.post_json_auth(
            "/api/v1/mfa/disable",
            &user.access_token,
            &json!({"password": user.password}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (400, "MFA_NOT_ENABLED")
    );
}

#[tokio::test]
async fn a_backup_code_works_once_whatever_its_dashes_and_case() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (_, codes) = enable_and_verify(&app, &user).await;
    let typed = codes[0].replace('-', "").to_lowercase();

    let token = mfa_token(&app, &user).await;
    let (status, body) = challenge(&app, &token, &typed).await;
    assert_eq!(status, 200, "{body}");
    assert!(amr(body["tokens"]["access_token"].as_str().unwrap()).contains(&"otp".to_owned()));

    let token = mfa_token(&app, &user).await;
    let (status, body) = challenge(&app, &token, &codes[0]).await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (401, "INVALID_MFA_CODE")
    );
    let (status, _) = challenge(&app, &token, &format!(" {} ", codes[1])).await;
    assert_eq!(status, 200);

    let (_, body) = json_of(app.get_auth("/api/v1/mfa/status", &user.access_token).await).await;
    assert_eq!(body["backup_codes_remaining"], 8);
    assert!(body["last_used_at"].is_string());
}

#[tokio::test]
async fn regenerating_backup_codes_needs_the_password_and_retires_the_old_ones() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (_, old) = enable_and_verify(&app, &user).await;

    let response = app
        .client
        .post(app.url("/api/v1/mfa/regenerate-backup-codes?password=Not-The-Password-1"))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (400, "INVALID_PASSWORD")
    );

    let response = app
        .client
        .post(app.url("/api/v1/mfa/regenerate-backup-codes"))
        .query(&[("password", &user.password)])
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    let new: Vec<String> = serde_json::from_value(body["backup_codes"].clone()).unwrap();
    assert_eq!(new.len(), 10);
    assert!(body["generated_at"].as_str().unwrap().ends_with('Z'));

    let token = mfa_token(&app, &user).await;
    let (status, _) = challenge(&app, &token, &old[0]).await;
    assert_eq!(status, 401);
    let (status, _) = challenge(&app, &token, &new[0]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn validate_code_checks_a_code_once() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, _) = enable_and_verify(&app, &user).await;
    let code = code_at(&app, &secret, 0);
    let post = |c: String| {
        let app = &app;
        let token = user.access_token.clone();
        async move {
            json_of(
                app.client
                    .post(app.url("/api/v1/mfa/validate-code"))
                    .query(&[("code", c)])
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let (status, body) = post(code.clone()).await;
    assert_eq!((status, body["valid"].clone()), (200, json!(true)));
    let (status, body) = post(code).await;
    assert_eq!((status, body["valid"].clone()), (200, json!(false)));
}

#[tokio::test]
async fn mfa_routes_refuse_bad_input_in_the_common_shape() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let t = &user.access_token;

    let (status, body) = json_of(
        app.post_json("/api/v1/mfa/enable", &json!({"password": "x"}))
            .await,
    )
    .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (401, "UNAUTHORIZED")
    );
    let (status, body) = json_of(
        app.post_json_auth("/api/v1/mfa/verify", t, &json!({"code": "123456"}))
            .await,
    )
    .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (400, "MFA_SETUP_NOT_INITIATED")
    );
    let (status, body) = json_of(
        app.post_json_auth("/api/v1/mfa/verify", t, &json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (422, "VALIDATION_ERROR")
    );
    let (status, body) = json_of(
        app.post_json_auth("/api/v1/mfa/verify", t, &json!({"code": 123456}))
            .await,
    )
    .await;
    assert_eq!(status / 100, 4, "{body}");
    assert_error_shape(&body);
    let (status, body) = json_of(
        app.post_json_auth(
            "/api/v1/mfa/enable",
            t,
            &json!({"password": "x".repeat(300)}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (422, "VALIDATION_ERROR")
    );
    let response = app
        .client
        .post(app.url("/api/v1/mfa/enable"))
        .bearer_auth(t)
        .header("content-type", "application/json")
        .body("{\"password\":")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (400, "INVALID_JSON")
    );

    let (status, body) = json_of(
        app.post_json("/api/v1/mfa/challenge/verify", &json!({"code": "123456"}))
            .await,
    )
    .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (422, "VALIDATION_ERROR")
    );
    let (status, body) = challenge(&app, "x", &"9".repeat(100)).await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (422, "VALIDATION_ERROR")
    );
    let (status, body) = challenge(&app, "\u{0}<script>", "123456").await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (401, "MFA_CHALLENGE_EXPIRED")
    );

    enable_and_verify(&app, &user).await;
    let (status, body) = json_of(
        app.post_json_auth("/api/v1/mfa/enable", t, &json!({"password": user.password}))
            .await,
    )
    .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (400, "MFA_ALREADY_ENABLED")
    );

    let (status, body) = app.get_json("/api/v1/mfa/supported-methods").await;
    assert_eq!(status, 200);
    assert!(body["methods"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["type"] == "totp"));
    let (status, body) = json_of(
        app.client
            .post(app.url("/api/v1/mfa/initiate-recovery?email=not-an-email"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, assert_error_shape(&body).as_str()),
        (422, "VALIDATION_ERROR")
    );
}

#[tokio::test]
async fn codes_from_a_signed_in_user_are_rate_limited() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    enable(&app, &user).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let (status, _) = json_of(
            app.post_json_auth(
                "/api/v1/mfa/verify",
                &user.access_token,
                &json!({"code": "12345"}),
            )
            .await,
        )
        .await;
        statuses.push(status);
    }
    assert_eq!(statuses, vec![400, 400, 400, 400, 400, 429]);
}
