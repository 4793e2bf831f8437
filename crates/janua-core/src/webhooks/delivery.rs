//! Delivering webhook events (API.md §14): the outbox fan-out, one worker round (claim due
//! deliveries, send each signed, record the outcome, schedule the retry or dead-letter), test
//! deliveries and redelivery. Sending goes through the [`Transport`] port, which `janua`
//! implements with its SSRF-guarded HTTP client.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::endpoints::{self, open_secret};
use super::retry::RetrySchedule;
use super::signing::signature;
use super::store::TestEvent;
use super::{AttemptRecord, Delivery, DeliveryStats, DeliveryStatus, DueDelivery};
use crate::auth::principal::UserPrincipal;
use crate::clock::format_timestamp;
use crate::context::Core;
use crate::crypto::seal::Sealer;
use crate::error::{Error, Result};

/// Longest response body kept in the delivery log.
pub const MAX_RESPONSE_BODY_CHARS: usize = 1024;

/// What one HTTP attempt returned.
#[derive(Debug, Clone, PartialEq)]
pub enum TransportOutcome {
    /// The receiver answered (any status).
    Response { status: u16, body: String },
    /// The target was refused before any connection (SSRF guard).
    Refused(String),
    /// No answer: connection failure, timeout, TLS error, redirect refused.
    Failed(String),
}

/// Sends one request. Implementations must not follow redirects and must refuse private
/// targets (unless configured otherwise) after resolving the host.
#[async_trait]
pub trait Transport: Send + Sync {
    async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> TransportOutcome;
}

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub retry: RetrySchedule,
    /// How long a claim hides a delivery from other workers: longer than an attempt can take.
    pub lease: Duration,
    /// Deliveries claimed per round.
    pub batch: u32,
}

/// What became of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    Delivered,
    /// Failed; will be tried again.
    Retrying,
    /// Failed for the last time (or can never succeed): dead-lettered.
    Failed,
}

/// The JSON body of a delivery: `{id,type,created_at,data}` with the event's id, stable across
/// retries.
pub fn payload(due: &DueDelivery) -> Result<Vec<u8>> {
    serde_json::to_vec(&serde_json::json!({
        "id": due.delivery.event_id.to_string(),
        "type": due.delivery.event_type,
        "created_at": format_timestamp(due.event_created_at),
        "data": due.event_data,
    }))
    .map_err(Error::internal)
}

