//! The team's API: who an employee token lets in (and never across companies). The inbox,
//! customers and notifications have files of their own (`team_inbox.rs`,
//! `team_customers.rs`, `team_notifications.rs`).

mod common;

use common::team::{fresh_order, ids, intruder, ok, post, ticket, ORDER};
use common::{add_company, token_for, TestApp};
use lead_domain::OrderStatus;
use lead_store::{OrderId, TicketId};
use serde_json::json;

backend_test! {
fn a_token_identifies_the_employee() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let me = ok(app.team("GET", "/api/v1/me", &token, ""));
    assert_eq!(me["id"], app.acme.employees[0].get());
    assert_eq!(me["company_id"], app.acme.id.get());
    assert_eq!(me["name"], "Mitarbeiter 0");
}
}

backend_test! {
fn missing_or_wrong_credentials_are_401_unauthorized() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("Authorization", "Bearer".into())],
        vec![("Authorization", format!("Basic {token}"))],
        vec![(
            "Authorization",
            "Bearer lgt_notARealTokenAtAllnotARealTokenAtAll0123".into(),
        )],
        // An ingestion key is never an employee token, nor is a token sent as an API key.
        vec![("Authorization", format!("Bearer {}", app.acme.key))],
        vec![("X-API-KEY", token.clone())],
    ];
    for headers in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let response = app.server.request("GET", "/api/v1/orders", &headers, b"");
        response.assert_error(401, "unauthorized", None);
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    }
    // …and a token is no API key on the lead endpoint.
    app.post_lead(&token, ORDER).assert_error(403, "invalid_api_key", None);
    app.assert_nothing_stored();
}
}

backend_test! {
fn revoked_tokens_and_deactivated_employees_stop_at_once() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let second = token_for(&app.store, app.acme.employees[0]);
    ok(app.team("GET", "/api/v1/orders", &token, ""));

    let info = app.store.access().list_employee_tokens(Some(app.acme.employees[0])).unwrap();
    app.store.access().revoke_employee_token(info[0].id).unwrap();
    app.team("GET", "/api/v1/orders", &token, "")
        .assert_error(401, "unauthorized", None);
    ok(app.team("GET", "/api/v1/orders", &second, ""));

    app.store.access().set_employee_active(lead_store::Scope::Everyone, app.acme.employees[0], false).unwrap();
    app.team("GET", "/api/v1/orders", &second, "")
        .assert_error(401, "unauthorized", None);
    app.store.access().set_employee_active(lead_store::Scope::Everyone, app.acme.employees[0], true).unwrap();
    ok(app.team("GET", "/api/v1/orders", &second, ""));

    app.store.access().set_company_active(app.acme.id, false).unwrap();
    app.team("GET", "/api/v1/orders", &second, "")
        .assert_error(403, "forbidden", None);
}
}

backend_test! {
fn another_companys_ids_are_not_found_on_every_route() {
    let app = TestApp::spawn();
    let acme_token = token_for(&app.store, app.acme.employees[0]);
    let (_, intruder_token) = intruder(&app);
    let order = post(&app, &app.acme, &fresh_order());
    let ticket_id = post(&app, &app.acme, &ticket("max@acme-kunde.de"));
    let customer = app
        .store
        .team().add_customer(app.acme.id, "Max", "max@acme-kunde.de")
        .unwrap()
        .id;
    let note = ids(&ok(app.team("GET", "/api/v1/notifications", &acme_token, "")))[0];

    let attempts: Vec<(&str, String, String)> = vec![
        ("GET", format!("/api/v1/orders/{order}"), String::new()),
        ("POST", format!("/api/v1/orders/{order}/accept"), String::new()),
        ("POST", format!("/api/v1/orders/{order}/reject"), String::new()),
        ("GET", format!("/api/v1/tickets/{ticket_id}"), String::new()),
        ("POST", format!("/api/v1/tickets/{ticket_id}/close"), String::new()),
        ("POST", format!("/api/v1/tickets/{ticket_id}/reopen"), String::new()),
        (
            "POST",
            format!("/api/v1/tickets/{ticket_id}/assign"),
            format!(r#"{{"customer_id":{customer}}}"#),
        ),
        ("GET", format!("/api/v1/customers/{customer}"), String::new()),
        ("POST", format!("/api/v1/customers/{customer}/claim"), String::new()),
        ("POST", format!("/api/v1/notifications/{note}/read"), String::new()),
    ];
    for (method, path, body) in &attempts {
        let response = app.team(method, path, &intruder_token, body);
        response.assert_error(404, "not_found", None);
        let text = response.text();
        assert!(
            !text.contains("kunde@beispiel.de") && !text.contains("Max"),
            "no data: {text}"
        );
        // Exactly the answer for an id that exists nowhere.
        let nowhere = path
            .replace(&format!("/{order}"), "/999999")
            .replace(&format!("/{ticket_id}"), "/999999")
            .replace(&format!("/{customer}"), "/999999")
            .replace(&format!("/{note}/"), "/999999/");
        let missing = app.team(method, &nowhere, &intruder_token, body);
        assert_eq!(response.body, missing.body, "{method} {path} vs {nowhere}");
    }
    // Lists show only the intruder's own (empty) company; search finds nothing of Acme's.
    for list in [
        "/api/v1/orders",
        "/api/v1/tickets",
        "/api/v1/customers?q=max",
        "/api/v1/notifications",
    ] {
        let page = ok(app.team("GET", list, &intruder_token, ""));
        assert_eq!(page["items"], json!([]), "{list}");
    }
    // And nothing changed.
    assert_eq!(app.store.team().lead::<lead_store::OrderRecord>(app.acme.id, OrderId::new(order)).unwrap().status, OrderStatus::New);
    let t = app.store.team().lead::<lead_store::TicketRecord>(app.acme.id, TicketId::new(ticket_id)).unwrap();
    assert_eq!((t.status.as_str(), t.customer_id), ("open", None));
    assert_eq!(
        ids(&ok(app.team(
            "GET",
            "/api/v1/notifications?unread=true",
            &acme_token,
            ""
        )))
        .len(),
        2
    );
    // Assigning one's own ticket to another company's customer fails the same way.
    let (other, _) = (add_company(&app.store, "Third", 0), ());
    let foreign_customer = app.store.team().add_customer(other.id, "Fremd", "f@x.de").unwrap().id;
    app.team(
        "POST",
        &format!("/api/v1/tickets/{ticket_id}/assign"),
        &acme_token,
        &format!(r#"{{"customer_id":{foreign_customer}}}"#),
    )
    .assert_error(404, "not_found", None);
}
}
