//! What the lead endpoint refuses, field by field of CONTRACT.md: the body's size and JSON,
//! `type`, `email`, `message`, `subject`, `total` — each error with its status, code and
//! field, and nothing stored.

mod common;

use common::leads::{assert_success, order, ORDER};
use common::TestApp;
use serde_json::Value;

backend_test! {
fn bodies_over_64_kib_are_413_and_64_kib_is_fine() {
    let app = TestApp::spawn();
    let padded = |size: usize| {
        let head = r#"{"type":"order","email":"a@b.de","pad":""#;
        let tail = r#""}"#;
        format!("{head}{}{tail}", "x".repeat(size - head.len() - tail.len()))
    };
    let exactly = padded(64 * 1024);
    assert_eq!(exactly.len(), 65_536);
    assert_success(&app.post_lead(&app.acme.key, &exactly), "order");
    app.post_lead(&app.acme.key, &padded(64 * 1024 + 1))
        .assert_error(413, "payload_too_large", None);
    // Without Content-Length (chunked), the limit holds as well.
    let body = padded(70_000);
    let mut raw = format!(
        "POST /api/v1/lead HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-KEY: {}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        app.acme.key,
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body.as_bytes());
    raw.extend_from_slice(b"\r\n0\r\n\r\n");
    app.server.send_raw(&raw).assert_error(413, "payload_too_large", None);
    assert_eq!(app.totals().orders, 1);
}
}

backend_test! {
fn the_body_is_json_whatever_the_content_type() {
    let app = TestApp::spawn();
    for (n, content_type) in [
        "application/json",
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "image/png",
    ]
    .into_iter()
    .enumerate()
    {
        let response = app.server.request(
            "POST",
            "/api/v1/lead.php",
            &[("X-API-KEY", &app.acme.key), ("Content-Type", content_type)],
            order(n).as_bytes(),
        );
        assert_success(&response, "order");
    }
    assert_success(&app.post_lead(&app.acme.key, ORDER), "order"); // no Content-Type at all
    assert_eq!(app.totals().orders, 6);
}
}

backend_test! {
fn bodies_that_are_not_json_objects_are_invalid_json() {
    let app = TestApp::spawn();
    for body in [
        "",
        "nicht json",
        "{\"type\":\"order\",",
        "[]",
        "[{\"type\":\"order\"}]",
        "\"order\"",
        "null",
        "42",
        "true",
        r#"{"type":"order","type":"ticket","email":"a@b.de","message":"m"}"#,
    ] {
        app.post_lead(&app.acme.key, body)
            .assert_error(400, "invalid_json", None);
    }
    let invalid_utf8 = app.server.request(
        "POST",
        "/api/v1/lead.php",
        &[("X-API-KEY", &app.acme.key)],
        b"{\"type\":\"order\",\"email\":\"a@b.de\",\"subject\":\"\xff\xfe\"}",
    );
    invalid_utf8.assert_error(400, "invalid_json", None);
    app.assert_nothing_stored();
}
}

backend_test! {
fn type_is_required_and_must_be_order_or_ticket() {
    let app = TestApp::spawn();
    for body in [
        r#"{"email":"a@b.de"}"#,
        r#"{"type":null,"email":"a@b.de"}"#,
        r#"{"type":" ","email":"a@b.de"}"#,
    ] {
        app.post_lead(&app.acme.key, body)
            .assert_error(400, "missing_type", Some("type"));
    }
    for body in [
        r#"{"type":"lead","email":"a@b.de"}"#,
        r#"{"type":"or der","email":"a@b.de"}"#,
        r#"{"type":1,"email":"a@b.de"}"#,
    ] {
        app.post_lead(&app.acme.key, body)
            .assert_error(400, "invalid_type", Some("type"));
    }
    app.assert_nothing_stored();
}
}

