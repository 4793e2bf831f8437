//! `janua worker`: the background workers alone (mail, webhook delivery, retention, key
//! rotation), for the deployment's "Background Workers" tier. Serves only the operations
//! routes on `PORT` and stops cleanly on SIGTERM/SIGINT, like `serve`.

use crate::app::App;
use crate::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let stop = crate::shutdown::signal();
    let app = App::build(config).await?.worker_only();
    app.run_until_stopped(stop).await
}
