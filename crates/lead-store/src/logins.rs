//! Dashboard logins: passwords, wrong attempts and lockouts per account and client address,
//! and sessions — employee tokens that expire.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::audit;
use crate::ids::{CompanyId, EmployeeId, TokenId};
use crate::schema::{companies, employee_tokens, employees, login_failures};
use crate::{Result, Store, StoreError};
use lead_auth::EmployeeToken;

diesel::define_sql_function! {
    /// SQL `lower()`: emails compare case-insensitively.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// An employee who may log in with an email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCandidate {
    /// The employee.
    pub employee_id: EmployeeId,
    /// The employee's company.
    pub company_id: CompanyId,
    /// The argon2id hash of the password; `None` until the operator sets one.
    pub password_hash: Option<String>,
}

impl Store {
    /// Sets (or with `None` removes) an employee's dashboard password hash, and lifts every
    /// lockout of the account.
    pub fn set_employee_password(&self, employee_id: EmployeeId, password_hash: Option<&str>) -> Result<()> {
        self.write(|conn| {
            let updated = diesel::update(employees::table.find(employee_id))
                .set(employees::password_hash.eq(password_hash))
                .execute(conn)?;
            if updated != 1 {
                return Err(StoreError::NotFound(format!("no employee with id {employee_id}")));
            }
            diesel::delete(login_failures::table.filter(login_failures::employee_id.eq(employee_id))).execute(conn)?;
            // Whoever was logged in with the old password is out: the employee's dashboard
            // sessions (tokens that expire) end with the change. Team-API tokens stay.
            diesel::update(
                employee_tokens::table
                    .filter(employee_tokens::employee_id.eq(employee_id))
                    .filter(employee_tokens::expires_at.is_not_null()),
            )
            .set(employee_tokens::active.eq(0))
            .execute(conn)?;
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
    /// the same person may work for two companies) who have a password.
    pub fn login_candidates(&self, email: &str) -> Result<Vec<LoginCandidate>> {
        let email = email.trim().to_lowercase();
        self.read(|conn| {
            let rows: Vec<(EmployeeId, CompanyId, Option<String>)> = employees::table
                .inner_join(companies::table)
                .filter(lower(employees::email).eq(&email))
                .filter(employees::active.eq(1))
                .filter(companies::active.eq(1))
                .filter(employees::password_hash.is_not_null())
                .select((employees::id, employees::company_id, employees::password_hash))
                .order(employees::id)
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(employee_id, company_id, password_hash)| LoginCandidate {
                    employee_id,
                    company_id,
                    password_hash,
                })
                .collect())
        })
    }

    /// Reserves one login attempt on `employee_id` from `client`, before the password is
    /// checked: counts it as wrong until [`Store::start_session`] says otherwise. `false` when
    /// `client` is locked out of the account, or has `max_failed` attempts counted already —
    /// then the password must not even be checked. One statement, so attempts sent at once
    /// cannot slip past the count.
    pub fn reserve_login_attempt(&self, employee_id: EmployeeId, client: &str, max_failed: u32) -> Result<bool> {
        let max_failed = i64::from(max_failed.max(1));
        let now = Timestamp::now().millis();
        self.write(|conn| {
            // The same SQL on both backends but for the spelling of the bound client text.
            let client_param = crate::dialect::parameter(conn, 1);
            let query = diesel::sql_query(format!(
                "INSERT INTO login_failures (employee_id, client, failed, locked_until) \
                 VALUES ({employee_id}, {client_param}, 1, NULL) \
                 ON CONFLICT (employee_id, client) DO UPDATE SET failed = login_failures.failed + 1 \
                 WHERE (login_failures.locked_until IS NULL OR login_failures.locked_until <= {now}) \
                 AND login_failures.failed < {max_failed}"
            ))
            .bind::<diesel::sql_types::Text, _>(client);
            let rows = crate::dialect::each_backend!(conn, c => query.execute(c))?;
            Ok(rows == 1)
        })
    }

    /// After a wrong password: when `client` has now reached `max_failed` wrong attempts in a
    /// row on the account, it is locked out of it for `lockout_ms`. Returns whether it is.
    pub fn note_failed_login(
        &self,
        employee_id: EmployeeId,
        client: &str,
        max_failed: u32,
        lockout_ms: i64,
    ) -> Result<bool> {
        let until = Timestamp::now().millis() + lockout_ms;
        let max_failed = i32::try_from(max_failed.max(1)).unwrap_or(i32::MAX);
        self.write(|conn| {
            let locked = diesel::update(
                login_failures::table
                    .filter(login_failures::employee_id.eq(employee_id))
                    .filter(login_failures::client.eq(client))
                    .filter(login_failures::failed.ge(max_failed)),
            )
            .set((
                login_failures::failed.eq(0),
                login_failures::locked_until.eq(Some(until)),
            ))
            .execute(conn)?;
            if locked == 1 {
                audit::record(
                    conn,
                    &self.actor,
                    "employee.locked",
                    &format!("employee {employee_id}: {max_failed} wrong passwords in a row from {client}"),
                )?;
            }
            Ok(locked == 1)
        })
    }

    /// Starts a dashboard session for the right password from `client`: `token`, which
    /// expires at `expires_at`. Clears that client's wrong attempts — unless it was locked out
    /// meanwhile by attempts sent at the same time, which is a refusal
    /// ([`StoreError::LockedOut`]). Drops the employee's expired sessions.
    pub fn start_session(
        &self,
        employee_id: EmployeeId,
        client: &str,
        token: &EmployeeToken,
        expires_at: Timestamp,
    ) -> Result<TokenId> {
        let now = Timestamp::now().millis();
        let (prefix, hash) = (token.display_prefix(), token.hash());
        self.write(|conn| {
            let mine = login_failures::table
                .filter(login_failures::employee_id.eq(employee_id))
                .filter(login_failures::client.eq(client));
            let locked: Option<Option<i64>> = mine.select(login_failures::locked_until).first(conn).optional()?;
            if locked.flatten().is_some_and(|until| until > now) {
                return Err(StoreError::LockedOut);
            }
            diesel::delete(mine).execute(conn)?;
            diesel::delete(
                employee_tokens::table
                    .filter(employee_tokens::employee_id.eq(employee_id))
                    .filter(employee_tokens::expires_at.le(now)),
            )
            .execute(conn)?;
            let id = diesel::insert_into(employee_tokens::table)
                .values((
                    employee_tokens::employee_id.eq(employee_id),
                    employee_tokens::prefix.eq(&prefix),
                    employee_tokens::token_hash.eq(hash.as_str()),
                    employee_tokens::active.eq(1),
                    employee_tokens::created_at.eq(now),
                    employee_tokens::expires_at.eq(Some(expires_at.millis())),
                ))
                .returning(employee_tokens::id)
                .get_result(conn)?;
            Ok(id)
        })
    }

    /// Ends a session (logout): its token stops working at once.
    pub fn end_session(&self, token_id: TokenId) -> Result<()> {
        self.write(|conn| {
            diesel::update(employee_tokens::table.find(token_id))
                .set(employee_tokens::active.eq(0))
                .execute(conn)?;
            Ok(())
        })
    }
}
