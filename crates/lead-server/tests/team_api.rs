//! The team's API: employee tokens, order inbox, tickets, customers, notifications and the
//! live stream — each route black-box against the real server, and never across companies.

mod common;

use std::time::Duration;

use common::{add_company, token_for, Company, SseClient, TestApp};
use lead_domain::OrderStatus;
use lead_store::{OrderId, TicketId};
use serde_json::{json, Value};

const ORDER: &str = r#"{"type":"order","email":"kunde@beispiel.de","subject":"Bestellung","total":49.90,"sku":"A-1"}"#;

/// Another order each time: the same body again within ten minutes would be answered as a
/// duplicate of the first.
fn fresh_order() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    ORDER.replace("\"Bestellung\"", &format!("\"Bestellung {n}\""))
}

fn ticket(email: &str) -> String {
    format!(r#"{{"type":"ticket","email":"{email}","subject":"Frage","message":"Hallo"}}"#)
}

/// Posts a lead and returns its id.
fn post(app: &TestApp, company: &Company, body: &str) -> i64 {
    let response = app.post_lead(&company.key, body);
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["id"].as_i64().unwrap()
}

fn ok(response: common::Response) -> Value {
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json; charset=utf-8"));
    response.json()
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

/// A second company with one employee and its token, to attack the first from.
fn intruder(app: &TestApp) -> (Company, String) {
    let other = add_company(&app.store, "Other", 1);
    let token = token_for(&app.store, other.employees[0]);
    (other, token)
}

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

    let info = app.store.list_employee_tokens(Some(app.acme.employees[0])).unwrap();
    app.store.revoke_employee_token(info[0].id).unwrap();
    app.team("GET", "/api/v1/orders", &token, "")
        .assert_error(401, "unauthorized", None);
    ok(app.team("GET", "/api/v1/orders", &second, ""));

    app.store.set_employee_active(app.acme.employees[0], false).unwrap();
    app.team("GET", "/api/v1/orders", &second, "")
        .assert_error(401, "unauthorized", None);
    app.store.set_employee_active(app.acme.employees[0], true).unwrap();
    ok(app.team("GET", "/api/v1/orders", &second, ""));

    app.store.set_company_active(app.acme.id, false).unwrap();
    app.team("GET", "/api/v1/orders", &second, "")
        .assert_error(403, "forbidden", None);
}
}

backend_test! {
fn the_inbox_lists_orders_newest_first_by_status() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let first = post(&app, &app.acme, ORDER);
    let second = post(&app, &app.acme, r#"{"type":"order","email":"b@b.de","total":1}"#);
    post(&app, &app.acme, &ticket("t@b.de"));

    let all = ok(app.team("GET", "/api/v1/orders", &token, ""));
    assert_eq!(ids(&all), [second, first]);
    assert_eq!(all["next_cursor"], Value::Null);
    let item = &all["items"][1];
    assert_eq!(item["status"], "new");
    assert_eq!(item["total_cents"], 4990);
    assert_eq!(item["title"], "Bestellung");
    assert_eq!(item["decided_by"], Value::Null);
    assert!(item.get("payload").is_none(), "lists leave the payload out");

    ok(app.team("POST", &format!("/api/v1/orders/{first}/accept"), &token, ""));
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/orders?status=new", &token, ""))),
        [second]
    );
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/orders?status=accepted", &token, ""))),
        [first]
    );
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/orders?status=rejected", &token, ""))),
        Vec::<i64>::new()
    );
    app.team("GET", "/api/v1/orders?status=done", &token, "")
        .assert_error(400, "invalid_field", Some("status"));
    for bad in ["limit=0", "limit=201", "limit=x", "cursor=abc"] {
        let field = bad.split('=').next().unwrap();
        app.team("GET", &format!("/api/v1/orders?{bad}"), &token, "")
            .assert_error(400, "invalid_field", Some(field));
    }
}
}

backend_test! {
fn one_order_shows_its_original_payload() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let id = post(&app, &app.acme, ORDER);
    let order = ok(app.team("GET", &format!("/api/v1/orders/{id}"), &token, ""));
    assert_eq!(order["payload"], serde_json::from_str::<Value>(ORDER).unwrap());
    assert_eq!(order["email"], "kunde@beispiel.de");
    for missing in ["999", "0", "-1", "abc"] {
        app.team("GET", &format!("/api/v1/orders/{missing}"), &token, "")
            .assert_error(404, "not_found", None);
    }
}
}

