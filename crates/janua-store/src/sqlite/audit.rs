//! The audit log on SQLite: entries that accompany no change of their own (`record_audit`;
//! entries that describe a change are written by that change's transaction through
//! `audit_rows`), keyset-paginated reads newest first, stats and retention. Times are
//! fixed-width RFC 3339 text, so text order is time order and the cursor compares as on
//! PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use janua_core::audit::query::{ActionFilter, AuditCursor, AuditFilter, AuditStats, Scope};
use janua_core::audit::{
    Actor, ActorType, AuditEntry, AuditStore, Outcome, RequestContext, Target,
};
use janua_core::error::{Error, Result};
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use super::codec::{decode_json, decode_time, encode_time};
use super::users::decode_uuid;
use super::SqliteStore;
use crate::audit_rows;
use crate::errors::from_sqlx;
use crate::paging::prefix_pattern;

const COLUMNS: &str = "id, occurred_at, actor_type, actor_id, actor_email, action, target_type, \
                       target_id, organization_id, ip_address, user_agent, request_id, outcome, details";

type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

fn entry(row: Row) -> Result<AuditEntry> {
    let (
        id,
        occurred_at,
        actor_type,
        actor_id,
        actor_email,
        action,
        tt,
        ti,
        org,
        ip,
        ua,
        rid,
        outcome,
        details,
    ) = row;
    Ok(AuditEntry {
        id: decode_uuid(&id)?,
        occurred_at: decode_time(&occurred_at)?,
        actor: Actor {
            kind: ActorType::parse(&actor_type)
                .ok_or_else(|| Error::internal(format!("stored actor type {actor_type:?}")))?,
            id: actor_id,
            email: actor_email,
        },
        action,
        target: match (tt, ti) {
            (Some(kind), Some(id)) => Some(Target { kind, id }),
            _ => None,
        },
        organization_id: org.as_deref().map(decode_uuid).transpose()?,
        context: RequestContext {
            ip_address: ip,
            user_agent: ua,
            request_id: rid,
        },
        outcome: Outcome::parse(&outcome)
            .ok_or_else(|| Error::internal(format!("stored outcome {outcome:?}")))?,
        details: decode_json(&details)?,
        event: None,
        user_id: None,
    })
}

/// Appends ` WHERE …` for `filter` (every value bound, never spliced).
fn push_filter(q: &mut QueryBuilder<'_, Sqlite>, filter: &AuditFilter) {
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
            q.push(" AND organization_id = ").push_bind(org.to_string());
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
        q.push(" AND organization_id = ").push_bind(org.to_string());
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
        q.push(" AND occurred_at >= ").push_bind(encode_time(start));
    }
    if let Some(end) = filter.end {
        q.push(" AND occurred_at < ").push_bind(encode_time(end));
    }
    if let Some(ip) = &filter.ip_address {
        q.push(" AND ip_address = ").push_bind(ip.clone());
    }
}

impl SqliteStore {
    async fn grouped(
        &self,
        filter: &AuditFilter,
        key: &str,
        order: &str,
    ) -> Result<Vec<(String, u64)>> {
        let mut q =
            QueryBuilder::<Sqlite>::new(format!("SELECT {key} AS k, COUNT(*) FROM audit_logs"));
        push_filter(&mut q, filter);
        q.push(format!(" GROUP BY k ORDER BY {order} LIMIT 1000"));
        let rows: Vec<(String, i64)> = q
            .build_query_as()
            .fetch_all(self.reader())
            .await
            .map_err(from_sqlx)?;
        Ok(rows
            .into_iter()
            .map(|(k, n)| (k, u64::try_from(n).unwrap_or(0)))
            .collect())
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn record_audit(&self, entries: &[AuditEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer().begin().await.map_err(from_sqlx)?;
        audit_rows::insert_sqlite(&mut tx, entries).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn list_audit(
        &self,
        filter: &AuditFilter,
        after: Option<&AuditCursor>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM audit_logs"));
        push_filter(&mut q, filter);
        if let Some(cursor) = after {
            q.push(" AND (occurred_at, id) < (")
                .push_bind(encode_time(cursor.occurred_at))
                .push(", ")
                .push_bind(cursor.id.to_string())
                .push(")");
        }
        q.push(" ORDER BY occurred_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows: Vec<Row> = q
            .build_query_as()
            .fetch_all(self.reader())
            .await
            .map_err(from_sqlx)?;
        rows.into_iter().map(entry).collect()
    }

    async fn count_audit(&self, filter: &AuditFilter) -> Result<u64> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM audit_logs");
        push_filter(&mut q, filter);
        let (n,): (i64,) = q
            .build_query_as()
            .fetch_one(self.reader())
            .await
            .map_err(from_sqlx)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn get_audit(&self, id: Uuid) -> Result<Option<AuditEntry>> {
        let row: Option<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM audit_logs WHERE id = ?1"))
                .bind(id.to_string())
                .fetch_optional(self.reader())
                .await
                .map_err(from_sqlx)?;
        row.map(entry).transpose()
    }

    async fn audit_stats(&self, filter: &AuditFilter) -> Result<AuditStats> {
        Ok(AuditStats {
            total: self.count_audit(filter).await?,
            by_action: self.grouped(filter, "action", "COUNT(*) DESC, k").await?,
            by_outcome: self.grouped(filter, "outcome", "k").await?,
            by_day: self
                .grouped(filter, "substr(occurred_at, 1, 10)", "k")
                .await?,
        })
    }

    async fn delete_audit_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM audit_logs WHERE occurred_at < ?1")
            .bind(encode_time(cutoff))
            .execute(self.writer())
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected())
    }
}
