//! CSRF protection of the hosted forms (API.md §0 "Cookies, CSRF").
//!
//! A token is `<expiry>.<mac>`: the Unix second it stops being valid (one hour after issue) and
//! an HMAC-SHA256, under a key derived from `SECRET_KEY`, over what the token is bound to and
//! that expiry. Before sign-in the binding is the random `janua_csrf` cookie (a forged form
//! cannot read it, and SameSite=Lax keeps it off cross-site posts); after sign-in it can be the
//! session id. Tokens are checked in constant time. Form posts whose `Origin` is not ours are
//! refused before anything else.

use axum::http::{header, HeaderMap};
use base64::Engine;
use chrono::{DateTime, Utc};
use janua_core::auth::redirects::origin;
use janua_core::crypto::{constant_time_eq, hmac_sha256, random_token};
use janua_core::ids::SessionId;

/// The cookie that binds tokens issued before sign-in.
pub const CSRF_COOKIE: &str = "janua_csrf";
/// How long a token is accepted after it was issued.
pub const TOKEN_LIFETIME_SECS: i64 = 3600;
/// Labels the derived key, so a CSRF MAC can never stand in for another use of `SECRET_KEY`.
const KEY_LABEL: &[u8] = b"janua/pages/csrf/v1";

/// What a token is bound to.
#[derive(Debug, Clone, Copy)]
pub enum Binding<'a> {
    /// The `janua_csrf` cookie value (forms shown before sign-in).
    Cookie(&'a str),
    /// The browser session (forms shown to a signed-in user, such as consent).
    Session(SessionId),
}

/// The CSRF sub-key, derived once from `SECRET_KEY`.
#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey([redacted])")
    }
}

impl CsrfKey {
    pub fn derive(secret_key: &str) -> Self {
        Self(hmac_sha256(secret_key.as_bytes(), KEY_LABEL))
    }

    pub fn issue(&self, binding: Binding<'_>, now: DateTime<Utc>) -> String {
        let expiry = now.timestamp() + TOKEN_LIFETIME_SECS;
        let mac = self.mac(binding, expiry);
        format!(
            "{expiry}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
        )
    }

    /// True when `token` was issued by us for `binding` and has not expired at `now`.
    pub fn verify(&self, binding: Binding<'_>, token: &str, now: DateTime<Utc>) -> bool {
        let Some((expiry, mac)) = token.split_once('.') else {
            return false;
        };
        let Ok(expiry) = expiry.parse::<i64>() else {
            return false;
        };
        let now = now.timestamp();
        // Not expired, and not issued in the future (a token from a skewed clock elsewhere).
        if expiry <= now || expiry > now + TOKEN_LIFETIME_SECS + 60 {
            return false;
        }
        let Ok(mac) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(mac) else {
            return false;
        };
        constant_time_eq(&mac, &self.mac(binding, expiry))
    }

    fn mac(&self, binding: Binding<'_>, expiry: i64) -> [u8; 32] {
        let bound = match binding {
            Binding::Cookie(value) => format!("cookie:{value}"),
            Binding::Session(id) => format!("session:{id}"),
        };
        hmac_sha256(&self.0, format!("{bound}\n{expiry}").as_bytes())
    }
}

/// A fresh `janua_csrf` cookie value (256 random bits).
pub fn new_cookie_value() -> String {
    random_token(32)
}

/// The `janua_csrf` value the browser sent, if it looks like one of ours.
pub fn cookie_value(headers: &HeaderMap) -> Option<&str> {
    crate::pages::cookies::values(headers, CSRF_COOKIE).find(|v| {
        (32..=128).contains(&v.len())
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Whether a form post may come from where its `Origin` says. No `Origin` (older browsers,
/// non-browser clients) and the opaque `null` (privacy settings, some redirects) leave the
/// decision to the token; any other origin must be one of `own_origins`.
pub fn origin_allowed(headers: &HeaderMap, own_origins: &[String]) -> bool {
    let Some(value) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    if value == "null" {
        return true;
    }
    match origin(value) {
        Some(candidate) => own_origins
            .iter()
            .filter_map(|o| origin(o))
            .any(|o| o == candidate),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
    }

    fn key() -> CsrfKey {
        CsrfKey::derive("test-secret-key-0123456789-abcdefghijklmnop")
    }

    #[test]
    fn a_token_verifies_for_its_binding_within_the_hour() {
        let token = key().issue(Binding::Cookie("abc"), now());
        assert!(key().verify(Binding::Cookie("abc"), &token, now()));
        let later = now() + chrono::Duration::minutes(59);
        assert!(key().verify(Binding::Cookie("abc"), &token, later));
    }

    #[test]
    fn a_token_fails_after_an_hour() {
        let token = key().issue(Binding::Cookie("abc"), now());
        let later = now() + chrono::Duration::seconds(TOKEN_LIFETIME_SECS);
        assert!(!key().verify(Binding::Cookie("abc"), &token, later));
    }

    #[test]
    fn a_token_fails_for_another_cookie_session_or_key() {
        let token = key().issue(Binding::Cookie("abc"), now());
        assert!(!key().verify(Binding::Cookie("abd"), &token, now()));
        let session = SessionId::new();
        assert!(!key().verify(Binding::Session(session), &token, now()));
        let other = CsrfKey::derive("another-secret-key-0123456789-abcdefghij");
        assert!(!other.verify(Binding::Cookie("abc"), &token, now()));
        let for_session = key().issue(Binding::Session(session), now());
        assert!(key().verify(Binding::Session(session), &for_session, now()));
    }

    #[test]
    fn forged_and_malformed_tokens_fail() {
        let token = key().issue(Binding::Cookie("abc"), now());
        let (expiry, mac) = token.split_once('.').unwrap();
        let extended = format!("{}.{mac}", expiry.parse::<i64>().unwrap() + 600);
        for bad in [
            "",
            ".",
            "abc",
            "123.",
            &format!("{expiry}.AAAA"),
            &format!("{expiry}.!!!"),
            &extended,
            &format!("{}.{mac}", now().timestamp() + 10 * TOKEN_LIFETIME_SECS),
        ] {
            assert!(!key().verify(Binding::Cookie("abc"), bad, now()), "{bad}");
        }
    }

    #[test]
    fn foreign_origins_are_refused_and_ours_absent_or_null_are_not() {
        let own = vec![
            "http://localhost:8000".to_owned(),
            "https://id.example.com".to_owned(),
        ];
        let with = |origin: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
            headers
        };
        assert!(origin_allowed(&HeaderMap::new(), &own));
        assert!(origin_allowed(&with("null"), &own));
        assert!(origin_allowed(&with("https://id.example.com"), &own));
        assert!(origin_allowed(&with("http://LOCALHOST:8000"), &own));
        for foreign in [
            "https://evil.com",
            "https://id.example.com.evil.com",
            "http://id.example.com",
            "http://localhost:8001",
            "file://",
        ] {
            assert!(!origin_allowed(&with(foreign), &own), "{foreign}");
        }
    }
}
