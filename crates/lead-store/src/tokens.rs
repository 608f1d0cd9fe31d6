//! Employee tokens of the team API: issue, look up, list, revoke.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::admin::select_by_id_or_prefix;
use crate::audit;
use crate::error::conflict_on_unique;
use crate::models::{Id, TokenInfo, TokenLookup};
use crate::schema::{companies, employee_tokens, employees};
use crate::{Result, Store, StoreError};

type TokenRow = (Id, Id, String, i32, i64);

fn token_info(row: TokenRow) -> TokenInfo {
    TokenInfo {
        id: row.0,
        employee_id: row.1,
        prefix: row.2,
        active: row.3 == 1,
        created_at: row.4,
    }
}

impl Store {
    /// Registers a token for an employee by its hash and display prefix.
    pub fn add_employee_token(&self, employee_id: Id, prefix: &str, token_hash: &str) -> Result<Id> {
        self.find_employee(employee_id)?;
        self.write(|conn| {
            let id: Id = diesel::insert_into(employee_tokens::table)
                .values((
                    employee_tokens::employee_id.eq(employee_id),
                    employee_tokens::prefix.eq(prefix),
                    employee_tokens::token_hash.eq(token_hash),
                    employee_tokens::active.eq(1),
                    employee_tokens::created_at.eq(Timestamp::now().millis()),
                ))
                .returning(employee_tokens::id)
                .get_result(conn)
                .map_err(conflict_on_unique(|| "this token is already registered".to_owned()))?;
            audit::record(
                conn,
                &self.actor,
                "token.issue",
                &format!("token {id} ({prefix}) of employee {employee_id}"),
            )?;
            Ok(id)
        })
    }

    /// Looks a presented token up by its SHA-256 hex, with its employee's and company's state.
    pub fn find_token_by_hash(&self, token_hash: &str) -> Result<Option<TokenLookup>> {
        self.read(|conn| {
            let found = employee_tokens::table
                .inner_join(employees::table.inner_join(companies::table))
                .filter(employee_tokens::token_hash.eq(token_hash))
                .select((
                    employee_tokens::id,
                    employees::id,
                    employees::company_id,
                    employee_tokens::active,
                    employees::active,
                    companies::active,
                    employee_tokens::expires_at,
                ))
                .first::<(Id, Id, Id, i32, i32, i32, Option<i64>)>(conn)
                .optional()?;
            let now = Timestamp::now().millis();
            Ok(found.map(
                |(token_id, employee_id, company_id, token, employee, company, expires)| TokenLookup {
                    token_id,
                    employee_id,
                    company_id,
                    // An expired session is as good as revoked.
                    token_active: token == 1 && expires.is_none_or(|at| at > now),
                    employee_active: employee == 1,
                    company_active: company == 1,
                },
            ))
        })
    }

    /// Whether a token still lets its employee in: the token, the employee and the company
    /// are all active.
    pub fn token_is_valid(&self, token_id: Id) -> Result<bool> {
        self.read(|conn| {
            let found: i64 = employee_tokens::table
                .inner_join(employees::table.inner_join(companies::table))
                .filter(employee_tokens::id.eq(token_id))
                .filter(employee_tokens::active.eq(1))
                .filter(
                    employee_tokens::expires_at
                        .is_null()
                        .or(employee_tokens::expires_at.gt(Timestamp::now().millis())),
                )
                .filter(employees::active.eq(1))
                .filter(companies::active.eq(1))
                .count()
                .get_result(conn)?;
            Ok(found == 1)
        })
    }

    /// Tokens, all or of one employee, by id.
    pub fn list_employee_tokens(&self, employee_id: Option<Id>) -> Result<Vec<TokenInfo>> {
        self.read(|conn| {
            let mut query = employee_tokens::table
                .select((
                    employee_tokens::id,
                    employee_tokens::employee_id,
                    employee_tokens::prefix,
                    employee_tokens::active,
                    employee_tokens::created_at,
                ))
                .order(employee_tokens::id)
                .into_boxed();
            if let Some(employee_id) = employee_id {
                query = query.filter(employee_tokens::employee_id.eq(employee_id));
            }
            Ok(query.load::<TokenRow>(conn)?.into_iter().map(token_info).collect())
        })
    }

    /// The token with this id or (unique) display prefix.
    pub fn find_employee_token(&self, selector: &str) -> Result<TokenInfo> {
        select_by_id_or_prefix(self.list_employee_tokens(None)?, selector, "token", |t| {
            (t.id, &t.prefix)
        })
    }

    /// Revokes a token: it stops working at once.
    pub fn revoke_employee_token(&self, token_id: Id) -> Result<()> {
        self.write(|conn| {
            let updated = diesel::update(employee_tokens::table.find(token_id))
                .set(employee_tokens::active.eq(0))
                .execute(conn)?;
            if updated != 1 {
                return Err(StoreError::NotFound(format!("no token with id {token_id}")));
            }
            audit::record(conn, &self.actor, "token.revoke", &format!("token {token_id}"))
        })
    }
}
