//! Users: creation with unique normalised email and username, lookups, credential and profile
//! updates, status, soft delete (which frees the email and ends every session), the admin list
//! (search with escaped wildcards, status filter, paging) and the admin count.

use janua_core::auth::store::UserQuery;
use janua_core::auth::users::{NewUser, ProfileUpdate, UserStatus};
use janua_core::error::Error;
use janua_core::ids::UserId;
use serde_json::json;

use crate::accounts::{at, create_user, new_session, new_user, with_username};
use crate::backend::{for_each_backend, for_each_database};

#[tokio::test]
async fn a_created_user_reads_back_by_id_normalised_email_and_normalised_username() {
    for_each_backend(|store| async move {
        let new = NewUser {
            first_name: Some("Alice".to_owned()),
            last_name: Some("Smith".to_owned()),
            locale: Some("en-GB".to_owned()),
            email_verified: true,
            ..with_username(new_user("Alice.Smith@Example.com"), "Alice_01")
        };
        let created = store.create_user(&new, &[]).await.unwrap();
        assert_eq!(created.id, new.id);
        assert_eq!(created.email, "Alice.Smith@example.com");
        assert_eq!(created.username.as_deref(), Some("Alice_01"));
        assert_eq!(created.password_hash, new.password_hash);
        assert_eq!(created.status, UserStatus::Active);
        assert!(created.email_verified && !created.is_admin && !created.phone_verified);
        assert_eq!(created.first_name.as_deref(), Some("Alice"));
        assert_eq!(created.locale.as_deref(), Some("en-GB"));
        assert_eq!(created.user_metadata, json!({}));
        assert_eq!((created.created_at, created.updated_at), (at(0), at(0)));
        assert_eq!(created.last_sign_in_at, None);

        let by_id = store.get_user(new.id).await.unwrap();
        let by_email = store
            .find_user_by_email("alice.smith@example.com")
            .await
            .unwrap();
        let by_username = store.find_user_by_username("alice_01").await.unwrap();
        assert_eq!(by_id.as_ref(), Some(&created));
        assert_eq!(by_email.as_ref(), Some(&created));
        assert_eq!(by_username.as_ref(), Some(&created));

        assert_eq!(store.get_user(UserId::new()).await.unwrap(), None);
        assert_eq!(
            store
                .find_user_by_email("nobody@example.com")
                .await
                .unwrap(),
            None
        );
        assert_eq!(store.find_user_by_username("nobody").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn a_second_account_with_the_same_normalised_email_is_a_conflict_on_email_normalized() {
    for_each_backend(|store| async move {
        create_user(&store, "bob@example.com").await;
        let error = store
            .create_user(&new_user("BOB@example.com"), &[])
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Conflict { what } if what == "users.email_normalized"),
            "{error:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_second_account_with_the_same_username_is_a_conflict_on_username_normalized() {
    for_each_backend(|store| async move {
        store
            .create_user(&with_username(new_user("a@example.com"), "Carol"), &[])
            .await
            .unwrap();
        let error = store
            .create_user(&with_username(new_user("b@example.com"), "carol"), &[])
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Conflict { what } if what == "users.username_normalized"),
            "{error:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn password_email_verification_admin_flag_image_and_status_are_stored() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "dan@example.com").await;
        store
            .set_password_hash(user.id, "new-hash", at(10), &[])
            .await
            .unwrap();
        store
            .mark_email_verified(user.id, at(20), &[])
            .await
            .unwrap();
        store.set_admin(user.id, true, at(30), &[]).await.unwrap();
        store
            .set_profile_image(user.id, Some("/api/v1/users/x/avatar"), at(40))
            .await
            .unwrap();
        store
            .set_user_status(user.id, UserStatus::Suspended, Some("abuse"), at(50), &[])
            .await
            .unwrap();

        let read = store.get_user(user.id).await.unwrap().unwrap();
        assert_eq!(read.password_hash.as_deref(), Some("new-hash"));
        assert!(read.email_verified && read.is_admin);
        assert_eq!(
            read.profile_image_url.as_deref(),
            Some("/api/v1/users/x/avatar")
        );
        assert_eq!(read.status, UserStatus::Suspended);
        assert_eq!(read.updated_at, at(50));

        store
            .set_profile_image(user.id, None, at(60))
            .await
            .unwrap();
        store
            .set_user_status(user.id, UserStatus::Active, None, at(60), &[])
            .await
            .unwrap();
        let read = store.get_user(user.id).await.unwrap().unwrap();
        assert_eq!(read.profile_image_url, None);
        assert_eq!(read.status, UserStatus::Active);
    })
    .await;
}

#[tokio::test]
async fn updates_of_an_unknown_user_are_not_found() {
    for_each_backend(|store| async move {
        let nobody = UserId::new();
        let results = [
            store.set_password_hash(nobody, "h", at(0), &[]).await,
            store.mark_email_verified(nobody, at(0), &[]).await,
            store.set_admin(nobody, true, at(0), &[]).await,
            store.set_profile_image(nobody, None, at(0)).await,
            store
                .set_user_status(nobody, UserStatus::Inactive, None, at(0), &[])
                .await,
            store.soft_delete_user(nobody, at(0), &[]).await,
            store
                .update_profile(nobody, &ProfileUpdate::default(), at(0), &[])
                .await
                .map(|_| ()),
        ];
        for (i, result) in results.into_iter().enumerate() {
            assert!(matches!(result, Err(Error::NotFound)), "#{i}: {result:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_deleted_status_can_only_be_reached_through_soft_delete() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "erin@example.com").await;
        let error = store
            .set_user_status(user.id, UserStatus::Deleted, None, at(1), &[])
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Validation(_)), "{error:?}");
        let read = store.get_user(user.id).await.unwrap().unwrap();
        assert_eq!(read.status, UserStatus::Active);
    })
    .await;
}

#[tokio::test]
async fn a_profile_update_changes_only_the_given_fields_and_some_none_clears_one() {
    for_each_backend(|store| async move {
        let user = store
            .create_user(
                &NewUser {
                    first_name: Some("Fay".to_owned()),
                    last_name: Some("Old".to_owned()),
                    locale: Some("fr".to_owned()),
                    ..new_user("fay@example.com")
                },
                &[],
            )
            .await
            .unwrap();
        let update = ProfileUpdate {
            last_name: Some(Some("New".to_owned())),
            bio: Some(Some("Hello".to_owned())),
            phone_number: Some(Some("+33123456789".to_owned())),
            timezone: Some(Some("Europe/Paris".to_owned())),
            display_name: Some(Some("Fay N.".to_owned())),
            locale: Some(None),
            user_metadata: Some(json!({"theme": "dark", "n": [1, 2]})),
            ..ProfileUpdate::default()
        };
        let updated = store
            .update_profile(user.id, &update, at(5), &[])
            .await
            .unwrap();
        assert_eq!(updated.first_name.as_deref(), Some("Fay"));
        assert_eq!(updated.last_name.as_deref(), Some("New"));
        assert_eq!(updated.display_name.as_deref(), Some("Fay N."));
        assert_eq!(updated.bio.as_deref(), Some("Hello"));
        assert_eq!(updated.phone_number.as_deref(), Some("+33123456789"));
        assert_eq!(updated.timezone.as_deref(), Some("Europe/Paris"));
        assert_eq!(updated.locale, None);
        assert_eq!(updated.user_metadata, json!({"theme": "dark", "n": [1, 2]}));
        assert_eq!(updated.updated_at, at(5));
        assert_eq!(
            store.get_user(user.id).await.unwrap(),
            Some(updated.clone())
        );

        let nothing = store
            .update_profile(user.id, &ProfileUpdate::default(), at(9), &[])
            .await
            .unwrap();
        assert_eq!(nothing.user_metadata, updated.user_metadata);
        assert_eq!(nothing.last_name, updated.last_name);
        assert_eq!(nothing.updated_at, at(9));
    })
    .await;
}

#[tokio::test]
async fn user_metadata_containing_nul_is_refused_on_every_backend() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "gus@example.com").await;
        let update = ProfileUpdate {
            user_metadata: Some(json!({"k": "a\u{0}b"})),
            ..ProfileUpdate::default()
        };
        let error = store
            .update_profile(user.id, &update, at(1), &[])
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Validation(_)), "{error:?}");
    })
    .await;
}

