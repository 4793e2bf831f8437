//! The audit log on SQLite: entries that accompany no change of their own (`record_audit`;
//! entries that describe a change are written by that change's transaction through
//! `audit_rows`), keyset-paginated reads newest first, stats and retention, with the statements
//! of `crate::audit_sql` (UUIDs, times and JSON as TEXT). Times are fixed-width RFC 3339 text,
//! so text order is time order, the cursor compares as on PostgreSQL, and an entry's day (for
//! the daily stats) is the first ten characters of `occurred_at`. Reads use the reader pool,
//! writes the single writer.

use sqlx::Sqlite;

use super::{row_codec, SqliteStore};
use crate::audit_rows;

crate::audit_sql::impl_audit_store!(
    SqliteStore,
    Sqlite,
    sqlx::sqlite::SqliteRow,
    row_codec,
    reader,
    writer,
    audit_rows::insert_sqlite,
    "substr(occurred_at, 1, 10)"
);
