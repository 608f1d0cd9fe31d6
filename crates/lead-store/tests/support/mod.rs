//! What lead-store's tests share.

#![allow(dead_code)] // each test file uses its own part

use lead_auth::ApiKey;
use lead_domain::LeadBody;
use lead_store::{Recorded, Store, SubmitOptions, Tenant};

/// A company with one employee and a key, made through the store's own operations.
pub fn tenant(store: &Store, name: &str) -> (Tenant, ApiKey) {
    let company_id = store.access().add_company(name).unwrap();
    let key = ApiKey::generate().unwrap();
    let key_id = store.access().add_key(company_id, &key, "").unwrap();
    store
        .access()
        .add_employee(company_id, "Erika", "erika@example.de")
        .unwrap();
    (Tenant { company_id, key_id }, key)
}

/// An order.
pub fn order() -> LeadBody {
    LeadBody::parse(r#"{"type":"order","email":"a@b.de","total":10}"#.into()).unwrap()
}

/// An order from `email` (another body for each address).
pub fn order_from(email: &str) -> LeadBody {
    LeadBody::parse(format!(r#"{{"type":"order","email":"{email}","total":1}}"#)).unwrap()
}

/// Submits `body` and waits for its commit.
pub fn submit_body(store: &Store, tenant: Tenant, body: &str, options: SubmitOptions) -> Recorded {
    store
        .intake()
        .submit_lead(tenant, LeadBody::parse(body.to_owned()).unwrap(), options)
        .unwrap()
        .wait()
        .unwrap()
}
