//! Test helpers: start the real `lead-server` binary on port 0 with a fresh temporary SQLite
//! database, speak raw HTTP/1.1 to it, and capture everything it prints.

#![allow(dead_code)] // each test file uses its own part of the helpers

pub mod browser;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use lead_auth::{ApiKey, EmployeeToken};
use lead_store::{Id, Store, StoreConfig};
use serde_json::Value;
use tempfile::TempDir;

/// The binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_lead-server")
}

/// A company made through the product's own operations, with a working key.
#[derive(Debug, Clone)]
pub struct Company {
    pub id: Id,
    pub key: String,
    pub key_id: Id,
    pub employees: Vec<Id>,
}

/// Creates a company with `employees` active employees and one key.
pub fn add_company(store: &Store, name: &str, employees: usize) -> Company {
    let id = store.add_company(name).unwrap();
    let key = ApiKey::generate().unwrap();
    let key_id = store
        .add_key(id, &key.display_prefix(), key.hash().as_str(), "test")
        .unwrap();
    let employees = (0..employees)
        .map(|i| {
            store
                .add_employee(id, &format!("Mitarbeiter {i}"), &format!("m{i}@company{id}.example"))
                .unwrap()
        })
        .collect();
    Company {
        id,
        key: key.expose().to_owned(),
        key_id,
        employees,
    }
}

/// Issues a team-API token for an employee through the product's own operations.
pub fn token_for(store: &Store, employee_id: Id) -> String {
    let token = EmployeeToken::generate().unwrap();
    store
        .add_employee_token(employee_id, &token.display_prefix(), token.hash().as_str())
        .unwrap();
    token.expose().to_owned()
}

/// The database engine a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
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

/// Declares a test twice, as `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! backend_test {
    (fn $name:ident() $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn sqlite() {
                common::with_backend(common::Backend::Sqlite, || $body)
            }

            #[test]
            fn postgres() {
                common::with_backend(common::Backend::Postgres, || $body)
            }
        }
    };
}

/// A fresh database: a SQLite file in a temporary folder, or a PostgreSQL database of its
/// own (dropped again at the end), depending on the test's backend.
pub struct TestDb {
    pub dir: TempDir,
    pub url: String,
    pub backend: Backend,
    /// SQLite: the database file.
    file: PathBuf,
    /// PostgreSQL: the database's name, and the maintenance URL it was created through.
    postgres: Option<(String, String)>,
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

    pub fn store(&self) -> Store {
        Store::open(&StoreConfig::new(self.url.clone())).unwrap()
    }

    /// Runs SQL on a connection of its own: `sqlite` or `postgres`, whichever fits.
    pub fn execute(&self, sqlite: &str, postgres: &str) {
        use diesel::connection::SimpleConnection;
        match self.backend {
            Backend::Sqlite => raw_sqlite(&self.path()).batch_execute(sqlite).unwrap(),
            Backend::Postgres => admin(&self.url).batch_execute(postgres).unwrap(),
        }
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
    Sqlite(diesel::SqliteConnection),
    Postgres(diesel::PgConnection),
}

impl HeldWrites {
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

/// A running server on a temporary database, with a company `Acme` (two employees).
pub struct TestApp {
    // Dropped in this order: the server, then the store, then the database itself.
    pub server: Server,
    pub store: Store,
    pub acme: Company,
    pub db: TestDb,
}

impl TestApp {
    /// Without rate limits: most tests send bursts from one address with one key.
    pub fn spawn() -> TestApp {
        Self::spawn_with_config("[limits]\nper_ip = 0\nper_key = 0\n")
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
        let server = Server::spawn(
            &[
                "--config",
                config,
                "--database-url",
                &db.url,
                "serve",
                "--bind",
                "127.0.0.1:0",
            ],
            &[],
        );
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

    pub fn totals(&self) -> lead_store::Totals {
        self.store.totals().unwrap()
    }

    /// Asserts that no order, ticket or notification exists.
    pub fn assert_nothing_stored(&self) {
        assert_eq!(self.totals(), lead_store::Totals::default(), "something was stored");
    }
}

/// A `lead-server serve` child process and everything it printed.
pub struct Server {
    pub addr: SocketAddr,
    child: Child,
    /// Every line printed, with `true` for standard error.
    output: Arc<Mutex<Vec<(bool, String)>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Starts `serve --bind 127.0.0.1:0` on `url` and waits until it listens.
    pub fn start(url: &str, env: &[(&str, &str)]) -> Server {
        Server::spawn(&["--database-url", url, "serve", "--bind", "127.0.0.1:0"], env)
    }

