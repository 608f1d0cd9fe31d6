//! E-mails from a company's mailbox, filed: an answer joins the conversation of the lead it
//! answers (named by `In-Reply-To`/`References` or the subject's tag), a bounce marks the reply
//! it bounced, anything else becomes a ticket („E-Mail-to-Ticket“, `new_ticket.rs`).
//!
//! Each e-mail is one transaction, which also moves the mailbox's position on (its UID): a
//! crash before the commit reads it again, one after it reads the next. Its Message-ID is
//! unique per company, so that an e-mail read twice (a mailbox read anew from its unread
//! messages, two instances whose clocks disagree) is filed once.

mod new_ticket;

use diesel::prelude::*;
use lead_domain::{ImapUrl, TicketStatus, Timestamp, Upload};

use crate::db::dialect::{self, insert_rows};
use crate::db::DbConnection;
use crate::ids::{CompanyId, EmployeeId, LeadId, MessageId, OrderId, TicketId};
use crate::intake::Intake;
use crate::models::Scan;
use crate::outbox::mailbox::imap_url_text;
use crate::outbox::{owed, DeliveryStatus, Event};
use crate::rows::NewNotification;
use crate::schema::{employees, mailboxes, messages, notifications, tickets, web_orders};
use crate::team::attachments::{server_note, NewFile};
use crate::team::messages::Direction;
use crate::team::notifications::notes_to_team;
use crate::Result;

/// An e-mail read from a company's mailbox, taken apart (lead-mailbox parses it).
#[derive(Clone, PartialEq, Eq)]
pub struct IncomingMail {
    /// Its Message-ID, without angle brackets (made from its bytes when it has none).
    pub message_id: String,
    /// The Message-IDs it answers (`In-Reply-To`).
    pub in_reply_to: Vec<String>,
    /// The conversation it continues (`References`), oldest first.
    pub references: Vec<String>,
    /// The sender's address.
    pub from: String,
    /// The sender's name, if the `From` has one.
    pub from_name: Option<String>,
    /// Who it went to.
    pub to: String,
    /// Its subject.
    pub subject: String,
    /// Its text (an HTML-only e-mail's as text).
    pub text: String,
    /// An auto-reply or bulk mail: filed, notifying nobody.
    pub automatic: bool,
    /// A delivery failure (a bounce, a DSN): the Message-IDs of the e-mail it reports on.
    pub bounce_of: Option<Vec<String>>,
    /// Its attachments.
    pub files: Vec<Upload>,
    /// The e-mail as it came (its first `max_message_bytes` when it was larger).
    pub raw: Vec<u8>,
    /// Its size when it was larger than `[mail] max_message_bytes`: its text is what its first
    /// part held, its attachments are not kept.
    pub cut_from: Option<u64>,
}

impl std::fmt::Debug for IncomingMail {
    /// Without its text, files and bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingMail")
            .field("message_id", &self.message_id)
            .field("subject", &self.subject)
            .field("automatic", &self.automatic)
            .field("bounce", &self.bounce_of.is_some())
            .field("files", &self.files.len())
            .field("bytes", &self.raw.len())
            .finish_non_exhaustive()
    }
}

/// Where an e-mail is in its folder: the folder's `UIDVALIDITY` and the e-mail's UID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailPosition {
    /// The folder's `UIDVALIDITY`.
    pub uid_validity: u32,
    /// The e-mail's UID.
    pub uid: u32,
}

/// What became of an e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filed {
    /// It joined the conversation of this lead.
    Joined(LeadId),
    /// It reported a reply of this lead undeliverable.
    Bounced(LeadId),
    /// It became this ticket.
    Ticket(TicketId),
    /// It was filed before (its Message-ID is known): nothing new.
    Known,
    /// The mailbox was read past it meanwhile, changed or removed: nothing done.
    Passed,
}

/// How the company's e-mails are filed.
#[derive(Debug, Clone, Copy)]
pub struct Filing {
    /// A virus scanner is configured: attachments wait for its verdict.
    pub scanner: bool,
    /// `[attachments]`: the files each e-mail keeps (the rest are named in a note; the e-mail
    /// as it came holds them).
    pub limits: lead_domain::AttachmentLimits,
}

impl Filing {
    /// The verdict a kept file starts with.
    fn first_verdict(self) -> Scan {
        match self.scanner {
            true => Scan::Pending,
            false => Scan::Off,
        }
    }
}

