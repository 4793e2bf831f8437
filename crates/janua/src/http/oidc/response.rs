//! OAuth-shaped answers (RFC 6749 §5.2, RFC 6750 §3, API.md §1 "OAuth shape"):
//! `{"error","error_description"}` with the status of each code, `WWW-Authenticate` where the
//! RFCs ask for it, and `Cache-Control: no-store`. The form extractor answers malformed
//! bodies in the same shape; and client credentials are read from `Authorization: Basic` or the
//! form.

use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use janua_core::oidc::client_auth::ClientCredentials;
use janua_core::oidc::error::{OAuthError, OAuthErrorCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::http::error::{AlreadyShaped, ApiError};
use crate::state::AppState;

/// How an OAuth endpoint failed.
#[derive(Debug)]
pub enum OAuthFailure {
    OAuth {
        error: OAuthError,
        /// The client authenticated with HTTP Basic: a 401 then says `WWW-Authenticate: Basic`.
        basic: bool,
    },
    /// A REST-shaped failure: rate limiting (429) and server faults (5xx).
    Api(ApiError),
}

impl OAuthFailure {
    pub fn new(error: OAuthError) -> Self {
        OAuthFailure::OAuth {
            error,
            basic: false,
        }
    }

    pub fn invalid_request(description: &str) -> Self {
        Self::new(OAuthError::invalid_request(description))
    }

    /// Remembers that Basic authentication was used.
    pub fn with_basic(self, basic: bool) -> Self {
        match self {
            OAuthFailure::OAuth { error, .. } => OAuthFailure::OAuth { error, basic },
            other => other,
        }
    }
}

impl From<janua_core::Error> for OAuthFailure {
    fn from(error: janua_core::Error) -> Self {
        use janua_core::Error as E;
        match error {
            E::OAuth(error) => Self::new(error),
            E::Validation(_) | E::NotFound | E::Conflict { .. } | E::Auth(_) => {
                Self::invalid_request("the request is invalid")
            }
            E::Unauthorized => Self::new(OAuthError::invalid_token("the access token is invalid")),
            E::Forbidden => Self::new(OAuthError::new(OAuthErrorCode::AccessDenied, "forbidden")),
            other => OAuthFailure::Api(ApiError::from(other)),
        }
    }
}

impl From<ApiError> for OAuthFailure {
    fn from(error: ApiError) -> Self {
        OAuthFailure::Api(error)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

fn status_of(code: OAuthErrorCode) -> StatusCode {
    match code {
        OAuthErrorCode::InvalidClient | OAuthErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
        OAuthErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// `Bearer error="…", error_description="…"` (RFC 6750 §3); quotes and backslashes are dropped
/// from the description so the header stays well-formed.
fn bearer_challenge(error: &OAuthError) -> HeaderValue {
    let description: String = error
        .description
        .chars()
        .filter(|c| *c != '"' && *c != '\\' && (' '..='~').contains(c))
        .collect();
    HeaderValue::from_str(&format!(
        "Bearer error=\"{}\", error_description=\"{description}\"",
        error.code.as_str()
    ))
    .unwrap_or(HeaderValue::from_static("Bearer"))
}

impl IntoResponse for OAuthFailure {
    fn into_response(self) -> Response {
        let (error, basic) = match self {
            OAuthFailure::OAuth { error, basic } => (error, basic),
            OAuthFailure::Api(api) => return api.into_response(),
        };
        let status = status_of(error.code);
        let body = ErrorBody {
            error: error.code.as_str(),
            error_description: &error.description,
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        match error.code {
            OAuthErrorCode::InvalidClient if basic => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"janua\""),
                );
            }
            OAuthErrorCode::InvalidToken | OAuthErrorCode::InsufficientScope => {
                headers.insert(header::WWW_AUTHENTICATE, bearer_challenge(&error));
            }
            _ => {}
        }
        response.extensions_mut().insert(AlreadyShaped);
        response
    }
}

/// A JSON success answer that must never be cached (it holds tokens or personal data).
pub fn no_store_json<T: Serialize>(value: &T) -> Response {
    let mut response = axum::Json(value).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// An `application/x-www-form-urlencoded` body; anything else is `invalid_request`.
pub struct OAuthForm<T>(pub T);

impl<T> FromRequest<AppState> for OAuthForm<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = OAuthFailure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(form)) => Ok(Self(form)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(
                OAuthFailure::Api(ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE)),
            ),
            Err(_) => Err(OAuthFailure::invalid_request(
                "the body must be a form (application/x-www-form-urlencoded) with each parameter at most once",
            )),
        }
    }
}

fn form_decode(value: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

/// The client's credentials: HTTP Basic (RFC 6749 §2.3.1, each half form-decoded), or
/// `client_id` + `client_secret` in the form, or `client_id` alone. Using both Basic and a form
/// secret is refused; no client at all is `invalid_request`.
pub fn client_credentials(
    headers: &HeaderMap,
    form_client_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<ClientCredentials, OAuthFailure> {
    let form_client_id = form_client_id.filter(|c| !c.is_empty());
    let form_secret = form_secret.filter(|s| !s.is_empty());
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let bad = || {
            OAuthFailure::new(OAuthError::invalid_client("malformed Basic credentials"))
                .with_basic(true)
        };
        let value = value.to_str().map_err(|_| bad())?;
        if let Some((scheme, encoded)) = value.split_once(' ') {
            if scheme.eq_ignore_ascii_case("basic") {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| bad())?;
                let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
                let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
                let client_id = form_decode(id).ok_or_else(bad)?;
                let secret = form_decode(secret).ok_or_else(bad)?;
                if form_secret.is_some() {
                    return Err(OAuthFailure::invalid_request(
                        "use one client authentication method",
                    ));
                }
                if form_client_id.is_some_and(|f| f != client_id) {
                    return Err(OAuthFailure::invalid_request(
                        "client_id does not match the Basic credentials",
                    ));
                }
                return Ok(ClientCredentials::Basic { client_id, secret });
            }
        }
    }
    match (form_client_id, form_secret) {
        (Some(id), Some(secret)) => Ok(ClientCredentials::Post {
            client_id: id.to_owned(),
            secret: secret.to_owned(),
        }),
        (Some(id), None) => Ok(ClientCredentials::None {
            client_id: id.to_owned(),
        }),
        (None, _) => Err(OAuthFailure::invalid_request(
            "client authentication is required",
        )),
    }
}
