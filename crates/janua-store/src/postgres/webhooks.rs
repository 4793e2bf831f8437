//! Webhooks on PostgreSQL: `webhook_endpoints`, the outbox fan-out into `webhook_deliveries`,
//! and the delivery queue. Dispatch and claims select rows `FOR UPDATE SKIP LOCKED`, so several
//! instances work the same queue and each event is fanned out, and each attempt made, by
//! exactly one of them. Everything runs on the primary.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use janua_core::audit::AuditEntry;
use janua_core::error::{Error, Result};
use janua_core::ids::UserId;
use janua_core::webhooks::store::{EndpointQuery, TestEvent, WebhookStore};
use janua_core::webhooks::{
    AttemptRecord, Delivery, DeliveryStats, DeliveryStatus, DueDelivery, Endpoint, EndpointOwner,
    EventHead, QueueStats,
};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::PgStore;
use crate::audit_rows;
use crate::errors::from_sqlx;

const ENDPOINT_COLUMNS: &str = "id, organization_id, user_id, url, secret_encrypted, events, \
                                headers, description, is_active, created_at, updated_at";

type EndpointRow = (
    Uuid,
    Option<Uuid>,
    Option<Uuid>,
    String,
    String,
    Json<Vec<String>>,
    Json<BTreeMap<String, String>>,
    Option<String>,
    bool,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn endpoint(row: EndpointRow) -> Endpoint {
    let (id, org, user, url, secret, events, headers, description, is_active, created, updated) =
        row;
    Endpoint {
        id,
        owner: owner_of(org, user),
        url,
        secret_sealed: secret,
        events: events.0,
        headers: headers.0,
        description,
        is_active,
        created_at: created,
        updated_at: updated,
    }
}

fn owner_of(org: Option<Uuid>, user: Option<Uuid>) -> EndpointOwner {
    match (org, user) {
        (Some(org), _) => EndpointOwner::Organization(org),
        (None, Some(user)) => EndpointOwner::User(UserId::from_uuid(user)),
        (None, None) => EndpointOwner::Platform,
    }
}

fn owner_columns(owner: EndpointOwner) -> (Option<Uuid>, Option<Uuid>) {
    match owner {
        EndpointOwner::Platform => (None, None),
        EndpointOwner::Organization(org) => (Some(org), None),
        EndpointOwner::User(user) => (None, Some(user.as_uuid())),
    }
}

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.event_id, d.event_type, d.status, \
     d.attempt, d.next_attempt_at, d.response_status, d.response_body, d.response_latency_ms, \
     d.error, d.delivered_at, d.created_at, d.updated_at";

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    endpoint_id: Uuid,
    event_id: Uuid,
    event_type: String,
    status: String,
    attempt: i32,
    next_attempt_at: Option<DateTime<Utc>>,
    response_status: Option<i32>,
    response_body: Option<String>,
    response_latency_ms: Option<i32>,
    error: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A claimed delivery joined with its endpoint and event.
#[derive(sqlx::FromRow)]
struct DueRow {
    #[sqlx(flatten)]
    delivery: DeliveryRow,
    url: String,
    secret_encrypted: String,
    headers: Json<BTreeMap<String, String>>,
    occurred_at: DateTime<Utc>,
    data: Json<Value>,
}

fn delivery(row: DeliveryRow) -> Result<Delivery> {
    Ok(Delivery {
        id: row.id,
        endpoint_id: row.endpoint_id,
        event_id: row.event_id,
        status: DeliveryStatus::parse(&row.status)
            .ok_or_else(|| Error::internal(format!("stored delivery status {:?}", row.status)))?,
        event_type: row.event_type,
        attempt: u32::try_from(row.attempt).unwrap_or(0),
        next_attempt_at: row.next_attempt_at,
        response_status: row.response_status.and_then(|c| u16::try_from(c).ok()),
        response_body: row.response_body,
        latency_ms: row.response_latency_ms.and_then(|l| u32::try_from(l).ok()),
        error: row.error,
        delivered_at: row.delivered_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn lease_until(now: DateTime<Utc>, lease: Duration) -> Result<DateTime<Utc>> {
    Ok(now + chrono::Duration::from_std(lease).map_err(Error::internal)?)
}

#[async_trait]
impl WebhookStore for PgStore {
    async fn create_webhook_endpoint(&self, e: &Endpoint, audit: &[AuditEntry]) -> Result<()> {
        let (org, user) = owner_columns(e.owner);
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        sqlx::query(&format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(e.id)
        .bind(org)
        .bind(user)
        .bind(&e.url)
        .bind(&e.secret_sealed)
        .bind(Json(&e.events))
        .bind(Json(&e.headers))
        .bind(e.description.as_deref())
        .bind(e.is_active)
        .bind(e.created_at)
        .bind(e.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn get_webhook_endpoint(&self, id: Uuid) -> Result<Option<Endpoint>> {
        let row: Option<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(row.map(endpoint))
    }

    async fn list_webhook_endpoints(&self, query: &EndpointQuery) -> Result<Vec<Endpoint>> {
        let (all, org, user) = match query.owner {
            None => (true, None, None),
            Some(owner) => {
                let (org, user) = owner_columns(owner);
                (false, org, user)
            }
        };
        let rows: Vec<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE ($1 OR \
             (organization_id IS NOT DISTINCT FROM $2 AND \
              ($2::uuid IS NOT NULL OR user_id IS NOT DISTINCT FROM $3))) \
             AND ($4::boolean IS NULL OR is_active = $4) \
             ORDER BY created_at DESC, id DESC LIMIT 1000"
        ))
        .bind(all)
        .bind(org)
        .bind(user)
        .bind(query.is_active)
        .fetch_all(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(rows.into_iter().map(endpoint).collect())
    }

    async fn count_webhook_endpoints(&self, owner: EndpointOwner) -> Result<u64> {
        let (org, user) = owner_columns(owner);
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE organization_id IS NOT DISTINCT FROM $1 \
             AND ($1::uuid IS NOT NULL OR user_id IS NOT DISTINCT FROM $2)",
        )
        .bind(org)
        .bind(user)
        .fetch_one(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn update_webhook_endpoint(&self, e: &Endpoint, audit: &[AuditEntry]) -> Result<()> {
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET url = $2, secret_encrypted = $3, events = $4, \
             headers = $5, description = $6, is_active = $7, updated_at = $8 WHERE id = $1",
        )
        .bind(e.id)
        .bind(&e.url)
        .bind(&e.secret_sealed)
        .bind(Json(&e.events))
        .bind(Json(&e.headers))
        .bind(e.description.as_deref())
        .bind(e.is_active)
        .bind(e.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn delete_webhook_endpoint(&self, id: Uuid, audit: &[AuditEntry]) -> Result<bool> {
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        audit_rows::insert_pg(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(true)
    }

    async fn dispatch_outbox(&self, now: DateTime<Utc>, limit: u32) -> Result<usize> {
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        let (active,): (bool,) =
            sqlx::query_as("SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE is_active)")
                .fetch_one(&mut *tx)
                .await
                .map_err(from_sqlx)?;
        if !active {
            // No endpoint can want any event: mark the oldest `limit` dispatched in one
            // statement without reading them (what the fan-out below does with no endpoint).
            // The statement checks again, in its own snapshot, that no endpoint is active: one
            // created since the check above falls through to the fan-out, so an event committed
            // after an endpoint was never skips it.
            let done = sqlx::query(
                "UPDATE outbox_events SET dispatched_at = $2 WHERE id IN (SELECT id \
                 FROM outbox_events WHERE dispatched_at IS NULL ORDER BY occurred_at, id \
                 LIMIT $1 FOR UPDATE SKIP LOCKED) \
                 AND NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE is_active)",
            )
            .bind(i64::from(limit))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
            if done.rows_affected() > 0 {
                tx.commit().await.map_err(from_sqlx)?;
                return Ok(done.rows_affected() as usize);
            }
        }
        let events: Vec<(Uuid, String, Option<Uuid>, Option<Uuid>, DateTime<Utc>)> =
            sqlx::query_as(
                "SELECT id, event_type, organization_id, user_id, occurred_at FROM outbox_events \
             WHERE dispatched_at IS NULL ORDER BY occurred_at, id LIMIT $1 \
             FOR UPDATE SKIP LOCKED",
            )
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if events.is_empty() {
            return Ok(0);
        }
        let endpoints: Vec<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE is_active"
        ))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let endpoints: Vec<Endpoint> = endpoints.into_iter().map(endpoint).collect();
        let mut ids = Vec::with_capacity(events.len());
        for (id, event_type, organization_id, user_id, occurred_at) in events {
            let head = EventHead {
                id,
                event_type,
                organization_id,
                user_id,
                occurred_at,
            };
            for e in endpoints.iter().filter(|e| e.wants(&head)) {
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, \
                     status, attempt, next_attempt_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5) \
                     ON CONFLICT (endpoint_id, event_id) DO NOTHING",
                )
                .bind(Uuid::now_v7())
                .bind(e.id)
                .bind(head.id)
                .bind(&head.event_type)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
            }
            ids.push(head.id);
        }
        sqlx::query("UPDATE outbox_events SET dispatched_at = $2 WHERE id = ANY($1)")
            .bind(&ids)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(ids.len())
    }

    async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<DueDelivery>> {
        let until = lease_until(now, lease)?;
        let sql = format!(
            "WITH claimed AS (UPDATE webhook_deliveries SET attempt = attempt + 1, \
             locked_until = $2, updated_at = $1 WHERE id IN (SELECT id FROM webhook_deliveries \
             WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $1 \
             AND (locked_until IS NULL OR locked_until <= $1) \
             ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *) \
             SELECT {DELIVERY_COLUMNS}, w.url, w.secret_encrypted, w.headers, o.occurred_at, o.data \
             FROM claimed d JOIN webhook_endpoints w ON w.id = d.endpoint_id \
             JOIN outbox_events o ON o.id = d.event_id"
        );
        let rows: Vec<DueRow> = sqlx::query_as(&sql)
            .bind(now)
            .bind(until)
            .bind(i64::from(limit))
            .fetch_all(self.primary())
            .await
            .map_err(from_sqlx)?;
        rows.into_iter()
            .map(|r| {
                Ok(DueDelivery {
                    delivery: delivery(r.delivery)?,
                    url: r.url,
                    secret_sealed: r.secret_encrypted,
                    headers: r.headers.0,
                    event_created_at: r.occurred_at,
                    event_data: r.data.0,
                })
            })
            .collect()
    }

    async fn record_delivery_attempt(
        &self,
        id: Uuid,
        attempt: u32,
        record: &AttemptRecord,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $3, response_status = $4, \
             response_body = $5, response_latency_ms = $6, error = $7, next_attempt_at = $8, \
             delivered_at = CASE WHEN $3 = 'delivered' THEN $9 ELSE delivered_at END, \
             locked_until = NULL, updated_at = $9 WHERE id = $1 AND attempt = $2",
        )
        .bind(id)
        .bind(i32::try_from(attempt).unwrap_or(i32::MAX))
        .bind(record.status.as_str())
        .bind(record.response_status.map(i32::from))
        .bind(record.response_body.as_deref().map(|b| b.replace('\0', "")))
        .bind(
            record
                .latency_ms
                .map(|l| i32::try_from(l).unwrap_or(i32::MAX)),
        )
        .bind(record.error.as_deref().map(|e| e.replace('\0', "")))
        .bind(record.next_attempt_at)
        .bind(record.at)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn create_test_delivery(&self, event: &TestEvent) -> Result<Delivery> {
        let mut tx = self.primary().begin().await.map_err(from_sqlx)?;
        sqlx::query(
            "INSERT INTO outbox_events (id, event_type, data, occurred_at, dispatched_at) \
             VALUES ($1, 'webhook.test', $2, $3, $3)",
        )
        .bind(event.event_id)
        .bind(Json(&event.data))
        .bind(event.at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        // Attempt 1 is made at once by the caller; the lease keeps workers off it meanwhile.
        let row: DeliveryRow = sqlx::query_as(&format!(
            "INSERT INTO webhook_deliveries AS d (id, endpoint_id, event_id, event_type, status, \
             attempt, next_attempt_at, locked_until, created_at, updated_at) \
             VALUES ($1, $2, $3, 'webhook.test', 'pending', 1, NULL, $4 + interval '1 hour', $4, $4) \
             RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(event.delivery_id)
        .bind(event.endpoint_id)
        .bind(event.event_id)
        .bind(event.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        delivery(row)
    }

    async fn get_webhook_delivery(&self, id: Uuid) -> Result<Option<Delivery>> {
        let row: Option<DeliveryRow> = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.primary())
        .await
        .map_err(from_sqlx)?;
        row.map(delivery).transpose()
    }

    async fn list_webhook_deliveries(&self, endpoint: Uuid, limit: u32) -> Result<Vec<Delivery>> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.endpoint_id = $1 \
             ORDER BY d.created_at DESC, d.id DESC LIMIT $2"
        ))
        .bind(endpoint)
        .bind(i64::from(limit))
        .fetch_all(self.primary())
        .await
        .map_err(from_sqlx)?;
        rows.into_iter().map(delivery).collect()
    }

    async fn redeliver(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', attempt = 0, next_attempt_at = $2, \
             locked_until = NULL, error = NULL, updated_at = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }

    async fn webhook_delivery_stats(
        &self,
        endpoint: Uuid,
        since: DateTime<Utc>,
    ) -> Result<DeliveryStats> {
        let (total, ok, failed, avg): (i64, i64, i64, Option<f64>) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'delivered'), \
             COUNT(*) FILTER (WHERE status = 'failed'), \
             AVG(response_latency_ms)::float8 FROM webhook_deliveries \
             WHERE endpoint_id = $1 AND created_at >= $2",
        )
        .bind(endpoint)
        .bind(since)
        .fetch_one(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(DeliveryStats {
            total: u64::try_from(total).unwrap_or(0),
            successful: u64::try_from(ok).unwrap_or(0),
            failed: u64::try_from(failed).unwrap_or(0),
            average_latency_ms: avg,
        })
    }

    async fn webhook_queue_stats(&self, now: DateTime<Utc>) -> Result<QueueStats> {
        let (deliveries, oldest_delivery): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(next_attempt_at) FILTER (WHERE next_attempt_at <= $1) \
             FROM webhook_deliveries WHERE status IN ('pending', 'retrying')",
        )
        .bind(now)
        .fetch_one(self.primary())
        .await
        .map_err(from_sqlx)?;
        let (events, oldest_event): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(occurred_at) FROM outbox_events WHERE dispatched_at IS NULL",
        )
        .fetch_one(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(QueueStats {
            depth: u64::try_from(deliveries + events).unwrap_or(0),
            oldest_due_at: [oldest_delivery, oldest_event].into_iter().flatten().min(),
        })
    }

    async fn delete_webhook_history_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        let deliveries = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') \
             AND updated_at < $1",
        )
        .bind(cutoff)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        let events = sqlx::query(
            "DELETE FROM outbox_events o WHERE o.dispatched_at IS NOT NULL \
             AND o.occurred_at < $1 AND NOT EXISTS \
             (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = o.id)",
        )
        .bind(cutoff)
        .execute(self.primary())
        .await
        .map_err(from_sqlx)?;
        Ok(deliveries.rows_affected() + events.rows_affected())
    }
}
