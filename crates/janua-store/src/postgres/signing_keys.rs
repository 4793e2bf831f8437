//! The JWT key ring on PostgreSQL: the `signing_keys` table, with the statements of
//! `crate::signing_keys_sql` (native UUID, TIMESTAMPTZ and JSONB). Reads use the primary: a key
//! published by one instance must reach the others at their next refresh, not after replica lag.

use super::{row_codec, PgStore};

crate::signing_keys_sql::impl_signing_key_store!(
    PgStore,
    sqlx::postgres::PgRow,
    row_codec,
    primary,
    primary
);
