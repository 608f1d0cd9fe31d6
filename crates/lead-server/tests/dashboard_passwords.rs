//! An employee's own password. A one-time password an admin sets lets the employee in once,
//! and only to set their own; every employee changes theirs in Einstellungen with the current
//! one, and their other sessions end.

mod common;

use common::pages::{hidden_csrf, log_in, set_cookie};
use common::{cli_with_stdin, Response, TestApp};

const PASSWORD: &str = "Ein-gutes-Passwort";
const NEW_PASSWORD: &str = "Tulpen im Regen am Hafen";

/// Logs in through the form: the answer, and the session cookie it set (if any).
fn login(app: &TestApp, email: &str, password: &str) -> (Response, Option<String>) {
    let page = app.server.request("GET", "/app/login", &[], b"");
    let token = set_cookie(&page, "lead_login_csrf").unwrap();
    let body = form(&[("csrf", &token), ("email", email), ("password", password)]);
    let cookie = format!("lead_login_csrf={token}");
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let answer = app.server.request("POST", "/app/login", &headers, body.as_bytes());
    let session = set_cookie(&answer, "lead_session").filter(|session| !session.is_empty());
    (answer, session.map(|session| format!("lead_session={session}")))
}

/// A form body.
fn form(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

fn get(app: &TestApp, cookie: &str, path: &str) -> Response {
    app.server.request("GET", path, &[("Cookie", cookie)], b"")
}

fn post(app: &TestApp, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Response {
    let headers = [
        ("Cookie", cookie),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    app.server.request("POST", path, &headers, form(fields).as_bytes())
}

fn set_password(app: &TestApp, employee: lead_store::EmployeeId, password: &str) {
    let id = employee.to_string();
    assert!(
        cli_with_stdin(&app.db.url, &["employee", "password", &id], &format!("{password}\n"))
            .status
            .success()
    );
}

backend_test! {
fn a_one_time_password_lets_in_once_and_only_to_set_ones_own() {
    let app = TestApp::spawn();
    let (admin, colleague) = (app.acme.employees[0], app.acme.employees[1]);
    app.store.access().set_employee_role(lead_store::Scope::Everyone, admin, lead_store::Role::Admin).unwrap();
    set_password(&app, admin, PASSWORD);
    let admin_email = app.store.access().find_employee(admin).unwrap().email;
    let (cookie, csrf) = log_in(&app, &admin_email, PASSWORD).1.unwrap();
    let shown = post(&app, &cookie, &format!("/app/admin/mitarbeiter/{colleague}/password"), &[("csrf", &csrf)]);
    assert_eq!(shown.status, 200);
    let once = shown.text().split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_owned();
    let email = app.store.access().find_employee(colleague).unwrap().email;

    // Two logins with it at once: one gets in, the other finds it used.
    let both: Vec<_> = std::thread::scope(|scope| {
        let (app, email, once) = (&app, &email, &once);
        let logins: Vec<_> = (0..2).map(|_| scope.spawn(move || login(app, email, once))).collect();
        logins.into_iter().map(|login| login.join().unwrap()).collect()
    });
    let mut statuses: Vec<u16> = both.iter().map(|(answer, _)| answer.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 401]);
    // An admin sets another; the first login goes to the page to set one's own password …
    let shown = post(&app, &cookie, &format!("/app/admin/mitarbeiter/{colleague}/password"), &[("csrf", &csrf)]);
    let once = shown.text().split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_owned();
    let (answer, session) = login(&app, &email, &once);
    assert_eq!((answer.status, answer.header("location")), (303, Some("/app/settings/password")));
    let session = session.unwrap();
    // … and the one-time password is gone with it.
    let (again, none) = login(&app, &email, &once);
    assert_eq!((again.status, none), (401, None), "once means once");

    // That session opens nothing else, not even by its forms.
    for path in ["/app/orders", "/app/tickets", "/app/settings", "/app/admin", "/app/customers"] {
        let answer = get(&app, &session, path);
        assert_eq!((answer.status, answer.header("location")), (303, Some("/app/settings/password")), "{path}");
    }
    let page = get(&app, &session, "/app/settings/password");
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("Eigenes Passwort festlegen") && !text.contains(r#"name="current""#), "{text}");
    let csrf = hidden_csrf(&page);
    let notified = post(&app, &session, "/app/settings/notify", &[("csrf", &csrf), ("email", "on")]);
    assert_eq!(notified.header("location"), Some("/app/settings/password"));

    // A weak password, or two that differ, are refused with the reason; nothing opens.
    let weak = post(&app, &session, "/app/settings/password", &[("csrf", &csrf), ("new", "passwort123"), ("repeat", "passwort123")]);
    assert_eq!(weak.status, 400);
    assert!(weak.text().contains("zu leicht zu erraten"), "{}", weak.text());
    let short = post(&app, &session, "/app/settings/password", &[("csrf", &csrf), ("new", "kurz"), ("repeat", "kurz")]);
    assert!(short.status == 400 && short.text().contains("mindestens 10 Zeichen"), "{}", short.text());
    let differ = post(&app, &session, "/app/settings/password", &[("csrf", &csrf), ("new", NEW_PASSWORD), ("repeat", "Tulpen im Regen")]);
    assert!(differ.status == 400 && differ.text().contains("stimmen nicht überein"), "{}", differ.text());
    let without = post(&app, &session, "/app/settings/password", &[("new", NEW_PASSWORD), ("repeat", NEW_PASSWORD)]);
    assert_eq!(without.status, 403, "the form's CSRF token is checked");
    assert_eq!(get(&app, &session, "/app/orders").status, 303);

    // Their own password opens the dashboard, in this session and at the next login.
    let set = post(&app, &session, "/app/settings/password", &[("csrf", &csrf), ("new", NEW_PASSWORD), ("repeat", NEW_PASSWORD)]);
    assert_eq!((set.status, set.header("location")), (303, Some("/app/orders")));
    assert_eq!(get(&app, &session, "/app/orders").status, 200);
    let (next, _) = login(&app, &email, NEW_PASSWORD);
    assert_eq!((next.status, next.header("location")), (303, Some("/app/orders")));
    assert_eq!(login(&app, &email, &once).0.status, 401);
    let audit = app.store.access().list_audit(None).unwrap();
    assert!(audit.iter().any(|entry| entry.action == "employee.password" && entry.subject.contains("set once")), "{audit:?}");
    assert!(audit.iter().any(|entry| entry.subject.contains("changed by the employee")), "{audit:?}");
}
}

backend_test! {
fn an_employee_changes_their_password_with_the_current_one_and_their_other_sessions_end() {
    let app = TestApp::spawn_with_config("[dashboard]\nmax_failed_logins = 3\n");
    let employee = app.acme.employees[0];
    set_password(&app, employee, PASSWORD);
    let email = app.store.access().find_employee(employee).unwrap().email;
    let (here, csrf) = log_in(&app, &email, PASSWORD).1.unwrap();
    let (elsewhere, elsewhere_csrf) = log_in(&app, &email, PASSWORD).1.unwrap();
    assert!(get(&app, &here, "/app/settings").text().contains(r#"href="/app/settings/password""#));
    let page = get(&app, &here, "/app/settings/password");
    assert!(page.status == 200 && page.text().contains(r#"name="current""#), "{}", page.text());

    // A wrong current password changes nothing, and is counted for this session alone.
    let change = |cookie: &str, csrf: &str, current: &str| {
        let fields = [("csrf", csrf), ("current", current), ("new", NEW_PASSWORD), ("repeat", NEW_PASSWORD)];
        post(&app, cookie, "/app/settings/password", &fields)
    };
    for _ in 0..3 {
        let wrong = change(&here, &csrf, "falsch-falsch");
        assert_eq!(wrong.status, 401);
        assert!(wrong.text().contains("Das aktuelle Passwort ist falsch."), "{}", wrong.text());
    }
    let locked = change(&here, &csrf, PASSWORD);
    assert_eq!(locked.status, 429, "three wrong passwords hold this session");
    assert!(locked.text().contains("Zu viele falsche Passwörter"), "{}", locked.text());
    assert_eq!(login(&app, &email, PASSWORD).0.status, 303, "the login is not held, the old password stands");

    // From the other session, with the right one: changed; that session goes on, the others end.
    let done = change(&elsewhere, &elsewhere_csrf, PASSWORD);
    assert_eq!((done.status, done.header("location")), (303, Some("/app/settings?passwort=geaendert")));
    assert!(get(&app, &elsewhere, "/app/settings?passwort=geaendert").text().contains("Ihr Passwort wurde geändert."));
    let ended = get(&app, &here, "/app/orders");
    assert_eq!((ended.status, ended.header("location")), (303, Some("/app/login")));
    assert_eq!(login(&app, &email, PASSWORD).0.status, 401);
    assert_eq!(login(&app, &email, NEW_PASSWORD).0.status, 303);
}
}
