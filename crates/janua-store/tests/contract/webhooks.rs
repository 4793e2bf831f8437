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
