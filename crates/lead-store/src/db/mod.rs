//! Opening the database: the backend picked from the URL's scheme, the pools (the single
//! writer, the readers), and the write transaction. What differs between SQLite and
//! PostgreSQL in the SQL they run lives in `dialect.rs`.

use std::time::Duration;

use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool};
use diesel::{Connection, PgConnection, SqliteConnection};

mod target;

// The database beyond the connections: every difference between the two engines' SQL, the
// backups and copies, the health check and PostgreSQL's LISTEN.
pub(crate) mod backup;
pub(crate) mod copy;
pub(crate) mod dialect;
pub(crate) mod health;
pub(crate) mod listen;

use crate::{Result, StoreError};

use target::create_private;
pub use target::{redact_password, sqlite_path};
pub(crate) use target::{Manager, Pooled, Target};

/// A connection to either backend. The variant is always chosen from the URL's scheme by
/// [`Target::parse`], never by trying one after the other (SQLite accepts any text as a path).
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// `postgres://` or `postgresql://`.
    Postgres(PgConnection),
    /// `sqlite://PATH`.
    Sqlite(SqliteConnection),
}

/// The database engine behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file.
    Sqlite,
    /// The scale-out path: a PostgreSQL server shared by many instances.
    Postgres,
}

/// How hard SQLite works to keep a committed transaction on power loss (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// `FULL`: the WAL is synced at every commit; an acknowledged lead survives power loss.
    #[default]
    Full,
    /// `NORMAL`: survives a crash of the process, but the last commits can be lost on power loss.
    Normal,
}

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite://PATH` (relative or absolute; `sqlite:///abs/path.db`).
    pub url: String,
    /// Connections for reads (the single writer comes on top).
    pub read_pool_size: u32,
    /// Connections for long reads — exports — apart from the readers, so that the lead
    /// endpoint's key lookups, the live streams and the pages never wait behind one.
    pub long_read_pool_size: u32,
    /// The `synchronous` setting.
    pub durability: Durability,
    /// How long a connection waits for SQLite's lock before failing (`busy_timeout`).
    pub busy_timeout: Duration,
    /// How long an operation waits for a free connection.
    pub connection_timeout: Duration,
    /// How many leads may wait for the writer before new ones are refused as busy.
    pub write_queue: usize,
    /// How many bytes of leads may wait for the writer (bounds memory whatever the bodies' size).
    pub write_queue_bytes: usize,
    /// PostgreSQL: how many connections write leads in parallel (SQLite always has one).
    pub postgres_writers: u32,
    /// A lead with the same body and key as one stored this recently (and no
    /// `Idempotency-Key`) is answered with the first one and not stored again; zero turns
    /// duplicate suppression off.
    pub duplicate_window: Duration,
    /// Whether each new lead owes every active employee who wants one an e-mail (set when an
    /// SMTP server is configured; otherwise nothing could send them).
    pub email_deliveries: bool,
    /// With `email_deliveries`: confirmation e-mails to senders, per key (that sends them)
    /// and day, at most — so that nobody can use the server to mail strangers in bulk.
    pub confirmations_per_key_per_day: u32,
    /// Whether each new lead owes every device of every active employee who wants them a
    /// push message (set when push is configured).
    pub push_deliveries: bool,
    /// Whether push subscriptions may name loopback and private addresses and `http://`
    /// (tests, a push service on the same network); otherwise only public `https://` ones.
    pub private_targets: bool,
    /// The most notes one order, ticket or customer may hold (one member could otherwise
    /// fill a record with millions).
    pub notes_per_record: u32,
}