#[tokio::test]
async fn soft_delete_frees_the_email_clears_credentials_and_revokes_every_session() {
    for_each_backend(|store| async move {
        let user = store
            .create_user(&with_username(new_user("Hal@example.com"), "hal"), &[])
            .await
            .unwrap();
        let first = store
            .open_session(&new_session(user.id, "hash-1", 1), &[])
            .await
            .unwrap();
        let second = store
            .open_session(&new_session(user.id, "hash-2", 2), &[])
            .await
            .unwrap();

        store.soft_delete_user(user.id, at(10), &[]).await.unwrap();
        let deleted = store.get_user(user.id).await.unwrap().unwrap();
        assert_eq!(deleted.status, UserStatus::Deleted);
        assert_eq!(
            deleted.email,
            format!("deleted_{}_Hal@example.com", user.id)
        );
        assert_eq!((deleted.username, deleted.password_hash), (None, None));
        assert_eq!(
            store
                .find_user_by_email(&format!("deleted_{}_hal@example.com", user.id))
                .await
                .unwrap()
                .map(|u| u.id),
            Some(user.id)
        );
        for session in [first.id, second.id] {
            let read = store.get_session(session).await.unwrap().unwrap();
            assert_eq!(read.revoked_at, Some(at(10)));
        }
        for hash in ["hash-1", "hash-2"] {
            let token = store.find_refresh_token(hash).await.unwrap().unwrap();
            assert_eq!(token.revoked_at, Some(at(10)));
        }
        assert!(store
            .list_live_sessions(user.id, at(11))
            .await
            .unwrap()
            .is_empty());

        // The address and the username are free for a new sign-up.
        assert_eq!(
            store.find_user_by_email("hal@example.com").await.unwrap(),
            None
        );
        let again = store
            .create_user(&with_username(new_user("hal@example.com"), "HAL"), &[])
            .await
            .unwrap();
        assert_ne!(again.id, user.id);

        // Deleting again changes nothing, and a deleted account opens no session.
        store.soft_delete_user(user.id, at(20), &[]).await.unwrap();
        let still = store.get_user(user.id).await.unwrap().unwrap();
        assert_eq!(still.email, deleted.email);
        let error = store
            .open_session(&new_session(user.id, "hash-3", 21), &[])
            .await
            .unwrap_err();
        assert!(matches!(error, Error::NotFound), "{error:?}");
    })
    .await;
}

