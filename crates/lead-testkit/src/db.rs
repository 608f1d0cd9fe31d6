//! A fresh database per test, on either backend: a SQLite file in a temporary folder, or a
//! PostgreSQL database of its own on the server `LEAD_TEST_POSTGRES_URL` names.

use std::path::{Path, PathBuf};

use lead_store::{Store, StoreConfig};
use tempfile::TempDir;

/// The database engine a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A database on the PostgreSQL server.
    Postgres,
}

thread_local! {
    static BACKEND: std::cell::Cell<Backend> = const { std::cell::Cell::new(Backend::Sqlite) };
}

/// The server for PostgreSQL tests, from `LEAD_TEST_POSTGRES_URL` (e.g.
/// `postgres://postgres@127.0.0.1:5432/test`); each test gets a database of its own there.
pub fn postgres_url() -> Option<String> {
    std::env::var("LEAD_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// Runs `test` with `TestDb::new()` (and so `TestApp::spawn()`) on `backend`. PostgreSQL
/// tests are skipped, saying so, when `LEAD_TEST_POSTGRES_URL` is not set.
pub fn with_backend(backend: Backend, test: impl FnOnce()) {
    if backend == Backend::Postgres && postgres_url().is_none() {
        eprintln!("skipped: set LEAD_TEST_POSTGRES_URL to run the PostgreSQL variant of this test");
        return;
    }
    BACKEND.with(|b| b.set(backend));
    test();
}

/// A fresh database: a SQLite file in a temporary folder, or a PostgreSQL database of its
/// own (dropped again at the end), depending on the test's backend.
pub struct TestDb {
    /// A temporary folder of the test's own (the SQLite file, config files).
    pub dir: TempDir,
    /// The database URL.
    pub url: String,
    /// The engine.
    pub backend: Backend,
    /// SQLite: the database file.
    file: PathBuf,
    /// PostgreSQL: the database's name, and the maintenance URL it was created through.
    postgres: Option<(String, String)>,
}

impl Default for TestDb {
    fn default() -> TestDb {
        TestDb::new()
    }
}

impl TestDb {
    /// A fresh database of the test's backend.
    pub fn new() -> TestDb {
        Self::new_on(BACKEND.with(|b| b.get()))
    }

    /// A fresh database of `backend`.
    pub fn new_on(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let file = dir.path().join("leads.db");
                Self::sqlite_at(dir, file)
            }
            Backend::Postgres => {
                use diesel::connection::SimpleConnection;
                static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
                let server = postgres_url().expect("LEAD_TEST_POSTGRES_URL");
                let name = format!(
                    "lead_test_{}_{}",
                    std::process::id(),
                    NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                );
                // One statement each: PostgreSQL runs a multi-statement batch as one transaction,
                // and CREATE / DROP DATABASE refuse to run inside one.
                let mut admin_conn = admin(&server);
                admin_conn
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name};"))
                    .unwrap();
                admin_conn
                    .batch_execute(&format!("CREATE DATABASE {name};"))
                    .unwrap_or_else(|e| panic!("cannot create a test database on {server}: {e}"));
                let base = server
                    .rsplit_once('/')
                    .map_or(server.as_str(), |(base, _)| base)
                    .to_owned();
                let url = format!("{base}/{name}");
                TestDb {
                    dir,
                    url,
                    backend: Backend::Postgres,
                    file: PathBuf::new(),
                    postgres: Some((name, server)),
                }
            }
        }
    }

    /// A SQLite database in `file`, which `dir` holds (and removes at the end).
    pub fn sqlite_at(dir: TempDir, file: PathBuf) -> TestDb {
        TestDb {
            url: format!("sqlite://{}", file.display()),
            dir,
            backend: Backend::Sqlite,
            file,
            postgres: None,
        }
    }

    /// The SQLite file (SQLite tests only).
    pub fn path(&self) -> PathBuf {
        assert_eq!(self.backend, Backend::Sqlite, "a file path exists only for SQLite");
        self.file.clone()
    }

    /// PostgreSQL: runs `sql` on the maintenance database (where the test database can be
    /// closed to connections and opened again).
    pub fn execute_on_server(&self, sql: &str) {
        use diesel::connection::SimpleConnection;
        let (_, server) = self.postgres.as_ref().expect("a PostgreSQL test database");
        admin(server).batch_execute(sql).unwrap();
    }

    /// PostgreSQL: the test database's name.
    pub fn postgres_name(&self) -> Option<&str> {
        self.postgres.as_ref().map(|(name, _)| name.as_str())
    }

    /// A store on the database.
    pub fn store(&self) -> Store {
        self.store_with(|_| {})
    }

    /// A store on the database, with settings changed by `configure`.
    pub fn store_with(&self, configure: impl FnOnce(&mut StoreConfig)) -> Store {
        let mut config = StoreConfig::new(self.url.clone());
        configure(&mut config);
        Store::open(&config).unwrap()
    }

    /// Runs SQL on a connection of its own: `sqlite` or `postgres`, whichever fits.
    pub fn execute(&self, sqlite: &str, postgres: &str) {
        use diesel::connection::SimpleConnection;
        match self.backend {
            Backend::Sqlite => raw_sqlite(&self.path()).batch_execute(sqlite).unwrap(),
            Backend::Postgres => admin(&self.url).batch_execute(postgres).unwrap(),
        }
    }

    /// The number `sql` (one row, one column `n`, the same SQL on both backends) selects, on
    /// a connection of its own: what a test checks that the store's API does not show.
    pub fn number(&self, sql: &str) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Number {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let query = diesel::sql_query(sql);
        let found: Number = match self.backend {
            Backend::Sqlite => query.get_result(&mut raw_sqlite(&self.path())),
            Backend::Postgres => query.get_result(&mut admin(&self.url)),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
        found.n
    }

    /// Makes every insert into `notifications` fail with `message`, to prove atomicity.
    pub fn fail_notification_inserts(&self, message: &str) {
        self.execute(
            &format!(
                "CREATE TRIGGER fail_notifications BEFORE INSERT ON notifications \
                 BEGIN SELECT RAISE(ABORT, '{message}'); END;"
            ),
            &format!(
                "CREATE FUNCTION fail_notifications() RETURNS trigger AS $$ \
                 BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql; \
                 CREATE TRIGGER fail_notifications BEFORE INSERT ON notifications \
                 FOR EACH ROW EXECUTE FUNCTION fail_notifications();"
            ),
        );
    }

    /// Holds the database's write path from another connection until `release` (SQLite:
    /// the write lock; PostgreSQL: an exclusive lock on `web_orders`).
    pub fn hold_writes(&self) -> HeldWrites {
        use diesel::connection::SimpleConnection;
        match self.backend {
            Backend::Sqlite => {
                let mut conn = raw_sqlite(&self.path());
                conn.batch_execute("BEGIN IMMEDIATE;").unwrap();
                HeldWrites::Sqlite(conn)
            }
            Backend::Postgres => {
                let mut conn = admin(&self.url);
                conn.batch_execute("BEGIN; LOCK TABLE web_orders IN ACCESS EXCLUSIVE MODE;")
                    .unwrap();
                HeldWrites::Postgres(conn)
            }
        }
    }
}

