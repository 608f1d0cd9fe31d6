//! Two files of the same person made one: everything of the other file moves into this one,
//! its addresses become further ones here, and the other file is gone.

use diesel::prelude::*;

use super::edit::{record_change, MAX_FURTHER_EMAILS};
use super::{load_customer, Customer};
use crate::access::audit;
use crate::ids::CustomerId;
use crate::models::Member;
use crate::schema::{customer_changes, customer_emails, customers, notes, tickets, web_orders};
use crate::team::Team;
use crate::{Problem, Result, StoreError};

impl Team<'_> {
    /// Merges the customer `from` into `into`, both of the member's company (another
    /// company's is not found), in one transaction: every order, ticket and note of `from`
    /// and its history move to `into`; its addresses (main and further) become further
    /// addresses of `into`, so that its leads keep being filed there; `from` is deleted. The
    /// merge is in `into`'s history and in the audit log. A customer is not merged into
    /// itself, nor beyond [`MAX_FURTHER_EMAILS`] further addresses together.
    pub fn merge_customers(&self, member: Member, into: CustomerId, from: CustomerId) -> Result<Customer> {
        if into == from {
            return Err(StoreError::Invalid {
                field: "from",
                problem: Problem::Other("a customer cannot be merged into itself".into()),
            });
        }
        self.store.write(|conn| {
            let company_id = member.company_id;
            let target = load_customer(conn, company_id, into)?;
            let source = load_customer(conn, company_id, from)?;
            let further = target.emails.len() + 1 + source.emails.len();
            if further > MAX_FURTHER_EMAILS {
                return Err(StoreError::Invalid {
                    field: "from",
                    problem: Problem::Other(format!(
                        "together the two would have {further} further addresses, more than {MAX_FURTHER_EMAILS}"
                    )),
                });
            }
            diesel::update(web_orders::table.filter(web_orders::customer_id.eq(from)))
                .set(web_orders::customer_id.eq(into))
                .execute(conn)?;
            diesel::update(tickets::table.filter(tickets::customer_id.eq(from)))
                .set(tickets::customer_id.eq(into))
                .execute(conn)?;
            diesel::update(notes::table.filter(notes::customer_id.eq(from)))
                .set(notes::customer_id.eq(into))
                .execute(conn)?;
            diesel::update(customer_emails::table.filter(customer_emails::customer_id.eq(from)))
                .set(customer_emails::customer_id.eq(into))
                .execute(conn)?;
            diesel::update(customer_changes::table.filter(customer_changes::customer_id.eq(from)))
                .set(customer_changes::customer_id.eq(into))
                .execute(conn)?;
            diesel::delete(customers::table.find(from)).execute(conn)?;
            let after = load_customer(conn, company_id, into)?;
            let merged = format!("{} <{}> (Nr. {from})", source.name, source.email);
            let fields = [
                ("merged".to_owned(), merged, String::new()),
                ("emails".to_owned(), target.emails.join(", "), after.emails.join(", ")),
            ];
            record_change(
                conn,
                &self.store.actor,
                company_id,
                Some(member.employee_id),
                into,
                &fields,
            )?;
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Company(company_id),
                "customer.merge",
                &format!(
                    "customer {from} into customer {into} of company {company_id} by employee {}",
                    member.employee_id
                ),
            )?;
            Ok(after)
        })
    }
}
