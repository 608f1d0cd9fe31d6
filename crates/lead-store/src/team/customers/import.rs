//! Customers brought in from a list the company has (a shop's export, a spreadsheet): each
//! line's customer is made, or — found by any of its addresses — completed, never doubled.
//! A dry run plans exactly what the import would do, and writes nothing.

use std::collections::HashMap;

use diesel::prelude::*;
use lead_domain::Timestamp;

use super::bulk::{create, file_unfiled, insert_addresses, placeholders, NewFile, CHUNK};
use super::edit::{checked, normalized, NewChange, MAX_FURTHER_EMAILS};
use super::{bare, CustomerChange, CustomerRow, CUSTOMER_COLUMNS};
use crate::access::audit;
use crate::access::companies::ensure_company;
use crate::db::dialect::each_backend;
use crate::db::DbConnection;
use crate::error::{Clash, Entity};
use crate::ids::{CompanyId, CustomerId, EmployeeId};
use crate::models::{Claimed, Customer};
use crate::rows::NewCustomerEmail;
use crate::schema::{customer_changes, customer_emails, customers};
use crate::team::Team;
use crate::{Problem, Result, StoreError};

/// One line of a list to import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportLine {
    /// Where it is in the file (the header is line 1), for the report.
    pub line: u64,
    /// What it gives: `email`, the address the customer is found by (required); `name` (a new
    /// customer without one is named by its address); `emails`, further addresses, added to
    /// those the customer has; and the texts. A field that is `None` or empty changes nothing:
    /// an import completes a file, it never empties one.
    pub fields: CustomerChange,
}

/// Why a line was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportSkip {
    /// It gives no address.
    NoEmail,
    /// A field is not what it must be: the address no address, a text too long.
    Invalid {
        /// The field, by the API's name.
        field: &'static str,
        /// What is wrong with it.
        problem: Problem,
    },
    /// One of its addresses is on an earlier line already.
    Repeated {
        /// The address.
        email: String,
        /// The earlier line.
        line: u64,
    },
    /// One of its further addresses is another customer's than the one its address finds.
    Taken {
        /// The address.
        email: String,
        /// The customer who has it.
        customer: CustomerId,
    },
    /// The customer would have more than [`MAX_FURTHER_EMAILS`] further addresses.
    TooManyAddresses,
}

impl std::fmt::Display for ImportSkip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportSkip::NoEmail => f.write_str("no email address"),
            ImportSkip::Invalid { field, problem } => write!(f, "{field}: {problem}"),
            ImportSkip::Repeated { email, line } => write!(f, "the address {email:?} is on line {line} already"),
            ImportSkip::Taken { email, customer } => write!(f, "the address {email:?} belongs to customer {customer}"),
            ImportSkip::TooManyAddresses => write!(f, "more than {MAX_FURTHER_EMAILS} further addresses"),
        }
    }
}

/// What an import did, or a dry run would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Customers made.
    pub created: usize,
    /// Customers completed or changed.
    pub updated: usize,
    /// Lines whose customer has everything they give already.
    pub unchanged: usize,
    /// The lines not imported, in order, each with why.
    pub skipped: Vec<(u64, ImportSkip)>,
    /// The company's unfiled leads now filed under the customers made or completed; `None`
    /// in a dry run.
    pub filed: Option<Claimed>,
}

/// Who has an address: a stored customer, or the customer an earlier line makes.
#[derive(Clone, Copy)]
enum Owner {
    Stored(CustomerId),
    Line(u64),
}

/// A stored customer to complete: its fields after (name, and the texts in the order of
/// [`TEXT_COLUMNS`]), what changed, and the addresses added.
struct Update {
    id: CustomerId,
    name: String,
    texts: [String; 6],
    fields: Vec<(String, String, String)>,
    added: Vec<(String, String)>,
}

/// The text columns, in the order of a checked change's texts.
const TEXT_COLUMNS: [&str; 6] = ["phone", "organization", "street", "zip", "city", "country"];

#[derive(Default)]
struct Plan {
    creates: Vec<NewFile>,
    updates: Vec<Update>,
    unchanged: usize,
    skipped: Vec<(u64, ImportSkip)>,
}

