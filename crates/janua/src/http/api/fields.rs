//! Parsing request fields at the edge: optional text with a length limit, emails, usernames,
//! IDs, and the client context of a request.

use axum::http::HeaderMap;
use janua_core::audit::RequestContext;
use janua_core::auth::sessions::ClientContext;
use janua_core::error::FieldError;

use crate::http::error::ApiError;
use crate::http::extract::ClientIp;

/// Longest names (first, last, display) the API accepts.
pub const MAX_NAME_LEN: usize = 100;

/// Collects field errors so a request reports every problem at once (422).
#[derive(Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Trimmed optional text of at most `max` characters, without control characters.
    pub fn text(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        let value = value?;
        let trimmed = value.trim();
        if trimmed.chars().count() > max {
            self.add(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
            return None;
        }
        if trimmed.chars().any(|c| c.is_control()) {
            self.add(FieldError::new(
                field,
                "must not contain control characters",
            ));
            return None;
        }
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    }

    /// Required trimmed text of at most `max` characters.
    pub fn required_text(
        &mut self,
        field: &str,
        value: Option<String>,
        max: usize,
    ) -> Option<String> {
        let present = value.as_deref().is_some_and(|v| !v.trim().is_empty());
        let text = self.text(field, value, max);
        if !present {
            self.add(FieldError::new(field, "is required"));
        }
        text
    }

    /// A required string field.
    pub fn required(&mut self, field: &str, value: Option<String>) -> Option<String> {
        match value {
            Some(v) if !v.is_empty() => Some(v),
            _ => {
                self.add(FieldError::new(field, "is required"));
                None
            }
        }
    }

    pub fn check<T>(&mut self, parsed: Result<T, FieldError>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(e);
                None
            }
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

pub fn client_context(ip: ClientIp, headers: &HeaderMap) -> ClientContext {
    ClientContext {
        ip_address: Some(ip.0.to_string()),
        user_agent: headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        request_id: None,
    }
}

/// The client context of a request from its audit facts (ip, user agent and request id).
pub fn client_of(audit: &RequestContext) -> ClientContext {
    ClientContext {
        ip_address: audit.ip_address.clone(),
        user_agent: audit.user_agent.clone(),
        request_id: audit.request_id.clone(),
    }
}

/// Parses a path ID (400 `INVALID_ID` when it is not a UUID).
pub fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::invalid_id())
}
