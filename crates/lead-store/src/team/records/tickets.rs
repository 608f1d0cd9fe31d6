//! A ticket: what it holds besides what every lead does (a message), closing and reopening it,
//! and filing it under a customer.

use diesel::prelude::*;
use lead_domain::{LeadType, TicketStatus, Timestamp};

use super::LeadKind;
use crate::ids::{CompanyId, CustomerId, EmployeeId, LeadId, TicketId};
use crate::models::Hold;
use crate::models::{EmployeeRef, Member};
use crate::outbox::Event;
use crate::schema::{customers, tickets};
use crate::team::Team;
use crate::{Result, StoreError};

/// A ticket in a company's ticket system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    /// Its id.
    pub id: TicketId,
    /// The company.
    pub company_id: CompanyId,
    /// The customer whose file holds it, if one matched.
    pub customer_id: Option<CustomerId>,
    /// Sender's email as sent (trimmed).
    pub email: String,
    /// Subject or `Anfrage Webseite`.
    pub title: String,
    /// The request.
    pub message: String,
    /// Open, waiting for the customer, or closed.
    pub status: TicketStatus,
    /// The original request body.
    pub payload: String,
    /// When it arrived.
    pub created_at: Timestamp,
    /// Who last closed or reopened it.
    pub status_changed_by: Option<EmployeeRef>,
    /// When it was last closed or reopened.
    pub status_changed_at: Option<Timestamp>,
    /// Why it is held back from the team, if it is.
    pub held: Option<Hold>,
    /// The employee who owns it, if anyone does.
    pub owner: Option<EmployeeRef>,
    /// Who made them the owner (`None`: the key's routing, as it arrived).
    pub owner_by: Option<EmployeeRef>,
    /// The files it came with, in the order they came.
    pub attachments: Vec<crate::team::attachments::Attachment>,
    /// Its consent on record, if it has one.
    pub consent: Option<crate::models::Consent>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub(crate) struct TicketRow {
    id: TicketId,
    company_id: CompanyId,
    customer_id: Option<CustomerId>,
    email: String,
    title: String,
    message: String,
    #[diesel(deserialize_as = String)]
    status: TicketStatus,
    payload: String,
    #[diesel(deserialize_as = i64)]
    created_at: Timestamp,
    status_changed_by: Option<EmployeeId>,
    status_changed_at: Option<i64>,
    held: Option<String>,
    owner_id: Option<EmployeeId>,
    owner_by: Option<EmployeeId>,
    consent_given: Option<i32>,
    consent_text: Option<String>,
    consent_at: Option<i64>,
    consent_page: Option<String>,
    consent_client: Option<String>,
}

impl TryFrom<(TicketRow, super::Names)> for TicketRecord {
    type Error = StoreError;

    fn try_from((row, names): (TicketRow, super::Names)) -> Result<Self, StoreError> {
        Ok(TicketRecord {
            id: row.id,
            company_id: row.company_id,
            customer_id: row.customer_id,
            email: row.email,
            title: row.title,
            message: row.message,
            status: row.status,
            payload: row.payload,
            created_at: row.created_at,
            status_changed_by: EmployeeRef::from_parts(row.status_changed_by, names.changer),
            status_changed_at: row.status_changed_at.map(Timestamp::from),
            held: row.held.map(Hold::try_from).transpose()?,
            owner: EmployeeRef::from_parts(row.owner_id, names.owner),
            owner_by: EmployeeRef::from_parts(row.owner_by, names.assigner),
            attachments: Vec::new(),
            consent: crate::models::Consent::of_columns(
                row.consent_given,
                row.consent_text,
                row.consent_at,
                row.consent_page,
                row.consent_client,
            ),
        })
    }
}

super::table::lead_table!(TicketRecord, TicketRow, tickets, status_changed_by);

impl LeadKind for TicketRecord {
    type Id = TicketId;
    type Status = TicketStatus;

    const TYPE: LeadType = LeadType::Ticket;

    super::same_fields!();

    fn numbered(number: i64) -> TicketId {
        TicketId::new(number)
    }

    fn message(&self) -> Option<&str> {
        Some(&self.message)
    }

    fn changed(&self) -> (Option<&EmployeeRef>, Option<Timestamp>) {
        (self.status_changed_by.as_ref(), self.status_changed_at)
    }

    fn notification_text(&self) -> String {
        lead_domain::ticket_notification(&self.title, &self.email).to_string()
    }
}

impl Team<'_> {
    /// Closes a ticket or (re)opens it — from any other status, one waiting for the customer
    /// too — recording who and when. A ticket already in that status is a
    /// [`StoreError::Conflict`].
    pub fn set_ticket_status(&self, member: Member, ticket_id: TicketId, status: TicketStatus) -> Result<TicketRecord> {
        self.store.write(|conn| {
            let updated = diesel::update(
                tickets::table
                    .filter(tickets::id.eq(ticket_id))
                    .filter(tickets::company_id.eq(member.company_id))
                    .filter(tickets::status.ne(status.as_str())),
            )
            .set((
                tickets::status.eq(status.as_str()),
                tickets::status_changed_by.eq(member.employee_id),
                tickets::status_changed_at.eq(Timestamp::now().millis()),
            ))
            .execute(conn)?;
            let ticket = super::load::<TicketRecord>(conn, member.company_id, ticket_id)?;
            if updated == 0 {
                return Err(StoreError::Conflict(
                    crate::error::Clash::Already(ticket.status),
                    format!("the ticket is already {}", ticket.status),
                ));
            }
            let event = match status {
                TicketStatus::Open => Some(Event::TicketReopened),
                TicketStatus::Closed => Some(Event::TicketClosed),
                TicketStatus::Pending => Some(Event::TicketPending),
            };
            if let Some(event) = event {
                self.store
                    .outbox()
                    .enqueue(conn, member.company_id, LeadId::Ticket(ticket_id), event)?;
            }
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
        self.store.write(|conn| {
            let ticket = super::load::<TicketRecord>(conn, company_id, ticket_id)?;
            let customer_exists: i64 = customers::table
                .filter(customers::id.eq(customer_id))
                .filter(customers::company_id.eq(company_id))
                .count()
                .get_result(conn)?;
            if customer_exists == 0 {
                return Err(StoreError::missing(crate::error::Entity::Customer, customer_id));
            }
            if let Some(current) = ticket.customer_id {
                return Err(StoreError::Conflict(
                    crate::error::Clash::Filed(lead_domain::LeadType::Ticket),
                    format!("the ticket is already filed under customer {current}"),
                ));
            }
            diesel::update(
                tickets::table
                    .filter(tickets::id.eq(ticket_id))
                    .filter(tickets::customer_id.is_null()),
            )
            .set(tickets::customer_id.eq(customer_id))
            .execute(conn)?;
            super::load::<TicketRecord>(conn, company_id, ticket_id)
        })
    }
}
