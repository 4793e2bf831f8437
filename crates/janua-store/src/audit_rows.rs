//! Writing audit entries (and their outbox events) on a connection that is already inside a
//! transaction, so a capability's store method records its entries atomically with its change:
//! `audit_rows::insert_pg(&mut tx, audit).await?` / `audit_rows::insert_sqlite(&mut tx, audit)`.
//!
//! Entries are evidence, so writing one never fails on caller-supplied text: NUL characters
//! (which PostgreSQL's `text` and `jsonb` cannot hold) are removed rather than refused.

use janua_core::audit::AuditEntry;
use janua_core::error::Result;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgConnection, SqliteConnection};

use crate::errors::from_sqlx;
use crate::sqlite::codec::{encode_json, encode_time};

fn scrub(text: &str) -> String {
    text.replace('\0', "")
}

fn scrub_opt(text: Option<&str>) -> Option<String> {
    text.map(scrub)
}

fn scrub_json(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(scrub(s)),
        Value::Array(items) => Value::Array(items.iter().map(scrub_json).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (scrub(k), scrub_json(v))).collect())
        }
        other => other.clone(),
    }
}

/// Inserts `entries` on a PostgreSQL connection (normally a transaction).
pub(crate) async fn insert_pg(conn: &mut PgConnection, entries: &[AuditEntry]) -> Result<()> {
    for entry in entries {
        sqlx::query(
            "INSERT INTO audit_logs (id, occurred_at, actor_type, actor_id, actor_email, action, \
             target_type, target_id, organization_id, ip_address, user_agent, request_id, \
             outcome, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(entry.id)
        .bind(entry.occurred_at)
        .bind(entry.actor.kind.as_str())
        .bind(scrub_opt(entry.actor.id.as_deref()))
        .bind(scrub_opt(entry.actor.email.as_deref()))
        .bind(scrub(&entry.action))
        .bind(entry.target.as_ref().map(|t| scrub(&t.kind)))
        .bind(entry.target.as_ref().map(|t| scrub(&t.id)))
        .bind(entry.organization_id)
        .bind(scrub_opt(entry.context.ip_address.as_deref()))
        .bind(scrub_opt(entry.context.user_agent.as_deref()))
        .bind(scrub_opt(entry.context.request_id.as_deref()))
        .bind(entry.outcome.as_str())
        .bind(Json(scrub_json(&entry.details)))
        .execute(&mut *conn)
        .await
        .map_err(from_sqlx)?;
        if let Some(event) = &entry.event {
            sqlx::query(
                "INSERT INTO outbox_events (id, event_type, organization_id, user_id, \
                 audit_log_id, data, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(uuid::Uuid::now_v7())
            .bind(scrub(&event.event_type))
            .bind(entry.organization_id)
            .bind(entry.user_id)
            .bind(entry.id)
            .bind(Json(scrub_json(&event.data)))
            .bind(entry.occurred_at)
            .execute(&mut *conn)
            .await
            .map_err(from_sqlx)?;
        }
    }
    Ok(())
}

/// Inserts `entries` on a SQLite connection (normally a transaction on the writer).
pub(crate) async fn insert_sqlite(
    conn: &mut SqliteConnection,
    entries: &[AuditEntry],
) -> Result<()> {
    for entry in entries {
        sqlx::query(
            "INSERT INTO audit_logs (id, occurred_at, actor_type, actor_id, actor_email, action, \
             target_type, target_id, organization_id, ip_address, user_agent, request_id, \
             outcome, details) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )
        .bind(entry.id.to_string())
        .bind(encode_time(entry.occurred_at))
        .bind(entry.actor.kind.as_str())
        .bind(scrub_opt(entry.actor.id.as_deref()))
        .bind(scrub_opt(entry.actor.email.as_deref()))
        .bind(scrub(&entry.action))
        .bind(entry.target.as_ref().map(|t| scrub(&t.kind)))
        .bind(entry.target.as_ref().map(|t| scrub(&t.id)))
        .bind(entry.organization_id.map(|id| id.to_string()))
        .bind(scrub_opt(entry.context.ip_address.as_deref()))
        .bind(scrub_opt(entry.context.user_agent.as_deref()))
        .bind(scrub_opt(entry.context.request_id.as_deref()))
        .bind(entry.outcome.as_str())
        .bind(encode_json(&scrub_json(&entry.details))?)
        .execute(&mut *conn)
        .await
        .map_err(from_sqlx)?;
        if let Some(event) = &entry.event {
            sqlx::query(
                "INSERT INTO outbox_events (id, event_type, organization_id, user_id, \
                 audit_log_id, data, occurred_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(scrub(&event.event_type))
            .bind(entry.organization_id.map(|id| id.to_string()))
            .bind(entry.user_id.map(|id| id.to_string()))
            .bind(entry.id.to_string())
            .bind(encode_json(&scrub_json(&event.data))?)
            .bind(encode_time(entry.occurred_at))
            .execute(&mut *conn)
            .await
            .map_err(from_sqlx)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nul_characters_are_removed_everywhere() {
        assert_eq!(scrub("a\0b"), "ab");
        assert_eq!(
            scrub_json(&json!({"k\u{0}": ["x\u{0}", 1, null]})),
            json!({"k": ["x", 1, null]})
        );
    }
}
