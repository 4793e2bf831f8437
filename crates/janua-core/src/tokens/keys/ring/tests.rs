//! Tests of the key ring against an in-memory store and a manual clock.

use std::sync::Mutex;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::TimeZone;
use serde::Deserialize;

use super::*;
use crate::clock::ManualClock;
use crate::tokens::keys::rotation::{ACTIVATION_DELAY, PROPAGATION_GRACE};
use jsonwebtoken::{EncodingKey, Header};

#[derive(Default)]
struct MemoryStore(Mutex<Vec<StoredSigningKey>>);

#[async_trait]
impl SigningKeyStore for MemoryStore {
    async fn list_signing_keys(&self) -> Result<Vec<StoredSigningKey>> {
        Ok(self.0.lock().unwrap().clone())
    }

    async fn insert_signing_key(&self, key: &StoredSigningKey) -> Result<()> {
        let mut keys = self.0.lock().unwrap();
        if keys.iter().any(|k| k.kid == key.kid || k.id == key.id) {
            return Err(Error::Conflict {
                what: "signing_keys.id".into(),
            });
        }
        keys.push(key.clone());
        Ok(())
    }

    async fn set_key_state(&self, kid: &str, state: KeyState, at: DateTime<Utc>) -> Result<bool> {
        let mut keys = self.0.lock().unwrap();
        let Some(key) = keys.iter_mut().find(|k| k.kid == kid && k.state != state) else {
            return Ok(false);
        };
        key.state = state;
        match state {
            KeyState::Active => key.activated_at = Some(at),
            KeyState::Retired => key.retired_at = Some(at),
            KeyState::Published => {}
        }
        Ok(true)
    }

    async fn delete_retired_before(&self, at: DateTime<Utc>) -> Result<u64> {
        let mut keys = self.0.lock().unwrap();
        let before = keys.len();
        keys.retain(|k| !(k.state == KeyState::Retired && k.retired_at.is_some_and(|r| r < at)));
        Ok((before - keys.len()) as u64)
    }
}

const SECRET: &[u8] = b"test-secret-key-0123456789-abcdefghijklmnop";
const ISSUER: &str = "https://id.example.com";
const AUDIENCE: &str = "janua";
const EXPECT: TokenExpectations<'static> = TokenExpectations {
    issuer: ISSUER,
    audience: AUDIENCE,
};

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
    ))
}

fn settings() -> KeyRingSettings {
    KeyRingSettings {
        max_token_lifetime: Duration::hours(1),
        imported: None,
        replace_undecryptable: false,
    }
}

async fn ring(store: &MemoryStore, clock: &Arc<ManualClock>) -> KeyRing {
    KeyRing::start(
        store,
        Sealer::from_secret(SECRET).unwrap(),
        clock.clone(),
        settings(),
    )
    .await
    .unwrap()
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    exp: i64,
}

fn claims(clock: &ManualClock) -> Claims {
    Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: "user-1".into(),
        exp: (clock.now() + Duration::minutes(15)).timestamp(),
    }
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

fn jwks_kids(ring: &KeyRing) -> Vec<String> {
    let jwks: Value = serde_json::from_slice(&ring.jwks_json()).unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn start_generates_one_active_key_per_algorithm_and_signs_with_each() {
    let store = MemoryStore::default();
    let clock = clock();
    let ring = ring(&store, &clock).await;
    assert_eq!(jwks_kids(&ring).len(), 3);
    for alg in SigningAlgorithm::ALL {
        let active = ring.active(alg).unwrap();
        let token = ring.sign(alg, &claims(&clock)).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(active.kid.as_str()));
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(header.alg, alg.jwt());
        let back: Claims = ring.verify(&token, &EXPECT).unwrap();
        assert_eq!(back, claims(&clock));
    }
}

#[tokio::test]
async fn a_second_start_on_the_same_store_reuses_the_stored_keys() {
    let store = MemoryStore::default();
    let clock = clock();
    let first = ring(&store, &clock).await;
    let second = ring(&store, &clock).await;
    assert_eq!(store.0.lock().unwrap().len(), 3);
    assert_eq!(jwks_kids(&first), jwks_kids(&second));
    let token = first
        .sign(SigningAlgorithm::EdDsa, &claims(&clock))
        .unwrap();
    second.verify::<Claims>(&token, &EXPECT).unwrap();
}

