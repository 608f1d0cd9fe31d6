//! The published lead API, row by row of CONTRACT.md, against the real server on a fresh
//! temporary SQLite database.

mod common;

use common::{add_company, Response, TestApp};
use lead_domain::{OrderStatus, TicketStatus};
use lead_store::{LeadId, OrderId, TicketId};
use serde_json::{json, Value};

const ORDER: &str = r#"{"type":"order","email":"kunde@beispiel.de","subject":"Bestellung 4711","total":1234.50}"#;
const TICKET: &str = r#"{"type":"ticket","email":"max.mustermann@beispiel.de","subject":"Interesse an Beratung","message":"Hallo, ich hätte gerne ein Angebot für Ihre Dienstleistungen.","total":0.00}"#;

/// Another order each time: the same body again within ten minutes is answered as a duplicate.
fn order(n: usize) -> String {
    ORDER.replace("Bestellung 4711", &format!("Bestellung {n}"))
}

fn assert_success(response: &Response, lead_type: &str) -> i64 {
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

backend_test! {
fn an_order_lands_in_the_inbox_and_notifies_every_employee() {
    let app = TestApp::spawn();
    let id = assert_success(&app.post_lead(&app.acme.key, ORDER), "order");

    let orders = app.store.list_orders(app.acme.id, None, None, None).unwrap();
    assert_eq!(orders.len(), 1);
    let order = &orders[0];
    assert_eq!(order.id, id);
    assert_eq!(order.status, OrderStatus::New);
    assert_eq!(order.total.cents(), 123_450);
    assert_eq!(order.title, "Bestellung 4711");
    assert_eq!(order.email, "kunde@beispiel.de");
    assert_eq!(order.payload, ORDER, "the original body is kept as sent");
    for &employee in &app.acme.employees {
        let notes = app.store.list_notifications(employee, false, None, None).unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(
            notes[0].text,
            "Neue Bestellung! Eine Web-Bestellung über 1.234,50 € ist eingegangen."
        );
        assert_eq!(notes[0].lead, LeadId::Order(OrderId::new(id)));
        assert_eq!(notes[0].read_at, None);
    }
}
}

backend_test! {
fn the_published_example_creates_an_open_ticket() {
    let app = TestApp::spawn();
    let id = assert_success(&app.post_lead(&app.acme.key, TICKET), "ticket");
    let tickets = app.store.list_tickets(app.acme.id, None, None, None).unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].id, id);
    assert_eq!(tickets[0].status, TicketStatus::Open);
    assert_eq!(tickets[0].title, "Interesse an Beratung");
    assert_eq!(tickets[0].customer_id, None);
    assert_eq!(tickets[0].email, "max.mustermann@beispiel.de");
    let notes = app
        .store
        .list_notifications(app.acme.employees[0], false, None, None)
        .unwrap();
    assert_eq!(
        notes[0].text,
        "Neues Ticket! „Interesse an Beratung“ von max.mustermann@beispiel.de ist eingegangen."
    );
    assert_eq!(notes[0].lead, LeadId::Ticket(TicketId::new(id)));
}
}

