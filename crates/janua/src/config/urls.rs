//! Public addresses (§18 "URLs"): where Janua's pages, API and the operator's frontend live, and
//! the WebAuthn relying party derived from them. URLs are stored without a trailing slash.

use serde::Serialize;

use crate::config::env::{host_of, origin_of, quote, Reader};

#[derive(Debug, Clone, Serialize)]
pub struct UrlConfig {
    /// Hosted pages and links in mails.
    pub base_url: String,
    /// API paths are relative to this (default `base_url`); also the default `ISSUER`.
    pub api_base_url: String,
    /// The operator's application; redirects after verification and reset land here.
    pub frontend_url: String,
    /// The site's domain (default: the host of `frontend_url`).
    pub domain: String,
    pub webauthn_rp_id: String,
    pub webauthn_rp_name: String,
    /// Origins allowed to run WebAuthn ceremonies; each must be `webauthn_rp_id` or beneath it.
    pub webauthn_origins: Vec<String>,
}

const DEFAULT_BASE_URL: &str = "http://localhost:8000";

pub(super) fn read(r: &mut Reader, app_name: &str) -> UrlConfig {
    let base_url = r
        .http_url(&["BASE_URL"])
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    let api_base_url = r
        .http_url(&["API_BASE_URL"])
        .unwrap_or_else(|| base_url.clone());
    let frontend_url = r
        .http_url(&["FRONTEND_URL"])
        .unwrap_or_else(|| base_url.clone());
    let frontend_host = host_of(&frontend_url).unwrap_or_else(|| "localhost".to_owned());
    let domain = read_host(r, "DOMAIN").unwrap_or(frontend_host);
    let webauthn_rp_id = read_host(r, "WEBAUTHN_RP_ID").unwrap_or_else(|| domain.clone());
    let webauthn_rp_name = r.string_or(&["WEBAUTHN_RP_NAME"], app_name);
    let webauthn_origins = read_webauthn_origins(r, &webauthn_rp_id, &[&frontend_url, &base_url]);
    UrlConfig {
        base_url,
        api_base_url,
        frontend_url,
        domain,
        webauthn_rp_id,
        webauthn_rp_name,
        webauthn_origins,
    }
}

/// A bare host name (`example.com`), lower-cased.
fn read_host(r: &mut Reader, name: &'static str) -> Option<String> {
    let raw = r.string(&[name])?;
    let valid = !raw.is_empty()
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !raw.starts_with('.')
        && !raw.ends_with('.');
    if valid {
        Some(raw.to_ascii_lowercase())
    } else {
        r.problem(
            name,
            format!(
                "must be a host name like example.com, without scheme or path (got {})",
                quote(&raw)
            ),
        );
        None
    }
}

/// Explicit origins must sit under the RP ID; the defaults (frontend and base origins) are kept
/// only when they do.
fn read_webauthn_origins(r: &mut Reader, rp_id: &str, defaults: &[&str]) -> Vec<String> {
    let explicit = r.list(&["WEBAUTHN_ORIGINS"]);
    if !explicit.is_empty() {
        let mut origins = Vec::new();
        for raw in explicit {
            match origin_of(&raw).filter(|o| covers(rp_id, o)) {
                Some(origin) => origins.push(origin),
                None => r.problem(
                    "WEBAUTHN_ORIGINS",
                    format!(
                        "must list http(s) origins on {rp_id} or its subdomains (got {})",
                        quote(&raw)
                    ),
                ),
            }
        }
        return origins;
    }
    let mut origins: Vec<String> = Vec::new();
    for origin in defaults.iter().filter_map(|url| origin_of(url)) {
        if covers(rp_id, &origin) && !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    if origins.is_empty() {
        r.problem(
            "WEBAUTHN_RP_ID",
            format!("`{rp_id}` covers neither FRONTEND_URL nor BASE_URL; set WEBAUTHN_ORIGINS"),
        );
    }
    origins
}

/// True when the origin's host is the RP ID or one of its subdomains.
fn covers(rp_id: &str, origin: &str) -> bool {
    host_of(origin).is_some_and(|host| host == rp_id || host.ends_with(&format!(".{rp_id}")))
}
