//! Webhook delivery as this process runs it: the SSRF-guarded HTTP client ([`outbound`]) and
//! the runtime the HTTP handlers and the delivery job share ([`WebhookRuntime`]). The rules
//! (matching, signing, retries) are in `janua_core::webhooks`.

pub mod outbound;

use std::sync::Arc;
use std::time::Duration;

use janua_core::crypto::seal::Sealer;
use janua_core::webhooks::delivery::{DeliverySettings, Transport};
use janua_core::webhooks::retry::RetrySchedule;

use crate::config::Config;

/// Deliveries claimed per worker round.
pub const BATCH: u32 = 50;

/// What sending webhooks needs, built once from the configuration.
pub struct WebhookRuntime {
    /// Opens endpoint secrets (sealed at rest with the endpoint id as context).
    pub sealer: Sealer,
    pub transport: Arc<dyn Transport>,
    pub settings: DeliverySettings,
    /// `WEBHOOK_ALLOW_PRIVATE_URLS`: registration-time checks follow the same rule as delivery.
    pub allow_private: bool,
    pub poll_interval: Duration,
}

impl WebhookRuntime {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let allow_private = config.security.webhook_allow_private_urls;
        let timeout = config.webhooks.timeout;
        Ok(Self {
            sealer: crate::app::key_sealer(config)?,
            transport: Arc::new(outbound::GuardedClient::new(timeout, allow_private)?),
            settings: DeliverySettings {
                retry: RetrySchedule {
                    delays: config.webhooks.retry_delays.clone(),
                },
                // Longer than an attempt can take (connect + answer within the timeout), so a
                // live worker keeps its claim; a dead one's claims return after this.
                lease: timeout * 2 + Duration::from_secs(5),
                batch: BATCH,
            },
            allow_private,
            poll_interval: config.webhooks.poll_interval,
        })
    }
}
