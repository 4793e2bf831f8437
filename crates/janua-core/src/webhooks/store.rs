//! What webhooks need from storage: endpoints (written with their audit entries), the outbox
//! fan-out, claiming due deliveries so that each attempt goes to exactly one worker, recording
//! attempts, and the numbers behind the delivery log, stats and metrics.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    AttemptRecord, Delivery, DeliveryStats, DueDelivery, Endpoint, EndpointOwner, QueueStats,
};
use crate::audit::AuditEntry;
use crate::error::Result;

/// Which endpoints a list returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointQuery {
    /// `None`: every endpoint (platform administrators).
    pub owner: Option<EndpointOwner>,
    pub is_active: Option<bool>,
}

/// A test event for one endpoint, written already dispatched so no other endpoint gets it.
#[derive(Debug, Clone)]
pub struct TestEvent {
    pub event_id: Uuid,
    pub delivery_id: Uuid,
    pub endpoint_id: Uuid,
    pub data: serde_json::Value,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn create_webhook_endpoint(
        &self,
        endpoint: &Endpoint,
        audit: &[AuditEntry],
    ) -> Result<()>;
    async fn get_webhook_endpoint(&self, id: Uuid) -> Result<Option<Endpoint>>;
    /// Newest first.
    async fn list_webhook_endpoints(&self, query: &EndpointQuery) -> Result<Vec<Endpoint>>;
    async fn count_webhook_endpoints(&self, owner: EndpointOwner) -> Result<u64>;
    /// Replaces every mutable field; `NotFound` when the endpoint is gone.
    async fn update_webhook_endpoint(
        &self,
        endpoint: &Endpoint,
        audit: &[AuditEntry],
    ) -> Result<()>;
    /// Deletes the endpoint and its deliveries; false when there was none.
    async fn delete_webhook_endpoint(&self, id: Uuid, audit: &[AuditEntry]) -> Result<bool>;

    /// Fans up to `limit` undispatched outbox events (oldest first) out into deliveries for
    /// the active endpoints that want them, and marks them dispatched, in one transaction;
    /// returns how many events were dispatched. Safe to run on several instances at once.
    async fn dispatch_outbox(&self, now: DateTime<Utc>, limit: u32) -> Result<usize>;
    /// Claims up to `limit` due deliveries for `lease`: counts the attempt and hides the rows
    /// from other workers until the lease ends (a crashed worker's claim is then retaken).
    async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<DueDelivery>>;
    /// Records the outcome of attempt `attempt`; ignored when the delivery moved on since
    /// (another worker took it over after this one's lease ran out).
    async fn record_delivery_attempt(
        &self,
        id: Uuid,
        attempt: u32,
        record: &AttemptRecord,
    ) -> Result<()>;
    async fn create_test_delivery(&self, event: &TestEvent) -> Result<Delivery>;
    async fn get_webhook_delivery(&self, id: Uuid) -> Result<Option<Delivery>>;
    /// Newest first, at most `limit`.
    async fn list_webhook_deliveries(&self, endpoint: Uuid, limit: u32) -> Result<Vec<Delivery>>;
    /// Puts a finished or waiting delivery back in the queue with a fresh set of attempts;
    /// false when it does not exist.
    async fn redeliver(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool>;
    async fn webhook_delivery_stats(
        &self,
        endpoint: Uuid,
        since: DateTime<Utc>,
    ) -> Result<DeliveryStats>;
    async fn webhook_queue_stats(&self, now: DateTime<Utc>) -> Result<QueueStats>;
    /// Deletes finished deliveries and dispatched outbox events older than `cutoff`.
    async fn delete_webhook_history_before(&self, cutoff: DateTime<Utc>) -> Result<u64>;
}
