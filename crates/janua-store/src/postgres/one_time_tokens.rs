//! One-time tokens on PostgreSQL: the `one_time_tokens` table (email verification, password
//! reset, magic links, MFA recovery), consumed at most once. The statements are shared with
//! SQLite (`crate::one_time_tokens_sql`, native UUID, TIMESTAMPTZ and JSONB) and run on the
//! primary; a concurrent consumer waits for the row lock, then finds `used_at` set.

use super::{row_codec, PgStore};

crate::one_time_tokens_sql::impl_one_time_token_statements!(
    PgStore,
    sqlx::postgres::PgRow,
    row_codec,
    primary
);
