//! Signing keys: one key ring signs every JWT, with a `kid` that is in the JWKS (API.md §3).
//!
//! - [`jws`]: JWS signing with keys parsed once ([`JwsSigner`](jws::JwsSigner)).
//! - [`material`]: key generation (aws-lc-rs), PEM import, public JWKs and RFC 7638 thumbprints.
//! - [`rotation`]: the pure rules that promote published keys and retire the keys they replace.
//! - [`stored`]: storage operations: publish, apply the rotation plan, bootstrap, prune.
//! - [`ring`]: [`KeyRing`], the in-memory ring: sign, verify, JWKS, load and refresh.

pub mod jws;
pub mod material;
pub mod ring;
pub mod rotation;
pub mod stored;

pub use ring::{ImportedKeys, KeyInfo, KeyRing, KeyRingSettings, TokenExpectations};

use serde::{Deserialize, Serialize};

use crate::error::{Error, FieldError, Result};

/// The JWS algorithms Janua signs with. HMAC and `none` are never offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SigningAlgorithm {
    /// RSA 2048 with PKCS#1 v1.5 and SHA-256: what every relying party supports.
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    #[serde(rename = "ES256")]
    Es256,
    /// Ed25519.
    #[serde(rename = "EdDSA")]
    EdDsa,
}

impl SigningAlgorithm {
    pub const ALL: [SigningAlgorithm; 3] = [
        SigningAlgorithm::Rs256,
        SigningAlgorithm::Es256,
        SigningAlgorithm::EdDsa,
    ];

    /// The JOSE name: `RS256`, `ES256`, `EdDSA`.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::Rs256 => "RS256",
            SigningAlgorithm::Es256 => "ES256",
            SigningAlgorithm::EdDsa => "EdDSA",
        }
    }

    /// The JOSE names, case-insensitively.
    pub fn parse(raw: &str) -> Result<Self> {
        match raw.to_ascii_uppercase().as_str() {
            "RS256" => Ok(SigningAlgorithm::Rs256),
            "ES256" => Ok(SigningAlgorithm::Es256),
            "EDDSA" => Ok(SigningAlgorithm::EdDsa),
            _ => Err(Error::Validation(vec![FieldError::new(
                "alg",
                "must be one of RS256, ES256, EdDSA",
            )])),
        }
    }

    pub(crate) fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            SigningAlgorithm::Rs256 => jsonwebtoken::Algorithm::RS256,
            SigningAlgorithm::Es256 => jsonwebtoken::Algorithm::ES256,
            SigningAlgorithm::EdDsa => jsonwebtoken::Algorithm::EdDSA,
        }
    }
}

impl std::fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jose_names_round_trip_case_insensitively() {
        for alg in SigningAlgorithm::ALL {
            assert_eq!(SigningAlgorithm::parse(alg.as_str()).unwrap(), alg);
            assert_eq!(
                SigningAlgorithm::parse(&alg.as_str().to_lowercase()).unwrap(),
                alg
            );
        }
    }

    #[test]
    fn hmac_and_none_are_not_signing_algorithms() {
        for bad in ["HS256", "none", "", "RS512"] {
            assert!(SigningAlgorithm::parse(bad).is_err(), "{bad}");
        }
    }
}
