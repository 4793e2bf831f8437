//! Avatars on SQLite: the `user_avatars` table, kept in step with `users.profile_image_url`.
//! The statements are shared with PostgreSQL (`crate::avatars_sql`, UUIDs and times as TEXT);
//! writes run on the single writer, the read on the reader pool.

use super::{row_codec, SqliteStore};
use crate::audit_rows;

crate::avatars_sql::impl_avatar_statements!(
    SqliteStore,
    sqlx::sqlite::SqliteRow,
    row_codec,
    reader,
    writer,
    audit_rows::insert_sqlite
);
