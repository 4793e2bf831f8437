//! OAuth flows on SQLite: parked authorization requests, authorization codes, grant sessions
//! (`sessions` rows of kind `oauth_grant` with their refresh family), consents and device codes —
//! the shared statements of `crate::oauth_flows_sql` with SQLite's encodings (UUIDs, times and
//! string lists as TEXT). Writes, and the reads that must see them at once (requests, codes,
//! child grants, device codes), go through the writer; `get_grant` and `get_consent` read from
//! the reader pool.

use janua_core::auth::sessions::Session;
use sqlx::sqlite::SqliteRow;
use sqlx::FromRow;

use super::sessions::{SessionRow, SESSION_COLUMNS};
use super::{row_codec, SqliteStore};

/// The `Session` part of a grant row.
fn grant_session(row: &SqliteRow) -> janua_core::error::Result<Session> {
    SessionRow::from_row(row)
        .map_err(crate::errors::from_sqlx)
        .and_then(Session::try_from)
}

crate::oauth_flows_sql::impl_oauth_flow_sql!(
    SqliteStore,
    SqliteRow,
    row_codec,
    reader,
    writer,
    crate::audit_rows::insert_sqlite,
    SESSION_COLUMNS,
    grant_session
);
