//! An employee's in-app notifications: list, read, and the signal that new ones exist.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::db::{Backend, DbConnection};
use crate::ids::{CompanyId, EmployeeId, LeadId, NotificationId};
use crate::models::{Member, Notification, NotificationRow};
use crate::rows::NewNotification;
use crate::schema::{employees, notifications};
use crate::team::Team;
use crate::{Result, StoreError};

/// Where a stream of `employee_id` without `Last-Event-ID` starts on PostgreSQL: after the last
/// notification in order (below the horizon), with those visible beyond it noted as seen — in
/// one statement, so one snapshot decides both.
fn postgres_start(conn: &mut DbConnection, employee_id: EmployeeId) -> Result<StreamCursor> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        xact: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        beyond: bool,
    }
    // Every value is a number.
    let sql = format!(
        "(SELECT xact, id, false AS beyond FROM notifications \
          WHERE employee_id = {employee_id} AND xact < {HORIZON} ORDER BY xact DESC, id DESC LIMIT 1) \
         UNION ALL \
         (SELECT xact, id, true AS beyond FROM notifications \
          WHERE employee_id = {employee_id} AND xact >= {HORIZON})"
    );
    let DbConnection::Postgres(pg) = conn else {
        return Err(StoreError::corrupt("a PostgreSQL query on another backend".into()));
    };
    let rows: Vec<Row> = diesel::sql_query(sql).load(pg)?;
    let mut cursor = rows
        .iter()
        .find(|row| !row.beyond)
        .map_or(StreamCursor::after(0, NotificationId::new(0)), |row| {
            StreamCursor::after(row.xact, NotificationId::new(row.id))
        });
    cursor.seen = rows
        .iter()
        .filter(|row| row.beyond)
        .map(|row| NotificationId::new(row.id))
        .collect();
    Ok(cursor)
}

/// PostgreSQL: how often every live stream reads again whatever the signals said.
const SAFETY_NET_MS: i64 = 30_000;

/// The oldest transaction still running, as of the statement's snapshot (PostgreSQL): every
/// transaction below it has ended, so its rows are all there is.
const HORIZON: &str = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

/// Where a live stream stands: after this notification, in the order notifications became
/// visible (see [`Team::notifications_after`]) — and, for a stream that started without
/// `Last-Event-ID`, the ones after it that were visible already when it started (PostgreSQL:
/// a transaction older than theirs was still running), which it must not give out as new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamCursor {
    xact: i64,
    id: NotificationId,
    seen: Vec<NotificationId>,
}

impl StreamCursor {
    fn after(xact: i64, id: NotificationId) -> StreamCursor {
        StreamCursor {
            xact,
            id,
            seen: Vec::new(),
        }
    }
}

/// What a live stream reads at once.
#[derive(Debug, Clone)]
pub struct StreamBatch {
    /// The notifications, in the order they became visible.
    pub notifications: Vec<Notification>,
    /// Where the next read starts.
    pub cursor: StreamCursor,
    /// Further notifications are visible but not yet in order (a transaction older than
    /// theirs is still running): read again in a moment, without waiting for a signal.
    pub waiting: bool,
    /// The read stopped at its limit: read again at once (some rows read may have been
    /// passed over, so fewer than the limit may have been given out).
    pub full: bool,
}

