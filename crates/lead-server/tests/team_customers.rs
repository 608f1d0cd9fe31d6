//! The team's customers: created, searched (in any case), their files, and earlier leads
//! claimed by their email.

mod common;

use common::team::{ids, intruder, ok, post, ticket};
use common::{token_for, TestApp};
use lead_store::{OrderId, TicketId};
use serde_json::json;

trait Created {
    fn map_status_201(self) -> Self;
}

impl Created for common::Response {
    /// Lets `ok()` check a `201 Created` answer like a `200`.
    fn map_status_201(mut self) -> Self {
        assert_eq!(self.status, 201, "{}", self.text());
        self.status = 200;
        self
    }
}

backend_test! {
fn customers_are_created_searched_and_filed() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let created = app.team(
        "POST",
        "/api/v1/customers",
        &token,
        r#"{"name":"Max Mustermann","email":" Max@Beispiel.de "}"#,
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let max = created.json()["id"].as_i64().unwrap();
    assert_eq!(created.json()["email"], "Max@Beispiel.de");
    app.team(
        "POST",
        "/api/v1/customers",
        &token,
        r#"{"name":"Zwei","email":"max@beispiel.DE"}"#,
    )
    .assert_error(409, "conflict", None);
    app.team("POST", "/api/v1/customers", &token, r#"{"email":"a@b.de"}"#)
        .assert_error(400, "missing_field", Some("name"));
    // Every message in German, never a library's English.
    for (body, field, message) in [
        (r#"{"name":"A","email":"kaputt"}"#, "email", "Das Feld „email“ enthält keine gültige E-Mail-Adresse."),
        (r#"{"name":"   ","email":"a@b.de"}"#, "name", "Das Pflichtfeld „name“ fehlt."),
    ] {
        let answer = app.team("POST", "/api/v1/customers", &token, body);
        let code = if field == "name" { "missing_field" } else { "invalid_field" };
        answer.assert_error(400, code, Some(field));
        assert_eq!(answer.json()["message"], message);
    }
    let long = format!(r#"{{"name":"{}","email":"a@b.de"}}"#, "n".repeat(201));
    let answer = app.team("POST", "/api/v1/customers", &token, &long);
    assert_eq!(answer.json()["message"], "Das Feld „name“ ist länger als 200 Zeichen.");
    app.team("POST", "/api/v1/customers", &token, "[]")
        .assert_error(400, "invalid_json", None);
    let erika = ok(app
        .team(
            "POST",
            "/api/v1/customers",
            &token,
            r#"{"name":"Erika 100%_Rabatt","email":"erika@shop.de"}"#,
        )
        .map_status_201())["id"]
        .as_i64()
        .unwrap();

    assert_eq!(ids(&ok(app.team("GET", "/api/v1/customers", &token, ""))), [erika, max]);
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/customers?q=MUSTER", &token, ""))),
        [max]
    );
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/customers?q=shop.de", &token, ""))),
        [erika]
    );
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/customers?q=100%25_", &token, ""))),
        [erika]
    );
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/customers?q=%25", &token, ""))),
        [erika],
        "% matches literally"
    );
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/customers?q=nobody", &token, ""))),
        Vec::<i64>::new()
    );

    // The file: the customer's tickets and orders, newest first.
    let t1 = post(&app, &app.acme, &ticket("max@beispiel.de"));
    let o1 = post(
        &app,
        &app.acme,
        r#"{"type":"order","email":"MAX@beispiel.de","total":5}"#,
    );
    let t2 = post(&app, &app.acme, &ticket(" Max@Beispiel.de"));
    post(&app, &app.acme, &ticket("someone@else.de"));
    let file = ok(app.team("GET", &format!("/api/v1/customers/{max}"), &token, ""));
    assert_eq!(file["name"], "Max Mustermann");
    let ticket_ids: Vec<i64> = file["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ticket_ids, [t2, t1]);
    assert_eq!(file["orders"][0]["id"], o1);
    assert_eq!(file["orders"].as_array().unwrap().len(), 1);
}
}

