//! Webhooks (API.md §14): endpoints that subscribe to events, the deliveries the outbox fans
//! out to them, and the rules of delivery (signature, retry schedule, dead-lettering). The
//! HTTP transport, its SSRF guard and the worker loop live in `janua`; this module decides.
//!
//! - [`endpoints`]: endpoint CRUD use cases and who may manage which endpoint.
//! - [`delivery`]: one attempt and one worker round, through the [`delivery::Transport`] port.
//! - [`events`]: the event catalogue (`GET /webhooks/events/types`).
//! - [`retry`]: the backoff schedule with jitter.
//! - [`signing`]: `Janua-Webhook-Signature` computation and verification.
//! - [`store`]: what webhooks need from storage.

pub mod delivery;
pub mod endpoints;
pub mod events;
pub mod retry;
pub mod signing;
pub mod store;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::ids::UserId;

/// Endpoints per organization (and per user, and platform-wide) at most (API.md §19).
pub const MAX_ENDPOINTS_PER_OWNER: u64 = 20;

/// Who an endpoint belongs to, which decides the events it may receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointOwner {
    /// Created by a platform administrator without an organization: every event.
    Platform,
    /// An organization's endpoint: events of that organization.
    Organization(Uuid),
    /// A user's own endpoint: events concerning that user.
    User(UserId),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub id: Uuid,
    pub owner: EndpointOwner,
    /// Validated by the HTTP layer (scheme, host, SSRF rules) before it reaches core.
    pub url: String,
    /// The signing secret, sealed with the endpoint id as context (it must be recoverable to
    /// sign, so it cannot be a digest).
    pub secret_sealed: String,
    /// Event types, or `*` for all.
    pub events: Vec<String>,
    /// Extra headers sent with every delivery.
    pub headers: BTreeMap<String, String>,
    pub description: Option<String>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the dispatcher knows of an outbox event when matching endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct EventHead {
    pub id: Uuid,
    pub event_type: String,
    pub organization_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
}

impl Endpoint {
    /// Whether this endpoint receives `event`: active, subscribed to its type, the event is
    /// within the owner's reach, and it did not happen before the endpoint existed (a new
    /// endpoint gets no backlog).
    pub fn wants(&self, event: &EventHead) -> bool {
        let subscribed = self
            .events
            .iter()
            .any(|e| e == "*" || *e == event.event_type);
        let in_reach = match self.owner {
            EndpointOwner::Platform => true,
            EndpointOwner::Organization(org) => event.organization_id == Some(org),
            EndpointOwner::User(user) => event.user_id == Some(user.as_uuid()),
        };
        self.is_active && subscribed && in_reach && event.occurred_at >= self.created_at
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Retrying,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Retrying => "retrying",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(DeliveryStatus::Pending),
            "retrying" => Some(DeliveryStatus::Retrying),
            "delivered" => Some(DeliveryStatus::Delivered),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// One event for one endpoint, with the outcome of its last attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub status: DeliveryStatus,
    /// Attempts made (or in flight).
    pub attempt: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
    pub latency_ms: Option<u32>,
    pub error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A claimed delivery with everything needed to send it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub delivery: Delivery,
    pub url: String,
    pub secret_sealed: String,
    pub headers: BTreeMap<String, String>,
    pub event_created_at: DateTime<Utc>,
    pub event_data: Value,
}

/// What one attempt came to, as the store records it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub status: DeliveryStatus,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
    pub latency_ms: Option<u32>,
    pub error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// `GET /webhooks/{id}/stats`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryStats {
    pub total: u64,
    pub successful: u64,
    pub failed: u64,
    pub average_latency_ms: Option<f64>,
}

/// The queue as the metrics see it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QueueStats {
    /// Deliveries pending or retrying, plus outbox events not yet fanned out.
    pub depth: u64,
    /// The oldest due and unsent work (delivery or undispatched event).
    pub oldest_due_at: Option<DateTime<Utc>>,
}
