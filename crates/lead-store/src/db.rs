//! Opening the database: URL, connection setup, the single writer, the readers, migrations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::{Result, StoreError};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

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

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
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
}

impl StoreConfig {
    /// Defaults for `url`: 4 readers, `FULL`, 5 s busy timeout, 10 s connection timeout,
    /// 4096 queued leads.
    pub fn new(url: impl Into<String>) -> StoreConfig {
        StoreConfig {
            url: url.into(),
            read_pool_size: 4,
            durability: Durability::Full,
            busy_timeout: Duration::from_secs(5),
            connection_timeout: Duration::from_secs(10),
            write_queue: 4096,
        }
    }
}

pub(crate) type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;

/// The file path of a `sqlite://PATH` URL.
pub fn sqlite_path(url: &str) -> Result<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| {
            let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
            if scheme.starts_with("postgres") {
                StoreError::Url("PostgreSQL is not supported yet; use sqlite://PATH".into())
            } else {
                StoreError::Url("expected sqlite://PATH".into())
            }
        })?;
    if path.is_empty() || path.contains('?') {
        return Err(StoreError::Url(
            "expected sqlite://PATH with a file path and no options".into(),
        ));
    }
    Ok(PathBuf::from(path))
}

/// Sets up every connection as it is opened: lock wait first (its own statement, so it
/// applies to the rest), then foreign keys and durability; readers are made read-only.
#[derive(Debug)]
struct Setup {
    busy_timeout_ms: u128,
    durability: Durability,
    read_only: bool,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Setup {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> std::result::Result<(), diesel::r2d2::Error> {
        let run =
            |conn: &mut SqliteConnection, sql: &str| conn.batch_execute(sql).map_err(diesel::r2d2::Error::QueryError);
        run(conn, &format!("PRAGMA busy_timeout = {};", self.busy_timeout_ms))?;
        run(
            conn,
            &format!(
                "PRAGMA foreign_keys = ON; PRAGMA synchronous = {};",
                self.durability.pragma()
            ),
        )?;
        if self.read_only {
            run(conn, "PRAGMA query_only = ON;")?;
        }
        Ok(())
    }
}

/// Opens (creating if needed) the database, switches it to WAL and applies pending migrations.
/// Returns the writer pool (exactly one connection: SQLite has one writer at a time, so one
/// connection owns that role and nobody contends for the lock) and the reader pool.
pub(crate) fn open(config: &StoreConfig) -> Result<(SqlitePool, SqlitePool)> {
    let path = sqlite_path(&config.url)?;
    create_parent_dir(&path)?;
    let path_text = path
        .to_str()
        .ok_or_else(|| StoreError::Url("the path is not valid UTF-8".into()))?;

    let pool = |size: u32, read_only: bool| {
        Pool::builder()
            .max_size(size)
            .min_idle(Some(if read_only { 1 } else { size }))
            .connection_timeout(config.connection_timeout)
            .test_on_check_out(false)
            .connection_customizer(Box::new(Setup {
                busy_timeout_ms: config.busy_timeout.as_millis(),
                durability: config.durability,
                read_only,
            }))
            .build(ConnectionManager::<SqliteConnection>::new(path_text))
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))
    };

    let writer = pool(1, false)?;
    {
        let mut conn = writer.get()?;
        conn.batch_execute("PRAGMA journal_mode = WAL;")?;
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|e| StoreError::Migration(e.to_string()))?;
    }
    let readers = pool(config.read_pool_size.max(1), true)?;
    Ok((writer, readers))
}

fn create_parent_dir(path: &Path) -> Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(matches!(sqlite_path("postgres://x@y/z"), Err(StoreError::Url(m)) if m.contains("PostgreSQL")));
        assert!(matches!(sqlite_path("leads.db"), Err(StoreError::Url(_))));
        assert!(matches!(sqlite_path("sqlite://"), Err(StoreError::Url(_))));
    }
}
