//! Employee tokens of the team API: issue, look up, list, revoke.

use diesel::prelude::*;
use lead_domain::Timestamp;

use lead_auth::{EmployeeToken, TokenHash, TokenKind, TokenState};

use crate::access::audit;
use crate::access::Access;
use crate::error::conflict_on_unique;
use crate::ids::{CompanyId, EmployeeId, TokenId};
use crate::input::select_by_id_or_prefix;
use crate::models::{Member, TokenInfo, TokenLookup};
use crate::schema::{companies, employee_tokens, employees};
use crate::{Result, StoreError};

type TokenRow = (TokenId, EmployeeId, String, i32, i64);

fn token_info(row: TokenRow) -> TokenInfo {
    TokenInfo {
        id: row.0,
        employee_id: row.1,
        prefix: row.2,
        active: row.3 == 1,
        created_at: row.4.into(),
    }
}

/// A token with what decides whether it may act: (token, employee, company, token active,
/// expires at, employee active, company active, password only).
type StateRow = (TokenId, EmployeeId, CompanyId, i32, Option<i64>, i32, i32, i32);

/// The token of `row` and whether it may act now (see [`TokenState::of`]).
fn lookup(row: StateRow) -> TokenLookup {
    let (token_id, employee_id, company_id, token, expires_at, employee, company, password_only) = row;
    TokenLookup {
        member: Member {
            employee_id,
            company_id,
            token_id,
            password_only: password_only == 1,
        },
        state: TokenState::of(
            token == 1,
            expires_at,
            Timestamp::now().millis(),
            employee == 1,
            company == 1,
        ),
    }
}

/// Tokens with their employee's and company's state, as [`StateRow`]s.
macro_rules! tokens_with_state {
    () => {
        employee_tokens::table
            .inner_join(employees::table.inner_join(companies::table))
            .select((
                employee_tokens::id,
                employees::id,
                employees::company_id,
                employee_tokens::active,
                employee_tokens::expires_at,
                employees::active,
                companies::active,
                employee_tokens::password_only,
            ))
    };
}

impl Access<'_> {
    /// Registers `token` for an employee: its hash and display prefix (the token itself is
    /// never stored).
    pub fn add_employee_token(&self, employee_id: EmployeeId, token: &EmployeeToken) -> Result<TokenId> {
        self.find_employee(employee_id)?;
        let (prefix, hash) = (token.display_prefix(), token.hash());
        self.store.write(|conn| {
            let id: TokenId = diesel::insert_into(employee_tokens::table)
                .values((
                    employee_tokens::employee_id.eq(employee_id),
                    employee_tokens::prefix.eq(&prefix),
                    employee_tokens::token_hash.eq(hash.as_str()),
                    employee_tokens::active.eq(1),
                    employee_tokens::created_at.eq(Timestamp::now().millis()),
                ))
                .returning(employee_tokens::id)
                .get_result(conn)
                .map_err(conflict_on_unique(crate::error::Entity::Token, || {
                    "this token is already registered".to_owned()
                }))?;
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Employee(employee_id),
                "token.issue",
                &format!("token {id} ({prefix}) of employee {employee_id}"),
            )?;
            Ok(id)
        })
    }

    /// Looks up a token presented as a credential of `kind`, with whether it may act; a token
    /// of the other kind is not found. A session is the token that expires (made at a login);
    /// a team-API token never does.
    pub fn find_token_of_kind(&self, hash: &TokenHash, kind: TokenKind) -> Result<Option<TokenLookup>> {
        self.store.read(|conn| {
            let query = tokens_with_state!()
                .filter(employee_tokens::token_hash.eq(hash.as_str()))
                .into_boxed();
            let query = match kind {
                TokenKind::Api => query.filter(employee_tokens::expires_at.is_null()),
                TokenKind::Session => query.filter(employee_tokens::expires_at.is_not_null()),
            };
            let found: Option<StateRow> = query.first(conn).optional()?;
            Ok(found.map(lookup))
        })
    }

    /// Looks a token up by its hash, whatever its kind (the operator revoking one), with
    /// whether it may act.
    pub fn find_token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenLookup>> {
        self.store.read(|conn| {
            let found: Option<StateRow> = tokens_with_state!()
                .filter(employee_tokens::token_hash.eq(hash.as_str()))
                .first(conn)
                .optional()?;
            Ok(found.map(lookup))
        })
    }

    /// Whether a token may still act (long-lived streams re-check it): the same rule as when
    /// it was presented.
    pub fn token_is_valid(&self, token_id: TokenId) -> Result<bool> {
        self.store.read(|conn| {
            let found: Option<StateRow> = tokens_with_state!()
                .filter(employee_tokens::id.eq(token_id))
                .first(conn)
                .optional()?;
            Ok(found.is_some_and(|row| lookup(row).state == TokenState::Active))
        })
    }

    /// Of `tokens`, those that no longer let anyone in (revoked, expired, gone, the employee
    /// or company deactivated): one query for all of them.
    pub fn invalid_tokens(&self, tokens: &[TokenId]) -> Result<Vec<TokenId>> {
        self.store.read(|conn| {
            let rows: Vec<StateRow> = tokens_with_state!()
                .filter(employee_tokens::id.eq_any(tokens))
                .load(conn)?;
            let valid: Vec<TokenId> = rows
                .into_iter()
                .map(lookup)
                .filter(|found| found.state == TokenState::Active)
                .map(|found| found.member.token_id)
                .collect();
            Ok(tokens.iter().copied().filter(|token| !valid.contains(token)).collect())
        })
    }

    /// Tokens, all or of one employee, by id.
    pub fn list_employee_tokens(&self, employee_id: Option<EmployeeId>) -> Result<Vec<TokenInfo>> {
        self.store.read(|conn| {
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
        select_by_id_or_prefix(
            self.list_employee_tokens(None)?,
            selector,
            "token",
            crate::error::Entity::Token,
            |t| (t.id.get(), &t.prefix),
        )
    }

    /// Revokes a token: it stops working at once.
    pub fn revoke_employee_token(&self, token_id: TokenId) -> Result<()> {
        self.store.write(|conn| {
            let updated = diesel::update(employee_tokens::table.find(token_id))
                .set(employee_tokens::active.eq(0))
                .execute(conn)?;
            if updated != 1 {
                return Err(StoreError::missing(crate::error::Entity::Token, token_id));
            }
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Token(token_id),
                "token.revoke",
                &format!("token {token_id}"),
            )
        })
    }
}
