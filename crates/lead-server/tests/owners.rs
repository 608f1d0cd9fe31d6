//! Every lead with an owner: the team API gives an order or a ticket to a colleague or to
//! nobody, lists narrow by owner, the new owner is told, the change is in the lead's history,
//! the CSV and the webhooks; a key routes its new leads to one employee or in turn; and a
//! company may give every new sender a customer file of its own — on both backends.

mod common;

use common::team::{ok, post};
use common::{token_for, Backend, TestApp};
use lead_store::{AutoCustomers, EmployeeId, OrderId, OrderRecord, Scope, TicketId, TicketRecord};
use serde_json::Value;

fn order(n: usize) -> String {
    format!(
        r#"{{"type":"order","email":"kunde{n}@beispiel.de","subject":"Tisch {n}","total":10,"vorname":"Eva","nachname":"Roth {n}"}}"#
    )
}

fn ticket(email: &str) -> String {
    format!(r#"{{"type":"ticket","email":"{email}","subject":"Frage","message":"Hallo"}}"#)
}

fn owner_of(view: &Value) -> Option<i64> {
    view["owner"]["id"].as_i64()
}

backend_test! {
fn the_team_gives_a_lead_to_a_colleague_or_to_nobody_and_lists_narrow_by_owner() {
    let app = TestApp::spawn();
    let (me, colleague) = (app.acme.employees[0], app.acme.employees[1]);
    let token = token_for(&app.store, me);
    let first = post(&app, &app.acme, &order(1));
    let second = post(&app, &app.acme, &order(2));
    let set = |path: &str, body: &str| app.team("POST", path, &token, body);

    // Nobody owns a new lead.
    let view = ok(app.team("GET", &format!("/api/v1/orders/{first}"), &token, ""));
    assert_eq!(view["owner"], Value::Null);

    // Given to the colleague: the view says so, the colleague is told who gave it.
    let view = ok(set(&format!("/api/v1/orders/{first}/owner"), &format!(r#"{{"employee_id": {colleague}}}"#)));
    assert_eq!(owner_of(&view), Some(colleague.get()));
    assert_eq!(view["owner"]["name"], "Mitarbeiter 1");
    let told = app.store.team().list_notifications(colleague, false, None, None).unwrap();
    assert_eq!(told[0].text, "Mitarbeiter 0 hat Ihnen die Bestellung „Tisch 1“ zugewiesen.");
    // Taken by me: nobody is told (I know).
    let before = app.store.team().list_notifications(me, false, None, None).unwrap().len();
    ok(set(&format!("/api/v1/orders/{second}/owner"), &format!(r#"{{"employee_id": {me}}}"#)));
    assert_eq!(app.store.team().list_notifications(me, false, None, None).unwrap().len(), before);

    // The lists: mine, the colleague's, nobody's; the CSV says who.
    let ids = |query: &str| common::team::ids(&ok(app.team("GET", &format!("/api/v1/orders?{query}"), &token, "")));
    assert_eq!(ids("owner=me"), [second]);
    assert_eq!(ids(&format!("owner={colleague}")), [first]);
    assert!(ids("owner=none").is_empty());
    let third = post(&app, &app.acme, &order(3));
    assert_eq!(ids("owner=none"), [third]);
    assert_eq!(ids(""), [third, second, first]);

    // Back to nobody with null; the history has both changes, newest first.
    let view = ok(set(&format!("/api/v1/orders/{first}/owner"), r#"{"employee_id": null}"#));
    assert_eq!(view["owner"], Value::Null);
    let history = app.store.team().owner_history::<OrderRecord>(app.acme.id, OrderId::new(first)).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!((history[0].before.as_ref().map(|e| e.id), history[0].after.as_ref()), (Some(colleague), None));
    assert_eq!(history[1].by.as_ref().map(|e| e.id), Some(me));
    // Giving it to whom it has changes nothing.
    ok(set(&format!("/api/v1/orders/{first}/owner"), r#"{"employee_id": null}"#));
    assert_eq!(app.store.team().owner_history::<OrderRecord>(app.acme.id, OrderId::new(first)).unwrap().len(), 2);

    // Tickets alike.
    let asked = post(&app, &app.acme, &ticket("frage@beispiel.de"));
    let view = ok(set(&format!("/api/v1/tickets/{asked}/owner"), &format!(r#"{{"employee_id": {colleague}}}"#)));
    assert_eq!(owner_of(&view), Some(colleague.get()));
    let told = app.store.team().list_notifications(colleague, false, None, None).unwrap();
    assert_eq!(told[0].text, "Mitarbeiter 0 hat Ihnen das Ticket „Frage“ zugewiesen.");
    let tickets = ok(app.team("GET", &format!("/api/v1/tickets?owner={colleague}"), &token, ""));
    assert_eq!(common::team::ids(&tickets), [asked]);

    // The CSV export has the owner's name.
    let csv = common::cli(&app.db.url, &["tickets", "export", "--company", "Acme", "--format", "rfc4180"]);
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(text.starts_with("id,created_at,status,email,title,message,customer_id,owner,"), "{text}");
    assert!(text.contains(",Mitarbeiter 1,"), "{text}");
}
}

backend_test! {
fn a_wrong_owner_is_refused_and_changes_nothing() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let id = post(&app, &app.acme, &order(1));
    let path = format!("/api/v1/orders/{id}/owner");
    let other = common::add_company(&app.store, "Other", 1);
    let inactive = app.acme.employees[1];
    app.store.access().set_employee_active(Scope::Everyone, inactive, false).unwrap();
    for (body, code, field) in [
        ("{}".to_owned(), "missing_field", Some("employee_id")),
        (r#"{"employee_id": "drei"}"#.to_owned(), "invalid_field", Some("employee_id")),
        (r#"{"employee_id": 0}"#.to_owned(), "invalid_field", Some("employee_id")),
        (format!(r#"{{"employee_id": {}}}"#, other.employees[0]), "invalid_field", Some("employee_id")),
        (format!(r#"{{"employee_id": {inactive}}}"#), "invalid_field", Some("employee_id")),
        ("[1]".to_owned(), "invalid_json", None),
    ] {
        app.team("POST", &path, &token, &body).assert_error(400, code, field);
    }
    // Another company's lead is not found; a ticket is not an order.
    let theirs = post(&app, &other, &order(2));
    let answer = app.team("POST", &format!("/api/v1/orders/{theirs}/owner"), &token, r#"{"employee_id": null}"#);
    assert_eq!(answer.status, 404);
    app.team("GET", "/api/v1/orders?owner=jemand", &token, "").assert_error(400, "invalid_field", Some("owner"));
    let order: OrderRecord = app.store.team().lead(app.acme.id, OrderId::new(id)).unwrap();
    assert_eq!(order.owner, None);
    assert!(app.store.team().owner_history::<OrderRecord>(app.acme.id, OrderId::new(id)).unwrap().is_empty());
}
}

backend_test! {
fn a_key_routes_its_new_leads_to_one_employee_or_in_turn() {
    let app = TestApp::spawn();
    let (first, second) = (app.acme.employees[0], app.acme.employees[1]);
    let owners = |ids: &[i64]| -> Vec<Option<EmployeeId>> {
        ids.iter()
            .map(|&id| {
                let order: OrderRecord = app.store.team().lead(app.acme.id, OrderId::new(id)).unwrap();
                order.owner.map(|owner| owner.id)
            })
            .collect()
    };
    // One employee: every lead is theirs.
    app.store.access().set_key_route(Scope::Everyone, app.acme.key_id, &[second]).unwrap();
    let ids: Vec<i64> = (0..2).map(|n| post(&app, &app.acme, &order(n))).collect();
    assert_eq!(owners(&ids), [Some(second), Some(second)]);
    // Two: in turn, also across requests and for tickets.
    app.store.access().set_key_route(Scope::Everyone, app.acme.key_id, &[second, first]).unwrap();
    let ids: Vec<i64> = (10..14).map(|n| post(&app, &app.acme, &order(n))).collect();
    let taken = owners(&ids);
    assert_eq!(taken[0], taken[2]);
    assert_eq!(taken[1], taken[3]);
    assert_ne!(taken[0], taken[1]);
    let ticket = post(&app, &app.acme, &ticket("x@beispiel.de"));
    let ticket: TicketRecord = app.store.team().lead(app.acme.id, TicketId::new(ticket)).unwrap();
    assert_eq!(ticket.owner.map(|owner| owner.id), taken[0], "the next turn");
    // Everyone is still told of every lead.
    assert!(!app.store.team().list_notifications(first, false, None, None).unwrap().is_empty());
    // A deactivated employee is skipped; none routed leaves leads without owner.
    app.store.access().set_employee_active(Scope::Everyone, first, false).unwrap();
    let ids: Vec<i64> = (20..22).map(|n| post(&app, &app.acme, &order(n))).collect();
    assert_eq!(owners(&ids), [Some(second), Some(second)]);
    app.store.access().set_key_route(Scope::Everyone, app.acme.key_id, &[]).unwrap();
    assert_eq!(owners(&[post(&app, &app.acme, &order(30))]), [None]);
    // Only the company's active employees can be routed to.
    let other = common::add_company(&app.store, "Other", 1);
    assert!(app.store.access().set_key_route(Scope::Everyone, app.acme.key_id, &[other.employees[0]]).is_err());
    assert!(app.store.access().set_key_route(Scope::Everyone, app.acme.key_id, &[first]).is_err());
    assert!(app.store.access().key_routes(app.acme.id).unwrap().is_empty(), "nothing half-set");
}
}

backend_test! {
fn new_senders_get_a_customer_file_where_the_company_wants_it() {
    let app = TestApp::spawn();
    let customers = || app.store.team().list_customers(app.acme.id, None, None, None).unwrap();
    // Off by default: the seed's behaviour.
    post(&app, &app.acme, &order(1));
    assert!(customers().is_empty());

    // For orders: a new sender's order makes a file, prefilled; the order from before the
    // setting stays unfiled until the file claims it; a ticket makes none.
    app.store.access().set_auto_customers(app.acme.id, AutoCustomers::Orders).unwrap();
    let id = post(&app, &app.acme, &order(1).replace("Tisch 1", "Tisch 1b"));
    let made = customers();
    assert_eq!(made.len(), 1);
    assert_eq!((made[0].name.as_str(), made[0].email.as_str()), ("Eva Roth 1", "kunde1@beispiel.de"));
    let filed: OrderRecord = app.store.team().lead(app.acme.id, OrderId::new(id)).unwrap();
    assert_eq!(filed.customer_id, Some(made[0].id), "filed in its transaction");
    let file = app.store.team().customer_file(app.acme.id, made[0].id, 10).unwrap();
    assert_eq!(file.orders.len(), 1);
    let claimed = app.store.team().claim_for_customer(app.acme.id, made[0].id).unwrap();
    assert_eq!(claimed.orders, 1);
    post(&app, &app.acme, &ticket("neu@beispiel.de"));
    assert_eq!(customers().len(), 1);

    // For all: a ticket too; a second lead of the same sender uses the same file.
    app.store.access().set_auto_customers(app.acme.id, AutoCustomers::All).unwrap();
    post(&app, &app.acme, &ticket("frage@beispiel.de"));
    post(&app, &app.acme, &ticket("FRAGE@beispiel.de"));
    let made = customers();
    assert_eq!(made.len(), 2);
    assert_eq!(made[0].name, "frage@beispiel.de", "without a name, the address");
    // Spam gets no file.
    let spam = r#"{"type":"ticket","email":"bot@spam.example","subject":"x","message":"y","_gotcha":"filled"}"#;
    app.post_lead(&app.acme.key, spam);
    assert_eq!(customers().len(), 2);
    assert_eq!(app.store.access().auto_customers(app.acme.id).unwrap(), AutoCustomers::All);
}
}

#[test]
fn the_cli_sets_automatic_files_and_routes() {
    common::with_backend(Backend::Sqlite, || {
        let app = TestApp::spawn();
        let done = common::cli(&app.db.url, &["company", "auto-customers", "Acme", "orders"]);
        assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
        assert_eq!(
            app.store.access().auto_customers(app.acme.id).unwrap(),
            AutoCustomers::Orders
        );
        let employee = app.acme.employees[1].to_string();
        let key = app.acme.key_id.to_string();
        let done = common::cli(&app.db.url, &["key", "route", &key, "--employee", &employee]);
        assert!(String::from_utf8_lossy(&done.stderr).contains("its new leads go to employee"));
        let routes = app.store.access().key_routes(app.acme.id).unwrap();
        assert_eq!(routes[&app.acme.key_id][0].id, app.acme.employees[1]);
        let audit = app.store.access().list_audit(None).unwrap();
        assert!(audit.iter().any(|entry| entry.action == "key.route"));
        assert!(audit.iter().any(|entry| entry.action == "company.auto_customers"));
    });
}

#[test]
fn the_new_owner_gets_an_e_mail() {
    use std::time::Duration;
    let sink = common::SmtpSink::start(vec![]);
    let app = TestApp::spawn_with(&format!(
        "[smtp]\nurl = \"{}\"\nfrom = \"CRM <crm@acme.example>\"\n[outbox]\nretry_schedule_secs = [0, 1]\n",
        sink.url
    ));
    let id = post(&app, &app.acme, &order(1));
    // One e-mail per employee for the new order.
    common::wait_until("two notices", Duration::from_secs(15), || {
        (sink.mails().len() >= 2).then_some(())
    });
    // Through the server, whose store knows it sends e-mail.
    let colleague = app.acme.employees[1];
    let token = token_for(&app.store, app.acme.employees[0]);
    let give = |to: EmployeeId| {
        let body = format!(r#"{{"employee_id": {to}}}"#);
        ok(app.team("POST", &format!("/api/v1/orders/{id}/owner"), &token, &body));
    };
    give(colleague);
    let mails = common::wait_until("the owner's e-mail", Duration::from_secs(15), || {
        let mails = sink.mails();
        (mails.len() >= 3).then_some(mails)
    });
    assert_eq!(mails.len(), 3, "only the new owner is told");
    let colleague_address = app.store.access().find_employee(colleague).unwrap().email;
    assert_eq!(mails[2].to, [colleague_address]);
    assert_eq!(mails[2].header("Subject").unwrap(), "Ihnen zugewiesen: „Tisch 1“");
    let text = mails[2].text();
    assert!(
        text.contains("Mitarbeiter 0 hat Ihnen die Bestellung „Tisch 1“ zugewiesen."),
        "{text}"
    );
    // Taking it back oneself tells nobody by e-mail.
    give(app.acme.employees[0]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sink.mails().len(), 3);
}

#[test]
fn the_webhooks_get_the_new_owner() {
    use std::time::Duration;
    let receiver = common::Receiver::start(vec![]);
    let app = TestApp::spawn_with("[outbox]\nallow_private_targets = true\nretry_schedule_secs = [0, 1]\n");
    let added = common::cli_with_env(
        &app.db.url,
        &[
            "webhook",
            "add",
            "--company",
            "Acme",
            "--url",
            &receiver.url,
            "--events",
            "order.owner_changed",
        ],
        &[("LEAD_OUTBOX_ALLOW_PRIVATE", "1")],
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let id = post(&app, &app.acme, &order(1));
    let token = token_for(&app.store, app.acme.employees[0]);
    let colleague = app.acme.employees[1];
    let body = format!(r#"{{"employee_id": {colleague}}}"#);
    ok(app.team("POST", &format!("/api/v1/orders/{id}/owner"), &token, &body));
    let received = common::wait_until("the event", Duration::from_secs(15), || {
        let received = receiver.received();
        (!received.is_empty()).then_some(received)
    });
    assert_eq!(received.len(), 1, "only the event the endpoint takes");
    let event = received[0].json();
    assert_eq!(event["type"], "order.owner_changed");
    assert_eq!(event["data"]["id"], id);
    assert_eq!(event["data"]["owner"]["id"], colleague.get());
    assert_eq!(event["data"]["owner"]["name"], "Mitarbeiter 1");
}

backend_test! {
fn a_held_lead_gets_no_owner_and_no_file() {
    let app = TestApp::spawn();
    app.store.access().set_auto_customers(app.acme.id, AutoCustomers::All).unwrap();
    app.store.access().set_key_route(Scope::Everyone, app.acme.key_id, &[app.acme.employees[1]]).unwrap();
    // Past the daily cap of 0 every lead is quarantined: the team does not see it.
    app.store.access().set_daily_cap(Scope::Everyone, app.acme.key_id, Some(0)).unwrap();
    let id = post(&app, &app.acme, &order(1));
    let held: Vec<OrderRecord> = app.store.team().held_leads(app.acme.id, None, None).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!((held[0].id, held[0].owner.as_ref(), held[0].customer_id), (OrderId::new(id), None, None));
    assert!(app.store.team().list_customers(app.acme.id, None, None, None).unwrap().is_empty());
}
}
