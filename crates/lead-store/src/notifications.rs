//! An employee's in-app notifications: list, read, and the signal that new ones exist.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::db::DbConnection;
use crate::ids::{CompanyId, EmployeeId, LeadId, NotificationId};
use crate::models::{Member, Notification, NotificationRow};
use crate::rows::NewNotification;
use crate::schema::{employees, notifications};
use crate::{Result, Store, StoreError};

impl Store {
    /// An employee's notifications, newest first: only unread ones if asked, only ids below
    /// `before`, at most `limit`.
    pub fn list_notifications(
        &self,
        employee_id: EmployeeId,
        unread_only: bool,
        before: Option<NotificationId>,
        limit: Option<i64>,
    ) -> Result<Vec<Notification>> {
        self.find_employee(employee_id)?;
        self.read(|conn| {
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

    /// An employee's notifications with an id above `after`, oldest first, at most `limit`:
    /// what a live stream has not delivered yet.
    pub fn notifications_after(
        &self,
        employee_id: EmployeeId,
        after: NotificationId,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        self.read(|conn| {
            notifications::table
                .filter(notifications::employee_id.eq(employee_id))
                .filter(notifications::id.gt(after))
                .select(NotificationRow::as_select())
                .order(notifications::id.asc())
                .limit(limit)
                .load(conn)?
                .into_iter()
                .map(Notification::try_from)
                .collect()
        })
    }

    /// The id of the employee's newest notification (0 when there is none: every
    /// notification comes after it).
    pub fn latest_notification_id(&self, employee_id: EmployeeId) -> Result<NotificationId> {
        self.read(|conn| {
            let latest: Option<NotificationId> = notifications::table
                .filter(notifications::employee_id.eq(employee_id))
                .select(diesel::dsl::max(notifications::id))
                .first(conn)?;
            Ok(latest.unwrap_or(NotificationId::new(0)))
        })
    }

    /// Marks one of the member's own notifications read (reading it twice keeps the first time).
    pub fn mark_notification_read(&self, member: Member, notification_id: NotificationId) -> Result<Notification> {
        self.write(|conn| {
            let own = notifications::table
                .filter(notifications::id.eq(notification_id))
                .filter(notifications::employee_id.eq(member.employee_id));
            diesel::update(own.filter(notifications::read_at.is_null()))
                .set(notifications::read_at.eq(Timestamp::now().millis()))
                .execute(conn)?;
            own.select(NotificationRow::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("no notification with id {notification_id}")))?
                .try_into()
        })
    }

    /// Marks all of the member's unread notifications read; returns how many.
    pub fn mark_all_notifications_read(&self, member: Member) -> Result<usize> {
        self.write(|conn| {
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
        self.read(|conn| {
            let newest: Option<NotificationId> = notifications::table
                .select(diesel::dsl::max(notifications::id))
                .first(conn)?;
            Ok(newest.unwrap_or(NotificationId::new(0)))
        })
    }

    /// Wakes the live streams of every company that got notifications after `after`, as a
    /// commit of its own would (see [`Store::subscribe_commits`]) — for what no signal told
    /// of: notifications committed by another process on SQLite, or while the PostgreSQL
    /// listener was reconnecting. One query; returns the newest id seen, the next `after`.
    pub fn wake_streams_notified_after(&self, after: NotificationId) -> Result<NotificationId> {
        let found: Vec<(CompanyId, Option<NotificationId>)> = self.read(|conn| {
            Ok(notifications::table
                .filter(notifications::id.gt(after))
                .group_by(notifications::company_id)
                .select((notifications::company_id, diesel::dsl::max(notifications::id)))
                .load(conn)?)
        })?;
        let mut newest = after;
        for (company, last) in found {
            let _ = self.commits.send(company);
            newest = newest.max(last.unwrap_or(after));
        }
        Ok(newest)
    }

    /// A receiver that gets a company's id whenever leads of that company (and so new
    /// notifications) have been committed. Only a wake-up call: the database stays the source
    /// of truth, so a missed or lagging signal loses nothing.
    /// On PostgreSQL this includes other instances' commits (LISTEN/NOTIFY).
    pub fn subscribe_commits(&self) -> tokio::sync::broadcast::Receiver<CompanyId> {
        if let Some((url, listener)) = &self.listener {
            if listener.get().is_none() {
                match crate::listen::Listener::start(url.clone(), self.commits.clone()) {
                    Ok(started) => {
                        // Two streams racing here start two listeners; the loser's ends at once.
                        let _ = listener.set(started);
                    }
                    Err(error) => log::warn!("{error}"),
                }
            }
        }
        self.commits.subscribe()
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
    let (order_id, ticket_id) = match lead {
        LeadId::Order(id) => (Some(id), None),
        LeadId::Ticket(id) => (None, Some(id)),
    };
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

/// Notifies the team of `company_id` of `lead` (inside the caller's transaction).
pub(crate) fn notify_team(conn: &mut DbConnection, company_id: CompanyId, lead: LeadId, text: &str) -> Result<()> {
    let recipients = recipients(conn, company_id)?;
    let notes: Vec<NewNotification> =
        notes_to_team(company_id, &recipients, lead, text, Timestamp::now().millis()).collect();
    crate::dialect::insert_rows!(conn, notifications, notes);
    Ok(())
}

/// Tells every active employee of `company_id` something about one of its webhook endpoints
/// (inside the caller's transaction).
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
        crate::dialect::insert_rows!(conn, notifications, notes);
    }
    Ok(())
}