impl Team<'_> {
    /// An employee's notifications, newest first: only unread ones if asked, only ids below
    /// `before`, at most `limit`.
    pub fn list_notifications(
        &self,
        employee_id: EmployeeId,
        unread_only: bool,
        before: Option<NotificationId>,
        limit: Option<i64>,
    ) -> Result<Vec<Notification>> {
        self.store.access().find_employee(employee_id)?;
        self.store.read(|conn| {
            let mut query = notifications::table
                .filter(notifications::employee_id.eq(employee_id))
                .select(NotificationRow::as_select())
                .order(notifications::id.desc())
                .into_boxed();
            if unread_only {
                query = query.filter(notifications::read_at.is_null());
            }
            if let Some(before) = before {
                query = query.filter(notifications::id.lt(before));
            }
            if let Some(limit) = limit {
                query = query.limit(limit);
            }
            query.load(conn)?.into_iter().map(Notification::try_from).collect()
        })
    }

    /// How many of the employee's notifications are unread (the bell's count): read from the
    /// index of unread notifications alone, however many the employee has.
    pub fn count_unread_notifications(&self, employee_id: EmployeeId) -> Result<i64> {
        self.store.read(|conn| {
            Ok(notifications::table
                .filter(notifications::employee_id.eq(employee_id))
                .filter(notifications::read_at.is_null())
                .count()
                .get_result(conn)?)
        })
    }

    /// Where a live stream of `employee_id` starts: right after notification `resume_after`
    /// (the last one its client saw), or — without one — after everything visible now.
    pub fn stream_start(&self, employee_id: EmployeeId, resume_after: Option<NotificationId>) -> Result<StreamCursor> {
        self.store.read(|conn| match (resume_after, conn.backend()) {
            (Some(id), Backend::Sqlite) => {
                // An id beyond the newest (the database was restored from a backup since the
                // client saw it: ids are given again) resumes after the newest, not after ids
                // that new notifications will take.
                let newest: Option<NotificationId> = notifications::table
                    .filter(notifications::employee_id.eq(employee_id))
                    .select(diesel::dsl::max(notifications::id))
                    .first(conn)?;
                Ok(StreamCursor::after(0, id.min(newest.unwrap_or(NotificationId::new(0)))))
            }
            (Some(id), Backend::Postgres) => {
                let mine = notifications::table
                    .filter(notifications::employee_id.eq(employee_id))
                    .select(notifications::xact);
                let xact = match mine.filter(notifications::id.eq(id)).first(conn).optional()? {
                    Some(xact) => xact,
                    // Gone (purged, erased): after the rows that came before it.
                    None => mine
                        .filter(notifications::id.le(id))
                        .select(diesel::dsl::max(notifications::xact))
                        .first::<Option<i64>>(conn)?
                        .unwrap_or(0),
                };
                Ok(StreamCursor::after(xact, id))
            }
            (None, Backend::Sqlite) => Ok(StreamCursor::after(
                0,
                notifications::table
                    .filter(notifications::employee_id.eq(employee_id))
                    .select(diesel::dsl::max(notifications::id))
                    .first::<Option<NotificationId>>(conn)?
                    .unwrap_or(NotificationId::new(0)),
            )),
            (None, Backend::Postgres) => postgres_start(conn, employee_id),
        })
    }

    /// An employee's notifications after `cursor` in the order they became visible, at most
    /// `limit`: what a live stream has not delivered yet, and its next cursor.
    ///
    /// SQLite writes one transaction at a time, so ids are in commit order. PostgreSQL's
    /// writers take ids in one order and commit in another: a row with a lower id can become
    /// visible after a higher one was sent. There the order is (writing transaction, id), and
    /// a row is given out only once every transaction older than its own has ended (below the
    /// snapshot's `xmin`): nothing can then come before it any more. Rows already visible but
    /// not yet in order are `waiting`: read again in a moment.
    pub fn notifications_after(
        &self,
        employee_id: EmployeeId,
        cursor: &StreamCursor,
        limit: i64,
    ) -> Result<StreamBatch> {
        let rows: Vec<(NotificationRow, i64, i64)> = self.store.read(|conn| {
            let mine = notifications::table
                .filter(notifications::employee_id.eq(employee_id))
                .limit(limit)
                .into_boxed();
            Ok(match conn.backend() {
                Backend::Sqlite => mine
                    .filter(notifications::id.gt(cursor.id))
                    .order(notifications::id.asc())
                    .select((
                        NotificationRow::as_select(),
                        notifications::xact,
                        diesel::dsl::sql::<diesel::sql_types::BigInt>(&i64::MAX.to_string()),
                    ))
                    .load(conn)?,
                Backend::Postgres => mine
                    .filter(
                        diesel::dsl::sql::<diesel::sql_types::Bool>("(xact, id) > (")
                            .bind::<diesel::sql_types::BigInt, _>(cursor.xact)
                            .sql(", ")
                            .bind::<diesel::sql_types::BigInt, _>(cursor.id.get())
                            .sql(")"),
                    )
                    .order((notifications::xact.asc(), notifications::id.asc()))
                    .select((
                        NotificationRow::as_select(),
                        notifications::xact,
                        diesel::dsl::sql::<diesel::sql_types::BigInt>(HORIZON),
                    ))
                    .load(conn)?,
            })
        })?;
        let mut batch = StreamBatch {
            notifications: Vec::with_capacity(rows.len()),
            cursor: cursor.clone(),
            waiting: false,
            full: rows.len() as i64 == limit,
        };
        for (row, xact, horizon) in rows {
            if xact >= horizon {
                // Its transaction is younger than one still running: not yet.
                batch.waiting = true;
                break;
            }
            let note = Notification::try_from(row)?;
            let seen = batch.cursor.seen.iter().position(|&id| id == note.id);
            batch.cursor.xact = xact;
            batch.cursor.id = note.id;
            match seen {
                // There before the stream started: passed over, once.
                Some(at) => _ = batch.cursor.seen.swap_remove(at),
                None => batch.notifications.push(note),
            }
        }
        // Stopped by the horizon, not the limit: what is left is not in order yet.
        batch.full &= !batch.waiting;
        Ok(batch)
    }

    /// Marks one of the member's own notifications read (reading it twice keeps the first time).
    pub fn mark_notification_read(&self, member: Member, notification_id: NotificationId) -> Result<Notification> {
        self.store.write(|conn| {
            let own = notifications::table
                .filter(notifications::id.eq(notification_id))
                .filter(notifications::employee_id.eq(member.employee_id));
            diesel::update(own.filter(notifications::read_at.is_null()))
                .set(notifications::read_at.eq(Timestamp::now().millis()))
                .execute(conn)?;
            own.select(NotificationRow::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| StoreError::missing(crate::error::Entity::Notification, notification_id))?
                .try_into()
        })
    }

    /// Marks all of the member's unread notifications read; returns how many.
    pub fn mark_all_notifications_read(&self, member: Member) -> Result<usize> {
        self.store.write(|conn| {
            Ok(diesel::update(
                notifications::table
                    .filter(notifications::employee_id.eq(member.employee_id))
                    .filter(notifications::read_at.is_null()),
            )
            .set(notifications::read_at.eq(Timestamp::now().millis()))
            .execute(conn)?)
        })
    }

    /// The newest notification's id (0 when there is none).
    pub fn newest_notification_id(&self) -> Result<NotificationId> {
        self.store.read(|conn| {
            let newest: Option<NotificationId> = notifications::table
                .select(diesel::dsl::max(notifications::id))
                .first(conn)?;
            Ok(newest.unwrap_or(NotificationId::new(0)))
        })
    }

    /// Wakes the live streams of every company that got notifications after `after`, as a
    /// commit of its own would (see [`Team::subscribe_commits`]) — for what no signal told
    /// of: notifications committed by another process on SQLite. One query; returns the newest
    /// id seen, the next `after`. On PostgreSQL ids are not in commit order, so "after an id"
    /// could miss a late commit; there every commit is signalled to every instance (NOTIFY),
    /// a listener back from a lost connection wakes every stream, and as a last safety net —
    /// a connection that died without a word — this wakes every stream every
    /// 30 s (one read per stream then, not one a second).
    pub fn wake_streams_notified_after(&self, after: NotificationId) -> Result<NotificationId> {
        if self.store.backend == Backend::Postgres {
            let now = Timestamp::now().millis();
            let last = self.store.last_wake_all.load(std::sync::atomic::Ordering::Relaxed);
            if now - last >= SAFETY_NET_MS {
                self.store
                    .last_wake_all
                    .store(now, std::sync::atomic::Ordering::Relaxed);
                let _ = self.store.commits.send(None);
            }
            return Ok(after);
        }
        let found: Vec<(CompanyId, Option<NotificationId>)> = self.store.read(|conn| {
            Ok(notifications::table
                .filter(notifications::id.gt(after))
                .group_by(notifications::company_id)
                .select((notifications::company_id, diesel::dsl::max(notifications::id)))
                .load(conn)?)
        })?;
        let mut newest = after;
        for (company, last) in found {
            let _ = self.store.commits.send(Some(company));
            newest = newest.max(last.unwrap_or(after));
        }
        Ok(newest)
    }

    /// A receiver that gets a company's id whenever leads of that company (and so new
    /// notifications) have been committed — `None` when any company's may have been (the
    /// PostgreSQL listener reconnected). Only a wake-up call: the database stays the source
    /// of truth, so a missed or lagging signal loses nothing.
    /// On PostgreSQL this includes other instances' commits (LISTEN/NOTIFY).
    pub fn subscribe_commits(&self) -> tokio::sync::broadcast::Receiver<Option<CompanyId>> {
        if let Some((url, listener)) = &self.store.listener {
            if listener.get().is_none() {
                match crate::db::listen::Listener::start(url.clone(), self.store.commits.clone()) {
                    Ok(started) => {
                        // Two streams racing here start two listeners; the loser's ends at once.
                        let _ = listener.set(started);
                    }
                    Err(error) => log::warn!("{error}"),
                }
            }
        }
        self.store.commits.subscribe()
    }
}

