//! What a claimed delivery needs to be sent, read outside the write transaction: its
//! endpoint (webhook or device), its lead as the team sees it, who an e-mail goes to.

use std::collections::HashMap;

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::db::DbConnection;
use crate::ids::{CompanyId, DeliveryId, EmployeeId, LeadId, OrderId, PushSubscriptionId, TicketId, WebhookId};
use crate::outbox::{parse_word, targets, Channel, Event, PushTarget, WebhookTarget};
use crate::schema::{companies, employees, outbox};
use crate::team::records::{LeadKind, OrderRecord, TicketRecord};
use crate::Result;

/// A lead as the team sees it.
#[derive(Debug, Clone)]
pub enum LeadRecord {
    /// A web order.
    Order(OrderRecord),
    /// A ticket.
    Ticket(TicketRecord),
}

impl LeadRecord {
    /// The files it came with.
    pub fn attachments(&self) -> &[crate::Attachment] {
        match self {
            LeadRecord::Order(order) => &order.attachments,
            LeadRecord::Ticket(ticket) => &ticket.attachments,
        }
    }
}

/// Who an e-mail goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTo {
    /// An employee of the company (the notification of a new lead).
    Employee {
        /// The employee.
        id: EmployeeId,
        /// Their name.
        name: String,
        /// Their address.
        email: String,
    },
    /// The lead's sender (the confirmation).
    Sender(String),
}

/// A delivery a worker has claimed: everything needed to send it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// Its id.
    pub id: DeliveryId,
    /// What a receiver deduplicates by (`webhook-id`): the same for every attempt, and never
    /// given to another delivery — also after a restore from a backup, when delivery ids are
    /// given again.
    pub message_id: String,
    /// The company it is for.
    pub company_id: CompanyId,
    /// How it leaves.
    pub channel: Channel,
    /// What happened.
    pub event: Event,
    /// Attempts made before this one.
    pub attempts: u32,
    /// What the first attempt sent (retries send the same); `None` before the first.
    pub body: Option<String>,
    /// When the event happened.
    pub created_at: Timestamp,
    /// The endpoint (webhook channel).
    pub webhook: Option<WebhookTarget>,
    /// The device (push channel).
    pub push: Option<PushTarget>,
    /// The addressee (e-mail channel).
    pub mail_to: Option<MailTo>,
    /// The lead it is about, as it stands now (before the first attempt, and for e-mails).
    pub lead: Option<LeadRecord>,
    /// The company's name (e-mails).
    pub company_name: Option<String>,
}

