//! Building redirect URLs: parameters appended to a registered redirect URI's query, each
//! percent-encoded (RFC 3986 unreserved characters kept).

/// Percent-encodes everything but the unreserved characters.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `uri` with `params` (those with a value) added to its query.
pub fn with_params(uri: &str, params: &[(&str, Option<&str>)]) -> String {
    let mut out = uri.to_owned();
    let mut separator = if uri.contains('?') { '&' } else { '?' };
    for (name, value) in params {
        if let Some(value) = value {
            out.push(separator);
            out.push_str(name);
            out.push('=');
            out.push_str(&encode(value));
            separator = '&';
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_encoded_and_appended_to_an_existing_query() {
        assert_eq!(
            with_params(
                "https://a.example/cb?x=1",
                &[("state", Some("a b&c")), ("n", None)]
            ),
            "https://a.example/cb?x=1&state=a%20b%26c"
        );
        assert_eq!(
            with_params("https://a.example/cb", &[("code", Some("k-_.~"))]),
            "https://a.example/cb?code=k-_.~"
        );
    }
}