#[tokio::test]
async fn tokens_failing_any_check_are_unauthorized() {
    let store = MemoryStore::default();
    let clock = clock();
    let ring = ring(&store, &clock).await;
    let token = ring.sign(SigningAlgorithm::Rs256, &claims(&clock)).unwrap();
    let parts: Vec<&str> = token.split('.').collect();

    let other_payload = URL_SAFE_NO_PAD.encode(
        serde_json::to_vec(&Claims {
            sub: "admin".into(),
            ..claims(&clock)
        })
        .unwrap(),
    );
    let tampered = format!("{}.{}.{}", parts[0], other_payload, parts[2]);
    let unknown_kid_header =
        URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT","kid":"not-a-key"}"#);
    let unknown_kid = format!("{unknown_kid_header}.{}.{}", parts[1], parts[2]);
    let hmac = {
        let kid = kid_of(&token);
        let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(kid);
        jsonwebtoken::encode(
            &header,
            &claims(&clock),
            &EncodingKey::from_secret(b"guess"),
        )
        .unwrap()
    };
    let none_header = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
        kid_of(&token)
    ));
    let unsigned = format!("{none_header}.{}.", parts[1]);

    for (name, bad) in [
        ("tampered payload", tampered),
        ("unknown kid", unknown_kid),
        ("HMAC with a ring kid", hmac),
        ("alg none", unsigned),
        ("garbage", "a.b.c".to_owned()),
    ] {
        assert!(
            matches!(
                ring.verify::<Claims>(&bad, &EXPECT),
                Err(Error::Unauthorized)
            ),
            "{name}"
        );
    }
    for expect in [
        TokenExpectations {
            issuer: "https://evil.example.com",
            audience: AUDIENCE,
        },
        TokenExpectations {
            issuer: ISSUER,
            audience: "someone-else",
        },
    ] {
        assert!(ring.verify::<Claims>(&token, &expect).is_err());
    }
    clock.advance(Duration::minutes(15));
    assert!(matches!(
        ring.verify::<Claims>(&token, &EXPECT),
        Err(Error::Unauthorized)
    ));
}

