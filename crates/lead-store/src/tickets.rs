//! The ticket system: list, read, close, reopen, assign to a customer.

use diesel::prelude::*;
use lead_domain::{TicketStatus, Timestamp};

use crate::ids::{CompanyId, CustomerId, LeadId, TicketId};
use crate::models::Member;
use crate::outbox::Event;
use crate::records::{searched, Hold, Listing, Search, TicketRecord, TicketRow};
use crate::schema::{customers, employees, tickets};
use crate::{Result, Store, StoreError};

/// Tickets joined with the name of the employee who last changed their status.
macro_rules! tickets_with_changer {
    () => {
        tickets::table
            .left_join(employees::table.on(tickets::status_changed_by.eq(employees::id.nullable())))
            .select((TicketRow::as_select(), employees::name.nullable()))
    };
}
pub(crate) use tickets_with_changer;

impl Store {
    /// The team's tickets of a company narrowed by `search` (and a status), newest first: only
    /// ids below `before`, at most `limit` — pages that stay put while new leads arrive.
    pub fn find_tickets(
        &self,
        company_id: CompanyId,
        status: Option<TicketStatus>,
        search: &Search,
        before: Option<TicketId>,
        limit: i64,
    ) -> Result<Vec<TicketRecord>> {
        self.read(|conn| {
            let mut query = tickets_with_changer!()
                .filter(tickets::company_id.eq(company_id))
                .filter(tickets::held.is_null())
                .order(tickets::id.desc())
                .limit(limit)
                .into_boxed();
            query = searched!(query, tickets, search);
            if let Some(status) = status {
                query = query.filter(tickets::status.eq(status.as_str()));
            }
            if let Some(before) = before {
                query = query.filter(tickets::id.lt(before));
            }
            let rows: Vec<(TicketRow, Option<String>)> = query.load(conn)?;
            rows.into_iter().map(TicketRecord::try_from).collect()
        })
    }

    /// How many of the team's tickets `search` finds, per status (every status, zeros too).
    pub fn count_tickets(&self, company_id: CompanyId, search: &Search) -> Result<Vec<(TicketStatus, i64)>> {
        self.read(|conn| {
            let query = tickets::table
                .filter(tickets::company_id.eq(company_id))
                .filter(tickets::held.is_null())
                .group_by(tickets::status)
                .select((tickets::status, diesel::dsl::count_star()))
                .into_boxed();
            let counted: Vec<(String, i64)> = searched!(query, tickets, search).load(conn)?;
            Ok(TicketStatus::ALL
                .into_iter()
                .map(|status| {
                    let n = counted
                        .iter()
                        .find(|(s, _)| s == status.as_str())
                        .map_or(0, |(_, n)| *n);
                    (status, n)
                })
                .collect())
        })
    }

    /// A company's tickets, newest first: optionally of one status, only ids below `before`,
    /// at most `limit`.
    pub fn list_tickets(
        &self,
        company_id: CompanyId,
        status: Option<TicketStatus>,
        before: Option<TicketId>,
        limit: Option<i64>,
    ) -> Result<Vec<TicketRecord>> {
        self.read(|conn| list(conn, company_id, Listing::Team, status, before, limit))
    }

    /// A company's tickets held back from the team for `hold` (any reason: `None`),
    /// newest first: what the operator reviews (and may release).
    pub fn list_held_tickets(
        &self,
        company_id: CompanyId,
        hold: Option<Hold>,
        limit: Option<i64>,
    ) -> Result<Vec<TicketRecord>> {
        self.read(|conn| list(conn, company_id, Listing::Held(hold), None, None, limit))
    }

    /// Releases a held ticket to the team: from now on it is like any other, and every active
    /// employee gets the notification it would have sent when it arrived.
    pub fn release_ticket(&self, ticket_id: TicketId) -> Result<TicketRecord> {
        self.release(LeadId::Ticket(ticket_id), |conn, company_id| {
            let ticket = load_ticket(conn, company_id, ticket_id)?;
            let text = lead_domain::ticket_notification(&ticket.title, &ticket.email);
            Ok((ticket, text))
        })
    }

    /// One ticket of the company; another company's ticket is simply not found.
    pub fn get_ticket(&self, company_id: CompanyId, ticket_id: TicketId) -> Result<TicketRecord> {
        self.read(|conn| load_ticket(conn, company_id, ticket_id))
    }

