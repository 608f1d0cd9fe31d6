//! The delivery worker: claims due deliveries, sends them concurrently (bounded in all and
//! per target), records the attempts in batches, and sleeps until a lead commits or the
//! poll interval passes.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lead_domain::Timestamp;
use lead_store::{Attempt, Channel, DeliveryId, DueDelivery, Exchange, Outcome, Store, WebhookId};

use crate::mail::{Mailer, SmtpConfig};
use tokio::task::JoinSet;

use crate::schedule::Schedule;
use crate::webhook::{self, WebhookClient};

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
        }
    }
}

/// The delivery worker of one server process (it runs on a thread of its own).
#[derive(Debug)]
pub struct Deliverer {
    _thread: std::thread::JoinHandle<()>,
}

impl Deliverer {
    /// Starts delivering what `store`'s outbox holds, until the process ends. On SQLite the
    /// claims a previous process left (killed while sending) are given back first.
    pub fn start(store: Store, config: DeliverConfig) -> Result<Deliverer, String> {
        let client = WebhookClient::new(config.timeout, config.allow_private)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| format!("cannot start the delivery worker: {error}"))?;
        // The mailer's connection pool lives on the worker's runtime.
        let mailer = {
            let _runtime = runtime.enter();
            config
                .smtp
                .as_ref()
                .map(|smtp| Mailer::new(smtp, config.timeout))
                .transpose()
                .map_err(|error| error.to_string())?
        };
        let senders = Senders { client, mailer };
        let thread = std::thread::Builder::new()
            .name("lead-deliver".into())
            .spawn(move || runtime.block_on(run(store, Arc::new(config), senders)))
            .map_err(|error| format!("cannot start the delivery worker: {error}"))?;
        Ok(Deliverer { _thread: thread })
    }
}

/// The least time between two exchanges (each a write transaction) while the lead writer is
/// idle: a stream of leads wakes the worker with every commit.
const EXCHANGE_INTERVAL: Duration = Duration::from_millis(20);

/// ... and while leads queue up for the writer: intake comes first, deliveries catch up after.
const BUSY_EXCHANGE_INTERVAL: Duration = Duration::from_millis(250);

/// Leads waiting for the writer from which it counts as busy.
const BUSY_QUEUE: usize = 8;

/// How many rounds of `per_target` deliveries may wait in a target's queue (claimed, not yet
/// sent): enough to keep a fast endpoint busy between two exchanges, few enough that the
/// claims' lease covers the wait behind a slow one.
const QUEUE_ROUNDS: u32 = 8;

/// How long a delivery given back because its endpoint's queue is full waits before it is
/// claimed again.
const BUSY_TARGET_WAIT: Duration = Duration::from_secs(1);

/// How long the worker waits after the database failed.
const DATABASE_BACKOFF: Duration = Duration::from_secs(1);

/// What sends: the webhook client, and the mailer if e-mail is configured.
#[derive(Debug, Clone)]
struct Senders {
    client: WebhookClient,
    mailer: Option<Mailer>,
}

/// What one delivery occupies: an endpoint, or the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    Webhook(WebhookId),
    Smtp,
}

impl Target {
    /// `None`: nothing can send it (a webhook whose endpoint was disabled, an e-mail on a
    /// server without SMTP).
    fn of(delivery: &DueDelivery) -> Option<Target> {
        match (delivery.channel, &delivery.webhook) {
            (Channel::Webhook, Some(hook)) => Some(Target::Webhook(hook.id)),
            (Channel::Email, _) => Some(Target::Smtp),
            _ => None,
        }
    }
}

/// What one worker holds: deliveries claimed and queued per target, and those in flight.
struct Held {
    inflight: JoinSet<(Option<Target>, Attempt)>,
    sending: HashMap<Target, usize>,
    queues: HashMap<Target, VecDeque<DueDelivery>>,
    finished: Vec<Attempt>,
    give_back: Vec<DeliveryId>,
}

impl Held {
    fn len(&self) -> usize {
        self.inflight.len() + self.queues.values().map(VecDeque::len).sum::<usize>()
    }

    /// What a target holds, queued and in flight.
    fn of(&self, target: Target) -> usize {
        self.queues.get(&target).map_or(0, VecDeque::len) + self.sending.get(&target).copied().unwrap_or(0)
    }

