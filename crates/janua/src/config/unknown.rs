//! Unknown-variable detection: names that look like Janua settings (by prefix, or by being one
//! or two typos away from a known name) but are not, so a misspelt `SMTP_HOTS` is not silently
//! ignored. Kubernetes service links (`REDIS_PORT=tcp://…`) and `TEST_*` are not ours.

/// Prefixes of Janua's variables; a name with one of them that Janua does not know is reported.
const OUR_PREFIXES: [&str; 34] = [
    "JANUA_",
    "JWT_",
    "SMTP_",
    "REDIS_",
    "DATABASE_",
    "RATE_LIMIT_",
    "PASSWORD_",
    "ENABLE_",
    "OAUTH_",
    "WEBAUTHN_",
    "TLS_",
    "ACCOUNT_LOCKOUT_",
    "EMAIL_",
    "ADMIN_",
    "SHUTDOWN_",
    "REQUEST_",
    "ACCESS_TOKEN_",
    "REFRESH_TOKEN_",
    "ID_TOKEN_",
    "AUTH_CODE_",
    "MAGIC_LINK_",
    "SECRET_",
    "SECURE_",
    "COOKIE_",
    "CORS_",
    "SENTRY_",
    "METRICS_",
    "LOG_",
    "WORKER_",
    "KEY_ROTATION_",
    "MAX_SESSIONS_",
    "WEBHOOK_",
    "AUDIT_",
    "FIELD_ENCRYPTION_",
];

/// One report per suspicious name, sorted by name.
pub(super) fn find(
    known: &[&'static str],
    vars: impl IntoIterator<Item = (String, String)>,
) -> Vec<String> {
    let mut reports: Vec<(String, Option<String>)> = Vec::new();
    for (name, value) in vars {
        if is_known(known, &name) || is_foreign(&name, &value) {
            continue;
        }
        let (stem, file_suffix) = match name.strip_suffix("_FILE") {
            Some(stem) => (stem, "_FILE"),
            None => (name.as_str(), ""),
        };
        let suggestion = closest(known, stem);
        let looks_ours = OUR_PREFIXES.iter().any(|p| name.starts_with(p));
        if looks_ours || (stem.len() >= 6 && suggestion.is_some()) {
            reports.push((
                name.clone(),
                suggestion.map(|s| format!("{s}{file_suffix}")),
            ));
        }
    }
    reports.sort();
    reports
        .into_iter()
        .map(|(name, suggestion)| match suggestion {
            Some(s) => format!("{name} is not a Janua setting and is ignored; did you mean {s}?"),
            None => format!("{name} is not a Janua setting and is ignored"),
        })
        .collect()
}

/// `NAME` itself, or `NAME_FILE` for a known `NAME`.
fn is_known(known: &[&'static str], name: &str) -> bool {
    known.contains(&name)
        || name
            .strip_suffix("_FILE")
            .is_some_and(|stem| known.contains(&stem))
}

/// Variables that other software sets next to ours.
fn is_foreign(name: &str, value: &str) -> bool {
    if name.starts_with("TEST_") {
        return true;
    }
    // Kubernetes service links: FOO_SERVICE_HOST, FOO_SERVICE_PORT[_…], FOO_PORT=tcp://…,
    // FOO_PORT_6379_TCP[_ADDR|_PORT|_PROTO].
    let service_link = name.ends_with("_SERVICE_HOST")
        || name.contains("_SERVICE_PORT")
        || (name.ends_with("_PORT")
            && ["tcp://", "udp://", "sctp://"]
                .iter()
                .any(|s| value.starts_with(s)))
        || name.split("_PORT_").nth(1).is_some_and(|rest| {
            let mut parts = rest.split('_');
            parts
                .next()
                .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
                && parts
                    .next()
                    .is_some_and(|p| matches!(p, "TCP" | "UDP" | "SCTP"))
        });
    service_link
}

/// The known name closest to `name`, if within a couple of typos.
fn closest(known: &[&'static str], name: &str) -> Option<&'static str> {
    let max_distance = if name.len() >= 10 { 3 } else { 2 };
    known
        .iter()
        .map(|k| (edit_distance(k, name), *k))
        .filter(|(d, _)| *d <= max_distance)
        .min()
        .map(|(_, k)| k)
}

/// Levenshtein distance between two ASCII-ish names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            let deletion = previous[j + 1] + 1;
            let insertion = current[j] + 1;
            current.push(substitution.min(deletion).min(insertion));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("SMTP_HOST", "SMTP_HOTS"), 2);
        assert_eq!(edit_distance("PORT", "PORT"), 0);
        assert_eq!(edit_distance("ENVIRONMENT", "ENVIROMENT"), 1);
    }

    #[test]
    fn kubernetes_service_links_are_not_ours() {
        assert!(is_foreign("REDIS_PORT", "tcp://10.0.0.5:6379"));
        assert!(is_foreign("REDIS_PORT_6379_TCP_ADDR", "10.0.0.5"));
        assert!(is_foreign("JANUA_API_SERVICE_SERVICE_HOST", "10.0.0.7"));
        assert!(!is_foreign("REDIS_PORT", "6379"));
    }
}
