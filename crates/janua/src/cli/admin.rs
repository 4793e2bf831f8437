//! `janua admin create --email E`: creates (or promotes) a verified platform administrator,
//! like the `ADMIN_EMAIL`/`ADMIN_PASSWORD` bootstrap but on demand. The password is read from
//! `ADMIN_PASSWORD` or, when unset, from the first line of standard input — never from the
//! command line, where other users of the machine could read it.

use std::io::BufRead;

use clap::Subcommand;
use janua_core::auth::admin_users::create_admin;
use janua_core::auth::email::Email;

use crate::app::core_for_cli;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a verified administrator (or promote an existing account).
    Create {
        #[arg(long)]
        email: String,
    },
}

pub async fn run(config: Config, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::Create { email } => create(config, &email).await,
    }
}

async fn create(config: Config, email: &str) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email: {}", e.message))?;
    let password = match &config.bootstrap.admin_password {
        Some(secret) => secret.expose().to_owned(),
        None => {
            eprintln!("password (one line on standard input):");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let core = core_for_cli(&config).await?;
    let user = create_admin(&core, &email, &password)
        .await
        .map_err(|e| match e {
            janua_core::Error::Auth(janua_core::error::AuthFailure::WeakPassword(details)) => {
                anyhow::anyhow!(
                    "the password is too weak: {}",
                    details
                        .iter()
                        .map(|d| d.message.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            other => anyhow::anyhow!("{other}"),
        })?;
    println!("administrator {} ({})", user.email, user.id);
    core.store.close().await;
    Ok(())
}
