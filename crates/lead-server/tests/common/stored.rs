//! What the intake tests share: the operator's view of what was stored.

use serde_json::Value;

use lead_testkit::{cli, TestApp};

/// The operator's `--json` list for `args` (asserting success and one line).
pub fn json_list(app: &TestApp, args: &[&str]) -> Vec<Value> {
    super::operator::json_lines(&cli(&app.db.url, args))
        .as_array()
        .unwrap()
        .clone()
}

/// The order with `id` as `orders list --json` shows it.
pub fn listed_order(app: &TestApp, id: i64) -> Value {
    json_list(app, &["orders", "list", "--company", "Acme", "--json"])
        .into_iter()
        .find(|order| order["id"] == id)
        .unwrap_or_else(|| panic!("order {id} is not in the inbox"))
}
