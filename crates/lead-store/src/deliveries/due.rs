//! What a claimed delivery needs to be sent, read outside the write transaction: its
//! endpoint (webhook or device), its lead as the team sees it, who an e-mail goes to.

use std::collections::HashMap;

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::db::DbConnection;
use crate::ids::{
    CompanyId, DeliveryId, EmployeeId, LeadId, MessageId, OrderId, PushSubscriptionId, TicketId, WebhookId,
};
use crate::outbox::{parse_word, targets, Channel, Event, PushTarget, WebhookTarget};
use crate::schema::{companies, employees, mailboxes, messages, outbox};
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
    /// The reply it sends (event `message.reply`).
    pub reply: Option<OutgoingReply>,
}

/// A reply of the team to send: the message as stored, what it answers, and how it leaves.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingReply {
    /// The company's address (`"Name" <address>`).
    pub from: String,
    /// The lead's sender.
    pub to: String,
    /// `Re: <title> [#T42]`.
    pub subject: String,
    /// Its Message-ID, without the angle brackets.
    pub message_id: String,
    /// The Message-ID it answers.
    pub in_reply_to: Option<String>,
    /// The conversation it continues, oldest first.
    pub references: Vec<String>,
    /// What the employee wrote.
    pub text: String,
    /// When they wrote it.
    pub written_at: Timestamp,
    /// What it answers: the customer's last message before it (or the lead's own), quoted
    /// below the reply.
    pub quoted: Option<Quoted>,
    /// The company's SMTP server, with its credentials (`None`: the server's `[smtp]`).
    pub smtp_url: Option<String>,
}

impl std::fmt::Debug for OutgoingReply {
    /// Without the SMTP server's password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingReply")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("message_id", &self.message_id)
            .field("smtp_url", &self.smtp_url.as_deref().map(crate::redact_password))
            .finish_non_exhaustive()
    }
}

/// A message quoted in a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoted {
    /// Who wrote it.
    pub from: String,
    /// When it arrived.
    pub at: Timestamp,
    /// What it says.
    pub text: String,
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

    let replies = replies(
        conn,
        rows.iter()
            .filter(|row| is_mail(row) && row.3 == Event::Reply.as_str())
            .filter_map(|row| Some((row.1, row.7?))),
    )?;

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
        let reply = match (channel, target) {
            (Channel::Email, Some(message)) => replies.get(&MessageId::new(*message)).cloned(),
            _ => None,
        };
        let reply = reply.map(|mut reply| {
            // Nothing came in before it: what it answers is the lead's own message.
            if reply.quoted.is_none() {
                reply.quoted = lead.as_ref().and_then(original_message);
            }
            reply
        });
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
            reply,
        });
    }
    Ok(due)
}

/// The replies (messages) these deliveries send, by message: each with the customer's last
/// message before it, and its company's SMTP server as set now.
fn replies(
    conn: &mut DbConnection,
    wanted: impl Iterator<Item = (CompanyId, i64)>,
) -> Result<HashMap<MessageId, OutgoingReply>> {
    let mut found = HashMap::new();
    for (company_id, message) in wanted {
        let row: Option<StoredReply> = messages::table
            .find(MessageId::new(message))
            .filter(messages::company_id.eq(company_id))
            .select((
                messages::order_id,
                messages::ticket_id,
                messages::sender,
                messages::recipient,
                messages::subject,
                messages::message_id,
                messages::in_reply_to,
                messages::refs,
                messages::text,
                messages::created_at,
            ))
            .first(conn)
            .optional()?;
        let Some((order, ticket, from, to, subject, message_id, in_reply_to, refs, text, written_at)) = row else {
            continue;
        };
        let earlier = messages::table
            .filter(messages::id.lt(MessageId::new(message)))
            .filter(messages::direction.eq("in"))
            .select((messages::sender, messages::created_at, messages::text))
            .order(messages::id.desc())
            .into_boxed();
        let earlier = match (order, ticket) {
            (Some(order), _) => earlier.filter(messages::order_id.eq(order)),
            (None, Some(ticket)) => earlier.filter(messages::ticket_id.eq(ticket)),
            (None, None) => continue,
        };
        let quoted = earlier
            .first::<(String, i64, String)>(conn)
            .optional()?
            .map(|(from, at, text)| Quoted {
                from,
                at: at.into(),
                text,
            });
        let smtp_url: Option<String> = mailboxes::table
            .find(company_id)
            .select(mailboxes::smtp_url)
            .first::<Option<String>>(conn)
            .optional()?
            .flatten();
        found.insert(
            MessageId::new(message),
            OutgoingReply {
                from,
                to,
                subject,
                message_id,
                in_reply_to,
                references: refs.split_whitespace().map(str::to_owned).collect(),
                text,
                written_at: written_at.into(),
                quoted,
                smtp_url,
            },
        );
    }
    Ok(found)
}

type StoredReply = (
    Option<OrderId>,
    Option<TicketId>,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
);

/// The lead's own message (what the website sent), as a reply quotes it.
fn original_message(lead: &LeadRecord) -> Option<Quoted> {
    let (email, at, text) = match lead {
        LeadRecord::Order(order) => (&order.email, order.created_at, order.message.clone()?),
        LeadRecord::Ticket(ticket) => (&ticket.email, ticket.created_at, ticket.message.clone()),
    };
    Some(Quoted {
        from: email.clone(),
        at,
        text,
    })
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