backend_test! {
fn email_is_required_valid_and_at_most_254_characters() {
    let app = TestApp::spawn();
    for kind in ["order", "ticket"] {
        let missing = format!(r#"{{"type":"{kind}","message":"m"}}"#);
        app.post_lead(&app.acme.key, &missing)
            .assert_error(400, "missing_field", Some("email"));
        let blank = format!(r#"{{"type":"{kind}","message":"m","email":"  "}}"#);
        app.post_lead(&app.acme.key, &blank)
            .assert_error(400, "missing_field", Some("email"));
        for email in [
            r#""keine-adresse""#,
            r#"["a@b.de"]"#,
            "42",
            &format!(r#""{}@b.de""#, "a".repeat(250)),
        ] {
            let body = format!(r#"{{"type":"{kind}","message":"m","email":{email}}}"#);
            app.post_lead(&app.acme.key, &body)
                .assert_error(400, "invalid_field", Some("email"));
        }
    }
    app.assert_nothing_stored();
}
}

backend_test! {
fn a_ticket_needs_a_message_an_order_does_not() {
    let app = TestApp::spawn();
    for message in ["", r#","message":"""#, r#","message":"  \n ""#, r#","message":null"#] {
        let body = format!(r#"{{"type":"ticket","email":"a@b.de"{message}}}"#);
        app.post_lead(&app.acme.key, &body)
            .assert_error(400, "missing_field", Some("message"));
    }
    app.post_lead(&app.acme.key, r#"{"type":"ticket","email":"a@b.de","message":5}"#)
        .assert_error(400, "invalid_field", Some("message"));
    let long = format!(
        r#"{{"type":"ticket","email":"a@b.de","message":"{}"}}"#,
        "x".repeat(20_001)
    );
    app.post_lead(&app.acme.key, &long)
        .assert_error(400, "invalid_field", Some("message"));
    app.assert_nothing_stored();
    assert_success(
        &app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@b.de"}"#),
        "order",
    );
}
}

backend_test! {
fn subject_must_be_text_of_at_most_200_characters() {
    let app = TestApp::spawn();
    app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@b.de","subject":5}"#)
        .assert_error(400, "invalid_field", Some("subject"));
    let long = format!(r#"{{"type":"order","email":"a@b.de","subject":"{}"}}"#, "ä".repeat(201));
    app.post_lead(&app.acme.key, &long)
        .assert_error(400, "invalid_field", Some("subject"));
    app.assert_nothing_stored();
    let at_limit = format!(
        r#"{{"type":"order","email":"a@b.de","subject":"  {}  "}}"#,
        "ä".repeat(200)
    );
    assert_success(&app.post_lead(&app.acme.key, &at_limit), "order");
    assert_eq!(
        app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &Default::default()).unwrap()[0].title,
        "ä".repeat(200)
    );
}
}

backend_test! {
fn total_is_stored_as_exact_cents() {
    let app = TestApp::spawn();
    for (total, cents) in [
        ("19.99", 1999),
        ("0.1", 10),
        ("1e2", 10_000),
        ("1.230", 123),
        ("1.5e1", 1500),
        ("99999999.99", 9_999_999_999),
        ("null", 0),
        ("-0", 0),
    ] {
        let body = format!(r#"{{"type":"order","email":"a@b.de","total":{total}}}"#);
        let id = assert_success(&app.post_lead(&app.acme.key, &body), "order");
        let orders = app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &lead_store::LeadQuery { limit: Some(1), ..Default::default() }).unwrap();
        assert_eq!((orders[0].id.get(), orders[0].total.cents()), (id, cents), "total {total}");
    }
    let absent = assert_success(
        &app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@b.de"}"#),
        "order",
    );
    assert_eq!(app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &lead_store::LeadQuery { limit: Some(1), ..Default::default() }).unwrap()[0], {
        let mut expected = app
            .store
            .team().leads::<lead_store::OrderRecord>(app.acme.id, &lead_store::LeadQuery { limit: Some(1), ..Default::default() })
            .unwrap()
            .remove(0);
        assert_eq!(expected.id, absent);
        expected.total = lead_domain::Money::ZERO;
        expected
    });
}
}

backend_test! {
fn bad_totals_are_invalid_field_and_store_nothing() {
    let app = TestApp::spawn();
    for total in [
        "-1",
        "-0.01",
        "\"-5\"",
        "\"ca. 50\"",
        "\"1.23.4\"",
        "\"12 Euro 50\"",
        "\"abc\"",
        "100000000",
        "99999999.995",
        "\"100.000.000\"",
        "1e400",
        "true",
        "[1]",
        "{}",
    ] {
        let body = format!(r#"{{"type":"order","email":"a@b.de","total":{total}}}"#);
        app.post_lead(&app.acme.key, &body)
            .assert_error(400, "invalid_field", Some("total"));
    }
    app.assert_nothing_stored();
}
}

backend_test! {
fn a_ticket_ignores_its_total() {
    let app = TestApp::spawn();
    for total in ["0.00", "\"abc\"", "-5", "1.234"] {
        let body = format!(r#"{{"type":"ticket","email":"a@b.de","message":"Hallo","total":{total}}}"#);
        assert_success(&app.post_lead(&app.acme.key, &body), "ticket");
    }
}
}

backend_test! {
fn error_bodies_name_the_field_only_when_one_is_at_fault() {
    let app = TestApp::spawn();
    let no_field: Value = app.post_lead(&app.acme.key, "[]").json();
    assert!(no_field.get("field").is_none());
    let with_field: Value = app.post_lead(&app.acme.key, r#"{"type":"order"}"#).json();
    assert_eq!(with_field["field"], "email");
    assert!(with_field["message"].as_str().unwrap().contains("email"));
}
}

backend_test! {
fn every_address_people_have_is_taken_and_finds_its_customer() {
    // CONTRACT.md, amendment 2026-12-06: internationalised and quoted addresses are valid.
    let app = TestApp::spawn();
    let customer = app
        .store
        .team()
        .add_customer(app.acme.id, "Jürgen Müller", "JÜRGEN@Bäckerei.de")
        .unwrap();
    for email in ["jürgen@bäckerei.de", "kunde@müller.de", r#"\"max mustermann\"@beispiel.de"#] {
        let body = format!(r#"{{"type":"ticket","message":"m","email":"{email}"}}"#);
        assert_success(&app.post_lead(&app.acme.key, &body), "ticket");
    }
    let tickets: Vec<lead_store::TicketRecord> = app
        .store
        .team()
        .leads(app.acme.id, &lead_store::LeadQuery::default())
        .unwrap();
    assert_eq!(tickets.len(), 3);
    assert_eq!(tickets[1].email, "kunde@müller.de", "stored as sent");
    assert_eq!(tickets[0].email, "\"max mustermann\"@beispiel.de");
    assert_eq!(tickets[2].customer_id, Some(customer.id), "matched whatever the case");
    // Still not an address: whitespace outside quotes, a label starting with `-`.
    for email in ["max mustermann@beispiel.de", "max@-beispiel.de"] {
        let body = format!(r#"{{"type":"ticket","message":"m","email":"{email}"}}"#);
        app.post_lead(&app.acme.key, &body)
            .assert_error(400, "invalid_field", Some("email"));
    }
}
}
