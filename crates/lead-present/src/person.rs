//! A person's data export (DSGVO Art. 15) as the one JSON document it is handed out as: the
//! leads in the team API's shape, with everything else the store found.

use lead_store::{CompanyId, PersonData, PersonRows};
use serde::Serialize;
use serde_json::Value;

use crate::views::{CustomerView, OrderView, TicketView};
use crate::Presented;

/// The document: who, which company, when, and everything found — the rows the store read
/// (`notes`, `notifications`, `deliveries`, `submissions`, `login_failures`, `mentioned_in`)
/// beside the leads.
#[derive(Serialize)]
struct Document {
    email: String,
    company: Company,
    exported_at: String,
    customers: Vec<CustomerView>,
    orders: Vec<OrderView>,
    tickets: Vec<TicketView>,
    #[serde(flatten)]
    rows: PersonRows,
}

#[derive(Serialize)]
struct Company {
    id: CompanyId,
    name: String,
}

/// The document of `data`, made now (`exported_at`).
pub fn document(data: PersonData) -> Value {
    let document = Document {
        email: data.email,
        company: Company {
            id: data.company_id,
            name: data.company_name,
        },
        exported_at: lead_domain::Timestamp::now().to_string(),
        customers: data.customers.into_iter().map(CustomerView::from).collect(),
        orders: data.orders.into_iter().map(|order| order.view(true)).collect(),
        tickets: data.tickets.into_iter().map(|ticket| ticket.view(true)).collect(),
        rows: data.rows,
    };
    // Strings, numbers and lists of them, with string keys: nothing here can fail to
    // serialise, and nothing of it is dropped.
    serde_json::to_value(document).expect("a person's data serialises")
}
