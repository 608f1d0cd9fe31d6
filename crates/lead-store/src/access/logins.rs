//! Dashboard logins: wrong attempts and lockouts per account and client address, and
//! sessions — employee tokens that expire. (The passwords themselves: `passwords.rs`.)

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::access::audit;
use crate::access::Access;
use crate::db::dialect::lower;
use crate::db::DbConnection;
use crate::ids::{CompanyId, EmployeeId, TokenId};
use crate::schema::{companies, employee_tokens, employees, login_throttle};
use crate::{Result, Scope, StoreError};
use lead_auth::EmployeeToken;

/// How wrong passwords are limited (`[dashboard]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Wrong passwords in a row from one client (an address, or an IPv6 /64) with one login
    /// that lock the client out of it for `lockout_ms`.
    pub per_client: u32,
    /// How long a lock lasts, and the longest the account throttle makes a login wait.
    pub lockout_ms: i64,
    /// Wrong passwords with one login from all clients together before the account
    /// throttle starts: each further one makes that login wait, from every address, 1 s,
    /// then 2, 4, 8 … up to `lockout_ms`. A right password ends the wait.
    pub per_account: u32,
}

/// The `client` of a login's row that counts wrong passwords from every address.
const ACCOUNT: &str = "*";

/// Who tries to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginClient<'a> {
    /// A client address (an IPv6 /64 as one), as the HTTP layer labels it: held by its own
    /// count and by the account throttle.
    Address(&'a str),
    /// A browser that has logged in with this login before, by its device cookie's nonce
    /// (OWASP's "device cookies"): held by its own count only, never by the account throttle
    /// that strangers' guesses set off.
    Device(&'a str),
    /// A logged-in session giving its current password to change it: held by its own count
    /// only, like a known browser (whoever guesses elsewhere does not keep the employee from
    /// changing their password).
    Session(TokenId),
}

impl<'a> From<&'a str> for LoginClient<'a> {
    fn from(address: &'a str) -> Self {
        LoginClient::Address(address)
    }
}

impl<'a> From<&'a String> for LoginClient<'a> {
    fn from(address: &'a String) -> Self {
        LoginClient::Address(address)
    }
}

impl LoginClient<'_> {
    /// The `client` of its row in `login_throttle`.
    fn key(self) -> String {
        match self {
            LoginClient::Address(address) => address.to_owned(),
            LoginClient::Device(nonce) => format!("device:{nonce}"),
            LoginClient::Session(token_id) => format!("session:{token_id}"),
        }
    }

    /// For the audit log.
    fn described(self) -> String {
        match self {
            LoginClient::Address(address) => address.to_owned(),
            LoginClient::Device(_) => "a browser that had logged in before (device cookie)".to_owned(),
            LoginClient::Session(token_id) => format!("dashboard session {token_id} (changing the password)"),
        }
    }
}

/// What wrong passwords are counted by: the email as typed, trimmed and lower-cased (as it
/// is compared), and no longer than an address can be.
fn login_key(email: &str) -> String {
    email.trim().to_lowercase().chars().take(320).collect()
}

/// Counts one attempt on the row of `login` and `client` (inserted at 1), unless the row is
/// locked or has `below` attempts counted already: then `None`. Locks the row until the
/// transaction ends, so attempts sent at once are counted one after another.
fn count_attempt(
    conn: &mut DbConnection,
    login: &str,
    client: &str,
    now: i64,
    below: Option<i64>,
    quiet_since: i64,
) -> Result<Option<i64>> {
    #[derive(QueryableByName)]
    struct Counted {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        failed: i32,
    }
    // A count untouched since `quiet_since` starts again at one: old typos do not add up.
    let stale = format!("login_throttle.updated_at < {quiet_since}");
    let below = below.map_or_else(String::new, |max| {
        format!(" AND (login_throttle.failed < {max} OR {stale})")
    });
    // The same SQL on both backends but for the spelling of the bound parameters.
    let (first, second) = (
        crate::db::dialect::parameter(conn, 1),
        crate::db::dialect::parameter(conn, 2),
    );
    let query = diesel::sql_query(format!(
        "INSERT INTO login_throttle (login, client, failed, locked_until, updated_at) \
         VALUES ({first}, {second}, 1, NULL, {now}) \
         ON CONFLICT (login, client) DO UPDATE \
         SET failed = CASE WHEN {stale} THEN 1 ELSE login_throttle.failed + 1 END, updated_at = {now} \
         WHERE (login_throttle.locked_until IS NULL OR login_throttle.locked_until <= {now}){below} \
         RETURNING failed"
    ))
    .bind::<diesel::sql_types::Text, _>(login)
    .bind::<diesel::sql_types::Text, _>(client);
    let counted: Vec<Counted> = crate::db::dialect::each_backend!(conn, c => query.load(c))?;
    Ok(counted.first().map(|row| i64::from(row.failed)))
}

