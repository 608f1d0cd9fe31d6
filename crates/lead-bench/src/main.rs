//! `lead-bench`: a load benchmark of the lead gateway that anyone can run from the repository.
//!
//! It creates a company with a few employees on a fresh database, starts the real server (this
//! same executable, re-run as `lead-server`) on loopback, and drives keep-alive `POST`s of
//! realistic leads from a built-in load generator. It reports throughput, latency
//! percentiles, errors by status and the server's peak memory, measures the same requests
//! against a path that skips the database (the same requests as `PUT` → 405) for comparison, and verifies that
//! every `200` left exactly one record and one notification per employee behind.

mod auto_customers;
mod exports;
mod load;
mod login_flood;
mod metrics_cost;
mod receiver;
mod server;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, ValueEnum};
use diesel::{Connection, RunQueryDsl};
use lead_auth::ApiKey;
use lead_store::{Store, StoreConfig, Totals};

use crate::load::{Mode, Outcome};
use crate::server::ServerProcess;

/// The argument that makes this executable act as `lead-server` (the server under test).
const SERVE: &str = "__serve";

/// Load benchmark of the lead gateway.
#[derive(Debug, Parser)]
#[command(name = "lead-bench")]
struct Args {
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds of measured load per phase (after a one-second warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Open loop: offer this many leads per second in total, whatever the answers take, and
    /// measure latency from each request's scheduled start (no coordinated omission).
    #[arg(long)]
    rate: Option<u64>,
    /// Which leads to send.
    #[arg(long, value_enum, default_value_t = Kind::Orders)]
    kind: Kind,
    /// The database to run against (a PostgreSQL database that does not exist yet is
    /// created); default: a fresh SQLite file in a temporary folder.
    #[arg(long)]
    database_url: Option<String>,
    /// SQLite durability setting for the server: full or normal.
    #[arg(long, default_value = "full")]
    synchronous: String,
    /// Active employees of the company (each lead notifies every one).
    #[arg(long, default_value_t = 3)]
    employees: usize,
    /// PostgreSQL: connections that write leads in parallel (the server's
    /// database.postgres_writers).
    #[arg(long, default_value_t = 2)]
    postgres_writers: u32,
    /// Seconds within which the same body is a duplicate (the server's
    /// intake.duplicate_window_secs; 0 turns duplicate suppression off, to measure its cost).
    #[arg(long, default_value_t = 600)]
    duplicate_window_secs: u64,
    /// Log filter of the server (`info` includes one access-log line per request).
    #[arg(long, default_value = "warn")]
    server_log: String,
    /// After the measured phase, purge everything it wrote (notifications, the submission
    /// log: as the hourly purge would a year later) while the same load goes on, and report
    /// the lead rate during the purge beside the rate without it.
    #[arg(long)]
    purge: bool,
    /// Give the company one webhook endpoint (a receiver in this process on loopback that
    /// answers 200): each lead then owes a delivery, sent while the load runs.
    #[arg(long)]
    webhook: bool,
    /// Instead of the phases above: what /metrics costs — two servers on SQLite, one with the
    /// metrics off, one with them on and scraped every second, take the load in turns.
    #[arg(long)]
    metrics: bool,
    /// With --metrics: rounds of one phase per server.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Instead of the phases above: 2,000 wrong logins from 500 addresses, and the server's
    /// memory before, at its peak and 10 s after.
    #[arg(long)]
    login_flood: bool,
    /// Instead of the phases above: 20,000 orders, then leads at `--rate` (default 200/s)
    /// with the server idle and while 8 employees export every order again and again; the
    /// leads' latency in both.
    #[arg(long)]
    exports: bool,
    /// Every lead from a new sender; after the measured phase, the same load again with the
    /// company's automatic customer files on for all leads, and the ratio of the two.
    #[arg(long)]
    auto_customers: bool,
    /// Every lead carries one file of this many bytes (a JPEG, in JSON's `attachments`).
    #[arg(long)]
    file_bytes: Option<usize>,
    /// The server scans files with the clamd at this address (`tcp://HOST:PORT`).
    #[arg(long)]
    clamd: Option<String>,
}

/// The mix of leads sent.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    /// Web orders only.
    Orders,
    /// Tickets only.
    Tickets,
    /// Alternating orders and tickets.
    Mixed,
}

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    if std::env::args_os().nth(1).is_some_and(|a| a == SERVE) {
        let _ = args.next();
        let _ = args.next();
        return lead_server::main_from(std::iter::once("lead-server".into()).chain(args));
    }
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("lead-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    if args.connections == 0 || args.seconds == 0 || args.rounds == 0 {
        bail!("--connections, --seconds and --rounds must be at least 1");
    }
    let dir = tempfile::tempdir()?;
    if args.metrics {
        return metrics_cost::compare(&args, dir.path());
    }
    if args.login_flood {
        return login_flood::run(&args, dir.path());
    }
    if args.exports {
        return exports::run(&args, dir.path());
    }
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    if lead_store::create_database_if_missing(&url)? {
        println!("created the database {}", lead_store::redact_password(&url));
    }
    let (key, before, company) = create_company(&url, args.employees)?;
    let receiver = if args.webhook {
        let receiver = receiver::Receiver::start()?;
        let store = Store::open(&StoreConfig::new(&url))?;
        store.outbox().add_webhook(&lead_store::NewWebhook {
            company_id: company,
            url: &receiver.url,
            events: lead_store::Event::WEBHOOK_EVENTS,
            format: lead_store::WebhookFormat::Standard,
            secret: &lead_deliver::generate_secret()?,
        })?;
        Some(receiver)
    } else {
        None
    };
    let config = dir.path().join("bench.toml");
    // The load comes from one address with one key: the rate limits would measure themselves.
    std::fs::write(
        &config,
        format!(
            "[database]\nsynchronous = \"{}\"\npostgres_writers = {}\n[limits]\nper_ip = 0\nper_key = 0\n\
             [intake]\nduplicate_window_secs = {}\n[outbox]\nallow_private_targets = {}\n\
             [retention]\npurge_every_secs = {}\n[attachments]\nclamd = {:?}\n",
            args.synchronous,
            args.postgres_writers,
            args.duplicate_window_secs,
            args.webhook,
            // --purge: the server purges every second, so that the purge of the aged rows
            // starts right away (a purge with nothing to delete costs one query per kind).
            if args.purge { 1 } else { 3600 },
            args.clamd.as_deref().unwrap_or_default()
        ),
    )?;

    let mut server = ServerProcess::start(&url, &config, &args.server_log)?;
    let rss_peak = server.watch_memory();
    let mut bodies = load::bodies(
        matches!(args.kind, Kind::Orders | Kind::Mixed),
        matches!(args.kind, Kind::Tickets | Kind::Mixed),
    );
    if args.auto_customers {
        bodies = auto_customers::new_senders(bodies);
    }
    if let Some(bytes) = args.file_bytes {
        bodies = load::with_file(bodies, bytes);
    }
    // Every request carries a number of its own: the server would answer a repeated body as
    // a duplicate without storing it, and the figures would measure that shortcut.
    let with_key = std::rc::Rc::new(load::requests(&bodies, "POST", Some(key.expose())));
    let without_key = std::rc::Rc::new(load::requests(&bodies, "PUT", None));
    let seconds = Duration::from_secs(args.seconds);

    println!(
        "lead-bench: {:?}{}, {} connections, {} s per phase, synchronous={}, {} employees, {}, server log {:?}",
        args.kind,
        match (args.file_bytes, &args.clamd) {
            (Some(bytes), Some(_)) => format!(" with a file of {bytes} bytes each, scanned by clamd"),
            (Some(bytes), None) => format!(" with a file of {bytes} bytes each"),
            (None, _) => String::new(),
        },
        args.connections,
        args.seconds,
        args.synchronous,
        args.employees,
        if args.webhook { "one webhook" } else { "no webhook" },
        args.server_log
    );
    println!("database: {url}");
    let warmup = load::run(
        server.addr,
        &with_key,
        args.connections,
        Duration::from_secs(1),
        Mode::Closed,
    )?;
    let cpu_before = server.cpu_time();
    let writer_before = server.thread_cpu_time("lead-writer");
    let measured = match args.rate {
        Some(rate) => load::run(server.addr, &with_key, args.connections, seconds, Mode::Open { rate })?,
        None => load::run(server.addr, &with_key, args.connections, seconds, Mode::Closed)?,
    };
    let cpu = server
        .cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let writer_cpu = server
        .thread_cpu_time("lead-writer")
        .zip(writer_before)
        .map(|(after, before)| after.saturating_sub(before));
    measured.print("database path (valid key)");
    if let Some(cpu) = cpu.filter(|_| measured.ok() > 0) {
        println!(
            "  server CPU: {:.1} s in {:.1} s, {:.1} µs per lead answered 200",
            cpu.as_secs_f64(),
            measured.elapsed.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / measured.ok() as f64
        );
        if let Some(writer) = writer_cpu {
            println!(
                "  of which the lead writer thread(s): {:.1} s, {:.1} µs per lead",
                writer.as_secs_f64(),
                writer.as_secs_f64() * 1e6 / measured.ok() as f64
            );
        }
    }
    let with_files = match args.auto_customers {
        true => Some(auto_customers::phase(
            &args,
            &url,
            company,
            server.addr,
            &with_key,
            &measured,
        )?),
        false => None,
    };
    let delivered_during = receiver.as_ref().map(receiver::Receiver::received);
    let (purged, during_purge) = if args.purge {
        let mode = match args.rate {
            Some(rate) => Mode::Open { rate },
            None => Mode::Closed,
        };
        let (purged, during) = purge_under_load(&url, server.addr, &with_key, args.connections, mode)?;
        (purged, Some(during))
    } else {
        (0, None)
    };
    if let Some(during) = &during_purge {
        println!(
            "ratio: leads/s answered 200 while the purge runs / without it (the phase above) = {:.2}",
            during.ok_per_second() / measured.ok_per_second().max(f64::MIN_POSITIVE)
        );
    }
    let baseline = match args.rate {
        Some(_) => None,
        None => {
            let baseline = load::run(server.addr, &without_key, args.connections, seconds, Mode::Closed)?;
            baseline.print("no-database path (the same requests as PUT: 405, no key lookup, no log)");
            Some(baseline)
        }
    };
    if let Some(baseline) = &baseline {
        println!(
            "ratio: leads/s answered 200 on the database path / requests/s on the no-database path = {:.2}",
            measured.ok_per_second() / baseline.per_second().max(f64::MIN_POSITIVE)
        );
    }
    let peak = rss_peak.load(Ordering::Relaxed);
    if let (Some(receiver), Some(during)) = (&receiver, delivered_during) {
        println!(
            "webhook: {during} deliveries received by the end of the measured phase, {} by the end of the run, \
             for {} leads answered 200 (the rest wait in the outbox)",
            receiver.received(),
            warmup.ok() + measured.ok()
        );
    }
    server.stop();
    println!("server RSS peak: {:.1} MiB", peak as f64 / 1024.0);
    println!(
        "server start on the fresh database: {} ms",
        server.started_in.as_millis()
    );

    let accepted = warmup.ok()
        + measured.ok()
        + during_purge.as_ref().map_or(0, Outcome::ok)
        + with_files.as_ref().map_or(0, Outcome::ok);
    verify(&url, before, accepted, args.employees, purged)?;
    let restarted = ServerProcess::start(&url, &config, &args.server_log)?;
    println!(
        "server restart on the database it just filled: {} ms",
        restarted.started_in.as_millis()
    );
    Ok(())
}

