//! [`AuthStore`](janua_core::auth::store::AuthStore) on PostgreSQL: each method handed to the
//! capability file that owns its table (see `crate::auth_dispatch`).

use super::PgStore;

impl_auth_store!(PgStore);
