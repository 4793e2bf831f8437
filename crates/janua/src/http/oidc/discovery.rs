//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0) and
//! `GET /.well-known/oauth-authorization-server` (RFC 8414): the provider metadata, listing only
//! what is implemented, built once at start-up and served from memory.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use janua_core::oidc::clients::GRANT_TYPES;
use janua_core::oidc::scopes;
use serde_json::json;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(get_configuration))
        .route(
            "/.well-known/oauth-authorization-server",
            get(get_configuration),
        )
}

/// The claims of API.md §3 an ID token or userinfo can carry.
const CLAIMS: [&str; 21] = [
    "iss",
    "sub",
    "aud",
    "azp",
    "iat",
    "exp",
    "auth_time",
    "nonce",
    "at_hash",
    "sid",
    "amr",
    "email",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "picture",
    "updated_at",
    "org_id",
    "org_role",
];

/// The metadata document for `issuer`, whose endpoints hang under it.
pub fn metadata(issuer: &str) -> Bytes {
    let base = issuer.trim_end_matches('/');
    let document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/api/v1/oauth/authorize"),
        "token_endpoint": format!("{base}/api/v1/oauth/token"),
        "userinfo_endpoint": format!("{base}/api/v1/oauth/userinfo"),
        "introspection_endpoint": format!("{base}/api/v1/oauth/introspect"),
        "revocation_endpoint": format!("{base}/api/v1/oauth/revoke"),
        "end_session_endpoint": format!("{base}/logout"),
        "device_authorization_endpoint": format!("{base}/api/v1/oauth/device_authorization"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": scopes::SUPPORTED,
        "claims_supported": CLAIMS,
        "prompt_values_supported": ["none", "login", "consent"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    });
    Bytes::from(document.to_string())
}

/// Provider metadata: endpoints, and the grants, algorithms and scopes supported.
#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    tag = "oidc",
    responses((status = 200, description = "OpenID Provider Metadata"))
)]
pub async fn get_configuration(State(state): State<AppState>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        state.discovery.clone(),
    )
        .into_response()
}