impl StoreConfig {
    /// Defaults for `url`: 4 readers, `FULL`, 5 s busy timeout, 10 s connection timeout,
    /// at most 4096 queued leads and 64 MiB of them, duplicates suppressed for 10 minutes.
    pub fn new(url: impl Into<String>) -> StoreConfig {
        StoreConfig {
            url: url.into(),
            read_pool_size: 4,
            long_read_pool_size: 2,
            durability: Durability::Full,
            busy_timeout: Duration::from_secs(5),
            connection_timeout: Duration::from_secs(5),
            write_queue: 4096,
            write_queue_bytes: 64 * 1024 * 1024,
            postgres_writers: 2,
            duplicate_window: Duration::from_secs(600),
            email_deliveries: false,
            confirmations_per_key_per_day: 200,
            push_deliveries: false,
            private_targets: false,
            notes_per_record: 1_000,
        }
    }
}

pub(crate) type DbPool = Pool<Manager>;

/// Counts how long taking a connection from a pool waited, and how often it gave up.
#[derive(Debug)]
struct PoolEvents {
    pool: &'static str,
}

impl diesel::r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: diesel::r2d2::event::CheckoutEvent) {
        metrics::histogram!("lead_db_pool_wait_seconds", "pool" => self.pool).record(event.duration().as_secs_f64());
    }

    fn handle_timeout(&self, _: diesel::r2d2::event::TimeoutEvent) {
        metrics::counter!("lead_db_pool_timeouts_total", "pool" => self.pool).increment(1);
    }
}

/// Sets up every connection as it is opened (see [`dialect::setup_statements`]).
#[derive(Debug)]
struct Setup {
    busy_timeout_ms: u128,
    durability: Durability,
    read_only: bool,
}

impl CustomizeConnection<Pooled, diesel::r2d2::Error> for Setup {
    fn on_acquire(&self, conn: &mut Pooled) -> std::result::Result<(), diesel::r2d2::Error> {
        for sql in dialect::setup_statements(&conn.conn, self.busy_timeout_ms, self.durability, self.read_only) {
            conn.batch_execute(&sql).map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Opens (creating the SQLite file and folder if needed) the database and applies pending
/// migrations. Returns the backend, the writer pool (SQLite: exactly one connection, so
/// writers never contend for its lock) and the reader pool.
/// What [`open`] opens: the backend, the writer, the readers, the long readers and (SQLite) the
/// checkpointer.
pub(crate) type Opened = (Backend, DbPool, DbPool, DbPool, Option<Checkpointer>);

pub(crate) fn open(config: &StoreConfig) -> Result<Opened> {
    let target = Target::parse(&config.url)?;
    if let Target::Sqlite(path) = &target {
        create_private(path)?;
    }
    let backend = target.backend();
    let shown = target.display();
    let pool = |size: u32, read_only: bool, name: &'static str| {
        Pool::builder()
            .max_size(size)
            .min_idle(Some(if read_only { 1 } else { size }))
            .connection_timeout(config.connection_timeout)
            // A network connection can break between uses, a file can be deleted or replaced.
            .test_on_check_out(true)
            .connection_customizer(Box::new(Setup {
                busy_timeout_ms: config.busy_timeout.as_millis(),
                durability: config.durability,
                read_only,
            }))
            .event_handler(Box::new(PoolEvents { pool: name }))
            .build(Manager::new(target.clone()))
            .map_err(|e| StoreError::Unavailable(format!("cannot open {shown}: {e}")))
    };

    // SQLite: exactly one writer, so writers never contend for its lock. PostgreSQL: several
    // (row locks, not a file lock), each paying network round trips in parallel.
    let writers = match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => config.postgres_writers.max(1),
    };
    let writer = pool(writers, false, "writer")?;
    dialect::migrate(&mut *writer.get()?)?;
    dialect::reset_foreign_stream_order(&mut *writer.get()?)?;
    let readers = pool(config.read_pool_size.max(1), true, "readers")?;
    let long_readers = pool(config.long_read_pool_size.max(1), true, "long_readers")?;
    let checkpointer = match backend {
        Backend::Sqlite => Some(Checkpointer::start(pool(1, false, "checkpointer")?)?),
        Backend::Postgres => None,
    };
    Ok((backend, writer, readers, long_readers, checkpointer))
}

/// What `lead-server status` learns of a database before opening it as a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// Migrations applied.
    pub applied: usize,
    /// Migrations of this build not applied yet (the server applies them at its start).
    pub pending: Vec<String>,
}

