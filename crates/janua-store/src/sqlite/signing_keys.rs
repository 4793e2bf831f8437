//! The JWT key ring on SQLite: the `signing_keys` table, with the statements of
//! `crate::signing_keys_sql` (UUIDs, times and JSON as TEXT). Reads use the writer connection:
//! a key another instance just wrote must be seen, and the reader pool may hold an older WAL
//! snapshot for a moment.

use super::{row_codec, SqliteStore};

crate::signing_keys_sql::impl_signing_key_store!(
    SqliteStore,
    sqlx::sqlite::SqliteRow,
    row_codec,
    writer,
    writer
);
