//! OAuth clients on SQLite: `oauth_clients` and their secrets (`oauth_client_secrets`), the
//! shared statements of `crate::oauth_clients_sql` with SQLite's encodings (UUIDs, times and
//! string lists as TEXT). Reads go to the reader pool, changes through the single writer, each
//! with its audit entries in its own transaction.

use super::{row_codec, SqliteStore};

crate::oauth_clients_sql::impl_oauth_client_sql!(
    SqliteStore,
    sqlx::sqlite::SqliteRow,
    row_codec,
    reader,
    writer,
    crate::audit_rows::insert_sqlite
);