    /// Closes an open ticket or reopens a closed one, recording who and when. A ticket
    /// already in that status is a [`StoreError::Conflict`].
    pub fn set_ticket_status(&self, member: Member, ticket_id: TicketId, status: TicketStatus) -> Result<TicketRecord> {
        let from = match status {
            TicketStatus::Open => TicketStatus::Closed,
            TicketStatus::Closed => TicketStatus::Open,
        };
        self.write(|conn| {
            let updated = diesel::update(
                tickets::table
                    .filter(tickets::id.eq(ticket_id))
                    .filter(tickets::company_id.eq(member.company_id))
                    .filter(tickets::status.eq(from.as_str())),
            )
            .set((
                tickets::status.eq(status.as_str()),
                tickets::status_changed_by.eq(member.employee_id),
                tickets::status_changed_at.eq(Timestamp::now().millis()),
            ))
            .execute(conn)?;
            let ticket = load_ticket(conn, member.company_id, ticket_id)?;
            if updated == 0 {
                return Err(StoreError::Conflict(format!("the ticket is already {}", ticket.status)));
            }
            let event = match status {
                TicketStatus::Open => Event::TicketReopened,
                TicketStatus::Closed => Event::TicketClosed,
            };
            self.enqueue(conn, member.company_id, LeadId::Ticket(ticket_id), event)?;
            Ok(ticket)
        })
    }

    /// Files an unassigned ticket under a customer of the same company. A ticket that is
    /// already in a customer's file is a [`StoreError::Conflict`].
    pub fn assign_ticket(
        &self,
        company_id: CompanyId,
        ticket_id: TicketId,
        customer_id: CustomerId,
    ) -> Result<TicketRecord> {
        self.write(|conn| {
            let ticket = load_ticket(conn, company_id, ticket_id)?;
            let customer_exists: i64 = customers::table
                .filter(customers::id.eq(customer_id))
                .filter(customers::company_id.eq(company_id))
                .count()
                .get_result(conn)?;
            if customer_exists == 0 {
                return Err(StoreError::NotFound(format!("no customer with id {customer_id}")));
            }
            if let Some(current) = ticket.customer_id {
                return Err(StoreError::Conflict(format!(
                    "the ticket is already filed under customer {current}"
                )));
            }
            diesel::update(
                tickets::table
                    .filter(tickets::id.eq(ticket_id))
                    .filter(tickets::customer_id.is_null()),
            )
            .set(tickets::customer_id.eq(customer_id))
            .execute(conn)?;
            load_ticket(conn, company_id, ticket_id)
        })
    }
}

/// The tickets of a company, newest first: those shown to the team, or those held back
/// (see [`Listing`]).
pub(crate) fn list(
    conn: &mut crate::db::DbConnection,
    company_id: CompanyId,
    listing: Listing,
    status: Option<TicketStatus>,
    before: Option<TicketId>,
    limit: Option<i64>,
) -> Result<Vec<TicketRecord>> {
    let mut query = tickets_with_changer!()
        .filter(tickets::company_id.eq(company_id))
        .order(tickets::id.desc())
        .into_boxed();
    query = match listing {
        Listing::Team => query.filter(tickets::held.is_null()),
        Listing::Customer(customer) => query
            .filter(tickets::held.is_null())
            .filter(tickets::customer_id.eq(customer)),
        Listing::Held(None) => query.filter(tickets::held.is_not_null()),
        Listing::Held(Some(hold)) => query.filter(tickets::held.eq(hold.as_str())),
    };
    if let Some(status) = status {
        query = query.filter(tickets::status.eq(status.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(tickets::id.lt(before));
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    let rows: Vec<(TicketRow, Option<String>)> = query.load(conn)?;
    rows.into_iter().map(TicketRecord::try_from).collect()
}

/// One ticket of the company as the team sees it: a held one is not found.
pub(crate) fn load_ticket(
    conn: &mut crate::db::DbConnection,
    company_id: CompanyId,
    ticket_id: TicketId,
) -> Result<TicketRecord> {
    tickets_with_changer!()
        .filter(tickets::id.eq(ticket_id))
        .filter(tickets::company_id.eq(company_id))
        .filter(tickets::held.is_null())
        .first::<(TicketRow, Option<String>)>(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("no ticket with id {ticket_id}")))?
        .try_into()
}
