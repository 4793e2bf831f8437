//! Sessions and refresh-token families: opening (session + first token + last sign-in), the
//! live list (revoked and expired sessions left out), revocation of one session or all of a
//! user's with their families, sliding, rotation (exactly once under concurrency, never a live
//! token in a revoked session), and the access-token deny list.

use chrono::Duration;
use janua_core::audit::query::{ActionFilter, AuditFilter, Scope};
use janua_core::audit::{Actor, AuditEntry, RequestContext};
use janua_core::auth::sessions::{DeviceType, SessionLimit};
use janua_core::auth::store::RefreshRotation;
use janua_core::error::Error;
use janua_core::ids::{SessionId, UserId};

use crate::accounts::{at, create_user, new_session};
use crate::backend::{for_each_backend, for_each_database};

fn rotation(used_token_id: uuid::Uuid, new_hash: &str, seconds: i64) -> RefreshRotation {
    RefreshRotation {
        used_token_id,
        new_token_id: uuid::Uuid::now_v7(),
        new_token_hash: new_hash.to_owned(),
        new_expires_at: at(seconds) + Duration::days(30),
        session_expires_at: at(seconds) + Duration::days(1),
        at: at(seconds),
    }
}

#[tokio::test]
async fn opening_a_session_stores_it_with_its_first_refresh_token_and_sets_last_sign_in() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "ivy@example.com").await;
        let new = new_session(user.id, "first-hash", 100);
        let session = store.open_session(&new, &[]).await.unwrap();
        assert_eq!((session.id, session.user_id), (new.id, user.id));
        assert_eq!(session.ip_address, new.ip_address);
        assert_eq!(session.user_agent, new.user_agent);
        assert_eq!(session.device, new.device);
        assert_eq!(session.device.device_type, DeviceType::Desktop);
        assert_eq!(session.amr, vec!["pwd", "mfa"]);
        assert_eq!(
            (
                session.auth_time,
                session.created_at,
                session.last_activity_at
            ),
            (at(100), at(100), at(100))
        );
        assert_eq!(session.expires_at, new.expires_at);
        assert_eq!(session.absolute_expires_at, new.absolute_expires_at);
        assert_eq!(
            (session.revoked_at, session.revoked_reason.clone()),
            (None, None)
        );
        assert_eq!(store.get_session(new.id).await.unwrap(), Some(session));

        let token = store
            .find_refresh_token("first-hash")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((token.session_id, token.user_id), (new.id, user.id));
        assert_eq!(
            (token.created_at, token.expires_at),
            (at(100), new.refresh_expires_at)
        );
        assert_eq!((token.used_at, token.revoked_at), (None, None));
        assert_eq!(store.find_refresh_token("other-hash").await.unwrap(), None);

        let user = store.get_user(user.id).await.unwrap().unwrap();
        assert_eq!(user.last_sign_in_at, Some(at(100)));
        assert_eq!(store.get_session(SessionId::new()).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn each_session_is_its_own_refresh_family() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "jon@example.com").await;
        store
            .open_session(&new_session(user.id, "a", 0), &[])
            .await
            .unwrap();
        store
            .open_session(&new_session(user.id, "b", 1), &[])
            .await
            .unwrap();
        let a = store.find_refresh_token("a").await.unwrap().unwrap();
        let b = store.find_refresh_token("b").await.unwrap().unwrap();
        assert_ne!(a.family_id, b.family_id);
    })
    .await;
}

