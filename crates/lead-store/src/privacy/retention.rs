//! Retention: what is deleted after how long, and the purge that does it — in small batches,
//! each its own short transaction, so leads keep being written in between; on PostgreSQL by
//! one instance at a time (an advisory lock).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use lead_domain::Timestamp;

use crate::db::DbConnection;
use crate::outbox::delete_deliveries;
use crate::privacy::deletion::{delete_leads, ids_of, list};
use crate::privacy::Privacy;
use crate::{Backend, Result, StoreError};

/// Days each kind of row is kept (`0`: forever). The defaults are those of
/// `[retention]` in the server's configuration; docs/operations.md gives the reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The submission log (every request to the lead endpoint).
    pub submissions: u32,
    /// Notifications an employee has read.
    pub read_notifications: u32,
    /// Notifications nobody read.
    pub unread_notifications: u32,
    /// Leads held as spam (the honeypot).
    pub spam: u32,
    /// Leads held in quarantine (past a daily cap), for an `Idempotency-Key` conflict, or as
    /// malware (a file the virus scanner found).
    pub held: u32,
    /// `Idempotency-Key`s (the published API promises 24 hours).
    pub idempotency_keys: u32,
    /// Counts of wrong passwords (once no lock of theirs is in force).
    pub login_failures: u32,
    /// Deliveries made (webhooks, e-mails, push messages) and their attempts.
    pub delivered: u32,
    /// Deliveries that failed for good, and their attempts.
    pub failed: u32,
    /// Dashboard sessions, this long after they expired.
    pub expired_sessions: u32,
    /// Orders the team saw (business records: kept by default).
    pub orders: u32,
    /// Tickets the team saw (kept by default).
    pub tickets: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            submissions: 14,
            read_notifications: 90,
            unread_notifications: 365,
            spam: 30,
            held: 90,
            idempotency_keys: 1,
            login_failures: 30,
            delivered: 30,
            failed: 90,
            expired_sessions: 1,
            orders: 0,
            tickets: 0,
        }
    }
}

/// What a purge deleted (or, dry, would delete), kind by kind in the order of [`KINDS`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PurgeReport {
    /// Each kind of row.
    pub kinds: Vec<Purged>,
    /// PostgreSQL: another instance was purging, so this one did nothing.
    pub skipped: bool,
}

/// One kind of row in a [`PurgeReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    /// Its name, one of [`KINDS`].
    pub kind: &'static str,
    /// Days it is kept (`0`: forever, so none were deleted).
    pub days: u32,
    /// Rows deleted (leads count once, with what hangs on them).
    pub rows: u64,
}

impl PurgeReport {
    /// Rows in all.
    pub fn total(&self) -> u64 {
        self.kinds.iter().map(|purged| purged.rows).sum()
    }

    /// The rows of `kind`.
    pub fn rows(&self, kind: &str) -> u64 {
        self.kinds
            .iter()
            .find(|purged| purged.kind == kind)
            .map_or(0, |purged| purged.rows)
    }
}

/// Rows deleted per transaction: small enough that a lead waits at most a few milliseconds
/// for the writer between two batches.
const BATCH: i64 = 500;

/// The kinds of rows a purge deletes, by the name reports give them.
pub const KINDS: [&str; 12] = [
    "submissions",
    "notifications (read)",
    "notifications (unread)",
    "spam",
    "held",
    "idempotency keys",
    "login failures",
    "deliveries (delivered)",
    "deliveries (failed)",
    "sessions (expired)",
    "orders",
    "tickets",
];

