//! Releasing a held lead (quarantined, spam, conflicting `Idempotency-Key`) to the team: the
//! same steps for an order and a ticket.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::ids::{CompanyId, LeadId};
use crate::outbox::Event;
use crate::schema::{tickets, web_orders};
use crate::{audit, dialect, notifications, Result, Store, StoreError};

impl Store {
    /// Releases the held `lead`: it is held no longer, `load` reads it back as the team sees
    /// it (with the text of its notification), every active employee of its company is
    /// notified and its deliveries are owed as when a lead arrives, live streams hear of it,
    /// and the audit log records it.
    pub(crate) fn release<R>(
        &self,
        lead: LeadId,
        load: impl FnOnce(&mut DbConnection, CompanyId) -> Result<(R, String)>,
    ) -> Result<R> {
        let what = lead.lead_type().as_str();
        self.write(|conn| {
            let released: Vec<CompanyId> = match lead {
                LeadId::Order(id) => diesel::update(web_orders::table.find(id).filter(web_orders::held.is_not_null()))
                    .set(web_orders::held.eq(None::<String>))
                    .returning(web_orders::company_id)
                    .get_results(conn)?,
                LeadId::Ticket(id) => diesel::update(tickets::table.find(id).filter(tickets::held.is_not_null()))
                    .set(tickets::held.eq(None::<String>))
                    .returning(tickets::company_id)
                    .get_results(conn)?,
            };
            let Some(&company_id) = released.first() else {
                return Err(StoreError::NotFound(format!("no held {what} with id {}", lead.get())));
            };
            let (record, text) = load(conn, company_id)?;
            notifications::notify_team(conn, company_id, lead, &text)?;
            self.enqueue(conn, company_id, lead, Event::created(lead))?;
            dialect::announce_commits(conn, std::iter::once(company_id))?;
            audit::record(
                conn,
                &self.actor,
                audit::About::Company(company_id),
                &format!("{what}.release"),
                &format!("{what} {} of company {company_id}", lead.get()),
            )?;
            Ok(record)
        })
    }
}
