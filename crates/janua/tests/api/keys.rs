//! The key ring as relying parties see it: `GET /.well-known/jwks.json`, tokens that verify
//! with nothing but that document (through the `jsonwebtoken` crate), rotation with a
//! publication delay, and several instances on one database sharing one ring.

use std::collections::BTreeSet;

use chrono::Duration;
use janua::jobs::key_rotation;
use janua_core::tokens::keys::{SigningAlgorithm, TokenExpectations};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::helpers::{
    spawn_app, spawn_app_sharing_database, spawn_app_with, spawn_two_apps_at_once, TestApp,
};

const ISSUER: &str = "http://localhost:8000";
const AUDIENCE: &str = "janua";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    iat: i64,
    exp: i64,
}

/// Claims valid both for the app's manual clock and for a third party's wall clock: `exp` in
/// 2100.
fn claims(app: &TestApp) -> Claims {
    use janua_core::clock::Clock;
    Claims {
        iss: app.state.config.tokens.issuer.clone(),
        aud: AUDIENCE.to_owned(),
        sub: "0190f3c2-8b7a-7def-8123-456789abcdef".to_owned(),
        iat: app.clock.now().timestamp(),
        exp: 4_102_444_800,
    }
}

fn expectations(app: &TestApp) -> TokenExpectations<'_> {
    TokenExpectations {
        issuer: &app.state.config.tokens.issuer,
        audience: AUDIENCE,
    }
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn jwks(app: &TestApp) -> Value {
    let (status, body) = app.get_json("/.well-known/jwks.json").await;
    assert_eq!(status, 200);
    body
}

async fn jwks_kids(app: &TestApp) -> BTreeSet<String> {
    jwks(app).await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn jwt_alg(alg: SigningAlgorithm) -> jsonwebtoken::Algorithm {
    match alg {
        SigningAlgorithm::Rs256 => jsonwebtoken::Algorithm::RS256,
        SigningAlgorithm::Es256 => jsonwebtoken::Algorithm::ES256,
        SigningAlgorithm::EdDsa => jsonwebtoken::Algorithm::EdDSA,
    }
}

#[tokio::test]
async fn jwks_lists_one_public_key_per_algorithm_and_may_be_cached_for_five_minutes() {
    let app = spawn_app().await;
    let response = app.get("/.well-known/jwks.json").await;
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("cache-control"), "public, max-age=300");
    let body: Value = response.json().await.unwrap();
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3, "{body}");

    let mut seen = BTreeSet::new();
    for key in keys {
        let mut members: Vec<&str> = key
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        members.sort_unstable();
        let (expected, kty): (&[&str], &str) = match key["alg"].as_str().unwrap() {
            "RS256" => (&["alg", "e", "kid", "kty", "n", "use"], "RSA"),
            "ES256" => (&["alg", "crv", "kid", "kty", "use", "x", "y"], "EC"),
            "EdDSA" => (&["alg", "crv", "kid", "kty", "use", "x"], "OKP"),
            other => panic!("unexpected alg {other}"),
        };
        assert_eq!(members, expected, "{key}");
        assert_eq!(key["kty"], kty);
        assert_eq!(key["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(
                key.get(private).is_none(),
                "private member {private} in {key}"
            );
        }
        match kty {
            "EC" => assert_eq!(key["crv"], "P-256"),
            "OKP" => assert_eq!(key["crv"], "Ed25519"),
            _ => assert_eq!(key["e"], "AQAB"),
        }
        seen.insert(key["alg"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen.len(), 3);
}

#[tokio::test]
async fn tokens_from_the_ring_verify_with_nothing_but_the_published_jwks() {
    let app = spawn_app().await;
    let set: JwkSet = serde_json::from_value(jwks(&app).await).unwrap();
    for alg in SigningAlgorithm::ALL {
        let token = app.state.keys.sign(alg, &claims(&app)).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, jwt_alg(alg));
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        let jwk: &Jwk = set.find(header.kid.as_deref().unwrap()).unwrap();
        let key = DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = Validation::new(jwt_alg(alg));
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Claims>(&token, &key, &validation)
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(data.claims, claims(&app));

        let mut wrong_audience = validation.clone();
        wrong_audience.set_audience(&["someone-else"]);
        assert!(jsonwebtoken::decode::<Claims>(&token, &key, &wrong_audience).is_err());
    }
}

#[tokio::test]
async fn the_ring_rejects_tampered_tokens_and_unknown_kids() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    let app = spawn_app().await;
    for alg in SigningAlgorithm::ALL {
        let token = app.state.keys.sign(alg, &claims(&app)).unwrap();
        let back: Claims = app.state.keys.verify(&token, &expectations(&app)).unwrap();
        assert_eq!(back, claims(&app));

        let parts: Vec<&str> = token.split('.').collect();
        let forged = Claims {
            sub: "someone-else".to_owned(),
            ..claims(&app)
        };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);
        assert!(app
            .state
            .keys
            .verify::<Claims>(&tampered, &expectations(&app))
            .is_err());

        let header = format!(
            r#"{{"alg":"{}","typ":"JWT","kid":"unknown"}}"#,
            alg.as_str()
        );
        let unknown = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            parts[1],
            parts[2]
        );
        assert!(app
            .state
            .keys
            .verify::<Claims>(&unknown, &expectations(&app))
            .is_err());
    }
}

