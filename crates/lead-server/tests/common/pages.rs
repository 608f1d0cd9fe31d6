//! Reading the dashboard's pages over raw HTTP: the cookies they set, their forms' CSRF token.

use lead_testkit::{Response, TestApp};

/// The value of the cookie `name` a response sets.
pub fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers
        .iter()
        .filter(|(header, _)| header == "set-cookie")
        .find_map(|(_, value)| value.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
}

/// The CSRF token of a dashboard page's forms.
pub fn hidden_csrf(page: &Response) -> String {
    let text = page.text();
    let start = text.find(r#"name="csrf" value=""#).expect("a CSRF field") + r#"name="csrf" value=""#.len();
    text[start..].split('"').next().unwrap().to_owned()
}

/// Logs in over raw HTTP as `email`: the answer, and for a session its cookie and the CSRF
/// token of its pages.
pub fn log_in(app: &TestApp, email: &str, password: &str) -> (Response, Option<(String, String)>) {
    let page = app.server.request("GET", "/app/login", &[], b"");
    let login_cookie = set_cookie(&page, "lead_login_csrf").unwrap();
    let csrf = hidden_csrf(&page);
    let body = format!("csrf={csrf}&email={}&password={password}", email.replace('@', "%40"));
    let cookie = format!("lead_login_csrf={login_cookie}");
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let answer = app.server.request("POST", "/app/login", &headers, body.as_bytes());
    let session = set_cookie(&answer, "lead_session").filter(|s| !s.is_empty());
    let session = session.map(|session| {
        let cookie = format!("lead_session={session}");
        let inbox = app.server.request("GET", "/app/orders", &[("Cookie", &cookie)], b"");
        (cookie, hidden_csrf(&inbox))
    });
    (answer, session)
}

/// A dashboard session of Acme's first employee, who is given a password for it first: the
/// session cookie and the CSRF token of its pages.
pub fn first_employee_session(app: &TestApp) -> (String, String) {
    let employee = app.acme.employees[0];
    let password = "Sehr-geheim-2026";
    let set = lead_testkit::cli_with_stdin(
        &app.db.url,
        &["employee", "password", &employee.to_string()],
        &format!("{password}\n"),
    );
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    let email = app.store.access().find_employee(employee).unwrap().email;
    log_in(app, &email, password).1.expect("logged in")
}

/// Posts a dashboard form to `path` in the session `(cookie, csrf)`: `body` (urlencoded) with
/// the session's CSRF token.
pub fn post_form(app: &TestApp, (cookie, csrf): &(String, String), path: &str, body: &str) -> Response {
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    app.server
        .request("POST", path, &headers, format!("csrf={csrf}&{body}").as_bytes())
}
