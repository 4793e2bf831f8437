//! `janua`: parse the command line, read the configuration, dispatch. Nothing else.

use std::process::ExitCode;

use clap::Parser;
use janua::cli::{self, Cli, Command, ConfigCommand};
use janua::config::Config;

/// mimalloc instead of the system allocator: each request allocates and frees many small
/// buffers (headers, JSON, futures), where glibc malloc showed up as a fifth of server CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if matches!(command, Command::Version) {
        println!("janua {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(problems) => {
            eprintln!("janua: invalid configuration:\n{problems}");
            return ExitCode::from(2);
        }
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(threads) = config.server.worker_threads {
        runtime.worker_threads(threads);
    }
    let runtime = match runtime.build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("janua: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(dispatch(command, config))
}

async fn dispatch(command: Command, config: Config) -> ExitCode {
    let ok = match command {
        Command::Serve => {
            let _telemetry = janua::telemetry::logging::init(&config);
            report(cli::serve::run(config).await)
        }
        Command::Worker => {
            let _telemetry = janua::telemetry::logging::init(&config);
            report(cli::worker::run(config).await)
        }
        Command::Migrate { status } => match cli::migrate::run(config, status).await {
            Ok(current) => current || !status,
            Err(e) => report(Err(e)),
        },
        Command::Doctor => cli::doctor::run(&config).await,
        Command::Config(ConfigCommand::Check) => report(cli::config_check::run(&config)),
        Command::Keys(keys) => report(cli::keys::run(config, keys).await),
        Command::Healthcheck { port } => cli::healthcheck::run(&config, port).await,
        Command::Admin(admin) => report(cli::admin::run(config, admin).await),
        Command::Version => true,
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn report(outcome: anyhow::Result<()>) -> bool {
    match outcome {
        Ok(()) => true,
        Err(e) => {
            eprintln!("janua: {e:#}");
            false
        }
    }
}
