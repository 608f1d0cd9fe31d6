//! Customers made and leads filed many at a time, in few statements: what an import of a list
//! and the lead writer's automatic files share.

use std::collections::HashMap;

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::db::dialect::each_backend;
use crate::db::DbConnection;
use crate::ids::{CompanyId, CustomerId};
use crate::models::Claimed;
use crate::rows::{NewCustomer, NewCustomerEmail};
use crate::schema::{customer_emails, customers};
use crate::Result;

/// Rows per multi-row statement (at most 12 values each: well below SQLite's 32,766 and
/// PostgreSQL's 65,535 parameters).
pub(crate) const CHUNK: usize = 500;

/// A customer to make.
pub(crate) struct NewFile {
    /// Its name.
    pub(crate) name: String,
    /// Its main address, as given and normalized.
    pub(crate) email: (String, String),
    /// Phone, firm, street, zip, city, country (empty: not known).
    pub(crate) texts: [String; 6],
    /// Its further addresses, as given and normalized.
    pub(crate) further: Vec<(String, String)>,
}

/// Makes the customers of `files`, with the rows of their addresses, [`CHUNK`] at a time; the
/// id of each by its normalized main address. An address another customer of the company has
/// meanwhile fails the statement (a unique violation).
pub(crate) fn create(
    conn: &mut DbConnection,
    company_id: CompanyId,
    files: &[NewFile],
) -> Result<HashMap<String, CustomerId>> {
    let now = Timestamp::now().millis();
    let names: Vec<String> = files.iter().map(|c| c.name.to_lowercase()).collect();
    let mut made: HashMap<String, CustomerId> = HashMap::with_capacity(files.len());
    for (chunk, names) in files.chunks(CHUNK).zip(names.chunks(CHUNK)) {
        let rows: Vec<NewCustomer> = chunk
            .iter()
            .zip(names)
            .map(|(c, name_normalized)| NewCustomer {
                company_id,
                name: &c.name,
                name_normalized,
                email: &c.email.0,
                email_normalized: &c.email.1,
                created_at: now,
                phone: &c.texts[0],
                organization: &c.texts[1],
                street: &c.texts[2],
                zip: &c.texts[3],
                city: &c.texts[4],
                country: &c.texts[5],
            })
            .collect();
        let insert = diesel::insert_into(customers::table)
            .values(&rows)
            .returning((customers::id, customers::email_normalized));
        let ids: Vec<(CustomerId, String)> = each_backend!(&mut *conn, c => insert.get_results(c))?;
        let ids: HashMap<String, CustomerId> = ids.into_iter().map(|(id, email)| (email, id)).collect();
        let mut addresses = Vec::new();
        for c in chunk {
            let customer_id = ids[&c.email.1];
            for (email, email_normalized) in std::iter::once(&c.email).chain(&c.further) {
                addresses.push(NewCustomerEmail {
                    company_id,
                    customer_id,
                    email,
                    email_normalized,
                });
            }
        }
        insert_addresses(conn, &addresses)?;
        made.extend(ids);
    }
    Ok(made)
}

/// Inserts addresses of customers, [`CHUNK`] to a statement.
pub(crate) fn insert_addresses(conn: &mut DbConnection, rows: &[NewCustomerEmail]) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let insert = diesel::insert_into(customer_emails::table).values(chunk);
        each_backend!(&mut *conn, c => insert.execute(c))?;
    }
    Ok(())
}

/// `rows` parenthesised lists of `width` parameters each, numbered on from 1 as the backend of
/// `conn` writes them: `(?, ?), (?, ?)` for SQLite, `($1, $2), ($3, $4)` for PostgreSQL.
pub(crate) fn placeholders(conn: &DbConnection, rows: usize, width: usize) -> String {
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    (0..rows)
        .map(|row| {
            let cells: Vec<String> = (1..=width)
                .map(|cell| match sqlite {
                    true => "?".to_owned(),
                    false => format!("${}", row * width + cell),
                })
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Files the company's unfiled leads (not held) under the customer who has their address: one
/// statement per kind, however many customers.
pub(crate) fn file_unfiled(conn: &mut DbConnection, company_id: CompanyId) -> Result<Claimed> {
    let mut file = |table: &str| -> Result<usize> {
        let owner = format!(
            "SELECT e.customer_id FROM customer_emails e \
             WHERE e.company_id = {table}.company_id AND e.email_normalized = {table}.email_normalized"
        );
        Ok(diesel::sql_query(format!(
            "UPDATE {table} SET customer_id = ({owner}) \
             WHERE company_id = {company_id} AND customer_id IS NULL AND held IS NULL AND EXISTS ({owner})"
        ))
        .execute(conn)?)
    };
    Ok(Claimed {
        tickets: file("tickets")?,
        orders: file("web_orders")?,
    })
}
