//! `docs/configuration.md` and `Config::known_variables` must name the same variables.

use std::collections::BTreeSet;

use crate::config::Config;

/// Variable names in the first two columns (name, aliases) of the reference tables.
fn documented_variables(markdown: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in markdown.lines().filter(|l| l.starts_with("| `")) {
        for cell in line.split('|').skip(1).take(2) {
            for (i, token) in cell.split('`').enumerate() {
                let is_code = i % 2 == 1;
                let is_name = !token.is_empty()
                    && token
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if is_code && is_name {
                    names.insert(token.to_owned());
                }
            }
        }
    }
    names
}

#[test]
fn the_configuration_reference_documents_exactly_the_known_variables() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
    let markdown = std::fs::read_to_string(path).unwrap();
    let documented = documented_variables(&markdown);
    let known: BTreeSet<String> = Config::known_variables()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let undocumented: Vec<_> = known.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&known).collect();
    assert!(
        undocumented.is_empty(),
        "known to Config but missing from docs/configuration.md: {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "documented in docs/configuration.md but unknown to Config: {unknown:?}"
    );
}

#[test]
fn known_variables_exclude_file_forms_and_have_no_duplicates() {
    let known = Config::known_variables();
    let unique: BTreeSet<_> = known.iter().collect();
    assert_eq!(unique.len(), known.len());
    assert!(known.contains(&"TLS_CERT_FILE"));
    assert!(!known.contains(&"JWT_PRIVATE_KEY_FILE") && !known.contains(&"SECRET_KEY_FILE"));
    for alias in [
        "JWT_ISSUER",
        "SECRET_KEY",
        "WORKERS",
        "JWT_ACCESS_TOKEN_EXPIRE_MINUTES",
    ] {
        assert!(known.contains(&alias), "{alias}");
    }
}
