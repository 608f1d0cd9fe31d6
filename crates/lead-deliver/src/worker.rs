//! The delivery worker's loop: claims due deliveries, sends them concurrently (bounded in all
//! and per target), records the attempts in batches, and sleeps until a lead commits or the
//! poll interval passes. Its configuration, start and stop are `deliverer.rs`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lead_store::{Attempt, Channel, DeliveryId, DueDelivery, Endpoint, Exchange, PushSubscriptionId, Store, WebhookId};

use crate::deliverer::DeliverConfig;
use crate::mail::Mailer;
use tokio::task::JoinSet;

use crate::webhook::WebhookClient;

/// The least time between two exchanges (each a write transaction) while the lead writer is
/// idle: a stream of leads wakes the worker with every commit.
const EXCHANGE_INTERVAL: Duration = Duration::from_millis(20);

/// ... and while leads queue up for the writer: intake comes first, deliveries catch up after.
const BUSY_EXCHANGE_INTERVAL: Duration = Duration::from_millis(250);

/// Leads waiting for the writer from which it counts as busy...
const BUSY_QUEUE: usize = 8;

/// ... for this long after it was last seen so: the queue empties with every batch, so one
/// look at it says little.
const BUSY_FOR: Duration = Duration::from_secs(1);

/// Whether leads have been queueing for the writer lately.
#[derive(Debug, Default)]
struct Intake {
    busy_until: Option<Instant>,
}

impl Intake {
    /// Looks at the write queue now.
    fn look(&mut self, store: &Store) {
        if store.intake().queue_load().leads >= BUSY_QUEUE {
            self.busy_until = Some(Instant::now() + BUSY_FOR);
        }
    }

    fn busy(&self) -> bool {
        self.busy_until.is_some_and(|until| Instant::now() < until)
    }
}

/// How many rounds of `per_target` deliveries may wait in a target's queue (claimed, not yet
/// sent): enough to keep a fast endpoint busy between two exchanges, few enough that a slow
/// one holds little.
const QUEUE_ROUNDS: u32 = 8;

/// How long a delivery given back because its endpoint's queue is full waits before it is
/// claimed again.
const BUSY_TARGET_WAIT: Duration = Duration::from_secs(1);

/// How long the worker waits after the database failed.
const DATABASE_BACKOFF: Duration = Duration::from_secs(1);

/// What sends: the webhook client, and the mailer if e-mail is configured.
#[derive(Debug, Clone)]
pub(crate) struct Senders {
    pub(crate) client: WebhookClient,
    pub(crate) mailer: Option<Mailer>,
}

/// What one delivery occupies: an endpoint, the SMTP server, a device (one dead device's
/// retries never hold up another's messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    Webhook(WebhookId),
    /// The server's `[smtp]`.
    Smtp,
    /// A company's own SMTP server (its replies).
    CompanySmtp(lead_store::CompanyId),
    Device(PushSubscriptionId),
}

impl Target {
    /// `None`: nothing can send it (a webhook whose endpoint was disabled, a device no longer
    /// subscribed).
    fn of(delivery: &DueDelivery) -> Option<Target> {
        match (delivery.channel, &delivery.webhook, &delivery.push) {
            (Channel::Webhook, Some(hook), _) => Some(Target::Webhook(hook.id)),
            // A company's own SMTP server is its own target: a slow one holds up no other.
            (Channel::Email, ..) => match delivery.reply.as_ref().filter(|reply| reply.smtp_url.is_some()) {
                Some(_) => Some(Target::CompanySmtp(delivery.company_id)),
                None => Some(Target::Smtp),
            },
            (Channel::Push, _, Some(device)) => Some(Target::Device(device.id)),
            _ => None,
        }
    }

    /// The endpoint the store knows it by (the SMTP server is none).
    fn endpoint(self) -> Option<Endpoint> {
        match self {
            Target::Webhook(id) => Some(Endpoint::Webhook(id)),
            Target::Device(id) => Some(Endpoint::Push(id)),
            Target::Smtp | Target::CompanySmtp(_) => None,
        }
    }
}

/// What one worker holds: deliveries claimed and queued per target, and those in flight.
struct Held {
    inflight: JoinSet<Attempt>,
    /// What each task in flight sends: for its target's count, even if it panics.
    tasks: HashMap<tokio::task::Id, (Option<Target>, DeliveryId)>,
    sending: HashMap<Target, usize>,
    queues: HashMap<Target, VecDeque<DueDelivery>>,
    /// Every delivery queued or in flight: claimed again, it is not taken twice; its claim is
    /// renewed at each exchange.
    ids: HashSet<DeliveryId>,
    finished: Vec<Attempt>,
    give_back: Vec<DeliveryId>,
}

impl Held {
    fn len(&self) -> usize {
        self.ids.len()
    }

