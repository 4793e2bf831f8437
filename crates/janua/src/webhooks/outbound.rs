//! The outbound HTTP client for webhooks, with its SSRF guard. Targets in private, loopback,
//! link-local, unique-local, CGNAT, multicast, unspecified, reserved or documentation ranges
//! are refused (unless `WEBHOOK_ALLOW_PRIVATE_URLS`):
//! - at registration, [`check_target`] resolves the host and refuses if any address is bad;
//! - at delivery, IP-literal hosts are checked before sending, and host names are resolved by
//!   [`GuardedResolver`], the client's only resolver, which hands the connector only vetted
//!   addresses. The connection therefore goes to an address that was checked in that same
//!   resolution, so DNS rebinding between a check and the connect is not possible.
//!
//! Redirects are never followed (a 3xx is a failed attempt), and only http/https URLs exist.

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use janua_core::webhooks::delivery::{Transport, TransportOutcome};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Longest webhook URL accepted.
pub const MAX_URL_LEN: usize = 2048;
/// The most of a response body read (the log keeps less).
const MAX_READ_BYTES: usize = 64 * 1024;

/// Why a target is refused, shown to the caller at registration and kept in the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Whether `ip` is one the guard refuses: anything not globally routable unicast.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || a == 0 // "this network"
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, cloud metadata
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || ip.is_multicast()
        || ip.is_broadcast()
        || a >= 240 // reserved
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let [x, y] = [s[6], s[7]];
        let v4 = Ipv4Addr::new((x >> 8) as u8, x as u8, (y >> 8) as u8, y as u8);
        return forbidden_v4(v4);
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // deprecated site-local
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        // IPv4-compatible (deprecated) ::a.b.c.d
        || (s[0..6] == [0, 0, 0, 0, 0, 0])
}

/// Parses a webhook URL: absolute http(s), a host, no credentials, at most [`MAX_URL_LEN`].
pub fn parse_url(raw: &str) -> Result<url::Url, Refused> {
    if raw.len() > MAX_URL_LEN {
        return Err(Refused(format!("must be at most {MAX_URL_LEN} characters")));
    }
    let url = url::Url::parse(raw.trim()).map_err(|_| Refused("must be an absolute URL".into()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused("must be an http or https URL".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused("must not contain credentials".into()));
    }
    if url.host().is_none() {
        return Err(Refused("must name a host".into()));
    }
    Ok(url)
}

fn refused_ip(ip: IpAddr) -> Refused {
    Refused(format!(
        "resolves to a private, loopback or otherwise non-public address ({ip}); refused"
    ))
}

/// The registration check: the URL parses, and (unless private targets are allowed) every
/// address its host resolves to is public. Returns the normalized URL.
pub async fn check_target(raw: &str, allow_private: bool) -> Result<String, Refused> {
    let url = parse_url(raw)?;
    if !allow_private {
        match url.host() {
            Some(url::Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip))?,
            Some(url::Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip))?,
            Some(url::Host::Domain(name)) => {
                resolve_public(name).await?;
            }
            None => return Err(Refused("must name a host".into())),
        }
    }
    Ok(url.to_string())
}

fn check_ip(ip: IpAddr) -> Result<(), Refused> {
    if is_forbidden(ip) {
        Err(refused_ip(ip))
    } else {
        Ok(())
    }
}

/// Resolves `host` and returns its addresses if every one is public.
async fn resolve_public(host: &str) -> Result<Vec<SocketAddr>, Refused> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|_| Refused(format!("host {host:?} does not resolve")))?
        .collect();
    if addrs.is_empty() {
        return Err(Refused(format!("host {host:?} does not resolve")));
    }
    // All, not any: a name with one private address among public ones is refused, since the
    // connector may pick any of them.
    if let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip())) {
        return Err(refused_ip(bad.ip()));
    }
    Ok(addrs)
}

