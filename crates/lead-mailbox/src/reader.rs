//! The reader of one server process: every `poll` it takes the mailboxes it may read (a lease
//! per mailbox, so that among several instances each is read by one) and keeps one task per
//! mailbox, which stays connected: it files what is new, then waits — with IDLE, where the
//! server offers it, until the server says something arrived (or `poll` passed), otherwise
//! `poll`. On stop it cuts off what is under way (each e-mail is one transaction: nothing is
//! filed half) and gives its leases back.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lead_domain::ImapUrl;
use lead_store::{CompanyId, MailboxToRead, Store};
use tokio::task::{AbortHandle, JoinSet};

use crate::connect::open;
use crate::import::{arrived, round, within, RoundError, Watched};

/// How the reader reads.
#[derive(Debug, Clone)]
pub struct ReaderConfig {
    /// How often each mailbox is read where it cannot say itself that something arrived (no
    /// IDLE); and how long one IDLE lasts.
    pub poll: Duration,
    /// How long one command to a mail server may take.
    pub timeout: Duration,
    /// Whether mail servers on loopback and private networks (and plain `imap://`) are allowed.
    pub allow_private: bool,
    /// E-mails larger than this are filed cut (their beginning, without attachments).
    pub max_message_bytes: u64,
    /// Whether a virus scanner is configured: attachments wait for its verdict.
    pub scanner: bool,
    /// `[attachments]`: the files an e-mail's lead keeps.
    pub attachments: lead_domain::AttachmentLimits,
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
            // A name lookup or a filing still under way is not waited for long.
            runtime.shutdown_timeout(Duration::from_millis(500));
        })?;
        Ok(Reader {
            thread: Some(thread),
            stop,
        })
    }
}

impl Drop for Reader {
    /// Stops: what is under way is cut off, and the leases are given back, so that another
    /// instance reads the mailboxes at once.
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

/// What a mailbox's task was started for: a change of either starts it anew.
type Settings = (ImapUrl, Option<String>);

async fn run(store: Store, config: ReaderConfig, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let me = instance();
    // Held past the next round: another instance takes over only when this one has stopped
    // (without giving them back) for that long.
    let lease = config.poll * 2 + config.timeout * 2;
    let mut tasks = JoinSet::new();
    let mut watching: HashMap<CompanyId, (Settings, AbortHandle)> = HashMap::new();
    loop {
        let claimed = {
            let (store, me) = (store.clone(), me.clone());
            tokio::task::spawn_blocking(move || store.outbox().claim_mailboxes(&me, lease)).await
        };
        match claimed {
            Ok(Ok(mailboxes)) => {
                while tasks.try_join_next().is_some() {}
                let mut keep = HashMap::new();
                for mailbox in mailboxes {
                    let settings = (mailbox.imap.clone(), mailbox.move_to.clone());
                    let company_id = mailbox.company_id;
                    match watching.remove(&company_id) {
                        Some((same, task)) if same == settings && !task.is_finished() => {
                            keep.insert(company_id, (same, task));
                        }
                        before => {
                            if let Some((_, task)) = before {
                                task.abort();
                            }
                            let task = tasks.spawn(watch(store.clone(), config.clone(), mailbox));
                            keep.insert(company_id, (settings, task));
                        }
                    }
                }
                // Removed, or taken by another instance meanwhile.
                for (_, (_, task)) in watching.drain() {
                    task.abort();
                }
                watching = keep;
            }
            Ok(Err(error)) => log::warn!("cannot take the mailboxes to read: {error}"),
            Err(error) => log::warn!("cannot take the mailboxes to read: {error}"),
        }
        tokio::select! {
            () = tokio::time::sleep(config.poll) => {}
            _ = stopped.changed() => break,
        }
    }
    tasks.shutdown().await;
    let released = tokio::task::spawn_blocking(move || store.outbox().release_mailboxes(&me)).await;
    if let Ok(Err(error)) = released {
        log::warn!("cannot give the mailboxes back: {error}");
    }
}

/// Reads one mailbox until the task is aborted: connected, it files what is new and waits for
/// more; when the connection fails, the error is recorded and it connects again after `poll`.
async fn watch(store: Store, config: ReaderConfig, mailbox: MailboxToRead) {
    let mut watched = Watched {
        mailbox,
        can_move: false,
        has_uidplus: false,
        caught_up: false,
        unmarked: (0, Vec::new()),
        refused: None,
    };
    loop {
        let error = match connected(&store, &config, &mut watched).await {
            Err(RoundError::Check(error)) => error,
            Err(RoundError::Store(error)) => {
                log::warn!(
                    "mailbox of company {}: cannot file its e-mails (tried again in {} s): {error}",
                    watched.mailbox.company_id,
                    config.poll.as_secs()
                );
                tokio::time::sleep(config.poll).await;
                continue;
            }
        };
        let said = error.to_string();
        if watched.mailbox.last_error.as_ref() != Some(&said) {
            log::warn!(
                "mailbox of company {} ({}): {said}",
                watched.mailbox.company_id,
                watched.mailbox.imap.shown()
            );
        }
        watched.mailbox.last_error = Some(said.clone());
        record(&store, &watched.mailbox, Err(said)).await;
        tokio::time::sleep(config.poll).await;
    }
}

/// One connection: opened, then rounds of filing and waiting, until something fails.
async fn connected(
    store: &Store,
    config: &ReaderConfig,
    watched: &mut Watched,
) -> Result<std::convert::Infallible, RoundError> {
    let imap = watched.mailbox.imap.clone();
    let at = imap.address();
    let (mut session, folder) = match tokio::time::timeout(config.timeout, open(&imap, config.allow_private)).await {
        Ok(opened) => opened?,
        Err(_) => return Err(crate::connect::deadline(config.timeout).into()),
    };
    let offered = within(config.timeout, &at, session.capabilities()).await?;
    let idle = offered.has_str("IDLE");
    watched.can_move = offered.has_str("MOVE");
    watched.has_uidplus = offered.has_str("UIDPLUS");
    loop {
        arrived(&mut session);
        round(&mut session, folder, watched, store, config).await?;
        watched.mailbox.last_error = None;
        record(store, &watched.mailbox, Ok(())).await;
        if arrived(&mut session) {
            continue; // more came during the round
        }
        if !idle {
            tokio::time::sleep(config.poll).await;
            within(config.timeout, &at, session.noop()).await?;
            continue;
        }
        let mut waiting = session.idle();
        within(config.timeout, &at, waiting.init()).await?;
        {
            // The server's keep-alives restart the wait's own timer: `poll` is kept here.
            let (news, _interrupt) = waiting.wait_with_timeout(config.poll);
            // A new e-mail, or the time to look anyway: either way, a round.
            tokio::select! {
                said = news => {
                    said.map_err(|error| crate::connect::broken(error, &at))?;
                }
                () = tokio::time::sleep(config.poll) => {}
            }
        }
        session = within(config.timeout, &at, waiting.done()).await?;
    }
}

/// Records how reading a mailbox went (see [`lead_store::Outbox::record_mailbox_check`]).
async fn record(store: &Store, mailbox: &MailboxToRead, outcome: Result<(), String>) {
    let (store, company_id, imap) = (store.clone(), mailbox.company_id, mailbox.imap.clone());
    let recorded =
        tokio::task::spawn_blocking(move || store.outbox().record_mailbox_check(company_id, &imap, outcome)).await;
    if let Ok(Err(error)) = recorded {
        log::warn!("cannot record a mailbox check: {error}");
    }
}
