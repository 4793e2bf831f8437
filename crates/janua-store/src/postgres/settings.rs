//! System settings on PostgreSQL: the `system_settings` table, with the statements of
//! `crate::settings_sql` (native TIMESTAMPTZ and JSONB). Reads use the primary: an admin
//! expects to see a setting the moment it was saved.

use super::{row_codec, PgStore};
use crate::audit_rows;

crate::settings_sql::impl_settings_store!(
    PgStore,
    sqlx::postgres::PgRow,
    row_codec,
    primary,
    primary,
    audit_rows::insert_pg
);
