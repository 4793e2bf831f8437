//! Writing audit entries (and their outbox events) on a connection that is already inside a
//! transaction, so a capability's store method records its entries atomically with its change:
//! `audit_rows::insert_pg(&mut tx, audit).await?` / `audit_rows::insert_sqlite(&mut tx, audit)`,
//! one round trip for a change's entries and their events.
//!
//! Entries are evidence, so writing one never fails on caller-supplied text: NUL characters
//! (which PostgreSQL's `text` and `jsonb` cannot hold) are removed rather than refused.

use std::borrow::Cow;

use janua_core::audit::{AuditEntry, WebhookEvent};
use janua_core::error::Result;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgConnection, SqliteConnection};

use crate::errors::from_sqlx;
use crate::sqlite::codec::{encode_json, encode_time};

/// `text` without NUL characters; borrowed (no copy) in the usual case of there being none.
fn scrub(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', ""))
    } else {
        Cow::Borrowed(text)
    }
}

fn scrub_opt(text: Option<&str>) -> Option<Cow<'_, str>> {
    text.map(scrub)
}

fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

fn scrub_value(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(scrub(s).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(scrub_value).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (scrub(k).into_owned(), scrub_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `value` without NUL characters in any string or key; borrowed (no copy) when it has none.
fn scrub_json(value: &Value) -> Cow<'_, Value> {
    if has_nul(value) {
        Cow::Owned(scrub_value(value))
    } else {
        Cow::Borrowed(value)
    }
}

/// Entries written per statement at most (14 parameters each: far below either backend's
/// limit on bound parameters).
const CHUNK: usize = 200;

/// `(p1, …, pN), (…), …`: `rows` tuples of `columns` numbered placeholders, each written by
/// `placeholder` (`$n` or `?n`), numbered from `after + 1`.
fn values_list(rows: usize, columns: usize, placeholder: char, after: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push(placeholder);
            sql.push_str(&(after + row * columns + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

const ENTRY_INSERT: &str = "INSERT INTO audit_logs (id, occurred_at, actor_type, actor_id, \
     actor_email, action, target_type, target_id, organization_id, ip_address, user_agent, \
     request_id, outcome, details) VALUES ";
const ENTRY_COLUMNS: usize = 14;
const EVENT_INSERT: &str = "INSERT INTO outbox_events (id, event_type, organization_id, \
     user_id, audit_log_id, data, occurred_at) VALUES ";
const EVENT_COLUMNS: usize = 7;
const EVENT_INSERT_SQLITE: &str = "INSERT INTO outbox_events (id, event_type, organization_id, \
     user_id, audit_log_id, data, occurred_at, dispatched_at) VALUES ";

/// The one query that writes `entries` audit rows and `events` outbox rows, with every
/// placeholder numbered in bind order (the entries' columns, then the events'). PostgreSQL
/// takes one statement, the events' INSERT under a data-modifying `WITH`; SQLite takes two
/// statements in one query (sqlx runs them in turn, the `?N` numbers running on across them).
/// Either way recording a change costs one round trip, not two.
fn insert_sql(entries: usize, events: usize, placeholder: char) -> String {
    let entry_insert = format!(
        "{ENTRY_INSERT}{}",
        values_list(entries, ENTRY_COLUMNS, placeholder, 0)
    );
    if events == 0 {
        return entry_insert;
    }
    let after = entries * ENTRY_COLUMNS;
    if placeholder == '$' {
        let event_insert = format!(
            "{EVENT_INSERT}{}",
            values_list(events, EVENT_COLUMNS, '$', after)
        );
        return format!("WITH audit_entries AS ({entry_insert}) {event_insert}");
    }
    // SQLite: with no active webhook endpoint an event is born dispatched (at the instant it
    // occurred), so the dispatcher never has to rewrite it. The one writer serializes this
    // check with endpoint creation: an endpoint committed first sees the event fanned out to
    // it; one committed after was not there when the event occurred.
    let mut rows = String::with_capacity(events * 120);
    for row in 0..events {
        let first = after + row * EVENT_COLUMNS + 1;
        let occurred_at = first + EVENT_COLUMNS - 1;
        if row > 0 {
            rows.push_str(", ");
        }
        rows.push('(');
        for n in first..=occurred_at {
            rows.push_str(&format!("?{n}, "));
        }
        rows.push_str(&format!(
            "CASE WHEN EXISTS (SELECT 1 FROM webhook_endpoints WHERE is_active = 1) \
             THEN NULL ELSE ?{occurred_at} END)"
        ));
    }
    format!("{entry_insert}; {EVENT_INSERT_SQLITE}{rows}")
}

/// The entries of `chunk` that emit a webhook event, with their events.
fn events_of(chunk: &[AuditEntry]) -> Vec<(&AuditEntry, &WebhookEvent)> {
    chunk
        .iter()
        .filter_map(|entry| entry.event.as_ref().map(|event| (entry, event)))
        .collect()
}

/// Inserts `entries` on a PostgreSQL connection (normally a transaction): one statement.
pub(crate) async fn insert_pg(conn: &mut PgConnection, entries: &[AuditEntry]) -> Result<()> {
    for chunk in entries.chunks(CHUNK) {
        let events = events_of(chunk);
        let sql = insert_sql(chunk.len(), events.len(), '$');
        let mut query = sqlx::query(&sql);
        for entry in chunk {
            query = query
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
                .bind(Json(scrub_json(&entry.details)));
        }
        for (entry, event) in events {
            query = query
                .bind(uuid::Uuid::now_v7())
                .bind(scrub(&event.event_type))
                .bind(entry.organization_id)
                .bind(entry.user_id)
                .bind(entry.id)
                .bind(Json(scrub_json(&event.data)))
                .bind(entry.occurred_at);
        }
        query.execute(&mut *conn).await.map_err(from_sqlx)?;
    }
    Ok(())
}

/// Inserts `entries` on a SQLite connection (normally a transaction on the writer): one query.
pub(crate) async fn insert_sqlite(
    conn: &mut SqliteConnection,
    entries: &[AuditEntry],
) -> Result<()> {
    for chunk in entries.chunks(CHUNK) {
        let events = events_of(chunk);
        let sql = insert_sql(chunk.len(), events.len(), '?');
        let mut query = sqlx::query(&sql);
        for entry in chunk {
            query = query
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
                .bind(encode_json(&scrub_json(&entry.details))?);
        }
        for (entry, event) in events {
            query = query
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(scrub(&event.event_type))
                .bind(entry.organization_id.map(|id| id.to_string()))
                .bind(entry.user_id.map(|id| id.to_string()))
                .bind(entry.id.to_string())
                .bind(encode_json(&scrub_json(&event.data))?)
                .bind(encode_time(entry.occurred_at));
        }
        query.execute(&mut *conn).await.map_err(from_sqlx)?;
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
        assert!(matches!(scrub("ab"), Cow::Borrowed("ab")));
        assert_eq!(
            *scrub_json(&json!({"k\u{0}": ["x\u{0}", 1, null]})),
            json!({"k": ["x", 1, null]})
        );
        assert!(matches!(scrub_json(&json!({"k": ["x"]})), Cow::Borrowed(_)));
    }

    #[test]
    fn values_lists_number_placeholders_row_by_row() {
        assert_eq!(values_list(2, 3, '?', 0), "(?1, ?2, ?3), (?4, ?5, ?6)");
        assert_eq!(values_list(1, 2, '$', 0), "($1, $2)");
        assert_eq!(values_list(1, 2, '?', 6), "(?7, ?8)");
    }

    #[test]
    fn entries_and_events_are_one_query_numbered_in_bind_order() {
        assert!(!insert_sql(1, 0, '?').contains(';'));
        let sqlite = insert_sql(2, 1, '?');
        assert!(sqlite.contains("; INSERT INTO outbox_events"), "{sqlite}");
        assert!(
            sqlite.ends_with(
                "(?29, ?30, ?31, ?32, ?33, ?34, ?35, CASE WHEN EXISTS (SELECT 1 FROM \
                 webhook_endpoints WHERE is_active = 1) THEN NULL ELSE ?35 END)"
            ),
            "{sqlite}"
        );
        let pg = insert_sql(1, 1, '$');
        assert!(
            pg.starts_with("WITH audit_entries AS (INSERT INTO audit_logs"),
            "{pg}"
        );
        assert!(pg.ends_with("($15, $16, $17, $18, $19, $20, $21)"), "{pg}");
    }
}
