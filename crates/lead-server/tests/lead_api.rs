//! The published lead endpoint, row by row of CONTRACT.md, against the real server: what a
//! stored lead becomes (its record, its customer, its notifications), the endpoint's other
//! methods, CORS, the health check, and that nothing is lost under load or a restart.
//! Authentication, validation and retries have files of their own (`lead_keys.rs`,
//! `lead_validation.rs`, `lead_retries.rs`).

mod common;

use common::leads::{assert_success, order, ORDER, TICKET};
use common::{add_company, TestApp};
use lead_domain::{OrderStatus, TicketStatus};
use lead_store::{LeadId, OrderId, TicketId};
use serde_json::json;

backend_test! {
fn an_order_lands_in_the_inbox_and_notifies_every_employee() {
    let app = TestApp::spawn();
    let id = assert_success(&app.post_lead(&app.acme.key, ORDER), "order");

    let orders = app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &Default::default()).unwrap();
    assert_eq!(orders.len(), 1);
    let order = &orders[0];
    assert_eq!(order.id, id);
    assert_eq!(order.status, OrderStatus::New);
    assert_eq!(order.total.cents(), 123_450);
    assert_eq!(order.title, "Bestellung 4711");
    assert_eq!(order.email, "kunde@beispiel.de");
    assert_eq!(order.payload, ORDER, "the original body is kept as sent");
    for &employee in &app.acme.employees {
        let notes = app.store.team().list_notifications(employee, false, None, None).unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(
            notes[0].text,
            "Neue Bestellung! Eine Web-Bestellung über 1.234,50 € ist eingegangen."
        );
        assert_eq!(notes[0].lead, Some(LeadId::Order(OrderId::new(id))));
        assert_eq!(notes[0].read_at, None);
    }
}
}

backend_test! {
fn the_published_example_creates_an_open_ticket() {
    let app = TestApp::spawn();
    let id = assert_success(&app.post_lead(&app.acme.key, TICKET), "ticket");
    let tickets = app.store.team().leads::<lead_store::TicketRecord>(app.acme.id, &Default::default()).unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].id, id);
    assert_eq!(tickets[0].status, TicketStatus::Open);
    assert_eq!(tickets[0].title, "Interesse an Beratung");
    assert_eq!(tickets[0].customer_id, None);
    assert_eq!(tickets[0].email, "max.mustermann@beispiel.de");
    let notes = app
        .store
        .team().list_notifications(app.acme.employees[0], false, None, None)
        .unwrap();
    assert_eq!(
        notes[0].text,
        "Neues Ticket! „Interesse an Beratung“ von max.mustermann@beispiel.de ist eingegangen."
    );
    assert_eq!(notes[0].lead, Some(LeadId::Ticket(TicketId::new(id))));
}
}