backend_test! {
fn a_ticket_without_subject_is_titled_anfrage_webseite() {
    let app = TestApp::spawn();
    for subject in ["", r#","subject":"   ""#, r#","subject":null"#] {
        let body = format!(r#"{{"type":"ticket","email":"a@b.de","message":"Hallo"{subject}}}"#);
        assert_success(&app.post_lead(&app.acme.key, &body), "ticket");
    }
    let tickets = app.store.list_tickets(app.acme.id, None, None, None).unwrap();
    assert!(tickets.iter().all(|t| t.title == "Anfrage Webseite"));
    let order = app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@b.de"}"#);
    assert_success(&order, "order");
    assert_eq!(
        app.store.list_orders(app.acme.id, None, None, None).unwrap()[0].title,
        "Web-Bestellung"
    );
}
}

backend_test! {
fn both_paths_serve_the_same_handler() {
    let app = TestApp::spawn();
    for (n, path) in ["/api/v1/lead.php", "/api/v1/lead"].into_iter().enumerate() {
        let response = app
            .server
            .request("POST", path, &[("X-API-KEY", &app.acme.key)], order(n).as_bytes());
        assert_success(&response, "order");
    }
    assert_eq!(app.totals().orders, 2);
}
}

backend_test! {
fn the_key_may_come_in_the_query() {
    let app = TestApp::spawn();
    let path = format!("/api/v1/lead.php?key={}", app.acme.key);
    assert_success(&app.server.request("POST", &path, &[], ORDER.as_bytes()), "order");
}
}

backend_test! {
fn the_header_wins_over_the_query() {
    let app = TestApp::spawn();
    let good_header = app.server.request(
        "POST",
        "/api/v1/lead.php?key=wrong-key-123",
        &[("X-API-KEY", &app.acme.key)],
        ORDER.as_bytes(),
    );
    assert_success(&good_header, "order");
    let bad_header = app.server.request(
        "POST",
        &format!("/api/v1/lead?key={}", app.acme.key),
        &[("X-API-KEY", "wrong-key-123")],
        ORDER.as_bytes(),
    );
    bad_header.assert_error(403, "invalid_api_key", None);
    assert_eq!(app.totals().orders, 1);
}
}

backend_test! {
fn no_key_or_an_empty_key_is_401() {
    let app = TestApp::spawn();
    let cases: [(&str, &[(&str, &str)]); 4] = [
        ("/api/v1/lead.php", &[]),
        ("/api/v1/lead.php?key=", &[]),
        ("/api/v1/lead.php", &[("X-API-KEY", "")]),
        ("/api/v1/lead.php?other=1", &[("X-API-KEY", "   ")]),
    ];
    for (path, headers) in cases.into_iter().chain([("/api/v1/lead?key=%20%20", &[][..])]) {
        app.server
            .request("POST", path, headers, ORDER.as_bytes())
            .assert_error(401, "missing_api_key", None);
    }
    app.assert_nothing_stored();
}
}

backend_test! {
fn unknown_revoked_and_deactivated_company_keys_are_one_and_the_same_403() {
    let app = TestApp::spawn();
    let revoked = add_company(&app.store, "Revoked GmbH", 1);
    app.store.revoke_key(revoked.key_id).unwrap();
    let inactive = add_company(&app.store, "Inactive GmbH", 1);
    app.store.set_company_active(inactive.id, false).unwrap();

    let answers: Vec<Response> = [
        "lgw_unknownunknownunknownunknownunknownunknow",
        &revoked.key,
        &inactive.key,
    ]
    .iter()
    .map(|key| app.post_lead(key, ORDER))
    .collect();
    for answer in &answers {
        answer.assert_error(403, "invalid_api_key", None);
    }
    assert!(
        answers.windows(2).all(|pair| pair[0].body == pair[1].body),
        "the answers must not tell the cases apart"
    );
    app.assert_nothing_stored();

    app.store.set_company_active(inactive.id, true).unwrap();
    assert_success(&app.post_lead(&inactive.key, ORDER), "order");
}
}

backend_test! {
fn authentication_comes_before_the_body() {
    let app = TestApp::spawn();
    // Garbage and oversized bodies: the key decides first.
    app.server
        .request("POST", "/api/v1/lead.php", &[], b"not json at all")
        .assert_error(401, "missing_api_key", None);
    app.post_lead("wrong-key-123", "{{{{")
        .assert_error(403, "invalid_api_key", None);
    let huge = vec![b'x'; 200 * 1024];
    app.server
        .request("POST", "/api/v1/lead.php", &[], &huge)
        .assert_error(401, "missing_api_key", None);
    app.server
        .request("POST", "/api/v1/lead.php", &[("X-API-KEY", "wrong-key-123")], &huge)
        .assert_error(403, "invalid_api_key", None);
    // A declared 1 MB body that never comes: answered at once, without waiting for it.
    app.server
        .request("POST", "/api/v1/lead.php", &[("Content-Length", "1000000")], b"{")
        .assert_error(401, "missing_api_key", None);
    // With a valid key, size comes before JSON.
    app.server
        .request("POST", "/api/v1/lead.php", &[("X-API-KEY", &app.acme.key)], &huge)
        .assert_error(413, "payload_too_large", None);
    app.assert_nothing_stored();
}
}

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
        app.store.list_orders(app.acme.id, None, None, None).unwrap()[0].title,
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
        let orders = app.store.list_orders(app.acme.id, None, None, Some(1)).unwrap();
        assert_eq!((orders[0].id.get(), orders[0].total.cents()), (id, cents), "total {total}");
    }
    let absent = assert_success(
        &app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@b.de"}"#),
        "order",
    );
    assert_eq!(app.store.list_orders(app.acme.id, None, None, Some(1)).unwrap()[0], {
        let mut expected = app
            .store
            .list_orders(app.acme.id, None, None, Some(1))
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
fn custom_fields_are_kept_in_the_stored_payload() {
    let app = TestApp::spawn();
    let body = r#"{
  "type": "ticket", "email": "a@b.de", "message": "Rückruf bitte",
  "phone": "+49 30 1234567", "utm": {"source": "newsletter"}, "consent": true, "big": 12345678901234567890
}"#;
    assert_success(&app.post_lead(&app.acme.key, body), "ticket");
    assert_eq!(
        app.store.list_tickets(app.acme.id, None, None, None).unwrap()[0].payload,
        body
    );
}
}

