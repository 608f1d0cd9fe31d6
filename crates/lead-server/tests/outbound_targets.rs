//! Outbound targets are checked when they are added as they are when something is sent: a name
//! that resolves inside the network (`localhost`) or not at all is refused for a webhook added
//! in the dashboard and for a push device — and what the team reads (the refusal, a delivery's
//! error, a test's answer) never says where a name leads.

mod common;

use std::time::Duration;

use common::{cli_with_env, cli_with_stdin, last_line, token_for, TestApp};

const PASSWORD: &str = "Ein-gutes-Passwort";

fn admin_session(app: &TestApp) -> (String, String) {
    let employee = app.acme.employees[0];
    app.store
        .access()
        .set_employee_role(lead_store::Scope::Everyone, employee, lead_store::Role::Admin)
        .unwrap();
    let set = cli_with_stdin(
        &app.db.url,
        &["employee", "password", &employee.to_string()],
        &format!("{PASSWORD}\n"),
    );
    assert!(set.status.success());
    let email = app.store.access().find_employee(employee).unwrap().email;
    common::pages::log_in(app, &email, PASSWORD).1.expect("logged in")
}

backend_test! {
fn names_that_resolve_inside_are_refused_and_never_named_to_the_team() {
    // Push on, private targets not allowed: as in production.
    let app = TestApp::spawn_with("[push]\nsubject = \"mailto:it@acme.example\"\n");
    let (cookie, csrf) = admin_session(&app);
    for url in ["https://localhost/hook", "https://name-that-does-not-resolve.invalid/hook"] {
        let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
        let body = format!("csrf={csrf}&url={}&format=standard", url.replace(':', "%3A").replace('/', "%2F"));
        let refused = app.server.request("POST", "/app/admin/webhooks/add", &headers, body.as_bytes());
        assert_eq!(refused.status, 400, "{url}");
        let page = refused.text();
        assert!(page.contains("Ziel ist nicht öffentlich erreichbar"), "{page}");
        assert!(!page.contains("127.0.0.1") && !page.contains("::1"), "{page}");
    }
    assert!(app.store.outbox().list_webhooks(Some(app.acme.id)).unwrap().is_empty());

    // A push device whose push service is `localhost`.
    let token = token_for(&app.store, app.acme.employees[1]);
    let body = serde_json::json!({
        "endpoint": "https://localhost/push/device",
        "keys": {"p256dh": "BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U", "auth": "tBHItJI5svbpez7KI4CCXg"}
    })
    .to_string();
    app.team("POST", "/api/v1/push/subscriptions", &token, &body)
        .assert_error(400, "invalid_field", Some("endpoint"));
}
}

#[test]
fn a_delivery_refused_by_the_guard_says_so_without_the_address() {
    // The operator added it with private targets allowed; the server does not allow them.
    let app = TestApp::spawn_with("[outbox]\nretry_schedule_secs = [0]\n");
    last_line(&cli_with_env(
        &app.db.url,
        &[
            "webhook",
            "add",
            "--company",
            "Acme",
            "--url",
            "https://localhost:1/hook",
        ],
        &[("LEAD_OUTBOX_ALLOW_PRIVATE", "on")],
    ));
    assert_eq!(
        app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@b.de","total":1}"#)
            .status,
        200
    );
    let token = token_for(&app.store, app.acme.employees[0]);
    let failed = common::wait_until("the delivery to fail", Duration::from_secs(15), || {
        let listed = app.team("GET", "/api/v1/deliveries?status=failed", &token, "").json();
        listed["items"]
            .as_array()
            .filter(|items| !items.is_empty())
            .map(|items| items[0].clone())
    });
    let error = failed["last_error"].as_str().unwrap();
    assert!(error.contains("not publicly reachable"), "{error}");
    assert!(!error.contains("127.0.0.1") && !error.contains("::1"), "{error}");
}
