//! Group commit: one thread takes leads from a bounded queue and commits them in batches on
//! the single write connection.
//!
//! SQLite has one writer at a time, and with `synchronous = FULL` every commit waits for the
//! disk. Committing each lead on its own therefore caps throughput at the disk's sync rate.
//! Here, while one batch commits, the next leads queue up; the thread then takes all of them
//! (up to [`MAX_BATCH`]) into one `BEGIN IMMEDIATE` transaction, each lead inside its own
//! savepoint so one bad lead cannot fail its neighbours. A lead's answer is released only
//! after the commit holding it has returned, so an acknowledged lead is as durable as before.
//! A full queue is refused at once ([`StoreError::Busy`]) instead of growing without bound.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lead_domain::{Lead, LeadBody, Timestamp, Upload};
use tokio::sync::{broadcast, oneshot};

use crate::db::{write_transaction, DbPool};
use crate::ids::CompanyId;
use crate::intake::duplicates::{fingerprint_of_canonical, prune_table, Fingerprint, Fingerprints};
use crate::models::{Recorded, Scan, SubmitOptions, Tenant};
use crate::outbox::DeliveryPolicy;
use crate::team::attachments::NewFile;
use crate::{Result, StoreError};

/// The most leads one transaction takes.
pub const MAX_BATCH: usize = 512;

/// The most submission log entries a batch of leads writes along.
const LOG_ENTRIES_PER_BATCH: usize = 2 * MAX_BATCH;

/// What a queued lead costs besides its payload (the parsed lead, the job), for the byte bound.
const JOB_OVERHEAD: usize = 512;

/// How often a writer deletes the fingerprints that have left the duplicate window from the
/// table (PostgreSQL; in memory they go with every batch), and the spent proofs of work whose
/// challenges have expired.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// A lead waiting for its batch.
pub(crate) struct Job {
    pub(crate) tenant: Tenant,
    pub(crate) lead: Lead,
    pub(crate) payload: String,
    pub(crate) options: SubmitOptions,
    /// The body's fingerprint, when duplicates of it are to be suppressed.
    pub(crate) fingerprint: Option<Fingerprint>,
    /// The sender's address, normalized (to find the customer).
    pub(crate) email_normalized: String,
    /// The text of the team's notification.
    pub(crate) notice: String,
    /// Its files: each with its type (`None`: refused) and the scanner's verdict.
    pub(crate) files: Vec<QueuedFile>,
    /// What its body says about consent.
    pub(crate) consent: lead_domain::SentConsent,
    reply: oneshot::Sender<Result<Recorded>>,
}

/// A file of a queued lead.
pub(crate) struct QueuedFile {
    pub(crate) upload: Upload,
    /// Its type, read from its bytes; `None`: a type no lead may carry.
    pub(crate) content_type: Option<&'static str>,
    pub(crate) scan: Scan,
}

impl QueuedFile {
    /// What the writer writes of it.
    pub(crate) fn new_file(&self) -> NewFile<'_> {
        NewFile {
            upload: &self.upload,
            content_type: self.content_type,
            scan: self.scan,
        }
    }
}

/// What a queued lead costs the queue's byte bound: its body, its files, and the rest.
fn cost_of(payload: &str, files: &[QueuedFile]) -> usize {
    payload.len() + files.iter().map(|file| file.upload.data.len()).sum::<usize>() + JOB_OVERHEAD
}

/// The queue in front of the writer thread.
#[derive(Clone)]
pub(crate) struct Ingest {
    queue: SyncSender<Job>,
    shared: Arc<Shared>,
    max_bytes: usize,
    duplicate_window: Duration,
}

/// What the writer thread and the rest of the store know of each other.
#[derive(Default)]
pub(crate) struct Shared {
    /// Leads waiting in the queue, and their bytes (payloads plus overhead).
    queued_leads: AtomicUsize,
    queued_bytes: AtomicUsize,
    /// Writer threads running (they end with the store, or never: a batch's panic is caught).
    pub(crate) writers_running: AtomicUsize,
    /// Other writes (the team's, the operator's) waiting for the write connection; the
    /// writer thread lets them go first so a stream of leads cannot starve them.
    pub(crate) others_waiting: AtomicUsize,
    /// The submission log's entries, written along with the next batch.
    pub(crate) log: crate::intake::submissions::LogQueue,
    /// Which deliveries new leads owe.
    pub(crate) owed: DeliveryPolicy,
}

impl Shared {
    /// Nothing queued yet; new leads owe the deliveries of `owed`.
    pub(crate) fn new(owed: DeliveryPolicy) -> Shared {
        Shared {
            owed,
            ..Default::default()
        }
    }

    /// What waits in the queue for the writer right now.
    pub(crate) fn queued(&self) -> QueueLoad {
        QueueLoad {
            leads: self.queued_leads.load(Ordering::SeqCst),
            bytes: self.queued_bytes.load(Ordering::SeqCst),
        }
    }
}

