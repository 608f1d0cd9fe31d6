//! The submission log: every request to the lead endpoint, accepted or not — what a website
//! developer looks at to see why a form fails. Entries are queued (a log must never block a
//! lead) and written by whoever writes next: the lead writer, in the transaction of its next
//! batch — so while leads come in, the log costs no commit and no turn at the write
//! connection of its own (measured: its own transaction every quarter second stalled the
//! leads behind it, doubling their p99) — or, when no lead came for a moment, the log's own
//! thread. Entries past their retention go with the purge (`retention.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::db::{write_transaction, DbConnection, DbPool};
use crate::ids::{CompanyId, SubmissionId};
use crate::intake::ingest::Shared;
use crate::intake::Intake;
use crate::schema::submissions;
use crate::Result;

/// Entries waiting to be written at most; beyond, new ones are dropped (and counted in the log).
const QUEUE: usize = 65_536;
/// Bytes of entries waiting to be written at most (their texts plus [`ENTRY_OVERHEAD`]), so
/// that a flood of large failed bodies cannot grow the queue's memory past this.
const QUEUE_BYTES: usize = 8 * 1024 * 1024;
/// What an entry costs besides its texts, for the byte bound.
const ENTRY_OVERHEAD: usize = 128;
/// The most characters of an `Origin` header that are kept (a real origin is far shorter).
const MAX_ORIGIN_CHARS: usize = 255;
/// Rows per insert statement (well below both databases' limits on bound parameters).
const ROWS_PER_INSERT: usize = 1_000;
/// How often the queue is written out.
const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// One request to the lead endpoint, as it is logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubmission {
    /// When it arrived.
    pub at: Timestamp,
    /// The company of its key, when the key was valid.
    pub company_id: Option<CompanyId>,
    /// The display prefix of the key it presented, if any (never the key).
    pub key_prefix: Option<String>,
    /// Its `Origin` header: the website it came from.
    pub origin: Option<String>,
    /// The client's address (behind a trusted proxy: from `X-Forwarded-For`).
    pub client_ip: Option<String>,
    /// The answer's status.
    pub status: i32,
    /// The error code of the answer, for failures.
    pub code: Option<String>,
    /// The body's size in bytes.
    pub size: i64,
    /// For failures: the body, at most 8 KiB, with keys redacted.
    pub body: Option<String>,
    /// Why it was answered as it was, where the status does not say it (a form's redirect
    /// that was not followed).
    pub note: Option<String>,
}

/// An entry as it waits in the queue and is written (a row of `submissions`).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = submissions, treat_none_as_default_value = false)]
pub(crate) struct LoggedSubmission {
    at: i64,
    company_id: Option<CompanyId>,
    key_prefix: Option<String>,
    origin: Option<String>,
    client_ip: Option<String>,
    status: i32,
    code: Option<String>,
    size: i64,
    body: Option<String>,
    note: Option<String>,
}

impl From<NewSubmission> for LoggedSubmission {
    fn from(entry: NewSubmission) -> Self {
        LoggedSubmission {
            at: entry.at.millis(),
            company_id: entry.company_id,
            key_prefix: entry.key_prefix,
            // A real origin is far shorter.
            origin: entry.origin.map(|origin| at_most(origin, MAX_ORIGIN_CHARS)),
            client_ip: entry.client_ip,
            status: entry.status,
            code: entry.code,
            size: entry.size,
            body: entry.body,
            note: entry.note,
        }
    }
}

impl LoggedSubmission {
    /// What the entry costs in the queue.
    fn cost(&self) -> usize {
        let texts = [
            &self.key_prefix,
            &self.origin,
            &self.client_ip,
            &self.code,
            &self.body,
            &self.note,
        ];
        ENTRY_OVERHEAD
            + texts
                .iter()
                .map(|text| text.as_ref().map_or(0, String::len))
                .sum::<usize>()
    }
}

/// A logged request.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Submission {
    /// Its id.
    pub id: SubmissionId,
    /// When it arrived.
    #[diesel(deserialize_as = i64)]
    pub at: Timestamp,
    /// The company of its key, when the key was valid.
    pub company_id: Option<CompanyId>,
    /// The display prefix of the presented key.
    pub key_prefix: Option<String>,
    /// Its `Origin`.
    pub origin: Option<String>,
    /// The client's address.
    pub client_ip: Option<String>,
    /// The answer's status.
    pub status: i32,
    /// The error code, for failures.
    pub code: Option<String>,
    /// The body's size in bytes.
    pub size: i64,
    /// For failures: the body (at most 8 KiB, keys redacted).
    pub body: Option<String>,
    /// Why it was answered as it was, where the status does not say it.
    pub note: Option<String>,
}

