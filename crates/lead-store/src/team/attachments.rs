//! The files leads came with: stored in the lead's own transaction (`intake/write/emit.rs`),
//! listed with every lead the store reads, served to the lead's company only once the virus
//! scanner has let them through (or none is configured), and scanned again when the scanner
//! did not answer at first.

use std::collections::HashMap;

use diesel::prelude::*;
use lead_domain::{Timestamp, Upload};

use crate::db::DbConnection;
use crate::ids::{AttachmentId, CompanyId, LeadId, OrderId, TicketId};
use crate::models::Scan;
use crate::schema::{attachments, notes, tickets, web_orders};
use crate::team::Team;
use crate::{Entity, Result, StoreError};

/// A file a lead came with, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its id.
    pub id: AttachmentId,
    /// Its name, as sent and cleaned.
    pub filename: String,
    /// Its type, as read from its bytes.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// The SHA-256 of its bytes, in hex.
    pub sha256: String,
    /// What the virus scanner said.
    pub scan: Scan,
    /// When it arrived (with its lead).
    pub created_at: Timestamp,
}

/// A file to download: what it is, whose lead it belongs to, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    /// What it is.
    pub attachment: Attachment,
    /// The company whose lead it came with.
    pub company_id: CompanyId,
    /// The lead.
    pub lead: LeadId,
    /// Its bytes.
    pub data: Vec<u8>,
}

type MetaRow = (
    AttachmentId,
    Option<OrderId>,
    Option<TicketId>,
    String,
    String,
    i64,
    String,
    String,
    i64,
);

macro_rules! meta_columns {
    () => {
        (
            attachments::id,
            attachments::order_id,
            attachments::ticket_id,
            attachments::filename,
            attachments::content_type,
            attachments::size,
            attachments::sha256,
            attachments::scan,
            attachments::created_at,
        )
    };
}

/// The lead and the attachment of a row.
fn meta(row: MetaRow) -> Result<(LeadId, Attachment)> {
    let (id, order, ticket, filename, content_type, size, sha256, scan, created_at) = row;
    let lead = match (order, ticket) {
        (Some(order), None) => LeadId::Order(order),
        (None, Some(ticket)) => LeadId::Ticket(ticket),
        _ => return Err(StoreError::corrupt(format!("attachment {id} belongs to no one lead"))),
    };
    let scan = scan
        .parse()
        .map_err(|_| StoreError::corrupt(format!("attachment {id}: scan {scan:?}")))?;
    Ok((
        lead,
        Attachment {
            id,
            filename,
            content_type,
            size,
            sha256,
            scan,
            created_at: created_at.into(),
        },
    ))
}

/// The attachments of the messages `ids` (e-mails that came in), by message, in the order
/// they came.
pub(crate) fn of_messages(
    conn: &mut DbConnection,
    ids: &[crate::ids::MessageId],
) -> Result<HashMap<crate::ids::MessageId, Vec<Attachment>>> {
    let mut found: HashMap<crate::ids::MessageId, Vec<Attachment>> = HashMap::new();
    for chunk in ids.chunks(1000) {
        let rows: Vec<(Option<crate::ids::MessageId>, MetaRow)> = attachments::table
            .filter(attachments::message_id.eq_any(chunk))
            .select((attachments::message_id, meta_columns!()))
            .order(attachments::id)
            .load(conn)?;
        for (message, row) in rows {
            if let Some(message) = message {
                found.entry(message).or_default().push(meta(row)?.1);
            }
        }
    }
    Ok(found)
}

/// The attachments of the leads `ids` (the files they came with, not their e-mails'), by
/// lead, each lead's in the order they came.
pub(crate) fn of_leads(conn: &mut DbConnection, ids: &[LeadId]) -> Result<HashMap<LeadId, Vec<Attachment>>> {
    let orders: Vec<i64> = ids
        .iter()
        .filter(|id| matches!(id, LeadId::Order(_)))
        .map(|id| id.get())
        .collect();
    let tickets: Vec<i64> = ids
        .iter()
        .filter(|id| matches!(id, LeadId::Ticket(_)))
        .map(|id| id.get())
        .collect();
    // In chunks: SQLite binds at most 32,766 values to a statement, and a list without a limit
    // may have more leads.
    const CHUNK: usize = 1000;
    let mut rows: Vec<MetaRow> = Vec::new();
    for chunk in orders.chunks(CHUNK) {
        rows.extend(
            attachments::table
                .filter(attachments::order_id.eq_any(chunk))
                .filter(attachments::message_id.is_null())
                .select(meta_columns!())
                .order(attachments::id)
                .load::<MetaRow>(conn)?,
        );
    }
    for chunk in tickets.chunks(CHUNK) {
        rows.extend(
            attachments::table
                .filter(attachments::ticket_id.eq_any(chunk))
                .filter(attachments::message_id.is_null())
                .select(meta_columns!())
                .order(attachments::id)
                .load::<MetaRow>(conn)?,
        );
    }
    let mut found: HashMap<LeadId, Vec<Attachment>> = HashMap::new();
    for row in rows {
        let (lead, attachment) = meta(row)?;
        found.entry(lead).or_default().push(attachment);
    }
    Ok(found)
}