/// A lock held by [`TestDb::hold_writes`].
pub enum HeldWrites {
    /// SQLite's write lock.
    Sqlite(diesel::SqliteConnection),
    /// PostgreSQL's lock on `web_orders`.
    Postgres(diesel::PgConnection),
}

impl HeldWrites {
    /// Lets the writes through.
    pub fn release(self) {
        use diesel::connection::SimpleConnection;
        match self {
            HeldWrites::Sqlite(mut conn) => conn.batch_execute("COMMIT;").unwrap(),
            HeldWrites::Postgres(mut conn) => conn.batch_execute("COMMIT;").unwrap(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        use diesel::connection::SimpleConnection;
        if let Some((name, server)) = &self.postgres {
            let _ = admin(server).batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE);"));
        }
    }
}

/// A plain PostgreSQL connection (test set-up only).
fn admin(url: &str) -> diesel::PgConnection {
    use diesel::Connection;
    diesel::PgConnection::establish(url).unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
}

/// Opens a raw SQLite connection, for injecting faults only.
pub fn raw_sqlite(path: &Path) -> diesel::SqliteConnection {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    // The running server writes now and then on its own (its delivery worker): wait for it.
    conn.batch_execute("PRAGMA busy_timeout = 5000").unwrap();
    conn
}
