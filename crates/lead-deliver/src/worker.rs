//! The delivery worker: claims due deliveries, sends them concurrently (bounded in all and
//! per target), records the attempts in batches, and sleeps until a lead commits or the
//! poll interval passes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lead_domain::Timestamp;
use lead_store::{Attempt, Channel, DeliveryId, DueDelivery, Outcome, Store, WebhookId};

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

/// The least time between two claims: a stream of leads wakes the worker with every commit,
/// and each claim is a write transaction.
const CLAIM_INTERVAL: Duration = Duration::from_millis(20);

/// How long a delivery whose endpoint is busy (at `per_target`) waits before it is claimed again.
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
    fn of(delivery: &DueDelivery) -> Option<Target> {
        match (delivery.channel, &delivery.webhook) {
            (Channel::Webhook, Some(hook)) => Some(Target::Webhook(hook.id)),
            (Channel::Email, _) => Some(Target::Smtp),
            _ => None,
        }
    }
}

async fn run(store: Store, config: Arc<DeliverConfig>, senders: Senders) {
    match blocking(&store, |store| store.recover_claims()).await {
        Ok(0) => {}
        Ok(recovered) => log::info!("{recovered} deliveries claimed before a restart are due again"),
        Err(error) => log::warn!("the outbox's old claims could not be given back: {error}"),
    }
    // A claim outlives the slowest attempt by far: another instance takes a delivery over only
    // when this one has surely died.
    let lease = config.timeout * 2 + Duration::from_secs(30);
    let mut commits = store.subscribe_commits();
    let mut inflight: JoinSet<(Option<Target>, Attempt)> = JoinSet::new();
    let mut per_target: HashMap<Target, usize> = HashMap::new();
    let mut finished: Vec<Attempt> = Vec::new();
    let mut last_claim = Instant::now() - CLAIM_INTERVAL;
    loop {
        let free = config.concurrency.saturating_sub(inflight.len());
        if free > 0 {
            last_claim = Instant::now();
            let limit = i64::try_from(free).unwrap_or(i64::MAX);
            match blocking(&store, move |store| store.claim_deliveries(limit, lease)).await {
                Ok(due) => {
                    let mut busy = Vec::new();
                    for delivery in due {
                        let target = Target::of(&delivery);
                        if let Some(target) = target {
                            let sending = per_target.entry(target).or_default();
                            if *sending >= config.per_target {
                                busy.push(delivery.id);
                                continue;
                            }
                            *sending += 1;
                        }
                        let (senders, config) = (senders.clone(), config.clone());
                        inflight.spawn(async move { (target, attempt(delivery, &senders, &config).await) });
                    }
                    give_back(&store, busy).await;
                }
                Err(error) => {
                    log::warn!("the outbox could not be read: {error}");
                    tokio::time::sleep(DATABASE_BACKOFF).await;
                }
            }
        }

        tokio::select! {
            Some(done) = inflight.join_next(), if !inflight.is_empty() => {
                take(done, &mut per_target, &mut finished);
            }
            _ = commits.recv() => {}
            () = tokio::time::sleep(config.poll) => {}
        }
        while let Some(done) = inflight.try_join_next() {
            take(done, &mut per_target, &mut finished);
        }
        if !finished.is_empty() {
            let attempts = std::mem::take(&mut finished);
            let disable_after = config.disable_after;
            if let Err(error) = blocking(&store, move |store| store.record_attempts(&attempts, disable_after)).await {
                // The claims run out and the deliveries are sent again: at least once.
                log::error!("attempts could not be recorded (they will be made again): {error}");
            }
        }
        let next_claim = last_claim + CLAIM_INTERVAL;
        if let Some(wait) = next_claim.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
}

/// Takes in a finished attempt.
fn take(
    done: Result<(Option<Target>, Attempt), tokio::task::JoinError>,
    per_target: &mut HashMap<Target, usize>,
    finished: &mut Vec<Attempt>,
) {
    match done {
        Ok((target, attempt)) => {
            if let Some(target) = target {
                if let Some(sending) = per_target.get_mut(&target) {
                    *sending = sending.saturating_sub(1);
                    if *sending == 0 {
                        per_target.remove(&target);
                    }
                }
            }
            finished.push(attempt);
        }
        // A panicking attempt leaves its claim to run out: it is made again later.
        Err(error) => log::error!("a delivery attempt failed unexpectedly: {error}"),
    }
}

/// Gives deliveries to busy endpoints back for a moment.
async fn give_back(store: &Store, busy: Vec<DeliveryId>) {
    if busy.is_empty() {
        return;
    }
    if let Err(error) = blocking(store, move |store| store.release_claims(&busy, BUSY_TARGET_WAIT)).await {
        log::warn!("deliveries to a busy endpoint could not be given back: {error}");
    }
}

/// Makes one attempt of `delivery`.
async fn attempt(delivery: DueDelivery, senders: &Senders, config: &DeliverConfig) -> Attempt {
    let at = Timestamp::now();
    let failed = |error: &str| Attempt {
        id: delivery.id,
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
        (Channel::Webhook, None, _) => return failed("the delivery names no endpoint"),
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
