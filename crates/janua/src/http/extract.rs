//! Extractors with our rejections: a JSON body whose failures use the common error shape, and
//! the client IP as seen through trusted proxies.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use ipnet::IpNet;
use janua_core::error::FieldError;
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;

/// `axum::Json`, but bad bodies become 400 `INVALID_JSON`, 415, 413 or 422 with field details.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            // serde's message names the path and the expectation, never echoes the value.
            let text = e.body_text();
            let (field, message) = split_serde_message(&text);
            ApiError::validation(vec![FieldError::new(field, message)])
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_JSON",
            "The request body is not valid JSON",
        ),
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        }
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::for_status(StatusCode::PAYLOAD_TOO_LARGE)
        }
        other => ApiError::new(StatusCode::BAD_REQUEST, "INVALID_JSON", other.body_text()),
    }
}

/// Turns "Failed to deserialize the JSON body into the target type: email: invalid type: …"
/// into (`email`, `invalid type: …`).
fn split_serde_message(text: &str) -> (String, String) {
    let detail = text
        .split_once("target type: ")
        .map(|(_, d)| d)
        .unwrap_or(text);
    match detail.split_once(": ") {
        Some((path, message)) if !path.contains(' ') => (path.to_owned(), message.to_owned()),
        _ => {
            let field = detail
                .split('`')
                .nth(1)
                .filter(|_| detail.starts_with("missing field"))
                .unwrap_or("body");
            (field.to_owned(), detail.to_owned())
        }
    }
}

/// The address of the client: the TCP peer, or, when the peer is a trusted proxy, the
/// right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The proxies whose `X-Forwarded-For` we believe (`TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn client_ip(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let Some(chain) = forwarded_for else {
            return peer;
        };
        let mut last_trusted = peer;
        for hop in chain.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => last_trusted = ip,
                Ok(ip) => return ip,
                Err(_) => return last_trusted,
            }
        }
        last_trusted
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ClientIp>()
            .copied()
            .ok_or_else(|| ApiError::internal("client ip middleware missing"))
    }
}

/// Resolves the client IP once per request (middleware), so handlers and the rate limiter agree.
pub fn resolve_client_ip(
    parts_ext: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
    proxies: &TrustedProxies,
) -> ClientIp {
    let peer = parts_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    ClientIp(proxies.client_ip(peer, forwarded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies(list.iter().map(|s| s.parse().unwrap()).collect())
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let p = proxies(&["10.0.0.0/8"]);
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(p.client_ip(peer, Some("1.2.3.4")), peer);
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let p = proxies(&["10.0.0.0/8"]);
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let ip = p.client_ip(peer, Some("6.6.6.6, 198.51.100.7, 10.0.0.5"));
        assert_eq!(ip, "198.51.100.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn garbage_in_forwarded_for_falls_back_to_the_last_trusted_hop() {
        let p = proxies(&["10.0.0.0/8"]);
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(p.client_ip(peer, Some("<script>")), peer);
    }

    #[test]
    fn serde_messages_are_split_into_field_and_reason() {
        let (f, m) = split_serde_message(
            "Failed to deserialize the JSON body into the target type: email: invalid type: integer `1`, expected a string at line 1 column 10",
        );
        assert_eq!(f, "email");
        assert!(m.starts_with("invalid type"));
        let (f, _) = split_serde_message(
            "Failed to deserialize the JSON body into the target type: missing field `password` at line 1 column 2",
        );
        assert_eq!(f, "password");
    }
}

#[cfg(test)]
mod rejection_tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::post;
    use axum::Router;
    use tower::ServiceExt;

    use super::Json;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct SignUp {
        email: String,
        age: u8,
    }

    async fn accept(Json(_): Json<SignUp>) -> &'static str {
        "ok"
    }

    async fn status_and_code(
        content_type: Option<&str>,
        body: &'static str,
    ) -> (StatusCode, String) {
        let app = Router::new().route("/", post(accept));
        let mut request = Request::post("/");
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        let response = app
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let code = response
            .extensions()
            .get::<crate::http::error::ApiError>()
            .map(|e| e.code.to_owned())
            .unwrap_or_default();
        (response.status(), code)
    }

    #[tokio::test]
    async fn malformed_json_is_a_400_invalid_json() {
        let (status, code) = status_and_code(Some("application/json"), "{\"email\": ").await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "INVALID_JSON")
        );
    }

    #[tokio::test]
    async fn a_missing_content_type_is_a_415() {
        let (status, code) = status_and_code(None, "{}").await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE")
        );
        let (status, _) = status_and_code(Some("text/plain"), "{}").await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[tokio::test]
    async fn wrong_types_and_missing_fields_are_a_422_naming_the_field() {
        let (status, code) =
            status_and_code(Some("application/json"), r#"{"email": 5, "age": 1}"#).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR")
        );
        let (status, code) = status_and_code(
            Some("application/json"),
            r#"{"email": "a@b.c", "age": 300}"#,
        )
        .await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR")
        );
        let (status, _) = status_and_code(Some("application/json"), r#"{"age": 3}"#).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[tokio::test]
    async fn a_json_array_or_scalar_is_not_an_object() {
        let (status, _) = status_and_code(Some("application/json"), "[1,2]").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = status_and_code(Some("application/json"), "\"\\ud800\"").await;
        assert!(status.is_client_error());
    }
}
