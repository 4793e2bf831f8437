//! Stop signals. SIGTERM (what Kubernetes and ECS send) or SIGINT (Ctrl-C) resolve
//! [`signal`]; what happens next — drain, stop accepting, finish in-flight work — is
//! `App::run_until_stopped`'s job.

use std::future::Future;

/// Installs the SIGTERM and SIGINT handlers now and returns a future that resolves on the first
/// of them. The handlers must exist before the listener serves its first request: a signal that
/// arrives earlier would otherwise take the default action and kill the process mid-request.
/// Call it from inside the Tokio runtime.
pub fn signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let terminate = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            match (terminate, interrupt) {
                (Ok(mut terminate), Ok(mut interrupt)) => tokio::select! {
                    _ = terminate.recv() => tracing::info!("SIGTERM received"),
                    _ = interrupt.recv() => tracing::info!("SIGINT received"),
                },
                (Err(e), _) | (_, Err(e)) => {
                    tracing::error!(error = %e, "cannot listen for stop signals; stop with SIGKILL");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("Ctrl-C received");
        } else {
            std::future::pending::<()>().await;
        }
    }
}
