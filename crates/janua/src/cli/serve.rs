//! `janua serve`: build the app and serve until SIGTERM/SIGINT.

use crate::app::App;
use crate::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    app.run_until_stopped(crate::shutdown::signal()).await
}
