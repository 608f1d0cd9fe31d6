//! The leads most tests send, and the check of a success answer.

use lead_testkit::Response;

pub const ORDER: &str = r#"{"type":"order","email":"kunde@beispiel.de","subject":"Bestellung 4711","total":1234.50}"#;

pub const TICKET: &str = r#"{"type":"ticket","email":"max.mustermann@beispiel.de","subject":"Interesse an Beratung","message":"Hallo, ich hätte gerne ein Angebot für Ihre Dienstleistungen.","total":0.00}"#;

/// Another order each time: the same body again within ten minutes is answered as a duplicate.
pub fn order(n: usize) -> String {
    ORDER.replace("Bestellung 4711", &format!("Bestellung {n}"))
}

pub fn assert_success(response: &Response, lead_type: &str) -> i64 {
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.json();
    let object = body.as_object().unwrap();
    assert_eq!(object.len(), 4, "exactly four keys: {body}");
    assert_eq!(object["status"], "success");
    assert_eq!(object["message"], "Daten verarbeitet");
    assert_eq!(object["type"], lead_type);
    object["id"].as_i64().expect("a numeric id")
}
