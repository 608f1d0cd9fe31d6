//! Where a company's new leads go beyond the inbox: to an owner by the key they came with
//! (one employee, or several in turn), and into a customer file of their own where the company
//! wants every new sender to have one. The writer applies both in the lead's transaction
//! (`intake/write/owners.rs`).

use std::collections::HashMap;

use diesel::prelude::*;

use super::audit;
use super::Access;
use crate::access::scope::Scope;
use crate::ids::{CompanyId, EmployeeId, KeyId};
use crate::models::{AutoCustomers, EmployeeRef};
use crate::schema::{api_keys, companies, employees, key_routes};
use crate::{Problem, Result, StoreError};

impl Access<'_> {
    /// Which new senders the company's leads give a customer file of their own.
    pub fn auto_customers(&self, company_id: CompanyId) -> Result<AutoCustomers> {
        self.store.read(|conn| {
            let word: String = companies::table
                .find(company_id)
                .select(companies::auto_customers)
                .first(conn)
                .optional()?
                .ok_or_else(|| StoreError::missing(crate::error::Entity::Company, company_id))?;
            word.parse()
                .map_err(|_| StoreError::corrupt(format!("auto_customers {word:?}")))
        })
    }

    /// Sets which new senders the company's leads give a customer file of their own (from
    /// the next lead on); in the audit log.
    pub fn set_auto_customers(&self, company_id: CompanyId, auto: AutoCustomers) -> Result<()> {
        self.store.write(|conn| {
            let updated = diesel::update(companies::table.find(company_id))
                .set(companies::auto_customers.eq(auto.as_str()))
                .execute(conn)?;
            if updated != 1 {
                return Err(StoreError::missing(crate::error::Entity::Company, company_id));
            }
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Company(company_id),
                "company.auto_customers",
                &format!("company {company_id}: {auto}"),
            )
        })
    }

    /// Who the new leads of each of the company's keys go to (keys without a route are not
    /// in it), in employee id order.
    pub fn key_routes(&self, company_id: CompanyId) -> Result<HashMap<KeyId, Vec<EmployeeRef>>> {
        self.store.read(|conn| {
            let rows: Vec<(KeyId, EmployeeId, String)> = key_routes::table
                .inner_join(api_keys::table)
                .inner_join(employees::table)
                .filter(api_keys::company_id.eq(company_id))
                .select((key_routes::api_key_id, key_routes::employee_id, employees::name))
                .order((key_routes::api_key_id, key_routes::employee_id))
                .load(conn)?;
            let mut routes: HashMap<KeyId, Vec<EmployeeRef>> = HashMap::new();
            for (key, id, name) in rows {
                routes.entry(key).or_default().push(EmployeeRef { id, name });
            }
            Ok(routes)
        })
    }

    /// Routes the key's new leads to `to`: one employee owns every one, several take turns,
    /// none (empty) leaves them without an owner. Each must be an active employee of the key's
    /// company; a key beyond `scope` is not found. In the audit log.
    pub fn set_key_route(&self, scope: Scope, key_id: KeyId, to: &[EmployeeId]) -> Result<()> {
        let mut to = to.to_vec();
        to.sort_unstable();
        to.dedup();
        self.change_key(scope, key_id, "key.route", |conn| {
            let company: CompanyId = api_keys::table.find(key_id).select(api_keys::company_id).first(conn)?;
            let active: i64 = employees::table
                .filter(employees::id.eq_any(&to))
                .filter(employees::company_id.eq(company))
                .filter(employees::active.eq(1))
                .count()
                .get_result(conn)?;
            if active != to.len() as i64 {
                return Err(StoreError::Invalid {
                    field: "employees",
                    problem: Problem::Other("each must be an active employee of the key's company".into()),
                });
            }
            diesel::delete(key_routes::table.filter(key_routes::api_key_id.eq(key_id))).execute(conn)?;
            for employee in &to {
                diesel::insert_into(key_routes::table)
                    .values((key_routes::api_key_id.eq(key_id), key_routes::employee_id.eq(employee)))
                    .execute(conn)?;
            }
            let listed: Vec<String> = to.iter().map(ToString::to_string).collect();
            Ok(match to.len() {
                0 => ": new leads have no owner".to_owned(),
                1 => format!(": new leads go to employee {}", listed[0]),
                _ => format!(": new leads go in turn to employees {}", listed.join(", ")),
            })
        })
    }
}