impl Submission {
    /// Whether the request failed (anything but a stored lead).
    pub fn failed(&self) -> bool {
        self.code.is_some()
    }
}

/// Which logged requests to list.
#[derive(Debug, Clone, Default)]
pub struct SubmissionFilter {
    /// Only this company's (requests with its valid keys).
    pub company_id: Option<CompanyId>,
    /// Only keys whose display prefix starts with this.
    pub key_prefix: Option<String>,
    /// Only failures.
    pub failed_only: bool,
    /// Only ids below this (the previous page's cursor).
    pub before: Option<SubmissionId>,
    /// At most this many.
    pub limit: Option<i64>,
    /// Only requests at or after this time.
    pub since: Option<Timestamp>,
    /// Only requests before this time.
    pub until: Option<Timestamp>,
}

/// The entries waiting to be written, bounded in entries and in bytes.
pub(crate) struct LogQueue {
    sender: SyncSender<LoggedSubmission>,
    receiver: Mutex<Receiver<LoggedSubmission>>,
    /// Bytes of the entries in the queue (see [`NewSubmission::cost`]).
    queued_bytes: AtomicUsize,
}

impl Default for LogQueue {
    fn default() -> Self {
        let (sender, receiver) = mpsc::sync_channel(QUEUE);
        LogQueue {
            sender,
            receiver: Mutex::new(receiver),
            queued_bytes: AtomicUsize::new(0),
        }
    }
}

impl LogQueue {
    /// Queues `entry` unless the queue is full, in entries or in bytes.
    fn push(&self, entry: LoggedSubmission) -> bool {
        let cost = entry.cost();
        if self.queued_bytes.fetch_add(cost, Ordering::SeqCst) + cost > QUEUE_BYTES {
            self.queued_bytes.fetch_sub(cost, Ordering::SeqCst);
            return false;
        }
        match self.sender.try_send(entry) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.queued_bytes.fetch_sub(cost, Ordering::SeqCst);
                false
            }
        }
    }

    /// Takes at most `max` waiting entries, oldest first (none while another writer takes).
    pub(crate) fn take(&self, max: usize) -> Vec<LoggedSubmission> {
        let Ok(receiver) = self.receiver.try_lock() else {
            return Vec::new();
        };
        let taken: Vec<LoggedSubmission> = receiver.try_iter().take(max).collect();
        self.queued_bytes
            .fetch_sub(taken.iter().map(LoggedSubmission::cost).sum(), Ordering::SeqCst);
        taken
    }

    /// Queues again what a transaction that did not commit had taken (as far as it fits).
    pub(crate) fn put_back(&self, entries: Vec<LoggedSubmission>) {
        let total = entries.len();
        let lost = entries
            .into_iter()
            .map(|entry| self.push(entry))
            .filter(|queued| !queued)
            .count();
        if lost > 0 {
            log::warn!("{lost} of {total} submission log entries were lost with a failed transaction");
        }
    }
}

/// Writes `entries` in the caller's transaction, never failing it: a chunk that fails (one
/// odd entry) is written row by row in savepoints, so one entry cannot cost the others.
pub(crate) fn write_entries(conn: &mut DbConnection, entries: &[LoggedSubmission]) {
    for rows in entries.chunks(ROWS_PER_INSERT) {
        if conn.transaction(|conn| insert(conn, rows)).is_err() {
            for row in rows {
                if let Err(error) = conn.transaction(|conn| insert(conn, std::slice::from_ref(row))) {
                    log::warn!("a submission log entry was not written: {error}");
                }
            }
        }
    }
}

/// The log's own thread, started with the first entry: it writes what no lead batch took,
/// It stops, writing what is left, with the store. (Old entries go with the purge, see
/// `retention.rs`.)
pub(crate) struct LogThread {
    _stop: mpsc::Sender<()>,
}

impl LogThread {
    pub(crate) fn start(writer: DbPool, shared: Arc<Shared>) -> Result<LogThread> {
        let (stop, stopped) = mpsc::channel();
        std::thread::Builder::new()
            .name("submission-log".into())
            .spawn(move || run(&writer, &shared, &stopped))
            .map_err(|e| crate::StoreError::Unavailable(format!("cannot start the submission log: {e}")))?;
        Ok(LogThread { _stop: stop })
    }
}

/// `text` cut to at most `max` characters.
fn at_most(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_owned(),
        None => text,
    }
}

