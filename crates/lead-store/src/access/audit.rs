//! The audit log: who changed access to the gateway, and when.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::access::Access;
use crate::db::DbConnection;
use crate::ids::{AuditId, CompanyId, DeliveryId, EmployeeId, KeyId, TokenId, WebhookId};
use crate::schema::audit_log;
use crate::Result;

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct AuditEntry {
    /// Its id.
    pub id: AuditId,
    /// When.
    #[diesel(deserialize_as = i64)]
    pub at: Timestamp,
    /// Who (the store's actor, e.g. `root (command line)`).
    pub actor: String,
    /// What, e.g. `key.revoke`.
    pub action: String,
    /// To what, e.g. `key 3 (lgw_AbCd1234) of company 1`.
    pub subject: String,
}

impl Access<'_> {
    /// One company's entries of the audit log, newest first: only ids below `before`, at most
    /// `limit`.
    pub fn list_company_audit(
        &self,
        company_id: CompanyId,
        before: Option<AuditId>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        self.store.read(|conn| {
            let mut query = audit_log::table
                .filter(audit_log::company_id.eq(company_id))
                .select((
                    audit_log::id,
                    audit_log::at,
                    audit_log::actor,
                    audit_log::action,
                    audit_log::subject,
                ))
                .order(audit_log::id.desc())
                .limit(limit)
                .into_boxed();
            if let Some(before) = before {
                query = query.filter(audit_log::id.lt(before));
            }
            Ok(query.load(conn)?)
        })
    }

    /// When a held lead (quarantine, spam, conflict) was released to the team, and who did
    /// it — as the audit log recorded it; `None` for a lead that was never held.
    pub fn released(&self, company_id: CompanyId, lead: crate::LeadId) -> Result<Option<(Timestamp, String)>> {
        let (what, id) = match lead {
            crate::LeadId::Order(id) => ("order", id.get()),
            crate::LeadId::Ticket(id) => ("ticket", id.get()),
        };
        self.store.read(|conn| {
            let found: Option<(i64, String)> = audit_log::table
                .filter(audit_log::action.eq(format!("{what}.release")))
                .filter(audit_log::subject.eq(format!("{what} {id} of company {company_id}")))
                .select((audit_log::at, audit_log::actor))
                .order(audit_log::id.desc())
                .first(conn)
                .optional()?;
            Ok(found.map(|(at, actor)| (Timestamp::from_millis(at), actor)))
        })
    }

    /// The audit log, newest first, at most `limit` entries.
    pub fn list_audit(&self, limit: Option<i64>) -> Result<Vec<AuditEntry>> {
        self.store.read(|conn| {
            let mut query = audit_log::table
                .select((
                    audit_log::id,
                    audit_log::at,
                    audit_log::actor,
                    audit_log::action,
                    audit_log::subject,
                ))
                .order(audit_log::id.desc())
                .into_boxed();
            if let Some(limit) = limit {
                query = query.limit(limit);
            }
            Ok(query.load(conn)?)
        })
    }
}

/// What an audit entry is about, for the company it belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum About {
    /// The installation as a whole (the push key pair).
    Installation,
    Company(CompanyId),
    Employee(EmployeeId),
    Key(KeyId),
    Webhook(WebhookId),
    Delivery(DeliveryId),
    Token(TokenId),
}

/// The company `about` belongs to.
fn company_of(conn: &mut DbConnection, about: About) -> Result<Option<CompanyId>> {
    use crate::schema::{api_keys, employee_tokens, employees, outbox, webhooks};
    Ok(match about {
        About::Installation => None,
        About::Company(id) => Some(id),
        About::Employee(id) => employees::table
            .find(id)
            .select(employees::company_id)
            .first(conn)
            .optional()?,
        About::Key(id) => api_keys::table
            .find(id)
            .select(api_keys::company_id)
            .first(conn)
            .optional()?,
        About::Webhook(id) => webhooks::table
            .find(id)
            .select(webhooks::company_id)
            .first(conn)
            .optional()?,
        About::Delivery(id) => outbox::table
            .find(id)
            .select(outbox::company_id)
            .first(conn)
            .optional()?,
        About::Token(id) => employee_tokens::table
            .inner_join(employees::table)
            .filter(employee_tokens::id.eq(id))
            .select(employees::company_id)
            .first(conn)
            .optional()?,
    })
}

/// Records `action` on `subject` by the store's actor, inside the caller's transaction, with
/// the company it is `about`.
pub(crate) fn record(conn: &mut DbConnection, actor: &str, about: About, action: &str, subject: &str) -> Result<()> {
    let company = company_of(conn, about)?;
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(Timestamp::now().millis()),
            audit_log::actor.eq(actor),
            audit_log::action.eq(action),
            audit_log::subject.eq(subject),
            audit_log::company_id.eq(company),
        ))
        .execute(conn)?;
    Ok(())
}