#[tokio::test]
async fn a_rotated_key_is_published_at_once_and_signs_after_the_delay() {
    let store = MemoryStore::default();
    let clock = clock();
    let ring = ring(&store, &clock).await;
    let alg = SigningAlgorithm::Es256;
    let old = ring.active(alg).unwrap().kid;
    let old_token = ring.sign(alg, &claims(&clock)).unwrap();

    let new = ring.rotate(&store, alg, false).await.unwrap();
    assert!(jwks_kids(&ring).contains(&new.kid));
    assert_eq!(kid_of(&ring.sign(alg, &claims(&clock)).unwrap()), old);

    clock.advance(ACTIVATION_DELAY);
    assert_eq!(kid_of(&ring.sign(alg, &claims(&clock)).unwrap()), new.kid);
    ring.refresh(&store).await.unwrap();
    let states: Vec<(String, KeyState)> = store
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|k| k.alg == alg)
        .map(|k| (k.kid.clone(), k.state))
        .collect();
    assert!(states.contains(&(old.clone(), KeyState::Retired)));
    assert!(states.contains(&(new.kid.clone(), KeyState::Active)));
    ring.verify::<Claims>(&old_token, &EXPECT).unwrap();
    assert!(jwks_kids(&ring).contains(&old));

    clock.advance(Duration::hours(1) + PROPAGATION_GRACE + Duration::seconds(1));
    ring.refresh(&store).await.unwrap();
    assert!(!jwks_kids(&ring).contains(&old));
    assert_eq!(
        super::super::stored::prune(&store, clock.now(), Duration::hours(1))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn an_immediate_rotation_signs_with_the_new_key_at_once() {
    let store = MemoryStore::default();
    let clock = clock();
    let ring = ring(&store, &clock).await;
    let new = ring
        .rotate(&store, SigningAlgorithm::Rs256, true)
        .await
        .unwrap();
    let token = ring.sign(SigningAlgorithm::Rs256, &claims(&clock)).unwrap();
    assert_eq!(kid_of(&token), new.kid);
}

#[tokio::test]
async fn a_changed_secret_fails_start_with_a_message_for_the_operator() {
    let store = MemoryStore::default();
    let clock = clock();
    ring(&store, &clock).await;
    let other = Sealer::from_secret(b"a-completely-different-secret-of-32-bytes").unwrap();
    let Err(Error::Internal(message)) =
        KeyRing::start(&store, other, clock.clone(), settings()).await
    else {
        panic!("started with the wrong secret");
    };
    assert!(message.contains("JWT_SECRET_KEY"), "{message}");
}

#[tokio::test]
async fn with_a_generated_secret_undecryptable_keys_verify_only_and_are_replaced() {
    let store = MemoryStore::default();
    let clock = clock();
    let first = ring(&store, &clock).await;
    let old_token = first
        .sign(SigningAlgorithm::Rs256, &claims(&clock))
        .unwrap();
    let other = Sealer::from_secret(b"a-completely-different-secret-of-32-bytes").unwrap();
    clock.advance(Duration::seconds(1));
    let second = KeyRing::start(
        &store,
        other,
        clock.clone(),
        KeyRingSettings {
            replace_undecryptable: true,
            ..settings()
        },
    )
    .await
    .unwrap();
    assert_eq!(store.0.lock().unwrap().len(), 6);
    second.verify::<Claims>(&old_token, &EXPECT).unwrap();
    let new_token = second
        .sign(SigningAlgorithm::Rs256, &claims(&clock))
        .unwrap();
    assert_ne!(kid_of(&new_token), kid_of(&old_token));
}

#[tokio::test]
async fn imported_keys_sign_alone_and_previous_keys_only_verify() {
    let store = MemoryStore::default();
    let clock = clock();
    let current = PrivateKey::generate(SigningAlgorithm::EdDsa).unwrap();
    let previous_ring = ring(&MemoryStore::default(), &clock).await;
    let old_token = previous_ring
        .sign(SigningAlgorithm::Rs256, &claims(&clock))
        .unwrap();
    let old_public = previous_ring.active(SigningAlgorithm::Rs256).unwrap();
    let old_jwk: Value = serde_json::from_slice::<Value>(&previous_ring.jwks_json()).unwrap()
        ["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == old_public.kid.as_str())
        .unwrap()
        .clone();
    let imported = ImportedKeys {
        signing: current.clone(),
        kid: "env-2026".into(),
        previous: vec![(
            old_public.kid.clone(),
            PublicKey::from_jwk(&old_jwk).unwrap(),
        )],
    };
    let ring = KeyRing::start(
        &store,
        Sealer::from_secret(SECRET).unwrap(),
        clock.clone(),
        KeyRingSettings {
            imported: Some(imported),
            ..settings()
        },
    )
    .await
    .unwrap();
    assert!(
        store.0.lock().unwrap().is_empty(),
        "imported keys are not stored"
    );
    assert_eq!(
        jwks_kids(&ring),
        vec!["env-2026".to_owned(), old_public.kid]
    );
    let token = ring.sign(SigningAlgorithm::EdDsa, &claims(&clock)).unwrap();
    assert_eq!(kid_of(&token), "env-2026");
    ring.verify::<Claims>(&token, &EXPECT).unwrap();
    ring.verify::<Claims>(&old_token, &EXPECT).unwrap();
    assert!(ring.sign(SigningAlgorithm::Rs256, &claims(&clock)).is_err());
    assert!(matches!(
        ring.rotate(&store, SigningAlgorithm::EdDsa, false).await,
        Err(Error::Validation(_))
    ));
}

#[test]
fn imported_pem_keys_use_the_thumbprint_kid_unless_one_is_given() {
    let key = PrivateKey::generate(SigningAlgorithm::Es256).unwrap();
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", key.pkcs8().to_vec()));
    let thumbprint = key.public_key().unwrap().thumbprint();
    let imported = ImportedKeys::from_pem(SigningAlgorithm::Es256, &pem, None, None, &[]).unwrap();
    assert_eq!(imported.kid(), thumbprint);
    let named =
        ImportedKeys::from_pem(SigningAlgorithm::Es256, &pem, Some("k1"), None, &[]).unwrap();
    assert_eq!(named.kid(), "k1");
    assert!(ImportedKeys::from_pem(SigningAlgorithm::Rs256, &pem, None, None, &[]).is_err());
}