/// The client's resolver: resolves with the system resolver and refuses names with any
/// non-public address, so the connector only ever sees vetted addresses.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = if allow_private {
                tokio::net::lookup_host((host.as_str(), 0))
                    .await
                    .map_err(|e| Box::new(e) as Box<dyn StdError + Send + Sync>)?
                    .collect()
            } else {
                resolve_public(&host)
                    .await
                    .map_err(|e| Box::new(e) as Box<dyn StdError + Send + Sync>)?
            };
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The webhook HTTP client: rustls, no redirects, a per-attempt timeout, the guarded resolver.
pub struct GuardedClient {
    client: reqwest::Client,
    allow_private: bool,
}

impl GuardedClient {
    pub fn new(timeout: Duration, allow_private: bool) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .user_agent("Janua-Webhooks/1")
            .build()?;
        Ok(Self {
            client,
            allow_private,
        })
    }
}

/// Whether `error` (or its causes) is the guard's refusal.
fn refusal(error: &(dyn StdError + 'static)) -> Option<String> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.0.clone());
        }
        current = e.source();
    }
    None
}

#[async_trait]
impl Transport for GuardedClient {
    async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> TransportOutcome {
        let parsed = match parse_url(url) {
            Ok(parsed) => parsed,
            Err(refused) => return TransportOutcome::Refused(refused.0),
        };
        if !self.allow_private {
            let literal = match parsed.host() {
                Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
                Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
                _ => None,
            };
            if let Some(ip) = literal.filter(|ip| is_forbidden(*ip)) {
                return TransportOutcome::Refused(refused_ip(ip).0);
            }
        }
        let mut request = self.client.post(parsed).body(body);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                return match refusal(&error) {
                    Some(why) => TransportOutcome::Refused(why),
                    None if error.is_timeout() => TransportOutcome::Failed("timed out".into()),
                    None if error.is_connect() => {
                        TransportOutcome::Failed("connection failed".into())
                    }
                    None => TransportOutcome::Failed(format!("request failed: {error}")),
                };
            }
        };
        let status = response.status().as_u16();
        let mut read = Vec::new();
        while read.len() < MAX_READ_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => read.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        read.truncate(MAX_READ_BYTES);
        TransportOutcome::Response {
            status,
            body: String::from_utf8_lossy(&read).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_special_addresses_are_forbidden() {
        for bad in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            assert!(is_forbidden(ip(bad)), "{bad} must be refused");
        }
        for good in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "64:ff9b::808:808",
        ] {
            assert!(!is_forbidden(ip(good)), "{good} must be allowed");
        }
    }

    #[test]
    fn urls_must_be_http_with_a_host_and_no_credentials() {
        assert!(parse_url("https://example.com/hook").is_ok());
        assert!(parse_url("ftp://example.com/").is_err());
        assert!(parse_url("https://user:pw@example.com/").is_err());
        assert!(parse_url("not a url").is_err());
        assert!(parse_url("file:///etc/passwd").is_err());
        assert!(parse_url(&format!("https://example.com/{}", "a".repeat(3000))).is_err());
    }

    #[tokio::test]
    async fn registration_refuses_loopback_names_and_literals() {
        for target in [
            "http://127.0.0.1/",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://localhost/",
        ] {
            assert!(check_target(target, false).await.is_err(), "{target}");
        }
        assert!(check_target("http://127.0.0.1:9/", true).await.is_ok());
    }

    #[tokio::test]
    async fn delivery_refuses_before_connecting() {
        let client = GuardedClient::new(Duration::from_secs(2), false).unwrap();
        for target in [
            "http://10.0.0.1/",
            "http://169.254.169.254/",
            "http://[::1]:9/",
            "http://localhost:9/",
            "http://127.0.0.1:9/",
        ] {
            let outcome = client.post(target, &[], b"{}".to_vec()).await;
            assert!(
                matches!(outcome, TransportOutcome::Refused(_)),
                "{target}: {outcome:?}"
            );
        }
    }
}
