//! The WebAuthn relying party, built once from `WEBAUTHN_RP_ID`, `WEBAUTHN_RP_NAME` and
//! `WEBAUTHN_ORIGINS` (configuration has already checked each origin sits under the RP ID).
//! WebAuthn has no relying party on a bare IP address (an RP ID is a domain), so a server
//! reached by IP runs without passkeys: their routes answer 503 `NOT_CONFIGURED` and
//! everything else works.

use std::time::Duration;

use webauthn_rs::prelude::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::error::{AuthFailure, Error, Result};

/// The browser's ceremony timeout we ask for (API.md §8: 60000 ms).
pub const CEREMONY_TIMEOUT: Duration = Duration::from_secs(60);

pub struct PasskeySettings {
    /// `None` when the RP ID is an IP address.
    webauthn: Option<Webauthn>,
    pub rp_id: String,
    /// How long a registration ceremony may take (API.md §3: 10 min).
    pub registration_ttl: chrono::Duration,
    /// How long an authentication ceremony may take (API.md §3: 5 min).
    pub authentication_ttl: chrono::Duration,
}

impl PasskeySettings {
    pub fn new(rp_id: &str, rp_name: &str, origins: &[String]) -> Result<Self> {
        let webauthn = if rp_id.parse::<std::net::IpAddr>().is_ok() {
            tracing::warn!(
                rp_id,
                "passkeys are off: a WebAuthn RP ID must be a host name, not an IP address \
                 (set WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS)"
            );
            None
        } else {
            Some(relying_party(rp_id, rp_name, origins)?)
        };
        Ok(Self {
            webauthn,
            rp_id: rp_id.to_owned(),
            registration_ttl: chrono::Duration::minutes(10),
            authentication_ttl: chrono::Duration::minutes(5),
        })
    }

    /// The relying party, or 503 `NOT_CONFIGURED` when passkeys are off.
    pub fn relying_party(&self) -> Result<&Webauthn> {
        self.webauthn
            .as_ref()
            .ok_or(Error::auth(AuthFailure::PasskeysNotConfigured))
    }
}

fn relying_party(rp_id: &str, rp_name: &str, origins: &[String]) -> Result<Webauthn> {
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
    builder
        .build()
        .map_err(|e| Error::internal(format!("WebAuthn relying party: {e}")))
}

impl std::fmt::Debug for PasskeySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasskeySettings")
            .field("rp_id", &self.rp_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::PasskeySettings;
    use crate::error::{AuthFailure, Error};

    #[test]
    fn a_host_name_builds_the_relying_party() {
        let settings =
            PasskeySettings::new("localhost", "Janua", &["http://localhost:8000".into()]).unwrap();
        assert!(settings.relying_party().is_ok());
    }

    #[test]
    fn an_ip_address_turns_passkeys_off_instead_of_failing_the_start() {
        let settings =
            PasskeySettings::new("127.0.0.1", "Janua", &["http://127.0.0.1:8000".into()]).unwrap();
        assert!(matches!(
            settings.relying_party(),
            Err(Error::Auth(AuthFailure::PasskeysNotConfigured))
        ));
    }
}
