//! Companies (tenants): add, list, find, activate — and the demo company of a first start.

use diesel::prelude::*;
use lead_auth::ApiKey;
use lead_domain::Timestamp;

use crate::access::audit;
use crate::access::Access;
use crate::error::conflict_on_unique;
use crate::ids::{CompanyId, EmployeeId, KeyId};
use crate::input::checked_name;
use crate::models::Company;
use crate::rows::{NewEmployee, NewKey};
use crate::schema::{api_keys, companies, employees};
use crate::{Problem, Result, StoreError};

type CompanyRow = (CompanyId, String, i32, i64);

fn company(row: CompanyRow) -> Company {
    Company {
        id: row.0,
        name: row.1,
        active: row.2 == 1,
        created_at: row.3.into(),
    }
}

/// What the first start of an empty database created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSetup {
    /// The `Demo` company.
    pub company_id: CompanyId,
    /// Its one employee.
    pub employee_id: EmployeeId,
    /// Its one key.
    pub key_id: KeyId,
}

impl Access<'_> {
    /// Adds a company; its name must be unique and not all digits (digits select by id).
    pub fn add_company(&self, name: &str) -> Result<CompanyId> {
        let name = checked_name(name)?;
        if name.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StoreError::Invalid {
                field: "name",
                problem: Problem::Other("a company name must not be all digits (those select companies by id)".into()),
            });
        }
        self.store.write(|conn| {
            diesel::insert_into(companies::table)
                .values((
                    companies::name.eq(name),
                    companies::active.eq(1),
                    companies::created_at.eq(Timestamp::now().millis()),
                ))
                .returning(companies::id)
                .get_result(conn)
                .map_err(conflict_on_unique(crate::error::Entity::Company, || {
                    format!("a company named {name:?} already exists")
                }))
        })
    }

    /// All companies, by id.
    pub fn list_companies(&self) -> Result<Vec<Company>> {
        self.store.read(|conn| {
            let rows: Vec<CompanyRow> = companies::table
                .select((companies::id, companies::name, companies::active, companies::created_at))
                .order(companies::id)
                .load(conn)?;
            Ok(rows.into_iter().map(company).collect())
        })
    }

    /// The company with this id (all digits) or exactly this name.
    pub fn find_company(&self, id_or_name: &str) -> Result<Company> {
        let wanted = id_or_name.trim();
        self.store.read(|conn| {
            let query = companies::table
                .select((companies::id, companies::name, companies::active, companies::created_at))
                .into_boxed();
            let query = match wanted.parse::<CompanyId>() {
                Ok(id) if wanted.bytes().all(|b| b.is_ascii_digit()) => query.filter(companies::id.eq(id)),
                _ => query.filter(companies::name.eq(wanted)),
            };
            query.first::<CompanyRow>(conn).optional()?.map(company).ok_or_else(|| {
                StoreError::NotFound(
                    crate::error::Entity::Company,
                    format!("no company with id or name {wanted:?}"),
                )
            })
        })
    }

    /// Activates or deactivates a company; a deactivated company's keys stop working at once.
    pub fn set_company_active(&self, company_id: CompanyId, active: bool) -> Result<()> {
        self.store.write(|conn| {
            let updated = diesel::update(companies::table.find(company_id))
                .set(companies::active.eq(i32::from(active)))
                .execute(conn)?;
            if updated != 1 {
                return Err(StoreError::missing(crate::error::Entity::Company, company_id));
            }
            let action = if active {
                "company.activate"
            } else {
                "company.deactivate"
            };
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Company(company_id),
                action,
                &format!("company {company_id}"),
            )
        })
    }

    /// On an empty database only: creates the company `Demo` with one employee and `key`
    /// (stored by its hash, as every key). Returns `None`, changing nothing, when any company
    /// exists.
    pub fn create_demo_if_empty(&self, key: &ApiKey) -> Result<Option<DemoSetup>> {
        let (prefix, hash) = (key.display_prefix(), key.hash());
        self.store.write(|conn| {
            // Several instances starting at once on one PostgreSQL database: one at a time here.
            crate::db::dialect::serialize_with_other_instances(conn)?;
            let companies_now: i64 = companies::table.count().get_result(conn)?;
            if companies_now > 0 {
                return Ok(None);
            }
            let now = Timestamp::now().millis();
            let company_id = diesel::insert_into(companies::table)
                .values((
                    companies::name.eq("Demo"),
                    companies::active.eq(1),
                    companies::created_at.eq(now),
                ))
                .returning(companies::id)
                .get_result(conn)?;
            let employee_id = diesel::insert_into(employees::table)
                .values(NewEmployee {
                    company_id,
                    name: "Demo-Mitarbeiter",
                    email: "team@demo.example",
                    created_at: now,
                })
                .returning(employees::id)
                .get_result(conn)?;
            // The one who tries it out manages it too.
            diesel::update(employees::table.find(employee_id))
                .set(employees::role.eq(crate::Role::Admin.as_str()))
                .execute(conn)?;
            let key_id = diesel::insert_into(api_keys::table)
                .values(NewKey {
                    company_id,
                    prefix: &prefix,
                    key_hash: hash.as_str(),
                    label: "Demo",
                    created_at: now,
                })
                .returning(api_keys::id)
                .get_result(conn)?;
            let subject = format!("key {key_id} ({prefix}) of company {company_id} (first start)");
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Company(company_id),
                "key.issue",
                &subject,
            )?;
            Ok(Some(DemoSetup {
                company_id,
                employee_id,
                key_id,
            }))
        })
    }
}

/// Fails unless the company exists.
pub(crate) fn ensure_company(conn: &mut crate::db::DbConnection, company_id: CompanyId) -> Result<()> {
    let exists: i64 = companies::table
        .filter(companies::id.eq(company_id))
        .count()
        .get_result(conn)?;
    if exists == 1 {
        Ok(())
    } else {
        Err(StoreError::missing(crate::error::Entity::Company, company_id))
    }
}
