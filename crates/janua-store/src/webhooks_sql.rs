//! The SQL of webhooks (`WebhookStore`): endpoints, the delivery log, attempts, redelivery, the
//! stats and history cleanup, written once. Both backends run the same statements (sqlx binds
//! `$N` placeholders on SQLite too); how a UUID, a time, a JSON document, an integer or a
//! response text is encoded and decoded comes from each backend's `row_codec` module.
//!
//! Not shared: the outbox fan-out (`dispatch_outbox`) and the claim of due deliveries
//! (`claim_due_deliveries`). PostgreSQL selects their rows `FOR UPDATE SKIP LOCKED` (and claims
//! with a data-modifying `WITH`) so several instances share one queue; SQLite relies on its
//! single writer. Each backend's `webhooks.rs` implements both as inherent methods, named to
//! the macro, and may use the row decoders defined here (`endpoint_from_row`,
//! `due_from_row`, …), which the expansion puts in its module.
//!
//! The mutating endpoint methods write their audit entries in their own transaction.

/// Implements `WebhookStore` for `$store`.
///
/// - `$row`: the backend's row type; `$codec`: the module with `enc_*` and decoders;
/// - `$read` / `$write`: the pool methods for reads and writes; `$audit`: the audit writer;
/// - `$dispatch` / `$claim`: the store's inherent methods that implement `dispatch_outbox`
///   and `claim_due_deliveries` (same arguments and result).
macro_rules! impl_webhook_store {
    (
        $store:ident,
        $row:ty,
        $codec:ident,
        $read:ident,
        $write:ident,
        $audit:path,
        $dispatch:ident,
        $claim:ident
    ) => {
        use std::collections::BTreeMap;
        use std::time::Duration;

        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use janua_core::audit::AuditEntry;
        use janua_core::error::{Error, Result};
        use janua_core::ids::UserId;
        use janua_core::webhooks::store::{EndpointQuery, TestEvent, WebhookStore};
        use janua_core::webhooks::{
            AttemptRecord, Delivery, DeliveryStats, DeliveryStatus, DueDelivery, Endpoint,
            EndpointOwner, QueueStats,
        };
        use sqlx::Row;
        use uuid::Uuid;

        use crate::errors::from_sqlx;

        const ENDPOINT_COLUMNS: &str = "id, organization_id, user_id, url, secret_encrypted, \
            events, headers, description, is_active, created_at, updated_at";

        const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.event_id, d.event_type, \
            d.status, d.attempt, d.next_attempt_at, d.response_status, d.response_body, \
            d.response_latency_ms, d.error, d.delivered_at, d.created_at, d.updated_at";

        fn text(row: &$row, col: &str) -> Result<String> {
            row.try_get::<String, _>(col).map_err(from_sqlx)
        }

        fn opt_text(row: &$row, col: &str) -> Result<Option<String>> {
            row.try_get::<Option<String>, _>(col).map_err(from_sqlx)
        }

        fn count(row: &$row, col: &str) -> Result<u64> {
            let n = row.try_get::<i64, _>(col).map_err(from_sqlx)?;
            Ok(u64::try_from(n).unwrap_or(0))
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

        fn headers_from_row(row: &$row) -> Result<BTreeMap<String, String>> {
            serde_json::from_value($codec::json(row, "headers")?)
                .map_err(|e| Error::internal(format!("stored webhook headers: {e}")))
        }

        fn endpoint_from_row(row: &$row) -> Result<Endpoint> {
            let events: Vec<String> = serde_json::from_value($codec::json(row, "events")?)
                .map_err(|e| Error::internal(format!("stored webhook events: {e}")))?;
            Ok(Endpoint {
                id: $codec::id(row, "id")?,
                owner: owner_of(
                    $codec::opt_id(row, "organization_id")?,
                    $codec::opt_id(row, "user_id")?,
                ),
                url: text(row, "url")?,
                secret_sealed: text(row, "secret_encrypted")?,
                events,
                headers: headers_from_row(row)?,
                description: opt_text(row, "description")?,
                is_active: row.try_get::<bool, _>("is_active").map_err(from_sqlx)?,
                created_at: $codec::time(row, "created_at")?,
                updated_at: $codec::time(row, "updated_at")?,
            })
        }

        fn delivery_from_row(row: &$row) -> Result<Delivery> {
            let status = text(row, "status")?;
            Ok(Delivery {
                id: $codec::id(row, "id")?,
                endpoint_id: $codec::id(row, "endpoint_id")?,
                event_id: $codec::id(row, "event_id")?,
                status: DeliveryStatus::parse(&status).ok_or_else(|| {
                    Error::internal(format!("stored delivery status {status:?}"))
                })?,
                event_type: text(row, "event_type")?,
                attempt: u32::try_from($codec::int(row, "attempt")?).unwrap_or(0),
                next_attempt_at: $codec::opt_time(row, "next_attempt_at")?,
                response_status: $codec::opt_int(row, "response_status")?
                    .and_then(|c| u16::try_from(c).ok()),
                response_body: opt_text(row, "response_body")?,
                latency_ms: $codec::opt_int(row, "response_latency_ms")?
                    .and_then(|l| u32::try_from(l).ok()),
                error: opt_text(row, "error")?,
                delivered_at: $codec::opt_time(row, "delivered_at")?,
                created_at: $codec::time(row, "created_at")?,
                updated_at: $codec::time(row, "updated_at")?,
            })
        }

        /// A claimed delivery joined with its endpoint (`url`, `secret_encrypted`, `headers`)
        /// and its event (`occurred_at`, `data`).
        fn due_from_row(row: &$row) -> Result<DueDelivery> {
            Ok(DueDelivery {
                delivery: delivery_from_row(row)?,
                url: text(row, "url")?,
                secret_sealed: text(row, "secret_encrypted")?,
                headers: headers_from_row(row)?,
                event_created_at: $codec::time(row, "occurred_at")?,
                event_data: $codec::json(row, "data")?,
            })
        }

        fn lease_until(now: DateTime<Utc>, lease: Duration) -> Result<DateTime<Utc>> {
            Ok(now + chrono::Duration::from_std(lease).map_err(Error::internal)?)
        }

        fn events_json(e: &Endpoint) -> Result<serde_json::Value> {
            serde_json::to_value(&e.events).map_err(Error::internal)
        }

        fn headers_json(e: &Endpoint) -> Result<serde_json::Value> {
            serde_json::to_value(&e.headers).map_err(Error::internal)
        }

        #[async_trait]
        impl WebhookStore for $store {
            async fn create_webhook_endpoint(
                &self,
                e: &Endpoint,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let (org, user) = owner_columns(e.owner);
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                sqlx::query(&format!(
                    "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ))
                .bind($codec::enc_id(e.id))
                .bind(org.map($codec::enc_id))
                .bind(user.map($codec::enc_id))
                .bind(&e.url)
                .bind(&e.secret_sealed)
                .bind($codec::enc_json(&events_json(e)?)?)
                .bind($codec::enc_json(&headers_json(e)?)?)
                .bind(e.description.as_deref())
                .bind(e.is_active)
                .bind($codec::enc_time(e.created_at))
                .bind($codec::enc_time(e.updated_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            async fn get_webhook_endpoint(&self, id: Uuid) -> Result<Option<Endpoint>> {
                let row = sqlx::query(&format!(
                    "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
                ))
                .bind($codec::enc_id(id))
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(endpoint_from_row).transpose()
            }

            async fn list_webhook_endpoints(
                &self,
                query: &EndpointQuery,
            ) -> Result<Vec<Endpoint>> {
                let (all, org, user) = match query.owner {
                    None => (true, None, None),
                    Some(owner) => {
                        let (org, user) = owner_columns(owner);
                        (false, org, user)
                    }
                };
                let rows = sqlx::query(&format!(
                    "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE ($1 OR \
                     (organization_id IS NOT DISTINCT FROM $2 AND \
                      ($2 IS NOT NULL OR user_id IS NOT DISTINCT FROM $3))) \
                     AND ($4 IS NULL OR is_active = $4) \
                     ORDER BY created_at DESC, id DESC LIMIT 1000"
                ))
                .bind(all)
                .bind(org.map($codec::enc_id))
                .bind(user.map($codec::enc_id))
                .bind(query.is_active)
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter().map(endpoint_from_row).collect()
            }

            async fn count_webhook_endpoints(&self, owner: EndpointOwner) -> Result<u64> {
                let (org, user) = owner_columns(owner);
                let row = sqlx::query(
                    "SELECT COUNT(*) AS n FROM webhook_endpoints \
                     WHERE organization_id IS NOT DISTINCT FROM $1 \
                     AND ($1 IS NOT NULL OR user_id IS NOT DISTINCT FROM $2)",
                )
                .bind(org.map($codec::enc_id))
                .bind(user.map($codec::enc_id))
                .fetch_one(self.$read())
                .await
                .map_err(from_sqlx)?;
                count(&row, "n")
            }

            async fn update_webhook_endpoint(
                &self,
                e: &Endpoint,
                audit: &[AuditEntry],
            ) -> Result<()> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query(
                    "UPDATE webhook_endpoints SET url = $2, secret_encrypted = $3, events = $4, \
                     headers = $5, description = $6, is_active = $7, updated_at = $8 \
                     WHERE id = $1",
                )
                .bind($codec::enc_id(e.id))
                .bind(&e.url)
                .bind(&e.secret_sealed)
                .bind($codec::enc_json(&events_json(e)?)?)
                .bind($codec::enc_json(&headers_json(e)?)?)
                .bind(e.description.as_deref())
                .bind(e.is_active)
                .bind($codec::enc_time(e.updated_at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Err(Error::NotFound);
                }
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            async fn delete_webhook_endpoint(
                &self,
                id: Uuid,
                audit: &[AuditEntry],
            ) -> Result<bool> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
                    .bind($codec::enc_id(id))
                    .execute(&mut *tx)
                    .await
                    .map_err(from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                $audit(&mut tx, audit).await?;
                tx.commit().await.map_err(from_sqlx)?;
                Ok(true)
            }

            async fn dispatch_outbox(&self, now: DateTime<Utc>, limit: u32) -> Result<usize> {
                self.$dispatch(now, limit).await
            }

            async fn claim_due_deliveries(
                &self,
                now: DateTime<Utc>,
                limit: u32,
                lease: Duration,
            ) -> Result<Vec<DueDelivery>> {
                self.$claim(now, limit, lease).await
            }

            async fn record_delivery_attempt(
                &self,
                id: Uuid,
                attempt: u32,
                record: &AttemptRecord,
            ) -> Result<()> {
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = $3, response_status = $4, \
                     response_body = $5, response_latency_ms = $6, error = $7, \
                     next_attempt_at = $8, \
                     delivered_at = CASE WHEN $3 = 'delivered' THEN $9 ELSE delivered_at END, \
                     locked_until = NULL, updated_at = $9 WHERE id = $1 AND attempt = $2",
                )
                .bind($codec::enc_id(id))
                .bind($codec::enc_u32(attempt))
                .bind(record.status.as_str())
                .bind(record.response_status.map(|s| $codec::enc_u32(u32::from(s))))
                .bind(record.response_body.as_deref().map($codec::enc_response_text))
                .bind(record.latency_ms.map($codec::enc_u32))
                .bind(record.error.as_deref().map($codec::enc_response_text))
                .bind(record.next_attempt_at.map($codec::enc_time))
                .bind($codec::enc_time(record.at))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                Ok(())
            }

            async fn create_test_delivery(&self, event: &TestEvent) -> Result<Delivery> {
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO outbox_events (id, event_type, data, occurred_at, dispatched_at) \
                     VALUES ($1, 'webhook.test', $2, $3, $3)",
                )
                .bind($codec::enc_id(event.event_id))
                .bind($codec::enc_json(&event.data)?)
                .bind($codec::enc_time(event.at))
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                // Attempt 1 is made at once by the caller; the lease keeps workers off it
                // meanwhile.
                let row = sqlx::query(&format!(
                    "INSERT INTO webhook_deliveries AS d (id, endpoint_id, event_id, event_type, \
                     status, attempt, next_attempt_at, locked_until, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'webhook.test', 'pending', 1, NULL, $4, $5, $5) \
                     RETURNING {}",
                    DELIVERY_COLUMNS.replace("d.", "")
                ))
                .bind($codec::enc_id(event.delivery_id))
                .bind($codec::enc_id(event.endpoint_id))
                .bind($codec::enc_id(event.event_id))
                .bind($codec::enc_time(event.at + chrono::Duration::hours(1)))
                .bind($codec::enc_time(event.at))
                .fetch_one(&mut *tx)
                .await
                .map_err(from_sqlx)?;
                tx.commit().await.map_err(from_sqlx)?;
                delivery_from_row(&row)
            }

            async fn get_webhook_delivery(&self, id: Uuid) -> Result<Option<Delivery>> {
                let row = sqlx::query(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.id = $1"
                ))
                .bind($codec::enc_id(id))
                .fetch_optional(self.$read())
                .await
                .map_err(from_sqlx)?;
                row.as_ref().map(delivery_from_row).transpose()
            }

            async fn list_webhook_deliveries(
                &self,
                endpoint: Uuid,
                limit: u32,
            ) -> Result<Vec<Delivery>> {
                let rows = sqlx::query(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.endpoint_id = $1 \
                     ORDER BY d.created_at DESC, d.id DESC LIMIT $2"
                ))
                .bind($codec::enc_id(endpoint))
                .bind(i64::from(limit))
                .fetch_all(self.$read())
                .await
                .map_err(from_sqlx)?;
                rows.iter().map(delivery_from_row).collect()
            }

            async fn redeliver(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'pending', attempt = 0, \
                     next_attempt_at = $2, locked_until = NULL, error = NULL, updated_at = $2 \
                     WHERE id = $1",
                )
                .bind($codec::enc_id(id))
                .bind($codec::enc_time(now))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                Ok(done.rows_affected() > 0)
            }

            async fn webhook_delivery_stats(
                &self,
                endpoint: Uuid,
                since: DateTime<Utc>,
            ) -> Result<DeliveryStats> {
                let row = sqlx::query(
                    "SELECT COUNT(*) AS total, \
                     COUNT(CASE WHEN status = 'delivered' THEN 1 END) AS successful, \
                     COUNT(CASE WHEN status = 'failed' THEN 1 END) AS failed, \
                     CAST(AVG(response_latency_ms) AS DOUBLE PRECISION) AS average \
                     FROM webhook_deliveries WHERE endpoint_id = $1 AND created_at >= $2",
                )
                .bind($codec::enc_id(endpoint))
                .bind($codec::enc_time(since))
                .fetch_one(self.$read())
                .await
                .map_err(from_sqlx)?;
                Ok(DeliveryStats {
                    total: count(&row, "total")?,
                    successful: count(&row, "successful")?,
                    failed: count(&row, "failed")?,
                    average_latency_ms: row
                        .try_get::<Option<f64>, _>("average")
                        .map_err(from_sqlx)?,
                })
            }

            async fn webhook_queue_stats(&self, now: DateTime<Utc>) -> Result<QueueStats> {
                let deliveries = sqlx::query(
                    "SELECT COUNT(*) AS n, \
                     MIN(CASE WHEN next_attempt_at <= $1 THEN next_attempt_at END) AS oldest \
                     FROM webhook_deliveries WHERE status IN ('pending', 'retrying')",
                )
                .bind($codec::enc_time(now))
                .fetch_one(self.$read())
                .await
                .map_err(from_sqlx)?;
                let events = sqlx::query(
                    "SELECT COUNT(*) AS n, MIN(occurred_at) AS oldest FROM outbox_events \
                     WHERE dispatched_at IS NULL",
                )
                .fetch_one(self.$read())
                .await
                .map_err(from_sqlx)?;
                let oldest = [
                    $codec::opt_time(&deliveries, "oldest")?,
                    $codec::opt_time(&events, "oldest")?,
                ];
                Ok(QueueStats {
                    depth: count(&deliveries, "n")? + count(&events, "n")?,
                    oldest_due_at: oldest.into_iter().flatten().min(),
                })
            }

            async fn delete_webhook_history_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
                let deliveries = sqlx::query(
                    "DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') \
                     AND updated_at < $1",
                )
                .bind($codec::enc_time(cutoff))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                let events = sqlx::query(
                    "DELETE FROM outbox_events WHERE dispatched_at IS NOT NULL \
                     AND occurred_at < $1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d \
                     WHERE d.event_id = outbox_events.id)",
                )
                .bind($codec::enc_time(cutoff))
                .execute(self.$write())
                .await
                .map_err(from_sqlx)?;
                Ok(deliveries.rows_affected() + events.rows_affected())
            }
        }
    };
}

pub(crate) use impl_webhook_store;
