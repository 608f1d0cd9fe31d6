//! Rows of leads and what they lead to: customers, orders, tickets, notifications, and the
//! submission log.

use lead_present::views::{CustomerView, NotificationView, SubmissionView};
use lead_present::Presented;
use lead_store::Hold;
use lead_store::{CompanyId, Customer, Notification, OrderRecord, Submission, TicketRecord};
use serde::Serialize;

use super::{optional, status, time, Row};

/// `customer list`: a customer as the team API shows it, and its company.
#[derive(Serialize)]
pub struct CustomerRow {
    #[serde(flatten)]
    view: CustomerView,
    company_id: CompanyId,
    #[serde(skip)]
    cells: Vec<String>,
}

impl From<Customer> for CustomerRow {
    fn from(c: Customer) -> Self {
        CustomerRow {
            cells: vec![c.id.to_string(), c.name.clone(), c.email.clone(), time(c.created_at)],
            company_id: c.company_id,
            view: c.into(),
        }
    }
}

impl Row for CustomerRow {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "EMAIL", "CREATED"];
    fn cells(&self) -> Vec<String> {
        self.cells.clone()
    }
}

/// `orders list`, `tickets list`: a lead as the team API shows it (with the original body),
/// and why it is held back from the team (`quarantine`, `spam`, `conflict`), or `null`.
#[derive(Serialize)]
pub struct LeadRow<K: InTerminal> {
    #[serde(flatten)]
    view: K::View,
    held: Option<&'static str>,
    #[serde(skip)]
    cells: Vec<String>,
}

impl<K: InTerminal> From<K> for LeadRow<K> {
    fn from(lead: K) -> Self {
        let mut cells = vec![
            lead.id().to_string(),
            time(lead.created_at()),
            status(lead_domain::Word::word(lead.status()), lead.held().map(Hold::as_str)),
        ];
        cells.extend(lead.terminal_cells());
        cells.extend([
            lead.email().to_owned(),
            optional(lead.customer_id()),
            lead.title().to_owned(),
            lead.message().unwrap_or_default().to_owned(),
        ]);
        LeadRow {
            held: lead.held().map(Hold::as_str),
            view: lead.view(true),
            cells,
        }
    }
}

impl<K: InTerminal> Row for LeadRow<K> {
    const HEADERS: &'static [&'static str] = K::HEADERS;

    fn cells(&self) -> Vec<String> {
        self.cells.clone()
    }
}

/// A kind of lead in the operator's table: its columns, with what only it holds after the
/// status.
pub trait InTerminal: Presented {
    /// The table's column heads.
    const HEADERS: &'static [&'static str];

    /// The cells of what only this kind holds.
    fn terminal_cells(&self) -> Vec<String>;
}

impl InTerminal for OrderRecord {
    const HEADERS: &'static [&'static str] = &[
        "ID", "CREATED", "STATUS", "TOTAL", "EMAIL", "CUSTOMER", "TITLE", "MESSAGE",
    ];

    fn terminal_cells(&self) -> Vec<String> {
        vec![self.total.to_german()]
    }
}

impl InTerminal for TicketRecord {
    const HEADERS: &'static [&'static str] = &["ID", "CREATED", "STATUS", "EMAIL", "CUSTOMER", "TITLE", "MESSAGE"];

    fn terminal_cells(&self) -> Vec<String> {
        Vec::new()
    }
}

/// `submissions list`: an entry as the team API shows it, and the company (the operator
/// sees every company's).
#[derive(Serialize)]
pub struct SubmissionRow {
    #[serde(flatten)]
    view: SubmissionView,
    company_id: Option<CompanyId>,
    #[serde(skip)]
    cells: Vec<String>,
}

impl From<Submission> for SubmissionRow {
    fn from(s: Submission) -> Self {
        let cells = vec![
            s.id.to_string(),
            time(s.at),
            optional(s.company_id),
            s.key_prefix.clone().unwrap_or_default(),
            s.origin.clone().unwrap_or_default(),
            s.client_ip.clone().unwrap_or_default(),
            s.status.to_string(),
            s.code.clone().unwrap_or_default(),
            s.size.to_string(),
            s.note.clone().unwrap_or_default(),
            s.body.clone().unwrap_or_default(),
        ];
        SubmissionRow {
            company_id: s.company_id,
            view: SubmissionView::from(s),
            cells,
        }
    }
}

impl Row for SubmissionRow {
    const HEADERS: &'static [&'static str] = &[
        "ID", "AT", "COMPANY", "KEY", "ORIGIN", "CLIENT", "STATUS", "CODE", "SIZE", "NOTE", "BODY",
    ];
    fn cells(&self) -> Vec<String> {
        self.cells.clone()
    }
}

/// `notifications list`: a notification as the team API shows it.
#[derive(Serialize)]
pub struct NotificationRow {
    #[serde(flatten)]
    view: NotificationView,
    #[serde(skip)]
    cells: Vec<String>,
}

impl From<Notification> for NotificationRow {
    fn from(n: Notification) -> Self {
        let cells = vec![
            n.id.to_string(),
            time(n.created_at),
            n.kind().to_owned(),
            n.read_at.is_some().to_string(),
            n.text.clone(),
        ];
        NotificationRow {
            view: NotificationView::from(n),
            cells,
        }
    }
}

impl Row for NotificationRow {
    const HEADERS: &'static [&'static str] = &["ID", "CREATED", "KIND", "READ", "TEXT"];
    fn cells(&self) -> Vec<String> {
        self.cells.clone()
    }
}
