//! What the intake tests share: the operator's view of what was stored.

use serde_json::Value;

use lead_testkit::{cli, Response, TestApp};

/// The operator's `--json` list for `args` (asserting success).
pub fn json_list(app: &TestApp, args: &[&str]) -> Vec<Value> {
    let output = cli(&app.db.url, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Value>(&output.stdout)
        .unwrap()
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

pub fn assert_stored(response: &Response, lead_type: &str) -> i64 {
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["type"], lead_type, "{body}");
    body["id"].as_i64().unwrap()
}
