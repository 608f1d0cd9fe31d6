//! The login form against login CSRF: its token is signed by the server (the installation's
//! key, kept in the database), so a cookie and a field of an attacker's choosing never pass,
//! and a post from another site's page (its `Origin`) is refused.

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
