//! The OpenID Connect provider endpoints: `/.well-known/*`, the OAuth 2.0 endpoints under
//! `/api/v1/oauth/`, and `/logout`. Each file is one endpoint group and calls core.
//!
//! - [`discovery`]: `GET /.well-known/openid-configuration`, `/.well-known/oauth-authorization-server`.
//! - [`jwks`]: `GET /.well-known/jwks.json`, the public signing keys.
//! - [`authorize`]: `GET`/`POST /api/v1/oauth/authorize`, `POST /api/v1/oauth/consent`.
//! - [`token`]: `POST /api/v1/oauth/token`, `POST /api/v1/oauth/device_authorization`.
//! - [`userinfo`]: `GET`/`POST /api/v1/oauth/userinfo`.
//! - [`introspect`]: `POST /api/v1/oauth/introspect`, `POST /api/v1/oauth/revoke`.
//! - [`logout`]: `GET`/`POST /logout`.
//! - [`response`]: the OAuth error shape, the form extractor, client credentials.

pub mod authorize;
pub mod discovery;
pub mod introspect;
pub mod jwks;
pub mod logout;
pub mod response;
pub mod token;
pub mod userinfo;

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(discovery::routes())
        .merge(jwks::routes())
        .merge(authorize::routes())
        .merge(token::routes())
        .merge(userinfo::routes())
        .merge(introspect::routes())
        .merge(logout::routes())
}
