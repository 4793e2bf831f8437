//! The request facts that go into audit entries: client IP (as resolved through the trusted
//! proxies), user agent and request id. Handlers take [`AuditContext`] and hand its
//! [`RequestContext`] to core, which stamps it on the entries it writes.

use axum::extract::FromRequestParts;
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use janua_core::audit::RequestContext;

use crate::http::error::ApiError;
use crate::http::extract::ClientIp;
use crate::http::request_id::RequestId;

/// Extracts the [`RequestContext`] of the current request. Never rejects.
#[derive(Debug, Clone)]
pub struct AuditContext(pub RequestContext);

impl<S: Send + Sync> FromRequestParts<S> for AuditContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(AuditContext(request_context(parts)))
    }
}

/// The audit facts of a request, for code that holds the parts rather than an extractor.
pub fn request_context(parts: &Parts) -> RequestContext {
    let ip = parts
        .extensions
        .get::<ClientIp>()
        .map(|ip| ip.0.to_string());
    let user_agent = parts.headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
    let request_id = parts.extensions.get::<RequestId>().map(|id| id.0.clone());
    RequestContext::new(ip, user_agent, request_id)
}
