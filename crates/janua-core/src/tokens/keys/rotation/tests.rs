//! Tests of the rotation rules.

use chrono::TimeZone;
use serde_json::json;

use super::*;

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn key(kid: &str, alg: SigningAlgorithm, state: KeyState, activates_at: i64) -> StoredSigningKey {
    StoredSigningKey {
        id: SigningKeyId::new(),
        kid: kid.to_owned(),
        alg,
        source: KeySource::Generated,
        private_key_encrypted: None,
        public_jwk: json!({}),
        state,
        created_at: t(activates_at),
        activates_at: t(activates_at),
        activated_at: None,
        retired_at: None,
        expires_at: None,
    }
}

const RS: SigningAlgorithm = SigningAlgorithm::Rs256;
const ES: SigningAlgorithm = SigningAlgorithm::Es256;

#[test]
fn nothing_changes_while_a_published_key_is_not_yet_due() {
    let keys = [
        key("old", RS, KeyState::Active, 0),
        key("new", RS, KeyState::Published, 10),
    ];
    assert!(plan_rotation(&keys, t(9)).is_empty());
}

#[test]
fn a_due_published_key_activates_at_its_time_and_retires_the_active_key_then() {
    let keys = [
        key("old", RS, KeyState::Active, 0),
        key("new", RS, KeyState::Published, 10),
    ];
    assert_eq!(
        plan_rotation(&keys, t(12)),
        vec![
            KeyChange::Activate {
                kid: "new".into(),
                at: t(10)
            },
            KeyChange::Retire {
                kid: "old".into(),
                at: t(10)
            },
        ]
    );
}

#[test]
fn algorithms_rotate_independently() {
    let keys = [
        key("rs-old", RS, KeyState::Active, 0),
        key("rs-new", RS, KeyState::Published, 10),
        key("es", ES, KeyState::Active, 0),
    ];
    let changes = plan_rotation(&keys, t(10));
    assert_eq!(changes.len(), 2);
    assert!(changes.iter().all(|c| !matches!(c,
        KeyChange::Activate { kid, .. } | KeyChange::Retire { kid, .. } if kid == "es")));
}

#[test]
fn of_several_due_keys_the_latest_wins_and_the_others_retire() {
    let keys = [
        key("a", RS, KeyState::Active, 0),
        key("b", RS, KeyState::Published, 5),
        key("c", RS, KeyState::Published, 8),
    ];
    let changes = plan_rotation(&keys, t(9));
    assert!(changes.contains(&KeyChange::Activate {
        kid: "c".into(),
        at: t(8)
    }));
    assert!(changes.contains(&KeyChange::Retire {
        kid: "a".into(),
        at: t(8)
    }));
    assert!(changes.contains(&KeyChange::Retire {
        kid: "b".into(),
        at: t(8)
    }));
}

#[test]
fn two_active_keys_of_one_algorithm_resolve_to_the_same_winner_in_any_order() {
    let mut keys = vec![
        key("k1", RS, KeyState::Active, 0),
        key("k2", RS, KeyState::Active, 0),
    ];
    keys[0].id = SigningKeyId::from_uuid(uuid::Uuid::from_u128(1));
    keys[1].id = SigningKeyId::from_uuid(uuid::Uuid::from_u128(2));
    let first = plan_rotation(&keys, t(1));
    keys.reverse();
    assert_eq!(plan_rotation(&keys, t(1)), first);
    assert_eq!(
        first,
        vec![KeyChange::Retire {
            kid: "k1".into(),
            at: t(0)
        }]
    );
}

#[test]
fn retired_keys_are_never_candidates() {
    let keys = [
        key("gone", RS, KeyState::Retired, 20),
        key("live", RS, KeyState::Active, 0),
    ];
    assert!(plan_rotation(&keys, t(30)).is_empty());
    let signer = pick_signer(keys.iter().map(Candidate::from), t(30)).unwrap();
    assert_eq!(signer.kid, "live");
}

#[test]
fn rotation_is_due_after_the_interval_unless_one_is_pending() {
    let every = Duration::days(30);
    let mut keys = vec![
        key("rs", RS, KeyState::Active, 0),
        key("es", ES, KeyState::Active, 0),
    ];
    assert!(due_for_rotation(&keys, t(0) + every - Duration::minutes(1), every).is_empty());
    assert_eq!(due_for_rotation(&keys, t(0) + every, every), vec![RS, ES]);
    keys.push(key("rs-next", RS, KeyState::Published, 60 * 24 * 30 + 5));
    assert_eq!(due_for_rotation(&keys, t(0) + every, every), vec![ES]);
}

#[test]
fn imported_keys_are_not_rotated_automatically() {
    let mut imported = key("env", RS, KeyState::Active, 0);
    imported.source = KeySource::Imported;
    assert!(
        due_for_rotation(&[imported], t(0) + Duration::days(400), Duration::days(1)).is_empty()
    );
}

#[test]
fn retired_keys_expire_after_the_longest_token_lifetime_and_the_grace() {
    let lifetime = Duration::hours(1);
    assert_eq!(
        retired_key_expiry(t(0), lifetime),
        t(60) + PROPAGATION_GRACE
    );
    assert_eq!(prune_cutoff(t(60) + PROPAGATION_GRACE, lifetime), t(0));
}
