//! The WebAuthn relying party, built once from `WEBAUTHN_RP_ID`, `WEBAUTHN_RP_NAME` and
//! `WEBAUTHN_ORIGINS` (configuration has already checked each origin sits under the RP ID).

use std::time::Duration;

use webauthn_rs::prelude::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::error::{Error, Result};

/// The browser's ceremony timeout we ask for (API.md §8: 60000 ms).
pub const CEREMONY_TIMEOUT: Duration = Duration::from_secs(60);

pub struct PasskeySettings {
    pub webauthn: Webauthn,
    pub rp_id: String,
    /// How long a registration ceremony may take (API.md §3: 10 min).
    pub registration_ttl: chrono::Duration,
    /// How long an authentication ceremony may take (API.md §3: 5 min).
    pub authentication_ttl: chrono::Duration,
}

impl PasskeySettings {
    pub fn new(rp_id: &str, rp_name: &str, origins: &[String]) -> Result<Self> {
        let parsed: Vec<Url> = origins
            .iter()
            .map(|o| Url::parse(o).map_err(Error::internal))
            .collect::<Result<_>>()?;
        let first = parsed
            .first()
            .ok_or_else(|| Error::internal("WEBAUTHN_ORIGINS is empty"))?;
        let mut builder = WebauthnBuilder::new(rp_id, first)
            .map_err(|e| Error::internal(format!("WebAuthn relying party: {e}")))?
            .rp_name(rp_name)
            .timeout(CEREMONY_TIMEOUT);
        for origin in parsed.iter().skip(1) {
            builder = builder.append_allowed_origin(origin);
        }
        let webauthn = builder
            .build()
            .map_err(|e| Error::internal(format!("WebAuthn relying party: {e}")))?;
        Ok(Self {
            webauthn,
            rp_id: rp_id.to_owned(),
            registration_ttl: chrono::Duration::minutes(10),
            authentication_ttl: chrono::Duration::minutes(5),
        })
    }
}

impl std::fmt::Debug for PasskeySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasskeySettings")
            .field("rp_id", &self.rp_id)
            .finish_non_exhaustive()
    }
}