impl Intake<'_> {
    /// Files `mail`, read from the company's mailbox at `imap` (see the module's description);
    /// at `position`, which the mailbox's position moves to in the same transaction (`None`:
    /// the mailbox is read from its unread e-mails, and its position is set afterwards by
    /// [`Intake::mailbox_read_to`]).
    pub fn file_mail(
        &self,
        company_id: CompanyId,
        imap: &ImapUrl,
        position: Option<MailPosition>,
        mail: &IncomingMail,
        filing: Filing,
    ) -> Result<Filed> {
        let owed = self.store.shared.owed;
        let stored_url = imap_url_text(imap);
        self.store.write(|conn| {
            let mailbox = mailboxes::table
                .filter(mailboxes::company_id.eq(company_id))
                .filter(mailboxes::imap_url.eq(&stored_url));
            let current = match position {
                // Moved on in one statement, which locks the row (PostgreSQL): of two readers,
                // the second waits and then finds the position past it.
                Some(at) => diesel::update(
                    mailbox
                        .filter(mailboxes::uid_validity.eq(i64::from(at.uid_validity)))
                        .filter(mailboxes::last_uid.lt(i64::from(at.uid))),
                )
                .set(mailboxes::last_uid.eq(i64::from(at.uid)))
                .execute(conn)?,
                None => mailbox.count().get_result::<i64>(conn)? as usize,
            };
            if current == 0 {
                return Ok(Filed::Passed);
            }
            let known: i64 = messages::table
                .filter(messages::company_id.eq(company_id))
                .filter(messages::message_id.eq(&mail.message_id))
                .count()
                .get_result(conn)?;
            if known > 0 {
                return Ok(Filed::Known);
            }
            let now = Timestamp::now().millis();
            if let Some(reports_on) = &mail.bounce_of {
                if let Some((lead, reply)) = replied(conn, company_id, reports_on)? {
                    crate::team::notes::lock_record(conn, lead.into())?;
                    insert(conn, company_id, lead, mail, now, filing)?;
                    diesel::update(messages::table.find(reply))
                        .set(messages::delivery.eq(DeliveryStatus::Failed.as_str()))
                        .execute(conn)?;
                    dialect::announce_commits(conn, std::iter::once(company_id))?;
                    return Ok(Filed::Bounced(lead));
                }
            }
            match conversation(conn, company_id, mail)? {
                Some(lead) => {
                    join(conn, company_id, lead, mail, now, filing, owed)?;
                    Ok(Filed::Joined(lead))
                }
                None => new_ticket::file(conn, company_id, mail, now, filing, owed).map(Filed::Ticket),
            }
        })
    }

    /// Which of the Message-IDs `ids` the company has filed (at most a few dozen are asked).
    pub fn filed_mails(&self, company_id: CompanyId, ids: &[String]) -> Result<Vec<String>> {
        self.store.read(|conn| {
            Ok(messages::table
                .filter(messages::company_id.eq(company_id))
                .filter(messages::message_id.eq_any(ids))
                .select(messages::message_id)
                .load(conn)?)
        })
    }

    /// Records that the company's mailbox at `imap` has been read up to `last_uid` of the
    /// folder whose `UIDVALIDITY` is `uid_validity` (after its unread e-mails were filed):
    /// from now on only e-mails after it are read. Nothing, when the mailbox was changed.
    pub fn mailbox_read_to(
        &self,
        company_id: CompanyId,
        imap: &ImapUrl,
        uid_validity: u32,
        last_uid: u32,
    ) -> Result<()> {
        let stored_url = imap_url_text(imap);
        self.store.write(|conn| {
            diesel::update(
                mailboxes::table
                    .filter(mailboxes::company_id.eq(company_id))
                    .filter(mailboxes::imap_url.eq(&stored_url)),
            )
            .set((
                mailboxes::uid_validity.eq(i64::from(uid_validity)),
                mailboxes::last_uid.eq(i64::from(last_uid)),
            ))
            .execute(conn)?;
            Ok(())
        })
    }
}

/// The lead and the reply of the company that one of `ids` names (the newest, should several).
fn replied(conn: &mut DbConnection, company_id: CompanyId, ids: &[String]) -> Result<Option<(LeadId, MessageId)>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let found: Option<(MessageId, Option<OrderId>, Option<TicketId>)> = messages::table
        .filter(messages::company_id.eq(company_id))
        .filter(messages::direction.eq(Direction::Out.as_str()))
        .filter(messages::message_id.eq_any(ids))
        .select((messages::id, messages::order_id, messages::ticket_id))
        .order(messages::id.desc())
        .first(conn)
        .optional()?;
    Ok(found.and_then(|(id, order, ticket)| lead_of(order, ticket).map(|lead| (lead, id))))
}

fn lead_of(order: Option<OrderId>, ticket: Option<TicketId>) -> Option<LeadId> {
    match (order, ticket) {
        (Some(order), None) => Some(LeadId::Order(order)),
        (None, Some(ticket)) => Some(LeadId::Ticket(ticket)),
        _ => None,
    }
}

