//! Every difference between SQLite and PostgreSQL, in one place: how a connection is set up
//! and migrated, how a write transaction starts, how multi-row inserts run and return their
//! ids, how a capped key's count is locked, how other instances hear of a commit, and the
//! spelling of a bound parameter. The rest of the store speaks Diesel's common dialect, but
//! for the claim of due deliveries, which locks on PostgreSQL alone (`deliveries/claims.rs`).

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::db::{Backend, DbConnection, Durability};
use crate::ids::{CompanyId, CustomerId, KeyId};
use crate::schema::{customer_emails, key_daily_counts};
use crate::{Result, StoreError};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// The advisory lock under which PostgreSQL migrations run, so that several instances can
/// start at once: the first migrates, the others wait and then find nothing to do.
const MIGRATION_LOCK: i64 = 0x1ead_5e4e;

/// Runs `$body` with `$c` bound to the concrete connection of either backend: for what
/// Diesel's multi-backend connection cannot run (multi-row inserts, raw SQL with binds).
macro_rules! each_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgres($c) => $body,
        }
    };
}
pub(crate) use each_backend;

/// Runs `$run` (a `usize`) on consecutive chunks `$chunk` of the slice `$rows`, each an
/// array of 64, 16, 4 or 1 rows — as large as fits — and sums what it returns. A multi-row
/// insert of a fixed number of rows is one statement text, prepared once per connection and
/// then reused; one of whatever length the batch has would be parsed anew every time. (For
/// SQLite, where a statement costs no round trip but its parsing shows.)
macro_rules! in_fixed_chunks {
    ($rows:expr, |$chunk:ident| $run:expr) => {{
        let mut rest = &$rows[..];
        let mut total = 0usize;
        while !rest.is_empty() {
            total += if let Some(($chunk, tail)) = rest.split_first_chunk::<64>() {
                rest = tail;
                $run
            } else if let Some(($chunk, tail)) = rest.split_first_chunk::<16>() {
                rest = tail;
                $run
            } else if let Some(($chunk, tail)) = rest.split_first_chunk::<4>() {
                rest = tail;
                $run
            } else if let Some(($chunk, tail)) = rest.split_first_chunk::<1>() {
                rest = tail;
                $run
            } else {
                unreachable!("a non-empty slice has a first row")
            };
        }
        total
    }};
}
pub(crate) use in_fixed_chunks;

/// The most rows one PostgreSQL insert takes: PostgreSQL binds at most 65,535 parameters, and
/// no insert here binds more than 16 columns.
pub(crate) const POSTGRES_ROWS: usize = 4_000;

/// Inserts the slice `$rows` of `Insertable` values into `$table` with multi-row inserts;
/// the number of rows. SQLite: statements of a fixed number of rows (see
/// [`in_fixed_chunks!`]). PostgreSQL: as few statements as the parameter bound allows — every
/// statement is a round trip to the server, which costs more than parsing it there.
macro_rules! insert_rows {
    ($conn:expr, $table:ident, $rows:expr) => {
        match &mut *$conn {
            $crate::db::DbConnection::Sqlite(c) => $crate::db::dialect::in_fixed_chunks!($rows, |chunk| {
                diesel::insert_into($table::table).values(chunk).execute(c)?
            }),
            $crate::db::DbConnection::Postgres(c) => {
                let mut inserted = 0usize;
                for chunk in $rows.chunks($crate::db::dialect::POSTGRES_ROWS) {
                    inserted += diesel::insert_into($table::table).values(chunk).execute(c)?;
                }
                inserted
            }
        }
    };
}
pub(crate) use insert_rows;