/// Which rows of which tables a kind is: simple rows, deliveries with their attempts, or
/// leads with everything that hangs on them.
#[derive(Debug, Clone, Copy)]
enum Rows {
    /// Rows of one table, by a condition; `key` is a column that picks one row.
    Plain {
        table: &'static str,
        key: Key,
        condition: &'static str,
    },
    /// Outbox rows and their attempts.
    Deliveries { condition: &'static str },
    /// Orders and tickets with their notifications, deliveries, keys and fingerprints.
    Leads {
        orders: bool,
        tickets: bool,
        condition: &'static str,
    },
}

/// How one row of a table is named: its `id`, or (tables keyed by several columns) the
/// backend's own row address.
#[derive(Debug, Clone, Copy)]
enum Key {
    Id,
    Row,
}

/// Kind `n` of [`KINDS`]: its rows, and its days in `retention`. In a condition, `{cutoff}`
/// is the oldest time kept and `{now}` the present, both in milliseconds.
fn kind(n: usize, retention: &Retention) -> (Rows, u32) {
    let plain = |table, key, condition| Rows::Plain { table, key, condition };
    match n {
        0 => (plain("submissions", Key::Id, "at < {cutoff}"), retention.submissions),
        1 => (
            plain(
                "notifications",
                Key::Id,
                "read_at IS NOT NULL AND created_at < {cutoff}",
            ),
            retention.read_notifications,
        ),
        2 => (
            plain("notifications", Key::Id, "read_at IS NULL AND created_at < {cutoff}"),
            retention.unread_notifications,
        ),
        3 => (
            Rows::Leads {
                orders: true,
                tickets: true,
                condition: "held = 'spam' AND created_at < {cutoff}",
            },
            retention.spam,
        ),
        4 => (
            Rows::Leads {
                orders: true,
                tickets: true,
                condition: "held IN ('quarantine', 'conflict', 'malware') AND created_at < {cutoff}",
            },
            retention.held,
        ),
        5 => (
            plain("idempotency_keys", Key::Row, "created_at < {cutoff}"),
            retention.idempotency_keys,
        ),
        6 => (
            plain(
                "login_throttle",
                Key::Row,
                "updated_at < {cutoff} AND (locked_until IS NULL OR locked_until < {now})",
            ),
            retention.login_failures,
        ),
        7 => (
            Rows::Deliveries {
                condition: "status = 'delivered' AND created_at < {cutoff}",
            },
            retention.delivered,
        ),
        8 => (
            Rows::Deliveries {
                condition: "status = 'failed' AND created_at < {cutoff}",
            },
            retention.failed,
        ),
        9 => (
            plain(
                "employee_tokens",
                Key::Id,
                "expires_at IS NOT NULL AND expires_at < {cutoff}",
            ),
            retention.expired_sessions,
        ),
        10 => (
            Rows::Leads {
                orders: true,
                tickets: false,
                condition: "held IS NULL AND created_at < {cutoff}",
            },
            retention.orders,
        ),
        _ => (
            Rows::Leads {
                orders: false,
                tickets: true,
                condition: "held IS NULL AND created_at < {cutoff}",
            },
            retention.tickets,
        ),
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    rows: i64,
}

impl Privacy<'_> {
    /// Deletes what `retention` no longer keeps, in batches of a few hundred rows, each its
    /// own transaction; with `dry_run` only counts it. Stops early (between two batches) when
    /// `stop` is set. On PostgreSQL one instance purges at a time: another that is purging
    /// already makes this a no-op (`skipped`).
    pub fn purge(&self, retention: &Retention, dry_run: bool, stop: &AtomicBool) -> Result<PurgeReport> {
        self.purge_as_of(retention, Timestamp::now(), dry_run, stop)
    }

    /// [`Privacy::purge`] as if it were `now`: a benchmark purges what it wrote a moment ago.
    pub fn purge_as_of(
        &self,
        retention: &Retention,
        now: Timestamp,
        dry_run: bool,
        stop: &AtomicBool,
    ) -> Result<PurgeReport> {
        // Held for the whole run on a connection of its own; ends with it, even on a crash.
        let _lock = match &self.store.listener {
            Some((url, _)) => match PurgeLock::take(url)? {
                Some(lock) => Some(lock),
                None => {
                    return Ok(PurgeReport {
                        skipped: true,
                        ..PurgeReport::default()
                    })
                }
            },
            None => None,
        };
        let now = now.millis();
        let mut report = PurgeReport::default();
        for (n, name) in KINDS.into_iter().enumerate() {
            let (rows, days) = kind(n, retention);
            let done = |total| Purged {
                kind: name,
                days,
                rows: total,
            };
            if days == 0 {
                report.kinds.push(done(0));
                continue;
            }
            let cutoff = now - i64::from(days) * 24 * 3600 * 1000;
            let sql = |condition: &str| {
                condition
                    .replace("{cutoff}", &cutoff.to_string())
                    .replace("{now}", &now.to_string())
            };
            let mut total = 0u64;
            if dry_run {
                total = self.store.read(|conn| due(conn, rows, &sql, None))?;
            } else if self.store.read(|conn| due(conn, rows, &sql, Some(1)))? > 0 {
                loop {
                    if stop.load(Ordering::Relaxed) {
                        report.kinds.push(done(total));
                        return Ok(report);
                    }
                    let deleted = self.store.write(|conn| delete_batch(conn, rows, &sql))?;
                    total += deleted as u64;
                    if deleted < BATCH as usize {
                        break;
                    }
                    // Let the lead writer have the lock before the next batch.
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            report.kinds.push(done(total));
        }
        Ok(report)
    }

    /// Purges by `retention` every `every`, the first time `first` from now, on a thread of its
    /// own, until the returned guard is dropped (which stops a run between two batches).
    pub fn purge_every(&self, retention: Retention, first: Duration, every: Duration) -> Result<PurgeTask> {
        let store = self.store.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let (wake, woken) = mpsc::channel::<()>();
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("purge".into())
            .spawn(move || {
                let mut wait = first;
                while let Err(mpsc::RecvTimeoutError::Timeout) = woken.recv_timeout(wait) {
                    match store.privacy().purge(&retention, false, &stopping) {
                        Ok(report) if report.total() > 0 => {
                            let kinds: Vec<String> = report
                                .kinds
                                .iter()
                                .filter(|purged| purged.rows > 0)
                                .map(|purged| format!("{} {}", purged.kind, purged.rows))
                                .collect();
                            log::info!("purged by the retention settings: {}", kinds.join(", "));
                        }
                        Ok(_) => {}
                        Err(error) => log::warn!("the purge failed, and runs again later: {error}"),
                    }
                    wait = every;
                }
            })
            .map_err(|e| StoreError::Unavailable(format!("cannot start the purge: {e}")))?;
        Ok(PurgeTask {
            stop,
            wake: Some(wake),
            thread: Some(thread),
        })
    }
}

/// The hourly purge; dropping it stops it and waits for the current batch.
#[derive(Debug)]
pub struct PurgeTask {
    stop: Arc<AtomicBool>,
    /// Dropped to wake the thread for good.
    wake: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for PurgeTask {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        drop(self.wake.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// PostgreSQL's session advisory lock that makes one instance the purger, on a connection of
/// its own: unlocked when dropped, or by the server when the process dies.
struct PurgeLock(diesel::PgConnection);

/// The advisory lock's key: "purge" in ASCII.
const PURGE_LOCK: i64 = 0x0070_7572_6765;

impl PurgeLock {
    fn take(url: &str) -> Result<Option<PurgeLock>> {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            locked: bool,
        }
        let mut conn = diesel::PgConnection::establish(url)
            .map_err(|e| StoreError::Unavailable(format!("cannot connect for the purge: {e}")))?;
        let taken: Locked =
            diesel::sql_query(format!("SELECT pg_try_advisory_lock({PURGE_LOCK}) AS locked")).get_result(&mut conn)?;
        Ok(taken.locked.then_some(PurgeLock(conn)))
    }
}

impl Drop for PurgeLock {
    fn drop(&mut self) {
        let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({PURGE_LOCK})")).execute(&mut self.0);
    }
}

/// How `key` is spelled on `conn`'s backend.
fn key_column(conn: &DbConnection, key: Key) -> &'static str {
    match (key, conn.backend()) {
        (Key::Id, _) => "id",
        (Key::Row, Backend::Sqlite) => "rowid",
        (Key::Row, Backend::Postgres) => "ctid",
    }
}

impl Rows {
    /// The tables whose rows it is (not what hangs on them), each with its condition.
    fn tables(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Rows::Plain { table, condition, .. } => vec![(table, condition)],
            Rows::Deliveries { condition } => vec![("outbox", condition)],
            Rows::Leads {
                orders,
                tickets,
                condition,
            } => [(orders, "web_orders"), (tickets, "tickets")]
                .into_iter()
                .filter(|(wanted, _)| *wanted)
                .map(|(_, table)| (table, condition))
                .collect(),
        }
    }
}

/// How many rows of `rows` are due — at most `up_to` per table: `Some(1)` asks only whether
/// any is (a read, so that a purge with nothing to delete takes no write lock).
fn due(conn: &mut DbConnection, rows: Rows, sql: &dyn Fn(&str) -> String, up_to: Option<i64>) -> Result<u64> {
    let limit = up_to.map_or_else(String::new, |n| format!(" LIMIT {n}"));
    let mut total = 0;
    for (table, condition) in rows.tables() {
        let query = diesel::sql_query(format!(
            "SELECT COUNT(*) AS rows FROM (SELECT 1 FROM {table} WHERE {}{limit}) AS due",
            sql(condition)
        ));
        let counted: Count = crate::db::dialect::each_backend!(conn, c => query.get_result(c))?;
        total += u64::try_from(counted.rows).unwrap_or(0);
    }
    Ok(total)
}

/// Deletes one batch of `rows` (at most [`BATCH`] of its main rows, with what hangs on them);
/// returns how many main rows.
fn delete_batch(conn: &mut DbConnection, rows: Rows, sql: &dyn Fn(&str) -> String) -> Result<usize> {
    match rows {
        Rows::Plain { table, key, condition } => {
            let key = key_column(conn, key);
            let query = diesel::sql_query(format!(
                "DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {} LIMIT {BATCH})",
                sql(condition)
            ));
            Ok(crate::db::dialect::each_backend!(conn, c => query.execute(c))?)
        }
        Rows::Deliveries { condition } => {
            let ids = ids_of(conn, "outbox", &sql(condition), BATCH)?;
            if ids.is_empty() {
                return Ok(0);
            }
            delete_deliveries(conn, &format!("id IN ({})", list(&ids)))?;
            Ok(ids.len())
        }
        Rows::Leads {
            orders,
            tickets,
            condition,
        } => {
            let mut deleted = 0;
            for (wanted, table, lead_type, column) in [
                (orders, "web_orders", "order", "order_id"),
                (tickets, "tickets", "ticket", "ticket_id"),
            ] {
                if !wanted || deleted >= BATCH as usize {
                    continue;
                }
                let ids = ids_of(conn, table, &sql(condition), BATCH - deleted as i64)?;
                if ids.is_empty() {
                    continue;
                }
                delete_leads(conn, table, lead_type, column, &ids)?;
                deleted += ids.len();
            }
            Ok(deleted)
        }
    }
}