/// The headers of a delivery: the endpoint's own first, then ours (which win).
pub fn headers(
    custom: &BTreeMap<String, String>,
    event_id: Uuid,
    timestamp: i64,
    signature: String,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = custom
        .iter()
        .filter(|(name, _)| !name.to_ascii_lowercase().starts_with("janua-webhook-"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.push(("Content-Type".into(), "application/json".into()));
    out.push(("User-Agent".into(), "Janua-Webhooks/1".into()));
    out.push(("Janua-Webhook-Id".into(), event_id.to_string()));
    out.push(("Janua-Webhook-Timestamp".into(), timestamp.to_string()));
    out.push(("Janua-Webhook-Signature".into(), signature));
    out
}

/// Signs and sends one claimed delivery; returns the outcome and the latency.
async fn send(
    core: &Core,
    sealer: &Sealer,
    transport: &dyn Transport,
    due: &DueDelivery,
) -> Result<(TransportOutcome, u32)> {
    let secret = open_secret(sealer, due.delivery.endpoint_id, &due.secret_sealed)?;
    let body = payload(due)?;
    let timestamp = core.clock.now().timestamp();
    let sig = signature(&secret, timestamp, &body);
    let headers = headers(&due.headers, due.delivery.event_id, timestamp, sig);
    let started = std::time::Instant::now();
    let outcome = transport.post(&due.url, &headers, body).await;
    let latency = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    Ok((outcome, latency))
}

/// The record of an attempt that got `outcome`, as attempt number `attempt`.
pub fn record_for(
    outcome: &TransportOutcome,
    latency_ms: u32,
    attempt: u32,
    schedule: &RetrySchedule,
    now: DateTime<Utc>,
) -> AttemptRecord {
    let (delivered, response_status, response_body, error) = match outcome {
        TransportOutcome::Response { status, body } => {
            let ok = (200..300).contains(status);
            let body: String = body.chars().take(MAX_RESPONSE_BODY_CHARS).collect();
            let error = (!ok).then(|| format!("receiver answered {status}"));
            (ok, Some(*status), Some(body), error)
        }
        TransportOutcome::Refused(why) | TransportOutcome::Failed(why) => {
            (false, None, None, Some(why.clone()))
        }
    };
    let next = if delivered {
        None
    } else {
        schedule.next_attempt_at(attempt, now, &mut rand::thread_rng())
    };
    let status = match (delivered, next) {
        (true, _) => DeliveryStatus::Delivered,
        (false, Some(_)) => DeliveryStatus::Retrying,
        (false, None) => DeliveryStatus::Failed,
    };
    AttemptRecord {
        status,
        response_status,
        response_body,
        latency_ms: Some(latency_ms),
        error,
        next_attempt_at: next,
        at: now,
    }
}

/// Makes one claimed attempt and records it.
pub async fn attempt(
    core: &Core,
    sealer: &Sealer,
    transport: &dyn Transport,
    settings: &DeliverySettings,
    due: &DueDelivery,
) -> Result<AttemptResult> {
    let attempt = due.delivery.attempt;
    let record = if attempt > settings.retry.max_attempts() {
        // A claim past the last attempt: the worker of the last one died mid-flight.
        AttemptRecord {
            status: DeliveryStatus::Failed,
            response_status: None,
            response_body: None,
            latency_ms: None,
            error: Some("the last attempt was interrupted (worker stopped)".into()),
            next_attempt_at: None,
            at: core.clock.now(),
        }
    } else {
        match send(core, sealer, transport, due).await {
            Ok((outcome, latency)) => record_for(
                &outcome,
                latency,
                attempt,
                &settings.retry,
                core.clock.now(),
            ),
            // The secret does not open (SECRET_KEY changed): no retry can succeed.
            Err(error) => AttemptRecord {
                status: DeliveryStatus::Failed,
                response_status: None,
                response_body: None,
                latency_ms: None,
                error: Some(format!("cannot sign: {error}")),
                next_attempt_at: None,
                at: core.clock.now(),
            },
        }
    };
    core.store
        .record_delivery_attempt(due.delivery.id, attempt, &record)
        .await?;
    Ok(match record.status {
        DeliveryStatus::Delivered => AttemptResult::Delivered,
        DeliveryStatus::Failed => AttemptResult::Failed,
        _ => AttemptResult::Retrying,
    })
}

/// Outbox events fanned out per round at most.
pub const DISPATCH_BATCH: u32 = 500;

/// What one round did.
#[derive(Debug, Default)]
pub struct Round {
    /// Outbox events fanned out.
    pub dispatched: usize,
    /// The attempts made.
    pub attempts: Vec<AttemptResult>,
}

impl Round {
    /// Whether a batch was full, so more work is probably waiting right now.
    pub fn was_full(&self, settings: &DeliverySettings) -> bool {
        self.dispatched >= DISPATCH_BATCH as usize || self.attempts.len() >= settings.batch as usize
    }
}

/// One worker round: fan out new outbox events, then claim and attempt due deliveries.
pub async fn run_round(
    core: &Core,
    sealer: &Sealer,
    transport: &dyn Transport,
    settings: &DeliverySettings,
) -> Result<Round> {
    let now = core.clock.now();
    let dispatched = core.store.dispatch_outbox(now, DISPATCH_BATCH).await?;
    let due = core
        .store
        .claim_due_deliveries(now, settings.batch, settings.lease)
        .await?;
    let attempts = due
        .iter()
        .map(|d| attempt(core, sealer, transport, settings, d));
    // Concurrently: a slow receiver does not hold up the rest of the batch.
    let attempts = futures::future::join_all(attempts)
        .await
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    Ok(Round {
        dispatched,
        attempts,
    })
}

/// `POST /webhooks/{id}/test`: sends a `webhook.test` event to this endpoint only, now, and
/// reports the outcome. It is logged as a delivery but never retried.
pub async fn send_test(
    core: &Core,
    sealer: &Sealer,
    transport: &dyn Transport,
    user: &UserPrincipal,
    endpoint_id: Uuid,
) -> Result<(Delivery, TransportOutcome, u32)> {
    let endpoint = endpoints::get(core, user, endpoint_id).await?;
    let now = core.clock.now();
    let event = TestEvent {
        event_id: Uuid::now_v7(),
        delivery_id: Uuid::now_v7(),
        endpoint_id,
        data: serde_json::json!({"message": "This is a test delivery from Janua", "webhook_id": endpoint_id.to_string()}),
        at: now,
    };
    let delivery = core.store.create_test_delivery(&event).await?;
    let due = DueDelivery {
        delivery: delivery.clone(),
        url: endpoint.url.clone(),
        secret_sealed: endpoint.secret_sealed.clone(),
        headers: endpoint.headers.clone(),
        event_created_at: now,
        event_data: event.data.clone(),
    };
    let (outcome, latency) = send(core, sealer, transport, &due).await?;
    // A test is one attempt: an empty schedule turns a failure into `failed` at once.
    let record = record_for(
        &outcome,
        latency,
        1,
        &RetrySchedule { delays: vec![] },
        core.clock.now(),
    );
    core.store
        .record_delivery_attempt(delivery.id, delivery.attempt, &record)
        .await?;
    let delivery = core
        .store
        .get_webhook_delivery(delivery.id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((delivery, outcome, latency))
}

/// The delivery log of an endpoint the caller may manage, newest first.
pub async fn list(
    core: &Core,
    user: &UserPrincipal,
    endpoint_id: Uuid,
    limit: u32,
) -> Result<Vec<Delivery>> {
    endpoints::get(core, user, endpoint_id).await?;
    core.store.list_webhook_deliveries(endpoint_id, limit).await
}

/// Queues a delivery of the caller's endpoint again, with a fresh set of attempts.
pub async fn redeliver(
    core: &Core,
    user: &UserPrincipal,
    endpoint_id: Uuid,
    delivery_id: Uuid,
) -> Result<Delivery> {
    endpoints::get(core, user, endpoint_id).await?;
    let delivery = core
        .store
        .get_webhook_delivery(delivery_id)
        .await?
        .filter(|d| d.endpoint_id == endpoint_id)
        .ok_or(Error::NotFound)?;
    if !core.store.redeliver(delivery.id, core.clock.now()).await? {
        return Err(Error::NotFound);
    }
    core.store
        .get_webhook_delivery(delivery.id)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn stats(
    core: &Core,
    user: &UserPrincipal,
    endpoint_id: Uuid,
    days: u32,
) -> Result<DeliveryStats> {
    endpoints::get(core, user, endpoint_id).await?;
    let since = core.clock.now() - chrono::Duration::days(i64::from(days));
    core.store.webhook_delivery_stats(endpoint_id, since).await
}
