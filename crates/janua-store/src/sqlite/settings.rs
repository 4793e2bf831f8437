//! System settings on SQLite: the `system_settings` table, with the statements of
//! `crate::settings_sql` (times and JSON as TEXT). Reads use the reader pool, writes the single
//! writer.

use super::{row_codec, SqliteStore};
use crate::audit_rows;

crate::settings_sql::impl_settings_store!(
    SqliteStore,
    sqlx::sqlite::SqliteRow,
    row_codec,
    reader,
    writer,
    audit_rows::insert_sqlite
);
