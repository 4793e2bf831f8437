//! MFA on PostgreSQL (`MfaStore`): the TOTP factor (`mfa_totp`) and backup codes
//! (`mfa_backup_codes`). The statements are shared with SQLite and come from `crate::mfa_sql`
//! (native UUID and TIMESTAMPTZ); nothing is PostgreSQL-only. Reads and writes use the primary.

use super::{row_codec, PgStore};

crate::mfa_sql::impl_mfa_store!(
    PgStore,
    sqlx::postgres::PgRow,
    row_codec,
    primary,
    primary,
    crate::audit_rows::insert_pg
);
