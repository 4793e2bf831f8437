//! The cookies of the hosted pages: `janua_session` (the browser session, API.md §0) and
//! `janua_csrf` (binds CSRF tokens before sign-in). Both are HttpOnly, SameSite=Lax, Path=/,
//! and Secure unless `SECURE_COOKIES=false` or the server runs on plain-http localhost in
//! development or test (browsers drop Secure cookies there). Only `janua_session` takes
//! `COOKIE_DOMAIN`: the CSRF cookie stays host-only.

use axum::http::{header, HeaderMap, HeaderValue};

use crate::config::server::Environment;
use crate::config::Config;

pub const SESSION_COOKIE: &str = "janua_session";

/// How this instance writes its cookies, decided once from the configuration.
#[derive(Debug, Clone)]
pub struct CookiePolicy {
    secure: bool,
    domain: Option<String>,
}

impl CookiePolicy {
    pub fn from_config(config: &Config) -> Self {
        let local_development = matches!(
            config.server.environment,
            Environment::Development | Environment::Test
        ) && is_plain_http_loopback(&config.urls.api_base_url);
        Self {
            secure: config.security.secure_cookies && !local_development,
            domain: config.security.cookie_domain.clone(),
        }
    }

    /// `janua_session=<secret>` for `max_age_secs`.
    pub fn session(&self, secret: &str, max_age_secs: i64) -> Option<HeaderValue> {
        self.build(SESSION_COOKIE, secret, max_age_secs.max(0), true)
    }

    /// Tells the browser to forget `janua_session`.
    pub fn clear_session(&self) -> Option<HeaderValue> {
        self.build(SESSION_COOKIE, "", 0, true)
    }

    /// `janua_csrf=<value>`, kept for a day (tokens bound to it live one hour each).
    pub fn csrf(&self, value: &str) -> Option<HeaderValue> {
        self.build(crate::pages::csrf::CSRF_COOKIE, value, 86_400, false)
    }

    fn build(
        &self,
        name: &str,
        value: &str,
        max_age: i64,
        with_domain: bool,
    ) -> Option<HeaderValue> {
        let mut cookie =
            format!("{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax");
        if self.secure {
            cookie.push_str("; Secure");
        }
        if let Some(domain) = self.domain.as_deref().filter(|_| with_domain) {
            cookie.push_str("; Domain=");
            cookie.push_str(domain);
        }
        match HeaderValue::from_str(&cookie) {
            Ok(value) => Some(value),
            Err(_) => {
                tracing::error!(
                    cookie = name,
                    "cookie attributes are not a valid header value"
                );
                None
            }
        }
    }
}

/// Every value the request carries for cookie `name`, in order.
pub fn values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(move |pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then(|| value.trim_matches('"'))
        })
}

/// The `janua_session` values the browser sent (usually one; two after a `COOKIE_DOMAIN` change).
pub fn session_values(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    values(headers, SESSION_COOKIE)
        .filter(|v| !v.is_empty())
        .take(4)
}

fn is_plain_http_loopback(url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    url.scheme() == "http" && matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(secure: bool, domain: Option<&str>) -> CookiePolicy {
        CookiePolicy {
            secure,
            domain: domain.map(str::to_owned),
        }
    }

    #[test]
    fn the_session_cookie_has_every_attribute_of_the_contract() {
        let cookie = policy(true, Some("example.com"))
            .session("s3cret", 604_800)
            .unwrap();
        assert_eq!(
            cookie.to_str().unwrap(),
            "janua_session=s3cret; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax; Secure; Domain=example.com"
        );
        let cleared = policy(false, None).clear_session().unwrap();
        assert_eq!(
            cleared.to_str().unwrap(),
            "janua_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn the_csrf_cookie_stays_host_only() {
        let cookie = policy(true, Some("example.com")).csrf("v").unwrap();
        assert!(!cookie.to_str().unwrap().contains("Domain"));
        assert!(cookie
            .to_str()
            .unwrap()
            .contains("HttpOnly; SameSite=Lax; Secure"));
    }

    #[test]
    fn cookie_values_are_found_among_several_headers_and_pairs() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; janua_session=x"),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("janua_session=y;b=2"),
        );
        assert_eq!(session_values(&headers).collect::<Vec<_>>(), vec!["x", "y"]);
        assert_eq!(values(&headers, "b").collect::<Vec<_>>(), vec!["2"]);
        assert_eq!(values(&headers, "c").count(), 0);
    }

    #[test]
    fn only_plain_http_loopback_counts_as_local_development() {
        assert!(is_plain_http_loopback("http://localhost:8000"));
        assert!(is_plain_http_loopback("http://127.0.0.1:3000"));
        assert!(!is_plain_http_loopback("https://localhost:8000"));
        assert!(!is_plain_http_loopback("http://id.example.com"));
    }
}
