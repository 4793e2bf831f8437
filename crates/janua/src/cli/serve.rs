//! `janua serve`: build the app and serve until SIGTERM/SIGINT.

use crate::app::App;
use crate::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    // Before anything slow (migrations, key generation): a SIGTERM during start-up then stops
    // the server cleanly once it is up, instead of killing it mid-migration.
    let stop = crate::shutdown::signal();
    for unknown in Config::unknown_variables(
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
    ) {
        tracing::warn!("{unknown}");
    }
    let app = App::build(config).await?;
    app.run_until_stopped(stop).await
}
