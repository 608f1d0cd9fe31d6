//! What the team-API tests share: leads to post, and reading the answers.

use serde_json::Value;

use lead_testkit::{add_company, cli, token_for, Company, Response, TestApp};

pub const ORDER: &str =
    r#"{"type":"order","email":"kunde@beispiel.de","subject":"Bestellung","total":49.90,"sku":"A-1"}"#;

/// Another order each time: the same body again within ten minutes would be answered as a
/// duplicate of the first.
pub fn fresh_order() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    ORDER.replace("\"Bestellung\"", &format!("\"Bestellung {n}\""))
}

pub fn ticket(email: &str) -> String {
    format!(r#"{{"type":"ticket","email":"{email}","subject":"Frage","message":"Hallo"}}"#)
}

/// Posts a lead and returns its id.
pub fn post(app: &TestApp, company: &Company, body: &str) -> i64 {
    let response = app.post_lead(&company.key, body);
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["id"].as_i64().unwrap()
}

pub fn ok(response: Response) -> Value {
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json; charset=utf-8"));
    response.json()
}

pub fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

/// A second company with one employee and its token, to attack the first from.
pub fn intruder(app: &TestApp) -> (Company, String) {
    let other = add_company(&app.store, "Other", 1);
    let token = token_for(&app.store, other.employees[0]);
    (other, token)
}

/// Gives Acme a mailbox (replies leave from `service@acme.example`).
pub fn set_mailbox(app: &TestApp, extra: &[&str]) {
    let mut args = vec![
        "company",
        "mailbox",
        "Acme",
        "--imap",
        "imaps://service%40acme.example:geheim@mail.acme.example/INBOX",
        "--from",
        "Acme Service <service@acme.example>",
    ];
    args.extend_from_slice(extra);
    let set = cli(&app.db.url, &args);
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
}