/// [`insert_rows!`], returning the new rows' ids (of type `$id`) in the order of `$rows`.
///
/// SQLite: the one writer's multi-row insert gives the rows consecutive ids ending at
/// `last_insert_rowid()` (an `INTEGER PRIMARY KEY` without `AUTOINCREMENT` takes the largest
/// id plus one, row by row in the order of `VALUES`); `RETURNING` is not used, because SQLite
/// re-prepares such statements on every execution. PostgreSQL: `RETURNING id`, sorted — the
/// sequence hands out ids in the order the rows are inserted.
macro_rules! insert_ids {
    ($conn:expr, $table:ident, $rows:expr, $id:ty) => {{
        let mut ids: Vec<$id> = Vec::with_capacity($rows.len());
        match &mut *$conn {
            $crate::db::DbConnection::Sqlite(c) => {
                $crate::db::dialect::in_fixed_chunks!($rows, |chunk| {
                    diesel::insert_into($table::table).values(chunk).execute(c)?;
                    let last: i64 = diesel::select($crate::db::dialect::last_insert_rowid()).get_result(c)?;
                    let n = chunk.len() as i64;
                    ids.extend((last - n + 1..=last).map(<$id>::new));
                    chunk.len()
                });
            }
            $crate::db::DbConnection::Postgres(c) => {
                for chunk in $rows.chunks($crate::db::dialect::POSTGRES_ROWS) {
                    let mut new: Vec<$id> = diesel::insert_into($table::table)
                        .values(chunk)
                        .returning($table::id)
                        .get_results(c)?;
                    new.sort_unstable();
                    ids.extend(new);
                }
            }
        }
        ids
    }};
}
pub(crate) use insert_ids;

diesel::define_sql_function! {
    /// SQLite's rowid of the last insert on this connection.
    fn last_insert_rowid() -> diesel::sql_types::BigInt;
}

diesel::define_sql_function! {
    /// SQL `lower()`: text found whatever its case (on SQLite, ASCII letters only).
    fn lower(text: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// A `LIKE` pattern (with `ESCAPE '\\'`) that finds `text`, lower-cased, anywhere; its
/// wildcards are taken literally.
pub(crate) fn contains(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl DbConnection {
    /// The engine behind this connection.
    pub(crate) fn backend(&self) -> Backend {
        match self {
            DbConnection::Sqlite(_) => Backend::Sqlite,
            DbConnection::Postgres(_) => Backend::Postgres,
        }
    }
}

/// The spelling of the `n`-th (from 1) bound parameter in raw SQL.
pub(crate) fn parameter(conn: &DbConnection, n: usize) -> String {
    match conn {
        DbConnection::Sqlite(_) => "?".into(),
        DbConnection::Postgres(_) => format!("${n}"),
    }
}

/// The statements that set up a new connection. SQLite: lock wait first (its own statement,
/// so it applies to the rest), then foreign keys and durability; readers are made read-only,
/// the writer overwrites what it deletes, and keeps its temporary files in memory — above all the journal of a batch's
/// savepoint, which copies each page the batch changes (on disk, past 64 KiB, it doubled
/// the writer's writes). PostgreSQL: readers are made read-only; the server's own settings
/// do the rest.
pub(crate) fn setup_statements(
    conn: &DbConnection,
    busy_timeout_ms: u128,
    durability: Durability,
    read_only: bool,
) -> Vec<String> {
    match conn {
        DbConnection::Sqlite(_) => {
            let synchronous = match durability {
                Durability::Full => "FULL",
                Durability::Normal => "NORMAL",
            };
            let mut statements = vec![
                format!("PRAGMA busy_timeout = {busy_timeout_ms};"),
                format!("PRAGMA foreign_keys = ON; PRAGMA synchronous = {synchronous};"),
            ];
            statements.push(match read_only {
                true => "PRAGMA query_only = ON;".into(),
                // secure_delete: what is deleted is overwritten with zeros, in its page and on the
                // free list, so an erasure leaves nothing in the file (see `Store::wipe_log` for
                // the write-ahead log).
                false => {
                    "PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 4000; PRAGMA secure_delete = ON;".into()
                }
            });
            statements
        }
        DbConnection::Postgres(_) if read_only => {
            vec!["SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY;".into()]
        }
        DbConnection::Postgres(_) => Vec::new(),
    }
}

/// Brings the schema up to date: SQLite in WAL mode; PostgreSQL under an advisory lock.
pub(crate) fn migrate(conn: &mut DbConnection) -> Result<()> {
    let migration_error = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(e.to_string());
    match conn {
        DbConnection::Sqlite(conn) => {
            conn.batch_execute("PRAGMA journal_mode = WAL;")?;
            conn.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(migration_error)?;
        }
        DbConnection::Postgres(conn) => {
            // Asked for again and again rather than waited for: a session waiting inside a
            // statement holds a snapshot, and a migration that builds an index CONCURRENTLY
            // waits for every such snapshot to end — while that session waits for it.
            #[derive(QueryableByName)]
            struct Taken {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                taken: bool,
            }
            let try_lock = format!("SELECT pg_try_advisory_lock({MIGRATION_LOCK}) AS taken");
            while !diesel::sql_query(&try_lock).get_result::<Taken>(conn)?.taken {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let migrated = conn
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|_| ())
                .map_err(migration_error);
            conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK});"))?;
            migrated?;
        }
    }
    Ok(())
}

/// PostgreSQL: notifications restored from another cluster (`pg_restore` after a loss, a move)
/// carry transaction ids of that cluster — perhaps far beyond this one's, where the live
/// streams' order (notifications.rs) would hold them, and everything after them, for good.
/// Found by the newest row (one index lookup), they are put first, as the old rows they are.
pub(crate) fn reset_foreign_stream_order(conn: &mut DbConnection) -> Result<()> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(());
    };
    const NEXT: &str = "pg_snapshot_xmax(pg_current_snapshot())::text::bigint";
    #[derive(QueryableByName)]
    struct Newest {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        elsewhere: bool,
    }
    let newest: Option<Newest> = diesel::sql_query(format!(
        "SELECT xact >= {NEXT} AS elsewhere FROM notifications ORDER BY id DESC LIMIT 1"
    ))
    .get_result(pg)
    .optional()?;
    if newest.is_some_and(|row| row.elsewhere) {
        let reset = diesel::sql_query(format!("UPDATE notifications SET xact = 0 WHERE xact >= {NEXT}")).execute(pg)?;
        log::warn!("{reset} notifications came from another PostgreSQL cluster (a restore or a move): their live-stream order was reset");
    }
    Ok(())
}

