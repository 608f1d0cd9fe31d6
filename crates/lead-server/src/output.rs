//! How the operator's lists are printed: a readable table, or one line of JSON.

use lead_domain::Timestamp;
use lead_store::{
    AuditEntry, AuditId, Company, CompanyId, Customer, CustomerId, Employee, EmployeeId, KeyId, KeyInfo, LeadId,
    Notification, NotificationId, OrderId, OrderRecord, Submission, SubmissionId, TicketId, TicketRecord, TokenId,
    TokenInfo,
};
use serde::Serialize;
use serde_json::value::RawValue;

/// A row that can be printed both ways.
pub trait Row: Serialize {
    /// Column headers of the table.
    const HEADERS: &'static [&'static str];
    /// The row's cells, in header order.
    fn cells(&self) -> Vec<String>;
}

/// Prints `rows` as a JSON array on one line, or as a table.
pub fn print_rows<R: Row>(rows: &[R], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(rows)?);
        return Ok(());
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.cells().into_iter().map(cell).collect())
        .collect();
    let mut widths: Vec<usize> = R::HEADERS.iter().map(|h| h.chars().count()).collect();
    for row in &cells {
        for (width, text) in widths.iter_mut().zip(row) {
            *width = (*width).max(text.chars().count());
        }
    }
    let line = |texts: Vec<&str>| {
        let padded: Vec<String> = texts
            .iter()
            .zip(&widths)
            .map(|(text, &width)| format!("{text:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(R::HEADERS.to_vec());
    for row in &cells {
        line(row.iter().map(String::as_str).collect());
    }
    if rows.is_empty() {
        println!("(none)");
    }
    Ok(())
}

/// One table cell: on one line, and long texts cut short (the JSON output has them whole).
fn cell(text: String) -> String {
    const MAX: usize = 48;
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() > MAX {
        format!("{}…", flat.chars().take(MAX - 1).collect::<String>())
    } else {
        flat
    }
}

fn time(at: Timestamp) -> String {
    at.to_string()
}

/// A lead's status, with the reason it is held back if it is (`new (quarantine)`).
fn status(status: &str, held: Option<&str>) -> String {
    match held {
        Some(hold) => format!("{status} ({hold})"),
        None => status.to_owned(),
    }
}

fn optional<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// The stored request body as a JSON value, exactly as sent but on one line (whitespace
/// outside strings removed; numbers and key order untouched).
fn payload(raw: &str) -> Box<RawValue> {
    let mut compact = String::with_capacity(raw.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in raw.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        compact.push(c);
    }
    RawValue::from_string(compact).unwrap_or_else(|_| {
        // Stored payloads were valid JSON when accepted; keep anything else visible as text.
        serde_json::value::to_raw_value(raw).expect("a string serialises")
    })
}

/// `audit list`
#[derive(Serialize)]
pub struct AuditRow {
    id: AuditId,
    at: String,
    actor: String,
    action: String,
    subject: String,
}

impl From<AuditEntry> for AuditRow {
    fn from(e: AuditEntry) -> Self {
        AuditRow {
            id: e.id,
            at: time(e.at),
            actor: e.actor,
            action: e.action,
            subject: e.subject,
        }
    }
}

impl Row for AuditRow {
    const HEADERS: &'static [&'static str] = &["ID", "AT", "ACTOR", "ACTION", "SUBJECT"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.at.clone(),
            self.actor.clone(),
            self.action.clone(),
            self.subject.clone(),
        ]
    }
}

/// `company list`
#[derive(Serialize)]
pub struct CompanyRow {
    id: CompanyId,
    name: String,
    active: bool,
    created_at: String,
}

impl From<Company> for CompanyRow {
    fn from(c: Company) -> Self {
        CompanyRow {
            id: c.id,
            name: c.name,
            active: c.active,
            created_at: time(c.created_at),
        }
    }
}

impl Row for CompanyRow {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "ACTIVE", "CREATED"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            self.active.to_string(),
            self.created_at.clone(),
        ]
    }
}

/// `key list`
#[derive(Serialize)]
pub struct KeyRow {
    id: KeyId,
    company_id: CompanyId,
    prefix: String,
    label: String,
    active: bool,
    created_at: String,
    last_used_at: Option<String>,
    daily_cap: Option<i64>,
    origins: Vec<String>,
}

impl From<KeyInfo> for KeyRow {
    fn from(k: KeyInfo) -> Self {
        KeyRow {
            id: k.id,
            company_id: k.company_id,
            prefix: k.prefix,
            label: k.label,
            active: k.active,
            created_at: time(k.created_at),
            last_used_at: k.last_used_at.map(time),
            daily_cap: k.daily_cap,
            origins: k.origins,
        }
    }
}

