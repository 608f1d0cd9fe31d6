//! What the operator manages: companies, API keys, employees, customers.

use diesel::prelude::*;
use lead_domain::{Email, EmailError, Timestamp};

use crate::audit;
use crate::error::conflict_on_unique;
use crate::models::{Company, Employee, Id, KeyInfo, NewEmployee, NewKey};
use crate::schema::{api_keys, companies, employees};
use crate::{Problem, Result, Store, StoreError};

/// The longest company, employee or customer name, in characters.
const MAX_NAME_CHARS: usize = 200;
/// The longest key label, in characters.
const MAX_LABEL_CHARS: usize = 200;

/// A trimmed, non-blank, bounded name.
pub(crate) fn checked_name(name: &str) -> Result<&str> {
    let invalid = |problem| StoreError::Invalid { field: "name", problem };
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid(Problem::Blank));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(Problem::TooLong(MAX_NAME_CHARS)));
    }
    Ok(name)
}

/// A valid email address.
pub(crate) fn checked_email(email: &str) -> Result<Email> {
    Email::parse(email).map_err(|e| StoreError::Invalid {
        field: "email",
        problem: match e {
            EmailError::Empty => Problem::Blank,
            EmailError::TooLong => Problem::TooLong(Email::MAX_CHARS),
            EmailError::Malformed => Problem::NotAnEmail(email.trim().to_owned()),
        },
    })
}

type CompanyRow = (Id, String, i32, i64);

fn company(row: CompanyRow) -> Company {
    Company {
        id: row.0,
        name: row.1,
        active: row.2 == 1,
        created_at: row.3,
    }
}

type KeyRow = (
    Id,
    Id,
    String,
    String,
    i32,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

fn key_info(row: KeyRow) -> KeyInfo {
    KeyInfo {
        id: row.0,
        company_id: row.1,
        prefix: row.2,
        label: row.3,
        active: row.4 == 1,
        created_at: row.5,
        last_used_at: row.6,
        daily_cap: row.7,
        origins: crate::models::origins_from_column(row.8),
    }
}

const KEY_COLUMNS: (
    api_keys::id,
    api_keys::company_id,
    api_keys::prefix,
    api_keys::label,
    api_keys::active,
    api_keys::created_at,
    api_keys::last_used_at,
    api_keys::daily_cap,
    api_keys::origins,
) = (
    api_keys::id,
    api_keys::company_id,
    api_keys::prefix,
    api_keys::label,
    api_keys::active,
    api_keys::created_at,
    api_keys::last_used_at,
    api_keys::daily_cap,
    api_keys::origins,
);

type EmployeeRow = (Id, Id, String, String, i32, i64);

fn employee(row: EmployeeRow) -> Employee {
    Employee {
        id: row.0,
        company_id: row.1,
        name: row.2,
        email: row.3,
        active: row.4 == 1,
        created_at: row.5,
    }
}

const EMPLOYEE_COLUMNS: (
    employees::id,
    employees::company_id,
    employees::name,
    employees::email,
    employees::active,
    employees::created_at,
) = (
    employees::id,
    employees::company_id,
    employees::name,
    employees::email,
    employees::active,
    employees::created_at,
);

/// What the first start of an empty database created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSetup {
    /// The `Demo` company.
    pub company_id: Id,
    /// Its one employee.
    pub employee_id: Id,
    /// Its one key.
    pub key_id: Id,
}

