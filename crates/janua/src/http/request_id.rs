//! Request identity: every request gets an `X-Request-ID` (the caller's, when it is a sane
//! token, else a fresh UUID v7), recorded in the extensions for logs and error bodies, and
//! echoed on the response. The receive time is recorded alongside from the injected clock.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::response::Response;
use chrono::{DateTime, Utc};

use crate::state::AppState;

pub const HEADER: &str = "x-request-id";

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// When the request arrived, by the server's clock.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedAt(pub DateTime<Utc>);

/// Longest caller-supplied id we keep; longer ones are replaced.
const MAX_LEN: usize = 128;

fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Gives the request its id (and receive time) in the extensions and returns the id, for
/// the envelope to echo on the response.
pub fn assign(state: &AppState, request: &mut Request) -> String {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let extensions = request.extensions_mut();
    extensions.insert(RequestId(id.clone()));
    extensions.insert(ReceivedAt(state.clock.now()));
    id
}

/// Echoes the id on the response.
pub fn echo(response: &mut Response, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert(HEADER, value);
    }
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn sane_caller_ids_are_kept_and_hostile_ones_replaced() {
        assert!(acceptable("abc-123_DEF.4:5"));
        assert!(!acceptable(""));
        assert!(!acceptable("a b"));
        assert!(!acceptable("<script>"));
        assert!(!acceptable(&"a".repeat(129)));
    }
}
