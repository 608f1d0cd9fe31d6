//! Whole-database checks: row totals and the health probe.

use diesel::prelude::*;

use crate::models::Totals;
use crate::schema::{notifications, tickets, web_orders};
use crate::{Result, Store, StoreError};

impl Store {
    /// Row counts of orders, tickets and notifications across all companies.
    pub fn totals(&self) -> Result<Totals> {
        self.read(|conn| {
            Ok(Totals {
                orders: web_orders::table.count().get_result(conn)?,
                tickets: tickets::table.count().get_result(conn)?,
                notifications: notifications::table.count().get_result(conn)?,
            })
        })
    }

    /// Whether the database takes writes: a read, then a one-row write that commits. A full
    /// disk, a read-only or deleted SQLite file, an unreachable PostgreSQL fail here, so
    /// `/healthz` reports what a lead would meet. The answer is reused for a second, so a
    /// flood of health checks cannot crowd out the leads' writer.
    pub fn check_health(&self) -> Result<()> {
        let mut last = self.last_health.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((at, outcome)) = last.as_ref() {
            if at.elapsed() < HEALTH_REUSE {
                return outcome.clone().map_err(StoreError::Unavailable);
            }
        }
        let outcome = self.probe();
        *last = Some((
            std::time::Instant::now(),
            outcome.as_ref().map(|_| ()).map_err(ToString::to_string),
        ));
        outcome
    }

    /// The last health check's answer while it is still reused, without waiting or touching
    /// the database (for async code: `None` means call [`Store::check_health`] on a blocking
    /// thread).
    pub fn recent_health(&self) -> Option<Result<()>> {
        let last = self.last_health.try_lock().ok()?;
        let (at, outcome) = last.as_ref()?;
        (at.elapsed() < HEALTH_REUSE).then(|| outcome.clone().map_err(StoreError::Unavailable))
    }

    fn probe(&self) -> Result<()> {
        self.read(|conn| {
            diesel::sql_query("SELECT 1").execute(conn).map_err(StoreError::from)?;
            Ok(())
        })?;
        let now = lead_domain::Timestamp::now().millis();
        self.write(|conn| {
            // The same SQL on both backends; `now` is a number, not text from outside.
            diesel::sql_query(format!(
                "INSERT INTO health_probe (id, checked_at) VALUES (1, {now}) \
                 ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at"
            ))
            .execute(conn)?;
            Ok(())
        })
    }
}

/// A health check's time and finding (the error's text).
pub(crate) type Checked = (std::time::Instant, std::result::Result<(), String>);

/// How long a health check's answer is reused.
const HEALTH_REUSE: std::time::Duration = std::time::Duration::from_secs(1);
