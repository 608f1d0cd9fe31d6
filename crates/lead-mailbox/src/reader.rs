//! The reader of one server process: every `poll` it takes the mailboxes it may read (a lease
//! per mailbox, so that among several instances each is read by one) and checks them, at most
//! `timeout` each, all at once; on stop it cuts off what is under way and gives its leases back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lead_store::{MailboxToRead, Store};
use tokio::task::JoinSet;

use crate::connect::{deadline, open, CheckError};

/// How the reader reads.
#[derive(Debug, Clone)]
pub struct ReaderConfig {
    /// How often each mailbox is read.
    pub poll: Duration,
    /// How long one check may take.
    pub timeout: Duration,
    /// Whether mail servers on loopback and private networks (and plain `imap://`) are allowed.
    pub allow_private: bool,
}

/// The mailbox reader of one server process (it runs on a thread of its own).
#[derive(Debug)]
pub struct Reader {
    thread: Option<std::thread::JoinHandle<()>>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Reader {
    /// Starts reading the companies' mailboxes, until the process ends.
    pub fn start(store: Store, config: ReaderConfig) -> std::io::Result<Reader> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let thread = std::thread::Builder::new().name("lead-mailbox".into()).spawn(move || {
            runtime.block_on(run(store, config, stopped));
            // A name lookup still under way is not waited for long.
            runtime.shutdown_timeout(Duration::from_millis(500));
        })?;
        Ok(Reader {
            thread: Some(thread),
            stop,
        })
    }
}

impl Drop for Reader {
    /// Stops: the checks under way are cut off (each outcome is one transaction: nothing is
    /// written half), and the leases are given back, so that another instance reads the
    /// mailboxes at once.
    fn drop(&mut self) {
        self.stop.send_replace(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// This instance's name in the leases: unique among the instances of one database.
fn instance() -> String {
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("pid {} since {started}", std::process::id())
}

async fn run(store: Store, config: ReaderConfig, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let me = instance();
    // Held past the next round and its checks: another instance takes over only when this one
    // has stopped (without giving them back) for that long.
    let lease = config.poll * 2 + config.timeout * 2;
    loop {
        let claimed = {
            let (store, me) = (store.clone(), me.clone());
            tokio::task::spawn_blocking(move || store.outbox().claim_mailboxes(&me, lease)).await
        };
        let round = async {
            match claimed {
                Ok(Ok(mailboxes)) => check_all(&store, &config, mailboxes).await,
                Ok(Err(error)) => log::warn!("cannot take the mailboxes to read: {error}"),
                Err(error) => log::warn!("cannot take the mailboxes to read: {error}"),
            }
            tokio::time::sleep(config.poll).await;
        };
        tokio::select! {
            () = round => {}
            _ = stopped.changed() => break,
        }
    }
    let released = tokio::task::spawn_blocking(move || store.outbox().release_mailboxes(&me)).await;
    if let Ok(Err(error)) = released {
        log::warn!("cannot give the mailboxes back: {error}");
    }
}

/// Checks every mailbox in `mailboxes` at once, and records each outcome. A mailbox that fails
/// as it failed before is logged once, not at every check.
async fn check_all(store: &Store, config: &ReaderConfig, mailboxes: Vec<MailboxToRead>) {
    let mut checks = JoinSet::new();
    for mailbox in mailboxes {
        let (store, config) = (store.clone(), config.clone());
        checks.spawn(async move {
            let outcome = match tokio::time::timeout(config.timeout, check(&mailbox, config.allow_private)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(deadline(config.timeout)),
            };
            let said = outcome.map_err(|error| error.to_string());
            if let Err(error) = &said {
                if mailbox.last_error.as_ref() != Some(error) {
                    log::warn!(
                        "mailbox of company {} ({}): {error}",
                        mailbox.company_id,
                        mailbox.imap.shown()
                    );
                }
            }
            let recorded = tokio::task::spawn_blocking(move || {
                store
                    .outbox()
                    .record_mailbox_check(mailbox.company_id, &mailbox.imap, said)
            })
            .await;
            if let Ok(Err(error)) = recorded {
                log::warn!("cannot record a mailbox check: {error}");
            }
        });
    }
    while checks.join_next().await.is_some() {}
}

/// One check: the folder opened, then the session closed politely.
async fn check(mailbox: &MailboxToRead, allow_private: bool) -> Result<(), CheckError> {
    let (mut session, _uid_validity) = open(&mailbox.imap, allow_private).await?;
    let _ = session.logout().await;
    Ok(())
}
