//! The audit log: who changed access to the gateway, and when.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::db::DbConnection;
use crate::ids::AuditId;
use crate::schema::audit_log;
use crate::{Result, Store};

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

impl Store {
    /// The same store, recording `actor` in the audit log for the changes made through it.
    pub fn acting_as(mut self, actor: impl Into<String>) -> Store {
        self.actor = actor.into().into();
        self
    }

    /// The audit log, newest first, at most `limit` entries.
    pub fn list_audit(&self, limit: Option<i64>) -> Result<Vec<AuditEntry>> {
        self.read(|conn| {
            let mut query = audit_log::table.order(audit_log::id.desc()).into_boxed();
            if let Some(limit) = limit {
                query = query.limit(limit);
            }
            Ok(query.load(conn)?)
        })
    }
}

/// Records `action` on `subject` by the store's actor, inside the caller's transaction.
pub(crate) fn record(conn: &mut DbConnection, actor: &str, action: &str, subject: &str) -> Result<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(Timestamp::now().millis()),
            audit_log::actor.eq(actor),
            audit_log::action.eq(action),
            audit_log::subject.eq(subject),
        ))
        .execute(conn)?;
    Ok(())
}
