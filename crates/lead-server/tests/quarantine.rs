//! The daily cap per key: past it, leads are still stored and answered 200, but quarantined —
//! they notify nobody and stay out of every team view until the operator releases them.

mod common;

use common::stored::json_list;
use common::{cli, token_for, TestApp};
use serde_json::Value;

const ORDER: &str = r#"{"type":"order","email":"kunde@beispiel.de","total":10}"#;
const TICKET: &str = r#"{"type":"ticket","email":"kunde@beispiel.de","message":"Hallo"}"#;

/// `body` made distinct by a number, `n` (the same body again would be a duplicate).
fn nth(body: &str, n: usize) -> String {
    body.replacen('{', &format!("{{\"n\":{n},"), 1)
}

/// Runs the operator's command line; asserts success and returns stdout.
fn run(app: &TestApp, args: &[&str]) -> String {
    let output = cli(&app.db.url, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn notifications_of(app: &TestApp, employee: lead_store::EmployeeId) -> usize {
    app.store
        .team()
        .list_notifications(employee, false, None, None)
        .unwrap()
        .len()
}

backend_test! {
fn past_the_daily_cap_leads_are_stored_but_quarantined() {
    let app = TestApp::spawn();
    let key_id = app.acme.key_id.to_string();
    run(&app, &["key", "cap", &key_id, "2"]);
    assert_eq!(json_list(&app, &["key", "list", "--json"])[0]["daily_cap"], 2);

    for (n, body) in [ORDER, TICKET, ORDER, TICKET].into_iter().enumerate() {
        let response = app.post_lead(&app.acme.key, &nth(body, n));
        assert_eq!(response.status, 200, "the website cannot tell: {}", response.text());
    }
    // The first two reach the team; the rest is stored, held back, and notifies nobody.
    assert_eq!(json_list(&app, &["orders", "list", "--company", "Acme", "--json"]).len(), 1);
    assert_eq!(json_list(&app, &["tickets", "list", "--company", "Acme", "--json"]).len(), 1);
    let held_orders = json_list(&app, &["orders", "list", "--company", "Acme", "--quarantined", "--json"]);
    let held_tickets = json_list(&app, &["tickets", "list", "--company", "Acme", "--quarantined", "--json"]);
    assert_eq!((held_orders.len(), held_tickets.len()), (1, 1));
    assert_eq!(held_orders[0]["held"], "quarantine");
    assert_eq!(held_orders[0]["payload"]["total"], 10, "stored whole");
    assert_eq!(json_list(&app, &["orders", "list", "--company", "Acme", "--json"])[0]["held"], Value::Null);
    assert_eq!(
        json_list(&app, &["orders", "list", "--company", "Acme", "--held", "--json"]).len(),
        1,
        "--held lists every held lead"
    );
    for &employee in &app.acme.employees {
        assert_eq!(notifications_of(&app, employee), 2);
    }
    let table = run(&app, &["orders", "list", "--company", "Acme", "--quarantined"]);
    assert!(table.contains("new (quarantine)"), "{table}");

    // The team sees none of it: not in lists, not by id, not in a customer's file.
    let token = token_for(&app.store, app.acme.employees[0]);
    let held_order = held_orders[0]["id"].as_i64().unwrap();
    let held_ticket = held_tickets[0]["id"].as_i64().unwrap();
    let inbox = app.team("GET", "/api/v1/orders", &token, "").json();
    assert_eq!(inbox["items"].as_array().map(Vec::len), Some(1), "{inbox}");
    app.team("GET", &format!("/api/v1/orders/{held_order}"), &token, "")
        .assert_error(404, "not_found", None);
    app.team("GET", &format!("/api/v1/tickets/{held_ticket}"), &token, "")
        .assert_error(404, "not_found", None);
    app.team("POST", &format!("/api/v1/orders/{held_order}/accept"), &token, "")
        .assert_error(404, "not_found", None);
    let customer = app
        .team("POST", "/api/v1/customers", &token, r#"{"name":"Kunde","email":"kunde@beispiel.de"}"#)
        .json();
    let customer_id = customer["id"].as_i64().unwrap();
    let claimed = app.team("POST", &format!("/api/v1/customers/{customer_id}/claim"), &token, "").json();
    assert_eq!((claimed["orders"].as_i64(), claimed["tickets"].as_i64()), (Some(1), Some(1)), "{claimed}");
    let file = app.team("GET", &format!("/api/v1/customers/{customer_id}"), &token, "").json();
    assert_eq!(file["orders"].as_array().map(Vec::len), Some(1), "{file}");
    assert_eq!(file["tickets"].as_array().map(Vec::len), Some(1), "{file}");

    // Released by the operator: now like any other lead, and the team is told.
    run(&app, &["orders", "release", &held_order.to_string()]);
    run(&app, &["tickets", "release", &held_ticket.to_string()]);
    assert_eq!(json_list(&app, &["orders", "list", "--company", "Acme", "--json"]).len(), 2);
    assert!(json_list(&app, &["orders", "list", "--company", "Acme", "--quarantined", "--json"]).is_empty());
    assert_eq!(app.team("GET", &format!("/api/v1/orders/{held_order}"), &token, "").status, 200);
    for &employee in &app.acme.employees {
        assert_eq!(notifications_of(&app, employee), 4);
    }
    let again = cli(&app.db.url, &["orders", "release", &held_order.to_string()]);
    assert!(!again.status.success(), "a lead is released once");

    // Without a cap, everything goes to the team again.
    run(&app, &["key", "cap", &key_id, "off"]);
    assert_eq!(app.post_lead(&app.acme.key, &nth(ORDER, 9)).status, 200);
    assert_eq!(json_list(&app, &["orders", "list", "--company", "Acme", "--json"]).len(), 3);
    let audit = run(&app, &["audit", "list", "--json"]);
    for action in ["key.cap", "order.release", "ticket.release"] {
        assert!(audit.contains(action), "{action} in {audit}");
    }
}
}

backend_test! {
fn a_burst_is_capped_exactly() {
    let app = TestApp::spawn();
    run(&app, &["key", "cap", &app.acme.key_id.to_string(), "5"]);
    // A retry of a lead is not a new lead: three sends with one Idempotency-Key use up one.
    let headers = [("X-API-KEY", app.acme.key.as_str()), ("Idempotency-Key", "retry-1")];
    for _ in 0..3 {
        let response = app.server.request("POST", "/api/v1/lead", &headers, ORDER.as_bytes());
        assert_eq!(response.status, 200);
    }
    // Sent at once, so that they share the writer's batches.
    let app = &app;
    std::thread::scope(|scope| {
        for n in 0..24 {
            scope.spawn(move || assert_eq!(app.post_lead(&app.acme.key, &nth(ORDER, n)).status, 200));
        }
    });
    // The retried lead and four of the burst reach the team; twenty are held back.
    assert_eq!(app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &Default::default()).unwrap().len(), 5);
    let held = app.store.team().held_leads::<lead_store::OrderRecord>(app.acme.id, Some(lead_store::Hold::Quarantine), None).unwrap();
    assert_eq!(held.len(), 20);
    assert_eq!(app.totals().notifications, 10, "two employees, five orders");
}
}

#[test]
fn a_cap_must_be_a_number_or_off() {
    let app = TestApp::spawn();
    for bad in ["-1", "many", ""] {
        let output = cli(&app.db.url, &["key", "cap", &app.acme.key_id.to_string(), bad]);
        assert!(!output.status.success(), "{bad:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
    let output = cli(
        &app.db.url,
        &[
            "orders",
            "list",
            "--company",
            "Acme",
            "--quarantined",
            "--status",
            "new",
        ],
    );
    assert!(
        !output.status.success(),
        "--quarantined and --status exclude each other"
    );
    assert!(cli(&app.db.url, &["key", "list", "--json"]).status.success());
    assert_eq!(app.store.access().list_keys(None).unwrap()[0].daily_cap, None);
}

backend_test! {
fn the_honeypot_stores_spam_quietly_and_the_operator_can_release_it() {
    let app = TestApp::spawn();
    run(&app, &["key", "cap", &app.acme.key_id.to_string(), "1"]);
    let target = format!("/api/v1/lead.php?key={}", app.acme.key);
    let form = |body: &str| {
        app.server.request(
            "POST",
            &target,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    };
    // A bot fills every field it finds, the hidden one too: it gets the normal answer.
    let bot = form("type=order&email=bot%40spam.example&total=1&_gotcha=http%3A%2F%2Fcheap.example");
    assert_eq!(bot.status, 200, "{}", bot.text());
    assert_eq!(bot.json()["status"], "success");
    let bot_json = r#"{"type":"ticket","email":"bot@spam.example","message":"Buy","_gotcha":"x"}"#;
    assert_eq!(app.post_lead(&app.acme.key, bot_json).status, 200);
    // People leave it empty; spam does not use up the daily cap.
    assert_eq!(form("type=order&email=kunde%40beispiel.de&_gotcha=").status, 200);

    assert_eq!(json_list(&app, &["orders", "list", "--company", "Acme", "--json"]).len(), 1);
    let spam = json_list(&app, &["orders", "list", "--company", "Acme", "--spam", "--json"]);
    assert_eq!(spam.len(), 1);
    assert_eq!(spam[0]["held"], "spam");
    assert_eq!(spam[0]["extra"]["_gotcha"], "http://cheap.example", "kept as evidence");
    assert_eq!(json_list(&app, &["tickets", "list", "--company", "Acme", "--spam", "--json"]).len(), 1);
    assert!(json_list(&app, &["orders", "list", "--company", "Acme", "--quarantined", "--json"]).is_empty());
    for &employee in &app.acme.employees {
        assert_eq!(notifications_of(&app, employee), 1, "only the real order");
    }

    // A false alarm is released like a quarantined lead.
    run(&app, &["orders", "release", &spam[0]["id"].to_string()]);
    assert_eq!(json_list(&app, &["orders", "list", "--company", "Acme", "--json"]).len(), 2);
    for &employee in &app.acme.employees {
        assert_eq!(notifications_of(&app, employee), 2);
    }
}
}

#[test]
fn the_honeypot_can_be_turned_off() {
    let app = TestApp::spawn_with("[forms]\nhoneypot = \"\"\n");
    let body = r#"{"type":"order","email":"a@b.de","_gotcha":"filled"}"#;
    assert_eq!(app.post_lead(&app.acme.key, body).status, 200);
    assert_eq!(
        app.store
            .team()
            .leads::<lead_store::OrderRecord>(app.acme.id, &Default::default())
            .unwrap()
            .len(),
        1
    );
}
