//! The OAuth 2.0 / OpenID Connect provider (API.md §9, §10): clients, the authorization
//! endpoint's decisions, the token grants, ID tokens, userinfo, introspection, revocation,
//! RP-initiated logout and the device authorization grant.
//!
//! - [`error`]: RFC 6749 error codes ([`OAuthError`](error::OAuthError)).
//! - [`settings`]: lifetimes and defaults taken from configuration.
//! - [`scopes`], [`pkce`]: scope sets and PKCE S256.
//! - [`clients`]: the client record, its field rules and secrets.
//! - [`client_admin`], [`client_secrets`]: managing clients and rotating their secrets.
//! - [`client_auth`]: client authentication at the token endpoints, through [`client_cache`].
//! - [`authorize`]: validating an authorization request and deciding login, consent or code.
//! - [`consent`]: stored consents and the consent decision.
//! - [`tokens`]: OAuth access tokens, ID tokens and the token response.
//! - [`grants`]: authorization_code, refresh_token, client_credentials and device_code.
//! - [`urls`]: redirect URLs with encoded parameters.
//! - [`userinfo`], [`introspection`], [`revocation`], [`logout`], [`device`].
//! - [`store`]: what the provider needs from storage ([`OAuthStore`](store::OAuthStore)).

pub mod authorize;
pub mod client_admin;
pub mod client_auth;
pub mod client_cache;
pub mod client_secrets;
pub mod clients;
pub mod consent;
pub mod device;
pub mod error;
pub mod grants;
pub mod introspection;
pub mod logout;
pub mod pkce;
pub mod revocation;
pub mod scopes;
pub mod settings;
pub mod store;
pub mod tokens;
pub mod urls;
pub mod userinfo;
