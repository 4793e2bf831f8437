//! [`OAuthStore`](janua_core::oidc::store::OAuthStore) on PostgreSQL: each method handed to
//! `oauth_clients` or `oauth_flows` (see `crate::oauth_dispatch`).

use super::PgStore;
use crate::oauth_dispatch::impl_oauth_store;

impl_oauth_store!(PgStore);