impl Team<'_> {
    /// Imports `lines` into the company's customers, in one transaction: a line whose address
    /// (main or further, case-insensitively) is a customer's completes that customer — each
    /// field it gives replaces the stored one, its further addresses are added, the change is
    /// in the customer's history as `employee`'s (`None`: the operator's) — and any other
    /// line makes a customer. A line is skipped, with why, when its address is missing or
    /// invalid, a text too long, an address on an earlier line already, or a further address
    /// another customer's. The company's unfiled leads from the addresses are filed, and the
    /// import is in the audit log. With `dry_run`, reports the same and writes nothing.
    pub fn import_customers(
        &self,
        company_id: CompanyId,
        employee: Option<EmployeeId>,
        lines: &[ImportLine],
        dry_run: bool,
    ) -> Result<ImportReport> {
        let report = |plan: &Plan| ImportReport {
            created: plan.creates.len(),
            updated: plan.updates.len(),
            unchanged: plan.unchanged,
            skipped: plan.skipped.clone(),
            filed: None,
        };
        if dry_run {
            return self.store.read(|conn| {
                ensure_company(conn, company_id)?;
                Ok(report(&plan(conn, company_id, lines)?))
            });
        }
        self.store.write(|conn| {
            ensure_company(conn, company_id)?;
            let plan = plan(conn, company_id, lines)?;
            let mut done = report(&plan);
            // A lead that made a customer of an address of the list meanwhile (the company files
            // new senders automatically): nothing is imported; again, the list finds it.
            let meanwhile = |error: StoreError| match error.is_unique_violation() {
                true => StoreError::Conflict(
                    Clash::Taken(Entity::Customer),
                    "a customer with an address of the list was added meanwhile; import the list again".into(),
                ),
                false => error,
            };
            create(conn, company_id, &plan.creates).map_err(meanwhile)?;
            update(conn, company_id, &plan.updates).map_err(meanwhile)?;
            let now = Timestamp::now().millis();
            let changes: Vec<_> = plan
                .updates
                .iter()
                .map(|update| NewChange::new(company_id, employee, &self.store.actor, now, update.id, &update.fields))
                .collect();
            for chunk in changes.chunks(CHUNK) {
                let insert = diesel::insert_into(customer_changes::table).values(chunk);
                each_backend!(&mut *conn, c => insert.execute(c))?;
            }
            done.filed = Some(file_unfiled(conn, company_id)?);
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Company(company_id),
                "customer.import",
                &format!(
                    "{} customers created, {} updated, {} lines skipped in company {company_id}",
                    done.created,
                    done.updated,
                    done.skipped.len()
                ),
            )?;
            Ok(done)
        })
    }
}

/// What importing `lines` takes, against the company's customers as stored now.
fn plan(conn: &mut DbConnection, company_id: CompanyId, lines: &[ImportLine]) -> Result<Plan> {
    let (customers, mut owners) = known(conn, company_id)?;
    let mut touched: HashMap<CustomerId, u64> = HashMap::new();
    let mut plan = Plan::default();
    for line in lines {
        match step(line, &customers, &mut owners, &mut touched) {
            Ok(Some(Step::Create(create))) => plan.creates.push(create),
            Ok(Some(Step::Update(update))) => plan.updates.push(update),
            Ok(None) => plan.unchanged += 1,
            Err(skip) => plan.skipped.push((line.line, skip)),
        }
    }
    Ok(plan)
}

enum Step {
    Create(NewFile),
    Update(Update),
}

/// What one line takes (`None`: nothing), and the addresses it claims noted in `owners`.
fn step(
    line: &ImportLine,
    customers: &HashMap<CustomerId, Customer>,
    owners: &mut HashMap<String, Owner>,
    touched: &mut HashMap<CustomerId, u64>,
) -> Result<Option<Step>, ImportSkip> {
    let given = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
    let mut change = CustomerChange {
        name: given(&line.fields.name),
        email: Some(given(&line.fields.email).ok_or(ImportSkip::NoEmail)?),
        emails: line.fields.emails.clone(),
        phone: given(&line.fields.phone),
        organization: given(&line.fields.organization),
        street: given(&line.fields.street),
        zip: given(&line.fields.zip),
        city: given(&line.fields.city),
        country: given(&line.fields.country),
    };
    if let Some(emails) = &mut change.emails {
        emails.retain(|email| !email.trim().is_empty());
    }
    let checked = checked(&change).map_err(|error| match error {
        StoreError::Invalid { field, problem } => ImportSkip::Invalid { field, problem },
        other => ImportSkip::Invalid {
            field: "email",
            problem: Problem::Other(other.to_string()),
        },
    })?;
    let main = checked.email.expect("the address is given");
    let further: Vec<(String, String)> = checked
        .emails
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, normalized)| *normalized != main.1)
        .collect();
    let target = match owners.get(&main.1) {
        Some(Owner::Line(earlier)) => {
            return Err(ImportSkip::Repeated {
                email: main.0,
                line: *earlier,
            })
        }
        Some(Owner::Stored(id)) => Some(*id),
        None => None,
    };
    if let Some(id) = target {
        if let Some(earlier) = touched.get(&id) {
            return Err(ImportSkip::Repeated {
                email: main.0,
                line: *earlier,
            });
        }
    }
    // The further addresses that are new to the target.
    let mut added = Vec::new();
    for (email, normalized) in further {
        match owners.get(&normalized) {
            Some(Owner::Line(earlier)) => return Err(ImportSkip::Repeated { email, line: *earlier }),
            Some(Owner::Stored(id)) if Some(*id) == target => {}
            Some(Owner::Stored(id)) => return Err(ImportSkip::Taken { email, customer: *id }),
            None => added.push((email, normalized)),
        }
    }
    let texts = checked
        .texts
        .map(|(field, value)| (field, value.filter(|v| !v.is_empty())));
    let Some(id) = target else {
        owners.insert(main.1.clone(), Owner::Line(line.line));
        for (_, normalized) in &added {
            owners.insert(normalized.clone(), Owner::Line(line.line));
        }
        return Ok(Some(Step::Create(NewFile {
            name: checked.name.unwrap_or_else(|| main.0.clone()),
            email: main,
            texts: texts.map(|(_, value)| value.unwrap_or_default()),
            further: added,
        })));
    };
    let before = &customers[&id];
    if before.emails.len() + added.len() > MAX_FURTHER_EMAILS {
        return Err(ImportSkip::TooManyAddresses);
    }
    let mut fields: Vec<(String, String, String)> = Vec::new();
    let mut name = before.name.clone();
    if let Some(new) = checked.name.filter(|new| *new != before.name) {
        fields.push(("name".into(), before.name.clone(), new.clone()));
        name = new;
    }
    let mut after = [
        before.phone.clone(),
        before.organization.clone(),
        before.street.clone(),
        before.zip.clone(),
        before.city.clone(),
        before.country.clone(),
    ];
    for ((field, value), old) in texts.into_iter().zip(&mut after) {
        if let Some(new) = value.filter(|new| new != old) {
            fields.push((field.into(), std::mem::replace(old, new.clone()), new));
        }
    }
    if !added.is_empty() {
        let mut after = before.emails.clone();
        after.extend(added.iter().map(|(email, _)| email.clone()));
        fields.push(("emails".into(), before.emails.join(", "), after.join(", ")));
    }
    touched.insert(id, line.line);
    if fields.is_empty() {
        return Ok(None);
    }
    for (_, normalized) in &added {
        owners.insert(normalized.clone(), Owner::Stored(id));
    }
    Ok(Some(Step::Update(Update {
        id,
        name,
        texts: after,
        fields,
        added,
    })))
}

