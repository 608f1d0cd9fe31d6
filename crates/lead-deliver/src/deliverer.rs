//! The delivery worker of a server process: how it delivers (`DeliverConfig`), starting it on a
//! thread of its own, and stopping it so that nothing it held is lost (the loop itself is
//! `worker.rs`).

use std::sync::Arc;
use std::time::Duration;

use lead_store::Store;

use crate::mail::{Mailer, SmtpConfig};
use crate::push::Vapid;
use crate::schedule::Schedule;
use crate::webhook::WebhookClient;
use crate::worker::{run, Senders};

/// How the workers deliver.
#[derive(Debug, Clone)]
pub struct DeliverConfig {
    /// When each attempt is made.
    pub schedule: Schedule,
    /// How long one request may take.
    pub timeout: Duration,
    /// Deliveries in flight at most, all targets together.
    pub concurrency: usize,
    /// Deliveries in flight at most to one endpoint.
    pub per_target: usize,
    /// Whether targets on loopback and private networks (and `http://`) are allowed.
    pub allow_private: bool,
    /// An endpoint whose every attempt failed for this long is disabled.
    pub disable_after: Duration,
    /// The address the team opens the dashboard at, for links.
    pub public_url: String,
    /// How often an idle worker looks for due deliveries (a lead's commit wakes it at once).
    pub poll: Duration,
    /// Where e-mail goes out (none: e-mail deliveries fail, and the store owes none).
    pub smtp: Option<SmtpConfig>,
    /// The server's identity towards push services (none: push deliveries fail, and the
    /// store owes none).
    pub push: Option<Vapid>,
    /// On stop: how long deliveries in flight may take to finish before they are cut off
    /// and given back.
    pub drain: Duration,
    /// The team's time zone, for the times in e-mails.
    pub time_zone: lead_domain::TimeZone,
    /// The key that signs the download links of a lead's files in webhooks and e-mails (the
    /// installation's, shared with the HTTP layer, which checks them).
    pub link_key: String,
}

impl Default for DeliverConfig {
    fn default() -> DeliverConfig {
        DeliverConfig {
            schedule: Schedule::default(),
            timeout: Duration::from_secs(15),
            concurrency: 32,
            per_target: 4,
            allow_private: false,
            disable_after: Duration::from_secs(5 * 24 * 3600),
            public_url: "http://127.0.0.1:8080".into(),
            poll: Duration::from_millis(500),
            smtp: None,
            push: None,
            drain: Duration::from_secs(5),
            time_zone: lead_domain::TimeZone::UTC,
            link_key: lead_auth::generate_signing_key().expect("the operating system gives random bytes"),
        }
    }
}

/// Why the delivery worker cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The webhooks' HTTP client cannot be made.
    #[error(transparent)]
    Client(#[from] crate::webhook::ClientError),
    /// `[smtp]` cannot be used.
    #[error(transparent)]
    Mail(#[from] crate::MailError),
    /// Its thread or runtime cannot be started.
    #[error("cannot start the delivery worker: {0}")]
    Thread(#[source] std::io::Error),
}

/// The delivery worker of one server process (it runs on a thread of its own).
#[derive(Debug)]
pub struct Deliverer {
    thread: Option<std::thread::JoinHandle<()>>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Deliverer {
    /// Starts delivering what `store`'s outbox holds, until the process ends. On SQLite the
    /// claims a previous process left (killed while sending) are given back first.
    pub fn start(store: Store, config: DeliverConfig) -> Result<Deliverer, StartError> {
        let client = WebhookClient::new(config.timeout, config.allow_private)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(StartError::Thread)?;
        // The mailer's connection pool lives on the worker's runtime.
        let mailer = {
            let _runtime = runtime.enter();
            config
                .smtp
                .as_ref()
                .map(|smtp| Mailer::new(smtp, config.timeout))
                .transpose()?
        };
        let senders = Senders { client, mailer };
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("lead-deliver".into())
            .spawn(move || runtime.block_on(run(store, Arc::new(config), senders, stopped)))
            .map_err(StartError::Thread)?;
        Ok(Deliverer {
            thread: Some(thread),
            stop,
        })
    }

    /// Starts stopping, without waiting: nothing more is claimed, what is queued is given
    /// back, what is in flight may finish within `drain`; then everything still held is
    /// given back (due at once: another instance, or this one after a restart, sends it).
    pub fn begin_stop(&self) {
        self.stop.send_replace(true);
    }
}

impl Drop for Deliverer {
    /// Stops (see [`Deliverer::begin_stop`]) and waits until the worker has given back what it
    /// held.
    fn drop(&mut self) {
        self.begin_stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