impl Row for KeyRow {
    const HEADERS: &'static [&'static str] = &[
        "ID",
        "COMPANY",
        "PREFIX",
        "LABEL",
        "ACTIVE",
        "CREATED",
        "LAST USED",
        "DAILY CAP",
        "ORIGINS",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.company_id.to_string(),
            self.prefix.clone(),
            self.label.clone(),
            self.active.to_string(),
            self.created_at.clone(),
            optional(self.last_used_at.as_ref()),
            optional(self.daily_cap),
            if self.origins.is_empty() {
                "any".into()
            } else {
                self.origins.join(" ")
            },
        ]
    }
}

/// `employee token-list`
#[derive(Serialize)]
pub struct TokenRow {
    id: TokenId,
    employee_id: EmployeeId,
    prefix: String,
    active: bool,
    created_at: String,
}

impl From<TokenInfo> for TokenRow {
    fn from(t: TokenInfo) -> Self {
        TokenRow {
            id: t.id,
            employee_id: t.employee_id,
            prefix: t.prefix,
            active: t.active,
            created_at: time(t.created_at),
        }
    }
}

impl Row for TokenRow {
    const HEADERS: &'static [&'static str] = &["ID", "EMPLOYEE", "PREFIX", "ACTIVE", "CREATED"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.employee_id.to_string(),
            self.prefix.clone(),
            self.active.to_string(),
            self.created_at.clone(),
        ]
    }
}

/// `employee list`
#[derive(Serialize)]
pub struct EmployeeRow {
    id: EmployeeId,
    company_id: CompanyId,
    name: String,
    email: String,
    active: bool,
    created_at: String,
}

impl From<Employee> for EmployeeRow {
    fn from(e: Employee) -> Self {
        EmployeeRow {
            id: e.id,
            company_id: e.company_id,
            name: e.name,
            email: e.email,
            active: e.active,
            created_at: time(e.created_at),
        }
    }
}

impl Row for EmployeeRow {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "EMAIL", "ACTIVE", "CREATED"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            self.email.clone(),
            self.active.to_string(),
            self.created_at.clone(),
        ]
    }
}

/// `customer list`
#[derive(Serialize)]
pub struct CustomerRow {
    id: CustomerId,
    company_id: CompanyId,
    name: String,
    email: String,
    created_at: String,
}

impl From<Customer> for CustomerRow {
    fn from(c: Customer) -> Self {
        CustomerRow {
            id: c.id,
            company_id: c.company_id,
            name: c.name,
            email: c.email,
            created_at: time(c.created_at),
        }
    }
}

impl Row for CustomerRow {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "EMAIL", "CREATED"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            self.email.clone(),
            self.created_at.clone(),
        ]
    }
}

/// `orders list`
#[derive(Serialize)]
pub struct OrderRow {
    id: OrderId,
    email: String,
    title: String,
    message: Option<String>,
    total_cents: u64,
    status: &'static str,
    customer_id: Option<CustomerId>,
    payload: Box<RawValue>,
    /// What the website sent beyond the known fields.
    extra: serde_json::Map<String, serde_json::Value>,
    created_at: String,
    /// Why the lead is held back from the team (`quarantine`, `spam`, `conflict`), or `null`.
    held: Option<&'static str>,
}

impl From<OrderRecord> for OrderRow {
    fn from(o: OrderRecord) -> Self {
        OrderRow {
            id: o.id,
            email: o.email,
            title: o.title,
            message: o.message,
            total_cents: o.total.cents(),
            status: o.status.as_str(),
            customer_id: o.customer_id,
            payload: payload(&o.payload),
            extra: lead_domain::extra_fields(&o.payload),
            created_at: time(o.created_at),
            held: o.held.map(lead_store::Hold::as_str),
        }
    }
}

impl Row for OrderRow {
    const HEADERS: &'static [&'static str] = &[
        "ID", "CREATED", "STATUS", "TOTAL", "EMAIL", "CUSTOMER", "TITLE", "MESSAGE",
    ];
    fn cells(&self) -> Vec<String> {
        let total = lead_domain::Money::from_cents(self.total_cents);
        vec![
            self.id.to_string(),
            self.created_at.clone(),
            status(self.status, self.held),
            total.map_or_else(|| self.total_cents.to_string(), |m| m.to_german()),
            self.email.clone(),
            optional(self.customer_id),
            self.title.clone(),
            self.message.clone().unwrap_or_default(),
        ]
    }
}

