//! A lead's e-mail conversation: the team's replies, sent through the outbox from the
//! company's mailbox, and what came in about the lead. Company-scoped like the leads (another
//! company's lead, or a held one, is simply not found).

use std::collections::HashMap;

use diesel::prelude::*;
use lead_domain::{TicketStatus, Timestamp};

use crate::db::{dialect, DbConnection};
use crate::ids::{CompanyId, DeliveryId, EmployeeId, LeadId, MessageId, OrderId, TicketId};
use crate::models::{EmployeeRef, Member};
use crate::outbox::{parse_word, Channel, DeliveryStatus, Event, NewDelivery};
use crate::schema::{employees, messages, outbox, tickets};
use crate::team::attachments::{of_messages, Attachment};
use crate::team::records::{load, LeadKind, OrderRecord, TicketRecord};
use crate::team::Team;
use crate::{Problem, Result, StoreError};

lead_domain::words! {
    /// Which way a message of a conversation went.
    Direction("direction") {
        /// To the company: the customer's answer, or an e-mail a ticket was made of.
        In = "in",
        /// From the company: a reply of the team.
        Out = "out",
    }
}

/// The longest reply, in characters (as a note: what fits in a request body of 64 KiB).
pub const MAX_REPLY_CHARS: usize = 10_000;

/// How many Message-IDs a reply's `References` names at most: the first of the conversation
/// and the latest (RFC 5322 lets a long thread's be shortened so).
const MAX_REFERENCES: usize = 20;

/// A message of a lead's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its id.
    pub id: MessageId,
    /// The lead it belongs to.
    pub lead: LeadId,
    /// In or out.
    pub direction: Direction,
    /// Its Message-ID, without the angle brackets.
    pub message_id: String,
    /// The Message-ID it answers, if any.
    pub in_reply_to: Option<String>,
    /// The conversation it continues, oldest first.
    pub references: Vec<String>,
    /// Who sent it (`"Name" <address>` or an address).
    pub from: String,
    /// Who it went to.
    pub to: String,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub text: String,
    /// The employee who wrote it (out).
    pub author: Option<EmployeeRef>,
    /// The delivery that sends it (out).
    pub delivery_id: Option<DeliveryId>,
    /// Where that delivery stands (out).
    pub delivery: Option<DeliveryStatus>,
    /// An auto-reply or bulk mail (in): filed, without notifying anyone.
    pub automatic: bool,
    /// The files it came with (in).
    pub attachments: Vec<Attachment>,
    /// When it was written or arrived.
    pub created_at: Timestamp,
}

type MessageRow = (
    MessageId,
    Option<OrderId>,
    Option<TicketId>,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    Option<EmployeeId>,
    Option<String>,
    Option<DeliveryId>,
    Option<String>,
    i32,
    i64,
);

macro_rules! message_columns {
    () => {
        (
            messages::id,
            messages::order_id,
            messages::ticket_id,
            messages::direction,
            messages::message_id,
            messages::in_reply_to,
            messages::refs,
            messages::sender,
            messages::recipient,
            messages::subject,
            messages::text,
            messages::employee_id,
            employees::name.nullable(),
            messages::delivery_id,
            messages::delivery,
            messages::automatic,
            messages::created_at,
        )
    };
}

fn message(row: MessageRow) -> Result<Message> {
    let (
        id,
        order,
        ticket,
        direction,
        message_id,
        in_reply_to,
        refs,
        from,
        to,
        subject,
        text,
        author,
        name,
        delivery_id,
        settled,
        automatic,
        created_at,
    ) = row;
    let lead = match (order, ticket) {
        (Some(order), None) => LeadId::Order(order),
        (None, Some(ticket)) => LeadId::Ticket(ticket),
        _ => return Err(StoreError::corrupt(format!("message {id} belongs to no one lead"))),
    };
    Ok(Message {
        id,
        lead,
        direction: parse_word(&direction, "message direction")?,
        message_id,
        in_reply_to,
        references: refs.split_whitespace().map(str::to_owned).collect(),
        from,
        to,
        subject,
        text,
        author: EmployeeRef::from_parts(author, name),
        delivery_id,
        delivery: settled
            .map(|status| parse_word(&status, "delivery status"))
            .transpose()?,
        automatic: automatic == 1,
        attachments: Vec::new(),
        created_at: created_at.into(),
    })
}

/// What a reply needs of its lead.
struct Replied {
    email: String,
    title: String,
    status: Option<TicketStatus>,
}