/// The migrations this binary has that the database has not (their names), and how many it
/// has applied — without applying any.
pub(crate) fn migration_state(conn: &mut DbConnection) -> Result<(usize, Vec<String>)> {
    let migration_error = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(e.to_string());
    fn names<DB: diesel::backend::Backend>(pending: Vec<Box<dyn diesel::migration::Migration<DB>>>) -> Vec<String> {
        pending.iter().map(|m| m.name().to_string()).collect()
    }
    Ok(match conn {
        DbConnection::Sqlite(conn) => (
            conn.applied_migrations().map_err(migration_error)?.len(),
            names(conn.pending_migrations(SQLITE_MIGRATIONS).map_err(migration_error)?),
        ),
        DbConnection::Postgres(conn) => (
            conn.applied_migrations().map_err(migration_error)?.len(),
            names(conn.pending_migrations(POSTGRES_MIGRATIONS).map_err(migration_error)?),
        ),
    })
}

/// Starts a read-only transaction whose reads all see one snapshot of the database (SQLite:
/// any transaction, from its first read; PostgreSQL: `REPEATABLE READ`, where every statement
/// of a default transaction would see the commits made meanwhile).
pub(crate) fn begin_snapshot(conn: &mut DbConnection) -> Result<()> {
    match conn {
        DbConnection::Sqlite(conn) => AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN")?,
        DbConnection::Postgres(conn) => {
            AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?
        }
    }
    Ok(())
}

/// Starts a write transaction. On SQLite the write lock is taken up front (`BEGIN
/// IMMEDIATE`): a deferred transaction that reads first fails with "database is locked" when
/// another process wrote in between.
pub(crate) fn begin_write(conn: &mut DbConnection) -> Result<()> {
    match conn {
        DbConnection::Sqlite(conn) => AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN IMMEDIATE")?,
        DbConnection::Postgres(conn) => AnsiTransactionManager::begin_transaction(conn)?,
    }
    Ok(())
}

/// Tells the other instances (PostgreSQL) that leads of these companies are being committed:
/// sent inside the transaction, the notification is delivered exactly when it commits.
/// Nothing to do on SQLite, where there is only one instance.
pub(crate) fn announce_commits(conn: &mut DbConnection, companies: impl Iterator<Item = CompanyId>) -> Result<()> {
    if let DbConnection::Postgres(conn) = conn {
        for company in companies {
            conn.batch_execute(&format!("NOTIFY {}, '{company}';", crate::db::listen::CHANNEL))?;
        }
    }
    Ok(())
}

/// PostgreSQL: makes concurrent transactions of several instances that reach this point take
/// turns (a transaction-scoped advisory lock), for check-then-insert work such as the
/// first-start bootstrap. SQLite's write transactions take turns anyway.
pub(crate) fn serialize_with_other_instances(conn: &mut DbConnection) -> Result<()> {
    if let DbConnection::Postgres(conn) = conn {
        conn.batch_execute(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK});"))?;
    }
    Ok(())
}

