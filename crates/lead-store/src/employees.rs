//! Employees of a company: add, find, list, activate.

use diesel::prelude::*;
use lead_domain::Timestamp;

use crate::audit;
use crate::companies::ensure_company;
use crate::ids::{CompanyId, EmployeeId};
use crate::input::{checked_email, checked_name};
use crate::models::Employee;
use crate::rows::NewEmployee;
use crate::schema::employees;
use crate::{Result, Store, StoreError};

type EmployeeRow = (EmployeeId, CompanyId, String, String, i32, i64);

fn employee(row: EmployeeRow) -> Employee {
    Employee {
        id: row.0,
        company_id: row.1,
        name: row.2,
        email: row.3,
        active: row.4 == 1,
        created_at: row.5.into(),
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

impl Store {
    /// Adds an employee to a company.
    pub fn add_employee(&self, company_id: CompanyId, name: &str, email: &str) -> Result<EmployeeId> {
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
    pub fn find_employee(&self, employee_id: EmployeeId) -> Result<Employee> {
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
    pub fn list_employees(&self, company_id: CompanyId) -> Result<Vec<Employee>> {
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
    pub fn set_employee_active(&self, employee_id: EmployeeId, active: bool) -> Result<()> {
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
}
