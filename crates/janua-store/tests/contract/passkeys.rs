//! Passkey storage: unique credential ids, per-user listing, the compare-and-set on the sign
//! count, rename and delete limited to the owner. The same assertions on every backend.

use janua_core::error::Error;
use janua_core::ids::{PasskeyId, UserId};
use janua_core::passkeys::store::PasskeyRecord;
use serde_json::json;

use crate::accounts::{at, create_user};
use crate::backend::for_each_backend;

fn passkey(user: UserId, credential_id: &str, created: i64) -> PasskeyRecord {
    PasskeyRecord {
        id: PasskeyId::new(),
        user_id: user,
        credential_id: credential_id.to_owned(),
        passkey: json!({"cred": {"counter": 0}}),
        sign_count: 0,
        name: "Laptop".to_owned(),
        authenticator_attachment: Some("platform".to_owned()),
        backup_eligible: false,
        backup_state: false,
        created_at: at(created),
        last_used_at: None,
    }
}

#[tokio::test]
async fn passkeys_are_listed_per_user_and_credential_ids_are_unique() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "pk@example.com").await;
        let other = create_user(&store, "pk2@example.com").await;
        let first = passkey(user.id, "cred-1", 1);
        store.add_passkey(&first, &[]).await.unwrap();
        store
            .add_passkey(&passkey(user.id, "cred-2", 2), &[])
            .await
            .unwrap();
        let taken = store
            .add_passkey(&passkey(other.id, "cred-1", 3), &[])
            .await;
        assert!(matches!(taken, Err(Error::Conflict { .. })), "{taken:?}");

        let listed = store.list_passkeys(user.id).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0], first);
        assert!(store.list_passkeys(other.id).await.unwrap().is_empty());
        assert_eq!(
            store.find_passkey_by_credential_id("cred-1").await.unwrap(),
            Some(first)
        );
        assert_eq!(
            store.find_passkey_by_credential_id("nope").await.unwrap(),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn a_use_is_recorded_only_against_the_expected_sign_count() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "count@example.com").await;
        let key = passkey(user.id, "cred-c", 1);
        store.add_passkey(&key, &[]).await.unwrap();
        let updated = json!({"cred": {"counter": 1}});
        assert!(store
            .record_passkey_use(key.id, 0, 1, &updated, at(5), &[])
            .await
            .unwrap());
        assert!(!store
            .record_passkey_use(key.id, 0, 1, &updated, at(6), &[])
            .await
            .unwrap());
        let stored = store
            .find_passkey_by_credential_id("cred-c")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((stored.sign_count, stored.last_used_at), (1, Some(at(5))));
        assert_eq!(stored.passkey, updated);
    })
    .await;
}

#[tokio::test]
async fn only_the_owner_renames_or_deletes() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "own@example.com").await;
        let other = create_user(&store, "not-own@example.com").await;
        let key = passkey(user.id, "cred-o", 1);
        store.add_passkey(&key, &[]).await.unwrap();
        assert_eq!(
            store
                .rename_passkey(other.id, key.id, "Mine", at(2))
                .await
                .unwrap(),
            None
        );
        let renamed = store
            .rename_passkey(user.id, key.id, "Phone", at(2))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(renamed.name, "Phone");
        assert!(!store.delete_passkey(other.id, key.id, &[]).await.unwrap());
        assert!(store.delete_passkey(user.id, key.id, &[]).await.unwrap());
        assert!(store.list_passkeys(user.id).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn passkeys_list_oldest_first_then_by_id_keep_every_field_and_audit_only_real_changes() {
    use janua_core::audit::{Actor, AuditEntry};
    for_each_backend(|store| async move {
        let user = create_user(&store, "order@example.com").await;
        let entry = || {
            vec![AuditEntry::new(
                "passkey",
                Actor::system(),
                &Default::default(),
                at(0),
            )]
        };
        // Added newest first; two share a creation time.
        let late = PasskeyRecord {
            authenticator_attachment: None,
            backup_eligible: true,
            backup_state: true,
            sign_count: 41,
            last_used_at: Some(at(30)),
            ..passkey(user.id, "cred-late", 20)
        };
        let tie_a = passkey(user.id, "cred-tie-a", 10);
        let tie_b = passkey(user.id, "cred-tie-b", 10);
        let added = entry();
        store.add_passkey(&late, &added).await.unwrap();
        store.add_passkey(&tie_a, &[]).await.unwrap();
        store.add_passkey(&tie_b, &[]).await.unwrap();
        let mut ties = [tie_a, tie_b];
        ties.sort_by_key(|k| k.id.as_uuid());
        let listed = store.list_passkeys(user.id).await.unwrap();
        assert_eq!(listed, vec![ties[0].clone(), ties[1].clone(), late.clone()]);

        let clash = entry();
        let taken = store
            .add_passkey(&passkey(user.id, "cred-late", 1), &clash)
            .await;
        assert!(
            matches!(&taken, Err(Error::Conflict { what }) if what == "passkeys.credential_id"),
            "{taken:?}"
        );
        let used = entry();
        assert!(store
            .record_passkey_use(late.id, 41, 42, &json!({}), at(40), &used)
            .await
            .unwrap());
        let stale = entry();
        assert!(!store
            .record_passkey_use(late.id, 41, 43, &json!({}), at(41), &stale)
            .await
            .unwrap());
        let foreign = entry();
        assert!(!store
            .delete_passkey(UserId::new(), late.id, &foreign)
            .await
            .unwrap());
        let deleted = entry();
        assert!(store
            .delete_passkey(user.id, late.id, &deleted)
            .await
            .unwrap());
        for written in [&added, &used, &deleted] {
            assert!(store.get_audit(written[0].id).await.unwrap().is_some());
        }
        for skipped in [&clash, &stale, &foreign] {
            assert!(store.get_audit(skipped[0].id).await.unwrap().is_none());
        }
    })
    .await;
}
