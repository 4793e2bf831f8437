//! Webhooks on PostgreSQL: the shared statements of `crate::webhooks_sql` (endpoints, the
//! delivery log, attempts, stats, cleanup) with native UUID, TIMESTAMPTZ and JSONB, plus what
//! stays here: the outbox fan-out into `webhook_deliveries` and the claim of due deliveries.
//! Both select their rows `FOR UPDATE SKIP LOCKED`, so several instances work the same queue
//! and each event is fanned out, and each attempt made, by exactly one of them. Everything runs
//! on the primary.

use janua_core::webhooks::EventHead;

use super::{row_codec, PgStore};

crate::webhooks_sql::impl_webhook_store!(
    PgStore,
    sqlx::postgres::PgRow,
    row_codec,
    primary,
    primary,
    crate::audit_rows::insert_pg,
    dispatch_webhook_outbox,
    claim_webhook_deliveries
);

/// An undispatched outbox event: id, type, organization, user, time.
type EventRow = (Uuid, String, Option<Uuid>, Option<Uuid>, DateTime<Utc>);

impl PgStore {
    async fn dispatch_webhook_outbox(&self, now: DateTime<Utc>, limit: u32) -> Result<usize> {
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
        let events: Vec<EventRow> = sqlx::query_as(
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
        let endpoints = sqlx::query(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE is_active"
        ))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let endpoints = endpoints
            .iter()
            .map(endpoint_from_row)
            .collect::<Result<Vec<_>>>()?;
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

    async fn claim_webhook_deliveries(
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
        let rows = sqlx::query(&sql)
            .bind(now)
            .bind(until)
            .bind(i64::from(limit))
            .fetch_all(self.primary())
            .await
            .map_err(from_sqlx)?;
        rows.iter().map(due_from_row).collect()
    }
}