impl Store {
    /// Adds a company; its name must be unique and not all digits (digits select by id).
    pub fn add_company(&self, name: &str) -> Result<Id> {
        let name = checked_name(name)?;
        if name.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StoreError::Invalid {
                field: "name",
                problem: Problem::Other("a company name must not be all digits (those select companies by id)".into()),
            });
        }
        self.write(|conn| {
            diesel::insert_into(companies::table)
                .values((
                    companies::name.eq(name),
                    companies::active.eq(1),
                    companies::created_at.eq(Timestamp::now().millis()),
                ))
                .returning(companies::id)
                .get_result(conn)
                .map_err(conflict_on_unique(|| {
                    format!("a company named {name:?} already exists")
                }))
        })
    }

    /// All companies, by id.
    pub fn list_companies(&self) -> Result<Vec<Company>> {
        self.read(|conn| {
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
        self.read(|conn| {
            let query = companies::table
                .select((companies::id, companies::name, companies::active, companies::created_at))
                .into_boxed();
            let query = match wanted.parse::<Id>() {
                Ok(id) if wanted.bytes().all(|b| b.is_ascii_digit()) => query.filter(companies::id.eq(id)),
                _ => query.filter(companies::name.eq(wanted)),
            };
            query
                .first::<CompanyRow>(conn)
                .optional()?
                .map(company)
                .ok_or_else(|| StoreError::NotFound(format!("no company with id or name {wanted:?}")))
        })
    }

    /// Activates or deactivates a company; a deactivated company's keys stop working at once.
    pub fn set_company_active(&self, company_id: Id, active: bool) -> Result<()> {
        self.write(|conn| {
            let updated = diesel::update(companies::table.find(company_id))
                .set(companies::active.eq(i32::from(active)))
                .execute(conn)?;
            if updated != 1 {
                return Err(StoreError::NotFound(format!("no company with id {company_id}")));
            }
            let action = if active {
                "company.activate"
            } else {
                "company.deactivate"
            };
            audit::record(conn, &self.actor, action, &format!("company {company_id}"))
        })
    }

    /// Registers a key by its hash and display prefix (the key itself is never stored).
    pub fn add_key(&self, company_id: Id, prefix: &str, key_hash: &str, label: &str) -> Result<Id> {
        let label = label.trim();
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(StoreError::Invalid {
                field: "label",
                problem: Problem::TooLong(MAX_LABEL_CHARS),
            });
        }
        self.write(|conn| {
            let id: Id = diesel::insert_into(api_keys::table)
                .values(NewKey {
                    company_id,
                    prefix,
                    key_hash,
                    label,
                    created_at: Timestamp::now().millis(),
                })
                .returning(api_keys::id)
                .get_result(conn)
                .map_err(conflict_on_unique(|| "this key is already registered".to_owned()))?;
            let action = if prefix.starts_with("imp_") {
                "key.import"
            } else {
                "key.issue"
            };
            audit::record(
                conn,
                &self.actor,
                action,
                &format!("key {id} ({prefix}) of company {company_id}"),
            )?;
            Ok(id)
        })
    }

    /// Keys, all or of one company, by id.
    pub fn list_keys(&self, company_id: Option<Id>) -> Result<Vec<KeyInfo>> {
        self.read(|conn| {
            let mut query = api_keys::table.select(KEY_COLUMNS).order(api_keys::id).into_boxed();
            if let Some(company_id) = company_id {
                query = query.filter(api_keys::company_id.eq(company_id));
            }
            Ok(query.load::<KeyRow>(conn)?.into_iter().map(key_info).collect())
        })
    }

    /// The key with this id (all digits) or whose display prefix starts with `selector`.
    /// An exact prefix match wins; several candidates are an error that names them.
    pub fn find_key(&self, selector: &str) -> Result<KeyInfo> {
        select_by_id_or_prefix(self.list_keys(None)?, selector, "key", |key| (key.id, &key.prefix))
    }

    /// Revokes a key: it stops working at once. Revoking a revoked key changes nothing.
    pub fn revoke_key(&self, key_id: Id) -> Result<()> {
        self.write(|conn| {
            let updated = diesel::update(api_keys::table.find(key_id))
                .set(api_keys::active.eq(0))
                .execute(conn)?;
            if updated != 1 {
                return Err(StoreError::NotFound(format!("no key with id {key_id}")));
            }
            let prefix: String = api_keys::table.find(key_id).select(api_keys::prefix).first(conn)?;
            audit::record(conn, &self.actor, "key.revoke", &format!("key {key_id} ({prefix})"))
        })
    }

    /// Sets a key's daily cap (`None`: no cap). Past it, the day's further leads (UTC) are
    /// stored but quarantined: they notify nobody and wait for the operator.
    pub fn set_daily_cap(&self, key_id: Id, cap: Option<i64>) -> Result<()> {
        if cap.is_some_and(|cap| cap < 0) {
            return Err(StoreError::Invalid {
                field: "cap",
                problem: Problem::Other("a daily cap is a number of leads, 0 or more".into()),
            });
        }
        self.write(|conn| {
            let updated = diesel::update(api_keys::table.find(key_id))
                .set(api_keys::daily_cap.eq(cap))
                .execute(conn)?;
            if updated != 1 {
                return Err(StoreError::NotFound(format!("no key with id {key_id}")));
            }
            let prefix: String = api_keys::table.find(key_id).select(api_keys::prefix).first(conn)?;
            let cap = cap.map_or("off".to_owned(), |cap| format!("{cap} leads a day"));
            audit::record(conn, &self.actor, "key.cap", &format!("key {key_id} ({prefix}): {cap}"))
        })
    }

    /// Sets the origins a key may be used from (normalised, like `https://www.example.de`);
    /// an empty list allows any origin again (and no form redirects).
    pub fn set_key_origins(&self, key_id: Id, origins: &[String]) -> Result<()> {
        let column = (!origins.is_empty()).then(|| origins.join(" "));
        self.write(|conn| {
            let updated = diesel::update(api_keys::table.find(key_id))
                .set(api_keys::origins.eq(&column))
                .execute(conn)?;
            if updated != 1 {
                return Err(StoreError::NotFound(format!("no key with id {key_id}")));
            }
            let prefix: String = api_keys::table.find(key_id).select(api_keys::prefix).first(conn)?;
            let shown = column.as_deref().unwrap_or("any");
            audit::record(
                conn,
                &self.actor,
                "key.origins",
                &format!("key {key_id} ({prefix}): {shown}"),
            )
        })
    }

    /// Adds an employee to a company.
    pub fn add_employee(&self, company_id: Id, name: &str, email: &str) -> Result<Id> {
        let name = checked_name(name)?;
        let email = checked_email(email)?;
        self.write(|conn| {
            ensure_company(conn, company_id)?;
            Ok(diesel::insert_into(employees::table)
                .values(NewEmployee {
                    company_id,
                    name,
                    email: email.as_str(),
                    created_at: Timestamp::now().millis(),
                })
                .returning(employees::id)
                .get_result(conn)?)
        })
    }

    /// One employee.
    pub fn find_employee(&self, employee_id: Id) -> Result<Employee> {
        self.read(|conn| {
            employees::table
                .find(employee_id)
                .select(EMPLOYEE_COLUMNS)
                .first::<EmployeeRow>(conn)
                .optional()?
                .map(employee)
                .ok_or_else(|| StoreError::NotFound(format!("no employee with id {employee_id}")))
        })
    }

    /// A company's employees, by id.
    pub fn list_employees(&self, company_id: Id) -> Result<Vec<Employee>> {
        self.read(|conn| {
            let rows: Vec<EmployeeRow> = employees::table
                .filter(employees::company_id.eq(company_id))
                .select(EMPLOYEE_COLUMNS)
                .order(employees::id)
                .load(conn)?;
            Ok(rows.into_iter().map(employee).collect())
        })
    }

    /// Activates or deactivates an employee; a deactivated one gets no further notifications.
    pub fn set_employee_active(&self, employee_id: Id, active: bool) -> Result<()> {
        self.write(|conn| {
            let updated = diesel::update(employees::table.find(employee_id))
                .set(employees::active.eq(i32::from(active)))
                .execute(conn)?;
            if updated != 1 {
                return Err(StoreError::NotFound(format!("no employee with id {employee_id}")));
            }
            let action = if active {
                "employee.activate"
            } else {
                "employee.deactivate"
            };
            audit::record(conn, &self.actor, action, &format!("employee {employee_id}"))
        })
    }

    /// On an empty database only: creates the company `Demo` with one employee and the key
    /// given by its hash and prefix. Returns `None`, changing nothing, when any company exists.
    pub fn create_demo_if_empty(&self, key_prefix: &str, key_hash: &str) -> Result<Option<DemoSetup>> {
        self.write(|conn| {
            // Several instances starting at once on one PostgreSQL database: one at a time here.
            crate::dialect::serialize_with_other_instances(conn)?;
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
            let key_id = diesel::insert_into(api_keys::table)
                .values(NewKey {
                    company_id,
                    prefix: key_prefix,
                    key_hash,
                    label: "Demo",
                    created_at: now,
                })
                .returning(api_keys::id)
                .get_result(conn)?;
            let subject = format!("key {key_id} ({key_prefix}) of company {company_id} (first start)");
            audit::record(conn, &self.actor, "key.issue", &subject)?;
            Ok(Some(DemoSetup {
                company_id,
                employee_id,
                key_id,
            }))
        })
    }
}

