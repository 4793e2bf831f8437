//! The audit log and its outbox: entries written inside a capability's transaction roll back
//! with it (neither the change nor its entry nor its event survives), reads filter, page by
//! cursor newest first and count, and retention deletes by age.

use janua_core::audit::query::{ActionFilter, AuditCursor, AuditFilter, Scope};
use janua_core::audit::{Actor, ActorType, AuditEntry, Outcome, RequestContext};
use janua_core::error::Error;
use janua_core::ids::UserId;
use janua_core::webhooks::{Endpoint, EndpointOwner};
use serde_json::json;

use crate::accounts::{at, create_user, new_session, new_user};
use crate::backend::for_each_backend;

fn entry(action: &str, seconds: i64) -> AuditEntry {
    AuditEntry::new(action, Actor::system(), &Default::default(), at(seconds))
}

/// A platform endpoint wanting every event, so a dispatch reveals any outbox event.
fn catch_all(seconds: i64) -> Endpoint {
    Endpoint {
        id: uuid::Uuid::now_v7(),
        owner: EndpointOwner::Platform,
        url: "https://example.com/hook".into(),
        secret_sealed: "sealed".into(),
        events: vec!["*".into()],
        headers: Default::default(),
        description: None,
        is_active: true,
        created_at: at(seconds),
        updated_at: at(seconds),
    }
}

