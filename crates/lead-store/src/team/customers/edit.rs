//! What the team changes in a customer's file — its name, addresses, phone, firm and postal
//! address — and the file's history: who changed which field when, from what to what.

use diesel::prelude::*;
use lead_domain::Timestamp;

use super::{load_customer, Customer};
use crate::db::DbConnection;
use crate::error::{Clash, Entity};
use crate::ids::{CompanyId, CustomerId, EmployeeId};
use crate::input::{checked_email_of, checked_name, checked_text};
use crate::models::{EmployeeRef, Member};
use crate::rows::NewCustomerEmail;
use crate::schema::{customer_changes, customer_emails, customers, employees};
use crate::team::Team;
use crate::{Problem, Result, StoreError};

/// The most further addresses one customer may have.
pub const MAX_FURTHER_EMAILS: usize = 20;

/// The longest phone number, in characters.
const MAX_PHONE_CHARS: usize = 50;

/// The longest firm, street, postal code, city or country, in characters.
const MAX_FIELD_CHARS: usize = 200;

/// A change to a customer: each field given is set, the others stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerChange {
    /// The name (not blank).
    pub name: Option<String>,
    /// The main address (unique in the company, with the further ones of every customer).
    pub email: Option<String>,
    /// The further addresses, all of them: they replace the ones before (an empty list
    /// removes them).
    pub emails: Option<Vec<String>>,
    /// Phone number (empty: unknown).
    pub phone: Option<String>,
    /// The firm the customer is with.
    pub organization: Option<String>,
    /// Street and number.
    pub street: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country.
    pub country: Option<String>,
}

/// One entry of a customer's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerChangeEntry {
    /// When.
    pub at: Timestamp,
    /// The employee who made it; `None` when the operator did.
    pub employee: Option<EmployeeRef>,
    /// Who, as the audit log names them (`lead-server` for the operator).
    pub actor: String,
    /// What changed: `(field, before, after)`, the fields named as the API names them
    /// (`emails` as the addresses joined by `, `).
    pub fields: Vec<(String, String, String)>,
}

/// A change checked and trimmed, before it meets the stored customer: addresses as (as
/// given, normalized), the texts by the API's names of their fields.
pub(super) struct Checked {
    pub(super) name: Option<String>,
    pub(super) email: Option<(String, String)>,
    pub(super) emails: Option<Vec<(String, String)>>,
    pub(super) texts: [(&'static str, Option<String>); 6],
}

pub(super) fn checked(change: &CustomerChange) -> Result<Checked> {
    let name = change.name.as_deref().map(checked_name).transpose()?.map(str::to_owned);
    let email = change
        .email
        .as_deref()
        .map(|email| checked_email_of("email", email))
        .transpose()?
        .map(|email| (email.as_str().to_owned(), email.normalized()));
    let emails = match &change.emails {
        None => None,
        Some(list) => {
            let mut checked: Vec<(String, String)> = Vec::new();
            for email in list {
                let email = checked_email_of("emails", email)?;
                let normalized = email.normalized();
                if !checked.iter().any(|(_, seen)| *seen == normalized) {
                    checked.push((email.as_str().to_owned(), normalized));
                }
            }
            if checked.len() > MAX_FURTHER_EMAILS {
                return Err(StoreError::Invalid {
                    field: "emails",
                    problem: Problem::Other(format!("more than {MAX_FURTHER_EMAILS} further addresses")),
                });
            }
            Some(checked)
        }
    };
    let text = |field: &'static str, value: &Option<String>, max: usize| -> Result<(&'static str, Option<String>)> {
        Ok((
            field,
            value.as_deref().map(|v| checked_text(field, v, max)).transpose()?,
        ))
    };
    Ok(Checked {
        name,
        email,
        emails,
        texts: [
            text("phone", &change.phone, MAX_PHONE_CHARS)?,
            text("company", &change.organization, MAX_FIELD_CHARS)?,
            text("street", &change.street, MAX_FIELD_CHARS)?,
            text("zip", &change.zip, MAX_FIELD_CHARS)?,
            text("city", &change.city, MAX_FIELD_CHARS)?,
            text("country", &change.country, MAX_FIELD_CHARS)?,
        ],
    })
}

/// The columns a change sets; `None` leaves one as it is.
#[derive(AsChangeset, Default)]
#[diesel(table_name = customers)]
pub(super) struct CustomerColumns {
    pub(super) name: Option<String>,
    pub(super) name_normalized: Option<String>,
    pub(super) email: Option<String>,
    pub(super) email_normalized: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) organization: Option<String>,
    pub(super) street: Option<String>,
    pub(super) zip: Option<String>,
    pub(super) city: Option<String>,
    pub(super) country: Option<String>,
}

