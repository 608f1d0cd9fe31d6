//! Dashboard logins: passwords, failed attempts and lockouts, and sessions — employee tokens
//! that expire.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::audit;
use crate::models::Id;
use crate::schema::{companies, employee_tokens, employees};
use crate::{Result, Store, StoreError};

diesel::define_sql_function! {
    /// SQL `lower()`: emails compare case-insensitively.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// An employee who may log in with an email address: what a login needs to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCandidate {
    /// The employee.
    pub employee_id: Id,
    /// The employee's company.
    pub company_id: Id,
    /// The argon2id hash of the password; `None` until the operator sets one.
    pub password_hash: Option<String>,
    /// Locked until then (Unix milliseconds) after too many wrong passwords.
    pub locked_until: Option<i64>,
}

impl Store {
    /// Sets (or with `None` removes) an employee's dashboard password hash, and lifts a lockout.
    pub fn set_employee_password(&self, employee_id: Id, password_hash: Option<&str>) -> Result<()> {
        self.write(|conn| {
            let updated = diesel::update(employees::table.find(employee_id))
                .set((
                    employees::password_hash.eq(password_hash),
                    employees::failed_logins.eq(0),
                    employees::locked_until.eq(None::<i64>),
                ))
                .execute(conn)?;
            if updated != 1 {
                return Err(StoreError::NotFound(format!("no employee with id {employee_id}")));
            }
            let what = if password_hash.is_some() { "set" } else { "removed" };
            audit::record(
                conn,
                &self.actor,
                "employee.password",
                &format!("employee {employee_id}: password {what}"),
            )
        })
    }

    /// The active employees of active companies with this email (compared case-insensitively;
    /// the same person may work for two companies).
    pub fn login_candidates(&self, email: &str) -> Result<Vec<LoginCandidate>> {
        let email = email.trim().to_lowercase();
        self.read(|conn| {
            let rows: Vec<(Id, Id, Option<String>, Option<i64>)> = employees::table
                .inner_join(companies::table)
                .filter(lower(employees::email).eq(&email))
                .filter(employees::active.eq(1))
                .filter(companies::active.eq(1))
                .select((
                    employees::id,
                    employees::company_id,
                    employees::password_hash,
                    employees::locked_until,
                ))
                .order(employees::id)
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(
                    |(employee_id, company_id, password_hash, locked_until)| LoginCandidate {
                        employee_id,
                        company_id,
                        password_hash,
                        locked_until,
                    },
                )
                .collect())
        })
    }

    /// Counts a wrong password; the `max_failed`-th in a row locks the account for `lockout_ms`.
    /// Returns whether the account is locked now.
    pub fn note_failed_login(&self, employee_id: Id, max_failed: u32, lockout_ms: i64) -> Result<bool> {
        self.write(|conn| {
            let failed: i32 = employees::table
                .find(employee_id)
                .select(employees::failed_logins)
                .first(conn)?;
            let failed = failed.saturating_add(1);
            let lock = u32::try_from(failed).is_ok_and(|f| f >= max_failed.max(1));
            let locked_until = lock.then(|| Timestamp::now().millis() + lockout_ms);
            diesel::update(employees::table.find(employee_id))
                .set((
                    employees::failed_logins.eq(if lock { 0 } else { failed }),
                    employees::locked_until.eq(locked_until),
                ))
                .execute(conn)?;
            if lock {
                audit::record(
                    conn,
                    &self.actor,
                    "employee.locked",
                    &format!("employee {employee_id}: {failed} wrong passwords in a row"),
                )?;
            }
            Ok(lock)
        })
    }

    /// Starts a dashboard session: an employee token that expires at `expires_at`. Resets the
    /// count of wrong passwords and drops the employee's expired sessions.
    pub fn start_session(&self, employee_id: Id, prefix: &str, token_hash: &str, expires_at: i64) -> Result<Id> {
        let now = Timestamp::now().millis();
        self.write(|conn| {
            diesel::delete(
                employee_tokens::table
                    .filter(employee_tokens::employee_id.eq(employee_id))
                    .filter(employee_tokens::expires_at.le(now)),
            )
            .execute(conn)?;
            diesel::update(employees::table.find(employee_id))
                .set((employees::failed_logins.eq(0), employees::locked_until.eq(None::<i64>)))
                .execute(conn)?;
            let id = diesel::insert_into(employee_tokens::table)
                .values((
                    employee_tokens::employee_id.eq(employee_id),
                    employee_tokens::prefix.eq(prefix),
                    employee_tokens::token_hash.eq(token_hash),
                    employee_tokens::active.eq(1),
                    employee_tokens::created_at.eq(now),
                    employee_tokens::expires_at.eq(Some(expires_at)),
                ))
                .returning(employee_tokens::id)
                .get_result(conn)?;
            Ok(id)
        })
    }

    /// Ends a session (logout): its token stops working at once.
    pub fn end_session(&self, token_id: Id) -> Result<()> {
        self.write(|conn| {
            diesel::update(employee_tokens::table.find(token_id))
                .set(employee_tokens::active.eq(0))
                .execute(conn)?;
            Ok(())
        })
    }
}
