//! `Janua-Webhook-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>` (API.md §14).
//! The key is the secret string's UTF-8 bytes, exactly as shown to the endpoint's owner.

use crate::crypto::{constant_time_eq, hmac_sha256};

/// The header value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = Vec::with_capacity(body.len() + 24);
    signed.extend_from_slice(timestamp.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    format!(
        "v1={}",
        hex::encode(hmac_sha256(secret.as_bytes(), &signed))
    )
}

/// Whether `header` (one or more space- or comma-separated `v1=` values) signs `body` at
/// `timestamp`; compared in constant time.
pub fn verify(secret: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let expected = signature(secret, timestamp, body);
    header
        .split([' ', ','])
        .filter(|part| !part.is_empty())
        .any(|part| constant_time_eq(part.as_bytes(), expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_changed_body_does_not() {
        let sig = signature("whsec_x", 1_700_000_000, b"{\"a\":1}");
        assert!(sig.starts_with("v1=") && sig.len() == 67);
        assert!(verify("whsec_x", 1_700_000_000, b"{\"a\":1}", &sig));
        assert!(!verify("whsec_x", 1_700_000_000, b"{\"a\":2}", &sig));
        assert!(!verify("whsec_x", 1_700_000_001, b"{\"a\":1}", &sig));
        assert!(!verify("whsec_y", 1_700_000_000, b"{\"a\":1}", &sig));
    }
}