#[tokio::test]
async fn a_session_for_an_unknown_user_is_not_found_and_a_reused_refresh_hash_is_a_conflict() {
    for_each_backend(|store| async move {
        let error = store
            .open_session(&new_session(UserId::new(), "h", 0), &[])
            .await
            .unwrap_err();
        assert!(matches!(error, Error::NotFound), "{error:?}");

        let user = create_user(&store, "kim@example.com").await;
        store
            .open_session(&new_session(user.id, "same", 0), &[])
            .await
            .unwrap();
        let duplicate = new_session(user.id, "same", 1);
        let error = store.open_session(&duplicate, &[]).await.unwrap_err();
        assert!(
            matches!(&error, Error::Conflict { what } if what == "refresh_tokens.token_hash"),
            "{error:?}"
        );
        // The failed transaction left no half-open session behind.
        assert_eq!(store.get_session(duplicate.id).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn a_browser_session_is_found_by_its_cookie_secret_hash_revoked_or_not() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "cora@example.com").await;
        let mut new = new_session(user.id, "cookie-refresh", 10);
        new.cookie_secret_hash = Some("cookie-digest".to_owned());
        let opened = store.open_session(&new, &[]).await.unwrap();
        let tokens_only = new_session(user.id, "token-refresh", 11);
        store.open_session(&tokens_only, &[]).await.unwrap();

        let found = store
            .find_session_by_secret_hash("cookie-digest")
            .await
            .unwrap();
        assert_eq!(found, Some(opened));
        assert_eq!(
            store.find_session_by_secret_hash("other").await.unwrap(),
            None
        );

        store
            .revoke_session(new.id, "sign_out", at(20), &[])
            .await
            .unwrap();
        let revoked = store
            .find_session_by_secret_hash("cookie-digest")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(revoked.revoked_at, Some(at(20)));
    })
    .await;
}

#[tokio::test]
async fn a_cookie_secret_hash_belongs_to_one_session_only() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "dara@example.com").await;
        let mut first = new_session(user.id, "r1", 0);
        first.cookie_secret_hash = Some("same-digest".to_owned());
        store.open_session(&first, &[]).await.unwrap();
        let mut second = new_session(user.id, "r2", 1);
        second.cookie_secret_hash = Some("same-digest".to_owned());
        let err = store.open_session(&second, &[]).await.unwrap_err();
        assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn live_sessions_leave_out_revoked_and_expired_ones_and_come_newest_first() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "lea@example.com").await;
        let other = create_user(&store, "max@example.com").await;
        let older = store
            .open_session(&new_session(user.id, "1", 0), &[])
            .await
            .unwrap();
        let newer = store
            .open_session(&new_session(user.id, "2", 10), &[])
            .await
            .unwrap();
        let revoked = store
            .open_session(&new_session(user.id, "3", 20), &[])
            .await
            .unwrap();
        store
            .revoke_session(revoked.id, "signout", at(30), &[])
            .await
            .unwrap();
        let mut short = new_session(user.id, "4", 5);
        short.expires_at = at(40);
        store.open_session(&short, &[]).await.unwrap();
        let mut capped = new_session(user.id, "5", 6);
        capped.absolute_expires_at = at(40);
        store.open_session(&capped, &[]).await.unwrap();
        store
            .open_session(&new_session(other.id, "6", 7), &[])
            .await
            .unwrap();

        let ids = |sessions: Vec<janua_core::auth::sessions::Session>| {
            sessions.into_iter().map(|s| s.id).collect::<Vec<_>>()
        };
        let before = store.list_live_sessions(user.id, at(39)).await.unwrap();
        assert_eq!(ids(before), vec![newer.id, capped.id, short.id, older.id]);
        // Expiry is exclusive: at `expires_at` a session is over.
        let after = store.list_live_sessions(user.id, at(40)).await.unwrap();
        assert_eq!(ids(after), vec![newer.id, older.id]);
    })
    .await;
}

