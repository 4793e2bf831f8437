//! Tests of the configuration, from the outside: variable lists in, `Config` or problems out.

mod defaults;
mod docs;
mod production;
mod sources;

use crate::config::{Config, ConfigErrors};

/// Owned variable pairs from literals.
pub(super) fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A configuration that must be valid.
pub(super) fn config(pairs: &[(&str, &str)]) -> Config {
    match Config::from_vars(vars(pairs)) {
        Ok(config) => config,
        Err(errors) => panic!("expected a valid configuration, got:\n{errors}"),
    }
}

/// A configuration that must be refused.
pub(super) fn errors(pairs: &[(&str, &str)]) -> ConfigErrors {
    match Config::from_vars(vars(pairs)) {
        Ok(_) => panic!("expected configuration problems"),
        Err(errors) => errors,
    }
}

/// A strong production setup that passes every refusal.
pub(super) const PRODUCTION: [(&str, &str); 4] = [
    ("ENVIRONMENT", "production"),
    ("SECRET_KEY", "q4Jx9vR2mT7wLk3pZ8nB5cY1hF6dG0sAeU"),
    ("BASE_URL", "https://id.example.com"),
    ("DATABASE_URL", "postgres://janua:pw@db:5432/janua"),
];