    /// Starts the binary with `args` (and `env`) and waits until it listens.
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(binary());
        command
            .args(args)
            .env("RUST_LOG", "debug")
            .env_remove("LEAD_BIND")
            .env_remove("LEAD_CONFIG")
            .env_remove("LEAD_DATABASE_URL")
            .env_remove("LEAD_RATE_LIMIT_PER_IP")
            .env_remove("LEAD_RATE_LIMIT_PER_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start lead-server");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (listening, addr) = mpsc::channel();
        let mut readers = Vec::new();
        let streams = [
            (false, Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>),
            (true, Box::new(child.stderr.take().unwrap())),
        ];
        for (is_stderr, stream) in streams {
            let output = Arc::clone(&output);
            let listening = listening.clone();
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if let Some(at) = line.find("listening on http://") {
                        let text = line[at + "listening on http://".len()..].trim();
                        let _ = listening.send(text.parse::<SocketAddr>().unwrap());
                    }
                    output.lock().unwrap().push((is_stderr, line));
                }
            }));
        }
        let addr = match addr.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let printed: Vec<String> = output.lock().unwrap().iter().map(|(_, line)| line.clone()).collect();
                panic!("lead-server did not start:\n{}", printed.join("\n"));
            }
        };
        Server {
            addr,
            child,
            output,
            readers,
        }
    }

    /// Everything the process printed so far (stdout and stderr, line by line).
    pub fn output(&self) -> String {
        self.lines(|_| true)
    }

    /// What the process printed to standard error (its log) so far.
    pub fn log(&self) -> String {
        self.lines(|is_stderr| is_stderr)
    }

    fn lines(&self, keep: impl Fn(bool) -> bool) -> String {
        let output = self.output.lock().unwrap();
        output
            .iter()
            .filter(|(is_stderr, _)| keep(*is_stderr))
            .map(|(_, line)| line.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until the output contains `needle` (stdout and stderr are read by separate
    /// threads, so a line printed earlier may arrive later).
    pub fn wait_for_output(&self, needle: &str) -> String {
        for _ in 0..300 {
            let output = self.output();
            if output.contains(needle) {
                return output;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("{needle:?} never appeared in the output:\n{}", self.output());
    }

    /// Stops the process (SIGKILL: like a crash, nothing is flushed on the way out).
    pub fn kill(self) {
        self.finish();
    }

    /// Stops the process and returns everything it printed, complete.
    pub fn finish(self) -> String {
        self.stop().output()
    }

    /// Stops the process and returns it with its output complete (for `output()` / `log()`).
    pub fn stop(mut self) -> Server {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in std::mem::take(&mut self.readers) {
            let _ = reader.join();
        }
        self
    }

    /// Sends one request with `Connection: close` and reads the whole answer.
    /// `Content-Length` is added unless `headers` has one.
    pub fn request(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut raw = head.into_bytes();
        raw.extend_from_slice(body);
        self.send_raw(&raw)
    }

    /// Sends raw bytes and parses the answer.
    pub fn send_raw(&self, raw: &[u8]) -> Response {
        try_send(self.addr, raw).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Sends raw bytes to `addr` and parses the answer; an error when there is no complete answer
/// (the connection failed or the server died).
pub fn try_send(addr: SocketAddr, raw: &[u8]) -> Result<Response, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("cannot connect: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may answer (and close) before reading everything; that is allowed.
    let _ = stream.write_all(raw);
    let mut answer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(e) if !answer.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => return Err(format!("reading the answer failed: {e}")),
        }
        if Response::complete(&answer) {
            break;
        }
    }
    if Response::complete(&answer) {
        Ok(Response::parse(&answer))
    } else {
        Err(format!("no complete answer: {:?}", String::from_utf8_lossy(&answer)))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

/// A raw client of a `text/event-stream` answer (chunked transfer encoding decoded here).
pub struct SseClient {
    stream: TcpStream,
    raw: Vec<u8>,
    text: String,
    pub status: u16,
    pub head: String,
    pub comments: usize,
    /// The server ended the stream (the last, empty chunk arrived, or the connection closed).
    pub ended: bool,
}

impl SseClient {
    /// Opens `GET path` with `headers` and reads the answer's head.
    pub fn open(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> SseClient {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut client = SseClient {
            stream,
            raw: Vec::new(),
            text: String::new(),
            status: 0,
            head: String::new(),
            comments: 0,
            ended: false,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(end) = client.raw.windows(4).position(|w| w == b"\r\n\r\n") {
                client.head = String::from_utf8_lossy(&client.raw[..end]).into_owned();
                client.raw.drain(..end + 4);
                client.status = client.head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
                return client;
            }
            assert!(std::time::Instant::now() < deadline, "no answer head");
            client.fill();
        }
    }

    /// Reads what the socket has (waits at most 100 ms) and decodes complete chunks.
    fn fill(&mut self) {
        let mut buf = [0u8; 8192];
        match self.stream.read(&mut buf) {
            Ok(0) => self.ended = true,
            Ok(n) => self.raw.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(e) => panic!("stream read failed: {e}"),
        }
        if self.status == 0 {
            return;
        }
        loop {
            let Some(line_end) = self.raw.windows(2).position(|w| w == b"\r\n") else {
                return;
            };
            let size = usize::from_str_radix(String::from_utf8_lossy(&self.raw[..line_end]).trim(), 16).unwrap();
            if size == 0 {
                self.ended = true;
            }
            if self.raw.len() < line_end + 2 + size + 2 {
                return;
            }
            let chunk = self.raw[line_end + 2..line_end + 2 + size].to_vec();
            self.raw.drain(..line_end + 2 + size + 2);
            self.text.push_str(&String::from_utf8(chunk).unwrap());
        }
    }

    /// The next data event within `timeout` (comments are counted and skipped), or `None`.
    pub fn next_event(&mut self, timeout: Duration) -> Option<SseEvent> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            while let Some(end) = self.text.find("\n\n") {
                let block: String = self.text.drain(..end + 2).collect();
                let mut event = SseEvent {
                    id: None,
                    event: None,
                    data: String::new(),
                };
                let mut is_data = false;
                for line in block.lines() {
                    if line.starts_with(':') {
                        self.comments += 1;
                    } else if let Some(id) = line.strip_prefix("id: ") {
                        event.id = Some(id.to_owned());
                    } else if let Some(name) = line.strip_prefix("event: ") {
                        event.event = Some(name.to_owned());
                    } else if let Some(data) = line.strip_prefix("data: ") {
                        event.data.push_str(data);
                        is_data = true;
                    }
                }
                if is_data {
                    return Some(event);
                }
            }
            if std::time::Instant::now() >= deadline || self.ended {
                return None;
            }
            self.fill();
        }
    }
}

/// A parsed HTTP answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn split(raw: &[u8]) -> Option<(usize, usize)> {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[..end]);
        let length = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        Some((end + 4, length))
    }

    fn complete(raw: &[u8]) -> bool {
        Self::split(raw).is_some_and(|(start, length)| raw.len() >= start + length)
    }

    fn parse(raw: &[u8]) -> Response {
        let (start, length) =
            Self::split(raw).unwrap_or_else(|| panic!("no HTTP answer: {:?}", String::from_utf8_lossy(raw)));
        let head = String::from_utf8_lossy(&raw[..start - 4]).into_owned();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let body = raw[start..(start + length).min(raw.len())].to_vec();
        Response { status, headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts an error answer: status, JSON content type, code, field, a German message.
    pub fn assert_error(&self, status: u16, code: &str, field: Option<&str>) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/json; charset=utf-8"));
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(self.header("cache-control"), Some("no-store"));
        let body = self.json();
        let object = body.as_object().expect("an object");
        assert_eq!(object["status"], "error", "{body}");
        assert_eq!(object["code"], code, "{body}");
        assert_eq!(object.get("field").and_then(Value::as_str), field, "{body}");
        assert!(object["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
        let allowed = ["status", "code", "message", "field"];
        assert!(object.keys().all(|k| allowed.contains(&k.as_str())), "{body}");
    }
}

/// Runs the binary with `args` on the database at `url` and returns its output.
pub fn cli(url: &str, args: &[&str]) -> Output {
    cli_with_stdin(url, args, "")
}

pub fn cli_with_stdin(url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(binary())
        .args(args)
        .env("LEAD_DATABASE_URL", url)
        .env_remove("LEAD_CONFIG")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The last line of a successful command's stdout (where ids and keys go).
pub fn last_line(output: &Output) -> String {
    assert!(
        output.status.success(),
        "command failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

/// Opens a raw SQLite connection, for injecting faults only.
pub fn raw_sqlite(path: &Path) -> diesel::SqliteConnection {
    use diesel::Connection;
    diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap()
}
