//! Webhooks on SQLite: `webhook_endpoints`, the outbox fan-out into `webhook_deliveries`, and
//! the delivery queue. Dispatch and claims run as transactions on the single writer
//! connection, so they are serialized: each event is fanned out, and each attempt claimed,
//! exactly once even with several workers on one file.

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
use uuid::Uuid;

use super::codec::{decode_json, decode_time, encode_json, encode_time};
use super::users::decode_uuid;
use super::SqliteStore;
use crate::audit_rows;
use crate::errors::from_sqlx;

const ENDPOINT_COLUMNS: &str = "id, organization_id, user_id, url, secret_encrypted, events, \
                                headers, description, is_active, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: String,
    organization_id: Option<String>,
    user_id: Option<String>,
    url: String,
    secret_encrypted: String,
    events: String,
    headers: String,
    description: Option<String>,
    is_active: bool,
    created_at: String,
    updated_at: String,
}

fn endpoint(row: EndpointRow) -> Result<Endpoint> {
    let org = row
        .organization_id
        .as_deref()
        .map(decode_uuid)
        .transpose()?;
    let user = row.user_id.as_deref().map(decode_uuid).transpose()?;
    let events: Vec<String> = serde_json::from_value(decode_json(&row.events)?)
        .map_err(|e| Error::internal(format!("stored webhook events: {e}")))?;
    let headers: BTreeMap<String, String> = serde_json::from_value(decode_json(&row.headers)?)
        .map_err(|e| Error::internal(format!("stored webhook headers: {e}")))?;
    Ok(Endpoint {
        id: decode_uuid(&row.id)?,
        owner: match (org, user) {
            (Some(org), _) => EndpointOwner::Organization(org),
            (None, Some(user)) => EndpointOwner::User(UserId::from_uuid(user)),
            (None, None) => EndpointOwner::Platform,
        },
        url: row.url,
        secret_sealed: row.secret_encrypted,
        events,
        headers,
        description: row.description,
        is_active: row.is_active,
        created_at: decode_time(&row.created_at)?,
        updated_at: decode_time(&row.updated_at)?,
    })
}

fn owner_columns(owner: EndpointOwner) -> (Option<String>, Option<String>) {
    match owner {
        EndpointOwner::Platform => (None, None),
        EndpointOwner::Organization(org) => (Some(org.to_string()), None),
        EndpointOwner::User(user) => (None, Some(user.to_string())),
    }
}

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.event_id, d.event_type, d.status, \
     d.attempt, d.next_attempt_at, d.response_status, d.response_body, d.response_latency_ms, \
     d.error, d.delivered_at, d.created_at, d.updated_at";

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: String,
    endpoint_id: String,
    event_id: String,
    event_type: String,
    status: String,
    attempt: i64,
    next_attempt_at: Option<String>,
    response_status: Option<i64>,
    response_body: Option<String>,
    response_latency_ms: Option<i64>,
    error: Option<String>,
    delivered_at: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    #[sqlx(flatten)]
    delivery: DeliveryRow,
    url: String,
    secret_encrypted: String,
    headers: String,
    occurred_at: String,
    data: String,
}

fn delivery(row: DeliveryRow) -> Result<Delivery> {
    Ok(Delivery {
        id: decode_uuid(&row.id)?,
        endpoint_id: decode_uuid(&row.endpoint_id)?,
        event_id: decode_uuid(&row.event_id)?,
        status: DeliveryStatus::parse(&row.status)
            .ok_or_else(|| Error::internal(format!("stored delivery status {:?}", row.status)))?,
        event_type: row.event_type,
        attempt: u32::try_from(row.attempt).unwrap_or(0),
        next_attempt_at: row
            .next_attempt_at
            .as_deref()
            .map(decode_time)
            .transpose()?,
        response_status: row.response_status.and_then(|c| u16::try_from(c).ok()),
        response_body: row.response_body,
        latency_ms: row.response_latency_ms.and_then(|l| u32::try_from(l).ok()),
        error: row.error,
        delivered_at: row.delivered_at.as_deref().map(decode_time).transpose()?,
        created_at: decode_time(&row.created_at)?,
        updated_at: decode_time(&row.updated_at)?,
    })
}

