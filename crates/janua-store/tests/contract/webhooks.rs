//! Webhook storage: endpoints round-trip, the outbox fans out once per matching endpoint, a
//! claim hides a delivery from other claims until its lease ends, a stale worker's outcome is
//! ignored, redelivery requeues, and the queue stats count what waits.

use std::time::Duration;

use janua_core::audit::{Actor, AuditEntry};
use janua_core::ids::UserId;
use janua_core::ports::Backend;
use janua_core::webhooks::store::EndpointQuery;
use janua_core::webhooks::{AttemptRecord, DeliveryStatus, Endpoint, EndpointOwner};
use serde_json::json;

use crate::accounts::at;
use crate::backend::for_each_backend;

fn endpoint(owner: EndpointOwner, events: &[&str]) -> Endpoint {
    Endpoint {
        id: uuid::Uuid::now_v7(),
        owner,
        url: "https://example.com/hook".into(),
        secret_sealed: "sealed".into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        headers: [("X-A".to_owned(), "1".to_owned())].into(),
        description: Some("d".into()),
        is_active: true,
        created_at: at(0),
        updated_at: at(0),
    }
}

fn event(kind: &str, user: Option<UserId>, seconds: i64) -> AuditEntry {
    let mut e = AuditEntry::new(kind, Actor::system(), &Default::default(), at(seconds))
        .emits(kind, json!({"k": kind}));
    if let Some(user) = user {
        e = e.concerning_user(user.as_uuid());
    }
    e
}

