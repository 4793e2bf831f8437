//! Passkeys on SQLite (`PasskeyStore`): the `passkeys` table. The statements are shared with
//! PostgreSQL and come from `crate::passkeys_sql` (UUIDs, times and JSON as TEXT); nothing is
//! SQLite-only. Reads and writes both use the writer connection.

use super::{row_codec, SqliteStore};

crate::passkeys_sql::impl_passkey_store!(
    SqliteStore,
    sqlx::sqlite::SqliteRow,
    row_codec,
    writer,
    writer,
    crate::audit_rows::insert_sqlite
);
