//! Employees of a company: add, find, list, activate.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::access::audit;
use crate::access::companies::ensure_company;
use crate::access::Access;
use crate::ids::{CompanyId, EmployeeId};
use crate::input::{checked_email, checked_name};
use crate::models::{Employee, Role};
use crate::rows::NewEmployee;
use crate::schema::employees;
use crate::{Result, Scope, StoreError};

/// Whether `employee_id` gets an e-mail, and push messages, per new lead.
fn notify_of(conn: &mut crate::db::DbConnection, employee_id: EmployeeId) -> Result<(bool, bool)> {
    let (email, push): (i32, i32) = employees::table
        .find(employee_id)
        .select((employees::notify_email, employees::notify_push))
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::missing(crate::error::Entity::Employee, employee_id))?;
    Ok((email == 1, push == 1))
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = employees)]
struct EmployeeRow {
    id: EmployeeId,
    company_id: CompanyId,
    name: String,
    email: String,
    active: i32,
    created_at: i64,
    role: String,
}

impl From<EmployeeRow> for Employee {
    fn from(row: EmployeeRow) -> Self {
        Employee {
            id: row.id,
            company_id: row.company_id,
            name: row.name,
            email: row.email,
            active: row.active == 1,
            created_at: row.created_at.into(),
            // Anything but `admin` may do no more than a member.
            role: row.role.parse().unwrap_or(Role::Member),
        }
    }
}

impl Access<'_> {
    /// Adds an employee to a company.
    pub fn add_employee(&self, company_id: CompanyId, name: &str, email: &str) -> Result<EmployeeId> {
        let name = checked_name(name)?;
        let email = checked_email(email)?;
        self.store.write(|conn| {
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
    pub fn find_employee(&self, employee_id: EmployeeId) -> Result<Employee> {
        self.store.read(|conn| {
            employees::table
                .find(employee_id)
                .select(EmployeeRow::as_select())
                .first::<EmployeeRow>(conn)
                .optional()?
                .map(Employee::from)
                .ok_or_else(|| StoreError::missing(crate::error::Entity::Employee, employee_id))
        })
    }

    /// A company's employees, by id.
    pub fn list_employees(&self, company_id: CompanyId) -> Result<Vec<Employee>> {
        self.store.read(|conn| {
            let rows: Vec<EmployeeRow> = employees::table
                .filter(employees::company_id.eq(company_id))
                .select(EmployeeRow::as_select())
                .order(employees::id)
                .load(conn)?;
            Ok(rows.into_iter().map(Employee::from).collect())
        })
    }

    /// Whether an employee gets an e-mail (when SMTP is configured) and push messages (when
    /// push is) per new order and ticket; `None` leaves that one as it is.
    pub fn set_employee_notify(&self, employee_id: EmployeeId, email: Option<bool>, push: Option<bool>) -> Result<()> {
        self.store.write(|conn| {
            let (was_email, was_push) = notify_of(conn, employee_id)?;
            let email = email.unwrap_or(was_email);
            let push = push.unwrap_or(was_push);
            diesel::update(employees::table.find(employee_id))
                .set((
                    employees::notify_email.eq(i32::from(email)),
                    employees::notify_push.eq(i32::from(push)),
                ))
                .execute(conn)?;
            let state = |on: bool| if on { "on" } else { "off" };
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Employee(employee_id),
                "employee.notify",
                &format!("employee {employee_id}: e-mail {}, push {}", state(email), state(push)),
            )
        })
    }

    /// Whether an employee gets an e-mail, and push messages, per new order and ticket.
    pub fn employee_notify(&self, employee_id: EmployeeId) -> Result<(bool, bool)> {
        self.store.read(|conn| notify_of(conn, employee_id))
    }

    /// Makes an employee an admin of their company, or a member again.
    pub fn set_employee_role(&self, scope: Scope, employee_id: EmployeeId, role: Role) -> Result<()> {
        self.store.write(|conn| {
            within(conn, scope, employee_id)?;
            diesel::update(employees::table.find(employee_id))
                .set(employees::role.eq(role.as_str()))
                .execute(conn)?;
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Employee(employee_id),
                "employee.role",
                &format!("employee {employee_id}: {}", role.as_str()),
            )
        })
    }

    /// Activates or deactivates an employee; a deactivated one gets no further notifications.
    pub fn set_employee_active(&self, scope: Scope, employee_id: EmployeeId, active: bool) -> Result<()> {
        self.store.write(|conn| {
            within(conn, scope, employee_id)?;
            diesel::update(employees::table.find(employee_id))
                .set(employees::active.eq(i32::from(active)))
                .execute(conn)?;
            let action = if active {
                "employee.activate"
            } else {
                "employee.deactivate"
            };
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Employee(employee_id),
                action,
                &format!("employee {employee_id}"),
            )
        })
    }
}

/// Fails with "not found" unless the employee exists within `scope` (another company's is
/// answered like a missing one).
pub(crate) fn within(conn: &mut crate::db::DbConnection, scope: Scope, employee_id: EmployeeId) -> Result<()> {
    let company: Option<CompanyId> = employees::table
        .find(employee_id)
        .select(employees::company_id)
        .first(conn)
        .optional()?;
    match company {
        Some(company) if scope.reaches(company) => Ok(()),
        _ => Err(StoreError::missing(crate::error::Entity::Employee, employee_id)),
    }
}