fn json_text(value: impl Into<serde_json::Value>) -> Result<String> {
    encode_json(&value.into())
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn create_webhook_endpoint(&self, e: &Endpoint, audit: &[AuditEntry]) -> Result<()> {
        let (org, user) = owner_columns(e.owner);
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        sqlx::query(&format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        ))
        .bind(e.id.to_string())
        .bind(org)
        .bind(user)
        .bind(&e.url)
        .bind(&e.secret_sealed)
        .bind(json_text(e.events.clone())?)
        .bind(json_text(serde_json::Map::from_iter(
            e.headers
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str()))),
        ))?)
        .bind(e.description.as_deref())
        .bind(e.is_active)
        .bind(encode_time(e.created_at))
        .bind(encode_time(e.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn get_webhook_endpoint(&self, id: Uuid) -> Result<Option<Endpoint>> {
        let row: Option<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1"
        ))
        .bind(id.to_string())
        .fetch_optional(self.reader())
        .await
        .map_err(from_sqlx)?;
        row.map(endpoint).transpose()
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
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE (?1 OR \
             (organization_id IS ?2 AND (?2 IS NOT NULL OR user_id IS ?3))) \
             AND (?4 IS NULL OR is_active = ?4) \
             ORDER BY created_at DESC, id DESC LIMIT 1000"
        ))
        .bind(all)
        .bind(org)
        .bind(user)
        .bind(query.is_active)
        .fetch_all(self.reader())
        .await
        .map_err(from_sqlx)?;
        rows.into_iter().map(endpoint).collect()
    }

    async fn count_webhook_endpoints(&self, owner: EndpointOwner) -> Result<u64> {
        let (org, user) = owner_columns(owner);
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE organization_id IS ?1 \
             AND (?1 IS NOT NULL OR user_id IS ?2)",
        )
        .bind(org)
        .bind(user)
        .fetch_one(self.reader())
        .await
        .map_err(from_sqlx)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn update_webhook_endpoint(&self, e: &Endpoint, audit: &[AuditEntry]) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET url = ?2, secret_encrypted = ?3, events = ?4, \
             headers = ?5, description = ?6, is_active = ?7, updated_at = ?8 WHERE id = ?1",
        )
        .bind(e.id.to_string())
        .bind(&e.url)
        .bind(&e.secret_sealed)
        .bind(json_text(e.events.clone())?)
        .bind(json_text(serde_json::Map::from_iter(
            e.headers
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str()))),
        ))?)
        .bind(e.description.as_deref())
        .bind(e.is_active)
        .bind(encode_time(e.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn delete_webhook_endpoint(&self, id: Uuid, audit: &[AuditEntry]) -> Result<bool> {
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = ?1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        audit_rows::insert_sqlite(&mut tx, audit).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(true)
    }

    async fn dispatch_outbox(&self, now: DateTime<Utc>, limit: u32) -> Result<usize> {
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let (active,): (bool,) =
            sqlx::query_as("SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE is_active = 1)")
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
                "UPDATE outbox_events SET dispatched_at = ?2 WHERE id IN (SELECT id \
                 FROM outbox_events WHERE dispatched_at IS NULL ORDER BY occurred_at, id LIMIT ?1) \
                 AND NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE is_active = 1)",
            )
            .bind(i64::from(limit))
            .bind(encode_time(now))
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
            if done.rows_affected() > 0 {
                tx.commit().await.map_err(from_sqlx)?;
                return Ok(done.rows_affected() as usize);
            }
        }
        let events: Vec<(String, String, Option<String>, Option<String>, String)> = sqlx::query_as(
            "SELECT id, event_type, organization_id, user_id, occurred_at FROM outbox_events \
             WHERE dispatched_at IS NULL ORDER BY occurred_at, id LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if events.is_empty() {
            return Ok(0);
        }
        let rows: Vec<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE is_active = 1"
        ))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let endpoints = rows.into_iter().map(endpoint).collect::<Result<Vec<_>>>()?;
        let at = encode_time(now);
        let count = events.len();
        let mut dispatched = Vec::with_capacity(count);
        for (id, event_type, organization_id, user_id, occurred_at) in events {
            let head = EventHead {
                id: decode_uuid(&id)?,
                event_type,
                organization_id: organization_id.as_deref().map(decode_uuid).transpose()?,
                user_id: user_id.as_deref().map(decode_uuid).transpose()?,
                occurred_at: decode_time(&occurred_at)?,
            };
            for e in endpoints.iter().filter(|e| e.wants(&head)) {
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, \
                     status, attempt, next_attempt_at, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5, ?5) \
                     ON CONFLICT (endpoint_id, event_id) DO NOTHING",
                )
                .bind(Uuid::now_v7().to_string())
                .bind(e.id.to_string())
                .bind(&id)
                .bind(&head.event_type)
                .bind(&at)
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
            }
            dispatched.push(id);
        }
        sqlx::query(
            "UPDATE outbox_events SET dispatched_at = ?2 WHERE id IN (SELECT value FROM json_each(?1))",
        )
        .bind(encode_json(&serde_json::json!(dispatched))?)
        .bind(&at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(count)
    }

    async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<DueDelivery>> {
        let until = now + chrono::Duration::from_std(lease).map_err(Error::internal)?;
        let at = encode_time(now);
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        let ids: Vec<(String,)> = sqlx::query_as(
            "UPDATE webhook_deliveries SET attempt = attempt + 1, locked_until = ?2, \
             updated_at = ?1 WHERE id IN (SELECT id FROM webhook_deliveries \
             WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?1 \
             AND (locked_until IS NULL OR locked_until <= ?1) \
             ORDER BY next_attempt_at, id LIMIT ?3) RETURNING id",
        )
        .bind(&at)
        .bind(encode_time(until))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let mut due = Vec::with_capacity(ids.len());
        for (id,) in ids {
            let row: DueRow = sqlx::query_as(&format!(
                "SELECT {DELIVERY_COLUMNS}, w.url, w.secret_encrypted, w.headers, \
                 o.occurred_at, o.data FROM webhook_deliveries d \
                 JOIN webhook_endpoints w ON w.id = d.endpoint_id \
                 JOIN outbox_events o ON o.id = d.event_id WHERE d.id = ?1"
            ))
            .bind(&id)
            .fetch_one(&mut *tx)
            .await
            .map_err(from_sqlx)?;
            let headers: BTreeMap<String, String> =
                serde_json::from_value(decode_json(&row.headers)?)
                    .map_err(|e| Error::internal(format!("stored webhook headers: {e}")))?;
            due.push(DueDelivery {
                delivery: delivery(row.delivery)?,
                url: row.url,
                secret_sealed: row.secret_encrypted,
                headers,
                event_created_at: decode_time(&row.occurred_at)?,
                event_data: decode_json(&row.data)?,
            });
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(due)
    }

    async fn record_delivery_attempt(
        &self,
        id: Uuid,
        attempt: u32,
        record: &AttemptRecord,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = ?3, response_status = ?4, \
             response_body = ?5, response_latency_ms = ?6, error = ?7, next_attempt_at = ?8, \
             delivered_at = CASE WHEN ?3 = 'delivered' THEN ?9 ELSE delivered_at END, \
             locked_until = NULL, updated_at = ?9 WHERE id = ?1 AND attempt = ?2",
        )
        .bind(id.to_string())
        .bind(i64::from(attempt))
        .bind(record.status.as_str())
        .bind(record.response_status.map(i64::from))
        .bind(record.response_body.as_deref())
        .bind(record.latency_ms.map(i64::from))
        .bind(record.error.as_deref())
        .bind(record.next_attempt_at.map(encode_time))
        .bind(encode_time(record.at))
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn create_test_delivery(&self, event: &TestEvent) -> Result<Delivery> {
        let at = encode_time(event.at);
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        sqlx::query(
            "INSERT INTO outbox_events (id, event_type, data, occurred_at, dispatched_at) \
             VALUES (?1, 'webhook.test', ?2, ?3, ?3)",
        )
        .bind(event.event_id.to_string())
        .bind(encode_json(&event.data)?)
        .bind(&at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        // Attempt 1 is made at once by the caller; the lease keeps workers off it meanwhile.
        let row: DeliveryRow = sqlx::query_as(&format!(
            "INSERT INTO webhook_deliveries AS d (id, endpoint_id, event_id, event_type, status, \
             attempt, next_attempt_at, locked_until, created_at, updated_at) \
             VALUES (?1, ?2, ?3, 'webhook.test', 'pending', 1, NULL, ?4, ?5, ?5) \
             RETURNING {}",
            DELIVERY_COLUMNS.replace("d.", "")
        ))
        .bind(event.delivery_id.to_string())
        .bind(event.endpoint_id.to_string())
        .bind(event.event_id.to_string())
        .bind(encode_time(event.at + chrono::Duration::hours(1)))
        .bind(&at)
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        delivery(row)
    }

    async fn get_webhook_delivery(&self, id: Uuid) -> Result<Option<Delivery>> {
        let row: Option<DeliveryRow> = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.id = ?1"
        ))
        .bind(id.to_string())
        .fetch_optional(self.reader())
        .await
        .map_err(from_sqlx)?;
        row.map(delivery).transpose()
    }

    async fn list_webhook_deliveries(&self, endpoint: Uuid, limit: u32) -> Result<Vec<Delivery>> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.endpoint_id = ?1 \
             ORDER BY d.created_at DESC, d.id DESC LIMIT ?2"
        ))
        .bind(endpoint.to_string())
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .map_err(from_sqlx)?;
        rows.into_iter().map(delivery).collect()
    }

    async fn redeliver(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', attempt = 0, next_attempt_at = ?2, \
             locked_until = NULL, error = NULL, updated_at = ?2 WHERE id = ?1",
        )
        .bind(id.to_string())
        .bind(encode_time(now))
        .execute(self.writer())
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
            "SELECT COUNT(*), COALESCE(SUM(status = 'delivered'), 0), \
             COALESCE(SUM(status = 'failed'), 0), AVG(response_latency_ms) \
             FROM webhook_deliveries WHERE endpoint_id = ?1 AND created_at >= ?2",
        )
        .bind(endpoint.to_string())
        .bind(encode_time(since))
        .fetch_one(self.reader())
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
        let (deliveries, oldest_delivery): (i64, Option<String>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(CASE WHEN next_attempt_at <= ?1 THEN next_attempt_at END) \
             FROM webhook_deliveries WHERE status IN ('pending', 'retrying')",
        )
        .bind(encode_time(now))
        .fetch_one(self.reader())
        .await
        .map_err(from_sqlx)?;
        let (events, oldest_event): (i64, Option<String>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(occurred_at) FROM outbox_events WHERE dispatched_at IS NULL",
        )
        .fetch_one(self.reader())
        .await
        .map_err(from_sqlx)?;
        let oldest = [oldest_delivery, oldest_event]
            .into_iter()
            .flatten()
            .map(|t| decode_time(&t))
            .collect::<Result<Vec<_>>>()?;
        Ok(QueueStats {
            depth: u64::try_from(deliveries + events).unwrap_or(0),
            oldest_due_at: oldest.into_iter().min(),
        })
    }

    async fn delete_webhook_history_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        let cutoff = encode_time(cutoff);
        let deliveries = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') \
             AND updated_at < ?1",
        )
        .bind(&cutoff)
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        let events = sqlx::query(
            "DELETE FROM outbox_events WHERE dispatched_at IS NOT NULL AND occurred_at < ?1 \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = outbox_events.id)",
        )
        .bind(&cutoff)
        .execute(self.writer())
        .await
        .map_err(from_sqlx)?;
        Ok(deliveries.rows_affected() + events.rows_affected())
    }
}
