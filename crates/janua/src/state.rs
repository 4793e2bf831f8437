//! `AppState`: what every handler can reach. One `Arc` around [`Shared`], so the clone that
//! every middleware layer and handler takes is a single reference-count increment.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use janua_core::clock::Clock;
use janua_core::context::Core;
use janua_core::mail::Mailer;
use janua_core::ports::{Cache, Store};
use janua_core::tokens::keys::KeyRing;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::config::Config;
use crate::http::extract::TrustedProxies;
use crate::http::rate_limit::RateLimiter;
use crate::mail::render::MailRenderer;
use crate::pages::Pages;

/// The state handed to every middleware and handler; derefs to [`Shared`] (`state.core`, …).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Everything the server shares between requests.
pub struct Shared {
    pub config: Arc<Config>,
    /// The domain's ports and settings; use cases take `&state.core`.
    pub core: Arc<Core>,
    pub store: Arc<dyn Store>,
    pub cache: Arc<dyn Cache>,
    pub clock: Arc<dyn Clock>,
    /// Sends rendered mail; only the mail delivery job calls it (requests enqueue jobs).
    pub mailer: Arc<dyn Mailer>,
    pub mail_renderer: Arc<MailRenderer>,
    /// Hosted pages: templates, CSRF key, cookie policy, allowed origins.
    pub pages: Arc<Pages>,
    /// Signs and verifies every JWT; serves the JWKS.
    pub keys: Arc<KeyRing>,
    /// The OpenID Provider Metadata document, serialized once at start-up.
    pub discovery: bytes::Bytes,
    pub lifecycle: Lifecycle,
    pub metrics: PrometheusHandle,
    pub proxies: Arc<TrustedProxies>,
    pub rate_limiter: RateLimiter,
    /// Webhook signing, the guarded HTTP client and the delivery settings.
    pub webhooks: Arc<crate::webhooks::WebhookRuntime>,
    /// When this instance started, reported as `process_start_time_seconds`.
    pub started_at: DateTime<Utc>,
    /// This instance's short-lived copy of the maintenance switch (a system setting).
    pub maintenance: crate::http::maintenance::MaintenanceCache,
}

/// Whether the instance is draining: set once on SIGTERM, read by `/ready` on every probe.
#[derive(Clone, Default)]
pub struct Lifecycle {
    draining: Arc<AtomicBool>,
}

impl Lifecycle {
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}
