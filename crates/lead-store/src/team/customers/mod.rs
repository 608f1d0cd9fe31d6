//! Customers and their files: add, search, read, and claim unassigned leads; what the team
//! changes in a file, and its history, is `edit.rs`.

use std::collections::HashMap;

use diesel::prelude::*;
use lead_domain::{Contact, Email, Timestamp};

use crate::access::companies::ensure_company;
use crate::db::DbConnection;
use crate::error::conflict_on_unique;
use crate::ids::{CompanyId, CustomerId, LeadId};
use crate::input::{checked_email, checked_name};
use crate::models::{Claimed, Customer};
use crate::rows::{NewCustomer, NewCustomerEmail};
use crate::schema::{customer_emails, customers, tickets, web_orders};
use crate::team::records::table::{Rows, Table};
use crate::team::records::{LeadKind, Listing, OrderRecord, TicketRecord};
use crate::team::Team;
use crate::{Result, StoreError};

pub(crate) mod bulk;
mod edit;
mod from_lead;
mod import;
mod merge;

pub use edit::{CustomerChange, CustomerChangeEntry, MAX_FURTHER_EMAILS};
pub use from_lead::FromLead;
pub use import::{ImportLine, ImportReport, ImportSkip};

/// A customer's row: everything but its further addresses.
pub(super) type CustomerRow = (
    CustomerId,
    CompanyId,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
);

pub(super) const CUSTOMER_COLUMNS: (
    customers::id,
    customers::company_id,
    customers::name,
    customers::email,
    customers::phone,
    customers::organization,
    customers::street,
    customers::zip,
    customers::city,
    customers::country,
    customers::created_at,
) = (
    customers::id,
    customers::company_id,
    customers::name,
    customers::email,
    customers::phone,
    customers::organization,
    customers::street,
    customers::zip,
    customers::city,
    customers::country,
    customers::created_at,
);

/// The customers of `rows`, each with its further addresses (one query for all of them).
pub(crate) fn with_emails(conn: &mut DbConnection, rows: Vec<CustomerRow>) -> Result<Vec<Customer>> {
    let ids: Vec<CustomerId> = rows.iter().map(|row| row.0).collect();
    let mut further: HashMap<CustomerId, Vec<String>> = HashMap::new();
    if !ids.is_empty() {
        let addresses: Vec<(CustomerId, String)> = customer_emails::table
            .inner_join(customers::table.on(customers::id.eq(customer_emails::customer_id)))
            .filter(customer_emails::customer_id.eq_any(&ids))
            .filter(customer_emails::email_normalized.ne(customers::email_normalized))
            .select((customer_emails::customer_id, customer_emails::email))
            .order(customer_emails::id)
            .load(conn)?;
        for (id, email) in addresses {
            further.entry(id).or_default().push(email);
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| Customer {
            emails: further.remove(&row.0).unwrap_or_default(),
            ..bare(row)
        })
        .collect())
}

/// A customer's row as a customer without further addresses.
pub(super) fn bare(
    (id, company_id, name, email, phone, organization, street, zip, city, country, created_at): CustomerRow,
) -> Customer {
    Customer {
        id,
        company_id,
        name,
        email,
        emails: Vec::new(),
        phone,
        organization,
        street,
        zip,
        city,
        country,
        created_at: created_at.into(),
    }
}

/// Gives every customer without one the row of its main address in `customer_emails`: the
/// customers an instance of the version before that table added while a newer one already
/// ran (a rolling upgrade), which leads could not be filed under otherwise. Run at every
/// start; an address that is another customer's meanwhile is left out (the team sees both
/// files and merges them). How many rows it added.
pub(crate) fn heal_main_addresses(conn: &mut DbConnection) -> Result<usize> {
    let sql = "INSERT INTO customer_emails (company_id, customer_id, email, email_normalized) \
               SELECT c.company_id, c.id, c.email, c.email_normalized FROM customers c \
               WHERE NOT EXISTS (SELECT 1 FROM customer_emails e WHERE e.customer_id = c.id \
                                 AND e.email_normalized = c.email_normalized) \
               ON CONFLICT (company_id, email_normalized) DO NOTHING";
    Ok(diesel::sql_query(sql).execute(conn)?)
}

