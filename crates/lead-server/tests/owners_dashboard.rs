//! Owners in the dashboard: „Übernehmen“ in the list and on the lead's page, a colleague
//! chosen, the tabs „Meine“ and „Ohne Zuständigen“, the history; and what an admin sets —
//! new senders as customers, who a key's leads go to — with members and forged forms refused.

mod common;

use common::pages::first_employee_session;
use common::team::post;
use common::TestApp;
use lead_store::{AutoCustomers, OrderId, OrderRecord, Role, Scope};

const ORDER: &str = r#"{"type":"order","email":"kunde@beispiel.de","subject":"Tisch","total":10}"#;

#[test]
fn an_employee_takes_a_lead_gives_it_to_a_colleague_and_finds_it_under_meine() {
    let app = TestApp::spawn();
    let (cookie, csrf) = first_employee_session(&app);
    let get = |path: &str| app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"");
    let form = |path: &str, body: &str| {
        let headers = [
            ("Cookie", cookie.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        app.server
            .request("POST", path, &headers, format!("csrf={csrf}&{body}").as_bytes())
    };
    let (me, colleague) = (app.acme.employees[0], app.acme.employees[1]);
    let id = post(&app, &app.acme, ORDER);
    let owner = || {
        let order: OrderRecord = app.store.team().lead(app.acme.id, OrderId::new(id)).unwrap();
        order.owner.map(|owner| owner.id)
    };

    // The list offers to take it; nobody owns it yet.
    let list = get("/app/orders").text();
    assert!(list.contains(&format!("action=\"/app/orders/{id}/owner\"")), "{list}");
    assert!(
        list.contains(&format!("id=\"owner-orders-{id}\"")),
        "a colleague to choose: {list}"
    );
    assert!(
        list.contains(&format!("<option value=\"{colleague}\">Mitarbeiter 1</option>")),
        "{list}"
    );
    assert!(list.contains("Ohne Zuständigen"), "{list}");
    assert!(!get("/app/orders?owner=me").text().contains("Tisch"));

    // Taken from the list: back to it, and under „Meine“.
    let taken = form(
        &format!("/app/orders/{id}/owner"),
        "employee_id=me&back=%2Fapp%2Forders",
    );
    assert_eq!(taken.status, 303);
    assert_eq!(taken.header("location"), Some("/app/orders"));
    assert_eq!(owner(), Some(me));
    assert!(get("/app/orders?owner=me").text().contains("Tisch"));
    assert!(!get("/app/orders?owner=none").text().contains(">Tisch<"));
    // The status counts count what the tab shows.
    post(&app, &app.acme, &ORDER.replace("Tisch", "Stuhl"));
    assert!(get("/app/orders?owner=me").text().contains("Alle (1)"));
    assert!(get("/app/orders?owner=none").text().contains("Alle (1)"));
    assert!(get("/app/orders").text().contains("Alle (2)"));

    // Given to the colleague on the lead's page: they are told, the page and its history say so.
    let given = form(&format!("/app/orders/{id}/owner"), &format!("employee_id={colleague}"));
    assert_eq!(given.status, 303);
    assert_eq!(owner(), Some(colleague));
    let told = app
        .store
        .team()
        .list_notifications(colleague, false, None, None)
        .unwrap();
    assert_eq!(
        told[0].text,
        "Mitarbeiter 0 hat Ihnen die Bestellung „Tisch“ zugewiesen."
    );
    let page = get(&format!("/app/orders/{id}")).text();
    assert!(page.contains("Zuständig: <strong>Mitarbeiter 1</strong>"), "{page}");
    assert!(
        page.contains("Zuständig: Mitarbeiter 1 (vorher Mitarbeiter 0) – von Mitarbeiter 0"),
        "{page}"
    );
    assert!(
        page.contains("Zuständig: Mitarbeiter 0 (vorher niemand) – von Mitarbeiter 0"),
        "{page}"
    );
    // To nobody.
    assert_eq!(form(&format!("/app/orders/{id}/owner"), "employee_id=").status, 303);
    assert_eq!(owner(), None);

    // Refused: no CSRF token, a number that is nobody of the company; nothing changes.
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let forged = app
        .server
        .request("POST", &format!("/app/orders/{id}/owner"), &headers, b"employee_id=me");
    assert_eq!(forged.status, 403);
    let other = common::add_company(&app.store, "Other", 1);
    let wrong = form(
        &format!("/app/orders/{id}/owner"),
        &format!("employee_id={}", other.employees[0]),
    );
    assert_eq!(wrong.status, 400);
    assert_eq!(owner(), None);
    // Tickets alike.
    let ticket = post(
        &app,
        &app.acme,
        r#"{"type":"ticket","email":"frage@beispiel.de","subject":"Frage","message":"Hallo"}"#,
    );
    assert_eq!(
        form(&format!("/app/tickets/{ticket}/owner"), "employee_id=me").status,
        303
    );
    assert!(get("/app/tickets?owner=me").text().contains("Frage"));
}

#[test]
fn an_admin_sets_new_senders_as_customers_and_who_a_key_goes_to_and_a_member_cannot() {
    let app = TestApp::spawn();
    let (cookie, csrf) = first_employee_session(&app);
    let form = |path: &str, body: &str| {
        let headers = [
            ("Cookie", cookie.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        app.server
            .request("POST", path, &headers, format!("csrf={csrf}&{body}").as_bytes())
    };
    let (me, colleague) = (app.acme.employees[0], app.acme.employees[1]);
    let key = app.acme.key_id;
    let route = format!("/app/admin/keys/{key}/route");
    let both = format!("employee={me}&employee={colleague}");

    // A member: refused, nothing set.
    assert_eq!(form("/app/admin/kunden-automatisch", "auto=all").status, 403);
    assert_eq!(form(&route, &both).status, 403);
    assert_eq!(
        app.store.access().auto_customers(app.acme.id).unwrap(),
        AutoCustomers::Off
    );
    assert!(app.store.access().key_routes(app.acme.id).unwrap().is_empty());

    app.store
        .access()
        .set_employee_role(Scope::Everyone, me, Role::Admin)
        .unwrap();
    let index = app
        .server
        .request("GET", "/app/admin", &[("Cookie", cookie.as_str())], b"")
        .text();
    assert!(
        index.contains("Neue Absender automatisch als Kunden anlegen"),
        "{index}"
    );
    assert_eq!(form("/app/admin/kunden-automatisch", "auto=orders").status, 303);
    assert_eq!(
        app.store.access().auto_customers(app.acme.id).unwrap(),
        AutoCustomers::Orders
    );
    assert_eq!(form("/app/admin/kunden-automatisch", "auto=immer").status, 400);
    assert_eq!(
        app.store.access().auto_customers(app.acme.id).unwrap(),
        AutoCustomers::Orders
    );

    assert_eq!(form(&route, &both).status, 303);
    let routes = app.store.access().key_routes(app.acme.id).unwrap();
    assert_eq!(routes[&key].iter().map(|e| e.id).collect::<Vec<_>>(), [me, colleague]);
    let keys = app
        .server
        .request("GET", "/app/admin/keys", &[("Cookie", cookie.as_str())], b"")
        .text();
    assert!(keys.contains("Zuständig für neue Anfragen"), "{keys}");
    assert!(
        keys.contains(&format!(
            "id=\"route-{key}-{colleague}\" name=\"employee\" value=\"{colleague}\" checked"
        )),
        "{keys}"
    );
    // Another company's employee: refused, the route as it was.
    let other = common::add_company(&app.store, "Other", 1);
    assert_eq!(form(&route, &format!("employee={}", other.employees[0])).status, 400);
    assert_eq!(app.store.access().key_routes(app.acme.id).unwrap()[&key].len(), 2);
    // None: leads have no owner again.
    assert_eq!(form(&route, "").status, 303);
    assert!(app.store.access().key_routes(app.acme.id).unwrap().is_empty());
}