/// What waits in the write queue (see [`Intake::queue_load`](crate::Intake::queue_load)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueLoad {
    /// Leads not yet taken by a writer.
    pub leads: usize,
    /// Their bytes, with what each costs besides its body.
    pub bytes: usize,
}

/// The answer to a queued lead, once its batch has committed (or failed).
pub struct PendingLead(oneshot::Receiver<Result<Recorded>>);

impl PendingLead {
    /// Waits, without blocking a thread, for the commit.
    pub async fn committed(self) -> Result<Recorded> {
        self.0
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the writer stopped".into())))
    }

    /// Waits, blocking this thread, for the commit. Not for async code.
    pub fn wait(self) -> Result<Recorded> {
        self.0
            .blocking_recv()
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the writer stopped".into())))
    }
}

impl Ingest {
    /// Starts the writer thread; it ends when the last `Ingest` is dropped. At most
    /// `capacity` leads and `max_bytes` bytes wait in the queue. A body stored with the same
    /// key within `duplicate_window` is not stored again (zero: off).
    pub(crate) fn start(
        writer: DbPool,
        writers: usize,
        capacity: usize,
        max_bytes: usize,
        duplicate_window: Duration,
        shared: Arc<Shared>,
        commits: broadcast::Sender<Option<CompanyId>>,
    ) -> Result<Ingest> {
        let (queue, jobs) = mpsc::sync_channel(capacity.max(1));
        // Several writers take turns at the queue (PostgreSQL: they commit in parallel, which
        // hides the network round trips); SQLite has exactly one.
        let jobs = Arc::new(Mutex::new(jobs));
        let window_ms = i64::try_from(duplicate_window.as_millis()).unwrap_or(i64::MAX);
        for n in 0..writers.max(1) {
            let (writer, jobs, shared, commits) =
                (writer.clone(), Arc::clone(&jobs), Arc::clone(&shared), commits.clone());
            shared.writers_running.fetch_add(1, Ordering::SeqCst);
            std::thread::Builder::new()
                .name(format!("lead-writer-{n}"))
                .spawn(move || {
                    run(&writer, &jobs, &shared, &commits, window_ms);
                    shared.writers_running.fetch_sub(1, Ordering::SeqCst);
                })
                .map_err(|e| StoreError::Unavailable(format!("cannot start a writer thread: {e}")))?;
        }
        Ok(Ingest {
            queue,
            shared,
            max_bytes,
            duplicate_window,
        })
    }

    /// Queues a lead; [`StoreError::Busy`] when the queue is full (in leads or in bytes).
    /// Its fingerprint is taken here, on the caller's thread, when duplicates are suppressed:
    /// not for spam, which leaves none, and not with an `Idempotency-Key`, which rules instead.
    pub(crate) fn submit(&self, tenant: Tenant, body: LeadBody, options: SubmitOptions) -> Result<PendingLead> {
        let suppress = !self.duplicate_window.is_zero() && !options.spam && options.idempotency_key.is_none();
        let fingerprint = suppress.then(|| fingerprint_of_canonical(body.canonical()));
        let consent = body.consent().clone();
        let (lead, payload, uploads) = body.into_parts();
        // Worked out here, on the caller's thread: the one writer thread has enough to do.
        let files: Vec<QueuedFile> = uploads
            .into_iter()
            .enumerate()
            .map(|(n, upload)| QueuedFile {
                content_type: upload.accepted_type(),
                scan: options.scans.get(n).copied().unwrap_or(Scan::Off),
                upload,
            })
            .collect();
        let cost = cost_of(&payload, &files);
        let before = self.shared.queued_bytes.fetch_add(cost, Ordering::SeqCst);
        if before > 0 && before + cost > self.max_bytes {
            self.shared.queued_bytes.fetch_sub(cost, Ordering::SeqCst);
            return Err(StoreError::Busy);
        }
        self.shared.queued_leads.fetch_add(1, Ordering::SeqCst);
        let (reply, answer) = oneshot::channel();
        let email_normalized = lead.email().normalized();
        let notice = lead.notification_text();
        match self.queue.try_send(Job {
            tenant,
            lead,
            payload,
            options,
            fingerprint,
            email_normalized,
            notice,
            files,
            consent,
            reply,
        }) {
            Ok(()) => Ok(PendingLead(answer)),
            Err(refused) => {
                self.shared.queued_bytes.fetch_sub(cost, Ordering::SeqCst);
                self.shared.queued_leads.fetch_sub(1, Ordering::SeqCst);
                match refused {
                    TrySendError::Full(_) => Err(StoreError::Busy),
                    TrySendError::Disconnected(_) => Err(StoreError::Unavailable("the writer stopped".into())),
                }
            }
        }
    }
}

