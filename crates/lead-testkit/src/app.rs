//! The real server with a fresh database and a company `Acme`, as most black-box tests need it.

use crate::{add_company, Company, Response, Server, TestDb};
use lead_store::Store;

/// A running server on a temporary database, with a company `Acme` (two employees).
pub struct TestApp {
    // Dropped in this order: the server, then the store, then the database itself.
    /// The server process.
    pub server: Server,
    /// A handle on the same database, for set-up and checks.
    pub store: Store,
    /// The company `Acme`, with two employees and a key.
    pub acme: Company,
    /// The database.
    pub db: TestDb,
}

impl TestApp {
    /// The config of [`TestApp::spawn`]: no rate limits.
    pub const CONFIG: &'static str = "[limits]\nper_ip = 0\nper_key = 0\nper_token_writes = 0\n";

    /// [`TestApp::CONFIG`], and every lead looks its key up afresh: for tests that change a
    /// key while the server runs and must not wait out the key cache.
    pub const FRESH_KEYS: &'static str =
        "[limits]\nper_ip = 0\nper_key = 0\nper_token_writes = 0\n[intake]\nkey_cache_ms = 0\n";

    /// Without rate limits: most tests send bursts from one address with one key.
    pub fn spawn() -> TestApp {
        Self::spawn_with_config(Self::CONFIG)
    }

    /// Like `spawn` (no rate limits), with the settings `toml` on top.
    pub fn spawn_with(toml: &str) -> TestApp {
        Self::spawn_with_config(&format!("{}{toml}", Self::CONFIG))
    }

    /// Like `spawn`, with `toml` as the server's config file (over the built-in defaults).
    pub fn spawn_with_config(toml: &str) -> TestApp {
        Self::spawn_on(TestDb::new(), toml)
    }

    /// Like `spawn_with_config`, on `db`.
    pub fn spawn_on(db: TestDb, toml: &str) -> TestApp {
        let store = db.store();
        let acme = add_company(&store, "Acme", 2);
        let config = db.dir.path().join("test.toml");
        std::fs::write(&config, toml).unwrap();
        let config = config.to_str().unwrap();
        let server = Server::start_with_config(&db.url, config);
        TestApp {
            db,
            store,
            acme,
            server,
        }
    }

    /// A request to the team API with `token` as the bearer.
    pub fn team(&self, method: &str, path: &str, token: &str, body: &str) -> Response {
        let bearer = format!("Bearer {token}");
        self.server
            .request(method, path, &[("Authorization", &bearer)], body.as_bytes())
    }

    /// POSTs `body` to the documented path with the key in `X-API-KEY`.
    pub fn post_lead(&self, key: &str, body: &str) -> Response {
        self.server
            .request("POST", "/api/v1/lead.php", &[("X-API-KEY", key)], body.as_bytes())
    }

    /// Row counts of the whole database.
    pub fn totals(&self) -> lead_store::Totals {
        self.store.totals().unwrap()
    }

    /// Asserts that no order, ticket or notification exists.
    pub fn assert_nothing_stored(&self) {
        assert_eq!(self.totals(), lead_store::Totals::default(), "something was stored");
    }
}