    /// Starts what the endpoints and the global bound have room for.
    fn dispatch(&mut self, senders: &Senders, config: &Arc<DeliverConfig>) {
        let (inflight, sending) = (&mut self.inflight, &mut self.sending);
        self.queues.retain(|&target, queue| {
            let busy = sending.entry(target).or_default();
            while *busy < config.per_target && inflight.len() < config.concurrency {
                let Some(delivery) = queue.pop_front() else { break };
                *busy += 1;
                let (senders, config) = (senders.clone(), config.clone());
                inflight.spawn(async move { (Some(target), attempt(delivery, &senders, &config).await) });
            }
            !queue.is_empty()
        });
    }

    /// Takes in a finished attempt.
    fn take(&mut self, done: Result<(Option<Target>, Attempt), tokio::task::JoinError>) {
        take(done, &mut self.sending, &mut self.finished);
    }
}

async fn run(store: Store, config: Arc<DeliverConfig>, senders: Senders) {
    match blocking(&store, |store| store.recover_claims()).await {
        Ok(0) => {}
        Ok(recovered) => log::info!("{recovered} deliveries claimed before a restart are due again"),
        Err(error) => log::warn!("the outbox's old claims could not be given back: {error}"),
    }
    // A claim outlives the wait in the queue and the slowest attempt: another instance takes a
    // delivery over only when this one has surely died.
    let lease = config.timeout * (QUEUE_ROUNDS + 2) + Duration::from_secs(30);
    let per_queue = config.per_target * QUEUE_ROUNDS as usize;
    let most_held = config.concurrency * QUEUE_ROUNDS as usize;
    let mut commits = store.subscribe_commits();
    let mut held = Held {
        inflight: JoinSet::new(),
        sending: HashMap::new(),
        queues: HashMap::new(),
        finished: Vec::new(),
        give_back: Vec::new(),
    };
    loop {
        let last_exchange = Instant::now();
        // Targets without room are not claimed for; a claim fits the one with the least room,
        // so that hardly anything claimed has to be given back.
        let targets: Vec<Target> = held.queues.keys().chain(held.sending.keys()).copied().collect();
        let full = |target: &Target| held.of(*target) >= per_queue;
        let skip: Vec<WebhookId> = targets
            .iter()
            .filter(|target| full(target))
            .filter_map(|target| match target {
                Target::Webhook(id) => Some(*id),
                Target::Smtp => None,
            })
            .collect();
        let room = targets
            .iter()
            .filter(|target| !full(target))
            .map(|target| per_queue - held.of(*target))
            .min()
            .unwrap_or(per_queue)
            .min(most_held.saturating_sub(held.len()));
        let skip_email = full(&Target::Smtp);
        let exchange = Exchange {
            attempts: std::mem::take(&mut held.finished),
            give_back: std::mem::take(&mut held.give_back),
            busy_wait: BUSY_TARGET_WAIT,
            claim: i64::try_from(room).unwrap_or(0),
            skip,
            skip_email,
            lease,
            disable_after: config.disable_after,
        };
        let handed = exchange.clone();
        let claimed = blocking(&store, move |store| {
            let ids = store.exchange_deliveries(&exchange)?;
            store.load_deliveries(&ids)
        })
        .await;
        match claimed {
            Ok(due) => {
                for delivery in due {
                    let Some(target) = Target::of(&delivery) else {
                        // Nothing can send it (its endpoint was disabled meanwhile): it fails now.
                        let (senders, config) = (senders.clone(), config.clone());
                        held.inflight
                            .spawn(async move { (None, attempt(delivery, &senders, &config).await) });
                        continue;
                    };
                    if held.of(target) >= per_queue {
                        held.give_back.push(delivery.id);
                    } else {
                        held.queues.entry(target).or_default().push_back(delivery);
                    }
                }
            }
            Err(error) => {
                // Nothing of the exchange happened: the attempts are recorded next time (their
                // claims hold meanwhile).
                log::warn!("the outbox could not be read or written: {error}");
                held.finished = handed.attempts;
                held.give_back = handed.give_back;
                tokio::time::sleep(DATABASE_BACKOFF).await;
            }
        }

        // Until the next exchange: send, and start the next one as each finishes. Idle, the
        // worker sleeps until a lead commits or the poll interval passes.
        let interval = if store.queue_load().leads >= BUSY_QUEUE {
            BUSY_EXCHANGE_INTERVAL
        } else {
            EXCHANGE_INTERVAL
        };
        let next_exchange = tokio::time::Instant::from_std(last_exchange + interval);
        let idle_until = tokio::time::Instant::now() + config.poll;
        loop {
            held.dispatch(&senders, &config);
            let idle = held.len() == 0;
            tokio::select! {
                Some(done) = held.inflight.join_next(), if !held.inflight.is_empty() => held.take(done),
                _ = commits.recv(), if idle => break,
                () = tokio::time::sleep_until(next_exchange), if !idle => break,
                () = tokio::time::sleep_until(idle_until), if idle => break,
            }
            while let Some(done) = held.inflight.try_join_next() {
                held.take(done);
            }
            // Attempts waiting to be recorded are worth an exchange (once the interval passed).
            if held.len() == 0 && !held.finished.is_empty() {
                tokio::time::sleep_until(next_exchange).await;
                break;
            }
        }
    }
}