/// Every address of a customer, normalized: the main one and the further ones.
pub(crate) fn addresses_of(conn: &mut DbConnection, customer_id: CustomerId) -> Result<Vec<String>> {
    Ok(customer_emails::table
        .filter(customer_emails::customer_id.eq(customer_id))
        .select(customer_emails::email_normalized)
        .order(customer_emails::id)
        .load(conn)?)
}

/// Inserts a customer with its main address, and what else `contact` tells (its name is
/// `name`); the address must be no customer's of the company yet (`Conflict(Taken)`).
pub(crate) fn insert_customer(
    conn: &mut DbConnection,
    company_id: CompanyId,
    name: &str,
    email: &Email,
    contact: &Contact,
) -> Result<Customer> {
    let taken = || {
        conflict_on_unique(crate::error::Entity::Customer, || {
            format!(
                "a customer with the email {:?} already exists in this company",
                email.as_str()
            )
        })
    };
    let row: CustomerRow = diesel::insert_into(customers::table)
        .values(NewCustomer {
            company_id,
            name,
            name_normalized: &name.to_lowercase(),
            email: email.as_str(),
            email_normalized: &email.normalized(),
            created_at: Timestamp::now().millis(),
            phone: &contact.phone,
            organization: &contact.organization,
            street: &contact.street,
            zip: &contact.zip,
            city: &contact.city,
            country: &contact.country,
        })
        .returning(CUSTOMER_COLUMNS)
        .get_result(conn)
        .map_err(taken())?;
    diesel::insert_into(customer_emails::table)
        .values(NewCustomerEmail {
            company_id,
            customer_id: row.0,
            email: email.as_str(),
            email_normalized: &email.normalized(),
        })
        .execute(conn)
        .map_err(taken())?;
    Ok(with_emails(conn, vec![row])?.remove(0))
}

impl Team<'_> {
    /// Adds a customer; the email (compared case-insensitively) is unique within the company.
    pub fn add_customer(&self, company_id: CompanyId, name: &str, email: &str) -> Result<Customer> {
        let name = checked_name(name)?;
        let email = checked_email(email)?;
        self.store.write(|conn| {
            ensure_company(conn, company_id)?;
            insert_customer(conn, company_id, name, &email, &Contact::default())
        })
    }

    /// A company's customers, newest first; with `search`, only those whose name, firm or one
    /// of whose addresses (main or further) contains it (case-insensitively). Only ids below `before`, at most `limit`.
    pub fn list_customers(
        &self,
        company_id: CompanyId,
        search: Option<&str>,
        before: Option<CustomerId>,
        limit: Option<i64>,
    ) -> Result<Vec<Customer>> {
        self.store.read(|conn| {
            let mut query = customers::table
                .filter(customers::company_id.eq(company_id))
                .select(CUSTOMER_COLUMNS)
                .order(customers::id.desc())
                .into_boxed();
            if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
                let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
                // Any of its addresses, main or further.
                let addressed = customer_emails::table
                    .filter(customer_emails::company_id.eq(company_id))
                    .filter(customer_emails::email_normalized.like(pattern.clone()).escape('\\'))
                    .select(customer_emails::customer_id);
                query = query.filter(
                    customers::name_normalized
                        .like(pattern.clone())
                        .escape('\\')
                        .or(customers::id.eq_any(addressed))
                        .or(crate::db::dialect::lower(customers::organization.nullable())
                            .like(pattern)
                            .escape('\\')),
                );
            }
            if let Some(before) = before {
                query = query.filter(customers::id.lt(before));
            }
            if let Some(limit) = limit {
                query = query.limit(limit);
            }
            let rows = query.load(conn)?;
            with_emails(conn, rows)
        })
    }

    /// One customer of the company; another company's customer is simply not found.
    pub fn get_customer(&self, company_id: CompanyId, customer_id: CustomerId) -> Result<Customer> {
        self.store.read(|conn| load_customer(conn, company_id, customer_id))
    }

    /// The customer with the newest `per_list` of its tickets and of its orders (a customer
    /// of many years has thousands): the older ones page with [`Team::customer_leads`].
    pub fn customer_file(&self, company_id: CompanyId, customer_id: CustomerId, per_list: i64) -> Result<CustomerFile> {
        let fetch = Some(per_list.max(1).saturating_add(1));
        self.store.read(|conn| {
            let customer = load_customer(conn, company_id, customer_id)?;
            let rows = Rows {
                limit: fetch,
                ..Rows::of(company_id, Listing::Customer(customer_id))
            };
            let mut tickets = TicketRecord::select(conn, &rows)?;
            let mut orders = OrderRecord::select(conn, &rows)?;
            let per_list = usize::try_from(per_list.max(1)).unwrap_or(usize::MAX);
            let (more_tickets, more_orders) = (tickets.len() > per_list, orders.len() > per_list);
            tickets.truncate(per_list);
            orders.truncate(per_list);
            Ok(CustomerFile {
                customer,
                tickets,
                orders,
                more_tickets,
                more_orders,
            })
        })
    }

    /// A customer's leads of kind `K`, newest first: only ids below `before`, at most `limit`.
    /// Another company's customer is not found.
    pub fn customer_leads<K: LeadKind>(
        &self,
        company_id: CompanyId,
        customer_id: CustomerId,
        before: Option<K::Id>,
        limit: i64,
    ) -> Result<Vec<K>> {
        self.store.read(|conn| {
            load_customer(conn, company_id, customer_id)?;
            let rows = Rows {
                before: before.map(|id| Into::<LeadId>::into(id).get()),
                limit: Some(limit),
                ..Rows::of(company_id, Listing::Customer(customer_id))
            };
            K::select(conn, &rows)
        })
    }

    /// Files the company's unassigned tickets and orders that carry one of the customer's
    /// addresses (compared case-insensitively) into the customer's file.
    pub fn claim_for_customer(&self, company_id: CompanyId, customer_id: CustomerId) -> Result<Claimed> {
        self.store.write(|conn| {
            load_customer(conn, company_id, customer_id)?;
            claim(conn, company_id, customer_id)
        })
    }
}

