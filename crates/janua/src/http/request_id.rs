//! Request identity: every request gets an `X-Request-ID` (the caller's, when it is a sane
//! token, else a fresh UUID v7), recorded in the extensions for logs and error bodies, and
//! echoed on the response. The receive time is recorded alongside from the injected clock.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
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

pub async fn assign_request_id(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    request.extensions_mut().insert(RequestId(id.clone()));
    request
        .extensions_mut()
        .insert(ReceivedAt(state.clock.now()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
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
