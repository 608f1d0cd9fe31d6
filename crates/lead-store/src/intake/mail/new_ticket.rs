//! „E-Mail-to-Ticket“: an e-mail that answers none of the company's leads becomes a ticket —
//! its subject the title, its text the message, its sender matched to a customer (or given a
//! file, where the company files every new sender) — told to the whole team like a ticket from
//! the website, unless it is an auto-reply or bulk mail. The e-mail itself is the first message
//! of the ticket's conversation, and keeps its original bytes.

use diesel::prelude::*;
use lead_domain::{LeadType, TicketStatus, Title};

use super::{insert, Filing, IncomingMail};
use crate::db::dialect::{self, insert_rows};
use crate::db::DbConnection;
use crate::ids::{CompanyId, CustomerId, LeadId, TicketId};
use crate::intake::write::owners::{files as files_senders, make_files, SenderFile};
use crate::models::AutoCustomers;
use crate::outbox::{DeliveryPolicy, Event, Subscribers};
use crate::schema::{companies, customer_emails, notifications, outbox, tickets};
use crate::team::notifications::{notes_to_team, recipients};
use crate::{Result, StoreError};

/// Files `mail` as a new ticket of the company; its id.
pub(super) fn file(
    conn: &mut DbConnection,
    company_id: CompanyId,
    mail: &IncomingMail,
    now: i64,
    filing: Filing,
    owed: DeliveryPolicy,
) -> Result<TicketId> {
    let title = title_of(&mail.subject);
    let email = mail.from.trim().to_owned();
    let normalized = lead_domain::Email::parse(&email)
        .map(|email| email.normalized())
        .unwrap_or_else(|_| email.to_lowercase());
    let message: String = super::text_of(mail)
        .trim()
        .chars()
        .take(lead_domain::Message::MAX_CHARS)
        .collect();
    // What the website would have sent: the fields a customer file and the exports read.
    let payload = serde_json::json!({
        "type": LeadType::Ticket.as_str(),
        "email": &email,
        "name": mail.from_name.as_deref().unwrap_or(""),
        "subject": &title,
        "message": &message,
        "source": "email",
        "message_id": &mail.message_id,
    })
    .to_string();
    let mut customer: Option<CustomerId> = customer_emails::table
        .filter(customer_emails::company_id.eq(company_id))
        .filter(customer_emails::email_normalized.eq(&normalized))
        .select(customer_emails::customer_id)
        .first(conn)
        .optional()?;
    if customer.is_none() && !mail.automatic {
        let auto: String = companies::table
            .find(company_id)
            .select(companies::auto_customers)
            .first(conn)?;
        let auto: AutoCustomers = auto
            .parse()
            .map_err(|_| StoreError::corrupt(format!("auto_customers {auto:?}")))?;
        if files_senders(auto, LeadType::Ticket) {
            let mut made = [None];
            let file = SenderFile {
                company_id,
                email: email.clone(),
                normalized: normalized.clone(),
                payload: payload.clone(),
                positions: vec![0],
            };
            make_files(conn, std::slice::from_ref(&file), &mut made)?;
            customer = made[0];
        }
    }
    let id: TicketId = diesel::insert_into(tickets::table)
        .values((
            tickets::company_id.eq(company_id),
            tickets::api_key_id.eq(None::<i64>),
            tickets::customer_id.eq(customer),
            tickets::email.eq(&email),
            tickets::email_normalized.eq(&normalized),
            tickets::title.eq(&title),
            tickets::message.eq(if message.is_empty() { "(ohne Text)" } else { &message }),
            tickets::status.eq(TicketStatus::Open.as_str()),
            tickets::payload.eq(&payload),
            tickets::created_at.eq(now),
        ))
        .returning(tickets::id)
        .get_result(conn)?;
    let lead = LeadId::Ticket(id);
    insert(conn, company_id, lead, mail, now, filing)?;
    if mail.automatic {
        return Ok(id);
    }
    let team = recipients(conn, company_id)?;
    let notice = lead_domain::ticket_notification(&title, &email).to_string();
    let notes: Vec<_> = notes_to_team(company_id, &team, lead, &notice, now).collect();
    if !notes.is_empty() {
        insert_rows!(conn, notifications, notes);
    }
    let deliveries: Vec<_> = Subscribers::of(conn, company_id, owed)?
        .owed(company_id, lead, Event::created(lead), None, now)
        .collect();
    if !deliveries.is_empty() {
        insert_rows!(conn, outbox, deliveries);
    }
    dialect::announce_commits(conn, std::iter::once(company_id))?;
    Ok(id)
}

/// A ticket's title from an e-mail's subject: one line, at most as long as a title may be,
/// „E-Mail ohne Betreff“ when blank.
fn title_of(subject: &str) -> String {
    let line: String = subject.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.is_empty() {
        true => "E-Mail ohne Betreff".to_owned(),
        false => line.chars().take(Title::MAX_CHARS).collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_title_is_one_line_of_at_most_200_characters() {
        assert_eq!(super::title_of("  Frage\r\n zum\tAngebot "), "Frage zum Angebot");
        assert_eq!(super::title_of(" \r\n"), "E-Mail ohne Betreff");
        assert_eq!(super::title_of(&"ä".repeat(300)).chars().count(), 200);
    }
}
