//! An employee's in-app notifications: list, read, and the signal that new ones exist.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::db::DbConnection;
use crate::models::{Id, Member, NewNotification, Notification};
use crate::schema::{employees, notifications};
use crate::{Result, Store, StoreError};

impl Store {
    /// An employee's notifications, newest first: only unread ones if asked, only ids below
    /// `before`, at most `limit`.
    pub fn list_notifications(
        &self,
        employee_id: Id,
        unread_only: bool,
        before: Option<Id>,
        limit: Option<i64>,
    ) -> Result<Vec<Notification>> {
        self.find_employee(employee_id)?;
        self.read(|conn| {
            let mut query = notifications::table
                .filter(notifications::employee_id.eq(employee_id))
                .select(Notification::as_select())
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
            Ok(query.load(conn)?)
        })
    }

    /// An employee's notifications with an id above `after`, oldest first, at most `limit`:
    /// what a live stream has not delivered yet.
    pub fn notifications_after(&self, employee_id: Id, after: Id, limit: i64) -> Result<Vec<Notification>> {
        self.read(|conn| {
            Ok(notifications::table
                .filter(notifications::employee_id.eq(employee_id))
                .filter(notifications::id.gt(after))
                .select(Notification::as_select())
                .order(notifications::id.asc())
                .limit(limit)
                .load(conn)?)
        })
    }

    /// The id of the employee's newest notification (0 when there is none).
    pub fn latest_notification_id(&self, employee_id: Id) -> Result<Id> {
        self.read(|conn| {
            let latest: Option<Id> = notifications::table
                .filter(notifications::employee_id.eq(employee_id))
                .select(diesel::dsl::max(notifications::id))
                .first(conn)?;
            Ok(latest.unwrap_or(0))
        })
    }

    /// Marks one of the member's own notifications read (reading it twice keeps the first time).
    pub fn mark_notification_read(&self, member: Member, notification_id: Id) -> Result<Notification> {
        self.write(|conn| {
            let own = notifications::table
                .filter(notifications::id.eq(notification_id))
                .filter(notifications::employee_id.eq(member.employee_id));
            diesel::update(own.filter(notifications::read_at.is_null()))
                .set(notifications::read_at.eq(Timestamp::now().millis()))
                .execute(conn)?;
            own.select(Notification::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("no notification with id {notification_id}")))
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

    /// A receiver that gets a company's id whenever leads of that company (and so new
    /// notifications) have been committed. Only a wake-up call: the database stays the source
    /// of truth, so a missed or lagging signal loses nothing.
    /// On PostgreSQL this includes other instances' commits (LISTEN/NOTIFY).
    pub fn subscribe_commits(&self) -> tokio::sync::broadcast::Receiver<Id> {
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

/// What a lead tells the team: its kind, the text, and which record it points to.
pub(crate) struct LeadNote {
    pub kind: &'static str,
    pub text: String,
    pub order_id: Option<Id>,
    pub ticket_id: Option<Id>,
}

/// Notifies every active employee of `company_id` (inside the caller's transaction).
pub(crate) fn notify_team(conn: &mut DbConnection, company_id: Id, note: &LeadNote) -> Result<()> {
    let now = Timestamp::now().millis();
    let recipients: Vec<Id> = employees::table
        .filter(employees::company_id.eq(company_id))
        .filter(employees::active.eq(1))
        .select(employees::id)
        .order(employees::id)
        .load(conn)?;
    for employee_id in recipients {
        diesel::insert_into(notifications::table)
            .values(NewNotification {
                company_id,
                employee_id,
                kind: note.kind,
                text: note.text.clone(),
                order_id: note.order_id,
                ticket_id: note.ticket_id,
                created_at: now,
            })
            .execute(conn)?;
    }
    Ok(())
}