#[tokio::test]
async fn revoking_a_session_revokes_its_whole_family_and_says_whether_it_changed() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "ned@example.com").await;
        let session = store
            .open_session(&new_session(user.id, "g0", 0), &[])
            .await
            .unwrap();
        let g0 = store.find_refresh_token("g0").await.unwrap().unwrap();
        assert!(store
            .rotate_refresh_token(&rotation(g0.id, "g1", 10))
            .await
            .unwrap());
        let keep = store
            .open_session(&new_session(user.id, "other", 1), &[])
            .await
            .unwrap();

        assert!(store
            .revoke_session(session.id, "signout", at(20), &[])
            .await
            .unwrap());
        let read = store.get_session(session.id).await.unwrap().unwrap();
        assert_eq!(read.revoked_at, Some(at(20)));
        assert_eq!(read.revoked_reason.as_deref(), Some("signout"));
        let g0 = store.find_refresh_token("g0").await.unwrap().unwrap();
        let g1 = store.find_refresh_token("g1").await.unwrap().unwrap();
        assert_eq!((g0.used_at, g0.revoked_at), (Some(at(10)), Some(at(20))));
        assert_eq!((g1.used_at, g1.revoked_at), (None, Some(at(20))));
        let g1_id = g1.id;
        assert!(!store
            .rotate_refresh_token(&rotation(g1_id, "g2", 21))
            .await
            .unwrap());

        // A second revocation changes nothing, not even the time or reason.
        assert!(!store
            .revoke_session(session.id, "again", at(30), &[])
            .await
            .unwrap());
        let read = store.get_session(session.id).await.unwrap().unwrap();
        assert_eq!(
            (read.revoked_at, read.revoked_reason.as_deref()),
            (Some(at(20)), Some("signout"))
        );
        assert!(!store
            .revoke_session(SessionId::new(), "x", at(30), &[])
            .await
            .unwrap());

        let untouched = store.find_refresh_token("other").await.unwrap().unwrap();
        assert_eq!(untouched.revoked_at, None);
        assert_eq!(
            store
                .get_session(keep.id)
                .await
                .unwrap()
                .unwrap()
                .revoked_at,
            None
        );
    })
    .await;
}

#[tokio::test]
async fn revoking_a_users_sessions_spares_the_kept_one_and_returns_the_revoked_ids() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "ola@example.com").await;
        let other = create_user(&store, "pat@example.com").await;
        let current = store
            .open_session(&new_session(user.id, "c", 0), &[])
            .await
            .unwrap();
        let a = store
            .open_session(&new_session(user.id, "a", 1), &[])
            .await
            .unwrap();
        let b = store
            .open_session(&new_session(user.id, "b", 2), &[])
            .await
            .unwrap();
        let mut expired = new_session(user.id, "e", 3);
        expired.expires_at = at(50);
        let expired = store.open_session(&expired, &[]).await.unwrap();
        let theirs = store
            .open_session(&new_session(other.id, "t", 4), &[])
            .await
            .unwrap();

        let mut revoked = store
            .revoke_user_sessions(user.id, Some(current.id), "password_changed", at(60), &[])
            .await
            .unwrap();
        revoked.sort();
        let mut expected = vec![a.id, b.id];
        expected.sort();
        assert_eq!(revoked, expected);
        for hash in ["a", "b"] {
            let token = store.find_refresh_token(hash).await.unwrap().unwrap();
            assert_eq!(token.revoked_at, Some(at(60)));
        }
        let read = store.get_session(a.id).await.unwrap().unwrap();
        assert_eq!(read.revoked_reason.as_deref(), Some("password_changed"));
        for (id, hash) in [(current.id, "c"), (expired.id, "e"), (theirs.id, "t")] {
            assert_eq!(
                store.get_session(id).await.unwrap().unwrap().revoked_at,
                None
            );
            assert_eq!(
                store
                    .find_refresh_token(hash)
                    .await
                    .unwrap()
                    .unwrap()
                    .revoked_at,
                None
            );
        }

        let rest = store
            .revoke_user_sessions(user.id, None, "password_reset", at(61), &[])
            .await
            .unwrap();
        assert_eq!(rest, vec![current.id]);
        assert!(store
            .revoke_user_sessions(user.id, None, "password_reset", at(62), &[])
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_session_opened_within_the_limit_revokes_the_oldest_live_ones_with_their_tokens() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "quin@example.com").await;
        let other = create_user(&store, "rae@example.com").await;
        let mut opened = Vec::new();
        for (n, hash) in ["s0", "s1", "s2", "s3"].into_iter().enumerate() {
            let session = store
                .open_session(&new_session(user.id, hash, n as i64), &[])
                .await
                .unwrap();
            opened.push(session.id);
        }
        let mut expired = new_session(user.id, "old", 5);
        expired.expires_at = at(6);
        let expired = store.open_session(&expired, &[]).await.unwrap();
        let theirs = store
            .open_session(&new_session(other.id, "theirs", 6), &[])
            .await
            .unwrap();
        let audit = vec![AuditEntry::new(
            "session.revoked",
            Actor::system(),
            &RequestContext::default(),
            at(10),
        )
        .target("user", user.id)];
        let limit = SessionLimit {
            keep: 2,
            reason: "session_limit",
            audit,
        };

        let (newest, mut trimmed) = store
            .open_session_within_limit(&new_session(user.id, "s4", 10), &[], Some(&limit))
            .await
            .unwrap();
        trimmed.sort();
        let mut oldest = vec![opened[0], opened[1], opened[2]];
        oldest.sort();
        assert_eq!(trimmed, oldest);
        let live: Vec<SessionId> = store
            .list_live_sessions(user.id, at(10))
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(live, vec![newest.id, opened[3]]);
        for (hash, revoked) in [
            ("s0", true),
            ("s1", true),
            ("s2", true),
            ("s3", false),
            ("s4", false),
        ] {
            let token = store.find_refresh_token(hash).await.unwrap().unwrap();
            assert_eq!(token.revoked_at.is_some(), revoked, "{hash}");
        }
        let read = store.get_session(opened[0]).await.unwrap().unwrap();
        assert_eq!(read.revoked_reason.as_deref(), Some("session_limit"));
        // The expired session is not live, so it neither counts nor is touched; nor are
        // another user's sessions.
        for id in [expired.id, theirs.id] {
            assert_eq!(
                store.get_session(id).await.unwrap().unwrap().revoked_at,
                None
            );
        }
        let revoked_entries = AuditFilter {
            action: Some(ActionFilter::Exact("session.revoked".to_owned())),
            ..AuditFilter::within(Scope::All)
        };
        assert_eq!(store.count_audit(&revoked_entries).await.unwrap(), 1);

        // Within the limit nothing is revoked, and the limit's entry is not written.
        let (_, none) = store
            .open_session_within_limit(&new_session(other.id, "t1", 11), &[], Some(&limit))
            .await
            .unwrap();
        assert!(none.is_empty());
        let revoked_entries = AuditFilter {
            action: Some(ActionFilter::Exact("session.revoked".to_owned())),
            ..AuditFilter::within(Scope::All)
        };
        assert_eq!(store.count_audit(&revoked_entries).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn touching_a_session_slides_its_expiry_and_an_unknown_one_is_not_found() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "quin@example.com").await;
        let session = store
            .open_session(&new_session(user.id, "h", 0), &[])
            .await
            .unwrap();
        store
            .touch_session(session.id, at(500) + Duration::days(1), at(500))
            .await
            .unwrap();
        let read = store.get_session(session.id).await.unwrap().unwrap();
        assert_eq!(read.expires_at, at(500) + Duration::days(1));
        assert_eq!(read.last_activity_at, at(500));
        let error = store
            .touch_session(SessionId::new(), at(1), at(1))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::NotFound), "{error:?}");
    })
    .await;
}

