//! Avatars on PostgreSQL: the `user_avatars` table, kept in step with `users.profile_image_url`.
//! The statements are shared with SQLite (`crate::avatars_sql`, native UUID and TIMESTAMPTZ)
//! and all run on the primary, reads too: the new URL is fetched right after an upload.

use super::{row_codec, PgStore};
use crate::audit_rows;

crate::avatars_sql::impl_avatar_statements!(
    PgStore,
    sqlx::postgres::PgRow,
    row_codec,
    primary,
    primary,
    audit_rows::insert_pg
);