/// The company's customers by id, and who has each address (two queries, however many).
#[allow(clippy::type_complexity)]
fn known(
    conn: &mut DbConnection,
    company_id: CompanyId,
) -> Result<(HashMap<CustomerId, Customer>, HashMap<String, Owner>)> {
    // Every address with its customer, in one statement: one consistent view, also while
    // leads make customers (a dry run reads outside a transaction), and no parameter per
    // customer.
    let rows: Vec<(CustomerRow, String, String)> = customer_emails::table
        .inner_join(customers::table.on(customers::id.eq(customer_emails::customer_id)))
        .filter(customer_emails::company_id.eq(company_id))
        .select((
            CUSTOMER_COLUMNS,
            customer_emails::email,
            customer_emails::email_normalized,
        ))
        .order(customer_emails::id)
        .load(conn)?;
    let mut customers: HashMap<CustomerId, Customer> = HashMap::new();
    let mut owners = HashMap::with_capacity(rows.len());
    for (row, email, normalized_email) in rows {
        let id = row.0;
        let customer = customers.entry(id).or_insert_with(|| bare(row));
        if normalized_email != normalized(&customer.email) {
            customer.emails.push(email);
        }
        owners.insert(normalized_email, Owner::Stored(id));
    }
    Ok((customers, owners))
}

/// Writes the customers of `updates` as they are after, [`CHUNK`] at a time — one statement
/// for many customers, each row's values from a `VALUES` list (`UPDATE … FROM`, which both
/// backends know) — and adds their addresses.
fn update(conn: &mut DbConnection, company_id: CompanyId, updates: &[Update]) -> Result<()> {
    use diesel::sql_types::{BigInt, Text};
    for chunk in updates.chunks(CHUNK) {
        let columns = ["name", "name_normalized"].into_iter().chain(TEXT_COLUMNS);
        let set: Vec<String> = columns
            .enumerate()
            .map(|(i, column)| format!("{column} = v.column{}", i + 2))
            .collect();
        // Each row: the id, then a value per column.
        let values = placeholders(conn, chunk.len(), 1 + 2 + TEXT_COLUMNS.len());
        let text = format!(
            "UPDATE customers SET {} FROM (VALUES {values}) AS v WHERE customers.id = v.column1",
            set.join(", ")
        );
        each_backend!(&mut *conn, c => {
            let mut query = diesel::sql_query(&text).into_boxed();
            for update in chunk {
                query = query
                    .bind::<BigInt, _>(update.id.get())
                    .bind::<Text, _>(&update.name)
                    .bind::<Text, _>(update.name.to_lowercase());
                for value in &update.texts {
                    query = query.bind::<Text, _>(value);
                }
            }
            query.execute(c)
        })?;
    }
    let added: Vec<NewCustomerEmail> = updates
        .iter()
        .flat_map(|update| {
            update.added.iter().map(|(email, normalized)| NewCustomerEmail {
                company_id,
                customer_id: update.id,
                email,
                email_normalized: normalized,
            })
        })
        .collect();
    insert_addresses(conn, &added)
}