#[tokio::test]
async fn rotating_a_refresh_token_marks_it_used_adds_its_successor_and_slides_the_session() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "ray@example.com").await;
        let session = store
            .open_session(&new_session(user.id, "r0", 0), &[])
            .await
            .unwrap();
        let r0 = store.find_refresh_token("r0").await.unwrap().unwrap();
        let step = rotation(r0.id, "r1", 300);
        assert!(store.rotate_refresh_token(&step).await.unwrap());

        let used = store.find_refresh_token("r0").await.unwrap().unwrap();
        assert_eq!((used.used_at, used.revoked_at), (Some(at(300)), None));
        let r1 = store.find_refresh_token("r1").await.unwrap().unwrap();
        assert_eq!(r1.id, step.new_token_id);
        assert_eq!(
            (r1.session_id, r1.family_id, r1.user_id),
            (session.id, r0.family_id, user.id)
        );
        assert_eq!(
            (r1.created_at, r1.expires_at),
            (at(300), step.new_expires_at)
        );
        assert_eq!((r1.used_at, r1.revoked_at), (None, None));
        let slid = store.get_session(session.id).await.unwrap().unwrap();
        assert_eq!(
            (slid.expires_at, slid.last_activity_at),
            (step.session_expires_at, at(300))
        );

        // The used token cannot be rotated again, and that attempt changes nothing.
        assert!(!store
            .rotate_refresh_token(&rotation(r0.id, "r1-bis", 400))
            .await
            .unwrap());
        assert_eq!(store.find_refresh_token("r1-bis").await.unwrap(), None);
        let same = store.get_session(session.id).await.unwrap().unwrap();
        assert_eq!(same.last_activity_at, at(300));
        assert!(!store
            .rotate_refresh_token(&rotation(uuid::Uuid::now_v7(), "r-unknown", 400))
            .await
            .unwrap());
    })
    .await;
}