/// Picks the one item whose id is `selector` (all digits) or whose display prefix equals or
/// starts with it. An exact prefix wins; several candidates are a conflict that names them.
pub(crate) fn select_by_id_or_prefix<T>(
    items: Vec<T>,
    selector: &str,
    what: &'static str,
    id_and_prefix: impl Fn(&T) -> (Id, &str),
) -> Result<T> {
    let selector = selector.trim();
    if selector.is_empty() {
        return Err(StoreError::Invalid {
            field: what,
            problem: Problem::Other(format!("give a {what} id or prefix")),
        });
    }
    let mut candidates: Vec<T> = if selector.bytes().all(|b| b.is_ascii_digit()) {
        let id = selector.parse::<Id>().ok();
        items
            .into_iter()
            .filter(|item| Some(id_and_prefix(item).0) == id)
            .collect()
    } else if items.iter().any(|item| id_and_prefix(item).1 == selector) {
        items
            .into_iter()
            .filter(|item| id_and_prefix(item).1 == selector)
            .collect()
    } else {
        items
            .into_iter()
            .filter(|item| id_and_prefix(item).1.starts_with(selector))
            .collect()
    };
    match candidates.len() {
        0 => Err(StoreError::NotFound(format!(
            "no {what} with id or prefix {selector:?}"
        ))),
        1 => Ok(candidates.remove(0)),
        _ => {
            let ids: Vec<String> = candidates
                .iter()
                .map(|item| id_and_prefix(item).0.to_string())
                .collect();
            Err(StoreError::Conflict(format!(
                "the prefix {selector:?} is ambiguous: it matches {what}s {}; give the id",
                ids.join(", ")
            )))
        }
    }
}

pub(crate) fn ensure_company(conn: &mut crate::db::DbConnection, company_id: Id) -> Result<()> {
    let exists: i64 = companies::table
        .filter(companies::id.eq(company_id))
        .count()
        .get_result(conn)?;
    if exists == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("no company with id {company_id}")))
    }
}
