//! Storage for the lead gateway: the schema, its migrations, and the operations the product
//! needs — "find the key with this hash", "record this lead for this company", the
//! operator's administration and the inbox queries.
//!
//! Built on Diesel, for SQLite (bundled, WAL mode; the default) and PostgreSQL (many
//! instances on one database), chosen by the URL's scheme. On SQLite one connection writes —
//! every write is a `BEGIN IMMEDIATE` transaction on it, so writers never contend for the
//! lock; on PostgreSQL a few connections write in parallel. A small pool of read-only
//! connections serves reads. Leads take a faster road: writer threads commit them in batches
//! (group commit, see [`Intake::submit_lead`]), answered through a future; on PostgreSQL the
//! commits of other instances are heard through LISTEN/NOTIFY. All other calls block: from
//! async code, run them on a blocking thread.
//!
//! It speaks in types, not strings: one id type per entity, lead-domain's statuses and
//! timestamps, lead-auth's keys, tokens and their states. Depends on `lead-domain` and
//! `lead-auth`; never on HTTP, and callers never see Diesel's types.
//!
//! The operations come by topic, each through a narrow handle on the [`Store`]:
//! [`Store::access`] (companies, employees, keys, tokens, logins, the audit log),
//! [`Store::intake`] (the way in for leads), [`Store::team`] (leads, customers, notes,
//! notifications), [`Store::outbox`] (webhook endpoints, devices, what is owed),
//! [`Store::deliveries`] (sending and its lists) and [`Store::privacy`] (a person's export and
//! erasure, retention). The store itself opens, copies, checks and backs up the database.

// The store's files by topic, each folder with its handle: the database itself (`db/`), who
// may act (`access/`), what is owed to the outside (`outbox/`), the team's records (`team/`),
// and the three that use them — the way in for leads (`intake/`), sending (`deliveries/`) and
// a person's data (`privacy/`). Each folder uses only those before it in this order (checked by
// tests/folders.rs); what they all use stands at the top.
/// Declares a topic's handle: a narrow view of the [`Store`] that carries the operations of
/// one folder (`store.team().leads(…)`), so that a caller names the topic it works in and a
/// folder's code names the topics below it it reaches into. Free to make (a reference), and
/// `Copy`.
macro_rules! handle {
    ($(#[$doc:meta])* $name:ident by $method:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<'a> {
            store: &'a crate::Store,
        }

        impl std::fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(self.store).finish()
            }
        }

        impl crate::Store {
            #[doc = concat!("The operations of [`", stringify!($name), "`].")]
            pub fn $method(&self) -> $name<'_> {
                $name { store: self }
            }
        }
    };
}

mod access;
mod db;
mod deliveries;
mod error;
mod ids;
mod input;
mod intake;
mod models;
mod outbox;
mod privacy;
mod rows;
mod schema;
mod team;

// The topics' handles: `store.team()`, `store.access()` …
pub use access::Access;
pub use deliveries::Deliveries;
pub use intake::Intake;
pub use outbox::Outbox;
pub use privacy::Privacy;
pub use team::Team;

