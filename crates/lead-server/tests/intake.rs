//! The amendment of 2026-12-01, "never lose a lead at the door": amounts as people and floats
//! write them and a lenient `type`, checked through the operator's `orders list --json`.
//! Browser forms are `intake_forms.rs`, duplicates and retries `intake_duplicates.rs`.

mod common;

use common::leads::assert_success;
use common::stored::listed_order;
use common::{cli, TestApp};

backend_test! {
fn every_amount_of_the_amendment_is_stored_in_exact_cents() {
    let app = TestApp::spawn();
    for (n, (total, cents)) in [
        // JSON numbers of any precision, rounded half away from zero on their text.
        ("30.279999999999998", 3028),
        ("0.30000000000000004", 30),
        ("1.005", 101),
        ("1.234", 123),
        ("1e2", 10_000),
        ("49.90", 4990),
        ("-0.001", 0),
        // Amounts as people write them, in JSON strings.
        (r#""1.234,50 €""#, 123_450),
        (r#""1,234.50""#, 123_450),
        (r#""1.234.567""#, 123_456_700),
        (r#""1.234""#, 123_400),
        (r#""1,234""#, 123_400),
        (r#""0,005""#, 1),
        (r#""49,90""#, 4990),
        (r#""49.9""#, 4990),
        (r#""12,5 €""#, 1250),
        (r#""49.90""#, 4990),
        (r#""EUR 1.000""#, 100_000),
        (r#""€9,99""#, 999),
        (r#"" 7 EUR ""#, 700),
        (r#""""#, 0),
    ]
    .into_iter()
    .enumerate()
    {
        let body = format!(r#"{{"type":"order","email":"a@b.de","subject":"Zeile {n}","total":{total}}}"#);
        let id = assert_success(&app.post_lead(&app.acme.key, &body), "order");
        assert_eq!(listed_order(&app, id)["total_cents"], cents, "total {total}");
    }
    let stored = app.totals().orders;
    for (total, shown) in [
        (r#""ca. 50""#, "ca. 50"),
        (r#""abc""#, "abc"),
        (r#""1.23.4""#, "1.23.4"),
        (r#""12 Euro 50""#, "12 Euro 50"),
        (r#""-5 €""#, "-5 €"),
        ("-3", "-3"),
        ("100000000", "100000000"),
    ] {
        let body = format!(r#"{{"type":"order","email":"a@b.de","total":{total}}}"#);
        let answer = app.post_lead(&app.acme.key, &body);
        answer.assert_error(400, "invalid_field", Some("total"));
        let message = answer.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(&format!("„{shown}“")), "the message names the value: {message}");
    }
    assert_eq!(app.totals().orders, stored, "nothing stored for a bad amount");
}
}

backend_test! {
fn the_float_carts_of_php_and_javascript_are_taken() {
    let app = TestApp::spawn();
    // PHP: json_encode(['total' => array_sum([19.99, 9.99, 0.1, 0.2])]), exactly as sent.
    let php = r#"{"type":"order","email":"kunde@beispiel.de","subject":"Warenkorb","total":30.279999999999998}"#;
    let id = assert_success(&app.post_lead(&app.acme.key, php), "order");
    assert_eq!(listed_order(&app, id)["total_cents"], 3028);
    let listed = String::from_utf8(cli(&app.db.url, &["orders", "list", "--company", "Acme", "--json"]).stdout).unwrap();
    assert!(listed.contains(r#""total":30.279999999999998"#), "the payload as sent: {listed}");
    // JavaScript: JSON.stringify({total: 0.1 + 0.2}).
    let js = r#"{"type":"order","email":"kunde@beispiel.de","total":0.30000000000000004}"#;
    let id = assert_success(&app.post_lead(&app.acme.key, js), "order");
    assert_eq!(listed_order(&app, id)["total_cents"], 30);
    // The team is told the rounded amount.
    let notes = app.store.team().list_notifications(app.acme.employees[0], false, None, None).unwrap();
    assert!(notes.iter().any(|n| n.text.contains("über 30,28 €")), "{notes:?}");
    assert!(notes.iter().any(|n| n.text.contains("über 0,30 €")), "{notes:?}");
}
}

backend_test! {
fn type_is_read_trimmed_in_any_case_and_answered_canonically() {
    let app = TestApp::spawn();
    let order = app.post_lead(&app.acme.key, r#"{"type":"Order","email":"a@b.de"}"#);
    assert_success(&order, "order");
    let ticket = app.post_lead(&app.acme.key, r#"{"type":" TICKET ","email":"a@b.de","message":"Hallo"}"#);
    assert_success(&ticket, "ticket");
    let form = app.server.request(
        "POST",
        &format!("/api/v1/lead?key={}", app.acme.key),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"type=Ticket&email=a%40b.de&message=per+Formular",
    );
    assert_success(&form, "ticket");
    assert_eq!((app.totals().orders, app.totals().tickets), (1, 2));
    app.post_lead(&app.acme.key, r#"{"type":"Bestellung","email":"a@b.de"}"#)
        .assert_error(400, "invalid_type", Some("type"));
}
}