/// A company with `employees` employees and a key, made through the product's operations,
/// the database's row counts before the run (it may hold other data), and the company.
fn create_company(url: &str, employees: usize) -> anyhow::Result<(ApiKey, Totals, lead_store::CompanyId)> {
    let store = Store::open(&StoreConfig::new(url)).context("cannot open the database")?;
    let name = format!("Bench {}", std::process::id());
    let company = store.access().add_company(&name)?;
    for i in 0..employees {
        store
            .access()
            .add_employee(company, &format!("Mitarbeiter {i}"), &format!("m{i}@bench.example"))?;
    }
    let key = ApiKey::generate()?;
    store.access().add_key(company, &key, "lead-bench")?;
    Ok((key, store.totals()?, company))
}

/// The server's own purge (every second, see the config written above) of everything
/// written so far, aged a year meanwhile (then the hourly purge would delete those
/// notifications and log entries), while the load goes on in one-second phases until no aged
/// row is left: how many notifications it deleted, and the load's outcome meanwhile.
fn purge_under_load(
    url: &str,
    addr: SocketAddr,
    requests: &std::rc::Rc<load::Requests>,
    connections: usize,
    mode: Mode,
) -> anyhow::Result<(u64, Outcome)> {
    use diesel::connection::SimpleConnection;
    let year_ago = lead_domain::Timestamp::now().millis() - 400 * 24 * 3600 * 1000;
    let age = format!("UPDATE notifications SET created_at = {year_ago}; UPDATE submissions SET at = {year_ago};");
    let left = format!("SELECT COUNT(*) AS n FROM notifications WHERE created_at = {year_ago}");
    let notifications: u64 = count(url, "SELECT COUNT(*) AS n FROM notifications")?;
    // The server is idle between two phases (but for the purge ticking, whose turn it waits).
    match lead_store::sqlite_path(url) {
        Ok(path) => {
            let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
            conn.batch_execute("PRAGMA busy_timeout = 10000;")?;
            conn.batch_execute(&age)?;
        }
        Err(_) => diesel::PgConnection::establish(url)?.batch_execute(&age)?,
    }
    let started = std::time::Instant::now();
    let mut during = load::run(addr, requests, connections, Duration::from_secs(1), mode)?;
    while count(url, &left)? > 0 {
        during.merge(load::run(addr, requests, connections, Duration::from_secs(1), mode)?);
    }
    println!(
        "purge: {notifications} notifications and the submission log entries of their leads, aged a year, deleted \
         by the server's own purge in batches of 500 within {:.1} s while the load went on",
        started.elapsed().as_secs_f64()
    );
    during.print("database path while the purge runs");
    Ok((notifications, during))
}

