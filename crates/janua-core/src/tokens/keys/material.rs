//! Key material: fresh keys from aws-lc-rs (RSA 2048, ECDSA P-256, Ed25519, as PKCS#8), keys
//! imported from PEM, their public JWKs and RFC 7638 thumbprints, and the jsonwebtoken keys
//! built from them. Private bytes live in [`Zeroizing`] buffers and are never printed.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::DecodingKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::SigningAlgorithm;
use crate::error::{Error, FieldError, Result};

/// The public half of a key: what the JWKS shows and what verification uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// A P-256 point, coordinates of 32 bytes each.
    Ec {
        x: Vec<u8>,
        y: Vec<u8>,
    },
    /// An Ed25519 public key, 32 bytes.
    Ed {
        x: Vec<u8>,
    },
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(member: &str, value: Option<&Value>) -> Result<Vec<u8>> {
    value
        .and_then(Value::as_str)
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .ok_or_else(|| {
            Error::internal(format!(
                "stored JWK member {member:?} is missing or invalid"
            ))
        })
}

impl PublicKey {
    /// The algorithm this key is for.
    pub fn algorithm(&self) -> SigningAlgorithm {
        match self {
            PublicKey::Rsa { .. } => SigningAlgorithm::Rs256,
            PublicKey::Ec { .. } => SigningAlgorithm::Es256,
            PublicKey::Ed { .. } => SigningAlgorithm::EdDsa,
        }
    }

    /// The RFC 7638 thumbprint: base64url SHA-256 of the required members in lexicographic
    /// order, without whitespace. Base64url text needs no JSON escaping, so it is written
    /// directly.
    pub fn thumbprint(&self) -> String {
        let canonical = match self {
            PublicKey::Rsa { n, e } => {
                format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(e), b64(n))
            }
            PublicKey::Ec { x, y } => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                b64(x),
                b64(y)
            ),
            PublicKey::Ed { x } => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(x)),
        };
        b64(&Sha256::digest(canonical.as_bytes()))
    }

    /// The JWK as published: `kty`, `use`, `alg`, `kid` and the public members only.
    pub fn jwk(&self, kid: &str) -> Value {
        let alg = self.algorithm().as_str();
        match self {
            PublicKey::Rsa { n, e } => json!({
                "kty": "RSA", "use": "sig", "alg": alg, "kid": kid, "n": b64(n), "e": b64(e),
            }),
            PublicKey::Ec { x, y } => json!({
                "kty": "EC", "use": "sig", "alg": alg, "kid": kid, "crv": "P-256",
                "x": b64(x), "y": b64(y),
            }),
            PublicKey::Ed { x } => json!({
                "kty": "OKP", "use": "sig", "alg": alg, "kid": kid, "crv": "Ed25519", "x": b64(x),
            }),
        }
    }

    /// Reads a JWK written by [`PublicKey::jwk`] (a stored `public_jwk`).
    pub fn from_jwk(jwk: &Value) -> Result<Self> {
        match (jwk["kty"].as_str(), jwk["crv"].as_str()) {
            (Some("RSA"), _) => Ok(PublicKey::Rsa {
                n: unb64("n", jwk.get("n"))?,
                e: unb64("e", jwk.get("e"))?,
            }),
            (Some("EC"), Some("P-256")) => Ok(PublicKey::Ec {
                x: unb64("x", jwk.get("x"))?,
                y: unb64("y", jwk.get("y"))?,
            }),
            (Some("OKP"), Some("Ed25519")) => Ok(PublicKey::Ed {
                x: unb64("x", jwk.get("x"))?,
            }),
            _ => Err(Error::internal("stored JWK has an unsupported kty/crv")),
        }
    }

    /// Reads one PEM public key (`PUBLIC KEY`, or `RSA PUBLIC KEY`): RSA, P-256 or Ed25519.
    pub fn from_pem(pem: &str) -> Result<Self> {
        let bytes = pem.trim().as_bytes();
        if let Ok(key) = DecodingKey::from_ec_pem(bytes) {
            let point = key.try_get_as_bytes().map_err(|_| bad_public_key())?;
            return match point {
                [4, rest @ ..] if rest.len() == 64 => Ok(PublicKey::Ec {
                    x: rest[..32].to_vec(),
                    y: rest[32..].to_vec(),
                }),
                _ => Err(invalid(
                    "public_key",
                    "only P-256 EC public keys are supported",
                )),
            };
        }
        if let Ok(key) = DecodingKey::from_ed_pem(bytes) {
            let x = key.try_get_as_bytes().map_err(|_| bad_public_key())?;
            return if x.len() == 32 {
                Ok(PublicKey::Ed { x: x.to_vec() })
            } else {
                Err(bad_public_key())
            };
        }
        let der = DecodingKey::from_rsa_pem(bytes).map_err(|_| bad_public_key())?;
        let rsa = aws_lc_rs::rsa::PublicKey::from_der(
            der.try_get_as_bytes().map_err(|_| bad_public_key())?,
        )
        .map_err(|_| bad_public_key())?;
        let components = RsaPublicKeyComponents::<Vec<u8>>::from(&rsa);
        Ok(PublicKey::Rsa {
            n: components.n,
            e: components.e,
        })
    }

    /// The jsonwebtoken verification key.
    pub(crate) fn decoding_key(&self) -> Result<DecodingKey> {
        match self {
            PublicKey::Rsa { n, e } => Ok(DecodingKey::from_rsa_raw_components(n, e)),
            PublicKey::Ec { x, y } => {
                DecodingKey::from_ec_components(&b64(x), &b64(y)).map_err(Error::internal)
            }
            PublicKey::Ed { x } => {
                DecodingKey::from_ed_components(&b64(x)).map_err(Error::internal)
            }
        }
    }
}

