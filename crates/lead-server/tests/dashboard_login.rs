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
    let email = app.store.access().find_employee(employee).unwrap().email;
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
    let email = app.store.access().find_employee(employee).unwrap().email;
    assert!(common::pages::log_in(&app, &email, PASSWORD).1.is_some());
}
}

/// A login through the form with `email` and `password` from address `from` (as the trusted
/// proxy says), with the browser's device cookie where it has one.
fn login_as(app: &TestApp, email: &str, password: &str, from: &str, device: Option<&str>) -> common::Response {
    let page = app.server.request("GET", "/app/login", &[], b"");
    let token = set_cookie(&page, "lead_login_csrf").unwrap();
    let mut cookie = format!("lead_login_csrf={token}");
    if let Some(device) = device {
        cookie.push_str(&format!("; lead_device={device}"));
    }
    let body = format!("csrf={token}&email={}&password={password}", email.replace('@', "%40"));
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Forwarded-For", from),
    ];
    app.server.request("POST", "/app/login", &headers, body.as_bytes())
}

backend_test! {
fn strangers_guessing_from_many_addresses_do_not_keep_the_employee_out_of_their_own_browser() {
    // The penetration test's finding: wrong passwords from 195 addresses kept the account
    // throttled, and the employee's right password was refused 11 times out of 11.
    let app = TestApp::spawn_with_config(
        "[limits]\nper_ip = 0\nper_key = 0\ntrusted_proxies = [\"127.0.0.1\"]\n\
         [dashboard]\naccount_max_failed = 3\nmax_failed_logins = 3\n",
    );
    let employee = app.acme.employees[0];
    assert!(cli_with_stdin(&app.db.url, &["employee", "password", &employee.to_string()], &format!("{PASSWORD}\n")).status.success());
    let email = app.store.access().find_employee(employee).unwrap().email;
    // The employee logs in once from their browser, which keeps the device cookie.
    let first = login_as(&app, &email, PASSWORD, "198.51.100.7", None);
    assert!(logged_in(&first), "{}", first.status);
    let device = set_cookie(&first, "lead_device").expect("a device cookie");

    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for attacker in 0..2 {
            let (app, email, stop) = (&app, &email, &stop);
            scope.spawn(move || {
                let mut n = attacker;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let from = format!("203.0.113.{}", n % 195 + 1);
                    assert_eq!(login_as(app, email, "falsch-falsch", &from, None).status, 401);
                    n += 2;
                }
            });
        }
        // Until the account waits at least three more seconds for every address …
        let started = std::time::Instant::now();
        while app.db.number(&format!(
            "SELECT COUNT(*) AS n FROM login_throttle WHERE client = '*' AND locked_until > {}",
            lead_domain::Timestamp::now().millis() + 3_000
        )) == 0
        {
            assert!(started.elapsed() < std::time::Duration::from_secs(60), "the attack never set off the throttle");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        // … where a browser the employee never used is held, right password or not, and so is
        // one that shows a cookie this server did not make …
        assert_eq!(login_as(&app, &email, PASSWORD, "198.51.100.8", None).status, 401);
        let forged = format!("{device}x");
        assert_eq!(login_as(&app, &email, PASSWORD, "198.51.100.9", Some(&forged)).status, 401);
        // … their own browser gets in at the first try, from a new address too, again and again.
        for from in ["198.51.100.7", "192.0.2.44", "198.51.100.7"] {
            let answer = login_as(&app, &email, PASSWORD, from, Some(&device));
            assert!(logged_in(&answer), "{from}: {} {}", answer.status, answer.text());
            assert!(set_cookie(&answer, "lead_device").is_none(), "the known browser keeps its cookie");
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });

    // The known browser has a count of its own: three wrong passwords from it lock it.
    for _ in 0..3 {
        assert_eq!(login_as(&app, &email, "falsch-falsch", "192.0.2.51", Some(&device)).status, 401);
    }
    assert_eq!(login_as(&app, &email, PASSWORD, "192.0.2.51", Some(&device)).status, 401, "the browser is locked");
}
}