/// A writer thread: wait for a lead, take whatever else is queued, commit, answer, repeat;
/// now and then, delete the fingerprints that have left the duplicate window.
fn run(
    writer: &DbPool,
    jobs: &Mutex<Receiver<Job>>,
    shared: &Shared,
    commits: &broadcast::Sender<Option<CompanyId>>,
    window_ms: i64,
) {
    let mut last_prune = Instant::now();
    // Opened with the first lead (SQLite: read back from the window's leads), not when the
    // store opens: the operator's commands never store a lead, so they never pay for it.
    let mut opened: Option<Fingerprints> = None;
    while let Some(batch) = next_batch(jobs) {
        let bytes: usize = batch.iter().map(|job| cost_of(&job.payload, &job.files)).sum();
        metrics::histogram!("lead_writer_batch_size").record(batch.len() as f64);
        shared.queued_bytes.fetch_sub(bytes, Ordering::SeqCst);
        shared.queued_leads.fetch_sub(batch.len(), Ordering::SeqCst);
        let_others_write_first(shared);
        let fingerprints = match &mut opened {
            Some(fingerprints) => fingerprints,
            None => {
                let cutoff = Timestamp::now().millis().saturating_sub(window_ms);
                match writer
                    .get()
                    .map_err(StoreError::from)
                    .and_then(|mut conn| Fingerprints::open(&mut conn, cutoff))
                {
                    Ok(fingerprints) => opened.insert(fingerprints),
                    Err(error) => {
                        let cause = format!("the recent leads could not be read: {error}");
                        for job in batch {
                            let _ = job.reply.send(Err(StoreError::Unavailable(cause.clone())));
                        }
                        continue;
                    }
                }
            }
        };
        // A panic must not take the writer down: the leads of this batch get an error (their
        // answers are dropped), and the next batch goes on.
        if catch_unwind(AssertUnwindSafe(|| {
            commit(writer, batch, shared, commits, fingerprints, window_ms)
        }))
        .is_err()
        {
            log::error!("the writer failed on a batch of leads; they were answered with an error");
        }
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = Instant::now();
            let now = Timestamp::now().millis();
            let cutoff = now.saturating_sub(window_ms);
            let in_table = matches!(opened, Some(Fingerprints::Table));
            let pruned = writer.get().map_err(StoreError::from).and_then(|mut conn| {
                write_transaction(&mut conn, |conn| {
                    if in_table {
                        prune_table(conn, cutoff)?;
                    }
                    crate::intake::proofs::prune(conn, now)
                })
            });
            if let Err(error) = pruned {
                log::warn!(
                    "old lead fingerprints and spent proofs of work were not pruned (next try in a minute): {error}"
                );
            }
        }
    }
}

/// Waits for a lead and takes whatever else has queued up (at most [`MAX_BATCH`]); `None`
/// when the store is gone.
fn next_batch(jobs: &Mutex<Receiver<Job>>) -> Option<Vec<Job>> {
    let jobs = jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut batch = vec![jobs.recv().ok()?];
    while batch.len() < MAX_BATCH {
        match jobs.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// Waits (briefly, at most 50 ms) while other writes are waiting for the write connection.
fn let_others_write_first(shared: &Shared) {
    let deadline = Instant::now() + Duration::from_millis(50);
    while shared.others_waiting.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// Commits one batch and answers every lead in it.
fn commit(
    writer: &DbPool,
    batch: Vec<Job>,
    shared: &Shared,
    commits: &broadcast::Sender<Option<CompanyId>>,
    fingerprints: &mut Fingerprints,
    duplicate_window_ms: i64,
) {
    let now = Timestamp::now().millis();
    let cutoff = now.saturating_sub(duplicate_window_ms);
    // The submission log's waiting entries ride along (see `submissions.rs`).
    let entries = shared.log.take(LOG_ENTRIES_PER_BATCH);
    let outcomes = writer.get().map_err(StoreError::from).and_then(|mut conn| {
        write_transaction(&mut conn, |conn| {
            let written = crate::intake::write::write_batch(conn, &batch, fingerprints, now, cutoff, shared.owed)?;
            crate::intake::submissions::write_entries(conn, &entries);
            Ok(written)
        })
    });
    if outcomes.is_err() {
        shared.log.put_back(entries);
    }
    let (outcomes, companies) = match outcomes {
        Ok(written) => {
            fingerprints.committed(written.fingerprints, cutoff);
            (written.answers, written.companies)
        }
        Err(error) => {
            // Nothing of the batch was committed: every lead in it failed.
            let cause = error.to_string();
            let failed = batch
                .iter()
                .map(|_| Err(StoreError::Unavailable(format!("the batch was not committed: {cause}"))))
                .collect();
            (failed, BTreeSet::new())
        }
    };
    for (job, outcome) in batch.into_iter().zip(outcomes) {
        let _ = job.reply.send(outcome);
    }
    // Nobody listening is fine: streams read the database when they start.
    for company in companies {
        let _ = commits.send(Some(company));
    }
}