/// The lead of the company whose conversation `mail` continues: a Message-ID of its
/// conversation in the e-mail's `In-Reply-To` or `References`, or else the tag in its subject —
/// a lead the team sees. A tag alone (a number anyone can guess) counts only from the lead's
/// own sender.
fn conversation(conn: &mut DbConnection, company_id: CompanyId, mail: &IncomingMail) -> Result<Option<LeadId>> {
    let ids: Vec<&String> = mail.in_reply_to.iter().chain(&mail.references).collect();
    if !ids.is_empty() {
        let found: Option<(Option<OrderId>, Option<TicketId>)> = messages::table
            .filter(messages::company_id.eq(company_id))
            .filter(messages::message_id.eq_any(&ids))
            .select((messages::order_id, messages::ticket_id))
            .order(messages::id.desc())
            .first(conn)
            .optional()?;
        if let Some(lead) = found.and_then(|(order, ticket)| lead_of(order, ticket)) {
            if facts(conn, company_id, lead)?.is_some() {
                return Ok(Some(lead));
            }
        }
    }
    let Some((lead_type, number)) = lead_domain::find_tag(&mail.subject) else {
        return Ok(None);
    };
    let lead = LeadId::from_columns(lead_type.as_str(), number)?;
    let sender = lead_domain::Email::parse(&mail.from).map(|email| email.normalized());
    Ok(facts(conn, company_id, lead)?
        .filter(|facts| sender.as_ref().is_ok_and(|sender| *sender == facts.sender))
        .map(|_| lead))
}

/// What filing an answer needs of a lead of the company the team sees.
struct Facts {
    title: String,
    /// The lead's sender, normalized.
    sender: String,
    status: Option<TicketStatus>,
    owner: Option<EmployeeId>,
}

fn facts(conn: &mut DbConnection, company_id: CompanyId, lead: LeadId) -> Result<Option<Facts>> {
    Ok(match lead {
        LeadId::Order(id) => web_orders::table
            .find(id)
            .filter(web_orders::company_id.eq(company_id))
            .filter(web_orders::held.is_null())
            .select((web_orders::title, web_orders::email_normalized, web_orders::owner_id))
            .first::<(String, String, Option<EmployeeId>)>(conn)
            .optional()?
            .map(|(title, sender, owner)| Facts {
                title,
                sender,
                status: None,
                owner,
            }),
        LeadId::Ticket(id) => tickets::table
            .find(id)
            .filter(tickets::company_id.eq(company_id))
            .filter(tickets::held.is_null())
            .select((
                tickets::title,
                tickets::email_normalized,
                tickets::status,
                tickets::owner_id,
            ))
            .first::<(String, String, String, Option<EmployeeId>)>(conn)
            .optional()?
            .map(|(title, sender, status, owner)| {
                Ok::<_, crate::StoreError>(Facts {
                    title,
                    sender,
                    status: Some(crate::outbox::parse_word(&status, "ticket status")?),
                    owner,
                })
            })
            .transpose()?,
    })
}

/// Stores `mail` in `lead`'s conversation, with its files (each accepted one, waiting for
/// the scanner when there is one; a refused one as the server's note on the lead).
fn insert(
    conn: &mut DbConnection,
    company_id: CompanyId,
    lead: LeadId,
    mail: &IncomingMail,
    now: i64,
    filing: Filing,
) -> Result<MessageId> {
    let (order_id, ticket_id) = lead.columns();
    let sender = match &mail.from_name {
        Some(name) => lead_domain::Sender::parse(&format!("\"{}\" <{}>", name.replace(['"', '\\'], ""), mail.from))
            .map_or_else(|_| mail.from.clone(), |sender| sender.to_string()),
        None => mail.from.clone(),
    };
    let id: MessageId = diesel::insert_into(messages::table)
        .values((
            messages::company_id.eq(company_id),
            messages::order_id.eq(order_id),
            messages::ticket_id.eq(ticket_id),
            messages::direction.eq(Direction::In.as_str()),
            messages::message_id.eq(&mail.message_id),
            messages::in_reply_to.eq(mail.in_reply_to.first()),
            messages::refs.eq(mail.references.join(" ")),
            messages::sender.eq(sender),
            messages::recipient.eq(&mail.to),
            messages::subject.eq(&mail.subject),
            messages::text.eq(text_of(mail)),
            messages::automatic.eq(i32::from(mail.automatic || mail.bounce_of.is_some())),
            messages::created_at.eq(now),
            messages::raw.eq(&mail.raw),
        ))
        .returning(messages::id)
        .get_result(conn)?;
    // Of the files a lead may carry, those within the limits; the others named in one note
    // for each reason (an e-mail may have hundreds of parts).
    let (typed, untyped): (Vec<_>, Vec<_>) = mail
        .files
        .iter()
        .map(|upload| (upload, upload.accepted_type()))
        .partition(|(_, content_type)| content_type.is_some());
    let kept = filing.limits.kept(typed.iter().map(|(upload, _)| upload.data.len()));
    let mut files = Vec::new();
    let mut over = Vec::new();
    for ((upload, content_type), kept) in typed.into_iter().zip(kept) {
        match kept {
            true => files.push(NewFile {
                upload,
                content_type,
                scan: filing.first_verdict(),
            }),
            false => over.push(upload.filename.as_str()),
        }
    }
    let untyped: Vec<&str> = untyped.iter().map(|(upload, _)| upload.filename.as_str()).collect();
    for (names, why) in [(untyped, "Dateityp"), (over, "über der Grenze für Anhänge")] {
        if !names.is_empty() {
            server_note(
                conn,
                company_id,
                lead,
                &lead_domain::files_not_taken_note(&names, why),
                now,
            )?;
        }
    }
    crate::team::attachments::insert(conn, company_id, lead, &files, now, Some(id))?;
    Ok(id)
}