/// Lifts every count and lock of the employee's login — unless another company's employee
/// has the same login: one company's admin cannot lift another company's locks.
pub(crate) fn lift(conn: &mut DbConnection, employee_id: EmployeeId) -> Result<()> {
    let (email, company): (String, CompanyId) = employees::table
        .find(employee_id)
        .select((employees::email, employees::company_id))
        .first(conn)?;
    let login = login_key(&email);
    if !shared_elsewhere(conn, &login, company)? {
        diesel::delete(login_throttle::table.filter(login_throttle::login.eq(&login))).execute(conn)?;
    }
    Ok(())
}

/// An employee's email, company, whether their password is a one-time one, and its hash — on
/// PostgreSQL with the row locked until the transaction ends, so that a password set at the
/// same time waits for the login (and then ends its session) or the login for it (and then
/// finds the hash changed). SQLite's one writer does that anyway.
fn login_state(conn: &mut DbConnection, employee_id: EmployeeId) -> Result<(String, CompanyId, i32, Option<String>)> {
    let row = employees::table.find(employee_id).select((
        employees::email,
        employees::company_id,
        employees::password_once,
        employees::password_hash,
    ));
    Ok(match conn {
        DbConnection::Postgres(conn) => row.for_update().first(conn)?,
        conn => row.first(conn)?,
    })
}

