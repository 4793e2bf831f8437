//! One-time tokens: stored by hash, consumed once, only with the right kind and before expiry,
//! and exactly once when consumers race.

use chrono::Duration;
use janua_core::auth::store::{NewOneTimeToken, OneTimeTokenKind};
use janua_core::error::Error;
use serde_json::json;

use crate::accounts::{at, create_user};
use crate::backend::for_each_backend;

fn token(kind: OneTimeTokenKind, hash: &str) -> NewOneTimeToken {
    NewOneTimeToken {
        id: uuid::Uuid::now_v7(),
        kind,
        token_hash: hash.to_owned(),
        user_id: None,
        email_normalized: Some("new@example.com".to_owned()),
        payload: json!({"redirect_url": "https://app.example.com/done", "n": 1}),
        created_at: at(0),
        expires_at: at(0) + Duration::minutes(15),
    }
}

#[tokio::test]
async fn a_one_time_token_is_consumed_once_and_returns_what_it_was_issued_for() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "uma@example.com").await;
        let new = NewOneTimeToken {
            user_id: Some(user.id),
            ..token(OneTimeTokenKind::PasswordReset, "reset-hash")
        };
        store.create_one_time_token(&new).await.unwrap();

        let consumed = store
            .consume_one_time_token(OneTimeTokenKind::PasswordReset, "reset-hash", at(60))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(consumed.id, new.id);
        assert_eq!(consumed.kind, OneTimeTokenKind::PasswordReset);
        assert_eq!(consumed.user_id, Some(user.id));
        assert_eq!(
            consumed.email_normalized.as_deref(),
            Some("new@example.com")
        );
        assert_eq!(consumed.payload, new.payload);
        assert_eq!(
            (consumed.created_at, consumed.expires_at),
            (new.created_at, new.expires_at)
        );

        let again = store
            .consume_one_time_token(OneTimeTokenKind::PasswordReset, "reset-hash", at(61))
            .await
            .unwrap();
        assert_eq!(again, None);
    })
    .await;
}

#[tokio::test]
async fn a_token_of_another_kind_an_expired_one_or_an_unknown_hash_is_not_consumed() {
    for_each_backend(|store| async move {
        store
            .create_one_time_token(&token(OneTimeTokenKind::MagicLink, "link"))
            .await
            .unwrap();
        let expiry = at(0) + Duration::minutes(15);
        for (kind, hash, when) in [
            (OneTimeTokenKind::EmailVerification, "link", at(1)),
            (OneTimeTokenKind::MagicLink, "unknown", at(1)),
            (OneTimeTokenKind::MagicLink, "link", expiry),
        ] {
            let result = store
                .consume_one_time_token(kind, hash, when)
                .await
                .unwrap();
            assert_eq!(result, None, "{kind:?} {hash} at {when}");
        }
        // The failed attempts left it usable until it expires.
        let consumed = store
            .consume_one_time_token(
                OneTimeTokenKind::MagicLink,
                "link",
                expiry - Duration::seconds(1),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(consumed.user_id, None);
    })
    .await;
}

#[tokio::test]
async fn every_kind_is_stored_and_a_reused_hash_is_a_conflict() {
    for_each_backend(|store| async move {
        let kinds = [
            OneTimeTokenKind::EmailVerification,
            OneTimeTokenKind::PasswordReset,
            OneTimeTokenKind::MagicLink,
            OneTimeTokenKind::MfaRecovery,
        ];
        for kind in kinds {
            store
                .create_one_time_token(&token(kind, kind.as_str()))
                .await
                .unwrap();
        }
        for kind in kinds {
            let got = store
                .consume_one_time_token(kind, kind.as_str(), at(1))
                .await
                .unwrap();
            assert_eq!(got.map(|t| t.kind), Some(kind));
        }
        let error = store
            .create_one_time_token(&token(OneTimeTokenKind::MagicLink, "magic_link"))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Conflict { what } if what == "one_time_tokens.token_hash"),
            "{error:?}"
        );
        let nul = NewOneTimeToken {
            payload: json!({"x": "\u{0}"}),
            ..token(OneTimeTokenKind::MagicLink, "nul")
        };
        let error = store.create_one_time_token(&nul).await.unwrap_err();
        assert!(matches!(error, Error::Validation(_)), "{error:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_consumers_get_a_token_exactly_once() {
    for_each_backend(|store| async move {
        store
            .create_one_time_token(&token(OneTimeTokenKind::EmailVerification, "contested"))
            .await
            .unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .consume_one_time_token(
                            OneTimeTokenKind::EmailVerification,
                            "contested",
                            at(5),
                        )
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            winners += usize::from(task.await.unwrap().is_some());
        }
        assert_eq!(winners, 1);
    })
    .await;
}
