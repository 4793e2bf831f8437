//! Access and refresh tokens: rotation, reuse detection, expiry, sign-out and revocation.

use serde_json::{json, Value};

use crate::helpers::{assert_error_shape, spawn_app, spawn_app_with};

async fn refresh(app: &crate::helpers::TestApp, token: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": token}))
        .await
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token_and_issues_a_new_access_token() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = refresh(&app, &user.refresh_token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let next = body["refresh_token"].as_str().unwrap();
    assert_ne!(next, user.refresh_token);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(
        app.get_auth("/api/v1/auth/me", body["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    assert_eq!(
        refresh(&app, next).await.status(),
        200,
        "the successor works"
    );
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_session() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let first = refresh(&app, &user.refresh_token)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let successor = first["refresh_token"].as_str().unwrap().to_owned();
    let new_access = first["access_token"].as_str().unwrap().to_owned();
    let replay = refresh(&app, &user.refresh_token).await;
    assert_eq!(replay.status(), 401);
    assert_eq!(
        assert_error_shape(&replay.json().await.unwrap()),
        "INVALID_REFRESH_TOKEN"
    );
    assert_eq!(
        refresh(&app, &successor).await.status(),
        401,
        "the family is revoked"
    );
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &new_access).await.status(),
        401,
        "and the session's access tokens"
    );
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn unknown_refresh_tokens_are_refused() {
    let app = spawn_app().await;
    for token in ["", "garbage", &"x".repeat(2000)] {
        let response = refresh(&app, token).await;
        assert!(
            matches!(response.status().as_u16(), 401 | 422),
            "{token:.10}: {}",
            response.status()
        );
    }
}

#[tokio::test]
async fn access_tokens_expire_after_their_lifetime() {
    let app = spawn_app_with(&[("ACCESS_TOKEN_EXPIRE_SECONDS", "60")]).await;
    let user = app.new_user().await;
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        200
    );
    app.clock.advance(chrono::Duration::seconds(61));
    let expired = app.get_auth("/api/v1/auth/me", &user.access_token).await;
    assert_eq!(expired.status(), 401);
    assert_eq!(expired.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        assert_error_shape(&expired.json().await.unwrap()),
        "UNAUTHORIZED"
    );
}

#[tokio::test]
async fn sessions_expire_when_unused_for_the_sliding_lifetime() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    app.clock.advance(chrono::Duration::days(8));
    assert_eq!(refresh(&app, &user.refresh_token).await.status(), 401);
}

#[tokio::test]
async fn sign_out_revokes_the_session_and_its_tokens_at_once() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let out = app
        .post_json_auth("/api/v1/auth/signout", &user.access_token, &json!({}))
        .await;
    assert_eq!(out.status(), 200);
    assert_eq!(
        out.json::<Value>().await.unwrap()["message"],
        "Successfully signed out"
    );
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        401
    );
    assert_eq!(refresh(&app, &user.refresh_token).await.status(), 401);
}

#[tokio::test]
async fn tampered_or_foreign_tokens_are_refused() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let mut parts: Vec<String> = user.access_token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    let tampered = parts.join(".");
    let unsigned = format!("{}.{}.", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0", parts[1]);
    for token in [tampered.as_str(), unsigned.as_str(), "not.a.jwt", "abc"] {
        assert_eq!(
            app.get_auth("/api/v1/auth/me", token).await.status(),
            401,
            "{token:.20}"
        );
    }
    let no_header = app.get("/api/v1/auth/me").await;
    assert_eq!(no_header.status(), 401);
    assert_eq!(no_header.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn password_change_requires_the_current_password_and_revokes_other_sessions() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (other_access, _) = app.sign_in_tokens(&user).await;
    let wrong = app
        .post_json_auth(
            "/api/v1/auth/password/change",
            &user.access_token,
            &json!({"current_password": "nope", "new_password": "New-Password-456"}),
        )
        .await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(
        assert_error_shape(&wrong.json().await.unwrap()),
        "INVALID_PASSWORD"
    );
    let weak = app
        .post_json_auth(
            "/api/v1/auth/password/change",
            &user.access_token,
            &json!({"current_password": user.password, "new_password": "weak"}),
        )
        .await;
    assert_eq!(weak.status(), 400);
    assert_eq!(
        assert_error_shape(&weak.json().await.unwrap()),
        "WEAK_PASSWORD"
    );
    let changed = app
        .post_json_auth(
            "/api/v1/auth/password/change",
            &user.access_token,
            &json!({"current_password": user.password, "new_password": "New-Password-456"}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &user.access_token)
            .await
            .status(),
        200,
        "the current session stays"
    );
    assert_eq!(
        app.get_auth("/api/v1/auth/me", &other_access)
            .await
            .status(),
        401,
        "other sessions are revoked"
    );
    assert_eq!(app.sign_in(&user.email, &user.password).await.status(), 401);
    assert_eq!(
        app.sign_in(&user.email, "New-Password-456").await.status(),
        200
    );
}

#[tokio::test]
async fn session_tokens_of_every_algorithm_verify_with_a_third_party_library_and_only_the_jwks() {
    for (alg, expected) in [
        ("RS256", jsonwebtoken::Algorithm::RS256),
        ("ES256", jsonwebtoken::Algorithm::ES256),
        ("EdDSA", jsonwebtoken::Algorithm::EdDSA),
    ] {
        let app = spawn_app_with(&[("JWT_ALGORITHM", alg)]).await;
        let user = app.new_user().await;
        let set: jsonwebtoken::jwk::JwkSet = app
            .get("/.well-known/jwks.json")
            .await
            .json()
            .await
            .unwrap();
        let header = jsonwebtoken::decode_header(&user.access_token).unwrap();
        assert_eq!(header.alg, expected, "{alg}");
        let jwk = set
            .find(header.kid.as_deref().expect("a kid"))
            .expect("the kid is published");
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(expected);
        validation.set_issuer(&["http://localhost:8000"]);
        validation.set_audience(&["janua"]);
        // The app runs on a manual clock in January 2026; the lifetime is checked below.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Value>(&user.access_token, &key, &validation)
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        let claims = data.claims;
        assert_eq!(claims["sub"], user.id.as_str());
        assert_eq!(claims["type"], "access");
        assert_eq!(claims["email"], user.email.as_str());
        assert_eq!(claims["iat"], claims["nbf"]);
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            900
        );
        assert_eq!(claims["jti"].as_str().unwrap().len(), 36);
        assert_eq!(claims["sid"].as_str().unwrap().len(), 36);
        let mut tampered = user.access_token.clone();
        tampered.push('x');
        assert!(jsonwebtoken::decode::<Value>(&tampered, &key, &validation).is_err());
    }
}