fn invalid(field: &str, message: &str) -> Error {
    Error::Validation(vec![FieldError::new(field, message)])
}

fn bad_public_key() -> Error {
    invalid(
        "public_key",
        "not a PEM public key (-----BEGIN PUBLIC KEY-----) for RSA, P-256 or Ed25519",
    )
}

/// A private signing key as PKCS#8 DER (v1), for one algorithm.
#[derive(Clone)]
pub struct PrivateKey {
    alg: SigningAlgorithm,
    pkcs8: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({}, [redacted])", self.alg)
    }
}

impl PrivateKey {
    /// A fresh key: RSA 2048, ECDSA P-256 or Ed25519.
    pub fn generate(alg: SigningAlgorithm) -> Result<Self> {
        let failed = |_| Error::internal(format!("generating a {alg} key failed"));
        let pkcs8 = match alg {
            SigningAlgorithm::Rs256 => RsaKeyPair::generate(KeySize::Rsa2048)
                .map_err(failed)?
                .as_der()
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            SigningAlgorithm::Es256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                .map_err(failed)?
                .to_pkcs8v1()
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            SigningAlgorithm::EdDsa => Ed25519KeyPair::generate()
                .map_err(failed)?
                .to_pkcs8v1()
                .map_err(failed)?
                .as_ref()
                .to_vec(),
        };
        Ok(Self {
            alg,
            pkcs8: Zeroizing::new(pkcs8),
        })
    }

    /// Reads PKCS#8 DER (as stored), checking that it is a valid key for `alg`.
    pub fn from_pkcs8(alg: SigningAlgorithm, der: &[u8]) -> Result<Self> {
        let key = Self {
            alg,
            pkcs8: Zeroizing::new(der.to_vec()),
        };
        key.public_key()?;
        Ok(key)
    }

    /// Reads a PEM private key for `alg`: PKCS#8 (`PRIVATE KEY`) for every algorithm, PKCS#1
    /// (`RSA PRIVATE KEY`) for RS256 and SEC1 (`EC PRIVATE KEY`) for ES256.
    pub fn from_pem(alg: SigningAlgorithm, pem: &str) -> Result<Self> {
        let parsed =
            pem::parse(pem.trim()).map_err(|_| invalid("private_key", "not a PEM private key"))?;
        let der = Zeroizing::new(parsed.contents().to_vec());
        let wrong = || {
            invalid(
                "private_key",
                &format!(
                    "not a valid {alg} private key ({} PEM); RS256 needs RSA ≥ 2048 bits, ES256 \
                     a P-256 key, EdDSA an Ed25519 key",
                    parsed.tag()
                ),
            )
        };
        let pkcs8 = match (alg, parsed.tag()) {
            (SigningAlgorithm::Rs256, "PRIVATE KEY") => RsaKeyPair::from_pkcs8(&der)
                .map_err(|_| wrong())?
                .as_der()
                .map_err(|_| wrong())?
                .as_ref()
                .to_vec(),
            (SigningAlgorithm::Rs256, "RSA PRIVATE KEY") => RsaKeyPair::from_der(&der)
                .map_err(|_| wrong())?
                .as_der()
                .map_err(|_| wrong())?
                .as_ref()
                .to_vec(),
            (SigningAlgorithm::Es256, "PRIVATE KEY" | "EC PRIVATE KEY") => {
                EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
                    .map_err(|_| wrong())?
                    .to_pkcs8v1()
                    .map_err(|_| wrong())?
                    .as_ref()
                    .to_vec()
            }
            (SigningAlgorithm::EdDsa, "PRIVATE KEY") => Ed25519KeyPair::from_pkcs8(&der)
                .map_err(|_| wrong())?
                .to_pkcs8v1()
                .map_err(|_| wrong())?
                .as_ref()
                .to_vec(),
            _ => return Err(wrong()),
        };
        Self::from_pkcs8(alg, &pkcs8)
    }

    pub fn algorithm(&self) -> SigningAlgorithm {
        self.alg
    }

    /// The PKCS#8 DER bytes, to be sealed before storage.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public half. Ed25519 is read from the raw key, not through jsonwebtoken, which
    /// rejects the PKCS#8 v2 documents aws-lc-rs can produce.
    pub fn public_key(&self) -> Result<PublicKey> {
        let rejected = |_| Error::internal(format!("stored {} private key is invalid", self.alg));
        match self.alg {
            SigningAlgorithm::Rs256 => {
                let pair = RsaKeyPair::from_pkcs8(&self.pkcs8).map_err(rejected)?;
                if pair.public_modulus_len() < 256 {
                    return Err(invalid(
                        "private_key",
                        "RSA keys must be at least 2048 bits",
                    ));
                }
                let components = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                Ok(PublicKey::Rsa {
                    n: components.n,
                    e: components.e,
                })
            }
            SigningAlgorithm::Es256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &self.pkcs8)
                    .map_err(rejected)?;
                match pair.public_key().as_ref() {
                    [4, rest @ ..] if rest.len() == 64 => Ok(PublicKey::Ec {
                        x: rest[..32].to_vec(),
                        y: rest[32..].to_vec(),
                    }),
                    _ => Err(Error::internal("unexpected P-256 public key encoding")),
                }
            }
            SigningAlgorithm::EdDsa => {
                let pair = Ed25519KeyPair::from_pkcs8(&self.pkcs8).map_err(rejected)?;
                Ok(PublicKey::Ed {
                    x: pair.public_key().as_ref().to_vec(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests;
