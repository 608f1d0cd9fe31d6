//! A person's data export (DSGVO Art. 15) as the one JSON document it is handed out as: the
//! leads in the team API's shape, with everything else the store found.

use lead_store::PersonData;
use serde_json::{json, Value};

use crate::Presented;

/// The document of `data`, made now (`exported_at`).
pub fn document(data: PersonData) -> Value {
    let customers: Vec<Value> = data
        .customers
        .iter()
        .map(|c| json!({"id": c.id, "name": c.name, "email": c.email, "created_at": c.created_at.to_string()}))
        .collect();
    let orders: Vec<_> = data.orders.into_iter().map(|order| order.view(true)).collect();
    let tickets: Vec<_> = data.tickets.into_iter().map(|ticket| ticket.view(true)).collect();
    let mut document = json!({
        "email": data.email,
        "company": {"id": data.company_id, "name": data.company_name},
        "exported_at": lead_domain::Timestamp::now().to_string(),
        "customers": customers,
        "orders": orders,
        "tickets": tickets,
    });
    if let (Some(document), Ok(Value::Object(rows))) = (document.as_object_mut(), serde_json::to_value(&data.rows)) {
        document.extend(rows);
    }
    document
}
