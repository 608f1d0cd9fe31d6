//! What a new lead gets besides its row, decided with it in its transaction: an owner, by its
//! key's routing (one employee always, several in turn), and a customer file of its own where
//! its company wants every new sender to have one („Neue Absender automatisch als Kunden
//! anlegen“).

use std::collections::HashMap;

use diesel::prelude::*;
use lead_domain::{Contact, LeadType};

use crate::db::DbConnection;
use crate::ids::{CompanyId, CustomerId, EmployeeId, KeyId};
use crate::models::AutoCustomers;
use crate::schema::{api_keys, customer_emails, employees, key_routes};
use crate::team::customers::bulk::{create, NewFile, CHUNK};
use crate::{Result, StoreError};

/// Who a key's new leads go to: its active routed employees in id order, and how many leads it
/// routed before this batch (for the turn).
#[derive(Debug, Default)]
pub(crate) struct Route {
    employees: Vec<EmployeeId>,
    routed: i64,
}

impl Route {
    /// The route of `key_id`. A key that takes turns has its count locked until the batch
    /// commits (an `UPDATE` that changes nothing locks the row on PostgreSQL), so parallel
    /// writers take turns one after the other.
    pub(crate) fn of(conn: &mut DbConnection, key_id: KeyId) -> Result<Route> {
        let employees: Vec<EmployeeId> = key_routes::table
            .inner_join(employees::table)
            .filter(key_routes::api_key_id.eq(key_id))
            .filter(employees::active.eq(1))
            .select(key_routes::employee_id)
            .order(key_routes::employee_id)
            .load(conn)?;
        let routed = if employees.len() > 1 {
            diesel::update(api_keys::table.find(key_id))
                .set(api_keys::route_next.eq(api_keys::route_next))
                .returning(api_keys::route_next)
                .get_result(conn)?
        } else {
            0
        };
        Ok(Route { employees, routed })
    }

    /// The owner of the lead that is the key's `nth` of this batch (from 0).
    pub(crate) fn owner(&self, nth: i64) -> Option<EmployeeId> {
        let turns = i64::try_from(self.employees.len()).ok().filter(|&n| n > 0)?;
        let turn = usize::try_from((self.routed + nth).rem_euclid(turns)).ok()?;
        self.employees.get(turn).copied()
    }

    /// Whether the key takes turns (its count is saved after the batch).
    pub(crate) fn takes_turns(&self) -> bool {
        self.employees.len() > 1
    }
}

/// Adds `routed` to the count of leads a key took turns with (in the batch's transaction).
pub(crate) fn save_turns(conn: &mut DbConnection, key_id: KeyId, routed: i64) -> Result<()> {
    diesel::update(api_keys::table.find(key_id))
        .set(api_keys::route_next.eq(api_keys::route_next + routed))
        .execute(conn)?;
    Ok(())
}

/// Whether a lead of `lead_type` gets a file of its own where the company files `auto`.
pub(crate) fn files(auto: AutoCustomers, lead_type: LeadType) -> bool {
    match auto {
        AutoCustomers::Off => false,
        AutoCustomers::Orders => lead_type == LeadType::Order,
        AutoCustomers::All => true,
    }
}

/// A customer file the leads of a pass make for their sender.
pub(crate) struct SenderFile {
    pub(crate) company_id: CompanyId,
    /// The sender's address as sent, and normalized.
    pub(crate) email: String,
    pub(crate) normalized: String,
    /// The body of the first lead from it (what the file is prefilled from).
    pub(crate) payload: String,
    /// The leads of the pass from it, by position.
    pub(crate) positions: Vec<usize>,
}

/// Makes the files of `new` — a few statements per company, however many — unless another
/// writer (PostgreSQL) made one meanwhile, and sets each lead's customer. Leads of the sender
/// stored before (while the company had the setting off) stay where they are: filing them
/// here would search the company's unfiled leads with every batch; the file's „claim“ does.
pub(crate) fn make_files(
    conn: &mut DbConnection,
    new: &[SenderFile],
    customers: &mut [Option<CustomerId>],
) -> Result<()> {
    let mut companies: Vec<CompanyId> = new.iter().map(|file| file.company_id).collect();
    companies.sort_unstable();
    companies.dedup();
    for company_id in companies {
        let files: Vec<&SenderFile> = new.iter().filter(|file| file.company_id == company_id).collect();
        let addresses: Vec<&str> = files.iter().map(|file| file.normalized.as_str()).collect();
        let mut ids: HashMap<String, CustomerId> = HashMap::new();
        for chunk in addresses.chunks(CHUNK) {
            let found: Vec<(String, CustomerId)> = customer_emails::table
                .filter(customer_emails::company_id.eq(company_id))
                .filter(customer_emails::email_normalized.eq_any(chunk))
                .select((customer_emails::email_normalized, customer_emails::customer_id))
                .load(conn)?;
            ids.extend(found);
        }
        let to_make: Vec<NewFile> = files
            .iter()
            .filter(|file| !ids.contains_key(&file.normalized))
            .map(|file| {
                let contact = Contact::of(&serde_json::from_str(&file.payload).unwrap_or_default());
                NewFile {
                    name: match contact.name.is_empty() {
                        true => file.email.clone(),
                        false => contact.name,
                    },
                    email: (file.email.clone(), file.normalized.clone()),
                    texts: [
                        contact.phone,
                        contact.organization,
                        contact.street,
                        contact.zip,
                        contact.city,
                        contact.country,
                    ],
                    further: Vec::new(),
                }
            })
            .collect();
        // Another writer (PostgreSQL) that made the same file a moment ago: the leads are
        // tried again one by one, and find it.
        let made = create(conn, company_id, &to_make).map_err(|error| match error.is_unique_violation() {
            true => StoreError::ConcurrentDuplicate,
            false => error,
        })?;
        ids.extend(made);
        for file in files {
            for &position in &file.positions {
                customers[position] = ids.get(&file.normalized).copied();
            }
        }
    }
    Ok(())
}

/// The files of a pass, one per company and address.
#[derive(Default)]
pub(crate) struct Files {
    pub(crate) new: Vec<SenderFile>,
    index: HashMap<(CompanyId, String), usize>,
}

impl Files {
    /// Notes that the lead at `position` makes (or shares) a file for its sender.
    pub(crate) fn add(&mut self, company_id: CompanyId, email: &str, normalized: &str, payload: &str, position: usize) {
        let key = (company_id, normalized.to_owned());
        match self.index.get(&key) {
            Some(&at) => self.new[at].positions.push(position),
            None => {
                self.index.insert(key, self.new.len());
                self.new.push(SenderFile {
                    company_id,
                    email: email.to_owned(),
                    normalized: normalized.to_owned(),
                    payload: payload.to_owned(),
                    positions: vec![position],
                });
            }
        }
    }
}