impl Intake<'_> {
    /// Logs a request to the lead endpoint. Never blocks and never fails a request: when the
    /// log cannot keep up (its queue is bounded in entries and in bytes), entries are dropped
    /// (and that is logged). At most 255 characters of the `Origin` are kept.
    pub fn log_submission(&self, entry: NewSubmission) {
        self.store.submission_log.get_or_init(|| {
            LogThread::start(self.store.writer.clone(), self.store.shared.clone())
                .map_err(|e| log::error!("{e}"))
                .ok()
        });
        if !self.store.shared.log.push(entry.into()) {
            log::warn!("the submission log is behind: an entry was dropped");
        }
    }

    /// Logged requests, newest first.
    pub fn list_submissions(&self, filter: &SubmissionFilter) -> Result<Vec<Submission>> {
        self.store.read(|conn| {
            let mut query = submissions::table.order(submissions::id.desc()).into_boxed();
            if let Some(company) = filter.company_id {
                query = query.filter(submissions::company_id.eq(company));
            }
            if let Some(prefix) = &filter.key_prefix {
                query = query.filter(
                    submissions::key_prefix
                        .like(format!("{}%", escape_like(prefix)))
                        .escape('\\'),
                );
            }
            if filter.failed_only {
                query = query.filter(submissions::code.is_not_null());
            }
            if let Some(before) = filter.before {
                query = query.filter(submissions::id.lt(before));
            }
            if let Some(since) = filter.since {
                query = query.filter(submissions::at.ge(since.millis()));
            }
            if let Some(until) = filter.until {
                query = query.filter(submissions::at.lt(until.millis()));
            }
            if let Some(limit) = filter.limit {
                query = query.limit(limit);
            }
            Ok(query.load(conn)?)
        })
    }
}

fn insert(conn: &mut DbConnection, rows: &[LoggedSubmission]) -> Result<()> {
    crate::db::dialect::insert_rows!(conn, submissions, rows);
    Ok(())
}

fn escape_like(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '\\' | '%' | '_' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// The log's thread: now and then, write what the lead writer did not take.
fn run(writer: &DbPool, shared: &Shared, stopped: &Receiver<()>) {
    let mut open = true;
    while open {
        // Woken by the clock, not by each entry: a request that logs must not pay for waking
        // this thread.
        open = matches!(stopped.recv_timeout(FLUSH_EVERY), Err(RecvTimeoutError::Timeout));
        let batch = shared.log.take(10 * ROWS_PER_INSERT);
        if batch.is_empty() {
            continue;
        }
        shared.others_waiting.fetch_add(1, Ordering::SeqCst);
        let conn = writer.get();
        shared.others_waiting.fetch_sub(1, Ordering::SeqCst);
        let written = conn.map_err(crate::StoreError::from).and_then(|mut conn| {
            write_transaction(&mut conn, |conn| {
                write_entries(conn, &batch);
                Ok(())
            })
        });
        if let Err(error) = written {
            log::warn!("{} submission log entries were not written: {error}", batch.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(body_bytes: usize) -> LoggedSubmission {
        let entry = NewSubmission {
            at: Timestamp::from_millis(0),
            company_id: Some(CompanyId::new(1)),
            key_prefix: Some("lgw_abcdefgh".into()),
            origin: None,
            client_ip: Some("127.0.0.1".into()),
            status: 400,
            code: Some("missing_field".into()),
            size: 0,
            body: Some("x".repeat(body_bytes)),
            note: None,
        };
        entry.into()
    }

    #[test]
    fn the_queue_is_bounded_in_bytes_as_well_as_entries() {
        let log = LogQueue::default();
        // Failed bodies of 8 KiB: the byte bound comes long before the entry bound.
        let cost = entry(8 * 1024).cost();
        let fit = (0..QUEUE).take_while(|_| log.push(entry(8 * 1024))).count();
        assert_eq!(fit, QUEUE_BYTES / cost);
        assert!(fit < QUEUE, "{fit}");
        assert_eq!(
            log.queued_bytes.load(Ordering::SeqCst),
            fit * cost,
            "a refused entry costs nothing"
        );
        // Small entries still fit in what is left; once the writer took some, big ones again.
        assert!(log.push(entry(0)));
        assert_eq!(log.take(10).len(), 10);
        assert!(log.push(entry(8 * 1024)));
    }

    #[test]
    fn origins_are_cut_by_characters() {
        assert_eq!(
            at_most("ä".repeat(300), MAX_ORIGIN_CHARS).chars().count(),
            MAX_ORIGIN_CHARS
        );
        assert_eq!(at_most("https://x.de".into(), MAX_ORIGIN_CHARS), "https://x.de");
    }
}