const LEASE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn the_outbox_fans_out_to_matching_endpoints_once_and_claims_are_exclusive() {
    for_each_backend(|store| async move {
        let user = crate::accounts::create_user(&store, "hooks@example.com")
            .await
            .id;
        let platform = endpoint(EndpointOwner::Platform, &["user.created"]);
        let mine = endpoint(EndpointOwner::User(user), &["*"]);
        for e in [&platform, &mine] {
            store.create_webhook_endpoint(e, &[]).await.unwrap();
        }
        assert_eq!(
            store.get_webhook_endpoint(mine.id).await.unwrap().as_ref(),
            Some(&mine)
        );
        let listed = store
            .list_webhook_endpoints(&EndpointQuery {
                owner: Some(EndpointOwner::User(user)),
                is_active: None,
            })
            .await
            .unwrap();
        assert_eq!(listed, vec![mine.clone()]);
        assert_eq!(
            store
                .count_webhook_endpoints(EndpointOwner::Platform)
                .await
                .unwrap(),
            1
        );

        store
            .record_audit(&[
                event("user.created", Some(user), 1),
                event("user.signed_in", None, 1),
            ])
            .await
            .unwrap();
        assert_eq!(store.dispatch_outbox(at(2), 10).await.unwrap(), 2);
        assert_eq!(store.dispatch_outbox(at(2), 10).await.unwrap(), 0);
        let stats = store.webhook_queue_stats(at(2)).await.unwrap();
        assert_eq!(
            stats.depth, 2,
            "platform gets user.created; mine gets user.created"
        );

        let claimed = store.claim_due_deliveries(at(2), 10, LEASE).await.unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(claimed.iter().all(|d| d.delivery.attempt == 1));
        assert_eq!(claimed[0].event_data, json!({"k": "user.created"}));
        assert_eq!(claimed[0].headers.get("X-A").map(String::as_str), Some("1"));
        assert!(store
            .claim_due_deliveries(at(3), 10, LEASE)
            .await
            .unwrap()
            .is_empty());

        // The lease ran out: another worker takes it over as attempt 2, and the first
        // worker's late outcome for attempt 1 is ignored.
        let retaken = store.claim_due_deliveries(at(40), 10, LEASE).await.unwrap();
        assert_eq!(retaken.len(), 2);
        assert!(retaken.iter().all(|d| d.delivery.attempt == 2));
        let id = retaken[0].delivery.id;
        let late = AttemptRecord {
            status: DeliveryStatus::Delivered,
            response_status: Some(200),
            response_body: Some("late".into()),
            latency_ms: Some(1),
            error: None,
            next_attempt_at: None,
            at: at(41),
        };
        store.record_delivery_attempt(id, 1, &late).await.unwrap();
        let unchanged = store.get_webhook_delivery(id).await.unwrap().unwrap();
        assert_eq!(unchanged.status, DeliveryStatus::Pending);
        let failed = AttemptRecord {
            status: DeliveryStatus::Retrying,
            response_status: Some(500),
            error: Some("receiver answered 500".into()),
            next_attempt_at: Some(at(100)),
            ..late.clone()
        };
        store.record_delivery_attempt(id, 2, &failed).await.unwrap();
        let retrying = store.get_webhook_delivery(id).await.unwrap().unwrap();
        assert_eq!(retrying.status, DeliveryStatus::Retrying);
        assert_eq!(retrying.response_status, Some(500));
        assert_eq!(retrying.next_attempt_at, Some(at(100)));
        assert!(store
            .claim_due_deliveries(at(99), 10, LEASE)
            .await
            .unwrap()
            .iter()
            .all(|d| d.delivery.id != id));
        store
            .record_delivery_attempt(id, 2, &late)
            .await
            .unwrap_or(());
        assert!(store.redeliver(id, at(200)).await.unwrap());
        let again = store
            .claim_due_deliveries(at(200), 10, LEASE)
            .await
            .unwrap();
        assert!(again
            .iter()
            .any(|d| d.delivery.id == id && d.delivery.attempt == 1));

        assert!(store.delete_webhook_endpoint(mine.id, &[]).await.unwrap());
        assert!(!store.delete_webhook_endpoint(mine.id, &[]).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn an_endpoint_gets_no_events_from_before_it_existed() {
    for_each_backend(|store| async move {
        store
            .record_audit(&[event("user.created", None, 1)])
            .await
            .unwrap();
        let late = Endpoint {
            created_at: at(5),
            updated_at: at(5),
            ..endpoint(EndpointOwner::Platform, &["*"])
        };
        store.create_webhook_endpoint(&late, &[]).await.unwrap();
        // PostgreSQL fans the event out now (to no one); SQLite recorded it as dispatched
        // already, no endpoint being active then. Either way nothing is left to dispatch.
        let fanned_out_now = match store.backend() {
            Backend::Postgres => 1,
            Backend::Sqlite => 0,
        };
        assert_eq!(
            store.dispatch_outbox(at(6), 10).await.unwrap(),
            fanned_out_now
        );
        assert_eq!(store.dispatch_outbox(at(7), 10).await.unwrap(), 0);
        assert!(store
            .claim_due_deliveries(at(6), 10, LEASE)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.webhook_queue_stats(at(6)).await.unwrap().depth, 0);
    })
    .await;
}

#[tokio::test]
async fn endpoints_filter_by_owner_and_state_and_test_deliveries_feed_the_stats() {
    for_each_backend(|store| async move {
        let user = crate::accounts::create_user(&store, "owner@example.com")
            .await
            .id;
        let org = store
            .create_org(
                &janua_core::orgs::NewOrg {
                    id: janua_core::ids::OrgId::new(),
                    name: "Hooks".into(),
                    slug: "hooks".into(),
                    description: None,
                    billing_email: None,
                    parent_id: None,
                    owner_id: user,
                    created_at: at(0),
                },
                &[],
            )
            .await
            .unwrap()
            .id;
        let platform = endpoint(EndpointOwner::Platform, &["*"]);
        let of_org = Endpoint {
            created_at: at(1),
            ..endpoint(EndpointOwner::Organization(org.as_uuid()), &["*"])
        };
        let mut of_user = Endpoint {
            created_at: at(2),
            ..endpoint(EndpointOwner::User(user), &["*"])
        };
        for e in [&platform, &of_org, &of_user] {
            store.create_webhook_endpoint(e, &[]).await.unwrap();
        }
        for (owner, n) in [
            (EndpointOwner::Platform, 1),
            (EndpointOwner::Organization(org.as_uuid()), 1),
            (EndpointOwner::User(user), 1),
            (EndpointOwner::User(UserId::new()), 0),
        ] {
            assert_eq!(store.count_webhook_endpoints(owner).await.unwrap(), n);
        }
        let listed = |owner, is_active| {
            let store = store.clone();
            async move {
                store
                    .list_webhook_endpoints(&EndpointQuery { owner, is_active })
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|e| e.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            listed(None, None).await,
            vec![of_user.id, of_org.id, platform.id],
            "newest first"
        );
        assert_eq!(
            listed(Some(EndpointOwner::Organization(org.as_uuid())), None).await,
            vec![of_org.id]
        );
        assert_eq!(
            listed(Some(EndpointOwner::Platform), None).await,
            vec![platform.id]
        );

        of_user.url = "https://example.org/other".into();
        of_user.events = vec!["user.created".into(), "user.deleted".into()];
        of_user.headers = [
            ("B".to_owned(), "2".to_owned()),
            ("A".to_owned(), "1".to_owned()),
        ]
        .into();
        of_user.description = None;
        of_user.is_active = false;
        of_user.updated_at = at(9);
        store.update_webhook_endpoint(&of_user, &[]).await.unwrap();
        assert_eq!(
            store.get_webhook_endpoint(of_user.id).await.unwrap(),
            Some(of_user.clone())
        );
        assert_eq!(listed(None, Some(false)).await, vec![of_user.id]);
        assert_eq!(listed(None, Some(true)).await, vec![of_org.id, platform.id]);
        let missing = Endpoint {
            id: uuid::Uuid::now_v7(),
            ..of_user.clone()
        };
        assert!(matches!(
            store.update_webhook_endpoint(&missing, &[]).await,
            Err(janua_core::error::Error::NotFound)
        ));
        assert_eq!(store.get_webhook_endpoint(missing.id).await.unwrap(), None);

        // A test delivery is attempt 1, leased to its caller for an hour.
        let test = |seconds| janua_core::webhooks::store::TestEvent {
            event_id: uuid::Uuid::now_v7(),
            delivery_id: uuid::Uuid::now_v7(),
            endpoint_id: platform.id,
            data: json!({"test": true}),
            at: at(seconds),
        };
        let (first, second, third) = (test(10), test(11), test(12));
        let made = store.create_test_delivery(&first).await.unwrap();
        assert_eq!(made.id, first.delivery_id);
        assert_eq!(made.event_id, first.event_id);
        assert_eq!(made.event_type, "webhook.test");
        assert_eq!(made.status, DeliveryStatus::Pending);
        assert_eq!(made.attempt, 1);
        assert_eq!(made.next_attempt_at, None);
        assert_eq!(made.created_at, at(10));
        assert_eq!(
            store.get_webhook_delivery(made.id).await.unwrap(),
            Some(made.clone())
        );
        store.create_test_delivery(&second).await.unwrap();
        store.create_test_delivery(&third).await.unwrap();
        assert_eq!(store.dispatch_outbox(at(13), 10).await.unwrap(), 0);
        assert!(store
            .claim_due_deliveries(at(13), 10, LEASE)
            .await
            .unwrap()
            .is_empty());

        let outcome = |status, latency, seconds| AttemptRecord {
            status,
            response_status: Some(200),
            response_body: Some("ok\0body".into()),
            latency_ms: Some(latency),
            error: None,
            next_attempt_at: None,
            at: at(seconds),
        };
        let delivered = outcome(DeliveryStatus::Delivered, 10, 20);
        store
            .record_delivery_attempt(first.delivery_id, 1, &delivered)
            .await
            .unwrap();
        store
            .record_delivery_attempt(
                second.delivery_id,
                1,
                &outcome(DeliveryStatus::Failed, 25, 21),
            )
            .await
            .unwrap();
        let done = store
            .get_webhook_delivery(first.delivery_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.status, DeliveryStatus::Delivered);
        assert_eq!(done.delivered_at, Some(at(20)));
        assert_eq!(done.updated_at, at(20));
        assert_eq!(done.latency_ms, Some(10));
        // PostgreSQL text cannot hold NUL: it is dropped there and kept on SQLite.
        let body = match store.backend() {
            Backend::Postgres => "okbody",
            Backend::Sqlite => "ok\0body",
        };
        assert_eq!(done.response_body.as_deref(), Some(body));
        let listed: Vec<_> = store
            .list_webhook_deliveries(platform.id, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(
            listed,
            vec![third.delivery_id, second.delivery_id, first.delivery_id]
        );
        assert_eq!(
            store
                .list_webhook_deliveries(platform.id, 1)
                .await
                .unwrap()
                .len(),
            1
        );

        let stats = store
            .webhook_delivery_stats(platform.id, at(0))
            .await
            .unwrap();
        assert_eq!((stats.total, stats.successful, stats.failed), (3, 1, 1));
        assert_eq!(stats.average_latency_ms, Some(17.5));
        let none = store
            .webhook_delivery_stats(platform.id, at(100))
            .await
            .unwrap();
        assert_eq!((none.total, none.successful, none.failed), (0, 0, 0));
        assert_eq!(none.average_latency_ms, None);

        // The third is still leased (pending); the queue counts it as waiting but not due.
        let queue = store.webhook_queue_stats(at(30)).await.unwrap();
        assert_eq!(queue.depth, 1);
        assert_eq!(queue.oldest_due_at, None);
        assert!(store.redeliver(third.delivery_id, at(30)).await.unwrap());
        assert!(!store.redeliver(uuid::Uuid::now_v7(), at(30)).await.unwrap());
        let queue = store.webhook_queue_stats(at(31)).await.unwrap();
        assert_eq!((queue.depth, queue.oldest_due_at), (1, Some(at(30))));

        // History: finished deliveries last updated before the cutoff go, and then their
        // dispatched events; the pending delivery and its event stay.
        assert_eq!(
            store.delete_webhook_history_before(at(21)).await.unwrap(),
            2,
            "the delivered one (updated at 20) and its event"
        );
        assert_eq!(
            store.get_webhook_delivery(first.delivery_id).await.unwrap(),
            None
        );
        assert!(store
            .get_webhook_delivery(second.delivery_id)
            .await
            .unwrap()
            .is_some());
        assert_eq!(
            store.delete_webhook_history_before(at(100)).await.unwrap(),
            2
        );
        assert!(store
            .get_webhook_delivery(third.delivery_id)
            .await
            .unwrap()
            .is_some());
    })
    .await;
}