backend_test! {
fn texts_are_stored_trimmed_with_case_kept() {
    let app = TestApp::spawn();
    let body = r#"{"type":"ticket","email":"  Max@Beispiel.DE ","subject":"  Frage  ","message":"\n Hallo Welt \n"}"#;
    assert_success(&app.post_lead(&app.acme.key, body), "ticket");
    let ticket = &app.store.list_tickets(app.acme.id, None, None, None).unwrap()[0];
    assert_eq!(
        (ticket.email.as_str(), ticket.title.as_str(), ticket.message.as_str()),
        ("Max@Beispiel.DE", "Frage", "Hallo Welt")
    );
}
}

backend_test! {
fn tickets_and_orders_are_filed_under_the_matching_customer_of_the_same_company_only() {
    let app = TestApp::spawn();
    let customer = app
        .store
        .add_customer(app.acme.id, "Max Mustermann", "max.mustermann@beispiel.de")
        .unwrap()
        .id;
    let other = add_company(&app.store, "Other", 1);
    let foreign = app
        .store
        .add_customer(other.id, "Fremder Max", "MAX.MUSTERMANN@beispiel.de")
        .unwrap()
        .id;

    let ticket = r#"{"type":"ticket","email":"  Max.Mustermann@Beispiel.DE ","message":"Hallo"}"#;
    assert_success(&app.post_lead(&app.acme.key, ticket), "ticket");
    assert_success(
        &app.post_lead(
            &app.acme.key,
            r#"{"type":"order","email":"MAX.MUSTERMANN@BEISPIEL.DE","total":5}"#,
        ),
        "order",
    );
    assert_success(
        &app.post_lead(
            &app.acme.key,
            r#"{"type":"ticket","email":"unbekannt@beispiel.de","message":"Hi"}"#,
        ),
        "ticket",
    );

    let tickets = app.store.list_tickets(app.acme.id, None, None, None).unwrap();
    assert_eq!(tickets[1].customer_id, Some(customer));
    assert_eq!(tickets[0].customer_id, None, "no customer matches: unassigned");
    assert_eq!(tickets[0].email, "unbekannt@beispiel.de");
    assert_eq!(
        app.store.list_orders(app.acme.id, None, None, None).unwrap()[0].customer_id,
        Some(customer)
    );

    // The other company's lead with the same email goes to its own customer, never Acme's.
    assert_success(&app.post_lead(&other.key, ticket), "ticket");
    assert_eq!(
        app.store.list_tickets(other.id, None, None, None).unwrap()[0].customer_id,
        Some(foreign)
    );
}
}

backend_test! {
fn a_customer_of_another_company_never_matches() {
    let app = TestApp::spawn();
    let other = add_company(&app.store, "Other", 1);
    app.store.add_customer(other.id, "Fremd", "kunde@beispiel.de").unwrap();
    assert_success(&app.post_lead(&app.acme.key, ORDER), "order");
    assert_eq!(
        app.store.list_orders(app.acme.id, None, None, None).unwrap()[0].customer_id,
        None
    );
}
}