impl CustomerColumns {
    /// The column of a text field, by the API's name of the field (`company` is
    /// `organization`).
    pub(super) fn text(&mut self, field: &str) -> &mut Option<String> {
        match field {
            "phone" => &mut self.phone,
            "company" => &mut self.organization,
            "street" => &mut self.street,
            "zip" => &mut self.zip,
            "city" => &mut self.city,
            _ => &mut self.country,
        }
    }
}

impl Team<'_> {
    /// Changes a customer of the member's company (another company's is not found): the
    /// fields `change` gives, each checked first — nothing is written if one is wrong. The
    /// main address and the further ones must belong to no other customer of the company
    /// (`Conflict(Taken(Customer))`, naming the address). What changed goes into the
    /// customer's history, with the member and the time; a change that changes nothing
    /// writes nothing.
    pub fn update_customer(
        &self,
        member: Member,
        customer_id: CustomerId,
        change: &CustomerChange,
    ) -> Result<Customer> {
        let checked = checked(change)?;
        self.store.write(|conn| {
            let before = load_customer(conn, member.company_id, customer_id)?;
            let mut fields: Vec<(String, String, String)> = Vec::new();
            let mut columns = CustomerColumns::default();
            if let Some(name) = checked.name.filter(|name| *name != before.name) {
                fields.push(("name".into(), before.name.clone(), name.clone()));
                columns.name_normalized = Some(name.to_lowercase());
                columns.name = Some(name);
            }
            let main = match checked.email {
                Some((email, normalized)) if email != before.email => {
                    fields.push(("email".into(), before.email.clone(), email.clone()));
                    columns.email = Some(email.clone());
                    columns.email_normalized = Some(normalized.clone());
                    (email, normalized)
                }
                _ => (before.email.clone(), normalized(&before.email)),
            };
            let further = match checked.emails {
                Some(list) => list,
                None => before
                    .emails
                    .iter()
                    .map(|email| (email.clone(), normalized(email)))
                    .collect(),
            };
            // The main address is never a further one of its own customer too.
            let further: Vec<(String, String)> = further.into_iter().filter(|(_, n)| *n != main.1).collect();
            let listed = |list: &[String]| list.join(", ");
            let after: Vec<String> = further.iter().map(|(email, _)| email.clone()).collect();
            if after != before.emails {
                fields.push(("emails".into(), listed(&before.emails), listed(&after)));
            }
            let mut texts = checked.texts;
            let stored = [
                &before.phone,
                &before.organization,
                &before.street,
                &before.zip,
                &before.city,
                &before.country,
            ];
            for ((field, value), old) in texts.iter_mut().zip(stored) {
                let Some(new) = value.take().filter(|new| new != old) else {
                    continue;
                };
                fields.push(((*field).into(), old.clone(), new.clone()));
                *columns.text(field) = Some(new);
            }
            if fields.is_empty() {
                return Ok(before);
            }
            let addresses_changed = fields.iter().any(|(field, ..)| field == "email" || field == "emails");
            if addresses_changed {
                let mut all = vec![main.clone()];
                all.extend(further);
                taken_elsewhere(conn, member.company_id, customer_id, &all)?;
                diesel::delete(customer_emails::table.filter(customer_emails::customer_id.eq(customer_id)))
                    .execute(conn)?;
                for (email, normalized) in &all {
                    diesel::insert_into(customer_emails::table)
                        .values(NewCustomerEmail {
                            company_id: member.company_id,
                            customer_id,
                            email,
                            email_normalized: normalized,
                        })
                        .execute(conn)?;
                }
            }
            // Only the further addresses changed: no column of the customer's row does (and an
            // empty changeset is no statement).
            if fields.iter().any(|(field, ..)| field != "emails") {
                diesel::update(customers::table.find(customer_id))
                    .set(&columns)
                    .execute(conn)?;
            }
            record_change(
                conn,
                &self.store.actor,
                member.company_id,
                Some(member.employee_id),
                customer_id,
                &fields,
            )?;
            load_customer(conn, member.company_id, customer_id)
        })
    }

    /// A customer's history, newest first (another company's customer is not found).
    pub fn customer_history(&self, company_id: CompanyId, customer_id: CustomerId) -> Result<Vec<CustomerChangeEntry>> {
        self.store.read(|conn| {
            load_customer(conn, company_id, customer_id)?;
            type Row = (i64, Option<EmployeeId>, Option<String>, String, String);
            let rows: Vec<Row> = customer_changes::table
                .left_join(employees::table)
                .filter(customer_changes::customer_id.eq(customer_id))
                .order(customer_changes::id.desc())
                .select((
                    customer_changes::at,
                    customer_changes::employee_id,
                    employees::name.nullable(),
                    customer_changes::actor,
                    customer_changes::changes,
                ))
                .load(conn)?;
            rows.into_iter()
                .map(|(at, employee_id, name, actor, changes)| {
                    let fields: Vec<(String, String, String)> = serde_json::from_str(&changes)
                        .map_err(|_| StoreError::corrupt(format!("customer change {changes:?}")))?;
                    Ok(CustomerChangeEntry {
                        at: at.into(),
                        employee: employee_id.map(|id| EmployeeRef {
                            id,
                            name: name.clone().unwrap_or_default(),
                        }),
                        actor,
                        fields,
                    })
                })
                .collect()
        })
    }
}

