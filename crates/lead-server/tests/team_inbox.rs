//! The team's order inbox and tickets: lists by status and page, one record with its
//! payload, decisions, closing and reopening, filing a ticket under a customer.

mod common;

use common::team::{fresh_order, ids, ok, post, ticket, ORDER};
use common::{token_for, TestApp};
use lead_store::TicketId;
use serde_json::{json, Value};

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
    let customer = app.store.team().add_customer(app.acme.id, "Max", "max@firma.de").unwrap().id;
    let path = format!("/api/v1/tickets/{id}/assign");

    app.team("POST", &path, &token, "{}")
        .assert_error(400, "missing_field", Some("customer_id"));
    app.team("POST", &path, &token, r#"{"customer_id":"x"}"#)
        .assert_error(400, "invalid_field", Some("customer_id"));
    app.team("POST", &path, &token, "nope")
        .assert_error(400, "invalid_json", None);
    // Which record is missing, the ticket or the customer, is said.
    let missing = |path: &str, body: String| {
        let answer = app.team("POST", path, &token, &body);
        answer.assert_error(404, "not_found", None);
        answer.json()["message"].as_str().unwrap().to_owned()
    };
    assert_eq!(missing(&path, r#"{"customer_id":999}"#.into()), "Diesen Kunden gibt es nicht.");
    assert_eq!(
        missing("/api/v1/tickets/999999/assign", format!(r#"{{"customer_id":{customer}}}"#)),
        "Dieses Ticket gibt es nicht."
    );
    let assigned = ok(app.team("POST", &path, &token, &format!(r#"{{"customer_id":{customer}}}"#)));
    assert_eq!(assigned["customer_id"], customer.get());
    let other = app
        .store
        .team().add_customer(app.acme.id, "Erika", "erika@firma.de")
        .unwrap()
        .id;
    let refiled = app.team("POST", &path, &token, &format!(r#"{{"customer_id":{other}}}"#));
    refiled.assert_error(409, "conflict", None);
    assert_eq!(refiled.json()["message"], "Das Ticket liegt bereits in einer Kundenakte.");
    assert_eq!(
        app.store.team().lead::<lead_store::TicketRecord>(app.acme.id, TicketId::new(id)).unwrap().customer_id,
        Some(customer)
    );
}
}
