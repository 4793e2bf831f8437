//! Signing JWS compact serializations (RFC 7515 §7.1) with a key parsed once. jsonwebtoken's
//! `encode` re-parses the PKCS#8 key on every call (an RSA key's parse and validation costs
//! more than the signature itself), so the ring keeps one [`JwsSigner`] per key instead: the
//! header is encoded once, and each token costs the claims' JSON, base64url and one aws-lc-rs
//! signature. Verification stays with jsonwebtoken.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Header;
use serde::Serialize;

use super::material::PrivateKey;
use super::SigningAlgorithm;
use crate::error::{Error, Result};

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// One signing key, ready to sign: `alg`, `typ: JWT` and `kid` in the header.
pub struct JwsSigner {
    /// `BASE64URL(header)` followed by `.`.
    header_prefix: String,
    pair: Pair,
    rng: SystemRandom,
}

impl std::fmt::Debug for JwsSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwsSigner([redacted])")
    }
}

impl JwsSigner {
    pub fn new(private: &PrivateKey, kid: &str) -> Result<Self> {
        let alg = private.algorithm();
        let rejected = |_| Error::internal(format!("{alg} key unusable for signing"));
        let der = private.pkcs8();
        let pair = match alg {
            SigningAlgorithm::Rs256 => Pair::Rsa(RsaKeyPair::from_pkcs8(der).map_err(rejected)?),
            SigningAlgorithm::Es256 => Pair::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(rejected)?,
            ),
            SigningAlgorithm::EdDsa => {
                Pair::Ed(Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(rejected)?)
            }
        };
        let mut header = Header::new(alg.jwt());
        header.typ = Some("JWT".to_owned());
        header.kid = Some(kid.to_owned());
        let header = serde_json::to_vec(&header).map_err(Error::internal)?;
        Ok(Self {
            header_prefix: format!("{}.", URL_SAFE_NO_PAD.encode(header)),
            pair,
            rng: SystemRandom::new(),
        })
    }

    /// `BASE64URL(header).BASE64URL(claims).BASE64URL(signature)`.
    pub fn sign<C: Serialize>(&self, claims: &C) -> Result<String> {
        let claims = serde_json::to_vec(claims).map_err(Error::internal)?;
        let mut token = String::with_capacity(self.header_prefix.len() + claims.len() * 2 + 360);
        token.push_str(&self.header_prefix);
        URL_SAFE_NO_PAD.encode_string(claims, &mut token);
        let failed = |_| Error::internal("signing failed");
        let signature = match &self.pair {
            Pair::Rsa(pair) => {
                let mut out = vec![0u8; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &self.rng, token.as_bytes(), &mut out)
                    .map_err(failed)?;
                out
            }
            Pair::Ec(pair) => pair
                .sign(&self.rng, token.as_bytes())
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            Pair::Ed(pair) => pair.sign(token.as_bytes()).as_ref().to_vec(),
        };
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_with_jsonwebtoken_for_every_algorithm() {
        for alg in SigningAlgorithm::ALL {
            let private = PrivateKey::generate(alg).unwrap();
            let signer = JwsSigner::new(&private, "kid-1").unwrap();
            let token = signer
                .sign(&serde_json::json!({"sub": "s", "exp": 4_000_000_000_i64}))
                .unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.kid.as_deref(), Some("kid-1"));
            assert_eq!(header.typ.as_deref(), Some("JWT"));
            let decoding = private.public_key().unwrap().decoding_key().unwrap();
            let mut validation = jsonwebtoken::Validation::new(alg.jwt());
            validation.required_spec_claims.clear();
            let data =
                jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).unwrap();
            assert_eq!(data.claims["sub"], "s");
        }
    }
}
