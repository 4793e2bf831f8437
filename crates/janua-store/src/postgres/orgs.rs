//! Organizations, members, invitations, custom roles, API keys and admin data on PostgreSQL:
//! the shared statements of `crate::orgs_sql` with native UUID, TIMESTAMPTZ and JSONB. Reads go
//! to the primary: authorization must see a membership change at once. Membership changes lock
//! the organization row (`FOR UPDATE`) so the last-owner rule holds under concurrency.

use super::{row_codec, PgStore};

crate::orgs_sql::impl_org_stores!(
    PgStore,
    sqlx::postgres::PgRow,
    row_codec,
    primary,
    primary,
    crate::audit_rows::insert_pg,
    " FOR UPDATE"
);
