//! The login form and what a session is. Against login CSRF the form's token is signed by the
//! server (the installation's key, kept in the database), so a cookie and a field of an
//! attacker's choosing never pass, and a post from another site's page (its `Origin`) is
//! refused. A session is a credential of its own: a team-API token never opens the dashboard,
//! a session cookie never the team API.

mod common;

use common::pages::{hidden_csrf, set_cookie};
use common::{cli_with_stdin, Server, TestApp};

const PASSWORD: &str = "Ein-gutes-Passwort";

/// Posts the login form with `csrf` in cookie and field, and `extra` headers.
fn post_login(server: &Server, cookie: &str, field: &str, extra: &[(&str, &str)]) -> common::Response {
    let body = format!("csrf={field}&email=m0%40company1.example&password={PASSWORD}");
    let cookie = format!("lead_login_csrf={cookie}");
    let mut headers = vec![
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    headers.extend_from_slice(extra);
    server.request("POST", "/app/login", &headers, body.as_bytes())
}

/// The dashboard's page for a form refused by its CSRF check.
fn assert_refused(answer: common::Response) {
    assert_eq!(answer.status, 403, "{}", answer.text());
    assert!(
        answer.text().contains("Sicherheitsprüfung fehlgeschlagen"),
        "{}",
        answer.text()
    );
    assert!(set_cookie(&answer, "lead_session").is_none());
}

fn logged_in(answer: &common::Response) -> bool {
    answer.status == 303 && set_cookie(answer, "lead_session").is_some_and(|session| !session.is_empty())
}

backend_test! {
fn the_login_form_takes_only_the_servers_own_token_from_its_own_pages() {
    let mut app = TestApp::spawn();
    let employee = app.acme.employees[0].to_string();
    assert!(cli_with_stdin(&app.db.url, &["employee", "password", &employee], &format!("{PASSWORD}\n")).status.success());

    // A pair the attacker made up: refused, though cookie and field agree.
    assert_refused(post_login(&app.server, "x", "x", &[]));
    let forged = "AAAAAAAAAAAAAAAAAAAAAA.0000000000000000000000000000000000000000000000000000000000000000";
    assert_refused(post_login(&app.server, forged, forged, &[]));

    let page = app.server.request("GET", "/app/login", &[], b"");
    let token = set_cookie(&page, "lead_login_csrf").unwrap();
    assert_eq!(hidden_csrf(&page), token);
    // The server's own token, but posted from another site's page: refused.
    assert_refused(post_login(&app.server, &token, &token, &[("Origin", "https://evil.example")]));
    assert_refused(post_login(&app.server, &token, &token, &[("Origin", "null")]));

    // Made before a restart, still good after it (the key lives in the database, the same for
    // every instance), and from the server's own page.
    app.server.terminate(std::time::Duration::from_secs(10)).expect("stopped");
    let server = Server::start_with_config(&app.db.url, app.db.dir.path().join("test.toml").to_str().unwrap());
    let own = format!("http://{}", server.addr);
    let answer = post_login(&server, &token, &token, &[("Origin", &own)]);
    assert!(logged_in(&answer), "{} {}", answer.status, answer.text());
}
}

backend_test! {
fn a_team_api_token_is_no_session_and_a_session_no_bearer_token() {
    let app = TestApp::spawn();
    let employee = app.acme.employees[0];
    assert!(cli_with_stdin(&app.db.url, &["employee", "password", &employee.to_string()], &format!("{PASSWORD}\n")).status.success());
    let api_token = common::token_for(&app.store, employee);
    // The API token as the session cookie: no way into the dashboard.
    let cookie = format!("lead_session={api_token}");
    let page = app.server.request("GET", "/app/orders", &[("Cookie", cookie.as_str())], b"");
    assert_eq!(page.status, 303, "{}", page.text());
    assert_eq!(page.header("location"), Some("/app/login"));
    let admin = app.server.request("GET", "/app/admin/keys", &[("Cookie", cookie.as_str())], b"");
    assert_eq!(admin.status, 303);
    // The session cookie as a bearer token: no way into the team API.
    let email = app.store.find_employee(employee).unwrap().email;
    let (session_cookie, _) = common::pages::log_in(&app, &email, PASSWORD).1.expect("logged in");
    let session = session_cookie.trim_start_matches("lead_session=");
    app.team("GET", "/api/v1/orders", session, "").assert_error(401, "unauthorized", None);
    // Each where it belongs.
    assert_eq!(app.team("GET", "/api/v1/orders", &api_token, "").status, 200);
    assert_eq!(app.server.request("GET", "/app/orders", &[("Cookie", session_cookie.as_str())], b"").status, 200);
}
}

backend_test! {
fn logins_beyond_the_password_line_are_refused_at_once_and_counted_nowhere() {
    // One checker and no line: of logins arriving together, those that find the checker busy
    // are answered 429 at once.
    let app = TestApp::spawn_with_config(
        "[limits]\nper_ip = 0\nper_key = 0\ntrusted_proxies = [\"127.0.0.1\"]\n\
         [dashboard]\npassword_checks = 1\npassword_line = 0\n",
    );
    let page = app.server.request("GET", "/app/login", &[], b"");
    let token = set_cookie(&page, "lead_login_csrf").unwrap();
    let cookie = format!("lead_login_csrf={token}");
    let (mut checked, mut refused) = (0, 0);
    for round in 0..10 {
        let answers: Vec<common::Response> = std::thread::scope(|scope| {
            let senders: Vec<_> = (0..8)
                .map(|n| {
                    let (app, cookie, token) = (&app, &cookie, &token);
                    scope.spawn(move || {
                        let body = format!("csrf={token}&email=fremd-{round}-{n}%40example.com&password=falsch-falsch");
                        let from = format!("203.0.113.{}", round * 8 + n + 1);
                        let headers = [
                            ("Cookie", cookie.as_str()),
                            ("Content-Type", "application/x-www-form-urlencoded"),
                            ("X-Forwarded-For", from.as_str()),
                        ];
                        app.server.request("POST", "/app/login", &headers, body.as_bytes())
                    })
                })
                .collect();
            senders.into_iter().map(|sender| sender.join().unwrap()).collect()
        });
        for answer in answers {
            match answer.status {
                401 => checked += 1,
                429 => {
                    refused += 1;
                    assert_eq!(answer.header("retry-after"), Some("1"));
                    assert!(
                        answer.text().contains("Der Server prüft gerade sehr viele Anmeldungen"),
                        "{}",
                        answer.text()
                    );
                }
                other => panic!("{other}: {}", answer.text()),
            }
        }
        if refused > 0 {
            break;
        }
    }
    assert!(refused > 0, "eighty logins at once all found the one checker free");
    // Only the checked ones were counted: one account row per checked email, none for the rest.
    let counted = app.db.number("SELECT COUNT(*) AS n FROM login_throttle WHERE client = '*'");
    assert_eq!(counted, checked);
    // The line is free again for the employee.
    let employee = app.acme.employees[0];
    assert!(cli_with_stdin(&app.db.url, &["employee", "password", &employee.to_string()], &format!("{PASSWORD}\n")).status.success());
    let email = app.store.find_employee(employee).unwrap().email;
    assert!(common::pages::log_in(&app, &email, PASSWORD).1.is_some());
}
}
