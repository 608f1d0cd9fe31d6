//! Reading what arrived: a company's orders and tickets, an employee's notifications.

use diesel::prelude::*;
use lead_domain::{OrderStatus, TicketStatus};

use crate::models::{Id, Notification, OrderRecord, TicketRecord, Totals};
use crate::schema::{notifications, tickets, web_orders};
use crate::{Result, Store, StoreError};

impl Store {
    /// A company's web orders, newest first, optionally of one status, at most `limit`.
    pub fn list_orders(
        &self,
        company_id: Id,
        status: Option<OrderStatus>,
        limit: Option<i64>,
    ) -> Result<Vec<OrderRecord>> {
        self.read(|conn| {
            let mut query = web_orders::table
                .filter(web_orders::company_id.eq(company_id))
                .select(OrderRecord::as_select())
                .order(web_orders::id.desc())
                .into_boxed();
            if let Some(status) = status {
                query = query.filter(web_orders::status.eq(status.as_str()));
            }
            if let Some(limit) = limit {
                query = query.limit(limit);
            }
            Ok(query.load(conn)?)
        })
    }

    /// A company's tickets, newest first, optionally of one status, at most `limit`.
    pub fn list_tickets(
        &self,
        company_id: Id,
        status: Option<TicketStatus>,
        limit: Option<i64>,
    ) -> Result<Vec<TicketRecord>> {
        self.read(|conn| {
            let mut query = tickets::table
                .filter(tickets::company_id.eq(company_id))
                .select(TicketRecord::as_select())
                .order(tickets::id.desc())
                .into_boxed();
            if let Some(status) = status {
                query = query.filter(tickets::status.eq(status.as_str()));
            }
            if let Some(limit) = limit {
                query = query.limit(limit);
            }
            Ok(query.load(conn)?)
        })
    }

    /// An employee's notifications, newest first, at most `limit`.
    pub fn list_notifications(&self, employee_id: Id, limit: Option<i64>) -> Result<Vec<Notification>> {
        self.find_employee(employee_id)?;
        self.read(|conn| {
            let mut query = notifications::table
                .filter(notifications::employee_id.eq(employee_id))
                .select(Notification::as_select())
                .order(notifications::id.desc())
                .into_boxed();
            if let Some(limit) = limit {
                query = query.limit(limit);
            }
            Ok(query.load(conn)?)
        })
    }

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
