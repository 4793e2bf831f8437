//! Webhooks on SQLite: the shared statements of `crate::webhooks_sql` (endpoints, the delivery
//! log, attempts, stats, cleanup) with SQLite's encodings (UUIDs, times and JSON as TEXT), plus
//! what stays here: the outbox fan-out into `webhook_deliveries` and the claim of due
//! deliveries. Both run as transactions on the single writer connection, so they are
//! serialized: each event is fanned out, and each attempt claimed, exactly once even with
//! several workers on one file. (An event recorded while no endpoint is active is written
//! already dispatched: see `crate::audit_rows`.)

use janua_core::webhooks::EventHead;

use super::codec::{decode_time, encode_json, encode_time};
use super::users::decode_uuid;
use super::{row_codec, SqliteStore};

crate::webhooks_sql::impl_webhook_store!(
    SqliteStore,
    sqlx::sqlite::SqliteRow,
    row_codec,
    reader,
    writer,
    crate::audit_rows::insert_sqlite,
    dispatch_webhook_outbox,
    claim_webhook_deliveries
);

/// An undispatched outbox event as stored: id, type, organization, user, time.
type EventRow = (String, String, Option<String>, Option<String>, String);

impl SqliteStore {
    async fn dispatch_webhook_outbox(&self, now: DateTime<Utc>, limit: u32) -> Result<usize> {
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
        let events: Vec<EventRow> = sqlx::query_as(
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
        let rows = sqlx::query(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE is_active = 1"
        ))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let endpoints = rows
            .iter()
            .map(endpoint_from_row)
            .collect::<Result<Vec<_>>>()?;
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

    async fn claim_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<DueDelivery>> {
        let until = lease_until(now, lease)?;
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
            let row = sqlx::query(&format!(
                "SELECT {DELIVERY_COLUMNS}, w.url, w.secret_encrypted, w.headers, \
                 o.occurred_at, o.data FROM webhook_deliveries d \
                 JOIN webhook_endpoints w ON w.id = d.endpoint_id \
                 JOIN outbox_events o ON o.id = d.event_id WHERE d.id = ?1"
            ))
            .bind(&id)
            .fetch_one(&mut *tx)
            .await
            .map_err(from_sqlx)?;
            due.push(due_from_row(&row)?);
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(due)
    }
}
