//! The team changes a customer's file: every field, the further addresses a lead is filed
//! by, the history of who changed what — and every wrong change refused with nothing changed.

mod common;

use common::team::{intruder, ok, post, ticket};
use common::{token_for, TestApp};
use lead_store::TicketId;
use serde_json::{json, Value};

fn create(app: &TestApp, token: &str, name: &str, email: &str) -> i64 {
    let body = json!({"name": name, "email": email}).to_string();
    let created = app.team("POST", "/api/v1/customers", token, &body);
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()["id"].as_i64().unwrap()
}

fn patch(app: &TestApp, token: &str, id: i64, body: Value) -> common::Response {
    app.team("PATCH", &format!("/api/v1/customers/{id}"), token, &body.to_string())
}

fn history(app: &TestApp, token: &str, id: i64) -> Vec<Value> {
    ok(app.team("GET", &format!("/api/v1/customers/{id}/history"), token, ""))["items"]
        .as_array()
        .unwrap()
        .clone()
}

backend_test! {
fn a_customer_is_changed_field_by_field_and_its_history_says_who_and_what() {
    let app = TestApp::spawn();
    let employee = app.acme.employees[0];
    let token = token_for(&app.store, employee);
    let max = create(&app, &token, "Max Mustermann", "max@beispiel.de");
    let fresh = ok(app.team("GET", &format!("/api/v1/customers/{max}"), &token, ""));
    for field in ["phone", "company", "street", "zip", "city", "country"] {
        assert_eq!(fresh[field], "", "{field}");
    }
    assert_eq!(fresh["emails"], json!([]));

    let changed = ok(patch(
        &app,
        &token,
        max,
        json!({
            "phone": " +49 351 1234567 ",
            "company": "Mustermann Bau GmbH",
            "street": "Hauptstraße 1",
            "zip": "01067",
            "city": "Dresden",
            "country": "Deutschland",
            "emails": ["M.Mustermann@Firma.de", "max@privat.de", "m.mustermann@firma.DE"],
        }),
    ));
    assert_eq!(changed["phone"], "+49 351 1234567", "trimmed");
    assert_eq!(changed["zip"], "01067", "a postal code is text");
    assert_eq!(changed["company"], "Mustermann Bau GmbH");
    assert_eq!(
        changed["emails"],
        json!(["M.Mustermann@Firma.de", "max@privat.de"]),
        "an address given twice is kept once"
    );
    assert_eq!(changed["name"], "Max Mustermann", "what was not given stays");
    assert_eq!(changed["email"], "max@beispiel.de");
    // The file shows the same customer.
    let file = ok(app.team("GET", &format!("/api/v1/customers/{max}"), &token, ""));
    for field in ["phone", "company", "street", "zip", "city", "country", "emails", "email"] {
        assert_eq!(file[field], changed[field], "{field}");
    }

    // A lead from a further address, in any case, is filed under the customer.
    let id = post(&app, &app.acme, &ticket("m.mustermann@FIRMA.de"));
    let filed = app.store.team().lead::<lead_store::TicketRecord>(app.acme.id, TicketId::new(id)).unwrap();
    assert_eq!(filed.customer_id.map(|c| c.get()), Some(max));

    // The history: who, when, each field from what to what.
    let entries = history(&app, &token, max);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["by"]["id"], employee.get());
    let changes = entries[0]["changes"].as_array().unwrap();
    let change = |field: &str| changes.iter().find(|c| c["field"] == field).unwrap_or_else(|| panic!("{field} in {changes:?}"));
    assert_eq!(change("phone")["before"], "");
    assert_eq!(change("phone")["after"], "+49 351 1234567");
    assert_eq!(change("emails")["after"], "M.Mustermann@Firma.de, max@privat.de");
    assert_eq!(changes.len(), 7, "only what changed: {changes:?}");

    // A change that changes nothing writes nothing; a new main address and fewer further ones
    // are one entry, and the old main address no longer files leads.
    ok(patch(&app, &token, max, json!({"city": "Dresden", "phone": "+49 351 1234567"})));
    assert_eq!(history(&app, &token, max).len(), 1);
    let moved = ok(patch(&app, &token, max, json!({"email": "max@privat.de", "emails": ["M.Mustermann@Firma.de"], "name": "Max M."})));
    assert_eq!(moved["email"], "max@privat.de");
    assert_eq!(moved["emails"], json!(["M.Mustermann@Firma.de"]));
    let entries = history(&app, &token, max);
    assert_eq!(entries.len(), 2);
    let newest = entries[0]["changes"].as_array().unwrap();
    let fields: Vec<&str> = newest.iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "email", "emails"]);
    let id = post(&app, &app.acme, &ticket("max@beispiel.de"));
    let unfiled = app.store.team().lead::<lead_store::TicketRecord>(app.acme.id, TicketId::new(id)).unwrap();
    assert_eq!(unfiled.customer_id, None, "the old main address is no longer the customer's");
    // `null` is as if not given; empty clears.
    let cleared = ok(patch(&app, &token, max, json!({"phone": "", "emails": [], "city": null})));
    assert_eq!(cleared["phone"], "");
    assert_eq!(cleared["emails"], json!([]));
    assert_eq!(cleared["city"], "Dresden");

    // Claiming files earlier leads from every address of the customer.
    let claimed = ok(app.team("POST", &format!("/api/v1/customers/{max}/claim"), &token, ""));
    assert_eq!(claimed["tickets"], 0, "the address is no longer the customer's: {claimed}");
}
}