/// The leads `key_id` has stored on `day` and the confirmation e-mails its senders were owed,
/// locked until the transaction ends: on PostgreSQL parallel writers take turns at a capped
/// or confirming key, so none of them counts from a stale number (on SQLite the one writer
/// holds the database's write lock anyway).
pub(crate) fn day_count_locked(conn: &mut DbConnection, key_id: KeyId, day: i64) -> Result<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        leads: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        confirmations: i64,
    }
    match conn {
        DbConnection::Postgres(pg) => {
            // The row must exist to be locked; every value is a number.
            diesel::sql_query(format!(
                "INSERT INTO key_daily_counts (api_key_id, day, leads) VALUES ({key_id}, {day}, 0) \
                 ON CONFLICT (api_key_id, day) DO NOTHING"
            ))
            .execute(pg)?;
            let count: Count = diesel::sql_query(format!(
                "SELECT leads, confirmations FROM key_daily_counts WHERE api_key_id = {key_id} AND day = {day} FOR UPDATE"
            ))
            .get_result(pg)?;
            Ok((count.leads, count.confirmations))
        }
        DbConnection::Sqlite(_) => Ok(key_daily_counts::table
            .filter(key_daily_counts::api_key_id.eq(key_id))
            .filter(key_daily_counts::day.eq(day))
            .select((key_daily_counts::leads, key_daily_counts::confirmations))
            .load::<(i64, i64)>(conn)?
            .into_iter()
            .next()
            .unwrap_or((0, 0))),
    }
}

/// The PostgreSQL sequences of `tables` continue after their largest id (after rows were
/// copied in with their ids). Nothing to do on SQLite, whose ids continue by themselves.
pub(crate) fn continue_sequences(conn: &mut DbConnection, tables: &[&str]) -> Result<()> {
    if let DbConnection::Postgres(conn) = conn {
        for table in tables {
            conn.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table};"
            ))?;
        }
    }
    Ok(())
}

/// The customers of `company_id` with one of `addresses` (normalized), main or further:
/// (address, customer id).
/// One statement prepared once, whatever the number of addresses: SQLite reads them from a
/// JSON array (`json_each`), PostgreSQL from an array (`= ANY`).
pub(crate) fn customers_by_address(
    conn: &mut DbConnection,
    company_id: CompanyId,
    addresses: &[&str],
) -> Result<Vec<(String, CustomerId)>> {
    let mine = customer_emails::table
        .filter(customer_emails::company_id.eq(company_id))
        .select((customer_emails::email_normalized, customer_emails::customer_id));
    Ok(match conn {
        DbConnection::Sqlite(c) => {
            let list = serde_json::to_string(addresses).map_err(|e| StoreError::Unavailable(e.to_string()))?;
            mine.filter(AddressIn(list)).load(c)?
        }
        DbConnection::Postgres(c) => mine
            .filter(customer_emails::email_normalized.eq_any(addresses))
            .load(c)?,
    })
}

/// SQLite: `email_normalized IN (SELECT value FROM json_each(?))` on `customer_emails`, with the
/// addresses as one JSON array — a statement text that does not change with their number,
/// so it is prepared once (Diesel's `eq_any` spells one parameter per value).
#[derive(Debug, Clone, diesel::expression::ValidGrouping)]
struct AddressIn(String);

impl diesel::query_builder::QueryId for AddressIn {
    type QueryId = AddressIn;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::Expression for AddressIn {
    type SqlType = diesel::sql_types::Bool;
}

impl diesel::AppearsOnTable<customer_emails::table> for AddressIn {}
impl diesel::SelectableExpression<customer_emails::table> for AddressIn {}

impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for AddressIn {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        out.push_identifier("email_normalized")?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<diesel::sql_types::Text, _>(&self.0)?;
        out.push_sql("))");
        Ok(())
    }
}

/// SQLite: copies the whole write-ahead log into the database file and empties it
/// (`wal_checkpoint(TRUNCATE)`, waiting up to the busy timeout for readers of older
/// snapshots): the page images it held before — deleted text among them — are gone from the
/// disk. Whether it got through. PostgreSQL keeps no such log of ours: `true`.
pub(crate) fn truncate_log(conn: &mut DbConnection) -> Result<bool> {
    #[derive(QueryableByName)]
    struct Checkpointed {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        busy: i32,
    }
    match conn {
        DbConnection::Sqlite(conn) => {
            let done = diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result::<Checkpointed>(conn)?;
            Ok(done.busy == 0)
        }
        DbConnection::Postgres(_) => Ok(true),
    }
}
