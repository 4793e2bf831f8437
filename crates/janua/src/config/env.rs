//! Where settings come from: a snapshot of variables, the `NAME_FILE` indirection (Kubernetes and
//! Docker secrets), and typed getters that record every problem instead of stopping at the first.
//!
//! Every getter notes the names it was asked for, and the section readers ask for every name
//! unconditionally, so one reading of an empty environment lists all the variables Janua knows
//! (`Config::known_variables`). Keep reads unconditional when adding a setting.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use crate::config::errors::ConfigProblem;
use crate::config::secret::Secret;

/// The unit a duration variable is counted in; it is part of the variable's name.
#[derive(Debug, Clone, Copy)]
pub(super) enum Unit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl Unit {
    fn seconds(self) -> u64 {
        match self {
            Unit::Seconds => 1,
            Unit::Minutes => 60,
            Unit::Hours => 3600,
            Unit::Days => 86_400,
        }
    }

    /// `count` of this unit, saturating on overflow.
    pub(super) fn times(self, count: u64) -> Duration {
        Duration::from_secs(count.saturating_mul(self.seconds()))
    }

    fn name(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Minutes => "minutes",
            Unit::Hours => "hours",
            Unit::Days => "days",
        }
    }
}

/// Reads variables from one snapshot and collects problems.
pub(super) struct Reader {
    vars: HashMap<String, String>,
    problems: Vec<ConfigProblem>,
    consulted: Vec<&'static str>,
    /// Values already resolved, so a name read twice (an alias of two settings) reads its file
    /// and reports its problems once.
    resolved: HashMap<&'static str, Option<String>>,
}

impl Reader {
    pub(super) fn new<I: IntoIterator<Item = (String, String)>>(vars: I) -> Self {
        Self {
            vars: vars.into_iter().collect(),
            problems: Vec::new(),
            consulted: Vec::new(),
            resolved: HashMap::new(),
        }
    }

    /// The problems found, and every variable name consulted (in first-read order).
    pub(super) fn finish(self) -> (Vec<ConfigProblem>, Vec<&'static str>) {
        (self.problems, self.consulted)
    }

    pub(super) fn problem(&mut self, variable: &str, message: impl Into<String>) {
        self.problems.push(ConfigProblem {
            variable: variable.to_owned(),
            message: message.into(),
        });
    }

    /// The value of `name`, taken from `NAME` or from the file named by `NAME_FILE`; `None` when
    /// unset or blank. A file's single trailing newline is dropped (editors and `echo` add one).
    pub(super) fn value(&mut self, name: &'static str) -> Option<String> {
        if let Some(value) = self.resolved.get(name) {
            return value.clone();
        }
        self.consulted.push(name);
        let value = self.resolve(name);
        self.resolved.insert(name, value.clone());
        value
    }

    fn resolve(&mut self, name: &'static str) -> Option<String> {
        let direct = self
            .vars
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .cloned();
        let file_var = format!("{name}_FILE");
        let path = match self.vars.get(&file_var).map(|p| p.trim()) {
            Some(path) if !path.is_empty() => path.to_owned(),
            _ => return direct,
        };
        let content = match std::fs::read_to_string(&path) {
            Ok(content) => strip_one_newline(content),
            Err(error) => {
                self.problem(&file_var, format!("cannot read `{path}`: {error}"));
                return direct;
            }
        };
        match direct {
            Some(direct) if direct != content => {
                self.problem(
                    name,
                    format!(
                        "both {name} and {file_var} are set, with different values; set only one"
                    ),
                );
                Some(direct)
            }
            _ if content.trim().is_empty() => None,
            _ => Some(content),
        }
    }