    /// What a target holds, queued and in flight.
    fn of(&self, target: Target) -> usize {
        self.queues.get(&target).map_or(0, VecDeque::len) + self.sending.get(&target).copied().unwrap_or(0)
    }

    /// Starts sending `delivery` (to `target`, counted against it).
    fn start(&mut self, target: Option<Target>, delivery: DueDelivery, senders: &Senders, config: &Arc<DeliverConfig>) {
        if let Some(target) = target {
            *self.sending.entry(target).or_default() += 1;
        }
        let id = delivery.id;
        let (senders, config) = (senders.clone(), config.clone());
        let task = self
            .inflight
            .spawn(async move { crate::attempt::attempt(delivery, &senders, &config).await });
        self.tasks.insert(task.id(), (target, id));
    }

    /// Takes claimed deliveries in: queued by target, a full target's given back, one held
    /// already (claimed again after a slow exchange) left alone.
    fn claimed(&mut self, due: Vec<DueDelivery>, per_queue: usize, senders: &Senders, config: &Arc<DeliverConfig>) {
        for delivery in due {
            if !self.ids.insert(delivery.id) {
                continue;
            }
            match Target::of(&delivery) {
                // Nothing can send it (its endpoint was disabled meanwhile): it fails now.
                None => self.start(None, delivery, senders, config),
                Some(target) if self.of(target) >= per_queue => {
                    self.ids.remove(&delivery.id);
                    self.give_back.push(delivery.id);
                }
                Some(target) => self.queues.entry(target).or_default().push_back(delivery),
            }
        }
    }

    /// Starts what the endpoints and the global bound have room for, the targets in turn.
    fn dispatch(&mut self, senders: &Senders, config: &Arc<DeliverConfig>) {
        loop {
            let mut started = false;
            let targets: Vec<Target> = self.queues.keys().copied().collect();
            for target in targets {
                if self.inflight.len() >= config.concurrency {
                    return;
                }
                if self.sending.get(&target).copied().unwrap_or(0) >= config.per_target {
                    continue;
                }
                let Some(delivery) = self.queues.get_mut(&target).and_then(VecDeque::pop_front) else {
                    continue;
                };
                self.start(Some(target), delivery, senders, config);
                started = true;
            }
            self.queues.retain(|_, queue| !queue.is_empty());
            if !started {
                return;
            }
        }
    }

    /// Takes in a finished attempt.
    fn take(&mut self, done: Result<(tokio::task::Id, Attempt), tokio::task::JoinError>) {
        let task = match &done {
            Ok((task, _)) => *task,
            Err(error) => error.id(),
        };
        if let Some((target, id)) = self.tasks.remove(&task) {
            self.ids.remove(&id);
            if let Some(target) = target {
                if let Some(busy) = self.sending.get_mut(&target) {
                    *busy = busy.saturating_sub(1);
                    if *busy == 0 {
                        self.sending.remove(&target);
                    }
                }
            }
        }
        match done {
            Ok((_, attempt)) => self.finished.push(attempt),
            // A panicking attempt leaves its claim to run out: it is made again later.
            Err(error) => log::error!("a delivery attempt failed unexpectedly: {error}"),
        }
    }
}