impl Team<'_> {
    /// `member` answers the sender of a lead of their company: the reply is stored in the
    /// lead's conversation and sent through the outbox from the company's mailbox, with the
    /// conversation's `In-Reply-To` and `References`; a ticket then waits for the customer
    /// (`pending`). Without a mailbox, or without an SMTP server to send by, nothing is stored
    /// ([`StoreError::Conflict`]).
    pub fn reply(&self, member: Member, lead: LeadId, text: &str) -> Result<Message> {
        let text = text.trim_end();
        if text.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "text",
                problem: Problem::Blank,
            });
        }
        if text.chars().count() > MAX_REPLY_CHARS {
            return Err(StoreError::Invalid {
                field: "text",
                problem: Problem::TooLong(MAX_REPLY_CHARS),
            });
        }
        let company_id = member.company_id;
        let most = self.store.notes_per_record;
        let server_smtp = self.store.shared.owed.email;
        self.store.write(|conn| {
            // First: two replies at once (PostgreSQL) see each other — the count, the thread,
            // and the status, so that only one of them reports the ticket pending.
            crate::team::notes::lock_record(conn, lead.into())?;
            let replied = replied(conn, company_id, lead)?;
            if lead_domain::Email::parse(&replied.email).is_err() {
                return Err(StoreError::Conflict(
                    crate::error::Clash::NoAddress,
                    "the lead has no sender's address (it was anonymised)".into(),
                ));
            }
            let route = crate::outbox::mailbox::reply_route(conn, company_id)?.ok_or_else(|| {
                StoreError::Conflict(crate::error::Clash::NoMailbox, "the company has no mailbox".into())
            })?;
            if route.smtp_url.is_none() && !server_smtp {
                return Err(StoreError::Conflict(
                    crate::error::Clash::NoSmtp,
                    "neither the company's mailbox nor the server has an SMTP server".into(),
                ));
            }
            let earlier = thread(conn, lead)?;
            let replies = earlier
                .iter()
                .filter(|(_, direction)| direction == Direction::Out.as_str())
                .count();
            if replies >= most as usize {
                return Err(StoreError::RepliesFull(most));
            }
            let ids: Vec<&str> = earlier.iter().map(|(id, _)| id.as_str()).collect();
            let references = match ids.len() {
                n if n > MAX_REFERENCES => [&ids[..1], &ids[n - (MAX_REFERENCES - 1)..]].concat(),
                _ => ids.clone(),
            };
            let now = Timestamp::now().millis();
            let message_id = format!("{}@{}", uuid::Uuid::now_v7().simple(), route.from.domain());
            let (order_id, ticket_id) = lead.columns();
            let id: MessageId = diesel::insert_into(messages::table)
                .values((
                    messages::company_id.eq(company_id),
                    messages::order_id.eq(order_id),
                    messages::ticket_id.eq(ticket_id),
                    messages::direction.eq(Direction::Out.as_str()),
                    messages::message_id.eq(&message_id),
                    messages::in_reply_to.eq(ids.last().copied()),
                    messages::refs.eq(references.join(" ")),
                    messages::sender.eq(route.from.to_string()),
                    messages::recipient.eq(&replied.email),
                    messages::subject.eq(lead_domain::reply_subject(&replied.title, lead.lead_type(), lead.get())),
                    messages::text.eq(text),
                    messages::employee_id.eq(member.employee_id),
                    messages::created_at.eq(now),
                ))
                .returning(messages::id)
                .get_result(conn)?;
            let delivery = NewDelivery::new(
                company_id,
                Channel::Email,
                Event::Reply,
                Some(lead),
                Some(id.get()),
                None,
                now,
            );
            let delivery_id: DeliveryId = dialect::each_backend!(conn, c => diesel::insert_into(outbox::table)
                .values(&delivery)
                .returning(outbox::id)
                .get_result(c))?;
            diesel::update(messages::table.find(id))
                .set(messages::delivery_id.eq(delivery_id))
                .execute(conn)?;
            if let (LeadId::Ticket(ticket), Some(status)) = (lead, replied.status) {
                if status != TicketStatus::Pending {
                    diesel::update(tickets::table.find(ticket))
                        .set((
                            tickets::status.eq(TicketStatus::Pending.as_str()),
                            tickets::status_changed_by.eq(member.employee_id),
                            tickets::status_changed_at.eq(now),
                        ))
                        .execute(conn)?;
                    self.store
                        .outbox()
                        .enqueue(conn, company_id, lead, Event::TicketPending)?;
                }
            }
            let mut found = load_messages(conn, Which::One(id))?;
            found
                .pop()
                .ok_or_else(|| StoreError::missing(crate::error::Entity::Record, id))
        })
    }

    /// The e-mail conversation of a lead of the company, oldest first (the lead's own message,
    /// which the website sent, is not one of them).
    pub fn conversation(&self, company_id: CompanyId, lead: LeadId) -> Result<Vec<Message>> {
        self.store.read(|conn| {
            replied(conn, company_id, lead)?;
            load_messages(conn, Which::Lead(lead))
        })
    }
}