#[tokio::test]
async fn a_rotated_key_is_published_at_once_and_signs_after_five_minutes() {
    let app = spawn_app().await;
    let alg = SigningAlgorithm::Es256;
    let old_kid = app.state.keys.active(alg).unwrap().kid;
    let old_token = app.state.keys.sign(alg, &claims(&app)).unwrap();

    let new = app
        .state
        .keys
        .rotate(app.state.store.as_ref(), alg, false)
        .await
        .unwrap();
    let published = jwks_kids(&app).await;
    assert!(published.contains(&new.kid) && published.contains(&old_kid));
    assert_eq!(
        kid_of(&app.state.keys.sign(alg, &claims(&app)).unwrap()),
        old_kid
    );

    app.clock.advance(Duration::minutes(5));
    key_rotation::run_once(&app.state).await.unwrap();
    assert_eq!(
        kid_of(&app.state.keys.sign(alg, &claims(&app)).unwrap()),
        new.kid
    );
    let published = jwks_kids(&app).await;
    assert!(
        published.contains(&old_kid),
        "the retired key stays published"
    );
    let back: Claims = app
        .state
        .keys
        .verify(&old_token, &expectations(&app))
        .unwrap();
    assert_eq!(back.sub, claims(&app).sub);
    assert_eq!(published.len(), 4);
}

#[tokio::test]
async fn instances_on_one_database_share_keys_and_see_each_others_rotations_after_a_refresh() {
    let a = spawn_app().await;
    let b = spawn_app_sharing_database(&a).await;
    assert_eq!(jwks_kids(&a).await, jwks_kids(&b).await);
    let token = a
        .state
        .keys
        .sign(SigningAlgorithm::Rs256, &claims(&a))
        .unwrap();
    b.state
        .keys
        .verify::<Claims>(&token, &expectations(&b))
        .unwrap();

    let new = a
        .state
        .keys
        .rotate(a.state.store.as_ref(), SigningAlgorithm::Rs256, false)
        .await
        .unwrap();
    assert!(!jwks_kids(&b).await.contains(&new.kid));
    key_rotation::run_once(&b.state).await.unwrap();
    assert!(jwks_kids(&b).await.contains(&new.kid));
    assert_eq!(jwks_kids(&a).await, jwks_kids(&b).await);

    for app in [&a, &b] {
        app.clock.advance(Duration::minutes(5));
    }
    let from_b = b
        .state
        .keys
        .sign(SigningAlgorithm::Rs256, &claims(&b))
        .unwrap();
    assert_eq!(kid_of(&from_b), new.kid);
    a.state
        .keys
        .verify::<Claims>(&from_b, &expectations(&a))
        .unwrap();
}

#[tokio::test]
async fn instances_starting_at_once_on_a_new_database_agree_on_one_key_per_algorithm() {
    let (a, b) = spawn_two_apps_at_once().await;
    let kids = jwks_kids(&a).await;
    assert_eq!(kids.len(), 3);
    assert_eq!(kids, jwks_kids(&b).await);
    for alg in SigningAlgorithm::ALL {
        assert_eq!(a.state.keys.active(alg), b.state.keys.active(alg));
    }
}

#[tokio::test]
async fn the_jwks_route_is_in_the_openapi_document() {
    let app = spawn_app().await;
    let (_, spec) = app.get_json("/openapi.json").await;
    assert!(spec["paths"]["/.well-known/jwks.json"]["get"].is_object());
}

#[tokio::test]
async fn with_jwt_private_key_only_the_env_key_signs_and_previous_keys_are_published() {
    let current = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let previous = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let app = spawn_app_with(&[
        ("JWT_ALGORITHM", "ES256"),
        ("JWT_PRIVATE_KEY", &current.serialize_pem()),
        ("JWT_KID", "env-2026"),
        ("JWT_PREVIOUS_PUBLIC_KEYS", &previous.public_key_pem()),
    ])
    .await;
    let body = jwks(&app).await;
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{body}");
    assert_eq!(keys[0]["kid"], "env-2026");
    assert_eq!(keys[0]["alg"], "ES256");
    assert_eq!(keys[1]["alg"], "EdDSA");
    assert_eq!(keys[1]["kty"], "OKP");

    let token = app
        .state
        .keys
        .sign(SigningAlgorithm::Es256, &claims(&app))
        .unwrap();
    assert_eq!(kid_of(&token), "env-2026");
    let set: JwkSet = serde_json::from_value(body).unwrap();
    let key = DecodingKey::from_jwk(set.find("env-2026").unwrap()).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    jsonwebtoken::decode::<Claims>(&token, &key, &validation).unwrap();
    assert!(app
        .state
        .keys
        .sign(SigningAlgorithm::Rs256, &claims(&app))
        .is_err());
}