#[tokio::test]
async fn a_refresh_token_left_live_in_a_revoked_session_does_not_rotate() {
    // Revocation revokes a session's tokens in the same transaction, so this state only arises
    // from a bug or a hand edit; rotation must refuse it on its own.
    for_each_database(|db| async move {
        let store = db.connect().await;
        let user = create_user(&store, "rex@example.com").await;
        let session = store
            .open_session(&new_session(user.id, "x0", 0), &[])
            .await
            .unwrap();
        let x0 = store.find_refresh_token("x0").await.unwrap().unwrap();
        db.execute_raw(&format!(
            "UPDATE sessions SET revoked_at = expires_at WHERE id = '{}'",
            session.id
        ))
        .await;
        assert!(!store
            .rotate_refresh_token(&rotation(x0.id, "x1", 300))
            .await
            .unwrap());
        assert_eq!(store.find_refresh_token("x1").await.unwrap(), None);
        let token = store.find_refresh_token("x0").await.unwrap().unwrap();
        assert_eq!(token.used_at, None);
        let read = store.get_session(session.id).await.unwrap().unwrap();
        assert_eq!(read.last_activity_at, session.last_activity_at);
        store.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_rotations_of_one_refresh_token_succeed_exactly_once() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "sam@example.com").await;
        store
            .open_session(&new_session(user.id, "race-0", 0), &[])
            .await
            .unwrap();
        let used = store.find_refresh_token("race-0").await.unwrap().unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .rotate_refresh_token(&rotation(used.id, &format!("race-1-{i}"), 10))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            winners += usize::from(task.await.unwrap());
        }
        assert_eq!(winners, 1);
        let mut successors = 0;
        for i in 0..16 {
            successors += usize::from(
                store
                    .find_refresh_token(&format!("race-1-{i}"))
                    .await
                    .unwrap()
                    .is_some(),
            );
        }
        assert_eq!(successors, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotation_racing_a_revocation_never_leaves_a_live_token_in_the_revoked_session() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "tia@example.com").await;
        for round in 0..8 {
            let first = format!("round-{round}-0");
            let next = format!("round-{round}-1");
            let session = store
                .open_session(&new_session(user.id, &first, round), &[])
                .await
                .unwrap();
            let used = store.find_refresh_token(&first).await.unwrap().unwrap();
            let rotate = {
                let store = store.clone();
                let step = rotation(used.id, &next, round + 1);
                tokio::spawn(async move { store.rotate_refresh_token(&step).await.unwrap() })
            };
            let revoke = {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .revoke_session(session.id, "signout", at(round + 1), &[])
                        .await
                        .unwrap()
                })
            };
            let rotated = rotate.await.unwrap();
            assert!(revoke.await.unwrap());
            match store.find_refresh_token(&next).await.unwrap() {
                Some(successor) => {
                    assert!(rotated);
                    assert!(successor.revoked_at.is_some(), "round {round}");
                }
                None => assert!(!rotated),
            }
        }
    })
    .await;
}

#[tokio::test]
async fn denied_access_tokens_are_remembered_and_denying_twice_is_harmless() {
    for_each_backend(|store| async move {
        let jti = uuid::Uuid::now_v7();
        assert!(!store.is_access_token_denied(jti).await.unwrap());
        store.deny_access_token(jti, at(900), at(0)).await.unwrap();
        store.deny_access_token(jti, at(900), at(1)).await.unwrap();
        assert!(store.is_access_token_denied(jti).await.unwrap());
        assert!(!store
            .is_access_token_denied(uuid::Uuid::now_v7())
            .await
            .unwrap());
    })
    .await;
}