pub use access::audit::AuditEntry;
pub use access::companies::DemoSetup;
pub use access::logins::{LoginCandidate, LoginClient, LoginLimits};
pub use access::scope::Scope;
pub use db::backup::{backup_sqlite, verify as verify_backup, BackupReport};
pub use db::copy::CopyReport;
pub use db::{
    create_database_if_missing, inspect, redact_password, sqlite_path, Backend, Durability, Inspection, StoreConfig,
};
pub use deliveries::{
    Attempt, Delivery, DeliveryFilter, DueDelivery, Exchange, LeadRecord, MailTo, Outcome, OutgoingReply, Quoted,
};
pub use error::{Clash, Entity, Problem, Result, StoreError};
pub use ids::{
    AttachmentId, AuditId, CompanyId, CustomerId, DeliveryId, EmployeeId, KeyId, LeadId, MessageId, NoteId,
    NotificationId, OrderId, PushSubscriptionId, SubmissionId, TicketId, TokenId, WebhookId,
};
pub use intake::backlog::{Backlog, Pending, OVERDUE_MS};
pub use intake::ingest::{PendingLead, QueueLoad, MAX_BATCH};
pub use intake::mail::{Filed, Filing, IncomingMail, MailPosition};
pub use intake::submissions::{NewSubmission, Submission, SubmissionFilter};
pub use models::{
    AutoCustomers, Claimed, Company, Consent, Customer, Employee, EmployeeRef, Hold, KeyInfo, KeyLookup, Member,
    Notification, Recorded, Role, Scan, SubmitOptions, Tenant, TokenInfo, TokenLookup, Totals,
};
pub use outbox::mailbox::{Mailbox, MailboxSettings, MailboxToRead, ReplyRoute, SmtpChoice};
pub use outbox::push::{NewPushSubscription, PushSubscription, VapidKeys, MAX_DEVICES};
pub use outbox::{
    shown_url, Channel, DeliveryStatus, Endpoint, Event, NewWebhook, PushTarget, Webhook, WebhookFormat, WebhookTarget,
    PREVIOUS_SECRET_VALID,
};
pub use privacy::person::{Erased, Mention, PersonData, PersonRows, ANONYMISED_TITLE, REDACTED};
pub use privacy::retention::{PurgeReport, PurgeTask, Purged, Retention, KINDS as PURGE_KINDS};
pub use team::attachments::{Attachment, AttachmentFile};
pub use team::customers::{
    CustomerChange, CustomerChangeEntry, CustomerFile, FromLead, ImportLine, ImportReport, ImportSkip,
    MAX_FURTHER_EMAILS,
};
pub use team::messages::{Direction, Message, MAX_REPLY_CHARS};
pub use team::notes::{Note, NoteOn, NotesPage, MAX_NOTE_CHARS};
pub use team::notifications::{StreamBatch, StreamCursor};
pub use team::records::{LeadKind, LeadQuery, OrderRecord, Owned, OwnerChange, Search, TicketRecord};