/// Connects to the database of `url` — never creating one — and reads its migrations.
pub fn inspect(url: &str) -> Result<Inspection> {
    let target = Target::parse(url)?;
    if let Target::Sqlite(path) = &target {
        if !path.exists() {
            return Err(StoreError::Unavailable(format!("no database at {}", path.display())));
        }
    }
    let mut conn = Manager::new(target.clone())
        .connect()
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", target.display())))?;
    let (applied, pending) = dialect::migration_state(&mut conn)?;
    Ok(Inspection { applied, pending })
}

/// SQLite: copies the write-ahead log into the database file on a thread of its own, so the
/// writer never stops for it (see [`dialect::setup_statements`]). Stops with the store.
pub(crate) struct Checkpointer {
    _stop: std::sync::mpsc::Sender<()>,
}

impl Checkpointer {
    /// How often the log is copied while leads come in.
    const EVERY: Duration = Duration::from_millis(100);

    fn start(pool: DbPool) -> Result<Checkpointer> {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(Self::EVERY) {
                    // PASSIVE: copies what it can without waiting for anyone.
                    let done = pool
                        .get()
                        .map_err(StoreError::from)
                        .and_then(|mut conn| Ok(conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")?));
                    if let Err(error) = done {
                        log::debug!("no checkpoint this time: {error}");
                    }
                }
            })
            .map_err(|e| StoreError::Unavailable(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer { _stop: stop })
    }
}

/// Creates the database `url` names when it does not exist yet: PostgreSQL's `CREATE
/// DATABASE` through the server's `postgres` database (SQLite creates its file when it is
/// opened anyway). Returns whether it created one.
pub fn create_database_if_missing(url: &str) -> Result<bool> {
    let Target::Postgres(url) = Target::parse(url)? else {
        return Ok(false);
    };
    let missing = match PgConnection::establish(&url) {
        Ok(_) => return Ok(false),
        Err(error) => error,
    };
    let (base, rest) = url
        .rsplit_once('/')
        .ok_or_else(|| StoreError::Url("expected postgres://…/DATABASE".into()))?;
    let (name, options) = rest
        .split_once('?')
        .map_or((rest, ""), |(name, options)| (name, options));
    if name.is_empty() || !missing.to_string().contains("does not exist") {
        return Err(StoreError::Unavailable(format!(
            "cannot connect to {}: {missing}",
            redact_password(&url)
        )));
    }
    let maintenance = match options {
        "" => format!("{base}/postgres"),
        options => format!("{base}/postgres?{options}"),
    };
    let mut server = PgConnection::establish(&maintenance)
        .map_err(|e| StoreError::Unavailable(format!("cannot connect to {}: {e}", redact_password(&maintenance))))?;
    // An identifier, quoted: whatever the name holds, it cannot end the statement.
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    server.batch_execute(&format!("CREATE DATABASE {quoted};"))?;
    Ok(true)
}

/// The PostgreSQL URL, for the listener of other instances' commits.
pub(crate) fn postgres_url(url: &str) -> Option<String> {
    match Target::parse(url) {
        Ok(Target::Postgres(url)) => Some(url),
        _ => None,
    }
}

/// Runs `work` in one write transaction (see [`dialect::begin_write`]): all of it commits,
/// or none of it does.
pub(crate) fn write_transaction<T>(
    pooled: &mut Pooled,
    work: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Result<T> {
    pooled.ensure_in_place()?;
    dialect::begin_write(&mut pooled.conn)?;
    // Checked again right before the commit: that is the moment a lead is acknowledged.
    match work(&mut pooled.conn).and_then(|value| pooled.ensure_in_place().map(|()| value)) {
        Ok(value) => {
            <DbConnection as TransactionManager<DbConnection>>::commit_transaction(&mut pooled.conn)?;
            Ok(value)
        }
        Err(error) => {
            <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(&mut pooled.conn)?;
            Err(error)
        }
    }
}
