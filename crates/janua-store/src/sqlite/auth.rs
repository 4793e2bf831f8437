//! [`AuthStore`](janua_core::auth::store::AuthStore) on SQLite: each method handed to the
//! capability file that owns its table (see `crate::auth_dispatch`).

use super::SqliteStore;

impl_auth_store!(SqliteStore);
