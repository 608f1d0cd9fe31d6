//! Two files of the same person made one: everything of the other moves over, its addresses
//! keep filing leads here, it is gone, and the merge is on record — in the team API and with
//! „Zusammenführen“ on the dashboard; a wrong merge changes nothing.

mod common;

use common::team::{intruder, ok, post, ticket};
use common::{token_for, TestApp};
use lead_store::{CustomerId, TicketId, TicketRecord};
use serde_json::json;

fn create(app: &TestApp, token: &str, name: &str, email: &str) -> i64 {
    let body = json!({"name": name, "email": email}).to_string();
    let created = app.team("POST", "/api/v1/customers", token, &body);
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()["id"].as_i64().unwrap()
}

fn customer_of(app: &TestApp, ticket: i64) -> Option<i64> {
    app.store
        .team()
        .lead::<TicketRecord>(app.acme.id, TicketId::new(ticket))
        .unwrap()
        .customer_id
        .map(CustomerId::get)
}

backend_test! {
fn a_merge_moves_everything_and_the_other_addresses_keep_filing_here() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let max = create(&app, &token, "Max", "max@a.de");
    let twin = create(&app, &token, "Max privat", "max@b.de");
    ok(app.team("PATCH", &format!("/api/v1/customers/{twin}"), &token, r#"{"emails":["max@c.de"],"phone":"1"}"#));
    let theirs = post(&app, &app.acme, &ticket("max@b.de"));
    assert_eq!(customer_of(&app, theirs), Some(twin));
    let note = app.team("POST", &format!("/api/v1/customers/{twin}/notes"), &token, r#"{"text":"Stammkunde"}"#);
    assert_eq!(note.status, 201);

    let merged = ok(app.team("POST", &format!("/api/v1/customers/{max}/merge"), &token, &json!({"from": twin}).to_string()));
    assert_eq!(merged["id"], max);
    assert_eq!(merged["email"], "max@a.de");
    let mut emails: Vec<String> = serde_json::from_value(merged["emails"].clone()).unwrap();
    emails.sort();
    assert_eq!(emails, ["max@b.de", "max@c.de"]);
    app.team("GET", &format!("/api/v1/customers/{twin}"), &token, "")
        .assert_error(404, "not_found", None);
    // Its ticket, its note and its history are the file's now.
    assert_eq!(customer_of(&app, theirs), Some(max));
    let notes = ok(app.team("GET", &format!("/api/v1/customers/{max}/notes"), &token, ""));
    assert_eq!(notes["items"][0]["text"], "Stammkunde");
    let history = ok(app.team("GET", &format!("/api/v1/customers/{max}/history"), &token, ""));
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the merge and the other's change: {history}");
    assert_eq!(items[0]["changes"][0]["field"], "merged");
    assert!(items[0]["changes"][0]["before"].as_str().unwrap().contains("max@b.de"));
    // Leads from the other's addresses are filed here.
    let later = post(&app, &app.acme, &ticket("MAX@c.de"));
    assert_eq!(customer_of(&app, later), Some(max));
    // On record.
    let audit = app.store.access().list_company_audit(app.acme.id, None, 10).unwrap();
    assert!(audit.iter().any(|entry| entry.action == "customer.merge"), "{audit:?}");
}
}

backend_test! {
fn a_wrong_merge_is_refused_and_changes_nothing() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let max = create(&app, &token, "Max", "max@a.de");
    let twin = create(&app, &token, "Max privat", "max@b.de");
    let (other, their_token) = intruder(&app);
    let foreign = app.store.team().add_customer(other.id, "Fremd", "fremd@x.de").unwrap().id.get();
    let merge = |into: i64, body: &str, token: &str| app.team("POST", &format!("/api/v1/customers/{into}/merge"), token, body);
    merge(max, "{}", &token).assert_error(400, "missing_field", Some("from"));
    merge(max, r#"{"from":"zwei"}"#, &token).assert_error(400, "invalid_field", Some("from"));
    merge(max, r#"{"from":0}"#, &token).assert_error(400, "invalid_field", Some("from"));
    merge(max, &json!({"from": max}).to_string(), &token).assert_error(400, "invalid_field", Some("from"));
    merge(max, &json!({"from": foreign}).to_string(), &token).assert_error(404, "not_found", None);
    merge(max, &json!({"from": twin}).to_string(), &their_token).assert_error(404, "not_found", None);
    merge(max, "[]", &token).assert_error(400, "invalid_json", None);
    let many: Vec<String> = (0..20).map(|n| format!("max{n}@b.de")).collect();
    ok(app.team("PATCH", &format!("/api/v1/customers/{twin}"), &token, &json!({"emails": many}).to_string()));
    merge(max, &json!({"from": twin}).to_string(), &token).assert_error(400, "invalid_field", Some("from"));
    // Both files as they were.
    assert!(ok(app.team("GET", &format!("/api/v1/customers/{max}"), &token, ""))["emails"].as_array().unwrap().is_empty());
    ok(app.team("GET", &format!("/api/v1/customers/{twin}"), &token, ""));
    ok(app.team("GET", &format!("/api/v1/customers/{foreign}"), &their_token, ""));
    assert!(ok(app.team("GET", &format!("/api/v1/customers/{max}/history"), &token, ""))["items"].as_array().unwrap().is_empty());
}
}

backend_test! {
fn the_dashboard_finds_the_other_file_and_merges_it_with_one_click() {
    let app = TestApp::spawn();
    let (cookie, csrf) = common::pages::first_employee_session(&app);
    let max = app.store.team().add_customer(app.acme.id, "Max", "max@a.de").unwrap().id;
    let twin = app.store.team().add_customer(app.acme.id, "Max Zwilling", "zwilling@b.de").unwrap().id;
    let get = |path: &str| {
        let page = app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"");
        assert_eq!(page.status, 200, "{path}");
        page.text()
    };
    let found = get(&format!("/app/customers/{max}?merge_q=zwilling"));
    let action = format!("/app/customers/{max}/merge/{twin}");
    assert!(found.contains(&action), "the other file with its button: {found}");
    assert!(!found.contains(&format!("/merge/{max}\"")), "never the file itself");
    let form = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    assert_eq!(app.server.request("POST", &action, &form, b"csrf=0123456789abcdef0123456789abcdef").status, 403);
    assert!(app.store.team().get_customer(app.acme.id, twin).is_ok(), "a forged form merges nothing");
    let merged = app.server.request("POST", &action, &form, format!("csrf={csrf}").as_bytes());
    assert_eq!(merged.status, 303, "{}", merged.text());
    let page = get(&format!("/app/customers/{max}"));
    assert!(page.contains("zwilling@b.de"), "the other's address is a further one");
    assert!(page.contains("Zusammengeführt mit"), "the merge in the history");
    assert!(app.store.team().get_customer(app.acme.id, twin).is_err());
}
}