backend_test! {
fn a_customer_file_comes_in_pages() {
    // Before, the file loaded every record of the customer at once, without a limit.
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let customer = app.store.team().add_customer(app.acme.id, "Stamm", "stamm@kunde.de").unwrap().id;
    let mut tickets: Vec<i64> = (0..5)
        .map(|n| {
            let body = format!(r#"{{"type":"ticket","email":"stamm@kunde.de","subject":"Frage {n}","message":"Hallo"}}"#);
            post(&app, &app.acme, &body)
        })
        .collect();
    let mut orders: Vec<i64> = (0..3)
        .map(|n| post(&app, &app.acme, &format!(r#"{{"type":"order","email":"stamm@kunde.de","total":{n}}}"#)))
        .collect();
    tickets.reverse();
    orders.reverse();
    let file = ok(app.team("GET", &format!("/api/v1/customers/{customer}?limit=2"), &token, ""));
    let listed = |list: &serde_json::Value| -> Vec<i64> {
        list.as_array().unwrap().iter().map(|item| item["id"].as_i64().unwrap()).collect()
    };
    assert_eq!(listed(&file["tickets"]), tickets[..2]);
    assert_eq!(listed(&file["orders"]), orders[..2]);
    // Each list goes on from its own cursor, page by page, to the oldest.
    for (kind, all) in [("tickets", &tickets), ("orders", &orders)] {
        let mut seen = listed(&file[kind]);
        let mut cursor = file[format!("{kind}_next_cursor")].as_str().map(str::to_owned);
        while let Some(next) = cursor {
            let page = ok(app.team("GET", &format!("/api/v1/customers/{customer}/{kind}?limit=2&cursor={next}"), &token, ""));
            seen.extend(ids(&page));
            cursor = page["next_cursor"].as_str().map(str::to_owned);
        }
        assert_eq!(&seen, all, "{kind}");
    }
    let whole = ok(app.team("GET", &format!("/api/v1/customers/{customer}"), &token, ""));
    assert_eq!(listed(&whole["tickets"]), tickets, "50 by default");
    assert!(whole["tickets_next_cursor"].is_null() && whole["orders_next_cursor"].is_null());
    app.team("GET", &format!("/api/v1/customers/{customer}?limit=0"), &token, "")
        .assert_error(400, "invalid_field", Some("limit"));
    app.team("GET", &format!("/api/v1/customers/{customer}/orders?cursor=x"), &token, "")
        .assert_error(400, "invalid_field", Some("cursor"));
    // Another company's customer is not found, exactly like one that does not exist.
    let (_, intruder) = intruder(&app);
    for path in ["", "/tickets", "/orders"] {
        let foreign = app.team("GET", &format!("/api/v1/customers/{customer}{path}"), &intruder, "");
        let missing = app.team("GET", &format!("/api/v1/customers/999999{path}"), &intruder, "");
        foreign.assert_error(404, "not_found", None);
        assert_eq!(foreign.text(), missing.text().replace("999999", &customer.to_string()));
    }
}
}

backend_test! {
fn claim_files_the_unassigned_leads_with_the_customers_email() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    // Leads arrive before the customer exists: unassigned.
    let t1 = post(&app, &app.acme, &ticket("neu@kunde.de"));
    let o1 = post(&app, &app.acme, r#"{"type":"order","email":"NEU@kunde.de"}"#);
    let unrelated = post(&app, &app.acme, &ticket("anders@kunde.de"));
    let (other, _) = intruder(&app);
    let foreign = post(&app, &other, &ticket("neu@kunde.de"));
    let customer = app.store.team().add_customer(app.acme.id, "Neu", "neu@kunde.de").unwrap().id;

    let claimed = ok(app.team("POST", &format!("/api/v1/customers/{customer}/claim"), &token, ""));
    assert_eq!(claimed, json!({"tickets": 1, "orders": 1}));
    assert_eq!(
        app.store.team().lead::<lead_store::TicketRecord>(app.acme.id, TicketId::new(t1)).unwrap().customer_id,
        Some(customer)
    );
    assert_eq!(
        app.store.team().lead::<lead_store::OrderRecord>(app.acme.id, OrderId::new(o1)).unwrap().customer_id,
        Some(customer)
    );
    assert_eq!(app.store.team().lead::<lead_store::TicketRecord>(app.acme.id, TicketId::new(unrelated)).unwrap().customer_id, None);
    assert_eq!(
        app.store.team().lead::<lead_store::TicketRecord>(other.id, TicketId::new(foreign)).unwrap().customer_id,
        None,
        "another company's lead"
    );
    let again = ok(app.team("POST", &format!("/api/v1/customers/{customer}/claim"), &token, ""));
    assert_eq!(again, json!({"tickets": 0, "orders": 0}));
}
}

backend_test! {
fn customer_search_ignores_case_beyond_ascii() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let id = app
        .store
        .team().add_customer(app.acme.id, "JÜRGEN MÜLLER", "j.mueller@example.de")
        .unwrap()
        .id
        .get();
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/customers?q=m%C3%BCller", &token, ""))),
        [id]
    );
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/customers?q=J%C3%BCrgen", &token, ""))),
        [id]
    );
}
}

backend_test! {
fn notes_are_kept_on_orders_tickets_and_customers_of_ones_own_company() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let order = post(&app, &app.acme, r#"{"type":"order","email":"max@beispiel.de","total":5}"#);
    let ticket = post(&app, &app.acme, &ticket("max@beispiel.de"));
    let customer = app.store.team().add_customer(app.acme.id, "Max", "max@beispiel.de").unwrap().id;
    for path in [
        format!("/api/v1/orders/{order}/notes"),
        format!("/api/v1/tickets/{ticket}/notes"),
        format!("/api/v1/customers/{customer}/notes"),
    ] {
        let created = app.team("POST", &path, &token, r#"{"text":"  Rückruf am Montag <b>wichtig</b>  "}"#);
        assert_eq!(created.status, 201, "{path}: {}", created.text());
        let note = created.json();
        assert_eq!(note["text"], "Rückruf am Montag <b>wichtig</b>");
        assert_eq!(note["author"]["id"], app.acme.employees[0].get());
        assert!(note["created_at"].as_str().unwrap().ends_with('Z'));
        app.team("POST", &path, &token, r#"{"text":"   "}"#)
            .assert_error(400, "missing_field", Some("text"));
        app.team("POST", &path, &token, r#"{}"#).assert_error(400, "missing_field", Some("text"));
        let long = format!(r#"{{"text":"{}"}}"#, "x".repeat(10_001));
        app.team("POST", &path, &token, &long).assert_error(400, "invalid_field", Some("text"));
        let listed = ok(app.team("GET", &path, &token, ""));
        assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{path}");
        assert_eq!(listed["items"][0]["id"], note["id"]);
    }
    // Another company's records are not found, exactly like missing ones, and get no notes.
    let (_, intruder) = intruder(&app);
    for (path, missing) in [
        (format!("/api/v1/orders/{order}/notes"), "/api/v1/orders/999999/notes"),
        (format!("/api/v1/tickets/{ticket}/notes"), "/api/v1/tickets/999999/notes"),
        (format!("/api/v1/customers/{customer}/notes"), "/api/v1/customers/999999/notes"),
    ] {
        for method in ["GET", "POST"] {
            let foreign = app.team(method, &path, &intruder, r#"{"text":"Hallo"}"#);
            let none = app.team(method, missing, &intruder, r#"{"text":"Hallo"}"#);
            foreign.assert_error(404, "not_found", None);
            assert_eq!(foreign.json()["message"], none.json()["message"], "{method} {path}");
        }
    }
    assert_eq!(ok(app.team("GET", &format!("/api/v1/orders/{order}/notes"), &token, ""))["items"].as_array().unwrap().len(), 1);
    // A held lead (spam) is not the team's: no notes on it.
    let spam = post(&app, &app.acme, r#"{"type":"ticket","email":"bot@x.de","message":"x","_gotcha":"y"}"#);
    app.team("POST", &format!("/api/v1/tickets/{spam}/notes"), &token, r#"{"text":"Hallo"}"#)
        .assert_error(404, "not_found", None);
}
}
