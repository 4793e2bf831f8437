//! Organizations, members, invitations, custom roles, API keys and admin data on SQLite: the
//! shared statements of `crate::orgs_sql` with SQLite's encodings (UUIDs and times as TEXT,
//! JSON as TEXT). Membership changes need no row lock: the single writer serializes them.

use super::{row_codec, SqliteStore};

crate::orgs_sql::impl_org_stores!(
    SqliteStore,
    sqlx::sqlite::SqliteRow,
    row_codec,
    reader,
    writer,
    crate::audit_rows::insert_sqlite,
    ""
);
