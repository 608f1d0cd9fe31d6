//! Deleting rows with everything that hangs on them — a lead's notifications, notes, files, e-mail
//! conversation, owner history,
//! deliveries and their attempts, `Idempotency-Key`s, fingerprints — in statements of ids the
//! store read itself: what the purge (`retention.rs`) and an erasure (`person/`) share.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConnection;
use crate::{Backend, Result};

/// A row's id, as raw SQL reads it.
#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The ids of up to `limit` rows of `table` where `condition` holds.
pub(crate) fn ids_of(conn: &mut DbConnection, table: &str, condition: &str, limit: i64) -> Result<Vec<i64>> {
    let query = diesel::sql_query(format!(
        "SELECT id FROM {table} WHERE {condition} ORDER BY id LIMIT {limit}"
    ));
    let found: Vec<Id> = crate::db::dialect::each_backend!(conn, c => query.load(c))?;
    Ok(found.into_iter().map(|row| row.id).collect())
}

/// `1, 2, 3` — ids the store read itself, so safe to put in SQL.
pub(crate) fn list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
}

/// Deletes the leads `ids` of `table` (`web_orders` or `tickets`, of `lead_type`, named by
/// `column` in notifications, notes and the outbox) and everything that hangs on them (see
/// [`delete_what_hangs_on`]).
pub(crate) fn delete_leads(
    conn: &mut DbConnection,
    table: &str,
    lead_type: &str,
    column: &str,
    ids: &[i64],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    delete_what_hangs_on(conn, lead_type, column, ids)?;
    let query = diesel::sql_query(format!("DELETE FROM {table} WHERE id IN ({})", list(ids)));
    crate::db::dialect::each_backend!(conn, c => query.execute(c))?;
    Ok(())
}

/// Deletes what hangs on the leads `ids` (of `lead_type`, named by `column` in
/// notifications, notes and the outbox), the leads themselves left: their notifications,
/// notes, files, e-mail messages, deliveries with their attempts, `Idempotency-Key`s and (PostgreSQL) duplicate
/// fingerprints.
pub(crate) fn delete_what_hangs_on(conn: &mut DbConnection, lead_type: &str, column: &str, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids = list(ids);
    crate::outbox::delete_deliveries(conn, &format!("{column} IN ({ids})"))?;
    let mut statements = vec![
        format!("DELETE FROM notifications WHERE {column} IN ({ids})"),
        format!("DELETE FROM notes WHERE {column} IN ({ids})"),
        format!("DELETE FROM attachments WHERE {column} IN ({ids})"),
        // after the files, which may hang on a message
        format!("DELETE FROM messages WHERE {column} IN ({ids})"),
        format!("DELETE FROM owner_changes WHERE {column} IN ({ids})"),
        format!("DELETE FROM idempotency_keys WHERE lead_type = '{lead_type}' AND record_id IN ({ids})"),
    ];
    if conn.backend() == Backend::Postgres {
        statements.push(format!(
            "DELETE FROM lead_fingerprints WHERE lead_type = '{lead_type}' AND record_id IN ({ids})"
        ));
    }
    for statement in statements {
        let query = diesel::sql_query(statement);
        crate::db::dialect::each_backend!(conn, c => query.execute(c))?;
    }
    Ok(())
}
