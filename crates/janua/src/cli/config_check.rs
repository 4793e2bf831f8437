//! `janua config check`: validate the environment and print the effective configuration with
//! secrets redacted, plus warnings and unknown variables.

use crate::config::Config;

pub fn run(config: &Config) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&config.redacted())?);
    for warning in config.warnings() {
        eprintln!("warning: {warning}");
    }
    for unknown in Config::unknown_variables(std::env::vars()) {
        eprintln!("warning: unknown variable {unknown}");
    }
    eprintln!("configuration is valid");
    Ok(())
}
