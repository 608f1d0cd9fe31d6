//! Rows of who may send and read leads: companies, keys, employees, tokens, the audit log.

use lead_store::{AuditEntry, AuditId, Company, CompanyId, Employee, EmployeeId, KeyId, KeyInfo, TokenId, TokenInfo};
use serde::Serialize;

use super::{optional, time, Row};

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
    confirm_sender: bool,
    /// Whether its leads must bring a proof of work.
    challenge: bool,
    /// `--json` only (a sentence does not fit the table).
    consent_text: Option<String>,
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
            confirm_sender: k.confirm_sender,
            challenge: k.challenge,
            consent_text: k.consent_text,
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
        "CONFIRMS",
        "CHALLENGE",
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
            if self.confirm_sender { "on" } else { "off" }.into(),
            if self.challenge { "on" } else { "off" }.into(),
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
    role: &'static str,
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
            role: e.role.as_str(),
            active: e.active,
            created_at: time(e.created_at),
        }
    }
}

impl Row for EmployeeRow {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "EMAIL", "ROLE", "ACTIVE", "CREATED"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            self.email.clone(),
            self.role.to_owned(),
            self.active.to_string(),
            self.created_at.clone(),
        ]
    }
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
