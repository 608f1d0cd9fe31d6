//! Live notifications across instances (PostgreSQL): every instance LISTENs for the commits
//! of every other instance and passes them on to its own live streams.
//!
//! The writer sends `NOTIFY lead_commits, '<company id>'` inside each batch's transaction, so
//! the signal goes out exactly when the leads become visible. A signal is only a wake-up
//! call: the database stays the source of truth. What was committed while the connection was
//! down is caught up when it is back: every stream then reads again.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use tokio::sync::broadcast;

use crate::ids::CompanyId;
use crate::{Result, StoreError};

/// The channel the writers notify and the listeners listen on.
pub(crate) const CHANNEL: &str = "lead_commits";
/// How often the listener looks for arrived notifications (a non-blocking read).
const POLL: Duration = Duration::from_millis(50);
/// How long the listener waits before connecting again after a failure.
const RECONNECT: Duration = Duration::from_secs(1);
/// How long starting the listener waits for its first LISTEN.
const READY_WAIT: Duration = Duration::from_secs(2);

/// Keeps the listener thread running while any clone of the store lives.
pub(crate) struct Listener {
    _stop: mpsc::Sender<()>,
}

impl Listener {
    /// Starts listening on `url`, passing each committed company's id to `commits`. Returns
    /// once the connection LISTENs (so a commit right after cannot be missed), or after
    /// [`READY_WAIT`] if the database does not answer — the thread keeps trying.
    pub(crate) fn start(url: String, commits: broadcast::Sender<Option<CompanyId>>) -> Result<Listener> {
        let (stop, stopped) = mpsc::channel::<()>();
        let (ready, listening) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("lead-listen".into())
            .spawn(move || listen(&url, &commits, &stopped, &ready))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the listener thread: {e}")))?;
        let _ = listening.recv_timeout(READY_WAIT);
        Ok(Listener { _stop: stop })
    }
}

/// Connects, LISTENs and forwards notifications until the store is dropped; reconnects after
/// any failure.
fn listen(
    url: &str,
    commits: &broadcast::Sender<Option<CompanyId>>,
    stopped: &mpsc::Receiver<()>,
    ready: &mpsc::Sender<()>,
) {
    let mut failing = false;
    loop {
        let connected = PgConnection::establish(url)
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                conn.batch_execute(&format!("LISTEN {CHANNEL};"))
                    .map(|_| conn)
                    .map_err(|e| e.to_string())
            });
        match connected {
            Ok(mut conn) => {
                let _ = ready.send(());
                if failing {
                    log::info!("listening for other instances' commits again");
                    failing = false;
                    // What was committed while nobody listened: every stream reads again.
                    let _ = commits.send(None);
                }
                loop {
                    for notification in conn.notifications_iter() {
                        match notification {
                            Ok(n) => {
                                if let Ok(company) = n.payload.parse::<CompanyId>() {
                                    let _ = commits.send(Some(company));
                                }
                            }
                            Err(error) => {
                                log::warn!("lost the connection that listens for commits: {error}");
                                failing = true;
                                break;
                            }
                        }
                    }
                    if failing {
                        break;
                    }
                    match stopped.recv_timeout(POLL) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                }
            }
            Err(error) => {
                if !failing {
                    log::warn!("cannot listen for other instances' commits (will retry): {error}");
                    failing = true;
                }
            }
        }
        match stopped.recv_timeout(RECONNECT) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
    }
}