backend_test! {
fn wrong_changes_are_refused_and_change_nothing() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let max = create(&app, &token, "Max", "max@beispiel.de");
    let erika = create(&app, &token, "Erika", "erika@shop.de");
    ok(patch(&app, &token, erika, json!({"emails": ["erika@privat.de"]})));
    let before = ok(app.team("GET", &format!("/api/v1/customers/{max}"), &token, ""));
    let too_many: Vec<String> = (0..21).map(|n| format!("max{n}@beispiel.de")).collect();
    for (body, status, code, field) in [
        (json!({"emails": ["max@privat.de", "kaputt"]}), 400, "invalid_field", Some("emails")),
        (json!({"email": "kaputt"}), 400, "invalid_field", Some("email")),
        (json!({"name": "   "}), 400, "invalid_field", Some("name")),
        (json!({"phone": 5}), 400, "invalid_field", Some("phone")),
        (json!({"emails": "max@privat.de"}), 400, "invalid_field", Some("emails")),
        (json!({"city": "Dres\u{7}den"}), 400, "invalid_field", Some("city")),
        (json!({"zip": "1".repeat(201)}), 400, "invalid_field", Some("zip")),
        (json!({"emails": too_many}), 400, "invalid_field", Some("emails")),
        (json!({"nmae": "Max"}), 400, "invalid_field", Some("body")),
        // Another customer's address, main or further.
        (json!({"phone": "1", "emails": ["ERIKA@shop.de"]}), 409, "conflict", None),
        (json!({"phone": "1", "email": "erika@privat.de"}), 409, "conflict", None),
    ] {
        let answer = patch(&app, &token, max, body.clone());
        answer.assert_error(status, code, field);
        let message = answer.json()["message"].as_str().unwrap().to_owned();
        assert!(!message.is_empty() && !message.contains("Diesel"), "{body}: {message}");
    }
    app.team("PATCH", &format!("/api/v1/customers/{max}"), &token, "[]")
        .assert_error(400, "invalid_json", None);
    // Nothing of it was written, nor noted in the history.
    assert_eq!(ok(app.team("GET", &format!("/api/v1/customers/{max}"), &token, "")), before);
    assert!(history(&app, &token, max).is_empty());
    // Erika's address files leads under Erika still.
    let id = post(&app, &app.acme, &ticket("erika@privat.de"));
    let filed = app.store.team().lead::<lead_store::TicketRecord>(app.acme.id, TicketId::new(id)).unwrap();
    assert_eq!(filed.customer_id.map(|c| c.get()), Some(erika));

    // Another company's customer is not there; nor is one that never was.
    let (_, theirs) = intruder(&app);
    patch(&app, &theirs, max, json!({"phone": "1"})).assert_error(404, "not_found", None);
    app.team("GET", &format!("/api/v1/customers/{max}/history"), &theirs, "")
        .assert_error(404, "not_found", None);
    patch(&app, &token, 999_999, json!({"phone": "1"})).assert_error(404, "not_found", None);
    let anonymous = app.server.request("PATCH", &format!("/api/v1/customers/{max}"), &[], br#"{"phone":"1"}"#);
    assert_eq!(anonymous.status, 401);
    assert_eq!(ok(app.team("GET", &format!("/api/v1/customers/{max}"), &token, "")), before);
}
}

