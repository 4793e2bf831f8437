//! PKCE (RFC 7636) with the `S256` method only: `BASE64URL(SHA256(code_verifier)) ==
//! code_challenge`, compared in constant time.

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::crypto::constant_time_eq;

/// A syntactically valid challenge or verifier: 43–128 unreserved characters (RFC 7636 §4.1).
pub fn is_well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The `S256` challenge of `verifier`.
pub fn s256_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn verify_s256(verifier: &str, challenge: &str) -> bool {
    is_well_formed(verifier)
        && constant_time_eq(s256_challenge(verifier).as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_appendix_b_example_verifies() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(s256_challenge(verifier), challenge);
        assert!(verify_s256(verifier, challenge));
        assert!(!verify_s256(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX",
            challenge
        ));
    }

    #[test]
    fn short_or_odd_verifiers_are_malformed() {
        assert!(!is_well_formed("short"));
        assert!(!is_well_formed(&"a".repeat(129)));
        assert!(!is_well_formed(&format!("{}+", "a".repeat(43))));
        assert!(is_well_formed(&"a".repeat(43)));
    }
}