/// A file of a lead, to be written with it: its upload, its type (`None`: refused, kept only
/// as a note naming it) and the scanner's verdict.
pub(crate) struct NewFile<'a> {
    pub(crate) upload: &'a Upload,
    pub(crate) content_type: Option<&'static str>,
    pub(crate) scan: Scan,
}

/// Writes the files of the new lead `lead` of `company_id`, or of its e-mail `message` (inside
/// its transaction): each accepted one as an attachment, each refused one as the server's note
/// on the lead.
pub(crate) fn insert(
    conn: &mut DbConnection,
    company_id: CompanyId,
    lead: LeadId,
    files: &[NewFile<'_>],
    now: i64,
    message: Option<crate::ids::MessageId>,
) -> Result<()> {
    let (order_id, ticket_id) = lead.columns();
    for file in files {
        match file.content_type {
            Some(content_type) => {
                diesel::insert_into(attachments::table)
                    .values((
                        attachments::company_id.eq(company_id),
                        attachments::order_id.eq(order_id),
                        attachments::ticket_id.eq(ticket_id),
                        attachments::message_id.eq(message),
                        // Named as what it is (its extension from its type).
                        attachments::filename.eq(lead_domain::stored_name(&file.upload.filename, content_type)),
                        attachments::content_type.eq(content_type),
                        attachments::size.eq(file.upload.data.len() as i64),
                        attachments::sha256.eq(&file.upload.sha256),
                        attachments::scan.eq(file.scan.as_str()),
                        attachments::created_at.eq(now),
                        attachments::data.eq(&file.upload.data),
                    ))
                    .execute(conn)?;
            }
            None => {
                let note = lead_domain::refused_attachment_note(&file.upload.filename);
                server_note(conn, company_id, lead, &note, now)?;
            }
        }
    }
    Ok(())
}

/// Writes the server's own note `text` on `lead` (inside the caller's transaction): a file it
/// did not take.
pub(crate) fn server_note(
    conn: &mut DbConnection,
    company_id: CompanyId,
    lead: LeadId,
    text: &str,
    now: i64,
) -> Result<()> {
    let (order_id, ticket_id) = lead.columns();
    diesel::insert_into(notes::table)
        .values((
            notes::company_id.eq(company_id),
            notes::employee_id.eq(None::<i64>),
            notes::order_id.eq(order_id),
            notes::ticket_id.eq(ticket_id),
            notes::text.eq(text),
            notes::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The file `id` with its bytes, of `company_id`'s leads (any company's: `None`), and whose
/// lead the team sees (`team_only`): another company's, or a held lead's, is not found.
pub(crate) fn file(
    conn: &mut DbConnection,
    company_id: Option<CompanyId>,
    id: AttachmentId,
    team_only: bool,
) -> Result<AttachmentFile> {
    let missing = || StoreError::missing(Entity::Attachment, id);
    let mut query = attachments::table
        .filter(attachments::id.eq(id))
        .select((meta_columns!(), attachments::company_id, attachments::data))
        .into_boxed();
    if let Some(company_id) = company_id {
        query = query.filter(attachments::company_id.eq(company_id));
    }
    let (row, company_id, data) = query
        .load::<(MetaRow, CompanyId, Vec<u8>)>(conn)?
        .pop()
        .ok_or_else(missing)?;
    let (lead, attachment) = meta(row)?;
    if team_only && held(conn, lead)?.is_some() {
        return Err(missing());
    }
    Ok(AttachmentFile {
        attachment,
        company_id,
        lead,
        data,
    })
}

/// Why `lead` is held back, if it is (`Err` if it is not there).
fn held(conn: &mut DbConnection, lead: LeadId) -> Result<Option<String>> {
    let found: Option<Option<String>> = match lead {
        LeadId::Order(id) => web_orders::table
            .find(id)
            .select(web_orders::held)
            .first(conn)
            .optional()?,
        LeadId::Ticket(id) => tickets::table.find(id).select(tickets::held).first(conn).optional()?,
    };
    found.ok_or_else(|| StoreError::corrupt(format!("attachment of {lead:?}, which is not there")))
}

impl Team<'_> {
    /// The file `id` of a lead of the company that the team sees, with its bytes — whatever
    /// its scan says (whether to serve it is the caller's: see [`Scan::servable`]).
    pub fn attachment(&self, company_id: CompanyId, id: AttachmentId) -> Result<AttachmentFile> {
        self.store.read(|conn| file(conn, Some(company_id), id, true))
    }

    /// The file `id` of any lead the team sees, with its bytes: for a download link that
    /// carries its own proof (a webhook's signed URL).
    pub fn attachment_by_link(&self, id: AttachmentId) -> Result<AttachmentFile> {
        self.store.read(|conn| file(conn, None, id, true))
    }
}