#[tokio::test]
async fn a_failed_change_leaves_neither_the_change_nor_its_entry_nor_its_event() {
    for_each_backend(|store| async move {
        store
            .create_webhook_endpoint(&catch_all(0), &[])
            .await
            .unwrap();
        let first = new_user("taken@example.com");
        let ok = entry("user.created", 1).emits("user.created", json!({"n": 1}));
        store
            .create_user(&first, std::slice::from_ref(&ok))
            .await
            .unwrap();
        // Same email: the unique constraint fails after the entry and its event were inserted.
        let clash = entry("user.created", 2).emits("user.created", json!({"n": 2}));
        let error = store
            .create_user(&new_user("TAKEN@example.com"), std::slice::from_ref(&clash))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Conflict { .. }), "{error:?}");
        assert!(store.get_audit(ok.id).await.unwrap().is_some());
        assert!(store.get_audit(clash.id).await.unwrap().is_none());
        // Only the committed change's event reaches the outbox.
        assert_eq!(store.dispatch_outbox(at(3), 100).await.unwrap(), 1);
        assert_eq!(store.dispatch_outbox(at(3), 100).await.unwrap(), 0);

        // A change that finds nothing to change writes nothing either.
        let ghost = entry("user.suspended", 4).emits("user.suspended", json!({}));
        let missing = store
            .set_user_status(
                UserId::new(),
                janua_core::auth::users::UserStatus::Suspended,
                None,
                at(4),
                std::slice::from_ref(&ghost),
            )
            .await
            .unwrap_err();
        assert!(matches!(missing, Error::NotFound));
        assert!(store.get_audit(ghost.id).await.unwrap().is_none());
        assert_eq!(store.dispatch_outbox(at(5), 100).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn session_changes_write_their_entries_only_when_something_changed() {
    for_each_backend(|store| async move {
        let user = create_user(&store, "s@example.com").await;
        let opened = entry("user.signed_in", 1);
        let session = store
            .open_session(
                &new_session(user.id, "hash-1", 1),
                std::slice::from_ref(&opened),
            )
            .await
            .unwrap();
        assert!(store.get_audit(opened.id).await.unwrap().is_some());
        let revoked = entry("session.revoked", 2);
        assert!(store
            .revoke_session(session.id, "test", at(2), std::slice::from_ref(&revoked))
            .await
            .unwrap());
        assert!(store.get_audit(revoked.id).await.unwrap().is_some());
        let again = entry("session.revoked", 3);
        assert!(!store
            .revoke_session(session.id, "test", at(3), std::slice::from_ref(&again))
            .await
            .unwrap());
        assert!(store.get_audit(again.id).await.unwrap().is_none());
        let none = entry("session.revoked", 4);
        let ids = store
            .revoke_user_sessions(user.id, None, "all", at(4), std::slice::from_ref(&none))
            .await
            .unwrap();
        assert!(ids.is_empty());
        assert!(store.get_audit(none.id).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn reads_filter_page_newest_first_and_count() {
    for_each_backend(|store| async move {
        let org = uuid::Uuid::now_v7();
        let me = UserId::new();
        let mut written = Vec::new();
        for i in 0..7 {
            let mut e = entry(
                if i % 2 == 0 {
                    "user.signed_in"
                } else {
                    "session.revoked"
                },
                i,
            )
            .details(json!({"i": i}));
            if i == 3 {
                e = e.failed().organization(org);
            }
            if i == 5 {
                e.actor = Actor::user(me, Some("me@example.com"));
            }
            written.push(e);
        }
        // Two entries at the same instant still page in a stable order (by id).
        written.push(entry("user.signed_in", 6));
        store.record_audit(&written).await.unwrap();

        let all = AuditFilter::within(Scope::All);
        assert_eq!(store.count_audit(&all).await.unwrap(), 8);
        let mut paged = Vec::new();
        let mut cursor: Option<AuditCursor> = None;
        loop {
            let page = store.list_audit(&all, cursor.as_ref(), 3).await.unwrap();
            if page.is_empty() {
                break;
            }
            let last = page.last().unwrap();
            cursor = Some(AuditCursor {
                occurred_at: last.occurred_at,
                id: last.id,
            });
            paged.extend(page);
        }
        assert_eq!(paged.len(), 8);
        let keys: Vec<_> = paged.iter().map(|e| (e.occurred_at, e.id)).collect();
        let mut sorted = keys.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(keys, sorted);
        assert_eq!(
            paged[0].details,
            json!({}),
            "the newest is the one without details"
        );

        let failures = AuditFilter {
            outcome: Some(Outcome::Failure),
            ..AuditFilter::within(Scope::All)
        };
        let found = store.list_audit(&failures, None, 10).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].organization_id, Some(org));
        assert_eq!(
            store
                .count_audit(&AuditFilter::within(Scope::Organization(org)))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .count_audit(&AuditFilter::within(Scope::User(me)))
                .await
                .unwrap(),
            1
        );
        let sessions = AuditFilter {
            action: ActionFilter::parse("session.*"),
            start: Some(at(2)),
            end: Some(at(6)),
            ..AuditFilter::within(Scope::All)
        };
        assert_eq!(store.count_audit(&sessions).await.unwrap(), 2);
        // `_` in a prefix is literal, not a LIKE wildcard.
        let literal = AuditFilter {
            action: ActionFilter::parse("user_*"),
            ..AuditFilter::within(Scope::All)
        };
        assert_eq!(store.count_audit(&literal).await.unwrap(), 0);

        let stats = store.audit_stats(&all).await.unwrap();
        assert_eq!(stats.total, 8);
        assert_eq!(stats.by_action[0], ("user.signed_in".to_owned(), 5));
        assert!(stats.by_outcome.contains(&("failure".to_owned(), 1)));
        assert_eq!(
            stats.by_day,
            vec![(at(0).format("%Y-%m-%d").to_string(), 8)]
        );

        assert_eq!(store.delete_audit_before(at(3)).await.unwrap(), 3);
        assert_eq!(store.count_audit(&all).await.unwrap(), 5);
    })
    .await;
}

#[tokio::test]
async fn every_filter_narrows_reads_and_stats_group_in_a_stable_order() {
    for_each_backend(|store| async move {
        let org = uuid::Uuid::now_v7();
        let me = UserId::new();
        let other = UserId::new();
        let context = RequestContext::new(
            Some("10.0.0.1".into()),
            Some("agent/1.0"),
            Some("req-1".into()),
        );
        let by_me = AuditEntry::new(
            "user.updated",
            Actor::user(me, Some("me@example.com")),
            &context,
            at(10),
        )
        .target("user", other)
        .organization(org)
        .details(json!({"changed": ["name"], "n": 1}));
        let about_me = AuditEntry::new(
            "user.updated",
            Actor::api_key("key-1"),
            &RequestContext::new(Some("10.0.0.2".into()), None, None),
            at(11),
        )
        .target("user", me);
        let failed = AuditEntry::new("org.created", Actor::system(), &Default::default(), at(12))
            .target("organization", org)
            .organization(org)
            .failed();
        let next_day = AuditEntry::new(
            "user.deleted",
            Actor::user(other, None),
            &Default::default(),
            at(86_400),
        );
        store
            .record_audit(&[
                by_me.clone(),
                about_me.clone(),
                failed.clone(),
                next_day.clone(),
            ])
            .await
            .unwrap();

        // An entry reads back whole.
        assert_eq!(
            store.get_audit(by_me.id).await.unwrap(),
            Some(by_me.clone())
        );
        assert_eq!(store.get_audit(uuid::Uuid::now_v7()).await.unwrap(), None);

        let ids = |filter: AuditFilter| {
            let store = store.clone();
            async move {
                store
                    .list_audit(&filter, None, 10)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|e| e.id)
                    .collect::<Vec<_>>()
            }
        };
        let all = || AuditFilter::within(Scope::All);
        // A user's scope holds what they did and what was done to them.
        assert_eq!(
            ids(AuditFilter::within(Scope::User(me))).await,
            [about_me.id, by_me.id]
        );
        assert_eq!(
            ids(AuditFilter::within(Scope::Organization(org))).await,
            [failed.id, by_me.id]
        );
        assert_eq!(
            ids(AuditFilter {
                actor_type: Some(ActorType::ApiKey),
                ..all()
            })
            .await,
            [about_me.id]
        );
        assert_eq!(
            ids(AuditFilter {
                actor_id: Some(other.to_string()),
                ..all()
            })
            .await,
            [next_day.id]
        );
        assert_eq!(
            ids(AuditFilter {
                action: Some(ActionFilter::Exact("user.updated".into())),
                ..all()
            })
            .await,
            [about_me.id, by_me.id]
        );
        assert_eq!(
            ids(AuditFilter {
                organization_id: Some(org),
                outcome: Some(Outcome::Success),
                ..all()
            })
            .await,
            [by_me.id]
        );
        assert_eq!(
            ids(AuditFilter {
                target_type: Some("user".into()),
                ..all()
            })
            .await,
            [about_me.id, by_me.id]
        );
        assert_eq!(
            ids(AuditFilter {
                target_id: Some(me.to_string()),
                ..all()
            })
            .await,
            [about_me.id]
        );
        assert_eq!(
            ids(AuditFilter {
                ip_address: Some("10.0.0.1".into()),
                ..all()
            })
            .await,
            [by_me.id]
        );
        assert_eq!(
            ids(AuditFilter {
                start: Some(at(11)),
                end: Some(at(86_400)),
                ..all()
            })
            .await,
            [failed.id, about_me.id]
        );
        assert_eq!(
            ids(AuditFilter {
                actor_type: Some(ActorType::User),
                action: Some(ActionFilter::Exact("user.updated".into())),
                ..all()
            })
            .await,
            [by_me.id]
        );
        assert_eq!(
            store
                .count_audit(&AuditFilter {
                    target_type: Some("user".into()),
                    ..all()
                })
                .await
                .unwrap(),
            2
        );

        // Most frequent action first, ties by name; outcomes and days by key.
        let stats = store.audit_stats(&all()).await.unwrap();
        assert_eq!(stats.total, 4);
        assert_eq!(
            stats.by_action,
            vec![
                ("user.updated".to_owned(), 2),
                ("org.created".to_owned(), 1),
                ("user.deleted".to_owned(), 1),
            ]
        );
        assert_eq!(
            stats.by_outcome,
            vec![("failure".to_owned(), 1), ("success".to_owned(), 3)]
        );
        assert_eq!(
            stats.by_day,
            vec![
                (at(0).format("%Y-%m-%d").to_string(), 3),
                (at(86_400).format("%Y-%m-%d").to_string(), 1),
            ]
        );
        let scoped = store
            .audit_stats(&AuditFilter::within(Scope::Organization(org)))
            .await
            .unwrap();
        assert_eq!(scoped.total, 2);
        assert_eq!(
            scoped.by_outcome,
            vec![("failure".to_owned(), 1), ("success".to_owned(), 1)]
        );
    })
    .await;
}