/// Whether an employee of a company other than `company` logs in with `login`.
pub(crate) fn shared_elsewhere(conn: &mut DbConnection, login: &str, company: CompanyId) -> Result<bool> {
    let others: i64 = employees::table
        .filter(lower(employees::email.nullable()).eq(login))
        .filter(employees::company_id.ne(company))
        .count()
        .get_result(conn)?;
    Ok(others > 0)
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

impl Access<'_> {
    /// Lifts every lockout and throttle of an employee's login, from every address.
    pub fn lift_lockouts(&self, scope: Scope, employee_id: EmployeeId) -> Result<()> {
        self.store.write(|conn| {
            crate::access::employees::within(conn, scope, employee_id)?;
            lift(conn, employee_id)?;
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Employee(employee_id),
                "employee.unlock",
                &format!("employee {employee_id}"),
            )
        })
    }

    /// The active employees of active companies with this email (compared case-insensitively;
    /// the same person may work for two companies) who have a password.
    pub fn login_candidates(&self, email: &str) -> Result<Vec<LoginCandidate>> {
        let email = email.trim().to_lowercase();
        self.store.read(|conn| {
            let rows: Vec<(EmployeeId, CompanyId, Option<String>)> = employees::table
                .inner_join(companies::table)
                .filter(lower(employees::email.nullable()).eq(&email))
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

    /// Reserves one login attempt with `email` from `client`, before the password is
    /// checked: counts it as wrong until [`Access::start_session`] says otherwise. `false` when
    /// the password must not even be checked: `client` is locked out of that login, or has
    /// `per_client` attempts counted already, or (an address, not a known browser) the login
    /// waits out the account throttle.
    /// The same statements whether or not any employee has that email, so the store's work
    /// tells nothing about which accounts exist; and one transaction with the rows locked,
    /// so attempts sent at once cannot slip past a count.
    pub fn reserve_login_attempt<'c>(
        &self,
        email: &str,
        client: impl Into<LoginClient<'c>>,
        limits: LoginLimits,
    ) -> Result<bool> {
        let login = login_key(email);
        let client = client.into();
        let now = Timestamp::now().millis();
        let reserved = self.store.write(|conn| {
            let per_client = i64::from(limits.per_client.max(1));
            // A count is forgotten after a quiet lockout's length.
            let quiet_since = now - limits.lockout_ms.max(1_000);
            if count_attempt(conn, &login, &client.key(), now, Some(per_client), quiet_since)?.is_none() {
                return Err(StoreError::LockedOut);
            }
            if let LoginClient::Device(_) | LoginClient::Session(_) = client {
                return Ok(());
            }
            let Some(failed) = count_attempt(conn, &login, ACCOUNT, now, None, quiet_since)? else {
                return Err(StoreError::LockedOut);
            };
            let free = i64::from(limits.per_account.max(1));
            if failed >= free {
                // The account throttle: each further wrong password doubles the wait, from one
                // second up to the lockout, for every address at once.
                let doublings = u32::try_from((failed - free).min(30)).unwrap_or(30);
                let wait = (1_000_i64 << doublings).min(limits.lockout_ms.max(1_000));
                diesel::update(login_throttle::table.find((&login, ACCOUNT)))
                    .set(login_throttle::locked_until.eq(Some(now + wait)))
                    .execute(conn)?;
            }
            Ok(())
        });
        match reserved {
            Ok(()) => Ok(true),
            // Rolled back: a refused attempt counts nowhere.
            Err(StoreError::LockedOut) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// After a wrong password: when `client` has now reached `per_client` wrong attempts in a
    /// row with `email`, it is locked out of that login for the lockout. Returns whether it is.
    pub fn note_failed_login<'c>(
        &self,
        email: &str,
        client: impl Into<LoginClient<'c>>,
        limits: LoginLimits,
    ) -> Result<bool> {
        let login = login_key(email);
        let client = client.into();
        let key = client.key();
        let now = Timestamp::now().millis();
        let max_failed = i32::try_from(limits.per_client.max(1)).unwrap_or(i32::MAX);
        self.store.write(|conn| {
            let locked = diesel::update(
                login_throttle::table
                    .find((&login, &key))
                    .filter(login_throttle::failed.ge(max_failed)),
            )
            .set((
                login_throttle::failed.eq(0),
                login_throttle::locked_until.eq(Some(now + limits.lockout_ms)),
                login_throttle::updated_at.eq(now),
            ))
            .execute(conn)?;
            if locked == 1 {
                // Recorded for the employees who have that email; a lock on an address nobody
                // has would only fill the log with what attackers typed.
                let ids: Vec<EmployeeId> = employees::table
                    .filter(lower(employees::email.nullable()).eq(&login))
                    .select(employees::id)
                    .load(conn)?;
                for employee_id in ids {
                    audit::record(
                        conn,
                        &self.store.actor,
                        audit::About::Employee(employee_id),
                        "employee.locked",
                        &format!(
                            "employee {employee_id}: {max_failed} wrong passwords in a row from {}",
                            client.described()
                        ),
                    )?;
                }
            }
            Ok(locked == 1)
        })
    }

    /// Starts a dashboard session for the right password from `client`: `token`, which
    /// expires at `expires_at`; `checked` is the hash the password matched. Clears that
    /// client's wrong attempts and, from an address, the login's account throttle. Refused
    /// ([`StoreError::LockedOut`]) when the client was locked out meanwhile by attempts sent
    /// at the same time, or the password is no longer that hash (set anew, or a one-time
    /// password consumed, while it was checked). Drops the employee's expired sessions.
    /// Returns the session and whether it opens only the page to set one's own password.
    pub fn start_session<'c>(
        &self,
        employee_id: EmployeeId,
        client: impl Into<LoginClient<'c>>,
        token: &EmployeeToken,
        expires_at: Timestamp,
        checked: &str,
    ) -> Result<(TokenId, bool)> {
        let now = Timestamp::now().millis();
        let client = client.into();
        // A known browser's right password says nothing about guesses from elsewhere: their
        // throttle stays (ended, it would give strangers their free guesses again).
        let ends_wait = matches!(client, LoginClient::Address(_));
        let client = client.key();
        let (prefix, hash) = (token.display_prefix(), token.hash());
        self.store.write(|conn| {
            let (email, company, once, password) = login_state(conn, employee_id)?;
            if password.as_deref() != Some(checked) {
                return Err(StoreError::LockedOut);
            }
            let login = login_key(&email);
            if once == 1 {
                // One-time means once: the first login consumes the password (of two logins
                // with it at the same time, the second finds it gone), and its session opens
                // only the page to set one's own.
                let consumed = diesel::update(
                    employees::table
                        .find(employee_id)
                        .filter(employees::password_once.eq(1))
                        .filter(employees::password_hash.eq(checked)),
                )
                .set(employees::password_hash.eq(None::<String>))
                .execute(conn)?;
                if consumed != 1 {
                    return Err(StoreError::LockedOut);
                }
            }
            let mine = login_throttle::table.find((&login, &client));
            let locked: Option<Option<i64>> = mine.select(login_throttle::locked_until).first(conn).optional()?;
            if locked.flatten().is_some_and(|until| until > now) {
                return Err(StoreError::LockedOut);
            }
            // The client's count first, then the account's: the order a reservation locks them.
            diesel::delete(mine).execute(conn)?;
            // The account's wait ends — unless another company's employee has the same login:
            // a right password here must not buy guesses against that account.
            if ends_wait && !shared_elsewhere(conn, &login, company)? {
                diesel::delete(login_throttle::table.find((&login, ACCOUNT))).execute(conn)?;
            }
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
                    employee_tokens::password_only.eq(once),
                ))
                .returning(employee_tokens::id)
                .get_result(conn)?;
            Ok((id, once == 1))
        })
    }

    /// Ends a session (logout): its token stops working at once.
    pub fn end_session(&self, token_id: TokenId) -> Result<()> {
        self.store.write(|conn| {
            diesel::update(employee_tokens::table.find(token_id))
                .set(employee_tokens::active.eq(0))
                .execute(conn)?;
            Ok(())
        })
    }
}