backend_test! {
fn only_the_companys_own_active_employees_are_notified() {
    let app = TestApp::spawn();
    let other = add_company(&app.store, "Other", 2);
    app.store.set_employee_active(app.acme.employees[1], false).unwrap();

    assert_success(&app.post_lead(&app.acme.key, TICKET), "ticket");
    assert_eq!(
        app.store
            .list_notifications(app.acme.employees[0], false, None, None)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.store
            .list_notifications(app.acme.employees[1], false, None, None)
            .unwrap()
            .len(),
        0,
        "deactivated"
    );
    for &employee in &other.employees {
        assert!(
            app.store
                .list_notifications(employee, false, None, None)
                .unwrap()
                .is_empty(),
            "another company"
        );
    }
    assert_eq!(app.totals().notifications, 1);
    assert!(app.store.list_orders(other.id, None, None, None).unwrap().is_empty());
    assert!(app.store.list_tickets(other.id, None, None, None).unwrap().is_empty());
}
}

backend_test! {
fn a_company_without_employees_still_gets_its_lead() {
    let app = TestApp::spawn();
    let lonely = add_company(&app.store, "Lonely", 0);
    assert_success(&app.post_lead(&lonely.key, ORDER), "order");
    assert_eq!(app.totals().orders, 1);
    assert_eq!(app.totals().notifications, 0);
}
}

backend_test! {
fn other_methods_get_405_with_allow_post() {
    let app = TestApp::spawn();
    for method in ["GET", "PUT", "DELETE", "PATCH"] {
        for path in ["/api/v1/lead.php", "/api/v1/lead"] {
            let response = app.server.request(method, path, &[("X-API-KEY", &app.acme.key)], b"");
            response.assert_error(405, "method_not_allowed", None);
            assert_eq!(response.header("allow"), Some("POST"));
        }
    }
    app.assert_nothing_stored();
}
}

