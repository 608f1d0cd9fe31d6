//! Opening the database: the backend picked from the URL's scheme, the pools (the single
//! writer, the readers), and the write transaction. What differs between SQLite and
//! PostgreSQL in the SQL they run lives in `dialect.rs`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::dialect;
use crate::{Result, StoreError};

/// A connection to either backend. The variant is always chosen from the URL's scheme by
/// [`Target::parse`], never by trying one after the other (SQLite accepts any text as a path).
#[derive(diesel::MultiConnection)]
pub(crate) enum DbConnection {
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

/// Where a database URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    /// Reads the scheme: `sqlite://PATH` (or `sqlite:PATH`), `postgres://…` or `postgresql://…`.
    pub(crate) fn parse(url: &str) -> Result<Target> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_owned()));
        }
        Ok(Target::Sqlite(sqlite_path(url)?))
    }

    fn backend(&self) -> Backend {
        match self {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL with any password replaced, for messages.
    fn display(&self) -> String {
        match self {
            Target::Sqlite(path) => path.display().to_string(),
            Target::Postgres(url) => redact_password(url),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_once('/').map_or((rest, None), |(a, t)| (a, Some(t)));
    let redacted = match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    match tail {
        Some(tail) => format!("{scheme}://{redacted}/{tail}"),
        None => format!("{scheme}://{redacted}"),
    }
}

/// Opens connections of the URL's backend (r2d2's connection manager, without guessing).
/// Which file a SQLite connection has open (device and inode), to notice when the file at
/// the configured path was deleted or replaced under a running server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId(u64, u64);

impl FileId {
    /// The file at `path` now; `None` when there is none.
    fn of(path: &Path) -> Option<FileId> {
        let metadata = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(FileId(metadata.dev(), metadata.ino()))
        }
        #[cfg(not(unix))]
        {
            let _ = metadata;
            Some(FileId(0, 0))
        }
    }
}

/// A pooled connection; for SQLite, with the file it opened.
pub(crate) struct Pooled {
    conn: DbConnection,
    file: Option<(Arc<PathBuf>, FileId)>,
}

impl Pooled {
    /// Fails unless the SQLite file this connection writes to is still the one at the
    /// configured path. A deleted file would otherwise take writes that vanish with the
    /// process: better refuse them than acknowledge leads nobody will ever see.
    fn ensure_in_place(&self) -> Result<()> {
        match &self.file {
            Some((path, opened)) if FileId::of(path) != Some(*opened) => Err(StoreError::Unavailable(format!(
                "the database file {} was deleted or replaced; restore it and the server uses it again",
                path.display()
            ))),
            _ => Ok(()),
        }
    }
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// Opens connections for r2d2: SQLite or PostgreSQL, by the URL's scheme.
#[derive(Debug)]
pub(crate) struct Manager {
    target: Target,
    /// SQLite: once the database exists, a missing file is an error, never a new empty one.
    created: AtomicBool,
}

impl Manager {
    fn new(target: Target) -> Manager {
        Manager {
            target,
            created: AtomicBool::new(false),
        }
    }
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> std::result::Result<Pooled, diesel::r2d2::Error> {
        let error =
            |message: String| diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(message));
        match &self.target {
            Target::Sqlite(path) => {
                if self.created.load(Ordering::SeqCst) && !path.exists() {
                    return Err(error(format!(
                        "the database file {} is gone; restore it and the server uses it again",
                        path.display()
                    )));
                }
                let text = path
                    .to_str()
                    .ok_or_else(|| error("the path is not valid UTF-8".into()))?;
                let conn = SqliteConnection::establish(text).map_err(diesel::r2d2::Error::ConnectionError)?;
                self.created.store(true, Ordering::SeqCst);
                let file = FileId::of(path).ok_or_else(|| error(format!("{} vanished", path.display())))?;
                Ok(Pooled {
                    conn: DbConnection::Sqlite(conn),
                    file: Some((Arc::new(path.clone()), file)),
                })
            }
            Target::Postgres(url) => Ok(Pooled {
                conn: PgConnection::establish(url)
                    .map(DbConnection::Postgres)
                    .map_err(diesel::r2d2::Error::ConnectionError)?,
                file: None,
            }),
        }
    }

    /// PostgreSQL: the server still answers. SQLite: no other file has taken the path's place
    /// (a restored backup): then this connection is dropped and one to the new file opened.
    /// A path with no file at all keeps the connection, whose writes then fail at once.
    fn is_valid(&self, conn: &mut Pooled) -> std::result::Result<(), diesel::r2d2::Error> {
        match &conn.file {
            Some((path, opened)) => match FileId::of(path) {
                Some(now) if now != *opened => Err(diesel::r2d2::Error::ConnectionError(
                    diesel::ConnectionError::BadConnection("the database file was replaced".into()),
                )),
                _ => Ok(()),
            },
            None => conn.conn.ping().map_err(diesel::r2d2::Error::QueryError),
        }
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        conn.conn.is_broken()
    }
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
}

impl StoreConfig {
    /// Defaults for `url`: 4 readers, `FULL`, 5 s busy timeout, 10 s connection timeout,
    /// at most 4096 queued leads and 16 MiB of them, duplicates suppressed for 10 minutes.
    pub fn new(url: impl Into<String>) -> StoreConfig {
        StoreConfig {
            url: url.into(),
            read_pool_size: 4,
            durability: Durability::Full,
            busy_timeout: Duration::from_secs(5),
            connection_timeout: Duration::from_secs(5),
            write_queue: 4096,
            write_queue_bytes: 16 * 1024 * 1024,
            postgres_writers: 2,
            duplicate_window: Duration::from_secs(600),
            email_deliveries: false,
            confirmations_per_key_per_day: 200,
            push_deliveries: false,
            private_targets: false,
        }
    }
}

pub(crate) type DbPool = Pool<Manager>;

/// The file path of a `sqlite://PATH` URL.
pub fn sqlite_path(url: &str) -> Result<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| {
            let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
            StoreError::Url(format!(
                "unknown scheme {scheme:?}: expected sqlite://PATH, postgres://… or postgresql://…"
            ))
        })?;
    if path.is_empty() || path.contains('?') {
        return Err(StoreError::Url(
            "expected sqlite://PATH with a file path and no options".into(),
        ));
    }
    Ok(PathBuf::from(path))
}

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
pub(crate) fn open(config: &StoreConfig) -> Result<(Backend, DbPool, DbPool, Option<Checkpointer>)> {
    let target = Target::parse(&config.url)?;
    if let Target::Sqlite(path) = &target {
        create_private(path)?;
    }
    let backend = target.backend();
    let shown = target.display();
    let pool = |size: u32, read_only: bool| {
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
            .event_handler(Box::new(PoolEvents {
                pool: if read_only { "readers" } else { "writer" },
            }))
            .build(Manager::new(target.clone()))
            .map_err(|e| StoreError::Unavailable(format!("cannot open {shown}: {e}")))
    };

    // SQLite: exactly one writer, so writers never contend for its lock. PostgreSQL: several
    // (row locks, not a file lock), each paying network round trips in parallel.
    let writers = match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => config.postgres_writers.max(1),
    };
    let writer = pool(writers, false)?;
    dialect::migrate(&mut *writer.get()?)?;
    let readers = pool(config.read_pool_size.max(1), true)?;
    let checkpointer = match backend {
        Backend::Sqlite => Some(Checkpointer::start(pool(1, false)?)?),
        Backend::Postgres => None,
    };
    Ok((backend, writer, readers, checkpointer))
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