/// The number a `SELECT COUNT(*) AS n …` gives, on a connection of its own.
fn count(url: &str, sql: &str) -> anyhow::Result<u64> {
    #[derive(diesel::QueryableByName)]
    struct Number {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let query = diesel::sql_query(sql);
    let found: Number = match lead_store::sqlite_path(url) {
        Ok(path) => query.get_result(&mut diesel::SqliteConnection::establish(&path.to_string_lossy())?)?,
        Err(_) => query.get_result(&mut diesel::PgConnection::establish(url)?)?,
    };
    Ok(u64::try_from(found.n).unwrap_or(0))
}

/// Checks that every `200` added one stored record with one notification per employee
/// (`purged` of them deleted by a purge since).
fn verify(url: &str, before: Totals, accepted: u64, employees: usize, purged: u64) -> anyhow::Result<()> {
    let store = Store::open(&StoreConfig::new(url))?;
    let after = store.totals()?;
    let records = (after.orders + after.tickets - before.orders - before.tickets) as u64;
    let notifications = (after.notifications - before.notifications) as u64 + purged;
    let expected_notifications = accepted * employees as u64;
    if records == accepted && notifications == expected_notifications {
        println!("verified: {records} records and {notifications} notifications for {accepted} answers 200");
        Ok(())
    } else {
        bail!(
            "verification failed: {accepted} answers 200, but {records} records and {notifications} notifications \
             (expected {expected_notifications})"
        )
    }
}

fn ms(micros: Option<u32>) -> String {
    micros.map_or("-".to_owned(), |us| format!("{:.2} ms", f64::from(us) / 1000.0))
}

impl Outcome {
    fn print(&self, label: &str) {
        println!("{label}:");
        println!(
            "  {:.0} requests/s ({} in {:.1} s), of which {:.0}/s answered 200",
            self.per_second(),
            self.total(),
            self.elapsed.as_secs_f64(),
            self.ok_per_second()
        );
        let p = |q: f64| ms(self.percentile(q));
        println!(
            "  latency p50 {}  p90 {}  p99 {}  max {}",
            p(0.50),
            p(0.90),
            p(0.99),
            p(1.0)
        );
        if self.lateness(0.5).is_some() {
            let late = |q: f64| ms(self.lateness(q));
            println!(
                "  of which the generator's own lateness in sending: p50 {}  p99 {}  max {}",
                late(0.5),
                late(0.99),
                late(1.0)
            );
        }
        let mut statuses: Vec<_> = self.statuses.iter().collect();
        statuses.sort();
        let by_status: Vec<String> = statuses.iter().map(|(status, n)| format!("{status} × {n}")).collect();
        println!(
            "  answers: {}; connection errors: {}",
            by_status.join(", "),
            self.io_errors
        );
    }
}
