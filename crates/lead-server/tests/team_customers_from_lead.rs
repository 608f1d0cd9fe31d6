//! A customer file from a lead in one step: prefilled from what the website sent, or the file
//! that has the address already; the lead filed into it with the company's other unfiled
//! leads from the address — in the team API and on the lead's dashboard page.

mod common;

use common::team::{intruder, ok, post, ticket};
use common::{token_for, TestApp};
use lead_store::{OrderId, OrderRecord, TicketId, TicketRecord};
use serde_json::json;

backend_test! {
fn an_order_makes_a_prefilled_file_and_brings_the_senders_other_leads() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let earlier = post(&app, &app.acme, &ticket("Juergen@Mueller.de"));
    let order = post(
        &app,
        &app.acme,
        &json!({
            "type": "order", "email": "juergen@mueller.de", "total": 49.9,
            "Vorname": "Jürgen", "Nachname": "Müller", "telefon": "0351 4711",
            "rechnungsadresse": {"strasse": "Hauptstraße 1", "plz": "01067", "ort": "Dresden"},
            "firma": "Müller Bau"
        })
        .to_string(),
    );
    // Another company's lead from the same address stays where it is.
    let (other, theirs) = intruder(&app);
    let foreign = post(&app, &other, &ticket("juergen@mueller.de"));

    let made = app.team("POST", &format!("/api/v1/orders/{order}/customer"), &token, "");
    assert_eq!(made.status, 201, "{}", made.text());
    let customer = made.json();
    assert_eq!(customer["name"], "Jürgen Müller");
    assert_eq!(customer["email"], "juergen@mueller.de");
    assert_eq!(customer["phone"], "0351 4711");
    assert_eq!(customer["company"], "Müller Bau");
    assert_eq!(customer["street"], "Hauptstraße 1");
    assert_eq!(customer["zip"], "01067");
    assert_eq!(customer["city"], "Dresden");
    assert_eq!(customer["country"], "");
    let id = customer["id"].as_i64().unwrap();
    let filed = |lead: lead_store::Result<Option<lead_store::CustomerId>>| lead.unwrap().map(|c| c.get());
    assert_eq!(filed(app.store.team().lead::<OrderRecord>(app.acme.id, OrderId::new(order)).map(|o| o.customer_id)), Some(id));
    assert_eq!(filed(app.store.team().lead::<TicketRecord>(app.acme.id, TicketId::new(earlier)).map(|t| t.customer_id)), Some(id), "the sender's earlier ticket came along");
    assert_eq!(filed(app.store.team().lead::<TicketRecord>(other.id, TicketId::new(foreign)).map(|t| t.customer_id)), None);

    // Once filed: a conflict, and nothing new.
    let again = app.team("POST", &format!("/api/v1/orders/{order}/customer"), &token, "");
    again.assert_error(409, "conflict", None);
    assert_eq!(again.json()["message"], "Die Bestellung liegt bereits in einer Kundenakte.");
    assert_eq!(ok(app.team("GET", "/api/v1/customers", &token, ""))["items"].as_array().unwrap().len(), 1);

    // A later lead from an address the file has is filed on arrival; a lead from a further
    // address made with the API gets that file, not a second one (200).
    ok(app.team("PATCH", &format!("/api/v1/customers/{id}"), &token, r#"{"emails":["j.m@firma.de"]}"#));
    let later = post(&app, &app.acme, &ticket("j.m@firma.de"));
    assert_eq!(filed(app.store.team().lead::<TicketRecord>(app.acme.id, TicketId::new(later)).map(|t| t.customer_id)), Some(id));
    app.team("POST", &format!("/api/v1/tickets/{later}/customer"), &token, "")
        .assert_error(409, "conflict", None);

    // Another company's lead, a held or unknown one: not found.
    app.team("POST", &format!("/api/v1/tickets/{foreign}/customer"), &token, "")
        .assert_error(404, "not_found", None);
    app.team("POST", "/api/v1/orders/999999/customer", &token, "")
        .assert_error(404, "not_found", None);
    app.team("POST", &format!("/api/v1/orders/{order}/customer"), &theirs, "")
        .assert_error(404, "not_found", None);
}
}

backend_test! {
fn a_lead_whose_address_has_a_file_is_filed_there_and_a_bare_one_is_named_by_its_address() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    // Filed by the team after it arrived: the customer was made later.
    let first = post(&app, &app.acme, &ticket("kunde@beispiel.de"));
    let existing = app.store.team().add_customer(app.acme.id, "Stammkunde", "KUNDE@beispiel.de").unwrap().id;
    let answer = app.team("POST", &format!("/api/v1/tickets/{first}/customer"), &token, "");
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["id"], existing.get());
    assert_eq!(answer.json()["name"], "Stammkunde", "the file is not changed");

    // A body that tells nothing but the address: the address is the name.
    let bare = post(&app, &app.acme, &ticket("neu@beispiel.de"));
    let made = app.team("POST", &format!("/api/v1/tickets/{bare}/customer"), &token, "");
    assert_eq!(made.status, 201, "{}", made.text());
    assert_eq!(made.json()["name"], "neu@beispiel.de");
    assert_eq!(made.json()["phone"], "");
}
}

backend_test! {
fn the_lead_page_makes_the_file_with_one_click() {
    let app = TestApp::spawn();
    let (cookie, csrf) = common::pages::first_employee_session(&app);
    let order = |email: &str| {
        post(
            &app,
            &app.acme,
            &json!({"type": "order", "email": email, "total": 10, "name": "Anna Schmidt", "phone": "0170 1"}).to_string(),
        )
    };
    let first = order("anna@schmidt.de");
    let get = |path: &str| {
        let page = app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"");
        assert_eq!(page.status, 200, "{path}");
        page.text()
    };
    assert!(get(&format!("/app/orders/{first}")).contains("Kundenakte anlegen"));
    let form = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    // Without the form's token nothing is made.
    let forged = app.server.request(
        "POST",
        &format!("/app/orders/{first}/customer"),
        &form,
        b"csrf=0123456789abcdef0123456789abcdef",
    );
    assert_eq!(forged.status, 403);
    assert!(app.store.team().list_customers(app.acme.id, None, None, None).unwrap().is_empty());

    let made = app.server.request(
        "POST",
        &format!("/app/orders/{first}/customer"),
        &form,
        format!("csrf={csrf}").as_bytes(),
    );
    assert_eq!(made.status, 303, "{}", made.text());
    let file = made.header("location").expect("to the file").to_owned();
    assert!(file.starts_with("/app/customers/"), "{file}");
    let shown = get(&file);
    assert!(shown.contains("Anna Schmidt") && shown.contains("0170 1"), "{shown}");
    let page = get(&format!("/app/orders/{first}"));
    assert!(page.contains("Zur Kundenakte") && !page.contains("Kundenakte anlegen"));
    // Again on a filed lead: the German page of the conflict, nothing new.
    let again = app.server.request(
        "POST",
        &format!("/app/orders/{first}/customer"),
        &form,
        format!("csrf={csrf}").as_bytes(),
    );
    assert_eq!(again.status, 409);
    assert!(again.text().contains("Die Bestellung liegt bereits in einer Kundenakte."));
    assert_eq!(app.store.team().list_customers(app.acme.id, None, None, None).unwrap().len(), 1);
}
}