/// The lead's sender, title and (a ticket's) status — not found unless it is the company's
/// and the team sees it.
fn replied(conn: &mut DbConnection, company_id: CompanyId, lead: LeadId) -> Result<Replied> {
    fn of<K: LeadKind>(lead: K, status: Option<TicketStatus>) -> Replied {
        Replied {
            email: lead.email().to_owned(),
            title: lead.title().to_owned(),
            status,
        }
    }
    Ok(match lead {
        LeadId::Order(id) => of(load::<OrderRecord>(conn, company_id, id)?, None),
        LeadId::Ticket(id) => {
            let ticket = load::<TicketRecord>(conn, company_id, id)?;
            let status = ticket.status;
            of(ticket, Some(status))
        }
    })
}

/// The Message-IDs of a lead's conversation so far, with their direction, oldest first.
fn thread(conn: &mut DbConnection, lead: LeadId) -> Result<Vec<(String, String)>> {
    let query = messages::table
        .select((messages::message_id, messages::direction))
        .order(messages::id)
        .into_boxed();
    Ok(match lead {
        LeadId::Order(id) => query.filter(messages::order_id.eq(id)).load(conn)?,
        LeadId::Ticket(id) => query.filter(messages::ticket_id.eq(id)).load(conn)?,
    })
}

/// Which messages to load.
enum Which {
    /// A lead's conversation.
    Lead(LeadId),
    /// One message.
    One(MessageId),
}

/// The messages `which` names, oldest first, with their deliveries' statuses and their files.
fn load_messages(conn: &mut DbConnection, which: Which) -> Result<Vec<Message>> {
    let query = messages::table
        .left_join(employees::table)
        .select(message_columns!())
        .order(messages::id)
        .into_boxed();
    let query = match which {
        Which::Lead(LeadId::Order(id)) => query.filter(messages::order_id.eq(id)),
        Which::Lead(LeadId::Ticket(id)) => query.filter(messages::ticket_id.eq(id)),
        Which::One(id) => query.filter(messages::id.eq(id)),
    };
    let rows: Vec<MessageRow> = query.load(conn)?;
    let mut found = rows.into_iter().map(message).collect::<Result<Vec<_>>>()?;
    let deliveries: Vec<DeliveryId> = found.iter().filter_map(|message| message.delivery_id).collect();
    let statuses: HashMap<DeliveryId, String> = if deliveries.is_empty() {
        HashMap::new()
    } else {
        outbox::table
            .filter(outbox::id.eq_any(&deliveries))
            .select((outbox::id, outbox::status))
            .load::<(DeliveryId, String)>(conn)?
            .into_iter()
            .collect()
    };
    let ids: Vec<MessageId> = found.iter().map(|message| message.id).collect();
    let mut files = of_messages(conn, &ids)?;
    for message in &mut found {
        // Under way (again) while its delivery says so; otherwise how it ended, which the
        // message keeps (its delivery may be purged, or have bounced after it was delivered).
        let outbox: Option<DeliveryStatus> = message
            .delivery_id
            .and_then(|id| statuses.get(&id))
            .map(|status| parse_word(status, "delivery status"))
            .transpose()?;
        message.delivery = match (outbox, message.delivery) {
            (Some(DeliveryStatus::Pending), _) => Some(DeliveryStatus::Pending),
            (outbox, None) => outbox,
            (_, settled) => settled,
        };
        message.attachments = files.remove(&message.id).unwrap_or_default();
    }
    Ok(found)
}

impl From<LeadId> for crate::team::notes::NoteOn {
    fn from(lead: LeadId) -> crate::team::notes::NoteOn {
        match lead {
            LeadId::Order(id) => crate::team::notes::NoteOn::Order(id),
            LeadId::Ticket(id) => crate::team::notes::NoteOn::Ticket(id),
        }
    }
}