/// Everything needed to send `ids`, in bulk: one query per table.
pub(super) fn load_due(conn: &mut DbConnection, ids: &[DeliveryId], now: i64) -> Result<Vec<DueDelivery>> {
    type Row = (
        DeliveryId,
        CompanyId,
        String,
        String,
        i32,
        Option<String>,
        i64,
        Option<i64>,
        Option<EmployeeId>,
        Option<OrderId>,
        Option<TicketId>,
        Option<String>,
    );
    let rows: Vec<Row> = outbox::table
        .filter(outbox::id.eq_any(ids))
        .select((
            outbox::id,
            outbox::company_id,
            outbox::channel,
            outbox::event,
            outbox::attempts,
            outbox::body,
            outbox::created_at,
            outbox::target_id,
            outbox::employee_id,
            outbox::order_id,
            outbox::ticket_id,
            outbox::message_id,
        ))
        .order(outbox::id)
        .load(conn)?;
    let target_of = |row: &Row, channel: Channel| row.7.filter(|_| row.2 == channel.as_str());
    let mut hooks: Vec<WebhookId> = rows
        .iter()
        .filter_map(|row| target_of(row, Channel::Webhook))
        .map(WebhookId::new)
        .collect();
    hooks.sort_unstable();
    hooks.dedup();
    let targets = targets(conn, &hooks, now, true)?;
    let device_ids: Vec<PushSubscriptionId> = rows
        .iter()
        .filter_map(|row| target_of(row, Channel::Push))
        .map(PushSubscriptionId::new)
        .collect();
    let devices = crate::outbox::push::devices(conn, &device_ids)?;
    let is_mail = |row: &Row| row.2 == Channel::Email.as_str();
    // The records where the body is still to be made; an e-mail always needs its record (a
    // confirmation goes to its sender).
    let needs_record = |row: &Row| row.5.is_none() || is_mail(row);
    let order_ids: Vec<OrderId> = rows.iter().filter(|r| needs_record(r)).filter_map(|r| r.9).collect();
    let ticket_ids: Vec<TicketId> = rows.iter().filter(|r| needs_record(r)).filter_map(|r| r.10).collect();
    let orders: HashMap<OrderId, OrderRecord> = by_id(conn, &order_ids)?;
    let tickets_found: HashMap<TicketId, TicketRecord> = by_id(conn, &ticket_ids)?;
    let mail_rows = || rows.iter().filter(|r| is_mail(r));
    let employee_ids: Vec<EmployeeId> = mail_rows().filter_map(|r| r.8).collect();
    let staff: HashMap<EmployeeId, (String, String)> = if employee_ids.is_empty() {
        HashMap::new()
    } else {
        // Only who still wants them: an employee deactivated or turned off since gets none.
        employees::table
            .filter(employees::id.eq_any(&employee_ids))
            .filter(employees::active.eq(1))
            .filter(employees::notify_email.eq(1))
            .select((employees::id, employees::name, employees::email))
            .load::<(EmployeeId, String, String)>(conn)?
            .into_iter()
            .map(|(id, name, email)| (id, (name, email)))
            .collect()
    };
    let company_ids: Vec<CompanyId> = mail_rows().map(|r| r.1).collect();
    let names: HashMap<CompanyId, String> = if company_ids.is_empty() {
        HashMap::new()
    } else {
        companies::table
            .filter(companies::id.eq_any(&company_ids))
            .select((companies::id, companies::name))
            .load::<(CompanyId, String)>(conn)?
            .into_iter()
            .collect()
    };

    let mut due = Vec::with_capacity(rows.len());
    for row in &rows {
        let (id, company_id, channel, event, attempts, body, created_at, target, employee, order, ticket, message_id) =
            row;
        let channel: Channel = parse_word(channel, "channel")?;
        let (webhook, push) = match (channel, target) {
            (Channel::Webhook, Some(hook)) => (targets.get(&WebhookId::new(*hook)).cloned(), None),
            // Only to the employee it was owed to: a device since subscribed by another gets
            // none of its previous owner's messages.
            (Channel::Push, Some(device)) => match devices.get(&PushSubscriptionId::new(*device)) {
                Some((owner, target)) if Some(*owner) == *employee => (None, Some(target.clone())),
                _ => (None, None),
            },
            _ => (None, None),
        };
        let lead = match (needs_record(row), order, ticket) {
            (false, _, _) => None,
            (true, Some(order), _) => orders.get(order).cloned().map(LeadRecord::Order),
            (true, None, Some(ticket)) => tickets_found.get(ticket).cloned().map(LeadRecord::Ticket),
            (true, None, None) => None,
        };
        let mail_to = match (channel, employee, &lead) {
            (Channel::Email, Some(employee), _) => staff.get(employee).map(|(name, email)| MailTo::Employee {
                id: *employee,
                name: name.clone(),
                email: email.clone(),
            }),
            (Channel::Email, None, Some(LeadRecord::Order(order))) => Some(MailTo::Sender(order.email.clone())),
            (Channel::Email, None, Some(LeadRecord::Ticket(ticket))) => Some(MailTo::Sender(ticket.email.clone())),
            _ => None,
        };
        due.push(DueDelivery {
            id: *id,
            // None only for a delivery made before message ids were kept: its id then.
            message_id: message_id.clone().unwrap_or_else(|| format!("msg_{id}")),
            company_id: *company_id,
            channel,
            event: parse_word(event, "event")?,
            attempts: u32::try_from(*attempts).unwrap_or(0),
            body: body.clone(),
            created_at: (*created_at).into(),
            webhook,
            push,
            mail_to,
            lead,
            company_name: (channel == Channel::Email)
                .then(|| names.get(company_id).cloned())
                .flatten(),
        });
    }
    Ok(due)
}

/// The leads of kind `K` with these ids, held or not, by id.
fn by_id<K: LeadKind>(conn: &mut DbConnection, ids: &[K::Id]) -> Result<HashMap<K::Id, K>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let numbers: Vec<i64> = ids.iter().map(|&id| Into::<LeadId>::into(id).get()).collect();
    let rows = crate::team::records::table::Rows {
        ids: Some(&numbers),
        ..crate::team::records::table::Rows::EVERY
    };
    Ok(K::select(conn, &rows)?
        .into_iter()
        .map(|lead| (lead.id(), lead))
        .collect())
}
