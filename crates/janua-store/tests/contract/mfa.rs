//! MFA storage: enrolment replaces only an unverified factor, a TOTP step is usable once and
//! only after the last one, backup codes are single use and replaced as a set, removal clears
//! both. The same assertions on every backend.

use janua_core::audit::{Actor, AuditEntry};

use crate::accounts::{at, create_user};
use crate::backend::for_each_backend;

fn audit(action: &str) -> Vec<AuditEntry> {
    vec![AuditEntry::new(
        action,
        Actor::system(),
        &Default::default(),
        at(0),
    )]
}

#[tokio::test]
async fn a_totp_factor_is_enrolled_verified_and_each_step_used_once() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "mfa@example.com").await;
        assert_eq!(store.get_totp(user.id).await.unwrap(), None);
        let codes = vec!["h1".to_owned(), "h2".to_owned()];
        assert!(store
            .begin_totp_enrollment(user.id, "v1.sealed", &codes, at(1))
            .await
            .unwrap());
        // Before verification a new enrolment replaces the pending one.
        assert!(store
            .begin_totp_enrollment(user.id, "v1.other", &codes, at(2))
            .await
            .unwrap());
        let pending = store.get_totp(user.id).await.unwrap().unwrap();
        assert_eq!(pending.secret_sealed, "v1.other");
        assert_eq!(pending.verified_at, None);

        assert!(store
            .activate_totp(user.id, 100, at(3), &audit("mfa.enabled"))
            .await
            .unwrap());
        assert!(
            !store.activate_totp(user.id, 101, at(3), &[]).await.unwrap(),
            "only once"
        );
        // Verified: enrolment no longer replaces it.
        assert!(!store
            .begin_totp_enrollment(user.id, "v1.third", &codes, at(4))
            .await
            .unwrap());
        let active = store.get_totp(user.id).await.unwrap().unwrap();
        assert_eq!(active.secret_sealed, "v1.other");
        assert_eq!(active.verified_at, Some(at(3)));
        assert_eq!(active.last_used_step, Some(100));

        assert!(
            !store.use_totp_step(user.id, 100, at(5), &[]).await.unwrap(),
            "same step"
        );
        assert!(
            !store.use_totp_step(user.id, 99, at(5), &[]).await.unwrap(),
            "earlier step"
        );
        assert!(store
            .use_totp_step(user.id, 101, at(5), &audit("mfa.verified"))
            .await
            .unwrap());
        let used = store.get_totp(user.id).await.unwrap().unwrap();
        assert_eq!(
            (used.last_used_step, used.last_used_at),
            (Some(101), Some(at(5)))
        );
    })
    .await;
}

#[tokio::test]
async fn backup_codes_are_single_use_and_replaced_as_a_set() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "codes@example.com").await;
        let other = create_user(&store, "other@example.com").await;
        let codes = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        store
            .begin_totp_enrollment(user.id, "v1.s", &codes, at(1))
            .await
            .unwrap();
        store.activate_totp(user.id, 1, at(1), &[]).await.unwrap();
        assert_eq!(store.count_unused_backup_codes(user.id).await.unwrap(), 3);
        assert!(
            !store
                .use_backup_code(other.id, "a", at(2), &[])
                .await
                .unwrap(),
            "another user's"
        );
        assert!(store
            .use_backup_code(user.id, "a", at(2), &audit("mfa.verified"))
            .await
            .unwrap());
        assert!(
            !store
                .use_backup_code(user.id, "a", at(3), &[])
                .await
                .unwrap(),
            "twice"
        );
        assert_eq!(store.count_unused_backup_codes(user.id).await.unwrap(), 2);

        let fresh = vec!["x".to_owned(), "y".to_owned()];
        store
            .replace_backup_codes(
                user.id,
                &fresh,
                at(4),
                &audit("mfa.backup_codes_regenerated"),
            )
            .await
            .unwrap();
        assert!(
            !store
                .use_backup_code(user.id, "b", at(5), &[])
                .await
                .unwrap(),
            "old set gone"
        );
        assert_eq!(store.count_unused_backup_codes(user.id).await.unwrap(), 2);

        assert!(store
            .remove_mfa(user.id, &audit("mfa.disabled"))
            .await
            .unwrap());
        assert!(!store.remove_mfa(user.id, &[]).await.unwrap());
        assert_eq!(store.get_totp(user.id).await.unwrap(), None);
        assert_eq!(store.count_unused_backup_codes(user.id).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn mfa_changes_write_their_entries_only_when_they_happen_and_a_refused_enrolment_keeps_the_codes(
) {
    for_each_backend(|store| async move {
        let user = create_user(&store, "mfa-audit@example.com").await;
        let codes = vec!["a".to_owned(), "b".to_owned()];
        store
            .begin_totp_enrollment(user.id, "v1.s", &codes, at(1))
            .await
            .unwrap();
        store
            .begin_totp_enrollment(user.id, "v1.t", &codes, at(2))
            .await
            .unwrap();
        assert_eq!(
            store.get_totp(user.id).await.unwrap().unwrap().created_at,
            at(2),
            "a new enrolment restarts the pending factor"
        );
        let enabled = audit("mfa.enabled");
        assert!(store
            .activate_totp(user.id, 7, at(3), &enabled)
            .await
            .unwrap());
        let refused = audit("mfa.enabled");
        assert!(!store
            .activate_totp(user.id, 8, at(3), &refused)
            .await
            .unwrap());
        let stale = audit("mfa.verified");
        assert!(!store
            .use_totp_step(user.id, 7, at(4), &stale)
            .await
            .unwrap());
        let wrong = audit("mfa.verified");
        assert!(!store
            .use_backup_code(user.id, "zz", at(4), &wrong)
            .await
            .unwrap());

        // A refused enrolment leaves the factor and its backup codes alone.
        assert!(!store
            .begin_totp_enrollment(user.id, "v1.u", &["n".to_owned()], at(5))
            .await
            .unwrap());
        assert_eq!(store.count_unused_backup_codes(user.id).await.unwrap(), 2);

        // A used backup code counts as the factor's last use.
        let used = audit("mfa.verified");
        assert!(store
            .use_backup_code(user.id, "b", at(6), &used)
            .await
            .unwrap());
        let factor = store.get_totp(user.id).await.unwrap().unwrap();
        assert_eq!(
            (factor.last_used_step, factor.last_used_at),
            (Some(7), Some(at(6)))
        );

        let removed = audit("mfa.disabled");
        assert!(store.remove_mfa(user.id, &removed).await.unwrap());
        let again = audit("mfa.disabled");
        assert!(!store.remove_mfa(user.id, &again).await.unwrap());

        for written in [&enabled, &used, &removed] {
            assert!(store.get_audit(written[0].id).await.unwrap().is_some());
        }
        for skipped in [&refused, &stale, &wrong, &again] {
            assert!(store.get_audit(skipped[0].id).await.unwrap().is_none());
        }
    })
    .await;
}
