//! Encryption at rest: [`Sealer`] seals small secrets (signing keys, later TOTP seeds) with
//! AES-256-GCM under a key derived by HKDF-SHA256 from the configured secret
//! (`JWT_SECRET_KEY`, else `SECRET_KEY`).
//!
//! Sealed form: `v1.` + base64url(nonce ‖ ciphertext ‖ tag), with a fresh random 96-bit nonce per
//! seal. A caller-chosen context (for a signing key, its `kid`) is bound as associated data, so
//! a sealed value copied onto another row does not open.

use std::fmt;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::hkdf::{KeyType, Salt, HKDF_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// HKDF `info`: names the purpose and version, so a future scheme derives an unrelated key.
const KEY_INFO: &[u8] = b"janua key encryption v1";
const VERSION_PREFIX: &str = "v1.";
const KEY_LEN: usize = 32;

/// What an operator needs to hear when a sealed value does not open.
const OPEN_FAILED: &str = "stored encrypted data cannot be decrypted: JWT_SECRET_KEY (or \
SECRET_KEY when JWT_SECRET_KEY is unset) is not the one it was encrypted with. Restore the \
previous secret; if it is lost, the encrypted data must be replaced (for signing keys: remove \
them so new ones are generated)";

/// Seals and opens small secrets with one derived key. Never prints its key.
pub struct Sealer {
    key: LessSafeKey,
}

/// The HKDF output length, as aws-lc-rs wants it expressed.
struct KeyLength;

impl KeyType for KeyLength {
    fn len(&self) -> usize {
        KEY_LEN
    }
}

impl Sealer {
    /// Derives the encryption key from `secret` (HKDF-SHA256, no salt: the secret is already a
    /// high-entropy key of at least 32 bytes).
    pub fn from_secret(secret: &[u8]) -> Result<Self> {
        Self::for_purpose(secret, KEY_INFO)
    }

    /// Like [`Sealer::from_secret`], with its own HKDF `info`, so each kind of data at rest
    /// (signing keys, TOTP seeds) is sealed under an unrelated key.
    pub fn for_purpose(secret: &[u8], info: &[u8]) -> Result<Self> {
        let key = derive_key(secret, info)?;
        let key = UnboundKey::new(&AES_256_GCM, key.as_slice())
            .map_err(|_| Error::internal("AES-256-GCM key setup failed"))?;
        Ok(Self {
            key: LessSafeKey::new(key),
        })
    }

    /// Encrypts `plaintext`, binding `context` as associated data.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| Error::internal("no randomness"))?;
        let mut buffer = Zeroizing::new(plaintext.to_vec());
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut *buffer,
            )
            .map_err(|_| Error::internal("encryption failed"))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + buffer.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&buffer);
        Ok(format!(
            "{VERSION_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(sealed)
        ))
    }

    /// Decrypts what [`Sealer::seal`] produced with the same `context`. A different secret, a
    /// different context or any tampering fails with an [`Error::Internal`] that tells the
    /// operator what to check.
    pub fn open(&self, sealed: &str, context: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let encoded = sealed.strip_prefix(VERSION_PREFIX).ok_or_else(|| {
            Error::internal("stored encrypted data has an unknown format (expected `v1.`)")
        })?;
        let raw = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| Error::internal("stored encrypted data is not valid base64url"))?;
        if raw.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(Error::internal("stored encrypted data is truncated"));
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| Error::internal("stored encrypted data has a bad nonce"))?;
        let mut buffer = Zeroizing::new(ciphertext.to_vec());
        let plaintext_len = self
            .key
            .open_in_place(nonce, Aad::from(context), &mut buffer)
            .map_err(|_| Error::internal(OPEN_FAILED))?
            .len();
        buffer.truncate(plaintext_len);
        Ok(buffer)
    }
}

/// A 256-bit key derived by HKDF-SHA256 (no salt) from `secret` for the purpose named by `info`.
pub fn derive_key(secret: &[u8], info: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let prk = Salt::new(HKDF_SHA256, &[]).extract(secret);
    let info = [info];
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    prk.expand(&info, KeyLength)
        .and_then(|okm| okm.fill(key.as_mut_slice()))
        .map_err(|_| Error::internal("key derivation failed"))?;
    Ok(key)
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(secret: &str) -> Sealer {
        Sealer::from_secret(secret.as_bytes()).unwrap()
    }

    const SECRET: &str = "an-operator-secret-of-at-least-32-bytes!";

    #[test]
    fn sealed_data_opens_with_the_same_secret_and_context() {
        let sealed = sealer(SECRET).seal(b"private key bytes", b"kid-1").unwrap();
        assert!(sealed.starts_with("v1."));
        let opened = sealer(SECRET).open(&sealed, b"kid-1").unwrap();
        assert_eq!(opened.as_slice(), b"private key bytes");
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let s = sealer(SECRET);
        assert_ne!(s.seal(b"same", b"").unwrap(), s.seal(b"same", b"").unwrap());
    }

    #[test]
    fn a_different_secret_fails_with_a_message_naming_the_secret_variables() {
        let sealed = sealer(SECRET).seal(b"data", b"kid").unwrap();
        let Err(Error::Internal(message)) =
            sealer("another-secret-also-32-bytes-long!!").open(&sealed, b"kid")
        else {
            panic!("opened under the wrong secret");
        };
        assert!(message.contains("JWT_SECRET_KEY"), "{message}");
        assert!(message.contains("SECRET_KEY"), "{message}");
    }

    #[test]
    fn a_different_context_does_not_open() {
        let sealed = sealer(SECRET).seal(b"data", b"kid-1").unwrap();
        assert!(sealer(SECRET).open(&sealed, b"kid-2").is_err());
    }

    #[test]
    fn any_tampered_byte_is_detected() {
        let s = sealer(SECRET);
        let sealed = s.seal(b"sixteen byte msg", b"").unwrap();
        let raw = URL_SAFE_NO_PAD.decode(&sealed[3..]).unwrap();
        for i in 0..raw.len() {
            let mut tampered = raw.clone();
            tampered[i] ^= 0x01;
            let text = format!("v1.{}", URL_SAFE_NO_PAD.encode(&tampered));
            assert!(
                s.open(&text, b"").is_err(),
                "byte {i} flipped went unnoticed"
            );
        }
    }

    #[test]
    fn malformed_input_fails_cleanly() {
        let s = sealer(SECRET);
        for bad in ["", "v1.", "v2.AAAA", "v1.!!!", "v1.AAAA", "plaintext"] {
            assert!(matches!(s.open(bad, b""), Err(Error::Internal(_))), "{bad}");
        }
    }

    #[test]
    fn debug_output_hides_the_key() {
        assert_eq!(format!("{:?}", sealer(SECRET)), "Sealer([redacted])");
    }
}