/// Creates the SQLite file at `path` if there is none — and its folder, if there is none —
/// readable by this user alone (0600, folders 0700): it holds the webhook secrets and the push
/// key. SQLite gives its `-wal` and `-shm` files the database file's mode. An existing file
/// that others can read is left as it is, with a warning.
fn create_private(path: &Path) -> Result<()> {
    let failed =
        |what: &Path, e: std::io::Error| StoreError::Unavailable(format!("cannot create {}: {e}", what.display()));
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty() && !dir.exists()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| failed(dir, e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            if let Ok(metadata) = std::fs::metadata(path) {
                use std::os::unix::fs::PermissionsExt;
                let mode = metadata.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    log::warn!(
                        "{} can be read by other users (mode {mode:o}), though it holds webhook secrets and the push key: chmod 600 it (and its -wal and -shm files)",
                        path.display()
                    );
                }
            }
            Ok(())
        }
        Err(e) => Err(failed(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_password("postgres://lead:s3cr3t@db:5432/leads"),
            "postgres://lead:***@db:5432/leads"
        );
        assert_eq!(redact_password("postgres://lead@db/leads"), "postgres://lead@db/leads");
        assert_eq!(redact_password("postgresql://a:b@c"), "postgresql://a:***@c");
        assert_eq!(redact_password("sqlite://data/leads.db"), "sqlite://data/leads.db");
    }

    #[test]
    fn sqlite_urls() {
        assert_eq!(
            sqlite_path("sqlite://data/leads.db").unwrap(),
            PathBuf::from("data/leads.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/leads.db").unwrap(),
            PathBuf::from("/var/lib/leads.db")
        );
        assert_eq!(sqlite_path("sqlite:leads.db").unwrap(), PathBuf::from("leads.db"));
        assert_eq!(
            Target::parse("postgres://u@h/db").unwrap(),
            Target::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            Target::parse("postgresql://u@h/db").unwrap(),
            Target::Postgres("postgresql://u@h/db".into())
        );
        assert!(matches!(Target::parse("mysql://x@y/z"), Err(StoreError::Url(m)) if m.contains("mysql")));
        assert!(matches!(sqlite_path("leads.db"), Err(StoreError::Url(_))));
        assert!(matches!(sqlite_path("sqlite://"), Err(StoreError::Url(_))));
    }
}
