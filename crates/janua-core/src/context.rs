//! `Core`: the bundle of ports and settings every use case receives. Built once by the server
//! at start-up; cheap to share behind an `Arc`.

use std::sync::Arc;

use crate::auth::access_token::TokenSigner;
use crate::auth::passwords::Passwords;
use crate::auth::settings::AuthSettings;
use crate::clock::Clock;
use crate::oidc::client_cache::ClientCache;
use crate::oidc::settings::OAuthSettings;
use crate::ports::{Cache, Store};
use crate::tokens::keys::KeyRing;

pub struct Core {
    pub store: Arc<dyn Store>,
    pub cache: Arc<dyn Cache>,
    /// Whether `cache` is shared by every instance (Redis). When it is not, revocation checks
    /// fall back to the database so that several instances still agree.
    pub cache_is_shared: bool,
    pub clock: Arc<dyn Clock>,
    pub signer: Arc<dyn TokenSigner>,
    pub passwords: Passwords,
    pub auth: AuthSettings,
    /// The key ring itself, for tokens signed with a client's own algorithm (ID tokens,
    /// OAuth access tokens) and for verifying ID token hints.
    pub keys: Arc<KeyRing>,
    pub oauth: OAuthSettings,
    /// Clients and secret digests for client authentication (see `oidc::client_cache`).
    pub oauth_clients: ClientCache,
}