/// The text a message keeps: what the e-mail said, behind a note when it was cut.
fn text_of(mail: &IncomingMail) -> String {
    let text = mail.text.replace('\0', "");
    match mail.cut_from {
        Some(size) => format!("{}\n\n{text}", lead_domain::cut_mail_note(size)),
        None => text,
    }
}

/// Files an answer in `lead`'s conversation: a closed or waiting ticket opens again (an
/// automatic answer does so only when the one before was not automatic too: two
/// autoresponders cannot keep it opening), and its owner — or, with none, the whole team — is
/// told (an automatic answer tells nobody).
fn join(
    conn: &mut DbConnection,
    company_id: CompanyId,
    lead: LeadId,
    mail: &IncomingMail,
    now: i64,
    filing: Filing,
    owed: crate::outbox::DeliveryPolicy,
) -> Result<()> {
    crate::team::notes::lock_record(conn, lead.into())?;
    let facts = facts(conn, company_id, lead)?
        .ok_or_else(|| crate::StoreError::missing(crate::Entity::lead(lead.lead_type()), lead.get()))?;
    let last_automatic = last_in_was_automatic(conn, lead)?;
    insert(conn, company_id, lead, mail, now, filing)?;
    if let (LeadId::Ticket(ticket), Some(TicketStatus::Closed | TicketStatus::Pending)) = (lead, facts.status) {
        if !(mail.automatic && last_automatic) {
            diesel::update(tickets::table.find(ticket))
                .set((
                    tickets::status.eq(TicketStatus::Open.as_str()),
                    tickets::status_changed_by.eq(None::<EmployeeId>),
                    tickets::status_changed_at.eq(now),
                ))
                .execute(conn)?;
            owed::enqueue(conn, company_id, lead, Event::TicketReopened, None, owed, now)?;
        }
    }
    if mail.automatic {
        return Ok(());
    }
    let owner: Option<EmployeeId> = match facts.owner {
        Some(owner) => employees::table
            .find(owner)
            .filter(employees::active.eq(1))
            .select(employees::id)
            .first(conn)
            .optional()?,
        None => None,
    };
    let told = match owner {
        Some(owner) => vec![owner],
        None => crate::team::notifications::recipients(conn, company_id)?,
    };
    let text = lead_domain::answer_notification(&mail.from, &facts.title);
    let notes: Vec<NewNotification> = notes_to_team(company_id, &told, lead, &text, now).collect();
    if !notes.is_empty() {
        insert_rows!(conn, notifications, notes);
    }
    for employee in told {
        owed::enqueue(conn, company_id, lead, Event::Answered, Some(employee), owed, now)?;
    }
    dialect::announce_commits(conn, std::iter::once(company_id))
}

/// Whether the newest e-mail that came in about `lead` was automatic.
fn last_in_was_automatic(conn: &mut DbConnection, lead: LeadId) -> Result<bool> {
    let query = messages::table
        .filter(messages::direction.eq(Direction::In.as_str()))
        .select(messages::automatic)
        .order(messages::id.desc())
        .into_boxed();
    let query = match lead {
        LeadId::Order(id) => query.filter(messages::order_id.eq(id)),
        LeadId::Ticket(id) => query.filter(messages::ticket_id.eq(id)),
    };
    Ok(query.first::<i32>(conn).optional()? == Some(1))
}