/// A handle on the database; cheap to clone and share between threads.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    writer: db::DbPool,
    readers: db::DbPool,
    /// Connections for long reads (see [`Store::for_long_reads`]).
    long_readers: db::DbPool,
    /// Company ids of committed leads, for live streams (see [`Team::subscribe_commits`]).
    commits: tokio::sync::broadcast::Sender<Option<CompanyId>>,
    /// The queue of the group-commit writer thread.
    ingest: intake::ingest::Ingest,
    /// What the writer thread and other writers share.
    shared: std::sync::Arc<intake::ingest::Shared>,
    /// PostgreSQL: the URL to listen on for other instances' commits, and the listener,
    /// started by the first subscription (the server subscribes at start; operator commands
    /// never need one).
    listener: Option<(String, std::sync::Arc<std::sync::OnceLock<db::listen::Listener>>)>,
    /// Who the audit log names for changes made through this handle.
    actor: std::sync::Arc<str>,
    /// The submission log's thread, started by the first entry (operator commands need none).
    submission_log: std::sync::Arc<std::sync::OnceLock<Option<intake::submissions::LogThread>>>,
    /// Whether push subscriptions may name private addresses (see [`StoreConfig`]).
    private_targets: bool,
    /// The most notes one record may hold (see [`StoreConfig`]).
    notes_per_record: u32,
    /// PostgreSQL: when every live stream was last woken by the safety net (milliseconds; see
    /// `wake_streams_notified_after`).
    last_wake_all: std::sync::Arc<std::sync::atomic::AtomicI64>,
    /// The last health check: when, and what it found (reused briefly, see `check_health`).
    last_health: std::sync::Arc<std::sync::Mutex<Option<db::health::Checked>>>,
    /// SQLite: the thread that checkpoints the write-ahead log, while any handle lives.
    _checkpointer: Option<std::sync::Arc<db::Checkpointer>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("readers", &self.readers.max_size())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database of `config`, creating file and folder if needed, and migrates it.
    pub fn open(config: &StoreConfig) -> Result<Store> {
        let (backend, writer, readers, long_readers, checkpointer) = db::open(config)?;
        {
            let mut conn = writer.get()?;
            let healed = db::write_transaction(&mut conn, team::customers::heal_main_addresses)?;
            if healed > 0 {
                log::info!("{healed} customers added by an older version got the row of their address");
            }
        }
        // A slow subscriber that falls this far behind just re-reads the database.
        let (commits, _) = tokio::sync::broadcast::channel(1024);
        let shared = std::sync::Arc::new(intake::ingest::Shared::new(outbox::DeliveryPolicy {
            email: config.email_deliveries,
            push: config.push_deliveries,
            confirmations_per_day: i64::from(config.confirmations_per_key_per_day),
        }));
        let ingest = intake::ingest::Ingest::start(
            writer.clone(),
            writer.max_size() as usize,
            config.write_queue,
            config.write_queue_bytes,
            config.duplicate_window,
            shared.clone(),
            commits.clone(),
        )?;
        let listener = db::postgres_url(&config.url).map(|url| (url, Default::default()));
        Ok(Store {
            backend,
            writer,
            readers,
            long_readers,
            commits,
            ingest,
            shared,
            listener,
            actor: "lead-server".into(),
            submission_log: Default::default(),
            private_targets: config.private_targets,
            notes_per_record: config.notes_per_record,
            last_wake_all: Default::default(),
            last_health: Default::default(),
            _checkpointer: checkpointer.map(std::sync::Arc::new),
        })
    }

    /// The same store, its reads on connections of their own: for long reads (a CSV export
    /// of every order), which then never hold a connection the lead endpoint's key lookups,
    /// the live streams or the pages wait for. Writes go to the writer as ever.
    pub fn for_long_reads(&self) -> Store {
        Store {
            readers: self.long_readers.clone(),
            ..self.clone()
        }
    }

    /// The same store, recording `actor` in the audit log for the changes made through it.
    pub fn acting_as(mut self, actor: impl Into<String>) -> Store {
        self.actor = actor.into().into();
        self
    }

    /// The database engine this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs `work` in one write transaction on the writer connection: all of it commits, or
    /// none of it does.
    fn write<T>(&self, work: impl FnOnce(&mut db::DbConnection) -> Result<T>) -> Result<T> {
        use std::sync::atomic::Ordering;
        // Tell the lead writer to let us in between two batches.
        self.shared.others_waiting.fetch_add(1, Ordering::SeqCst);
        let conn = self.writer.get();
        self.shared.others_waiting.fetch_sub(1, Ordering::SeqCst);
        db::write_transaction(&mut *conn?, work)
    }

    /// After an erasure: on SQLite, the write-ahead log copied into the database file and
    /// emptied, so that the page images it held of the erased rows are gone from the disk too
    /// (the file itself overwrites what is deleted: `secure_delete`). A log that readers keep
    /// from emptying now is emptied by the next checkpoint that gets through; said in the log.
    fn wipe_log(&self) {
        use std::sync::atomic::Ordering;
        self.shared.others_waiting.fetch_add(1, Ordering::SeqCst);
        let conn = self.writer.get();
        self.shared.others_waiting.fetch_sub(1, Ordering::SeqCst);
        match conn
            .map_err(StoreError::from)
            .and_then(|mut conn| db::dialect::truncate_log(&mut conn))
        {
            Ok(true) => {}
            Ok(false) => log::warn!(
                "the write-ahead log could not be emptied after an erasure (readers were busy); \
                 the next checkpoint copies the erased pages over"
            ),
            Err(error) => log::warn!("the write-ahead log could not be emptied after an erasure: {error}"),
        }
    }

    /// Runs `work` on a read-only connection.
    fn read<T>(&self, work: impl FnOnce(&mut db::DbConnection) -> Result<T>) -> Result<T> {
        let mut conn = self.readers.get()?;
        work(&mut conn)
    }
}
