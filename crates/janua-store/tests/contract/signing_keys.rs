//! The key ring's rows: insert and list in creation order, unique `kid` and `id`, state
//! transitions that stamp their time once, and deletion of long-retired keys.

use chrono::{DateTime, TimeZone, Utc};
use janua_core::error::Error;
use janua_core::ids::SigningKeyId;
use janua_core::tokens::keys::SigningAlgorithm;
use janua_core::tokens::store::{KeySource, KeyState, StoredSigningKey};
use serde_json::json;

use crate::backend::for_each_backend;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_767_323_045 + seconds, 123_456_000)
        .unwrap()
}

fn key(kid: &str, alg: SigningAlgorithm, state: KeyState, created: i64) -> StoredSigningKey {
    StoredSigningKey {
        id: SigningKeyId::new(),
        kid: kid.to_owned(),
        alg,
        source: KeySource::Generated,
        private_key_encrypted: Some(format!("v1.sealed-{kid}")),
        public_jwk: json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": "abc", "use": "sig"}),
        state,
        created_at: at(created),
        activates_at: at(created + 300),
        activated_at: None,
        retired_at: None,
        expires_at: None,
    }
}

#[tokio::test]
async fn keys_read_back_exactly_in_creation_order() {
    for_each_backend(|store| async move {
        assert!(store.list_signing_keys().await.unwrap().is_empty());
        let mut second = key("k2", SigningAlgorithm::Es256, KeyState::Active, 10);
        second.activated_at = Some(at(11));
        second.source = KeySource::Imported;
        second.private_key_encrypted = None;
        let first = key("k1", SigningAlgorithm::Rs256, KeyState::Published, 0);
        let mut third = key("k3", SigningAlgorithm::EdDsa, KeyState::Retired, 20);
        third.retired_at = Some(at(30));
        third.expires_at = Some(at(40));
        for k in [&second, &third, &first] {
            store.insert_signing_key(k).await.unwrap();
        }
        assert_eq!(
            store.list_signing_keys().await.unwrap(),
            vec![first, second, third]
        );
    })
    .await;
}

#[tokio::test]
async fn a_taken_kid_or_id_is_a_conflict() {
    for_each_backend(|store| async move {
        let original = key("same", SigningAlgorithm::Rs256, KeyState::Active, 0);
        store.insert_signing_key(&original).await.unwrap();
        let same_kid = key("same", SigningAlgorithm::Rs256, KeyState::Active, 1);
        let Err(Error::Conflict { what }) = store.insert_signing_key(&same_kid).await else {
            panic!("duplicate kid accepted");
        };
        assert_eq!(what, "signing_keys.kid");
        let same_id = StoredSigningKey {
            kid: "other".into(),
            ..original.clone()
        };
        let Err(Error::Conflict { what }) = store.insert_signing_key(&same_id).await else {
            panic!("duplicate id accepted");
        };
        assert_eq!(what, "signing_keys.id");
        assert_eq!(store.list_signing_keys().await.unwrap(), vec![original]);
    })
    .await;
}

#[tokio::test]
async fn state_changes_stamp_their_time_once() {
    for_each_backend(|store| async move {
        store
            .insert_signing_key(&key("k", SigningAlgorithm::Rs256, KeyState::Published, 0))
            .await
            .unwrap();
        assert!(store
            .set_key_state("k", KeyState::Active, at(300))
            .await
            .unwrap());
        assert!(!store
            .set_key_state("k", KeyState::Active, at(301))
            .await
            .unwrap());
        assert!(store
            .set_key_state("k", KeyState::Retired, at(900))
            .await
            .unwrap());
        assert!(!store
            .set_key_state("k", KeyState::Retired, at(901))
            .await
            .unwrap());
        let stored = &store.list_signing_keys().await.unwrap()[0];
        assert_eq!(stored.state, KeyState::Retired);
        assert_eq!(stored.activated_at, Some(at(300)));
        assert_eq!(stored.retired_at, Some(at(900)));
        assert!(!store
            .set_key_state("missing", KeyState::Active, at(0))
            .await
            .unwrap());
    })
    .await;
}

#[tokio::test]
async fn only_keys_retired_before_the_cutoff_are_deleted() {
    for_each_backend(|store| async move {
        let mut old = key("old", SigningAlgorithm::Rs256, KeyState::Retired, 0);
        old.retired_at = Some(at(100));
        let mut recent = key("recent", SigningAlgorithm::Rs256, KeyState::Retired, 1);
        recent.retired_at = Some(at(200));
        let active = key("active", SigningAlgorithm::Rs256, KeyState::Active, 2);
        for k in [&old, &recent, &active] {
            store.insert_signing_key(k).await.unwrap();
        }
        assert_eq!(store.delete_retired_before(at(200)).await.unwrap(), 1);
        let kids: Vec<String> = store
            .list_signing_keys()
            .await
            .unwrap()
            .into_iter()
            .map(|k| k.kid)
            .collect();
        assert_eq!(kids, ["recent", "active"]);
        assert_eq!(store.delete_retired_before(at(200)).await.unwrap(), 0);
    })
    .await;
}
