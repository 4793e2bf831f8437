//! An in-process cache of clients and their secret digests, so authenticating a client at the
//! token, introspection and revocation endpoints costs a hash and a map lookup, not a database
//! round trip. Entries live `client_cache_ttl` (seconds); every change made through this
//! instance drops the entry at once.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::context::Core;
use crate::error::Result;
use crate::oidc::clients::{ClientSecret, OAuthClient};

/// Most clients kept; past this the cache is cleared (a crude bound against unbounded growth
/// from many distinct, valid client ids).
const MAX_ENTRIES: usize = 10_000;

/// A client with the secrets that could authenticate it when it was read.
#[derive(Debug)]
pub struct CachedClient {
    pub client: OAuthClient,
    pub secrets: Vec<ClientSecret>,
    loaded_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct ClientCache {
    entries: RwLock<HashMap<String, Arc<CachedClient>>>,
}

impl ClientCache {
    fn fresh(
        &self,
        client_id: &str,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Option<Arc<CachedClient>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(client_id)
            .filter(|c| now - c.loaded_at < ttl)
            .cloned()
    }

    fn insert(&self, client_id: &str, entry: Arc<CachedClient>) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(client_id.to_owned(), entry);
    }

    /// Forgets a client after a change (update, delete, secret rotation or revocation).
    pub fn invalidate(&self, client_id: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.remove(client_id);
    }
}

/// The client `client_id` with its secrets, from the cache when fresh.
pub async fn load_client(core: &Core, client_id: &str) -> Result<Option<Arc<CachedClient>>> {
    let now = core.clock.now();
    if let Some(hit) = core
        .oauth_clients
        .fresh(client_id, now, core.oauth.client_cache_ttl)
    {
        return Ok(Some(hit));
    }
    let Some(client) = core.store.find_client(client_id).await? else {
        return Ok(None);
    };
    let secrets = if client.spec.is_confidential {
        core.store.list_client_secrets(client.id).await?
    } else {
        Vec::new()
    };
    let entry = Arc::new(CachedClient {
        client,
        secrets,
        loaded_at: now,
    });
    core.oauth_clients.insert(client_id, entry.clone());
    Ok(Some(entry))
}
