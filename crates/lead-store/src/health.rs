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

    /// Whether the database answers a trivial query.
    pub fn check_health(&self) -> Result<()> {
        self.read(|conn| {
            diesel::sql_query("SELECT 1").execute(conn).map_err(StoreError::from)?;
            Ok(())
        })
    }
}