/// Takes in a finished attempt.
fn take(
    done: Result<(Option<Target>, Attempt), tokio::task::JoinError>,
    sending: &mut HashMap<Target, usize>,
    finished: &mut Vec<Attempt>,
) {
    match done {
        Ok((target, attempt)) => {
            if let Some(target) = target {
                if let Some(busy) = sending.get_mut(&target) {
                    *busy = busy.saturating_sub(1);
                    if *busy == 0 {
                        sending.remove(&target);
                    }
                }
            }
            finished.push(attempt);
        }
        // A panicking attempt leaves its claim to run out: it is made again later.
        Err(error) => log::error!("a delivery attempt failed unexpectedly: {error}"),
    }
}

/// Makes one attempt of `delivery`.
async fn attempt(delivery: DueDelivery, senders: &Senders, config: &DeliverConfig) -> Attempt {
    let at = Timestamp::now();
    let failed = |error: &str| Attempt {
        id: delivery.id,
        webhook: None,
        at,
        duration: Duration::ZERO,
        status: None,
        error: Some(error.to_owned()),
        body: None,
        outcome: Outcome::Failed,
    };
    let retry_or_fail =
        |retry_after: Option<Duration>| match config.schedule.next_delay(delivery.attempts + 1, retry_after) {
            Some(delay) => Outcome::RetryAt(Timestamp::from_millis(
                at.millis() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2),
            )),
            None => Outcome::Failed,
        };
    let target = match (delivery.channel, &delivery.webhook, &senders.mailer) {
        (Channel::Webhook, Some(target), _) => target,
        (Channel::Webhook, None, _) => return failed("the endpoint is disabled or removed"),
        (Channel::Email, _, Some(mailer)) => {
            // An e-mail is made anew from the record at every attempt.
            let answer = mailer.send(&delivery, &config.public_url).await;
            let outcome = match (&answer.error, answer.permanent) {
                (None, _) => Outcome::Delivered,
                (Some(_), true) => Outcome::Failed,
                (Some(_), false) => retry_or_fail(None),
            };
            return Attempt {
                id: delivery.id,
                webhook: None,
                at,
                duration: answer.duration,
                status: answer.code,
                error: answer.error,
                body: None,
                outcome,
            };
        }
        (channel, _, _) => return failed(&format!("this server is not set up to send {channel} deliveries")),
    };
    let (body, new_body) = match &delivery.body {
        Some(body) => (body.clone(), false),
        None => match webhook::body(&delivery, target.format, &config.public_url) {
            Some(body) => (body, true),
            None => return failed("the record it is about is gone"),
        },
    };
    let answer = senders
        .client
        .send(target, &webhook::message_id(&delivery), &body)
        .await;
    let outcome = if answer.delivered() {
        Outcome::Delivered
    } else if answer.gone() {
        Outcome::Gone
    } else {
        retry_or_fail(answer.retry_after)
    };
    Attempt {
        id: delivery.id,
        webhook: Some(target.id),
        at,
        duration: answer.duration,
        status: answer.status.map(i32::from),
        error: answer.error,
        body: new_body.then_some(body),
        outcome,
    }
}

/// Runs a (blocking) store call off the worker's thread.
async fn blocking<T: Send + 'static>(
    store: &Store,
    call: impl FnOnce(&Store) -> lead_store::Result<T> + Send + 'static,
) -> lead_store::Result<T> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || call(&store))
        .await
        .unwrap_or_else(|error| {
            Err(lead_store::StoreError::Unavailable(format!(
                "a blocking call failed: {error}"
            )))
        })
}
