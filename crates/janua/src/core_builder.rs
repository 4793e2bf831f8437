//! Turns the configuration into `janua_core::Core`: the account rules in core's own terms, plus
//! the ports the app has built (store, cache, clock, token signer).

use std::sync::Arc;

use janua_core::auth::access_token::TokenSigner;
use janua_core::auth::passwords::{HashParams, PasswordPolicy, Passwords};
use janua_core::auth::settings::{AuthSettings, LockoutSettings};
use janua_core::clock::Clock;
use janua_core::context::Core;
use janua_core::mfa::settings::MfaSettings;
use janua_core::oidc::client_cache::ClientCache;
use janua_core::oidc::settings::OAuthSettings;
use janua_core::passkeys::settings::PasskeySettings;
use janua_core::ports::{Cache, Store};
use janua_core::tokens::keys::{KeyRing, SigningAlgorithm};

use crate::config::Config;

fn duration(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

pub fn auth_settings(config: &Config) -> AuthSettings {
    let security = &config.security;
    let tokens = &config.tokens;
    let urls = &config.urls;
    let policy = &security.password_policy;
    let mut redirect_origins = config.security.cors_origins.clone();
    redirect_origins.extend(security.password_reset_redirect_origins.iter().cloned());
    AuthSettings {
        issuer: tokens.issuer.clone(),
        audience: tokens.audience.clone(),
        access_token_ttl: duration(tokens.access_token_ttl),
        session_ttl: duration(tokens.refresh_token_ttl),
        session_absolute_ttl: duration(tokens.refresh_token_absolute),
        email_verification_ttl: duration(tokens.email_verification_ttl),
        password_reset_ttl: duration(tokens.password_reset_ttl),
        magic_link_ttl: duration(tokens.magic_link_ttl),
        password_policy: PasswordPolicy {
            min_length: policy.min_length,
            require_uppercase: policy.require_uppercase,
            require_lowercase: policy.require_lowercase,
            require_digit: policy.require_digit,
            require_symbol: policy.require_symbol,
        },
        lockout: LockoutSettings {
            enabled: security.lockout.enabled,
            threshold: security.lockout.threshold,
            duration: duration(security.lockout.duration),
        },
        max_sessions_per_user: security.max_sessions_per_identity,
        signups_enabled: config.features.enable_signups,
        magic_links_enabled: config.features.enable_magic_links,
        email_configured: config.mail.email_enabled
            && (config.mail.smtp_host.is_some() || !config.server.environment.is_production()),
        base_url: urls.base_url.clone(),
        api_base_url: urls.api_base_url.clone(),
        frontend_url: urls.frontend_url.clone(),
        redirect_origins,
        password_reset_redirect_origins: security.password_reset_redirect_origins.clone(),
    }
}

/// The secret MFA keys derive from: `FIELD_ENCRYPTION_KEY`, else `SECRET_KEY` (API.md §18).
fn mfa_secret(config: &Config) -> &str {
    config
        .security
        .field_encryption_key
        .as_ref()
        .unwrap_or(&config.security.secret_key)
        .expose()
}

pub struct Ports {
    pub store: Arc<dyn Store>,
    pub cache: Arc<dyn Cache>,
    pub cache_is_shared: bool,
    pub clock: Arc<dyn Clock>,
    pub signer: Arc<dyn TokenSigner>,
    pub keys: Arc<KeyRing>,
}

pub fn build_core(config: &Config, ports: Ports) -> anyhow::Result<Core> {
    let hash = &config.security.password_hash;
    let passwords = Passwords::new(HashParams {
        memory_kib: hash.memory_kib,
        iterations: hash.iterations,
        parallelism: hash.parallelism,
    })?;
    Ok(Core {
        store: ports.store,
        cache: ports.cache,
        cache_is_shared: ports.cache_is_shared,
        clock: ports.clock,
        signer: ports.signer,
        passwords,
        auth: auth_settings(config),
        mfa: MfaSettings::new(mfa_secret(config).as_bytes(), &config.server.app_name)?,
        passkeys: PasskeySettings::new(
            &config.urls.webauthn_rp_id,
            &config.urls.webauthn_rp_name,
            &config.urls.webauthn_origins,
        )?,
        keys: ports.keys,
        oauth: oauth_settings(config)?,
        oauth_clients: ClientCache::default(),
    })
}

/// The OAuth provider's settings in core's terms.
pub fn oauth_settings(config: &Config) -> anyhow::Result<OAuthSettings> {
    let tokens = &config.tokens;
    let mut settings = OAuthSettings::with_defaults(&config.urls.api_base_url);
    settings.default_alg = SigningAlgorithm::parse(tokens.algorithm.as_str())?;
    settings.id_token_ttl = duration(tokens.id_token_ttl);
    settings.auth_code_ttl = duration(tokens.auth_code_ttl);
    settings.secret_rotation_grace = duration(config.security.client_secret_rotation_grace);
    settings.email_verification_grace = config
        .security
        .require_email_verification
        .then(|| duration(config.security.email_verification_grace));
    settings.device_verification_uri = format!(
        "{}/api/v1/oauth/device",
        config.urls.api_base_url.trim_end_matches('/')
    );
    Ok(settings)
}