backend_test! {
fn an_order_is_decided_once_and_who_and_when_is_kept() {
    let app = TestApp::spawn();
    let erika = token_for(&app.store, app.acme.employees[0]);
    let max = token_for(&app.store, app.acme.employees[1]);
    let accepted = post(&app, &app.acme, &fresh_order());
    let rejected = post(&app, &app.acme, &fresh_order());

    let order = ok(app.team("POST", &format!("/api/v1/orders/{accepted}/accept"), &erika, ""));
    assert_eq!(order["status"], "accepted");
    assert_eq!(
        order["decided_by"],
        json!({"id": app.acme.employees[0], "name": "Mitarbeiter 0"})
    );
    assert!(order["decided_at"].as_str().unwrap().ends_with('Z'));
    let order = ok(app.team("POST", &format!("/api/v1/orders/{rejected}/reject"), &max, ""));
    assert_eq!(order["status"], "rejected");
    assert_eq!(order["decided_by"]["id"], app.acme.employees[1].get());

    // A second decision, either way, by anyone: 409, and the first stands.
    for (id, action) in [(accepted, "reject"), (accepted, "accept"), (rejected, "accept")] {
        let response = app.team("POST", &format!("/api/v1/orders/{id}/{action}"), &max, "");
        response.assert_error(409, "conflict", None);
    }
    let order = ok(app.team("GET", &format!("/api/v1/orders/{accepted}"), &max, ""));
    assert_eq!(
        (order["status"].as_str(), order["decided_by"]["id"].as_i64()),
        (Some("accepted"), Some(app.acme.employees[0].get()))
    );
    app.team("GET", &format!("/api/v1/orders/{accepted}/accept"), &max, "")
        .assert_error(405, "method_not_allowed", None);
}
}

backend_test! {
fn concurrent_decisions_have_exactly_one_winner() {
    let app = TestApp::spawn();
    let tokens = [
        token_for(&app.store, app.acme.employees[0]),
        token_for(&app.store, app.acme.employees[1]),
    ];
    let id = post(&app, &app.acme, &fresh_order());
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|i| {
                let (app, token) = (&app, &tokens[i % 2]);
                let action = if i % 3 == 0 { "reject" } else { "accept" };
                scope.spawn(move || {
                    app.team("POST", &format!("/api/v1/orders/{id}/{action}"), token, "")
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 9, "{statuses:?}");
}
}

backend_test! {
fn pages_are_stable_under_concurrent_inserts() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let mut original: Vec<i64> = (0..23).map(|_| post(&app, &app.acme, &fresh_order())).collect();
    original.reverse(); // newest first, as the inbox lists them

    let mut seen = Vec::new();
    let mut path = "/api/v1/orders?limit=5".to_owned();
    loop {
        let page = ok(app.team("GET", &path, &token, ""));
        seen.extend(ids(&page));
        // New orders arrive between the pages.
        post(&app, &app.acme, &fresh_order());
        post(&app, &app.acme, &fresh_order());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/orders?limit=5&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen, original,
        "every original order once, in order, none of the new ones"
    );
}
}

backend_test! {
fn tickets_are_listed_read_closed_and_reopened() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let first = post(&app, &app.acme, &ticket("a@b.de"));
    let second = post(&app, &app.acme, &ticket("c@d.de"));
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/tickets", &token, ""))),
        [second, first]
    );
    let one = ok(app.team("GET", &format!("/api/v1/tickets/{first}"), &token, ""));
    assert_eq!(one["payload"]["message"], "Hallo");
    assert_eq!(one["status"], "open");

    let closed = ok(app.team("POST", &format!("/api/v1/tickets/{first}/close"), &token, ""));
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["status_changed_by"]["id"], app.acme.employees[0].get());
    app.team("POST", &format!("/api/v1/tickets/{first}/close"), &token, "")
        .assert_error(409, "conflict", None);
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/tickets?status=open", &token, ""))),
        [second]
    );
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/tickets?status=closed", &token, ""))),
        [first]
    );
    let reopened = ok(app.team("POST", &format!("/api/v1/tickets/{first}/reopen"), &token, ""));
    assert_eq!(reopened["status"], "open");
    app.team("POST", &format!("/api/v1/tickets/{first}/reopen"), &token, "")
        .assert_error(409, "conflict", None);
    app.team("GET", "/api/v1/tickets?status=new", &token, "")
        .assert_error(400, "invalid_field", Some("status"));
}
}