/// The notifications of one lead for `recipients` (the active employees of `company_id`).
/// Every notification is made here: for a new lead, and for a held one that is released.
pub(crate) fn notes_to_team<'a>(
    company_id: CompanyId,
    recipients: &'a [EmployeeId],
    lead: LeadId,
    text: &'a str,
    now: i64,
) -> impl Iterator<Item = NewNotification> + 'a {
    let (order_id, ticket_id) = lead.columns();
    recipients.iter().map(move |&employee_id| NewNotification {
        company_id,
        employee_id,
        kind: lead.lead_type().as_str(),
        text: text.to_owned(),
        order_id,
        ticket_id,
        created_at: now,
    })
}

/// The active employees of `company_id`, in id order: who a lead notifies.
pub(crate) fn recipients(conn: &mut DbConnection, company_id: CompanyId) -> Result<Vec<EmployeeId>> {
    Ok(employees::table
        .filter(employees::company_id.eq(company_id))
        .filter(employees::active.eq(1))
        .select(employees::id)
        .order(employees::id)
        .load(conn)?)
}

/// Notifies the team of `company_id` of `lead` (inside the caller's transaction, whose commit
/// wakes the company's live streams on every PostgreSQL instance).
pub(crate) fn notify_team(conn: &mut DbConnection, company_id: CompanyId, lead: LeadId, text: &str) -> Result<()> {
    let recipients = recipients(conn, company_id)?;
    let notes: Vec<NewNotification> =
        notes_to_team(company_id, &recipients, lead, text, Timestamp::now().millis()).collect();
    crate::db::dialect::insert_rows!(conn, notifications, notes);
    crate::db::dialect::announce_commits(conn, std::iter::once(company_id))
}

/// Tells every active employee of `company_id` something about one of its webhook endpoints
/// (inside the caller's transaction, whose commit wakes the company's live streams on every
/// PostgreSQL instance).
pub(crate) fn notify_about_webhook(conn: &mut DbConnection, company_id: CompanyId, text: &str, now: i64) -> Result<()> {
    let notes: Vec<NewNotification> = recipients(conn, company_id)?
        .into_iter()
        .map(|employee_id| NewNotification {
            company_id,
            employee_id,
            kind: "webhook",
            text: text.to_owned(),
            order_id: None,
            ticket_id: None,
            created_at: now,
        })
        .collect();
    if !notes.is_empty() {
        crate::db::dialect::insert_rows!(conn, notifications, notes);
        crate::db::dialect::announce_commits(conn, std::iter::once(company_id))?;
    }
    Ok(())
}
