//! Which redirect targets are safe (API.md §4 "Redirects"): a relative path, or an https URL
//! (http only on loopback) whose origin is one Janua is configured with. Anything else could
//! turn a mailed link or a `next` parameter into an open redirect.

/// The origin (`scheme://host[:port]`) of an absolute http(s) URL, lower-cased.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') || authority.contains('\\') {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

fn is_loopback(origin: &str) -> bool {
    let host = origin.split("://").nth(1).unwrap_or("");
    let host = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// A same-site relative path: starts with one `/`, no scheme-relative `//` or backslashes.
pub fn is_relative_path(target: &str) -> bool {
    target.starts_with('/')
        && !target.starts_with("//")
        && !target.contains('\\')
        && !target.chars().any(char::is_control)
}

/// Whether `target` may be redirected to, given the allowed origins.
pub fn is_allowed(target: &str, allowed_origins: &[String]) -> bool {
    if target.len() > 2048 {
        return false;
    }
    if is_relative_path(target) {
        return true;
    }
    if target.chars().any(char::is_control) {
        return false;
    }
    let Some(candidate) = origin(target) else {
        return false;
    };
    if candidate.starts_with("http://") && !is_loopback(&candidate) {
        return false;
    }
    allowed_origins
        .iter()
        .filter_map(|o| origin(o))
        .any(|o| o == candidate)
}

/// Appends `name=value` to a URL's query.
pub fn with_query(url: &str, name: &str, value: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{name}={value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        vec![
            "https://app.example.com".into(),
            "http://localhost:3000".into(),
        ]
    }

    #[test]
    fn relative_paths_and_configured_origins_are_allowed() {
        for ok in [
            "/dashboard",
            "/a?b=c",
            "https://app.example.com/welcome",
            "HTTPS://APP.example.com",
            "http://localhost:3000/cb",
        ] {
            assert!(is_allowed(ok, &allowed()), "{ok}");
        }
    }

    #[test]
    fn open_redirect_tricks_are_refused() {
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "https://app.example.com.evil.com/",
            "https://app.example.com@evil.com/",
            "http://app.example.com/",
            "javascript:alert(1)",
            "data:text/html,x",
            "https://app.example.com:8443/",
            "",
            "/\u{0000}x",
        ] {
            assert!(!is_allowed(bad, &allowed()), "{bad}");
        }
    }

    #[test]
    fn query_parameters_are_appended_with_the_right_separator() {
        assert_eq!(
            with_query("https://a.b/x", "token", "t"),
            "https://a.b/x?token=t"
        );
        assert_eq!(
            with_query("https://a.b/x?y=1", "token", "t"),
            "https://a.b/x?y=1&token=t"
        );
    }
}
