//! Stop signals: SIGTERM (service managers, `kill`) and SIGINT (Ctrl-C), handled instead of
//! ending the process at once, so that a stop drains and finishes what is in flight. A second
//! signal during the drain cuts it short.

/// The stop signals, from the moment this is made.
pub(super) struct StopSignals {
    #[cfg(unix)]
    signals: Option<(actix_web::rt::signal::unix::Signal, actix_web::rt::signal::unix::Signal)>,
}

impl StopSignals {
    /// Handles SIGTERM and SIGINT from now on.
    pub(super) fn take_over() -> StopSignals {
        #[cfg(unix)]
        {
            use actix_web::rt::signal::unix::{signal, SignalKind};
            match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
                (Ok(terminate), Ok(interrupt)) => StopSignals {
                    signals: Some((terminate, interrupt)),
                },
                (Err(error), _) | (_, Err(error)) => {
                    log::warn!("stop signals cannot be handled ({error}); Ctrl-C still stops the server");
                    StopSignals { signals: None }
                }
            }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    /// Resolves when the next stop signal arrives.
    pub(super) async fn next(&mut self) {
        #[cfg(unix)]
        if let Some((terminate, interrupt)) = &mut self.signals {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
            return;
        }
        let _ = actix_web::rt::signal::ctrl_c().await;
    }
}
