//! Fixtures made through the product's own operations, never hand-written SQL.

use lead_auth::{ApiKey, EmployeeToken};
use lead_store::{CompanyId, EmployeeId, KeyId, Store};

/// A company made through the product's own operations, with a working key.
#[derive(Debug, Clone)]
pub struct Company {
    /// Its id.
    pub id: CompanyId,
    /// Its key, in full.
    pub key: String,
    /// The key's id.
    pub key_id: KeyId,
    /// Its active employees.
    pub employees: Vec<EmployeeId>,
}

impl Company {
    /// Its `n`-th employee acting as a member of the team, for the store's operations that
    /// take one (no real token behind it).
    pub fn member(&self, n: usize) -> lead_store::Member {
        lead_store::Member {
            employee_id: self.employees[n],
            company_id: self.id,
            token_id: lead_store::TokenId::new(0),
            password_only: false,
        }
    }
}

/// Creates a company with `employees` active employees and one key.
pub fn add_company(store: &Store, name: &str, employees: usize) -> Company {
    let id = store.access().add_company(name).unwrap();
    let key = ApiKey::generate().unwrap();
    let key_id = store.access().add_key(id, &key, "test").unwrap();
    let employees = (0..employees)
        .map(|i| {
            store
                .access()
                .add_employee(id, &format!("Mitarbeiter {i}"), &format!("m{i}@company{id}.example"))
                .unwrap()
        })
        .collect();
    Company {
        id,
        key: key.expose().to_owned(),
        key_id,
        employees,
    }
}

/// Issues a team-API token for an employee through the product's own operations.
pub fn token_for(store: &Store, employee_id: EmployeeId) -> String {
    let token = EmployeeToken::generate().unwrap();
    store.access().add_employee_token(employee_id, &token).unwrap();
    token.expose().to_owned()
}
