//! Bootstrap and social settings (§18 "Bootstrap, social"): the first administrator and
//! organization created on an empty database, the custom domain, and the social login
//! providers (`OAUTH_<PROVIDER>_…`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::env::{quote, Reader};
use crate::config::secret::Secret;

/// The social providers of §17, in display order.
pub const SOCIAL_PROVIDERS: [&str; 8] = [
    "google",
    "github",
    "microsoft",
    "apple",
    "discord",
    "twitter",
    "linkedin",
    "slack",
];

/// `OAUTH_<PROVIDER>_CLIENT_ID` / `_CLIENT_SECRET` for each provider (names must be `'static`).
const CREDENTIAL_VARS: [(&str, &str, &str); 8] = [
    (
        "google",
        "OAUTH_GOOGLE_CLIENT_ID",
        "OAUTH_GOOGLE_CLIENT_SECRET",
    ),
    (
        "github",
        "OAUTH_GITHUB_CLIENT_ID",
        "OAUTH_GITHUB_CLIENT_SECRET",
    ),
    (
        "microsoft",
        "OAUTH_MICROSOFT_CLIENT_ID",
        "OAUTH_MICROSOFT_CLIENT_SECRET",
    ),
    (
        "apple",
        "OAUTH_APPLE_CLIENT_ID",
        "OAUTH_APPLE_CLIENT_SECRET",
    ),
    (
        "discord",
        "OAUTH_DISCORD_CLIENT_ID",
        "OAUTH_DISCORD_CLIENT_SECRET",
    ),
    (
        "twitter",
        "OAUTH_TWITTER_CLIENT_ID",
        "OAUTH_TWITTER_CLIENT_SECRET",
    ),
    (
        "linkedin",
        "OAUTH_LINKEDIN_CLIENT_ID",
        "OAUTH_LINKEDIN_CLIENT_SECRET",
    ),
    (
        "slack",
        "OAUTH_SLACK_CLIENT_ID",
        "OAUTH_SLACK_CLIENT_SECRET",
    ),
];

#[derive(Debug, Clone, Serialize)]
pub struct BootstrapConfig {
    /// With `admin_password`, creates this platform administrator when no user exists.
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
    /// Organization created for the first administrator.
    pub default_org_slug: Option<String>,
    /// `JANUA_CUSTOM_DOMAIN`: public host name; the default issuer becomes `https://` + it.
    pub custom_domain: Option<String>,
    /// Configured social providers only, keyed by lowercase name (`google`, `apple`, …).
    pub social_providers: BTreeMap<String, SocialProviderConfig>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SocialProviderConfig {
    pub client_id: String,
    /// For Apple, optional when `apple_team_id`, `apple_key_id` and `apple_private_key` are
    /// set (the client secret is then a JWT signed with that key).
    pub client_secret: Option<Secret>,
    /// Microsoft only (always set there): `common` (default), `organizations`, `consumers` or
    /// a tenant id.
    pub tenant_id: Option<String>,
    pub apple_team_id: Option<String>,
    pub apple_key_id: Option<String>,
    pub apple_private_key: Option<Secret>,
}

pub(super) fn read(r: &mut Reader) -> BootstrapConfig {
    let admin_email = r.string(&["ADMIN_EMAIL"]);
    if let Some(email) = &admin_email {
        if !email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && (d.contains('.') || d == "localhost"))
        {
            r.problem(
                "ADMIN_EMAIL",
                format!("must be an email address (got {})", quote(email)),
            );
        }
    }
    let admin_password = r.secret(&["ADMIN_PASSWORD"]).map(|(_, s)| s);
    let default_org_slug = r.string(&["DEFAULT_ORG_SLUG"]);
    if let Some(slug) = &default_org_slug {
        let valid = slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !slug.starts_with('-')
            && !slug.ends_with('-')
            && (2..=63).contains(&slug.len());
        if !valid {
            r.problem(
                "DEFAULT_ORG_SLUG",
                format!(
                    "must be 2–63 lowercase letters, digits and dashes (got {})",
                    quote(slug)
                ),
            );
        }
    }
    let custom_domain = read_custom_domain(r);
    let social_providers = read_social_providers(r);
    BootstrapConfig {
        admin_email,
        admin_password,
        default_org_slug,
        custom_domain,
        social_providers,
    }
}

fn read_custom_domain(r: &mut Reader) -> Option<String> {
    let raw = r.string(&["JANUA_CUSTOM_DOMAIN"])?;
    let valid = raw.contains('.')
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':');
    if !valid {
        let why = format!(
            "must be a host name like id.example.com, without scheme or path (got {})",
            quote(&raw)
        );
        r.problem("JANUA_CUSTOM_DOMAIN", why);
        return None;
    }
    Some(raw.to_ascii_lowercase())
}

fn read_social_providers(r: &mut Reader) -> BTreeMap<String, SocialProviderConfig> {
    let tenant_id = r.string(&["OAUTH_MICROSOFT_TENANT_ID"]);
    let apple_team_id = r.string(&["OAUTH_APPLE_TEAM_ID"]);
    let apple_key_id = r.string(&["OAUTH_APPLE_KEY_ID"]);
    let apple_private_key = r.secret(&["OAUTH_APPLE_PRIVATE_KEY"]).map(|(_, s)| s);
    let apple_signing = [
        apple_team_id.is_some(),
        apple_key_id.is_some(),
        apple_private_key.is_some(),
    ];
    if apple_signing.contains(&true) && apple_signing.contains(&false) {
        r.problem(
            "OAUTH_APPLE_PRIVATE_KEY",
            "set OAUTH_APPLE_TEAM_ID, OAUTH_APPLE_KEY_ID and OAUTH_APPLE_PRIVATE_KEY together",
        );
    }
    let mut providers = BTreeMap::new();
    for (provider, id_var, secret_var) in CREDENTIAL_VARS {
        let client_id = r.string(&[id_var]);
        let client_secret = r.secret(&[secret_var]).map(|(_, s)| s);
        let apple_can_sign = provider == "apple" && !apple_signing.contains(&false);
        match (client_id, client_secret) {
            (None, None) => {}
            (None, Some(_)) => r.problem(secret_var, format!("is set but {id_var} is not")),
            (Some(_), None) if !apple_can_sign => {
                r.problem(id_var, format!("is set but {secret_var} is not"));
            }
            (Some(client_id), client_secret) => {
                let mut config = SocialProviderConfig {
                    client_id,
                    client_secret,
                    tenant_id: None,
                    apple_team_id: None,
                    apple_key_id: None,
                    apple_private_key: None,
                };
                if provider == "microsoft" {
                    config.tenant_id =
                        Some(tenant_id.clone().unwrap_or_else(|| "common".to_owned()));
                }
                if provider == "apple" {
                    config.apple_team_id = apple_team_id.clone();
                    config.apple_key_id = apple_key_id.clone();
                    config.apple_private_key = apple_private_key.clone();
                }
                providers.insert(provider.to_owned(), config);
            }
        }
    }
    providers
}
