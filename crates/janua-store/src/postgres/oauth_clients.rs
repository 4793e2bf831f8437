//! OAuth clients on PostgreSQL: `oauth_clients` and their secrets (`oauth_client_secrets`), the
//! shared statements of `crate::oauth_clients_sql` with native UUID, TIMESTAMPTZ and JSONB. Reads
//! go to the primary, like writes. Every change writes its audit entries in its own transaction.

use super::{row_codec, PgStore};

crate::oauth_clients_sql::impl_oauth_client_sql!(
    PgStore,
    sqlx::postgres::PgRow,
    row_codec,
    primary,
    primary,
    crate::audit_rows::insert_pg
);
