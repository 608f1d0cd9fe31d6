//! What the outbox owes, for monitoring (`/metrics`, `lead-server status`): per channel, the
//! deliveries pending and how old the oldest is, how many are being retried or are overdue,
//! the last one made and those that failed for good lately. Every query reads a bounded
//! part of the outbox: pending rows (their own index), failed rows (theirs), and the newest
//! deliveries.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::db::dialect::each_backend;
use crate::intake::Intake;
use crate::outbox::Channel;
use crate::schema::{outbox, outbox_attempts};
use crate::Result;

/// A pending delivery due longer than this and claimed by nobody is overdue: no worker
/// sends (the server is down, or runs with `--no-deliver`).
pub const OVERDUE_MS: i64 = 120_000;

/// How far back the last delivery made is looked for, in deliveries.
const RECENT_DELIVERIES: i64 = 100_000;

/// The pending deliveries of one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// How they leave.
    pub channel: Channel,
    /// Deliveries not made yet.
    pub pending: i64,
    /// When the oldest of them was owed.
    pub oldest: Option<Timestamp>,
    /// Of them, those that failed at least once and wait for their next attempt.
    pub retrying: i64,
    /// When the oldest of those was owed.
    pub oldest_retrying: Option<Timestamp>,
    /// Of them, those due for over [`OVERDUE_MS`] that no worker has claimed.
    pub overdue: i64,
}

/// One channel's backlog and recent history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// What is pending.
    pub pending: Pending,
    /// When the last delivery was made (among the newest 100,000).
    pub last_delivered: Option<Timestamp>,
    /// Deliveries whose last attempt, within the last day, failed for good.
    pub failed_last_day: i64,
    /// The newest error of a delivery being retried.
    pub last_error: Option<String>,
}

#[derive(QueryableByName)]
struct PendingRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    channel: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pending: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    oldest: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    retrying: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    oldest_retrying: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    overdue: i64,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    channel: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

impl Intake<'_> {
    /// The pending deliveries of every channel (one query over the pending rows).
    pub fn outbox_pending(&self) -> Result<Vec<Pending>> {
        let now = Timestamp::now().millis();
        let overdue_before = now - OVERDUE_MS;
        // The same SQL on both backends; every value is a number.
        let sql = format!(
            "SELECT channel, COUNT(*) AS pending, MIN(created_at) AS oldest, \
                    SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS retrying, \
                    MIN(CASE WHEN attempts > 0 THEN created_at END) AS oldest_retrying, \
                    SUM(CASE WHEN next_attempt_at < {overdue_before} \
                              AND (claimed_until IS NULL OR claimed_until < {now}) THEN 1 ELSE 0 END) AS overdue \
             FROM outbox WHERE status = 'pending' GROUP BY channel"
        );
        let rows: Vec<PendingRow> = self
            .store
            .read(|conn| Ok(each_backend!(conn, c => diesel::sql_query(&sql).load(c))?))?;
        Ok(Channel::ALL
            .iter()
            .map(|&channel| {
                let row = rows.iter().find(|row| row.channel == channel.as_str());
                Pending {
                    channel,
                    pending: row.map_or(0, |row| row.pending),
                    oldest: row.and_then(|row| row.oldest).map(Timestamp::from_millis),
                    retrying: row.map_or(0, |row| row.retrying),
                    oldest_retrying: row.and_then(|row| row.oldest_retrying).map(Timestamp::from_millis),
                    overdue: row.map_or(0, |row| row.overdue),
                }
            })
            .collect())
    }

    /// Every channel's backlog and recent history.
    pub fn outbox_backlog(&self) -> Result<Vec<Backlog>> {
        let pending = self.outbox_pending()?;
        let since = Timestamp::now().millis() - 24 * 3600 * 1000;
        self.store.read(|conn| {
            // Failed for good with an attempt in the last day (the failed rows' own index).
            let failed_sql = format!(
                "SELECT o.channel AS channel, COUNT(*) AS count FROM outbox o \
                 WHERE o.status = 'failed' AND EXISTS \
                   (SELECT 1 FROM outbox_attempts a WHERE a.outbox_id = o.id AND a.at >= {since}) \
                 GROUP BY o.channel"
            );
            let failed: Vec<CountRow> = each_backend!(conn, c => diesel::sql_query(&failed_sql).load(c))?;
            let newest: Option<i64> = outbox::table.select(diesel::dsl::max(outbox::id)).first(conn)?;
            let recent = newest.unwrap_or(0) - RECENT_DELIVERIES;
            let mut backlog = Vec::with_capacity(pending.len());
            for pending in pending {
                let channel = pending.channel.as_str();
                let last: Option<i64> = outbox::table
                    .filter(outbox::id.gt(recent))
                    .filter(outbox::channel.eq(channel))
                    .filter(outbox::status.eq("delivered"))
                    .select(diesel::dsl::max(outbox::id))
                    .first(conn)?;
                let last_delivered = match last {
                    Some(id) => outbox_attempts::table
                        .filter(outbox_attempts::outbox_id.eq(id))
                        .select(diesel::dsl::max(outbox_attempts::at))
                        .first::<Option<i64>>(conn)?
                        .map(Timestamp::from_millis),
                    None => None,
                };
                let last_error = match pending.retrying {
                    0 => None,
                    _ => outbox::table
                        .filter(outbox::status.eq("pending"))
                        .filter(outbox::channel.eq(channel))
                        .filter(outbox::attempts.gt(0))
                        .select(outbox::last_error)
                        .order(outbox::id.desc())
                        .first::<Option<String>>(conn)
                        .optional()?
                        .flatten(),
                };
                backlog.push(Backlog {
                    pending,
                    last_delivered,
                    failed_last_day: failed
                        .iter()
                        .find(|row| row.channel == channel)
                        .map_or(0, |row| row.count),
                    last_error,
                });
            }
            Ok(backlog)
        })
    }
}