    /// The first of `names` (canonical name, then aliases) that is set, with the name used.
    /// Every name is consulted, so aliases count as known variables.
    pub(super) fn first(&mut self, names: &[&'static str]) -> Option<(&'static str, String)> {
        let mut found = None;
        for &name in names {
            let value = self.value(name);
            if found.is_none() {
                found = value.map(|v| (name, v));
            }
        }
        found
    }

    /// A plain string, trimmed.
    pub(super) fn string(&mut self, names: &[&'static str]) -> Option<String> {
        self.first(names).map(|(_, v)| v.trim().to_owned())
    }

    pub(super) fn string_or(&mut self, names: &[&'static str], default: &str) -> String {
        self.string(names).unwrap_or_else(|| default.to_owned())
    }

    /// A secret, kept exactly as given (no trimming: whitespace may be part of it).
    pub(super) fn secret(&mut self, names: &[&'static str]) -> Option<(&'static str, Secret)> {
        self.first(names).map(|(name, v)| (name, Secret::new(v)))
    }

    /// A comma-separated list; blank items are dropped.
    pub(super) fn list(&mut self, names: &[&'static str]) -> Vec<String> {
        self.string(names)
            .map(|v| split_list(&v))
            .unwrap_or_default()
    }

    /// A number; on a bad value, records `must be <what>` and returns the default.
    pub(super) fn number<T: FromStr>(
        &mut self,
        names: &[&'static str],
        default: T,
        what: &str,
    ) -> T {
        self.optional_number(names, what).unwrap_or(default)
    }

    pub(super) fn optional_number<T: FromStr>(
        &mut self,
        names: &[&'static str],
        what: &str,
    ) -> Option<T> {
        self.named_number(names, what).map(|(_, n)| n)
    }

    /// A number with the name it came from (canonical or alias), for follow-up checks.
    pub(super) fn named_number<T: FromStr>(
        &mut self,
        names: &[&'static str],
        what: &str,
    ) -> Option<(&'static str, T)> {
        let (name, raw) = self.first(names)?;
        match raw.trim().parse::<T>() {
            Ok(n) => Some((name, n)),
            Err(_) => {
                self.problem(name, format!("must be {what} (got {})", quote(&raw)));
                None
            }
        }
    }

    /// A boolean: true/false, 1/0, yes/no, on/off, in any case.
    pub(super) fn bool(&mut self, names: &[&'static str], default: bool) -> bool {
        self.optional_bool(names).unwrap_or(default)
    }

    pub(super) fn optional_bool(&mut self, names: &[&'static str]) -> Option<bool> {
        let (name, raw) = self.first(names)?;
        let parsed = parse_bool(&raw);
        if parsed.is_none() {
            self.problem(
                name,
                format!(
                    "must be true or false (also 1/0, yes/no, on/off) (got {})",
                    quote(&raw)
                ),
            );
        }
        parsed
    }

    /// A duration counted in the unit the variable's name carries (`…_MINUTES`).
    pub(super) fn duration(
        &mut self,
        names: &[&'static str],
        unit: Unit,
        default: u64,
    ) -> Duration {
        self.optional_duration(names, unit)
            .unwrap_or_else(|| unit.times(default))
    }

    pub(super) fn optional_duration(
        &mut self,
        names: &[&'static str],
        unit: Unit,
    ) -> Option<Duration> {
        let what = format!("a whole number of {}", unit.name());
        let (name, count) = self.named_number::<u64>(names, &what)?;
        match count.checked_mul(unit.seconds()) {
            Some(secs) => Some(Duration::from_secs(secs)),
            None => {
                self.problem(name, format!("is too large (got {count} {})", unit.name()));
                None
            }
        }
    }

    /// One value among a fixed set; `parse` recognizes it, `expected` lists the choices.
    pub(super) fn choice<T>(
        &mut self,
        names: &[&'static str],
        parse: fn(&str) -> Option<T>,
        expected: &str,
    ) -> Option<T> {
        let (name, raw) = self.first(names)?;
        let parsed = parse(raw.trim());
        if parsed.is_none() {
            self.problem(
                name,
                format!("must be one of {expected} (got {})", quote(&raw)),
            );
        }
        parsed
    }

    /// An absolute `http://` or `https://` URL with a host, without a trailing slash.
    pub(super) fn http_url(&mut self, names: &[&'static str]) -> Option<String> {
        let (name, raw) = self.first(names)?;
        match check_http_url(raw.trim()) {
            Ok(url) => Some(url),
            Err(why) => {
                self.problem(
                    name,
                    format!("{why} (got {})", quote(&mask_credentials(&raw))),
                );
                None
            }
        }
    }
}

/// Parses the boolean spellings operators use.
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

pub(super) fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Checks an http(s) URL and returns it without a trailing slash.
pub(super) fn check_http_url(raw: &str) -> Result<String, &'static str> {
    let url = url::Url::parse(raw).map_err(|_| "must be an absolute http:// or https:// URL")?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("must be an absolute http:// or https:// URL");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not carry a query or a fragment");
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

/// `scheme://host[:port]` of an http(s) URL.
pub(super) fn origin_of(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// The host of a URL, if it has one.
pub(super) fn host_of(raw: &str) -> Option<String> {
    url::Url::parse(raw).ok()?.host_str().map(str::to_owned)
}

/// Replaces the password in `scheme://user:password@host…`, and the values of query
/// parameters that name a secret (`?password=…`, `sslpassword`, `token`, `secret`, `key`, …,
/// which sqlx and libpq accept), with `***`, so URLs can be shown.
pub fn mask_credentials(raw: &str) -> String {
    mask_secret_parameters(&mask_userinfo(raw))
}

fn mask_secret_parameters(url: &str) -> String {
    let Some((base, rest)) = url.split_once('?') else {
        return url.to_owned();
    };
    let (query, fragment) = match rest.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (rest, None),
    };
    let names_a_secret = |name: &str| {
        let name = name.to_ascii_lowercase();
        ["pass", "secret", "token", "key"]
            .iter()
            .any(|word| name.contains(word))
    };
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if names_a_secret(name) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
    format!("{base}?{}{fragment}", masked.join("&"))
}

fn mask_userinfo(raw: &str) -> String {
    let Some(scheme_end) = raw.find("://") else {
        return raw.to_owned();
    };
    let rest = &raw[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return raw.to_owned();
    };
    let userinfo = &rest[..at];
    let user = userinfo.split(':').next().unwrap_or_default();
    let masked_userinfo = if userinfo.contains(':') {
        format!("{user}:***")
    } else {
        "***".to_owned()
    };
    format!("{}{masked_userinfo}{}", &raw[..scheme_end + 3], &rest[at..])
}

/// A value quoted for an error message, shortened when long.
pub(super) fn quote(raw: &str) -> String {
    const MAX: usize = 80;
    if raw.chars().count() > MAX {
        let head: String = raw.chars().take(MAX).collect();
        format!("`{head}…`")
    } else {
        format!("`{raw}`")
    }
}

fn strip_one_newline(mut content: String) -> String {
    if content.ends_with('\n') {
        content.pop();
        if content.ends_with('\r') {
            content.pop();
        }
    }
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_masked() {
        assert_eq!(
            mask_credentials("postgres://u:pw@db:5432/j"),
            "postgres://u:***@db:5432/j"
        );
        assert_eq!(
            mask_credentials("redis://:pw@r:6379/0"),
            "redis://:***@r:6379/0"
        );
        assert_eq!(mask_credentials("rediss://token@r"), "rediss://***@r");
        assert_eq!(mask_credentials("sqlite://janua.db"), "sqlite://janua.db");
        assert_eq!(mask_credentials("https://h/p@x"), "https://h/p@x");
    }

    #[test]
    fn secret_query_parameters_in_urls_are_masked() {
        assert_eq!(
            mask_credentials("postgres://db/j?user=u&password=pw&sslmode=require"),
            "postgres://db/j?user=u&password=***&sslmode=require"
        );
        assert_eq!(
            mask_credentials("postgres://u:pw@db/j?sslpassword=k#frag"),
            "postgres://u:***@db/j?sslpassword=***#frag"
        );
        assert_eq!(
            mask_credentials("https://collector/v1?api_key=k&x=1"),
            "https://collector/v1?api_key=***&x=1"
        );
        assert_eq!(
            mask_credentials("postgres://db/j?application_name=janua"),
            "postgres://db/j?application_name=janua"
        );
    }

    #[test]
    fn urls_lose_their_trailing_slash_and_must_be_http() {
        assert_eq!(
            check_http_url("https://id.example.com/").unwrap(),
            "https://id.example.com"
        );
        assert!(check_http_url("ftp://x").is_err());
        assert!(check_http_url("id.example.com").is_err());
        assert!(check_http_url("https://x/?a=b").is_err());
    }
}
