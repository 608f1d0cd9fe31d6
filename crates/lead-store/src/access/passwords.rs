//! An employee's dashboard password: set for good by the operator, set once by a company's
//! admin (the first login consumes it), or set by the employee themselves — each ends the
//! employee's other dashboard sessions and lifts every lockout of the account.

use diesel::prelude::*;

use crate::access::audit;
use crate::access::logins::lift;
use crate::access::Access;
use crate::ids::{EmployeeId, TokenId};
use crate::models::Member;
use crate::schema::{employee_tokens, employees};
use crate::{Result, Scope, StoreError};

impl Access<'_> {
    /// Sets (or with `None` removes) an employee's dashboard password hash — for good: the
    /// operator's command — and lifts every lockout of the account. The employee's dashboard
    /// sessions end (whoever was logged in with the old password is out); team-API tokens stay.
    pub fn set_employee_password(&self, employee_id: EmployeeId, password_hash: Option<&str>) -> Result<()> {
        let what = if password_hash.is_some() { "set" } else { "removed" };
        self.put_password(Scope::Everyone, employee_id, password_hash, false, None, what)
    }

    /// Sets a one-time password an admin gives an employee: the first login with it consumes
    /// it and opens nothing but the page where the employee sets their own. Otherwise as
    /// [`Access::set_employee_password`].
    pub fn set_one_time_password(&self, scope: Scope, employee_id: EmployeeId, password_hash: &str) -> Result<()> {
        self.put_password(scope, employee_id, Some(password_hash), true, None, "set once")
    }

    /// The employee of `member` sets their own password (after giving the current one, or in
    /// the session a one-time password opened): every other dashboard session of theirs ends,
    /// this one goes on and opens everything again.
    pub fn set_own_password(&self, member: Member, password_hash: &str) -> Result<()> {
        self.put_password(
            Scope::Company(member.company_id),
            member.employee_id,
            Some(password_hash),
            false,
            Some(member.token_id),
            "changed by the employee",
        )
    }

    /// One way to put a password: the hash, whether it is a one-time password, the session
    /// that goes on (`None`: all end), and what the audit log says.
    fn put_password(
        &self,
        scope: Scope,
        employee_id: EmployeeId,
        password_hash: Option<&str>,
        once: bool,
        keep: Option<TokenId>,
        what: &str,
    ) -> Result<()> {
        self.store.write(|conn| {
            crate::access::employees::within(conn, scope, employee_id)?;
            diesel::update(employees::table.find(employee_id))
                .set((
                    employees::password_hash.eq(password_hash),
                    employees::password_once.eq(i32::from(once)),
                ))
                .execute(conn)?;
            lift(conn, employee_id)?;
            // Whoever was logged in with the old password is out: the employee's dashboard
            // sessions (tokens that expire) end with the change. Team-API tokens stay.
            let sessions = employee_tokens::table
                .filter(employee_tokens::employee_id.eq(employee_id))
                .filter(employee_tokens::expires_at.is_not_null());
            match keep {
                Some(keep) => {
                    diesel::update(sessions.filter(employee_tokens::id.ne(keep)))
                        .set(employee_tokens::active.eq(0))
                        .execute(conn)?;
                    let kept = diesel::update(
                        sessions
                            .filter(employee_tokens::id.eq(keep))
                            .filter(employee_tokens::active.eq(1)),
                    )
                    .set(employee_tokens::password_only.eq(0))
                    .execute(conn)?;
                    // Ended meanwhile (logged out, revoked): whoever did it meant the
                    // session to stop, not to change the password.
                    if kept != 1 {
                        return Err(StoreError::Conflict(
                            crate::error::Clash::SessionEnded,
                            format!("session {keep} ended meanwhile"),
                        ));
                    }
                }
                None => {
                    diesel::update(sessions)
                        .set(employee_tokens::active.eq(0))
                        .execute(conn)?;
                }
            }
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Employee(employee_id),
                "employee.password",
                &format!("employee {employee_id}: password {what}"),
            )
        })
    }

    /// The employee's own password hash, to check the current password before a change;
    /// `None` when they have none (a one-time password was consumed by this session's login).
    pub fn own_password_hash(&self, member: Member) -> Result<Option<String>> {
        self.store.read(|conn| {
            Ok(employees::table
                .find(member.employee_id)
                .filter(employees::company_id.eq(member.company_id))
                .select(employees::password_hash)
                .first(conn)?)
        })
    }
}