/// A stored address, normalized (stored ones are valid; lowercased if one were not).
pub(super) fn normalized(email: &str) -> String {
    lead_domain::Email::parse(email).map_or_else(|_| email.to_lowercase(), |email| email.normalized())
}

/// An entry of a customer's history (`None` is NULL, so that SQLite takes many in one
/// statement): a change of `customer_id` by `employee` (`None`: the operator), its fields as
/// `[[field, before, after], …]` in their order.
#[derive(Insertable)]
#[diesel(table_name = customer_changes, treat_none_as_default_value = false)]
pub(super) struct NewChange<'a> {
    company_id: CompanyId,
    customer_id: CustomerId,
    employee_id: Option<EmployeeId>,
    actor: &'a str,
    at: i64,
    changes: String,
}

impl<'a> NewChange<'a> {
    pub(super) fn new(
        company_id: CompanyId,
        employee: Option<EmployeeId>,
        actor: &'a str,
        at: i64,
        customer_id: CustomerId,
        fields: &[(String, String, String)],
    ) -> NewChange<'a> {
        NewChange {
            company_id,
            customer_id,
            employee_id: employee,
            actor,
            at,
            changes: serde_json::to_string(fields).expect("strings serialise"),
        }
    }
}

/// Puts a change of `customer_id` by `employee` (`None`: the operator) into its history, now.
pub(super) fn record_change(
    conn: &mut DbConnection,
    actor: &str,
    company_id: CompanyId,
    employee: Option<EmployeeId>,
    customer_id: CustomerId,
    fields: &[(String, String, String)],
) -> Result<()> {
    let now = Timestamp::now().millis();
    diesel::insert_into(customer_changes::table)
        .values(NewChange::new(company_id, employee, actor, now, customer_id, fields))
        .execute(conn)?;
    Ok(())
}

/// Fails with a conflict naming the first of `addresses` another customer of the company has.
fn taken_elsewhere(
    conn: &mut DbConnection,
    company_id: CompanyId,
    customer_id: CustomerId,
    addresses: &[(String, String)],
) -> Result<()> {
    let normalized: Vec<&str> = addresses.iter().map(|(_, n)| n.as_str()).collect();
    let taken: Option<String> = customer_emails::table
        .filter(customer_emails::company_id.eq(company_id))
        .filter(customer_emails::customer_id.ne(customer_id))
        .filter(customer_emails::email_normalized.eq_any(&normalized))
        .select(customer_emails::email_normalized)
        .first(conn)
        .optional()?;
    match taken {
        Some(taken) => {
            let shown = addresses
                .iter()
                .find(|(_, n)| *n == taken)
                .map_or(taken.clone(), |(email, _)| email.clone());
            Err(StoreError::Conflict(
                Clash::Taken(Entity::Customer),
                format!("the address {shown:?} belongs to another customer of this company"),
            ))
        }
        None => Ok(()),
    }
}