/// `tickets list`
#[derive(Serialize)]
pub struct TicketRow {
    id: TicketId,
    email: String,
    title: String,
    message: String,
    status: &'static str,
    customer_id: Option<CustomerId>,
    payload: Box<RawValue>,
    /// What the website sent beyond the known fields.
    extra: serde_json::Map<String, serde_json::Value>,
    created_at: String,
    /// Why the lead is held back from the team (`quarantine`, `spam`, `conflict`), or `null`.
    held: Option<&'static str>,
}

impl From<TicketRecord> for TicketRow {
    fn from(t: TicketRecord) -> Self {
        TicketRow {
            id: t.id,
            email: t.email,
            title: t.title,
            message: t.message,
            status: t.status.as_str(),
            customer_id: t.customer_id,
            payload: payload(&t.payload),
            extra: lead_domain::extra_fields(&t.payload),
            created_at: time(t.created_at),
            held: t.held.map(lead_store::Hold::as_str),
        }
    }
}

impl Row for TicketRow {
    const HEADERS: &'static [&'static str] = &["ID", "CREATED", "STATUS", "EMAIL", "CUSTOMER", "TITLE", "MESSAGE"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.created_at.clone(),
            status(self.status, self.held),
            self.email.clone(),
            optional(self.customer_id),
            self.title.clone(),
            self.message.clone(),
        ]
    }
}

/// `submissions list`
#[derive(Serialize)]
pub struct SubmissionRow {
    id: SubmissionId,
    at: String,
    company_id: Option<CompanyId>,
    key_prefix: Option<String>,
    origin: Option<String>,
    client_ip: Option<String>,
    status: i32,
    code: Option<String>,
    size: i64,
    body: Option<String>,
    /// Why it was answered as it was, where the status does not say it.
    note: Option<String>,
}

impl From<Submission> for SubmissionRow {
    fn from(s: Submission) -> Self {
        SubmissionRow {
            id: s.id,
            at: time(s.at),
            company_id: s.company_id,
            key_prefix: s.key_prefix,
            origin: s.origin,
            client_ip: s.client_ip,
            status: s.status,
            code: s.code,
            size: s.size,
            body: s.body,
            note: s.note,
        }
    }
}

impl Row for SubmissionRow {
    const HEADERS: &'static [&'static str] = &[
        "ID", "AT", "COMPANY", "KEY", "ORIGIN", "CLIENT", "STATUS", "CODE", "SIZE", "NOTE", "BODY",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.at.clone(),
            optional(self.company_id),
            self.key_prefix.clone().unwrap_or_default(),
            self.origin.clone().unwrap_or_default(),
            self.client_ip.clone().unwrap_or_default(),
            self.status.to_string(),
            self.code.clone().unwrap_or_default(),
            self.size.to_string(),
            self.note.clone().unwrap_or_default(),
            self.body.clone().unwrap_or_default(),
        ]
    }
}

/// `notifications list`
#[derive(Serialize)]
pub struct NotificationRow {
    id: NotificationId,
    kind: &'static str,
    text: String,
    read: bool,
    order_id: Option<OrderId>,
    ticket_id: Option<TicketId>,
    created_at: String,
}

impl From<Notification> for NotificationRow {
    fn from(n: Notification) -> Self {
        let (order_id, ticket_id) = match n.lead {
            LeadId::Order(id) => (Some(id), None),
            LeadId::Ticket(id) => (None, Some(id)),
        };
        NotificationRow {
            id: n.id,
            kind: n.lead.lead_type().as_str(),
            text: n.text,
            read: n.read_at.is_some(),
            order_id,
            ticket_id,
            created_at: time(n.created_at),
        }
    }
}

impl Row for NotificationRow {
    const HEADERS: &'static [&'static str] = &["ID", "CREATED", "KIND", "READ", "TEXT"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.created_at.clone(),
            self.kind.to_owned(),
            self.read.to_string(),
            self.text.clone(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_goes_on_one_line_exactly_as_sent() {
        let raw = "{\n  \"type\": \"order\",\n  \"note\": \"a  b\\\" \\n c\",\n  \"total\": 1.230,\n  \"big\": 12345678901234567890123\n}";
        assert_eq!(
            payload(raw).get(),
            r#"{"type":"order","note":"a  b\" \n c","total":1.230,"big":12345678901234567890123}"#
        );
    }

    #[test]
    fn cells_are_flat_and_short() {
        assert_eq!(cell("a\nb".into()), "a b");
        let long = cell("x".repeat(100));
        assert_eq!(long.chars().count(), 48);
        assert!(long.ends_with('…'));
    }
}