async fn seed_list(store: &std::sync::Arc<dyn janua_core::ports::Store>) -> Vec<UserId> {
    let people = [
        ("ann@example.com", Some("Ann"), Some("Lee"), None),
        (
            "bo_b@example.com",
            Some("Bob"),
            None,
            Some("bob_the_builder"),
        ),
        (
            "carla@shop.example",
            Some("Carla"),
            Some("Percent%Sign"),
            None,
        ),
        ("dave@example.org", None, Some("O'Brien"), Some("DAVE100")),
        ("bob2@example.com", Some("bobby"), None, None),
    ];
    let mut ids = Vec::new();
    for (i, (email, first, last, username)) in people.into_iter().enumerate() {
        let mut user = NewUser {
            first_name: first.map(str::to_owned),
            last_name: last.map(str::to_owned),
            created_at: at(i64::try_from(i).unwrap() * 60),
            ..new_user(email)
        };
        if let Some(username) = username {
            user = with_username(user, username);
        }
        ids.push(store.create_user(&user, &[]).await.unwrap().id);
    }
    ids
}

fn query(search: Option<&str>, page: u32, per_page: u32) -> UserQuery {
    UserQuery {
        search: search.map(str::to_owned),
        status: None,
        page,
        per_page,
    }
}

#[tokio::test]
async fn the_user_list_is_newest_first_paged_and_counted() {
    for_each_backend(|store| async move {
        let ids = seed_list(&store).await;
        let newest_first: Vec<UserId> = ids.iter().rev().copied().collect();

        let (page_one, total) = store.list_users(&query(None, 1, 2)).await.unwrap();
        assert_eq!(total, 5);
        assert_eq!(
            page_one.iter().map(|u| u.id).collect::<Vec<_>>(),
            newest_first[..2]
        );
        let (page_three, _) = store.list_users(&query(None, 3, 2)).await.unwrap();
        assert_eq!(
            page_three.iter().map(|u| u.id).collect::<Vec<_>>(),
            newest_first[4..]
        );
        let (past_the_end, total) = store.list_users(&query(None, 9, 2)).await.unwrap();
        assert!(past_the_end.is_empty());
        assert_eq!(total, 5);

        // Page 0 reads as page 1; per_page is clamped to 1..=100.
        let (clamped_low, _) = store.list_users(&query(None, 0, 0)).await.unwrap();
        assert_eq!(
            clamped_low.iter().map(|u| u.id).collect::<Vec<_>>(),
            newest_first[..1]
        );
        let (clamped_high, _) = store.list_users(&query(None, 1, 5_000)).await.unwrap();
        assert_eq!(clamped_high.len(), 5);
    })
    .await;
}