backend_test! {
fn erasing_a_person_by_a_further_address_takes_the_file_with_its_addresses_and_history() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let max = create(&app, &token, "Max", "max@beispiel.de");
    ok(patch(&app, &token, max, json!({"emails": ["max@privat.de"], "phone": "0351 1"})));
    let exported = app.store.privacy().export_person(app.acme.id, "max@privat.de").unwrap();
    assert_eq!(exported.customers.len(), 1, "found by its further address");
    assert_eq!(exported.customers[0].phone, "0351 1");
    // The file's history is the person's data too: the values before and after.
    let document = lead_present::person::document(exported);
    assert_eq!(document["customers"][0]["emails"], json!(["max@privat.de"]));
    let history = &document["customer_history"];
    assert_eq!(history.as_array().map(Vec::len), Some(1), "{document}");
    assert_eq!(history[0]["customer_id"], max);
    assert_eq!(history[0]["changes"][1], json!(["phone", "", "0351 1"]), "{history}");
    assert!(history[0]["by"].as_str().is_some_and(|by| !by.is_empty()));
    let erased = app.store.privacy().erase_person(app.acme.id, "MAX@privat.de", false).unwrap();
    assert_eq!(erased.customers, 1);
    app.team("GET", &format!("/api/v1/customers/{max}"), &token, "")
        .assert_error(404, "not_found", None);
    // Both addresses are free again: a new customer may have them.
    create(&app, &token, "Neu", "max@privat.de");
    create(&app, &token, "Neu 2", "max@beispiel.de");
}
}

backend_test! {
fn the_dashboard_edits_the_file_in_one_form() {
    let app = TestApp::spawn();
    let (cookie, csrf) = common::pages::first_employee_session(&app);
    let max = app.store.team().add_customer(app.acme.id, "Max", "max@a.de").unwrap().id;
    let page = |path: &str| app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"").text();
    let shown = page(&format!("/app/customers/{max}"));
    assert!(shown.contains("Akte bearbeiten") && shown.contains(r#"value="max@a.de""#), "{shown}");
    let form = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let send = |csrf: &str, fields: &[(&str, &str)]| {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("csrf", csrf)
            .extend_pairs(fields)
            .finish();
        app.server.request("POST", &format!("/app/customers/{max}/edit"), &form, body.as_bytes())
    };
    let all = |phone: &'static str, emails: &'static str| {
        vec![
            ("name", "Max"),
            ("email", "max@a.de"),
            ("phone", phone),
            ("company", ""),
            ("street", "Hauptstraße 1"),
            ("zip", "01067"),
            ("city", "Dresden"),
            ("country", ""),
            ("emails", emails),
        ]
    };
    assert_eq!(send("0123456789abcdef0123456789abcdef", &all("1", "")).status, 403);
    // A wrong address: the German page says which, and nothing changed.
    let wrong = send(&csrf, &all("0351 1", "kaputt"));
    assert_eq!(wrong.status, 400);
    assert!(wrong.text().contains("emails"), "{}", wrong.text());
    assert_eq!(app.store.team().get_customer(app.acme.id, max).unwrap().phone, "");

    let saved = send(&csrf, &all("0351 1", "max@b.de\r\nmax@c.de"));
    assert_eq!(saved.status, 303, "{}", saved.text());
    let customer = app.store.team().get_customer(app.acme.id, max).unwrap();
    assert_eq!(customer.phone, "0351 1");
    assert_eq!(customer.zip, "01067");
    assert_eq!(customer.emails, ["max@b.de", "max@c.de"]);
    let shown = page(&format!("/app/customers/{max}"));
    assert!(shown.contains("Verlauf der Akte") && shown.contains("Telefon „“ → „0351 1“"), "{shown}");
    // The same form again changes nothing and adds nothing to the history.
    assert_eq!(send(&csrf, &all("0351 1", "max@b.de\nmax@c.de")).status, 303);
    assert_eq!(app.store.team().customer_history(app.acme.id, max).unwrap().len(), 1);
}
}

backend_test! {
fn the_search_finds_a_customer_by_a_further_address_and_by_firm() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let id = create(&app, &token, "Max Müller", "max@mueller.de");
    let answer = patch(&app, &token, id, json!({"emails": ["m.privat@web.de"], "company": "Bau GmbH"}));
    assert_eq!(answer.status, 200, "{}", answer.text());
    create(&app, &token, "Eva Roth", "eva@roth.de");
    let found = |q: &str| -> Vec<i64> {
        let page = app.team("GET", &format!("/api/v1/customers?q={q}"), &token, "").json();
        page["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
    };
    assert_eq!(found("privat%40web"), [id], "a further address");
    assert_eq!(found("BAU"), [id], "the firm, in any case");
    assert_eq!(found("mueller.de"), [id], "the main address");
    assert!(found("nirgends").is_empty());
    // `%` and `_` are literal.
    assert!(found("%25").is_empty());
}
}
