//! One-time tokens on SQLite: the `one_time_tokens` table (email verification, password reset,
//! magic links, MFA recovery), consumed at most once. The statements are shared with
//! PostgreSQL (`crate::one_time_tokens_sql`, UUIDs, times and JSON as TEXT) and run on the
//! single writer.

use super::{row_codec, SqliteStore};

crate::one_time_tokens_sql::impl_one_time_token_statements!(
    SqliteStore,
    sqlx::sqlite::SqliteRow,
    row_codec,
    writer
);
