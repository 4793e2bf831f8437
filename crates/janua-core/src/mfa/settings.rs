//! The MFA keys and names, derived once at start-up from `FIELD_ENCRYPTION_KEY` (else
//! `SECRET_KEY`): one key seals TOTP seeds (AES-256-GCM), another keys the backup-code HMAC.

use chrono::Duration;
use zeroize::Zeroizing;

use crate::crypto::seal::{derive_key, Sealer};
use crate::error::Result;

const SEED_KEY_INFO: &[u8] = b"janua mfa totp seeds v1";
const CODE_KEY_INFO: &[u8] = b"janua mfa backup codes v1";

pub struct MfaSettings {
    /// Seals TOTP seeds at rest; the user id is bound as associated data.
    pub seed_sealer: Sealer,
    /// HMAC key for backup codes, so a database dump alone cannot brute-force their 40 bits.
    pub code_key: Zeroizing<[u8; 32]>,
    /// `issuer` of the otpauth URI and the QR code (`APP_NAME`).
    pub issuer: String,
    /// Lifetime of an `mfa_token` (API.md §3: 5 min).
    pub challenge_ttl: Duration,
}

impl MfaSettings {
    pub fn new(secret: &[u8], issuer: &str) -> Result<Self> {
        Ok(Self {
            seed_sealer: Sealer::for_purpose(secret, SEED_KEY_INFO)?,
            code_key: derive_key(secret, CODE_KEY_INFO)?,
            issuer: issuer.to_owned(),
            challenge_ttl: Duration::minutes(5),
        })
    }
}

impl std::fmt::Debug for MfaSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaSettings")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}
