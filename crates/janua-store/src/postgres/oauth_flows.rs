//! OAuth flows on PostgreSQL: parked authorization requests, authorization codes, grant
//! sessions (`sessions` rows of kind `oauth_grant` with their refresh family), consents and
//! device codes — the shared statements of `crate::oauth_flows_sql` with native UUID,
//! TIMESTAMPTZ and JSONB. All on the primary: a code or device poll must see the latest state.

use janua_core::auth::sessions::Session;
use sqlx::postgres::PgRow;
use sqlx::FromRow;

use super::sessions::{SessionRow, SESSION_COLUMNS};
use super::{row_codec, PgStore};

/// The `Session` part of a grant row.
fn grant_session(row: &PgRow) -> janua_core::error::Result<Session> {
    SessionRow::from_row(row)
        .map(Session::from)
        .map_err(crate::errors::from_sqlx)
}

crate::oauth_flows_sql::impl_oauth_flow_sql!(
    PgStore,
    PgRow,
    row_codec,
    primary,
    primary,
    crate::audit_rows::insert_pg,
    SESSION_COLUMNS,
    grant_session
);