#[tokio::test]
async fn the_user_list_search_matches_email_username_and_names_case_insensitively() {
    for_each_backend(|store| async move {
        let ids = seed_list(&store).await;
        let search = |term: &'static str| {
            let store = store.clone();
            async move {
                let (users, total) = store.list_users(&query(Some(term), 1, 50)).await.unwrap();
                assert_eq!(total, u64::try_from(users.len()).unwrap(), "{term}");
                users.into_iter().map(|u| u.id).collect::<Vec<_>>()
            }
        };
        assert_eq!(search("BOB").await, vec![ids[4], ids[1]]);
        assert_eq!(search("shop.EXAMPLE").await, vec![ids[2]]);
        assert_eq!(search("dave1").await, vec![ids[3]]);
        assert_eq!(search("o'brien").await, vec![ids[3]]);
        assert_eq!(search("lee").await, vec![ids[0]]);
        assert_eq!(search("   ").await.len(), 5);
        assert!(search("zzz").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn percent_underscore_and_backslash_in_a_search_match_only_themselves() {
    for_each_backend(|store| async move {
        let ids = seed_list(&store).await;
        let found = |term: &'static str| {
            let store = store.clone();
            async move {
                let (users, _) = store.list_users(&query(Some(term), 1, 50)).await.unwrap();
                users.into_iter().map(|u| u.id).collect::<Vec<_>>()
            }
        };
        // `_` would match any one character and `%` anything, were they not escaped.
        assert_eq!(found("o_b").await, vec![ids[1]]);
        assert!(found("a%e").await.is_empty());
        assert_eq!(found("%").await, vec![ids[2]]);
        assert_eq!(found("_").await, vec![ids[1]]);
        assert!(found("\\").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_user_list_filters_by_status() {
    for_each_backend(|store| async move {
        let ids = seed_list(&store).await;
        store
            .set_user_status(ids[1], UserStatus::Suspended, Some("spam"), at(999), &[])
            .await
            .unwrap();
        store.soft_delete_user(ids[3], at(999), &[]).await.unwrap();
        let with_status = |status| UserQuery {
            status: Some(status),
            ..query(None, 1, 50)
        };
        let (suspended, total) = store
            .list_users(&with_status(UserStatus::Suspended))
            .await
            .unwrap();
        assert_eq!(
            (suspended.iter().map(|u| u.id).collect::<Vec<_>>(), total),
            (vec![ids[1]], 1)
        );
        let (deleted, _) = store
            .list_users(&with_status(UserStatus::Deleted))
            .await
            .unwrap();
        assert_eq!(
            deleted.iter().map(|u| u.id).collect::<Vec<_>>(),
            vec![ids[3]]
        );
        let (active, total) = store
            .list_users(&UserQuery {
                search: Some("bob".to_owned()),
                ..with_status(UserStatus::Active)
            })
            .await
            .unwrap();
        assert_eq!(
            (active.iter().map(|u| u.id).collect::<Vec<_>>(), total),
            (vec![ids[4]], 1)
        );
    })
    .await;
}

#[tokio::test]
async fn admins_are_counted_unless_deleted() {
    for_each_backend(|store| async move {
        assert_eq!(store.count_admins().await.unwrap(), 0);
        let admin = |email: &'static str| NewUser {
            is_admin: true,
            ..new_user(email)
        };
        let first = store
            .create_user(&admin("root@example.com"), &[])
            .await
            .unwrap();
        store
            .create_user(&admin("ops@example.com"), &[])
            .await
            .unwrap();
        let promoted = create_user(&store, "user@example.com").await;
        store
            .set_admin(promoted.id, true, at(1), &[])
            .await
            .unwrap();
        assert_eq!(store.count_admins().await.unwrap(), 3);
        store.soft_delete_user(first.id, at(2), &[]).await.unwrap();
        store
            .set_admin(promoted.id, false, at(3), &[])
            .await
            .unwrap();
        assert_eq!(store.count_admins().await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn users_created_at_the_same_instant_are_listed_by_id_newest_first() {
    for_each_backend(|store| async move {
        let mut ids = Vec::new();
        for email in ["t1@example.com", "t2@example.com", "t3@example.com"] {
            ids.push(create_user(&store, email).await.id);
        }
        ids.sort_by_key(|id| std::cmp::Reverse(id.as_uuid()));
        let (users, total) = store.list_users(&query(None, 1, 50)).await.unwrap();
        assert_eq!(users.iter().map(|u| u.id).collect::<Vec<_>>(), ids);
        assert_eq!(total, 3);
        let (second, _) = store.list_users(&query(None, 2, 1)).await.unwrap();
        assert_eq!(second.iter().map(|u| u.id).collect::<Vec<_>>(), ids[1..2]);
    })
    .await;
}

#[tokio::test]
async fn every_user_change_writes_its_audit_entry_and_a_missing_user_writes_none() {
    use janua_core::audit::{Actor, AuditEntry};
    for_each_backend(|store| async move {
        let entry =
            |action: &str| AuditEntry::new(action, Actor::system(), &Default::default(), at(1));
        let created = entry("user.created");
        let user = store
            .create_user(&new_user("ivy@example.com"), std::slice::from_ref(&created))
            .await
            .unwrap();
        let mut written = vec![created];
        let e = entry("user.password_changed");
        store
            .set_password_hash(user.id, "h", at(2), std::slice::from_ref(&e))
            .await
            .unwrap();
        written.push(e);
        let e = entry("user.email_verified");
        store
            .mark_email_verified(user.id, at(3), std::slice::from_ref(&e))
            .await
            .unwrap();
        written.push(e);
        let e = entry("user.admin_granted");
        store
            .set_admin(user.id, true, at(4), std::slice::from_ref(&e))
            .await
            .unwrap();
        written.push(e);
        let e = entry("user.updated");
        store
            .update_profile(
                user.id,
                &ProfileUpdate::default(),
                at(5),
                std::slice::from_ref(&e),
            )
            .await
            .unwrap();
        written.push(e);
        let e = entry("user.suspended");
        store
            .set_user_status(
                user.id,
                UserStatus::Suspended,
                None,
                at(6),
                std::slice::from_ref(&e),
            )
            .await
            .unwrap();
        written.push(e);
        let e = entry("user.deleted");
        store
            .soft_delete_user(user.id, at(7), std::slice::from_ref(&e))
            .await
            .unwrap();
        written.push(e);
        for e in &written {
            assert!(
                store.get_audit(e.id).await.unwrap().is_some(),
                "{}",
                e.action
            );
        }

        let nobody = UserId::new();
        let ghosts: Vec<AuditEntry> = (0..6).map(|_| entry("ghost")).collect();
        let one = |i: usize| std::slice::from_ref(&ghosts[i]);
        assert!(store
            .set_password_hash(nobody, "h", at(8), one(0))
            .await
            .is_err());
        assert!(store
            .mark_email_verified(nobody, at(8), one(1))
            .await
            .is_err());
        assert!(store.set_admin(nobody, true, at(8), one(2)).await.is_err());
        assert!(store
            .update_profile(nobody, &ProfileUpdate::default(), at(8), one(3))
            .await
            .is_err());
        assert!(store
            .set_user_status(nobody, UserStatus::Inactive, None, at(8), one(4))
            .await
            .is_err());
        assert!(store.soft_delete_user(nobody, at(8), one(5)).await.is_err());
        for e in &ghosts {
            assert!(store.get_audit(e.id).await.unwrap().is_none());
        }
    })
    .await;
}

/// One text value read behind the store's back.
async fn raw_text(db: &crate::backend::TestDatabase, sql: &str) -> String {
    use sqlx::Connection;
    match db.backend {
        janua_core::ports::Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            let (text,): (String,) = sqlx::query_as(sql).fetch_one(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            text
        }
        janua_core::ports::Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let (text,): (String,) = sqlx::query_as(sql).fetch_one(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            text
        }
    }
}

#[tokio::test]
async fn the_unread_bookkeeping_columns_follow_each_change() {
    for_each_database(|db| async move {
        let store = db.connect().await;
        // Verification, password change, suspension and deletion times, compared in SQL.
        let state = |email: &'static str| {
            let db = &db;
            async move {
                raw_text(
                    db,
                    &format!(
                        "SELECT \
                         CASE WHEN email_verified_at IS NULL THEN '-' \
                              WHEN email_verified_at = created_at THEN 'c' \
                              WHEN email_verified_at = updated_at THEN 'u' ELSE '?' END || \
                         CASE WHEN password_changed_at IS NULL THEN '-' \
                              WHEN password_changed_at = created_at THEN 'c' \
                              WHEN password_changed_at = updated_at THEN 'u' ELSE '?' END || \
                         CASE WHEN suspended_at IS NULL THEN '-' \
                              WHEN suspended_at = updated_at THEN 'u' ELSE '?' END || \
                         COALESCE(suspended_reason, '-') || \
                         CASE WHEN deleted_at IS NULL THEN '-' \
                              WHEN deleted_at = updated_at THEN 'u' ELSE '?' END \
                         FROM users WHERE email LIKE '%{email}'"
                    ),
                )
                .await
            }
        };
        let verified = store
            .create_user(
                &NewUser {
                    email_verified: true,
                    ..new_user("v@example.com")
                },
                &[],
            )
            .await
            .unwrap();
        let no_password = store
            .create_user(
                &NewUser {
                    password_hash: None,
                    ..new_user("p@example.com")
                },
                &[],
            )
            .await
            .unwrap();
        assert_eq!(state("v@example.com").await, "cc---");
        assert_eq!(state("p@example.com").await, "-----");

        // A second verification keeps the first time; a new password records its time.
        store
            .mark_email_verified(verified.id, at(5), &[])
            .await
            .unwrap();
        assert_eq!(state("v@example.com").await, "cc---");
        store
            .mark_email_verified(no_password.id, at(5), &[])
            .await
            .unwrap();
        store
            .set_password_hash(no_password.id, "h", at(6), &[])
            .await
            .unwrap();
        assert_eq!(state("p@example.com").await, "?u---");

        store
            .set_user_status(verified.id, UserStatus::Suspended, Some("spam"), at(7), &[])
            .await
            .unwrap();
        assert_eq!(state("v@example.com").await, "ccuspam-");
        store
            .set_user_status(
                verified.id,
                UserStatus::Inactive,
                Some("ignored"),
                at(8),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(state("v@example.com").await, "cc---");

        store
            .soft_delete_user(verified.id, at(9), &[])
            .await
            .unwrap();
        assert_eq!(state("v@example.com").await, "cc--u");
        store.close().await;
    })
    .await;
}