pub(crate) async fn run(
    store: Store,
    config: Arc<DeliverConfig>,
    senders: Senders,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    match blocking(&store, |store| store.deliveries().recover_claims()).await {
        Ok(0) => {}
        Ok(recovered) => log::info!("{recovered} deliveries claimed before a restart are due again"),
        Err(error) => log::warn!("the outbox's old claims could not be given back: {error}"),
    }
    // Claims are renewed at every exchange while held: one runs out only when this worker has
    // stopped exchanging for this long (died, or lost the database), and another takes over.
    let lease = config.timeout * 2 + Duration::from_secs(60);
    let per_queue = config.per_target * QUEUE_ROUNDS as usize;
    let most_held = config.concurrency * QUEUE_ROUNDS as usize;
    let mut commits = store.team().subscribe_commits();
    let mut intake = Intake::default();
    let mut renewed = Instant::now();
    let mut held = Held {
        inflight: JoinSet::new(),
        tasks: HashMap::new(),
        sending: HashMap::new(),
        queues: HashMap::new(),
        ids: HashSet::new(),
        finished: Vec::new(),
        give_back: Vec::new(),
    };
    while !*stopped.borrow() {
        let last_exchange = Instant::now();
        // Targets without room are not claimed for; a claim fits the one with the least room,
        // so that hardly anything claimed has to be given back.
        let targets: Vec<Target> = held.queues.keys().chain(held.sending.keys()).copied().collect();
        let full = |target: &Target| held.of(*target) >= per_queue;
        let skip: Vec<Endpoint> = targets
            .iter()
            .filter(|target| full(target))
            .filter_map(|target| target.endpoint())
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
            // Renewed well before they run out, not at every exchange: each is a write.
            renew: if renewed.elapsed() >= lease / 4 {
                renewed = Instant::now();
                held.ids.iter().copied().collect()
            } else {
                Vec::new()
            },
            busy_wait: BUSY_TARGET_WAIT,
            claim: i64::try_from(room).unwrap_or(0),
            skip,
            skip_email,
            lease,
            disable_after: config.disable_after,
        };
        let handed = (exchange.attempts.clone(), exchange.give_back.clone());
        match blocking(&store, move |store| store.deliveries().exchange_deliveries(&exchange)).await {
            Ok(ids) => match blocking(&store, {
                let ids = ids.clone();
                move |store| store.deliveries().load_deliveries(&ids)
            })
            .await
            {
                Ok(due) => held.claimed(due, per_queue, &senders, &config),
                Err(error) => {
                    // Claimed but not read: given back at the next exchange.
                    log::warn!("claimed deliveries could not be read: {error}");
                    held.give_back.extend(ids);
                    tokio::time::sleep(DATABASE_BACKOFF).await;
                }
            },
            Err(error) => {
                // Nothing of the exchange happened: the attempts are recorded next time (their
                // claims hold meanwhile).
                log::warn!("the outbox could not be read or written: {error}");
                (held.finished, held.give_back) = handed;
                tokio::time::sleep(DATABASE_BACKOFF).await;
            }
        }

        // Until the next exchange: send, and start the next one as each finishes. Idle, the
        // worker sleeps until a lead commits or the poll interval passes.
        intake.look(&store);
        let interval = if intake.busy() {
            BUSY_EXCHANGE_INTERVAL
        } else {
            EXCHANGE_INTERVAL
        };
        let next_exchange = tokio::time::Instant::from_std(last_exchange + interval);
        let idle_until = tokio::time::Instant::now() + config.poll;
        loop {
            intake.look(&store);
            held.dispatch(&senders, &config);
            let idle = held.len() == 0;
            tokio::select! {
                Some(done) = held.inflight.join_next_with_id(), if !held.inflight.is_empty() => held.take(done),
                _ = commits.recv(), if idle => {
                    // A commit may have owed deliveries: look, but not more often than the
                    // interval allows (under load, commits come every millisecond).
                    intake.look(&store);
                    let interval = if intake.busy() { BUSY_EXCHANGE_INTERVAL } else { EXCHANGE_INTERVAL };
                    tokio::time::sleep_until(tokio::time::Instant::from_std(last_exchange + interval)).await;
                    break;
                }
                () = tokio::time::sleep_until(next_exchange), if !idle => break,
                () = tokio::time::sleep_until(idle_until), if idle => break,
                _ = stopped.changed() => break,
            }
            while let Some(done) = held.inflight.try_join_next_with_id() {
                held.take(done);
            }
            // Attempts waiting to be recorded are worth an exchange (once the interval passed).
            if held.len() == 0 && !held.finished.is_empty() {
                tokio::time::sleep_until(next_exchange).await;
                break;
            }
        }
    }
    drain(&store, &config, held).await;
}

/// The stop: what is queued is given back at once; what is in flight may finish within the
/// drain time, then is cut off and given back too; the attempts made are recorded. A
/// delivery cut off mid-request is sent again by whoever takes it (at least once, as always).
async fn drain(store: &Store, config: &DeliverConfig, mut held: Held) {
    let mut give_back = std::mem::take(&mut held.give_back);
    for (_, queue) in held.queues.drain() {
        give_back.extend(queue.into_iter().map(|delivery| delivery.id));
    }
    let deadline = tokio::time::Instant::now() + config.drain;
    while !held.inflight.is_empty() {
        tokio::select! {
            Some(done) = held.inflight.join_next_with_id() => held.take(done),
            () = tokio::time::sleep_until(deadline) => break,
        }
    }
    let cut_off: Vec<DeliveryId> = held.tasks.values().map(|(_, id)| *id).collect();
    held.inflight.abort_all();
    give_back.extend(cut_off);
    let (recorded, given) = (held.finished.len(), give_back.len());
    let exchange = Exchange {
        attempts: std::mem::take(&mut held.finished),
        give_back,
        renew: Vec::new(),
        // Due at once: nobody here will send them.
        busy_wait: Duration::ZERO,
        claim: 0,
        skip: Vec::new(),
        skip_email: false,
        lease: Duration::ZERO,
        disable_after: config.disable_after,
    };
    match blocking(store, move |store| store.deliveries().exchange_deliveries(&exchange)).await {
        Ok(_) if recorded + given > 0 => log::info!(
            "delivery worker stopped: {recorded} attempts recorded, {given} deliveries given back for another instance or the restart"
        ),
        Ok(_) => {}
        // Their claims run out by themselves (or, on SQLite, are given back at the restart).
        Err(error) => log::warn!("the delivery worker could not give back what it held: {error}"),
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
