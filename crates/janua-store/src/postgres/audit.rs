//! The audit log on PostgreSQL: entries that accompany no change of their own (`record_audit`;
//! entries that describe a change are written by that change's transaction through
//! `audit_rows`), keyset-paginated reads newest first, stats and retention, with the statements
//! of `crate::audit_sql` (native UUID, TIMESTAMPTZ and JSONB). The day of an entry, for the
//! daily stats, is `occurred_at` in UTC formatted by `to_char`. Reads use the primary: an entry
//! written a moment ago must be visible to the request that looks for it.

use sqlx::Postgres;

use super::{row_codec, PgStore};
use crate::audit_rows;

crate::audit_sql::impl_audit_store!(
    PgStore,
    Postgres,
    sqlx::postgres::PgRow,
    row_codec,
    primary,
    primary,
    audit_rows::insert_pg,
    "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
);
