//! Passkeys on PostgreSQL (`PasskeyStore`): the `passkeys` table. The statements are shared
//! with SQLite and come from `crate::passkeys_sql` (native UUID, TIMESTAMPTZ and JSONB);
//! nothing is PostgreSQL-only. Reads and writes use the primary.

use super::{row_codec, PgStore};

crate::passkeys_sql::impl_passkey_store!(
    PgStore,
    sqlx::postgres::PgRow,
    row_codec,
    primary,
    primary,
    crate::audit_rows::insert_pg
);