backend_test! {
fn a_ticket_without_subject_is_titled_anfrage_webseite() {
    let app = TestApp::spawn();
    for subject in ["", r#","subject":"   ""#, r#","subject":null"#] {
        let body = format!(r#"{{"type":"ticket","email":"a@b.de","message":"Hallo"{subject}}}"#);
        assert_success(&app.post_lead(&app.acme.key, &body), "ticket");
    }
    let tickets = app.store.team().leads::<lead_store::TicketRecord>(app.acme.id, &Default::default()).unwrap();
    assert!(tickets.iter().all(|t| t.title == "Anfrage Webseite"));
    let order = app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@b.de"}"#);
    assert_success(&order, "order");
    assert_eq!(
        app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &Default::default()).unwrap()[0].title,
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
fn custom_fields_are_kept_in_the_stored_payload() {
    let app = TestApp::spawn();
    let body = r#"{
  "type": "ticket", "email": "a@b.de", "message": "Rückruf bitte",
  "phone": "+49 30 1234567", "utm": {"source": "newsletter"}, "consent": true, "big": 12345678901234567890
}"#;
    assert_success(&app.post_lead(&app.acme.key, body), "ticket");
    assert_eq!(
        app.store.team().leads::<lead_store::TicketRecord>(app.acme.id, &Default::default()).unwrap()[0].payload,
        body
    );
}
}

backend_test! {
fn texts_are_stored_trimmed_with_case_kept() {
    let app = TestApp::spawn();
    let body = r#"{"type":"ticket","email":"  Max@Beispiel.DE ","subject":"  Frage  ","message":"\n Hallo Welt \n"}"#;
    assert_success(&app.post_lead(&app.acme.key, body), "ticket");
    let ticket = &app.store.team().leads::<lead_store::TicketRecord>(app.acme.id, &Default::default()).unwrap()[0];
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
        .team().add_customer(app.acme.id, "Max Mustermann", "max.mustermann@beispiel.de")
        .unwrap()
        .id;
    let other = add_company(&app.store, "Other", 1);
    let foreign = app
        .store
        .team().add_customer(other.id, "Fremder Max", "MAX.MUSTERMANN@beispiel.de")
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

    let tickets = app.store.team().leads::<lead_store::TicketRecord>(app.acme.id, &Default::default()).unwrap();
    assert_eq!(tickets[1].customer_id, Some(customer));
    assert_eq!(tickets[0].customer_id, None, "no customer matches: unassigned");
    assert_eq!(tickets[0].email, "unbekannt@beispiel.de");
    assert_eq!(
        app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &Default::default()).unwrap()[0].customer_id,
        Some(customer)
    );

    // The other company's lead with the same email goes to its own customer, never Acme's.
    assert_success(&app.post_lead(&other.key, ticket), "ticket");
    assert_eq!(
        app.store.team().leads::<lead_store::TicketRecord>(other.id, &Default::default()).unwrap()[0].customer_id,
        Some(foreign)
    );
}
}

backend_test! {
fn a_customer_of_another_company_never_matches() {
    let app = TestApp::spawn();
    let other = add_company(&app.store, "Other", 1);
    app.store.team().add_customer(other.id, "Fremd", "kunde@beispiel.de").unwrap();
    assert_success(&app.post_lead(&app.acme.key, ORDER), "order");
    assert_eq!(
        app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &Default::default()).unwrap()[0].customer_id,
        None
    );
}
}

backend_test! {
fn only_the_companys_own_active_employees_are_notified() {
    let app = TestApp::spawn();
    let other = add_company(&app.store, "Other", 2);
    app.store.access().set_employee_active(lead_store::Scope::Everyone, app.acme.employees[1], false).unwrap();

    assert_success(&app.post_lead(&app.acme.key, TICKET), "ticket");
    assert_eq!(
        app.store
            .team().list_notifications(app.acme.employees[0], false, None, None)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.store
            .team().list_notifications(app.acme.employees[1], false, None, None)
            .unwrap()
            .len(),
        0,
        "deactivated"
    );
    for &employee in &other.employees {
        assert!(
            app.store
                .team().list_notifications(employee, false, None, None)
                .unwrap()
                .is_empty(),
            "another company"
        );
    }
    assert_eq!(app.totals().notifications, 1);
    assert!(app.store.team().leads::<lead_store::OrderRecord>(other.id, &Default::default()).unwrap().is_empty());
    assert!(app.store.team().leads::<lead_store::TicketRecord>(other.id, &Default::default()).unwrap().is_empty());
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
    let keys = app.store.access().list_keys(Some(app.acme.id)).unwrap();
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
            app.store.team().list_notifications(employee, false, None, None).unwrap().len(),
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
    let orders = store.team().leads::<lead_store::OrderRecord>(acme.id, &Default::default()).unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].id, id);
    let second = server.request("POST", "/api/v1/lead", &[("X-API-KEY", &acme.key)], TICKET.as_bytes());
    assert_success(&second, "ticket");
}
}
