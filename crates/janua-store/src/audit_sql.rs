//! The reading side of the audit log (`AuditStore`, the `audit_logs` table), written once:
//! keyset-paginated lists newest first, counts, single entries, the grouped stats and the
//! retention delete, with every filter bound (never spliced). Both backends build the same
//! statements (sqlx binds `$N` placeholders on SQLite too); how a UUID, a time or a JSON
//! document is encoded and decoded comes from each backend's `row_codec` module. On SQLite
//! times are fixed-width RFC 3339 text, so text order is time order and the cursor compares as
//! on PostgreSQL.
//!
//! Not here: writing entries, which `crate::audit_rows` does for both backends (this macro's
//! `record_audit` only opens the transaction for it). Per backend: the expression that turns
//! `occurred_at` into a `YYYY-MM-DD` day for the daily stats (`to_char` in UTC on
//! PostgreSQL, a prefix of the stored text on SQLite).

/// Implements `AuditStore` for `$store`.
///
/// - `$db`: the sqlx database (for the query builder); `$row`: its row type; `$codec`: the
///   module with `enc_*` and decoders;
/// - `$read` / `$write`: the pool methods for reads and writes; `$audit`: the audit writer;
/// - `$day`: a SQL expression (a `&str`) giving an entry's UTC day as `YYYY-MM-DD`.
macro_rules! impl_audit_store {
    (
        $store:ident,
        $db:ty,
        $row:ty,
        $codec:ident,
        $read:ident,
        $write:ident,
        $audit:path,
        $day:expr
    ) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use janua_core::audit::query::{ActionFilter, AuditCursor, AuditFilter, AuditStats, Scope};
        use janua_core::audit::{
            Actor, ActorType, AuditEntry, AuditStore, Outcome, RequestContext, Target,
        };
        use janua_core::error::{Error, Result};
        use sqlx::{QueryBuilder, Row};
        use uuid::Uuid;

        use crate::errors::from_sqlx;
        use crate::paging::prefix_pattern;

        const COLUMNS: &str = "id, occurred_at, actor_type, actor_id, actor_email, action, \
            target_type, target_id, organization_id, ip_address, user_agent, request_id, \
            outcome, details";

        fn text(row: &$row, col: &str) -> Result<String> {
            row.try_get::<String, _>(col).map_err(from_sqlx)
        }

        fn opt_text(row: &$row, col: &str) -> Result<Option<String>> {
            row.try_get::<Option<String>, _>(col).map_err(from_sqlx)
        }

        fn entry(row: &$row) -> Result<AuditEntry> {
            let actor_type = text(row, "actor_type")?;
            let outcome = text(row, "outcome")?;
            Ok(AuditEntry {
                id: $codec::id(row, "id")?,
                occurred_at: $codec::time(row, "occurred_at")?,
                actor: Actor {
                    kind: ActorType::parse(&actor_type).ok_or_else(|| {
                        Error::internal(format!("stored actor type {actor_type:?}"))
                    })?,
                    id: opt_text(row, "actor_id")?,
                    email: opt_text(row, "actor_email")?,
                },
                action: text(row, "action")?,
                target: match (opt_text(row, "target_type")?, opt_text(row, "target_id")?) {
                    (Some(kind), Some(id)) => Some(Target { kind, id }),
                    _ => None,
                },
                organization_id: $codec::opt_id(row, "organization_id")?,
                context: RequestContext {
                    ip_address: opt_text(row, "ip_address")?,
                    user_agent: opt_text(row, "user_agent")?,
                    request_id: opt_text(row, "request_id")?,
                },
                outcome: Outcome::parse(&outcome)
                    .ok_or_else(|| Error::internal(format!("stored outcome {outcome:?}")))?,
                details: $codec::json(row, "details")?,
                event: None,
                user_id: None,
            })
        }

        /// Appends ` WHERE …` for `filter` (every value bound, never spliced).
        fn push_filter(q: &mut QueryBuilder<'_, $db>, filter: &AuditFilter) {
            q.push(" WHERE 1 = 1");
            match &filter.scope {
                Scope::All => {}
                Scope::User(user) => {
                    let me = user.to_string();
                    q.push(" AND ((actor_type = 'user' AND actor_id = ")
                        .push_bind(me.clone())
                        .push(") OR (target_type = 'user' AND target_id = ")
                        .push_bind(me)
                        .push("))");
                }
                Scope::Organization(org) => {
                    q.push(" AND organization_id = ")
                        .push_bind($codec::enc_id(*org));
                }
            }
            if let Some(kind) = filter.actor_type {
                q.push(" AND actor_type = ").push_bind(kind.as_str());
            }
            if let Some(actor) = &filter.actor_id {
                q.push(" AND actor_id = ").push_bind(actor.clone());
            }
            match &filter.action {
                Some(ActionFilter::Exact(action)) => {
                    q.push(" AND action = ").push_bind(action.clone());
                }
                Some(ActionFilter::Prefix(prefix)) => {
                    q.push(" AND action LIKE ")
                        .push_bind(prefix_pattern(prefix))
                        .push(" ESCAPE '\\'");
                }
                None => {}
            }
            if let Some(org) = filter.organization_id {
                q.push(" AND organization_id = ")
                    .push_bind($codec::enc_id(org));
            }
            if let Some(kind) = &filter.target_type {
                q.push(" AND target_type = ").push_bind(kind.clone());
            }
            if let Some(id) = &filter.target_id {
                q.push(" AND target_id = ").push_bind(id.clone());
            }
            if let Some(outcome) = filter.outcome {
                q.push(" AND outcome = ").push_bind(outcome.as_str());
            }
            if let Some(start) = filter.start {
                q.push(" AND occurred_at >= ")
                    .push_bind($codec::enc_time(start));
            }
            if let Some(end) = filter.end {
                q.push(" AND occurred_at < ")
                    .push_bind($codec::enc_time(end));
            }
            if let Some(ip) = &filter.ip_address {
                q.push(" AND ip_address = ").push_bind(ip.clone());
            }
        }

        /// A `COUNT(*)` read as `i64` (both backends), never negative.
        fn count_at(row: &$row, index: usize) -> Result<u64> {
            let n: i64 = row.try_get(index).map_err(from_sqlx)?;
            Ok(u64::try_from(n).unwrap_or(0))
        }

        impl $store {
            /// Up to 1,000 `(key, count)` pairs of the entries matching `filter`, grouped by
            /// the SQL expression `key` and ordered by `order`.
            async fn grouped(
                &self,
                filter: &AuditFilter,
                key: &str,
                order: &str,
            ) -> Result<Vec<(String, u64)>> {
                let mut q = QueryBuilder::<$db>::new(format!(
                    "SELECT {key} AS k, COUNT(*) FROM audit_logs"
                ));
                push_filter(&mut q, filter);
                q.push(format!(" GROUP BY k ORDER BY {order} LIMIT 1000"));
                let rows = q.build().fetch_all(self.$read()).await.map_err(from_sqlx)?;
                rows.iter()
                    .map(|row| {
                        let k: String = row.try_get(0).map_err(from_sqlx)?;
                        Ok((k, count_at(row, 1)?))
                    })
                    .collect()
            }
        }

        #[async_trait]
        impl AuditStore for $store {
            async fn record_audit(&self, entries: &[AuditEntry]) -> Result<()> {
                if entries.is_empty() {
                    return Ok(());
                }
                let mut tx = self.$write().begin().await.map_err(from_sqlx)?;
                $audit(&mut tx, entries).await?;
                tx.commit().await.map_err(from_sqlx)
            }

            async fn list_audit(
                &self,
                filter: &AuditFilter,
                after: Option<&AuditCursor>,
                limit: u32,
            ) -> Result<Vec<AuditEntry>> {
                let mut q = QueryBuilder::<$db>::new(format!("SELECT {COLUMNS} FROM audit_logs"));
                push_filter(&mut q, filter);
                if let Some(cursor) = after {
                    q.push(" AND (occurred_at, id) < (")
                        .push_bind($codec::enc_time(cursor.occurred_at))
                        .push(", ")
                        .push_bind($codec::enc_id(cursor.id))
                        .push(")");
                }
                q.push(" ORDER BY occurred_at DESC, id DESC LIMIT ")
                    .push_bind(i64::from(limit));
                let rows = q.build().fetch_all(self.$read()).await.map_err(from_sqlx)?;
                rows.iter().map(entry).collect()
            }

            async fn count_audit(&self, filter: &AuditFilter) -> Result<u64> {
                let mut q = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM audit_logs");
                push_filter(&mut q, filter);
                let row = q.build().fetch_one(self.$read()).await.map_err(from_sqlx)?;
                count_at(&row, 0)
            }

            async fn get_audit(&self, id: Uuid) -> Result<Option<AuditEntry>> {
                let row = sqlx::query(&format!("SELECT {COLUMNS} FROM audit_logs WHERE id = $1"))
                    .bind($codec::enc_id(id))
                    .fetch_optional(self.$read())
                    .await
                    .map_err(from_sqlx)?;
                row.as_ref().map(entry).transpose()
            }

            async fn audit_stats(&self, filter: &AuditFilter) -> Result<AuditStats> {
                Ok(AuditStats {
                    total: self.count_audit(filter).await?,
                    by_action: self.grouped(filter, "action", "COUNT(*) DESC, k").await?,
                    by_outcome: self.grouped(filter, "outcome", "k").await?,
                    by_day: self.grouped(filter, $day, "k").await?,
                })
            }

            async fn delete_audit_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
                let done = sqlx::query("DELETE FROM audit_logs WHERE occurred_at < $1")
                    .bind($codec::enc_time(cutoff))
                    .execute(self.$write())
                    .await
                    .map_err(from_sqlx)?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use impl_audit_store;
