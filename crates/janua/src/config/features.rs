//! Feature flags (§18 "Features"): which optional surfaces this instance exposes.

use serde::Serialize;

use crate::config::env::Reader;
use crate::config::server::Environment;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct FeatureFlags {
    /// `/openapi.json`, `/docs`, `/redoc` (default off in production).
    pub enable_docs: bool,
    /// Verbose error details; refused in production.
    pub enable_debug: bool,
    pub enable_signups: bool,
    pub enable_magic_links: bool,
    pub enable_metrics: bool,
    pub enable_webhooks: bool,
    pub enable_sso: bool,
    pub enable_scim: bool,
}

pub(super) fn read(r: &mut Reader, environment: Environment) -> FeatureFlags {
    FeatureFlags {
        enable_docs: r.bool(&["ENABLE_DOCS"], !environment.is_production()),
        enable_debug: r.bool(&["ENABLE_DEBUG"], false),
        enable_signups: r.bool(&["ENABLE_SIGNUPS"], true),
        enable_magic_links: r.bool(&["ENABLE_MAGIC_LINKS"], true),
        enable_metrics: r.bool(&["ENABLE_METRICS"], true),
        enable_webhooks: r.bool(&["ENABLE_WEBHOOKS"], true),
        enable_sso: r.bool(&["ENABLE_SSO"], true),
        enable_scim: r.bool(&["ENABLE_SCIM"], true),
    }
}