backend_test! {
fn cors_preflight_is_answered_without_a_key() {
    let app = TestApp::spawn();
    for path in ["/api/v1/lead.php", "/api/v1/lead"] {
        let preflight = app.server.request(
            "OPTIONS",
            path,
            &[
                ("Origin", "https://www.beispiel.de"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type,x-api-key"),
            ],
            b"",
        );
        assert_eq!(preflight.status, 204);
        assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
        assert_eq!(preflight.header("access-control-allow-methods"), Some("POST"));
        let allowed = preflight
            .header("access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        for header in ["content-type", "x-api-key", "idempotency-key"] {
            assert!(allowed.contains(header), "{allowed}");
        }
    }
    // Actual answers carry the origin header too, errors included.
    let ok = app.server.request(
        "POST",
        "/api/v1/lead",
        &[("X-API-KEY", &app.acme.key), ("Origin", "https://x.de")],
        ORDER.as_bytes(),
    );
    assert_eq!(ok.header("access-control-allow-origin"), Some("*"));
    let denied = app
        .server
        .request("POST", "/api/v1/lead", &[("Origin", "https://x.de")], ORDER.as_bytes());
    assert_eq!(denied.header("access-control-allow-origin"), Some("*"));
}
}

backend_test! {
fn health_check_and_unknown_paths() {
    let app = TestApp::spawn();
    let health = app.server.request("GET", "/healthz", &[], b"");
    assert_eq!(health.status, 200);
    assert_eq!(health.json(), json!({"status": "ok"}));
    assert_eq!(health.header("content-type"), Some("application/json; charset=utf-8"));
    app.server
        .request("GET", "/nope", &[], b"")
        .assert_error(404, "not_found", None);
    app.server
        .request(
            "POST",
            "/api/v1/leads",
            &[("X-API-KEY", &app.acme.key)],
            ORDER.as_bytes(),
        )
        .assert_error(404, "not_found", None);
    let post_health = app.server.request("POST", "/healthz", &[], b"");
    post_health.assert_error(405, "method_not_allowed", None);
    assert_eq!(post_health.header("allow"), Some("GET"));
}
}

backend_test! {
fn a_database_failure_is_500_and_leaves_nothing_behind() {
    let app = TestApp::spawn();
    // Make the last step of the transaction fail: the notification insert.
    app.db.fail_notification_inserts("disk on fire");
    for body in [ORDER, TICKET] {
        app.post_lead(&app.acme.key, body)
            .assert_error(500, "internal_error", None);
    }
    app.assert_nothing_stored();
    let response = app.post_lead(&app.acme.key, ORDER);
    assert!(!response.text().contains("disk on fire"), "no internals in the answer");
    // The cause is in the log for the operator.
    app.server.wait_for_output("disk on fire");
    let keys = app.store.list_keys(Some(app.acme.id)).unwrap();
    assert_eq!(
        keys[0].last_used_at, None,
        "the key's use was rolled back with the rest"
    );
}
}

backend_test! {
fn two_hundred_concurrent_posts_are_all_stored_with_all_notifications() {
    let app = TestApp::spawn();
    let ids: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let app = &app;
                scope.spawn(move || {
                    let body = if i % 2 == 0 {
                        format!(r#"{{"type":"order","email":"k{i}@b.de","total":{i}.5}}"#)
                    } else {
                        format!(r#"{{"type":"ticket","email":"k{i}@b.de","message":"Nr. {i}"}}"#)
                    };
                    let response = app.post_lead(&app.acme.key, &body);
                    assert_eq!(response.status, 200, "{}", response.text());
                    response.json()["id"].as_i64().unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(ids.len(), 200);
    let totals = app.totals();
    assert_eq!((totals.orders, totals.tickets, totals.notifications), (100, 100, 400));
    for &employee in &app.acme.employees {
        assert_eq!(
            app.store.list_notifications(employee, false, None, None).unwrap().len(),
            200
        );
    }
}
}

backend_test! {
fn data_survives_a_restart() {
    let TestApp {
        db,
        store,
        acme,
        server,
    } = TestApp::spawn();
    let first = server.request(
        "POST",
        "/api/v1/lead.php",
        &[("X-API-KEY", &acme.key)],
        ORDER.as_bytes(),
    );
    let id = assert_success(&first, "order");
    server.kill();

    let server = common::Server::start(&db.url, &[]);
    let orders = store.list_orders(acme.id, None, None, None).unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].id, id);
    let second = server.request("POST", "/api/v1/lead", &[("X-API-KEY", &acme.key)], TICKET.as_bytes());
    assert_success(&second, "ticket");
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
fn a_full_write_queue_answers_503_with_retry_after_and_loses_nothing() {
    let app = TestApp::spawn_with_config("[database]\nwrite_queue = 1\nbusy_timeout_ms = 30000\n");
    // Another connection holds the write path: the server's writer stalls, its queue fills.
    let blocker = app.db.hold_writes();
    let app = &app;
    let answers: Vec<Response> = std::thread::scope(|scope| {
        let posts: Vec<_> = (0..8)
            .map(|n| scope.spawn(move || app.post_lead(&app.acme.key, &order(n))))
            .collect();
        // The refused ones answer at once; the others wait for the lock.
        std::thread::sleep(std::time::Duration::from_millis(500));
        blocker.release();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    });
    let busy: Vec<&Response> = answers.iter().filter(|a| a.status == 503).collect();
    let stored = answers.iter().filter(|a| a.status == 200).count();
    assert!(
        !busy.is_empty() && stored >= 1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(busy.len() + stored, 8, "only 200 or 503");
    for answer in busy {
        answer.assert_error(503, "internal_error", None);
        assert_eq!(answer.header("retry-after"), Some("1"));
    }
    assert_eq!(app.totals().orders as usize, stored, "every 200 is stored, no 503 is");
    assert_eq!(app.totals().notifications as usize, stored * 2);
}
}

/// Posts `n` orders one after the other and returns the statuses.
fn statuses(app: &TestApp, n: usize, headers: &[(&str, &str)]) -> Vec<u16> {
    (0..n)
        .map(|n| {
            app.server
                .request("POST", "/api/v1/lead.php", headers, order(n).as_bytes())
                .status
        })
        .collect()
}

backend_test! {
fn a_client_over_its_rate_gets_429_with_retry_after_and_nothing_is_stored() {
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 2\nper_key = 0\n");
    let key = [("X-API-KEY", app.acme.key.as_str())];
    let answers = statuses(&app, 12, &key);
    let stored = answers.iter().filter(|s| **s == 200).count();
    assert!((4..=6).contains(&stored), "a burst of twice the rate, then 429: {answers:?}");
    assert!(answers.ends_with(&[429, 429]), "{answers:?}");
    let limited = app.server.request("POST", "/api/v1/lead.php", &key, ORDER.as_bytes());
    limited.assert_error(429, "rate_limited", None);
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert_eq!(app.totals().orders as usize, stored);
    // The per-IP limit comes first: even without a key the answer is 429, not 401.
    app.server.request("POST", "/api/v1/lead.php", &[], ORDER.as_bytes()).assert_error(429, "rate_limited", None);
    // The limit refills with time.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(app.post_lead(&app.acme.key, &order(99)).status, 200);
}
}

backend_test! {
fn a_key_over_its_rate_gets_429_and_other_keys_go_on() {
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 0\nper_key = 2\n");
    let answers = statuses(&app, 10, &[("X-API-KEY", app.acme.key.as_str())]);
    assert!(answers.contains(&429) && answers[0] == 200, "{answers:?}");
    let other = add_company(&app.store, "Other", 0);
    assert_eq!(app.post_lead(&other.key, ORDER).status, 200, "another website is not affected");
    // An invalid key is answered 403 whatever the limits: it never reaches its own.
    app.post_lead("wrong-key-123", ORDER).assert_error(403, "invalid_api_key", None);
}
}

#[test]
fn x_forwarded_for_counts_only_behind_a_trusted_proxy() {
    // Trusted: each forwarded client has its own limit.
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 1\nper_key = 0\ntrusted_proxies = [\"127.0.0.1\"]\n");
    fn from<'a>(app: &'a TestApp, ip: &'a str) -> [(&'a str, &'a str); 2] {
        [("X-API-KEY", app.acme.key.as_str()), ("X-Forwarded-For", ip)]
    }
    let first = statuses(&app, 5, &from(&app, "203.0.113.5"));
    assert_eq!(first.last(), Some(&429), "{first:?}");
    assert_eq!(statuses(&app, 1, &from(&app, "203.0.113.6")), [200], "another client");
    // A forged hop in front of the real one changes nothing: the proxy appends the client.
    assert_eq!(statuses(&app, 1, &from(&app, "198.51.100.1, 203.0.113.5")), [429]);

    // Not trusted (the default): the header is ignored and all share the peer's limit.
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 1\nper_key = 0\n");
    let answers: Vec<u16> = [
        "203.0.113.1",
        "203.0.113.2",
        "203.0.113.3",
        "203.0.113.4",
        "203.0.113.5",
    ]
    .iter()
    .flat_map(|ip| statuses(&app, 1, &from(&app, ip)))
    .collect();
    assert!(answers.contains(&429), "{answers:?}");
}

#[test]
fn rate_limits_come_from_the_environment_too() {
    let db = common::TestDb::new();
    let store = db.store();
    let acme = add_company(&store, "Acme", 0);
    let server = common::Server::start(
        &db.url,
        &[("LEAD_RATE_LIMIT_PER_IP", "1"), ("LEAD_RATE_LIMIT_PER_KEY", "0")],
    );
    let answers: Vec<u16> = (0..6)
        .map(|_| {
            server
                .request("POST", "/api/v1/lead", &[("X-API-KEY", &acme.key)], ORDER.as_bytes())
                .status
        })
        .collect();
    assert!(answers.contains(&429), "{answers:?}");
    let off = common::Server::start(
        &db.url,
        &[("LEAD_RATE_LIMIT_PER_IP", "0"), ("LEAD_RATE_LIMIT_PER_KEY", "0")],
    );
    let answers: Vec<u16> = (0..60)
        .map(|_| {
            off.request("POST", "/api/v1/lead", &[("X-API-KEY", &acme.key)], ORDER.as_bytes())
                .status
        })
        .collect();
    assert!(answers.iter().all(|s| *s == 200), "0 turns the limits off");
}

/// Posts `body` with an `Idempotency-Key`.
fn post_idempotent(app: &TestApp, key: &str, idempotency_key: &str, body: &str) -> Response {
    app.server.request(
        "POST",
        "/api/v1/lead.php",
        &[("X-API-KEY", key), ("Idempotency-Key", idempotency_key)],
        body.as_bytes(),
    )
}

backend_test! {
fn a_retry_with_the_same_idempotency_key_gets_the_first_answer_and_stores_nothing() {
    let app = TestApp::spawn();
    let first = post_idempotent(&app, &app.acme.key, "bestellung-4711", ORDER);
    let id = assert_success(&first, "order");
    for _ in 0..3 {
        let retry = post_idempotent(&app, &app.acme.key, "bestellung-4711", ORDER);
        assert_eq!(retry.status, 200);
        assert_eq!(retry.body, first.body, "byte for byte the first answer");
    }
    assert_eq!((app.totals().orders, app.totals().notifications), (1, 2));
    // Without the header, or with another key, it is a new lead.
    assert_ne!(assert_success(&app.post_lead(&app.acme.key, ORDER), "order"), id);
    assert_ne!(assert_success(&post_idempotent(&app, &app.acme.key, "bestellung-4712", ORDER), "order"), id);
    // Another website's same Idempotency-Key is its own.
    let other = add_company(&app.store, "Other", 0);
    assert_success(&post_idempotent(&app, &other.key, "bestellung-4711", ORDER), "order");
    assert_eq!(app.totals().orders, 4);
}
}

backend_test! {
fn the_same_idempotency_key_with_another_body_is_422_and_kept_for_review() {
    let app = TestApp::spawn();
    assert_success(&post_idempotent(&app, &app.acme.key, "k-1", ORDER), "order");
    let other_body = r#"{"type":"order","email":"kunde@beispiel.de","total":1}"#;
    for body in [other_body, TICKET] {
        let answer = post_idempotent(&app, &app.acme.key, "k-1", body);
        answer.assert_error(422, "idempotency_conflict", None);
        assert!(answer.json()["message"].as_str().unwrap().contains("gespeichert"), "{}", answer.text());
    }
    // Both are stored, held back for the operator, and nobody was told about them.
    assert_eq!((app.totals().orders, app.totals().tickets, app.totals().notifications), (2, 1, 2));
    let held = app.store.list_held_orders(app.acme.id, Some(lead_store::Hold::Conflict), None).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].total.cents(), 100);
    let held = app.store.list_held_tickets(app.acme.id, Some(lead_store::Hold::Conflict), None).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(app.store.list_orders(app.acme.id, None, None, None).unwrap().len(), 1, "the team sees the first");
}
}

backend_test! {
fn simultaneous_duplicates_create_exactly_one_record() {
    let app = TestApp::spawn();
    let answers: Vec<Response> = std::thread::scope(|scope| {
        let posts: Vec<_> = (0..12)
            .map(|_| scope.spawn(|| post_idempotent(&app, &app.acme.key, "doppelklick", TICKET)))
            .collect();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    });
    let ids: std::collections::BTreeSet<i64> = answers.iter().map(|a| assert_success(a, "ticket")).collect();
    assert_eq!(ids.len(), 1, "every answer names the one ticket");
    assert_eq!((app.totals().tickets, app.totals().notifications), (1, 2));
}
}

backend_test! {
fn a_rejected_request_does_not_use_up_its_idempotency_key_and_keys_expire_after_a_day() {
    let app = TestApp::spawn();
    post_idempotent(&app, &app.acme.key, "k-2", r#"{"type":"order"}"#).assert_error(400, "missing_field", Some("email"));
    let first = assert_success(&post_idempotent(&app, &app.acme.key, "k-2", ORDER), "order");
    // A day and a second later the key is new again.
    let day_ago = "created_at - 86401000";
    app.db.execute(
        &format!("UPDATE idempotency_keys SET created_at = {day_ago};"),
        &format!("UPDATE idempotency_keys SET created_at = {day_ago};"),
    );
    let later = assert_success(&post_idempotent(&app, &app.acme.key, "k-2", ORDER), "order");
    assert_ne!(later, first);
    assert_eq!(app.totals().orders, 2);
}
}

backend_test! {
fn malformed_idempotency_keys_are_400() {
    let app = TestApp::spawn();
    for bad in [" ", &"k".repeat(256), "mit leerzeichen"] {
        post_idempotent(&app, &app.acme.key, bad, ORDER).assert_error(400, "invalid_field", Some("Idempotency-Key"));
    }
    app.assert_nothing_stored();
}
}