/// Files the company's unassigned leads (not held) from one of the customer's addresses into
/// its file.
pub(crate) fn claim(conn: &mut DbConnection, company_id: CompanyId, customer_id: CustomerId) -> Result<Claimed> {
    let email = addresses_of(conn, customer_id)?;
    let tickets = diesel::update(
        tickets::table
            .filter(tickets::company_id.eq(company_id))
            .filter(tickets::customer_id.is_null())
            .filter(tickets::held.is_null())
            .filter(tickets::email_normalized.eq_any(&email)),
    )
    .set(tickets::customer_id.eq(customer_id))
    .execute(conn)?;
    let orders = diesel::update(
        web_orders::table
            .filter(web_orders::company_id.eq(company_id))
            .filter(web_orders::customer_id.is_null())
            .filter(web_orders::held.is_null())
            .filter(web_orders::email_normalized.eq_any(&email)),
    )
    .set(web_orders::customer_id.eq(customer_id))
    .execute(conn)?;
    Ok(Claimed { tickets, orders })
}

/// One customer of the company, with its further addresses; another company's is not found.
pub(crate) fn load_customer(
    conn: &mut DbConnection,
    company_id: CompanyId,
    customer_id: CustomerId,
) -> Result<Customer> {
    let row: CustomerRow = customers::table
        .filter(customers::id.eq(customer_id))
        .filter(customers::company_id.eq(company_id))
        .select(CUSTOMER_COLUMNS)
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::missing(crate::error::Entity::Customer, customer_id))?;
    Ok(with_emails(conn, vec![row])?.remove(0))
}

/// Escapes `\`, `%` and `_` so a search text matches literally inside a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(super::escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}

/// A customer's file: the customer with its tickets and orders, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFile {
    /// The customer.
    pub customer: Customer,
    /// Its newest tickets, newest first.
    pub tickets: Vec<TicketRecord>,
    /// Its newest orders, newest first.
    pub orders: Vec<OrderRecord>,
    /// Whether it has older tickets than these.
    pub more_tickets: bool,
    /// Whether it has older orders than these.
    pub more_orders: bool,
}