backend_test! {
fn an_unassigned_ticket_is_assigned_to_a_customer_once() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let id = post(&app, &app.acme, &ticket("privat@web.de"));
    let customer = app.store.add_customer(app.acme.id, "Max", "max@firma.de").unwrap().id;
    let path = format!("/api/v1/tickets/{id}/assign");

    app.team("POST", &path, &token, "{}")
        .assert_error(400, "missing_field", Some("customer_id"));
    app.team("POST", &path, &token, r#"{"customer_id":"x"}"#)
        .assert_error(400, "invalid_field", Some("customer_id"));
    app.team("POST", &path, &token, "nope")
        .assert_error(400, "invalid_json", None);
    app.team("POST", &path, &token, r#"{"customer_id":999}"#)
        .assert_error(404, "not_found", None);
    let assigned = ok(app.team("POST", &path, &token, &format!(r#"{{"customer_id":{customer}}}"#)));
    assert_eq!(assigned["customer_id"], customer.get());
    let other = app
        .store
        .add_customer(app.acme.id, "Erika", "erika@firma.de")
        .unwrap()
        .id;
    app.team("POST", &path, &token, &format!(r#"{{"customer_id":{other}}}"#))
        .assert_error(409, "conflict", None);
    assert_eq!(
        app.store.get_ticket(app.acme.id, TicketId::new(id)).unwrap().customer_id,
        Some(customer)
    );
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
fn claim_files_the_unassigned_leads_with_the_customers_email() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    // Leads arrive before the customer exists: unassigned.
    let t1 = post(&app, &app.acme, &ticket("neu@kunde.de"));
    let o1 = post(&app, &app.acme, r#"{"type":"order","email":"NEU@kunde.de"}"#);
    let unrelated = post(&app, &app.acme, &ticket("anders@kunde.de"));
    let (other, _) = intruder(&app);
    let foreign = post(&app, &other, &ticket("neu@kunde.de"));
    let customer = app.store.add_customer(app.acme.id, "Neu", "neu@kunde.de").unwrap().id;

    let claimed = ok(app.team("POST", &format!("/api/v1/customers/{customer}/claim"), &token, ""));
    assert_eq!(claimed, json!({"tickets": 1, "orders": 1}));
    assert_eq!(
        app.store.get_ticket(app.acme.id, TicketId::new(t1)).unwrap().customer_id,
        Some(customer)
    );
    assert_eq!(
        app.store.get_order(app.acme.id, OrderId::new(o1)).unwrap().customer_id,
        Some(customer)
    );
    assert_eq!(app.store.get_ticket(app.acme.id, TicketId::new(unrelated)).unwrap().customer_id, None);
    assert_eq!(
        app.store.get_ticket(other.id, TicketId::new(foreign)).unwrap().customer_id,
        None,
        "another company's lead"
    );
    let again = ok(app.team("POST", &format!("/api/v1/customers/{customer}/claim"), &token, ""));
    assert_eq!(again, json!({"tickets": 0, "orders": 0}));
}
}

backend_test! {
fn notifications_are_listed_and_marked_read() {
    let app = TestApp::spawn();
    let erika = token_for(&app.store, app.acme.employees[0]);
    let max = token_for(&app.store, app.acme.employees[1]);
    post(&app, &app.acme, &fresh_order());
    post(&app, &app.acme, &ticket("a@b.de"));
    post(&app, &app.acme, &fresh_order());

    let all = ok(app.team("GET", "/api/v1/notifications", &erika, ""));
    let mine = ids(&all);
    assert_eq!(mine.len(), 3);
    assert!(mine.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(
        all["items"][1]["text"],
        "Neues Ticket! „Frage“ von a@b.de ist eingegangen."
    );
    assert_eq!(all["items"][0]["read"], false);

    let read = ok(app.team("POST", &format!("/api/v1/notifications/{}/read", mine[1]), &erika, ""));
    assert_eq!(read["read"], true);
    let first_read_at = read["read_at"].clone();
    let again = ok(app.team("POST", &format!("/api/v1/notifications/{}/read", mine[1]), &erika, ""));
    assert_eq!(again["read_at"], first_read_at, "reading twice keeps the first time");
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/notifications?unread=true", &erika, ""))),
        [mine[0], mine[2]]
    );
    app.team("GET", "/api/v1/notifications?unread=yes", &erika, "")
        .assert_error(400, "invalid_field", Some("unread"));

    // Another employee's notification, even in the same company, is not found.
    app.team("POST", &format!("/api/v1/notifications/{}/read", mine[0]), &max, "")
        .assert_error(404, "not_found", None);
    assert_eq!(
        ok(app.team("POST", "/api/v1/notifications/read-all", &erika, "")),
        json!({"marked_read": 2})
    );
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/notifications?unread=true", &erika, ""))),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/notifications?unread=true", &max, ""))).len(),
        3,
        "Max's are untouched"
    );
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
        .add_customer(app.acme.id, "Max", "max@acme-kunde.de")
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
    assert_eq!(app.store.get_order(app.acme.id, OrderId::new(order)).unwrap().status, OrderStatus::New);
    let t = app.store.get_ticket(app.acme.id, TicketId::new(ticket_id)).unwrap();
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
    let foreign_customer = app.store.add_customer(other.id, "Fremd", "f@x.de").unwrap().id;
    app.team(
        "POST",
        &format!("/api/v1/tickets/{ticket_id}/assign"),
        &acme_token,
        &format!(r#"{{"customer_id":{foreign_customer}}}"#),
    )
    .assert_error(404, "not_found", None);
}
}

fn open_stream(app: &TestApp, token: &str, last_event_id: Option<&str>) -> SseClient {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![("Authorization", bearer.as_str())];
    if let Some(id) = last_event_id {
        headers.push(("Last-Event-ID", id));
    }
    let stream = SseClient::open(app.server.addr, "/api/v1/notifications/stream", &headers);
    assert_eq!(stream.status, 200, "{}", stream.head);
    assert!(
        stream
            .head
            .to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{}",
        stream.head
    );
    stream
}

backend_test! {
fn a_stream_opened_first_receives_the_lead_posted_afterwards() {
    let app = TestApp::spawn();
    let erika = token_for(&app.store, app.acme.employees[0]);
    let max = token_for(&app.store, app.acme.employees[1]);
    let (other, intruder_token) = intruder(&app);
    post(&app, &app.acme, &fresh_order()); // before the stream: not replayed
    let mut first = open_stream(&app, &erika, None);
    let mut second = open_stream(&app, &erika, None);
    let mut colleague = open_stream(&app, &max, None);
    let mut outsider = open_stream(&app, &intruder_token, None);

    let id = post(&app, &app.acme, &ticket("live@kunde.de"));
    let expected = app
        .store
        .list_notifications(app.acme.employees[0], false, None, Some(1))
        .unwrap()[0]
        .id;
    for stream in [&mut first, &mut second] {
        let event = stream
            .next_event(Duration::from_secs(10))
            .expect("the notification arrives");
        assert_eq!(event.id, Some(expected.to_string()));
        assert_eq!(event.event.as_deref(), Some("notification"));
        let data: Value = serde_json::from_str(&event.data).unwrap();
        assert_eq!(data["ticket_id"], id);
        assert_eq!(data["text"], "Neues Ticket! „Frage“ von live@kunde.de ist eingegangen.");
        assert_eq!(stream.next_event(Duration::from_millis(300)), None, "exactly one");
    }
    let event = colleague
        .next_event(Duration::from_secs(10))
        .expect("the colleague is notified too");
    assert_ne!(
        event.id,
        Some(expected.to_string()),
        "with the colleague's own notification"
    );
    assert_eq!(
        outsider.next_event(Duration::from_millis(500)),
        None,
        "another company hears nothing"
    );
    post(&app, &other, &fresh_order());
    assert!(
        outsider.next_event(Duration::from_secs(10)).is_some(),
        "but its own leads"
    );
}
}

backend_test! {
fn a_reconnect_with_last_event_id_gets_exactly_the_missed_ones() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let mut stream = open_stream(&app, &token, None);
    post(&app, &app.acme, &fresh_order());
    let seen = stream.next_event(Duration::from_secs(10)).unwrap().id.unwrap();
    drop(stream);

    // Three leads while disconnected.
    for _ in 0..3 {
        post(&app, &app.acme, &fresh_order());
    }
    let mut resumed = open_stream(&app, &token, Some(&seen));
    let missed: Vec<String> = (0..3)
        .map(|_| resumed.next_event(Duration::from_secs(10)).unwrap().id.unwrap())
        .collect();
    let expected: Vec<String> = app
        .store
        .list_notifications(app.acme.employees[0], false, None, Some(3))
        .unwrap()
        .iter()
        .rev()
        .map(|n| n.id.to_string())
        .collect();
    assert_eq!(missed, expected);
    assert_eq!(resumed.next_event(Duration::from_millis(300)), None, "nothing repeated");
    // …and it goes on live.
    post(&app, &app.acme, &fresh_order());
    let next = resumed.next_event(Duration::from_secs(10)).unwrap().id.unwrap();
    assert!(next.parse::<i64>().unwrap() > missed[2].parse::<i64>().unwrap());

    let bearer = format!("Bearer {token}");
    let bad = app.server.request(
        "GET",
        "/api/v1/notifications/stream",
        &[("Authorization", &bearer), ("Last-Event-ID", "yesterday")],
        b"",
    );
    bad.assert_error(400, "invalid_field", Some("Last-Event-ID"));
    app.server
        .request("GET", "/api/v1/notifications/stream", &[], b"")
        .assert_error(401, "unauthorized", None);
}
}

backend_test! {
fn idle_streams_get_heartbeat_comments() {
    let app = TestApp::spawn_with_config("[server]\nsse_heartbeat_secs = 1\n");
    let token = token_for(&app.store, app.acme.employees[0]);
    let mut stream = open_stream(&app, &token, None);
    assert_eq!(stream.next_event(Duration::from_millis(2500)), None);
    assert!(stream.comments >= 1, "a heartbeat comment within 2.5 s at a 1 s period");
}
}

backend_test! {
fn an_open_stream_ends_when_its_token_is_revoked_or_its_employee_deactivated() {
    let app = TestApp::spawn();
    let revoked = token_for(&app.store, app.acme.employees[0]);
    let deactivated = token_for(&app.store, app.acme.employees[1]);
    let mut first = open_stream(&app, &revoked, None);
    let mut second = open_stream(&app, &deactivated, None);

    let token_id = app.store.list_employee_tokens(Some(app.acme.employees[0])).unwrap()[0].id;
    app.store.revoke_employee_token(token_id).unwrap();
    app.store.set_employee_active(app.acme.employees[1], false).unwrap();
    post(&app, &app.acme, &fresh_order());
    for stream in [&mut first, &mut second] {
        // The commit wakes the stream; it re-checks its token and ends instead of delivering.
        assert_eq!(stream.next_event(Duration::from_secs(5)), None);
        assert!(stream.ended, "the server ended the stream");
    }
}
}

backend_test! {
fn a_resume_crosses_the_read_batches_without_loss_or_repetition() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let mut stream = open_stream(&app, &token, None);
    post(&app, &app.acme, &fresh_order());
    let seen = stream.next_event(Duration::from_secs(10)).unwrap().id.unwrap();
    drop(stream);
    // More than one read's worth (100) of missed notifications.
    for _ in 0..130 {
        post(&app, &app.acme, &fresh_order());
    }
    let mut resumed = open_stream(&app, &token, Some(&seen));
    let mut ids = Vec::new();
    while let Some(event) = resumed.next_event(Duration::from_secs(5)) {
        ids.push(event.id.unwrap().parse::<i64>().unwrap());
        if ids.len() == 130 {
            break;
        }
    }
    let expected: Vec<i64> = app
        .store
        .list_notifications(app.acme.employees[0], false, None, Some(130))
        .unwrap()
        .iter()
        .rev()
        .map(|n| n.id.get())
        .collect();
    assert_eq!(ids, expected, "all 130, in order, once");
    assert_eq!(resumed.next_event(Duration::from_millis(300)), None);
}
}

backend_test! {
fn customer_search_ignores_case_beyond_ascii() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let id = app
        .store
        .add_customer(app.acme.id, "JÜRGEN MÜLLER", "j.mueller@example.de")
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

#[test]
fn a_lead_taken_by_one_instance_reaches_a_stream_on_another() {
    common::with_backend(common::Backend::Postgres, || {
        let app = TestApp::spawn(); // instance A
                                    // Instance B on the same database, its safety-net re-read made an hour long: whatever
                                    // reaches its stream came through PostgreSQL's NOTIFY.
        let config = app.db.dir.path().join("b.toml");
        std::fs::write(&config, "[server]\nsse_recheck_secs = 3600\n").unwrap();
        let b = common::Server::spawn(
            &[
                "--config",
                config.to_str().unwrap(),
                "--database-url",
                &app.db.url,
                "serve",
                "--bind",
                "127.0.0.1:0",
            ],
            &[],
        );
        let token = token_for(&app.store, app.acme.employees[0]);
        let bearer = format!("Bearer {token}");
        let mut stream = SseClient::open(b.addr, "/api/v1/notifications/stream", &[("Authorization", &bearer)]);
        assert_eq!(stream.status, 200, "{}", stream.head);

        let started = std::time::Instant::now();
        let id = post(&app, &app.acme, &ticket("instanz@kunde.de")); // to instance A
        let event = stream
            .next_event(Duration::from_secs(10))
            .expect("instance B delivers A's lead");
        let data: Value = serde_json::from_str(&event.data).unwrap();
        assert_eq!(data["ticket_id"], id);
        eprintln!("cross-instance delivery took {:?}", started.elapsed());
        assert_eq!(stream.next_event(Duration::from_millis(300)), None, "exactly once");
    });
}
