//! `GET /.well-known/jwks.json` (API.md §3): the public keys that verify Janua's JWTs, served
//! from the bytes the key ring serialized at its last refresh.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/.well-known/jwks.json", get(get_jwks))
}

/// One public key: `kty` RSA (`n`, `e`), EC (`crv` P-256, `x`, `y`) or OKP (`crv` Ed25519, `x`).
#[derive(Serialize, ToSchema)]
pub struct JwkView {
    kty: String,
    #[serde(rename = "use")]
    key_use: String,
    alg: String,
    kid: String,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct JwksView {
    keys: Vec<JwkView>,
}

/// Published, active and recently retired keys. Clients may cache it for five minutes; a new
/// key is published at least that long before it signs.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "oidc",
    responses((status = 200, description = "JSON Web Key Set", body = JwksView))
)]
pub async fn get_jwks(State(state): State<AppState>) -> Response {
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
        state.keys.jwks_json(),
    )
        .into_response()
}
