//! The team's dashboard under /app, end to end: in real headless Chromium (login, a lead
//! arriving live in the inbox and on the bell, accepting it, a ticket and its customer file,
//! an XSS payload shown as text, the lockout), and over raw HTTP (CSRF, sessions). Each
//! browser page is saved under target/screenshots/.

mod common;

use base64::Engine as _;
use common::browser::{wait_for, Browser};
use common::pages::{hidden_csrf, set_cookie};
use common::{cli_with_stdin, token_for, Receiver, Response, TestApp};
use lead_domain::OrderStatus;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;

const PASSWORD: &str = "Sehr-geheim-2026";

/// A server whose first Acme employee can log in with [`PASSWORD`]; three wrong passwords
/// lock an account.
fn app() -> TestApp {
    app_with("")
}

/// [`app`], with the settings `toml` too.
fn app_with(toml: &str) -> TestApp {
    let app = TestApp::spawn_with(&format!("[dashboard]\nmax_failed_logins = 3\n{toml}"));
    let employee = app.acme.employees[0].to_string();
    let output = cli_with_stdin(
        &app.db.url,
        &["employee", "password", &employee],
        &format!("{PASSWORD}\n"),
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    app
}

fn email(app: &TestApp) -> String {
    app.store.access().find_employee(app.acme.employees[0]).unwrap().email
}

fn log_in(browser: &Browser, app: &TestApp, password: &str) {
    browser.open(&format!("http://{}/app/login", app.server.addr));
    browser.type_into("#email", &email(app));
    browser.type_into("#password", password);
    browser.click("#login");
}

#[test]
fn the_team_works_through_a_lead_live_in_a_real_browser() {
    let Some(browser) = Browser::start() else { return };
    let app = app();
    let base = format!("http://{}", app.server.addr);
    browser.open(&format!("{base}/app/login"));
    browser.screenshot("login");
    log_in(&browser, &app, PASSWORD);
    wait_for("the inbox", || browser.url().ends_with("/app/orders").then_some(()));
    assert_eq!(browser.text("#bell-count"), "0");
    browser.screenshot("inbox-empty");

    // A website sends an order with curl: it appears in the inbox and on the bell without a
    // reload.
    let order = r#"{"type":"order","email":"kunde@beispiel.de","subject":"Bestellung 4711","total":1234.50}"#;
    let sent = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
        .arg(format!("{base}/api/v1/lead.php"))
        .args([
            "-H",
            &format!("X-API-KEY: {}", app.acme.key),
            "-H",
            "Content-Type: application/json",
            "-d",
            order,
        ])
        .output();
    match sent {
        Ok(output) => assert_eq!(String::from_utf8_lossy(&output.stdout), "200"),
        // No curl on this machine: the same request from the tests' own client.
        Err(_) => assert_eq!(app.post_lead(&app.acme.key, order).status, 200),
    }
    wait_for("the bell", || (browser.text("#bell-count") == "1").then_some(()));
    let amount = wait_for("the order in the inbox", || {
        let text = browser.execute("return document.querySelector('td.amount')?.textContent ?? ''");
        text.as_str().filter(|t| !t.is_empty()).map(str::to_owned)
    });
    assert_eq!(amount, "1.234,50 €");
    assert_eq!(
        browser.execute("return performance.getEntriesByType('navigation').length"),
        1,
        "no reload"
    );
    browser.click("#bell-button");
    assert!(browser
        .text("#bell-list")
        .contains("Neue Bestellung! Eine Web-Bestellung über 1.234,50 € ist eingegangen."));
    browser.screenshot("inbox-live");

    // Accept it.
    browser.click("button.accept");
    wait_for("the accepted order", || {
        (browser.text("td.status") == "Angenommen").then_some(())
    });
    let orders = app
        .store
        .team()
        .leads::<lead_store::OrderRecord>(app.acme.id, &Default::default())
        .unwrap();
    assert_eq!(orders[0].status, OrderStatus::Accepted);
    assert_eq!(orders[0].decided_by.as_ref().map(|e| e.id), Some(app.acme.employees[0]));
    browser.screenshot("inbox-accepted");

    // A ticket from a known customer, with a message that tries to run a script.
    let customer = app
        .store
        .team()
        .add_customer(app.acme.id, "Max Mustermann", "max@beispiel.de")
        .unwrap();
    let attack = r#"<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">"#;
    let ticket = serde_json::json!({"type": "ticket", "email": "max@beispiel.de", "subject": "Rückruf <b>bitte</b>",
                                    "message": attack, "phone": "030 123456"});
    let response = app.post_lead(&app.acme.key, &ticket.to_string());
    let ticket_id = response.json()["id"].as_i64().unwrap();
    browser.open(&format!("{base}/app/tickets"));
    browser.screenshot("tickets");
    browser.open(&format!("{base}/app/tickets/{ticket_id}"));
    assert_eq!(browser.text("#message"), attack, "shown as text");
    assert_eq!(browser.text("h1"), "Rückruf <b>bitte</b>");
    assert_eq!(
        browser.execute("return window.pwned === undefined"),
        true,
        "nothing ran"
    );
    assert!(
        browser.text("dl.extra").contains("030 123456"),
        "custom fields are shown"
    );
    browser.screenshot("ticket");

    browser.click("#customer-link");
    wait_for("the customer file", || {
        browser
            .url()
            .ends_with(&format!("/app/customers/{}", customer.id))
            .then_some(())
    });
    assert_eq!(browser.text("h1"), "Max Mustermann");
    assert!(browser.text("main").contains("Rückruf <b>bitte</b>"));
    browser.screenshot("customer");

    browser.open(&format!("{base}/app/notifications"));
    browser.screenshot("notifications");
    browser.click("form[action='/app/notifications/read-all'] button");
    wait_for("all read", || (browser.text("#bell-count") == "0").then_some(()));
}

#[test]
fn wrong_passwords_lock_the_account_in_a_real_browser() {
    let Some(browser) = Browser::start() else { return };
    let app = app();
    for _ in 0..3 {
        log_in(&browser, &app, "falsch-falsch-falsch");
        wait_for("the error", || browser.text("main").contains("falsch").then_some(()));
    }
    // Locked now: even the right password does not get in.
    log_in(&browser, &app, PASSWORD);
    wait_for("the refusal", || {
        browser.text("main").contains("gesperrt").then_some(())
    });
    assert!(browser.url().ends_with("/app/login"), "{}", browser.url());
    browser.screenshot("login-locked");
    // The operator sets a new password: the lock is lifted.
    let employee = app.acme.employees[0].to_string();
    let output = cli_with_stdin(
        &app.db.url,
        &["employee", "password", &employee],
        "Ein-neues-Passwort\n",
    );
    assert!(output.status.success());
    log_in(&browser, &app, "Ein-neues-Passwort");
    wait_for("the inbox", || browser.url().ends_with("/app/orders").then_some(()));
}

/// A logged-in session over raw HTTP: the session cookie and the page's CSRF token.
fn raw_login(app: &TestApp, password: &str) -> (Response, Option<(String, String)>) {
    common::pages::log_in(app, &email(app), password)
}

backend_test! {
fn forms_without_the_csrf_token_change_nothing() {
    let app = app();
    assert_eq!(
        app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@b.de"}"#)
            .status,
        200
    );
    let order = app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &Default::default()).unwrap()[0].id;
    let (answer, session) = raw_login(&app, PASSWORD);
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), Some("/app/orders"));
    let set = answer
        .headers
        .iter()
        .find(|(h, v)| h == "set-cookie" && v.starts_with("lead_session="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/app", "Max-Age=43200"] {
        assert!(set.1.contains(attribute), "{attribute} in {}", set.1);
    }
    let (cookie, csrf) = session.unwrap();
    let accept = format!("/app/orders/{order}/accept");
    let post = |body: &str| {
        app.server.request(
            "POST",
            &accept,
            &[
                ("Cookie", cookie.as_str()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        )
    };
    // Another site can make the browser send the cookie, but not the token.
    assert_eq!(post("back=%2Fapp%2Forders").status, 403);
    assert_eq!(post("csrf=0123456789abcdef0123456789abcdef").status, 403);
    assert_eq!(
        app.store.team().lead::<lead_store::OrderRecord>(app.acme.id, order).unwrap().status,
        OrderStatus::New,
        "nothing changed"
    );
    assert_eq!(post(&format!("csrf={csrf}")).status, 303);
    assert_eq!(app.store.team().lead::<lead_store::OrderRecord>(app.acme.id, order).unwrap().status, OrderStatus::Accepted);

    // The settings' forms the same: without the token nothing changes.
    let employee = app.acme.employees[0];
    for (path, body) in [
        ("/app/settings/notify", "email=on"),
        ("/app/settings/push", "endpoint=https%3A%2F%2Fpush.example.com%2Fx&p256dh=B&auth=A"),
        ("/app/settings/push/test", ""),
        ("/app/settings/push/1/delete", ""),
    ] {
        let answer = app.server.request(
            "POST",
            path,
            &[
                ("Cookie", cookie.as_str()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        );
        assert_eq!(answer.status, 403, "{path}");
    }
    assert_eq!(app.store.access().employee_notify(employee).unwrap(), (true, true), "nothing changed");
    assert!(app.store.outbox().list_push_subscriptions(employee).unwrap().is_empty());

    // The login form has its own token (a double-submit cookie): a cross-site login fails.
    let forged = app.server.request(
        "POST",
        "/app/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("csrf=x&email={}&password={PASSWORD}", email(&app)).as_bytes(),
    );
    assert_eq!(forged.status, 403);

    // Pages without a session go to the login; logout ends the session for good.
    let anonymous = app.server.request("GET", "/app/orders", &[], b"");
    assert_eq!(
        (anonymous.status, anonymous.header("location")),
        (303, Some("/app/login"))
    );
    let logout = app.server.request(
        "POST",
        "/app/logout",
        &[
            ("Cookie", cookie.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!("csrf={csrf}").as_bytes(),
    );
    assert_eq!(logout.status, 303);
    let after = app
        .server
        .request("GET", "/app/orders", &[("Cookie", cookie.as_str())], b"");
    assert_eq!(after.header("location"), Some("/app/login"));
    let stream = app
        .server
        .request("GET", "/app/notifications/stream", &[("Cookie", cookie.as_str())], b"");
    assert_eq!(stream.status, 303, "no live stream without a session");
}
}

backend_test! {
fn a_customer_file_page_shows_fifty_and_links_to_the_older() {
    let app = app();
    let (cookie, _) = raw_login(&app, PASSWORD).1.unwrap();
    let customer = app.store.team().add_customer(app.acme.id, "Stamm", "stamm@kunde.de").unwrap().id;
    let first = (0..51)
        .map(|n| {
            let body = format!(r#"{{"type":"ticket","email":"stamm@kunde.de","subject":"Frage {n}","message":"Hallo"}}"#);
            let answer = app.post_lead(&app.acme.key, &body);
            assert_eq!(answer.status, 200, "{}", answer.text());
            answer.json()["id"].as_i64().unwrap()
        })
        .min()
        .unwrap();
    let get = |path: &str| {
        let page = app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"");
        assert_eq!(page.status, 200, "{path}");
        page.text()
    };
    let newest = get(&format!("/app/customers/{customer}"));
    assert_eq!(newest.matches("href=\"/app/tickets/").count(), 50);
    assert!(!newest.contains("<dt>Telefon</dt>"), "nothing shown of what is not known");
    // What the team entered is on the page.
    let member = lead_store::Member {
        employee_id: app.acme.employees[0],
        company_id: app.acme.id,
        token_id: lead_store::TokenId::new(0),
        password_only: false,
    };
    let change = lead_store::CustomerChange {
        phone: Some("0351 4711".into()),
        street: Some("Hauptstraße 1".into()),
        zip: Some("01067".into()),
        city: Some("Dresden".into()),
        emails: Some(vec!["stamm@privat.de".into()]),
        ..Default::default()
    };
    app.store.team().update_customer(member, customer, &change).unwrap();
    let shown = get(&format!("/app/customers/{customer}"));
    for text in ["<dd>0351 4711</dd>", "<dd>Hauptstraße 1, 01067 Dresden</dd>", "<dd>stamm@privat.de</dd>"] {
        assert!(shown.contains(text), "{text} on the page");
    }
    assert!(!newest.contains("Frage 0<"), "the oldest is on the next page");
    let older = newest
        .split("href=\"")
        .find(|link| link.contains("tickets_before="))
        .and_then(|link| link.split('"').next())
        .expect("a link to the older tickets")
        .replace("&amp;", "&");
    let rest = get(&older);
    assert_eq!(rest.matches("href=\"/app/tickets/").count(), 1);
    assert!(rest.contains(&format!("href=\"/app/tickets/{first}\"")), "{rest}");
    assert!(rest.contains("Neueste Tickets"));
}
}

backend_test! {
fn only_admins_reach_the_privacy_page_which_exports_and_erases_in_their_own_company() {
    let app = app();
    let (cookie, csrf) = raw_login(&app, PASSWORD).1.unwrap();
    let get = |path: &str| app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"");
    let post = |path: &str, body: String| {
        let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
        app.server.request("POST", path, &headers, body.as_bytes())
    };
    let max = r#"{"type":"ticket","email":"max@beispiel.de","subject":"Frage","message":"Hallo"}"#;
    assert_eq!(app.post_lead(&app.acme.key, max).status, 200);
    let other = lead_testkit::add_company(&app.store, "Andere", 1);
    assert_eq!(app.post_lead(&other.key, max).status, 200);
    let tickets = |company| app.store.team().leads::<lead_store::TicketRecord>(company, &Default::default()).unwrap().len();
    let export = format!("csrf={csrf}&email=max%40beispiel.de");
    let erase = format!("csrf={csrf}&email=max%40beispiel.de&confirm=MAX%40beispiel.de");

    // A member: every admin page and action is refused, and nothing changes.
    assert!(!get("/app/orders").text().contains("href=\"/app/admin\""), "no admin link for a member");
    for path in ["/app/admin", "/app/admin/datenschutz"] {
        let page = get(path);
        assert_eq!(page.status, 403, "{path}");
        assert!(page.text().contains("Nur für Administratoren"), "{path}");
    }
    for (path, body) in [("/app/admin/datenschutz/export", &export), ("/app/admin/datenschutz/erase", &erase)] {
        assert_eq!(post(path, body.clone()).status, 403, "{path}");
    }
    assert_eq!(tickets(app.acme.id), 1);

    // Made an admin (the role is read at every request: no new login needed).
    app.store.access().set_employee_role(lead_store::Scope::Everyone, app.acme.employees[0], lead_store::Role::Admin).unwrap();
    assert!(get("/app/orders").text().contains("href=\"/app/admin\""));
    assert!(get("/app/admin").text().contains("href=\"/app/admin/datenschutz\""));
    assert_eq!(get("/app/admin/datenschutz").status, 200);
    let exported = post("/app/admin/datenschutz/export", export.clone());
    assert_eq!(exported.status, 200, "{}", exported.text());
    assert_eq!(
        exported.header("content-disposition"),
        Some("attachment; filename=\"personendaten-max_beispiel.de.json\"")
    );
    let document = exported.json();
    assert_eq!(document["tickets"].as_array().unwrap().len(), 1, "only their own company's: {document}");
    assert_eq!(document["company"]["name"], "Acme");
    // The address twice, or nothing happens.
    let mismatch = post("/app/admin/datenschutz/erase", format!("csrf={csrf}&email=max%40beispiel.de&confirm=moritz%40beispiel.de"));
    assert_eq!(mismatch.status, 400);
    assert_eq!(tickets(app.acme.id), 1);
    let erased = post("/app/admin/datenschutz/erase", erase);
    assert_eq!(erased.status, 200, "{}", erased.text());
    assert!(erased.text().contains("Gelöscht."), "{}", erased.text());
    assert_eq!(tickets(app.acme.id), 0);
    assert_eq!(tickets(other.id), 1, "another company's record of the same address stays");
    let audit = app.store.access().list_audit(Some(1)).unwrap().remove(0);
    assert_eq!(audit.action, "person.erase");
    assert!(audit.actor.contains(&format!("employee {}", app.acme.employees[0])), "{}", audit.actor);
    assert!(!audit.subject.contains("max@"), "{}", audit.subject);
}
}

backend_test! {
fn an_order_page_shows_everything_the_website_sent_and_keeps_the_history() {
    let app = app();
    let (cookie, csrf) = raw_login(&app, PASSWORD).1.unwrap();
    let get = |path: &str| app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"");
    let post = |path: &str, body: String| {
        let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
        app.server.request("POST", path, &headers, body.as_bytes())
    };
    let cart = r#"{"type":"order","email":"max@beispiel.de","subject":"Bestellung 4711","total":"1.234,50",
        "name":"Max Muster","address":{"street":"Hauptstr. 1","city":"Köln"},"newsletter":true,
        "items":[{"sku":"A-1","name":"Tasse <script>alert(1)</script>","qty":2,"price":12.5},
                 {"sku":"B-2","name":"Kanne","qty":1,"price":1209.5,"gift":true}],
        "comment":"Bitte nicht klingeln, Hinterhaus, 3. Stock links, die Tür klemmt manchmal etwas."}"#;
    let answer = app.post_lead(&app.acme.key, cart);
    assert_eq!(answer.status, 200, "{}", answer.text());
    let id = answer.json()["id"].as_i64().unwrap();
    assert!(get("/app/orders").text().contains(&format!("href=\"/app/orders/{id}\"")), "the inbox links to it");
    let page = get(&format!("/app/orders/{id}"));
    assert_eq!(page.status, 200);
    let html = page.text();
    for shown in [
        "Bestellung 4711",
        "1.234,50 €",
        "max@beispiel.de",
        "Max Muster",
        "Hauptstr. 1",
        "Köln",
        "Tasse &lt;script&gt;alert(1)&lt;/script&gt;",
        "12,50 €",
        "1.209,50 €",
        "Kanne",
        "A-1",
        "Hinterhaus, 3. Stock links",
        "<details class=\"original\">",
    ] {
        assert!(html.contains(shown), "{shown} on the page");
    }
    assert!(!html.contains("<script>alert"), "escaped");
    assert!(html.contains("<th>sku</th>") && html.contains("<th>gift</th>"), "the cart as a table with every column");
    // Rejected with a reason: the history says who, when and why.
    let rejected = post(&format!("/app/orders/{id}/reject"), format!("csrf={csrf}&back=/app/orders/{id}&reason=Nicht+lieferbar"));
    assert_eq!(rejected.status, 303);
    assert_eq!(rejected.header("location"), Some(format!("/app/orders/{id}").as_str()));
    let noted = post(&format!("/app/orders/{id}/notes"), format!("csrf={csrf}&text=Kunde+informiert+%3Cb%3E"));
    assert_eq!(noted.status, 303);
    let html = get(&format!("/app/orders/{id}")).text();
    let history = html.split("id=\"timeline\"").nth(1).unwrap();
    for entry in ["Eingegangen", "Abgelehnt von", "Begründung der Ablehnung: Nicht lieferbar", "Kunde informiert &lt;b&gt;"] {
        assert!(history.contains(entry), "{entry} in the history");
    }
    assert!(!html.contains("formaction"), "no decision any more");
    assert_eq!(post(&format!("/app/orders/{id}/notes"), format!("csrf={csrf}&text=+")).status, 400);
    assert_eq!(post(&format!("/app/orders/{id}/notes"), "text=ohne+csrf".to_owned()).status, 403);
    // A held order released to the team: the history says when, and by whom.
    let held = app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@b.de","total":1,"_gotcha":"x"}"#);
    let held = held.json()["id"].as_i64().unwrap();
    assert_eq!(get(&format!("/app/orders/{held}")).status, 404, "held: not the team's");
    let released = common::cli(&app.db.url, &["orders", "release", &held.to_string()]);
    assert!(released.status.success());
    let history = get(&format!("/app/orders/{held}")).text();
    assert!(history.contains("Für das Team freigegeben (war zurückgehalten)"), "{history}");
    // Another company's order is not found, exactly like a missing one.
    let other = lead_testkit::add_company(&app.store, "Andere", 1);
    let theirs = app.post_lead(&other.key, r#"{"type":"order","email":"a@b.de","total":1}"#).json()["id"].as_i64().unwrap();
    let foreign = get(&format!("/app/orders/{theirs}"));
    let missing = get("/app/orders/999999");
    assert_eq!((foreign.status, missing.status), (404, 404));
    assert_eq!(foreign.text(), missing.text());
    assert_eq!(post(&format!("/app/orders/{theirs}/notes"), format!("csrf={csrf}&text=Hallo")).status, 404);
}
}

#[test]
fn times_are_shown_in_the_teams_time_zone() {
    for (zone, configured) in [
        ("Europe/Berlin", ""),
        ("America/New_York", "time_zone = \"America/New_York\"\n"),
    ] {
        let app = app_with(configured);
        let (cookie, _) = raw_login(&app, PASSWORD).1.unwrap();
        let answer = app.post_lead(
            &app.acme.key,
            r#"{"type":"ticket","email":"a@b.de","subject":"Zeit","message":"Hallo"}"#,
        );
        let id = answer.json()["id"].as_i64().unwrap();
        let created = app
            .store
            .team()
            .lead::<lead_store::TicketRecord>(app.acme.id, lead_store::TicketId::new(id))
            .unwrap()
            .created_at;
        let local = created.to_german_in(&lead_domain::TimeZone::get(zone).unwrap());
        let page = app.server.request(
            "GET",
            &format!("/app/tickets/{id}"),
            &[("Cookie", cookie.as_str())],
            b"",
        );
        assert!(page.text().contains(&local), "{local} ({zone}) on the page");
        assert!(!page.text().contains(" UTC"), "{zone}");
        // The API stays in UTC.
        let token = token_for(&app.store, app.acme.employees[0]);
        let api = app.team("GET", &format!("/api/v1/tickets/{id}"), &token, "");
        assert!(api.json()["created_at"].as_str().unwrap().ends_with('Z'));
    }
    // A zone that does not exist stops the server at the start, saying why.
    let db = common::TestDb::new();
    let config = db.dir.path().join("bad.toml");
    std::fs::write(&config, "[dashboard]\ntime_zone = \"Europe/Bärlin\"\n").unwrap();
    let refused = common::cli(&db.url, &["--config", config.to_str().unwrap(), "company", "list"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is not a time zone"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

backend_test! {
fn only_the_right_password_of_an_active_employee_gets_in() {
    let app = app();
    assert_eq!(raw_login(&app, "falsch-falsch").0.status, 401);
    assert!(raw_login(&app, PASSWORD).1.is_some());
    // A deactivated employee, or one of a deactivated company, is out — sessions included.
    let (_, session) = raw_login(&app, PASSWORD);
    let (cookie, _) = session.unwrap();
    app.store.access().set_employee_active(lead_store::Scope::Everyone, app.acme.employees[0], false).unwrap();
    assert_eq!(raw_login(&app, PASSWORD).0.status, 401);
    let page = app
        .server
        .request("GET", "/app/orders", &[("Cookie", cookie.as_str())], b"");
    assert_eq!(page.header("location"), Some("/app/login"));
    // Passwords are at least 10 characters.
    let employee = app.acme.employees[1].to_string();
    let short = cli_with_stdin(&app.db.url, &["employee", "password", &employee], "kurz\n");
    assert!(!short.status.success());
    // ... and hard to guess (before, any ten characters would do): a common password, or one
    // made of the employee's own name, is refused with the reason.
    let name = app.store.access().find_employee(app.acme.employees[1]).unwrap().name;
    for weak in ["passwort123".to_owned(), format!("{name}{name}")] {
        let refused = cli_with_stdin(&app.db.url, &["employee", "password", &employee], &format!("{weak}\n"));
        assert!(!refused.status.success(), "{weak} was accepted");
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(said.contains("too easy to guess"), "{said}");
    }
}
}

/// A login with the employee's email and `password`, from the address `from` (as the trusted
/// proxy says): the answer's status.
fn login_from(app: &TestApp, from: &str, password: &str) -> u16 {
    let page = app.server.request("GET", "/app/login", &[], b"");
    let cookie = format!("lead_login_csrf={}", set_cookie(&page, "lead_login_csrf").unwrap());
    let body = format!(
        "csrf={}&email={}&password={password}",
        hidden_csrf(&page),
        email(app).replace('@', "%40")
    );
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Forwarded-For", from),
    ];
    app.server
        .request("POST", "/app/login", &headers, body.as_bytes())
        .status
}

backend_test! {
fn guesses_from_many_addresses_are_held_by_the_account_throttle() {
    // Before, each address had guesses of its own: forty from eight addresses were all
    // checked, five each.
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 0\nper_key = 0\ntrusted_proxies = [\"127.0.0.1\"]\n");
    let employee = app.acme.employees[0].to_string();
    let output = cli_with_stdin(&app.db.url, &["employee", "password", &employee], &format!("{PASSWORD}\n"));
    assert!(output.status.success());
    // Forty wrong guesses at once, five from each of eight addresses.
    std::thread::scope(|scope| {
        for n in 0..40 {
            let app = &app;
            scope.spawn(move || {
                assert_eq!(login_from(app, &format!("203.0.113.{}", n % 8 + 1), "falsch-falsch"), 401);
            });
        }
    });
    // Ten were checked; then the account waited (1 s, 2 s, …) and the rest were refused
    // unchecked — a few more only if the burst outlasted a wait on a slow machine.
    let checked = app.db.number("SELECT CAST(failed AS BIGINT) AS n FROM login_throttle WHERE client = '*'");
    assert!((10..=15).contains(&checked), "{checked} of 40 guesses were checked");
    // A wait, not a lock: seconds later the employee gets in (attempts while it waits are
    // not counted, so trying again does not make it longer).
    let started = std::time::Instant::now();
    while login_from(&app, "198.51.100.1", PASSWORD) != 303 {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "still throttled after a minute");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}
}

backend_test! {
fn wrong_passwords_lock_out_only_the_address_they_come_from_even_sent_at_once() {
    let app = TestApp::spawn_with_config(
        "[limits]\nper_ip = 0\nper_key = 0\ntrusted_proxies = [\"127.0.0.1\"]\n[dashboard]\nmax_failed_logins = 3\n",
    );
    let employee = app.acme.employees[0].to_string();
    let output = cli_with_stdin(&app.db.url, &["employee", "password", &employee], &format!("{PASSWORD}\n"));
    assert!(output.status.success());
    let attempt = |from: &str, password: &str| login_from(&app, from, password);
    // Ten wrong passwords at once from one address: none slips past the count.
    std::thread::scope(|scope| {
        for _ in 0..10 {
            scope.spawn(|| assert_eq!(attempt("203.0.113.9", "falsch-falsch"), 401));
        }
    });
    assert_eq!(attempt("203.0.113.9", PASSWORD), 401, "that address is locked out");
    // The employee, elsewhere, still gets in: an attacker cannot lock them out.
    assert_eq!(attempt("198.51.100.1", PASSWORD), 303);

    // Eight addresses of one IPv6 /64 are one client: three wrong passwords lock them all
    // (before, each address had three guesses of its own).
    for n in 1..=8 {
        assert_eq!(attempt(&format!("2001:db8:1:2::{n}"), "falsch-falsch"), 401);
    }
    assert_eq!(attempt("2001:db8:1:2::99", PASSWORD), 401, "the whole /64 is locked out");
    assert_eq!(attempt("2001:db8:1:3::1", PASSWORD), 303, "the next /64 is not");
}
}

#[test]
fn push_messages_show_as_notifications_in_a_real_browser() {
    let Some(browser) = Browser::start() else { return };
    let service = Receiver::start(vec![]);
    let app = app_with("[outbox]\nallow_private_targets = true\n[push]\nsubject = \"mailto:it@acme.example\"\n");
    let base = format!("http://{}", app.server.addr);
    // Every page allows its own service worker and manifest, and nothing else.
    let csp = app.server.request("GET", "/app/login", &[], b"");
    let csp = csp.header("content-security-policy").unwrap_or_default().to_owned();
    assert!(
        csp.contains("worker-src 'self'") && csp.contains("manifest-src 'self'"),
        "{csp}"
    );
    // A device subscribed before (headless Chromium has no push service of its own).
    let key = p256::SecretKey::from_slice(&[7u8; 32]).unwrap().public_key();
    let base64url = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let device = serde_json::json!({
        "endpoint": format!("{}/phone", service.url),
        "keys": {"p256dh": base64url(key.to_encoded_point(false).as_bytes()), "auth": base64url(&[9u8; 16])}
    });
    let token = token_for(&app.store, app.acme.employees[0]);
    let answer = app.team("POST", "/api/v1/push/subscriptions", &token, &device.to_string());
    assert_eq!(answer.status, 201, "{}", answer.text());

    log_in(&browser, &app, PASSWORD);
    wait_for("the inbox", || browser.url().ends_with("/app/orders").then_some(()));
    browser.open(&format!("{base}/app/settings"));
    // The service worker registers for /app/ under the strict CSP; the manifest parses.
    let scope =
        browser.execute_async("navigator.serviceWorker.ready.then((r) => done(r.scope), (e) => done(String(e)));");
    assert_eq!(scope, format!("{base}/app/"));
    let manifest = browser.devtools("Page.getAppManifest", serde_json::json!({}));
    assert_eq!(manifest["errors"], serde_json::json!([]), "{manifest}");
    assert!(
        manifest["url"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/app/manifest.webmanifest"),
        "{manifest}"
    );
    assert_eq!(
        browser.execute("return document.getElementById('push-enable').hidden"),
        false
    );
    assert!(browser.text("main").contains("Home-Bildschirm"), "the iPhone hint");
    assert!(
        browser.text("#devices").contains("noch nie"),
        "{}",
        browser.text("#devices")
    );
    browser.screenshot("settings-push");
    browser.execute("document.getElementById('push-title').scrollIntoView()");
    browser.screenshot("settings-push-devices");

    // „Test senden“ goes through the outbox to the device's push service.
    browser.click("form[action='/app/settings/push/test'] button");
    wait_for("the test's confirmation", || {
        browser.text("main").contains("Test an 1 Gerät gesendet.").then_some(())
    });
    wait_for("the test at the push service", || {
        (service.received().len() == 1).then_some(())
    });

    // A push delivered to the service worker (through DevTools: no push service here) shows
    // a notification with the German title.
    browser.devtools(
        "Browser.grantPermissions",
        serde_json::json!({"permissions": ["notifications"], "origin": base}),
    );
    let message = r#"{"title":"Neue Bestellung!","body":"Eine Web-Bestellung über 1.234,50 € ist eingegangen.","url":"/app/orders/1","tag":"order-1"}"#;
    browser.devtools("ServiceWorker.enable", serde_json::json!({}));
    // A fresh profile's first registration has the id 0; a push to an id that does not exist
    // (or not yet stored) is dropped, so it is sent again until it shows — the tag keeps it to
    // one notification.
    let shown = wait_for("the notification", || {
        for registration in ["0", "1", "2"] {
            browser.devtools(
                "ServiceWorker.deliverPushMessage",
                serde_json::json!({"origin": base, "registrationId": registration, "data": message}),
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        let shown = browser.execute_async(
            "navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((n) => done(n.map((x) => [x.title, x.body, x.tag])));",
        );
        shown.as_array().filter(|n| !n.is_empty()).cloned()
    });
    assert_eq!(
        shown,
        vec![serde_json::json!([
            "Neue Bestellung!",
            "Eine Web-Bestellung über 1.234,50 € ist eingegangen.",
            "order-1"
        ])]
    );
    let errors = browser.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");

    // The employee turns push off for all their devices.
    browser.click("#notify-push");
    browser.click("form[action='/app/settings/notify'] button");
    wait_for("push turned off", || {
        (app.store.access().employee_notify(app.acme.employees[0]).unwrap() == (true, false)).then_some(())
    });
    assert_eq!(
        browser.execute("return document.getElementById('notify-push').checked"),
        false
    );
}

#[test]
fn the_session_cookie_is_secure_unless_the_server_is_private_to_this_machine() {
    let db = common::TestDb::new();
    drop(db.store());
    // Bound to every address: Secure by default (before, only when configured), unless told.
    for (settings, secure) in [("", true), ("[dashboard]\ninsecure_cookies = true\n", false)] {
        let file = db.dir.path().join("cookies.toml");
        std::fs::write(&file, settings).unwrap();
        let server = common::Server::spawn(
            &[
                "--database-url",
                &db.url,
                "--config",
                file.to_str().unwrap(),
                "serve",
                "--bind",
                "0.0.0.0:0",
            ],
            &[],
        );
        let page = server.request("GET", "/app/login", &[], b"");
        let cookie = set_cookie_line(&page, "lead_login_csrf");
        assert_eq!(cookie.contains("; Secure"), secure, "{settings:?}: {cookie}");
    }
    // Bound to loopback, as every other test: not Secure (a reverse proxy on this machine).
    let app = app();
    let page = app.server.request("GET", "/app/login", &[], b"");
    assert!(!set_cookie_line(&page, "lead_login_csrf").contains("Secure"));
}

/// The whole `Set-Cookie` line of cookie `name`.
fn set_cookie_line(response: &Response, name: &str) -> String {
    response
        .headers
        .iter()
        .find(|(header, value)| header == "set-cookie" && value.starts_with(&format!("{name}=")))
        .map(|(_, value)| value.clone())
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

backend_test! {
fn lists_page_search_filter_count_and_export() {
    let app = app();
    let (cookie, _) = raw_login(&app, PASSWORD).1.unwrap();
    let get = |path: &str| app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"");
    // 60 orders; three of them by Jürgen, one of those with a formula for a title.
    let mut ids = Vec::new();
    for n in 0..60 {
        let body = match n {
            7 => r#"{"type":"order","email":"juergen@beispiel.de","subject":"=HYPERLINK(\"http://x\")","total":"1.234,50"}"#.to_owned(),
            8 | 9 => format!(r#"{{"type":"order","email":"juergen@beispiel.de","subject":"Bestellung {n}","total":{n},"name":"Jürgen Groß"}}"#),
            _ => format!(r#"{{"type":"order","email":"k{n}@beispiel.de","subject":"Bestellung {n}","total":{n},"note":"100%_sicher"}}"#),
        };
        let answer = app.post_lead(&app.acme.key, &body);
        assert_eq!(answer.status, 200, "{}", answer.text());
        ids.push(answer.json()["id"].as_i64().unwrap());
    }
    let listed = |html: &str| -> Vec<i64> {
        html.split("href=\"/app/orders/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next()?.parse().ok())
            .collect()
    };
    // 50 a page, newest first; the next page starts below the last, and stays put while
    // leads arrive.
    let first = get("/app/orders").text();
    let newest: Vec<i64> = ids.iter().rev().copied().collect();
    assert_eq!(listed(&first), newest[..50]);
    assert!(first.contains("Alle (60)") && first.contains("Neu (60)") && first.contains("Angenommen (0)"), "counts");
    let older = first.split("rel=\"next\"").next().unwrap().rsplit("href=\"").next().unwrap().split('"').next().unwrap().replace("&amp;", "&");
    assert_eq!(app.post_lead(&app.acme.key, r#"{"type":"order","email":"neu@beispiel.de","total":1}"#).status, 200);
    let second = get(&older).text();
    assert_eq!(listed(&second), newest[50..], "the second page is the same with a new lead on top");
    assert!(!second.contains("rel=\"next\""));
    // Search: any case, in the address, title and the fields the website sent; `%` and `_`
    // literal; a date range in the team's time zone.
    assert_eq!(listed(&get("/app/orders?q=J%C3%BCrgen").text()).len(), 2, "by name in the payload");
    assert_eq!(listed(&get("/app/orders?q=JUERGEN%40").text()).len(), 3, "by address, any case");
    assert!(get("/app/orders?q=100%25_").text().contains("Alle (57)"));
    assert_eq!(listed(&get("/app/orders?q=100%25x").text()).len(), 0);
    let searched = get("/app/orders?q=juergen");
    assert!(searched.text().contains("Alle (3)"), "the counts follow the search");
    let today = lead_domain::Timestamp::now().to_german_in(&lead_domain::TimeZone::get("Europe/Berlin").unwrap());
    let (day, month, year) = (&today[0..2], &today[3..5], &today[6..10]);
    let range = get(&format!("/app/orders?since={year}-{month}-{day}&until={year}-{month}-{day}")).text();
    assert!(range.contains("Alle (61)"), "today, from midnight to midnight in Berlin");
    assert_eq!(listed(&get("/app/orders?until=2020-01-01").text()).len(), 0);
    assert_eq!(get("/app/orders?since=gestern").status, 400);
    // The export: the filtered list, German Excel by default.
    let excel = get("/app/orders/export.csv?q=juergen");
    assert_eq!(excel.status, 200);
    assert_eq!(excel.header("content-type"), Some("text/csv; charset=utf-8; header=present"));
    assert!(excel.header("content-disposition").unwrap().starts_with("attachment; filename=\"bestellungen-"));
    let text = String::from_utf8(excel.body.clone()).unwrap();
    assert!(text.starts_with("\u{feff}Nr.;Eingang;Status;E-Mail;Titel;Betrag (EUR);"), "{text}");
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert!(rows.iter().any(|row| row.contains(";\"'=HYPERLINK(\"\"http://x\"\")\";1234,50;")), "neutralised, decimal comma: {text}");
    assert!(rows.iter().all(|row| row.contains(&format!("{day}.{month}.{year} "))), "local dates: {text}");
    let plain = get("/app/orders/export.csv?dialect=rfc4180&q=juergen");
    let text = String::from_utf8(plain.body.clone()).unwrap();
    assert!(text.starts_with("id,created_at,status,email,title,total,"), "{text}");
    assert!(text.contains(",1234.50,") && text.contains("Z,new,"), "{text}");
    assert!(text.contains(",\"=HYPERLINK(\"\"http://x\"\")\","), "programs get the value as it is: {text}");
    // All 61, streamed in chunks: every one once.
    let all = String::from_utf8(get("/app/orders/export.csv?dialect=rfc4180").body.clone()).unwrap();
    assert_eq!(all.lines().count(), 62);
    // The team API searches the same way (days in UTC).
    let token = token_for(&app.store, app.acme.employees[0]);
    let api = app.team("GET", "/api/v1/orders?q=JUERGEN&limit=200", &token, "");
    assert_eq!(api.json()["items"].as_array().unwrap().len(), 3);
    let api = app.team("GET", "/api/v1/orders?until=2020-01-01", &token, "");
    assert!(api.json()["items"].as_array().unwrap().is_empty());
    app.team("GET", "/api/v1/orders?since=gestern", &token, "").assert_error(400, "invalid_field", Some("since"));
    let tickets = get("/app/tickets/export.csv");
    assert!(String::from_utf8(tickets.body.clone()).unwrap().starts_with("\u{feff}Nr.;Eingang;Status;E-Mail;Titel;Nachricht;"));
}
}

backend_test! {
fn admins_manage_employees_keys_and_see_the_form_log_and_members_are_refused_everywhere() {
    let app = app();
    let (cookie, csrf) = raw_login(&app, PASSWORD).1.unwrap();
    let get = |path: &str| app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"");
    let post = |path: &str, body: &str| {
        let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
        app.server.request("POST", path, &headers, format!("csrf={csrf}&{body}").as_bytes())
    };
    let (me, colleague) = (app.acme.employees[0], app.acme.employees[1]);
    let key_id = app.store.access().list_keys(Some(app.acme.id)).unwrap()[0].id;
    let pages = [
        "/app/admin",
        "/app/admin/mitarbeiter",
        "/app/admin/keys",
        "/app/admin/protokoll",
        "/app/admin/webhooks",
        "/app/admin/audit",
        "/app/admin/datenschutz",
        "/app/admin/kunden-import",
    ];
    let actions: Vec<(String, &str)> = vec![
        ("/app/admin/mitarbeiter/add".into(), "name=Neu&email=neu%40acme.example"),
        (format!("/app/admin/mitarbeiter/{colleague}/deactivate"), ""),
        (format!("/app/admin/mitarbeiter/{colleague}/activate"), ""),
        (format!("/app/admin/mitarbeiter/{colleague}/admin"), ""),
        (format!("/app/admin/mitarbeiter/{colleague}/member"), ""),
        (format!("/app/admin/mitarbeiter/{colleague}/password"), ""),
        (format!("/app/admin/mitarbeiter/{colleague}/unlock"), ""),
        ("/app/admin/keys/issue".into(), "label=Neu"),
        (format!("/app/admin/keys/{key_id}/origins"), "origins=https%3A%2F%2Fshop.example.de"),
        (format!("/app/admin/keys/{key_id}/cap"), "cap=5"),
        (format!("/app/admin/keys/{key_id}/confirm"), "confirm=on"),
        (format!("/app/admin/keys/{key_id}/revoke"), ""),
        ("/app/admin/webhooks/add".into(), "url=https%3A%2F%2Fcrm.example.de%2Fhook"),
        ("/app/admin/webhooks/1/remove".into(), ""),
        ("/app/admin/webhooks/1/enable".into(), ""),
        ("/app/admin/webhooks/1/test".into(), ""),
        ("/app/admin/deliveries/1/retry".into(), ""),
        ("/app/admin/datenschutz/export".into(), "email=a%40b.de"),
        ("/app/admin/datenschutz/erase".into(), "email=a%40b.de&confirm=a%40b.de"),
        ("/app/admin/kunden-import".into(), "mode=import"),
    ];
    // A member: every admin page and every admin action is refused, and nothing changes.
    let before = (app.store.access().list_employees(app.acme.id).unwrap(), app.store.access().list_keys(Some(app.acme.id)).unwrap());
    for path in pages {
        assert_eq!(get(path).status, 403, "{path}");
    }
    for (path, body) in &actions {
        assert_eq!(post(path, body).status, 403, "{path}");
    }
    assert_eq!((app.store.access().list_employees(app.acme.id).unwrap(), app.store.access().list_keys(Some(app.acme.id)).unwrap()), before);

    // An empty inbox says how to connect a form, and where.
    assert!(get("/app/orders").text().contains("href=\"/app/admin/keys\""));
    app.store.access().set_employee_role(lead_store::Scope::Everyone, me, lead_store::Role::Admin).unwrap();
    for path in pages {
        assert_eq!(get(path).status, 200, "{path}");
    }
    // Employees: added, made admin, deactivated and back, a one-time password that works.
    assert_eq!(post("/app/admin/mitarbeiter/add", "name=Neu&email=neu%40acme.example&admin=on").status, 303);
    let added = app.store.access().list_employees(app.acme.id).unwrap().into_iter().find(|e| e.name == "Neu").unwrap();
    assert_eq!(added.role, lead_store::Role::Admin);
    assert_eq!(post(&format!("/app/admin/mitarbeiter/{colleague}/deactivate"), "").status, 303);
    assert!(!app.store.access().find_employee(colleague).unwrap().active);
    assert_eq!(post(&format!("/app/admin/mitarbeiter/{colleague}/activate"), "").status, 303);
    assert_eq!(post(&format!("/app/admin/mitarbeiter/{me}/deactivate"), "").status, 409, "not oneself");
    assert_eq!(post(&format!("/app/admin/mitarbeiter/{me}/member"), "").status, 409);
    // An action that is none has no route: not found, and nothing changes.
    let before = app.store.access().list_employees(app.acme.id).unwrap();
    for path in [
        format!("/app/admin/mitarbeiter/{colleague}/promote"),
        format!("/app/admin/keys/{key_id}/delete"),
        "/app/admin/webhooks/1/disable".to_owned(),
    ] {
        assert_eq!(post(&path, "").status, 404, "{path}");
    }
    assert_eq!(app.store.access().list_employees(app.acme.id).unwrap(), before);
    let shown = post(&format!("/app/admin/mitarbeiter/{colleague}/password"), "");
    assert_eq!(shown.status, 200);
    let page = shown.text();
    let password = page.split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_owned();
    assert_eq!(password.len(), 16, "{page}");
    assert!(!get("/app/admin/mitarbeiter").text().contains(&password), "shown once");
    let colleague_email = app.store.access().find_employee(colleague).unwrap().email;
    let login_page = app.server.request("GET", "/app/login", &[], b"");
    let login_cookie = format!("lead_login_csrf={}", set_cookie(&login_page, "lead_login_csrf").unwrap());
    let body = format!("csrf={}&email={}&password={password}", hidden_csrf(&login_page), colleague_email.replace('@', "%40"));
    let headers = [("Cookie", login_cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    assert_eq!(app.server.request("POST", "/app/login", &headers, body.as_bytes()).status, 303, "the one-time password works");
    // Lockouts lifted.
    let limits = lead_store::LoginLimits { per_client: 1, lockout_ms: 60_000, per_account: 10 };
    assert!(app.store.access().reserve_login_attempt(&colleague_email, "203.0.113.5", limits).unwrap());
    app.store.access().note_failed_login(&colleague_email, "203.0.113.5", limits).unwrap();
    assert!(!app.store.access().reserve_login_attempt(&colleague_email, "203.0.113.5", limits).unwrap(), "locked");
    assert_eq!(post(&format!("/app/admin/mitarbeiter/{colleague}/unlock"), "").status, 303);
    assert!(app.store.access().reserve_login_attempt(&colleague_email, "203.0.113.5", limits).unwrap(), "lifted");

    // Keys: issued once with snippets, limited to a website, capped, revoked.
    let issued = post("/app/admin/keys/issue", "label=Shop");
    assert_eq!(issued.status, 200);
    let html = issued.text();
    let key = html.split("<code id=\"new-key\">").nth(1).unwrap().split("</code>").next().unwrap().to_owned();
    assert!(key.starts_with("lgw_") && html.contains("X-API-KEY") && html.contains("name=&quot;key&quot;"), "{html}");
    assert!(!get("/app/admin/keys").text().contains(&key), "shown once");
    let lead = r#"{"type":"ticket","email":"a@b.de","message":"Hallo"}"#;
    assert_eq!(app.post_lead(&key, lead).status, 200, "the new key works");
    let new_id = app.store.access().find_key_by_hash(&lead_auth::ApiKey::presented(&key).hash()).unwrap().unwrap().tenant.key_id;
    assert_eq!(post(&format!("/app/admin/keys/{new_id}/origins"), "origins=https%3A%2F%2Fshop.example.de%0Ahttps%3A%2F%2Fwww.shop.example.de").status, 303);
    let refused = post(&format!("/app/admin/keys/{new_id}/origins"), "origins=kein+origin");
    assert_eq!(refused.status, 400);
    assert!(refused.text().contains("„kein“ ist keine Website-Adresse"), "in German: {}", refused.text());
    assert_eq!(post(&format!("/app/admin/keys/{new_id}/cap"), "cap=5").status, 303);
    assert_eq!(post(&format!("/app/admin/keys/{new_id}/cap"), "cap=-1").status, 400);
    assert_eq!(post(&format!("/app/admin/keys/{new_id}/confirm"), "confirm=on").status, 303);
    let info = app.store.access().key(new_id).unwrap();
    assert_eq!(info.origins, ["https://shop.example.de", "https://www.shop.example.de"]);
    assert_eq!((info.daily_cap, info.confirm_sender), (Some(5), true));
    // The form log shows the failed request, with what was sent.
    assert_eq!(app.post_lead(&key, r#"{"type":"order","email":"a@b.de","total":"viel"}"#).status, 400);
    let log = lead_testkit::wait_until("the failure in the form log", std::time::Duration::from_secs(5), || {
        let page = get("/app/admin/protokoll?failed=on").text();
        page.contains("viel").then_some(page)
    });
    assert!(log.contains("invalid_field"), "{log}");
    assert!(get("/app/admin/protokoll?failed=on&until=2020-01-01").text().contains("Keine Anfragen."), "by days");
    assert_eq!(get("/app/admin/protokoll?since=gestern").status, 400);
    assert_eq!(post(&format!("/app/admin/keys/{new_id}/revoke"), "").status, 303);
    assert_eq!(app.post_lead(&key, lead).status, 403, "revoked");
    // Another company's employee or key is not found, like a missing one.
    let other = lead_testkit::add_company(&app.store, "Andere", 1);
    let their_key = app.store.access().list_keys(Some(other.id)).unwrap()[0].id;
    for path in [
        format!("/app/admin/mitarbeiter/{}/deactivate", other.employees[0]),
        format!("/app/admin/keys/{their_key}/revoke"),
        "/app/admin/mitarbeiter/999999/deactivate".to_owned(),
        "/app/admin/keys/999999/revoke".to_owned(),
    ] {
        assert_eq!(post(&path, "").status, 404, "{path}");
    }
    assert!(app.store.access().find_employee(other.employees[0]).unwrap().active);
    assert!(app.store.access().key(their_key).unwrap().active);
    // The company's audit log shows them, and nothing of another company.
    let log = get("/app/admin/audit").text();
    assert!(log.contains("key.revoke") && log.contains("employee.password"), "{log}");
    assert!(!log.contains(&format!("of company {}", other.id)), "another company's entries: {log}");
    // Each admin action is audited with the admin's name.
    let audit = app.store.access().list_audit(None).unwrap();
    for action in ["key.revoke", "key.issue", "employee.role", "employee.deactivate", "employee.password", "employee.unlock"] {
        let by_me = |entry: &&lead_store::AuditEntry| entry.action == action && entry.actor.contains(&format!("employee {me} "));
        assert!(audit.iter().any(|entry| by_me(&entry)), "{action} by the admin in {audit:?}");
    }
}
}

#[test]
fn every_page_works_in_a_real_browser_on_the_desktop_and_a_phone() {
    let Some(browser) = Browser::start() else { return };
    let app = app();
    app.store
        .access()
        .set_employee_role(
            lead_store::Scope::Everyone,
            app.acme.employees[0],
            lead_store::Role::Admin,
        )
        .unwrap();
    let base = format!("http://{}", app.server.addr);
    let cart = r#"{"type":"order","email":"juergen@beispiel.de","subject":"Bestellung 4711","total":"1.234,50",
        "name":"Jürgen Groß","address":{"street":"Hauptstr. 1","city":"Köln"},
        "items":[{"sku":"A-1","name":"Tasse","qty":2,"price":12.5},{"sku":"B-2","name":"Kanne","qty":1,"price":1209.5}]}"#;
    let order = app.post_lead(&app.acme.key, cart).json()["id"].as_i64().unwrap();
    for n in 0..3 {
        let other = format!(r#"{{"type":"order","email":"k{n}@beispiel.de","subject":"Bestellung {n}","total":{n}}}"#);
        assert_eq!(app.post_lead(&app.acme.key, &other).status, 200);
    }
    let ticket = app
        .post_lead(&app.acme.key, r#"{"type":"ticket","email":"juergen@beispiel.de","subject":"Lieferung","message":"Wo bleibt mein Paket?","kundennummer":"K-17"}"#)
        .json()["id"]
        .as_i64()
        .unwrap();
    let customer = app
        .store
        .team()
        .add_customer(app.acme.id, "Jürgen Groß", "juergen@beispiel.de")
        .unwrap()
        .id;
    log_in(&browser, &app, PASSWORD);
    wait_for("the inbox", || browser.url().ends_with("/app/orders").then_some(()));

    // The order with its cart: every value on the page.
    browser.open(&format!("{base}/app/orders/{order}"));
    let page = browser.text("main");
    for value in [
        "Bestellung 4711",
        "1.234,50 €",
        "Jürgen Groß",
        "Hauptstr. 1",
        "Köln",
        "Tasse",
        "Kanne",
        "12,50 €",
        "1.209,50 €",
        "A-1",
        "B-2",
    ] {
        assert!(page.contains(value), "{value} in {page}");
    }
    // A note, typed and saved, in the history.
    browser.type_into("#note", "Rückruf am Montag");
    browser.click("form.note button");
    wait_for("the note", || {
        browser.text("#timeline").contains("Rückruf am Montag").then_some(())
    });
    // The search narrows the list.
    browser.open(&format!("{base}/app/orders"));
    let rows = || {
        browser
            .execute("return document.querySelectorAll('main table tbody tr').length")
            .as_i64()
            .unwrap()
    };
    assert_eq!(rows(), 4);
    browser.type_into("#q", "JÜRGEN");
    browser.click("form.search button");
    wait_for("the search", || (rows() == 1).then_some(()));
    // An admin issues a key: shown once.
    browser.open(&format!("{base}/app/admin/keys"));
    browser.type_into("#label", "Shop");
    browser.click("form[action='/app/admin/keys/issue'] button");
    let key = wait_for("the new key", || {
        let key = browser.text("#new-key");
        key.starts_with("lgw_").then_some(key)
    });
    assert_eq!(
        app.post_lead(&key, r#"{"type":"ticket","email":"a@b.de","message":"Hallo"}"#)
            .status,
        200
    );

    // Every page, on the desktop and at a phone's 390 px: no console errors, nothing wider
    // than the screen, a screenshot of each.
    let pages = [
        ("inbox", "/app/orders".to_owned()),
        ("order", format!("/app/orders/{order}")),
        ("tickets", "/app/tickets".to_owned()),
        ("ticket", format!("/app/tickets/{ticket}")),
        ("customers", "/app/customers".to_owned()),
        ("customer", format!("/app/customers/{customer}")),
        ("notifications", "/app/notifications".to_owned()),
        ("settings", "/app/settings".to_owned()),
        ("admin", "/app/admin".to_owned()),
        ("admin-employees", "/app/admin/mitarbeiter".to_owned()),
        ("admin-keys", "/app/admin/keys".to_owned()),
        ("admin-form-log", "/app/admin/protokoll".to_owned()),
        ("admin-webhooks", "/app/admin/webhooks".to_owned()),
        ("admin-audit", "/app/admin/audit".to_owned()),
        ("admin-privacy", "/app/admin/datenschutz".to_owned()),
        ("admin-customer-import", "/app/admin/kunden-import".to_owned()),
    ];
    for (phone, size) in [(false, "desktop"), (true, "phone")] {
        if phone {
            browser.devtools(
                "Emulation.setDeviceMetricsOverride",
                serde_json::json!({"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
            );
        }
        for (name, path) in &pages {
            browser.open(&format!("{base}{path}"));
            wait_for(name, || {
                (browser.execute("return document.readyState") == "complete").then_some(())
            });
            assert!(browser.text("main").len() > 20, "{name} has content");
            let overflow = browser
                .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
                .as_i64()
                .unwrap();
            assert!(overflow <= 0, "{name} is {overflow} px wider than the {size} screen");
            browser.screenshot(&format!("{size}-{name}"));
        }
    }
    assert_eq!(browser.console_errors(), Vec::<String>::new());
    // A member is refused every admin page.
    app.store
        .access()
        .set_employee_role(
            lead_store::Scope::Everyone,
            app.acme.employees[0],
            lead_store::Role::Member,
        )
        .unwrap();
    browser.open(&format!("{base}/app/admin/keys"));
    assert!(browser.text("main").contains("Nur für Administratoren"));
    browser.screenshot("phone-admin-refused");
}

backend_test! {
fn admins_add_webhooks_and_see_and_retry_deliveries() {
    let receiver = Receiver::start(vec![]);
    let app = app_with("[outbox]\nallow_private_targets = true\nretry_schedule_secs = [0]\n");
    app.store.access().set_employee_role(lead_store::Scope::Everyone, app.acme.employees[0], lead_store::Role::Admin).unwrap();
    let (cookie, csrf) = raw_login(&app, PASSWORD).1.unwrap();
    let get = |path: &str| app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"");
    let post = |path: &str, body: &str| {
        let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
        app.server.request("POST", path, &headers, format!("csrf={csrf}&{body}").as_bytes())
    };
    let encoded = receiver.url.replace(':', "%3A").replace('/', "%2F");
    let added = post("/app/admin/webhooks/add", &format!("url={encoded}&format=standard"));
    assert_eq!(added.status, 200);
    let secret = added.text().split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(!get("/app/admin/webhooks").text().contains(&secret), "shown once");
    assert_eq!(post("/app/admin/webhooks/add", "url=ftp%3A%2F%2Fx").status, 400);
    assert_eq!(post("/app/admin/webhooks/add", "url=http%3A%2F%2F127.0.0.1%3A1%2Fhook&format=slack").status, 200);
    assert_eq!(app.post_lead(&app.acme.key, r#"{"type":"ticket","email":"a@b.de","message":"Hallo"}"#).status, 200);
    let page = wait_for("one delivered, one failed", || {
        let page = get("/app/admin/webhooks").text();
        (page.contains("<td>zugestellt") && page.contains("<td>fehlgeschlagen")).then_some(page)
    });
    assert_eq!(receiver.received().len(), 1);
    // „Test senden“: a ping now, and what the endpoint answered.
    let ours = app.store.outbox().list_webhooks(Some(app.acme.id)).unwrap();
    let tested = post(&format!("/app/admin/webhooks/{}/test", ours[0].id), "");
    assert_eq!(tested.status, 200);
    assert!(tested.text().contains("antwortete 200"), "{}", tested.text());
    assert_eq!(receiver.received().len(), 2);
    let refused = post(&format!("/app/admin/webhooks/{}/test", ours[1].id), "");
    assert!(refused.text().contains("nahm den Test nicht an"), "{}", refused.text());
    let retry = page.split("/app/admin/deliveries/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    assert_eq!(post(&format!("/app/admin/deliveries/{retry}/retry"), "").status, 303);
    let failed = get("/app/admin/webhooks?status=failed").text();
    let delivered = get("/app/admin/webhooks?status=delivered").text();
    assert!(delivered.contains("<td>zugestellt") && !delivered.contains("<td>fehlgeschlagen"), "{delivered}");
    assert!(!failed.contains("<td>zugestellt"), "{failed}");
    let audit = app.store.access().list_audit(None).unwrap();
    assert!(audit.iter().any(|e| e.action == "outbox.retry" && e.actor.contains("in the dashboard")), "{audit:?}");
    // Removed; another company's endpoint is not found.
    let ours = app.store.outbox().list_webhooks(Some(app.acme.id)).unwrap();
    assert_eq!(post(&format!("/app/admin/webhooks/{}/remove", ours[0].id), "").status, 303);
    assert_eq!(app.store.outbox().list_webhooks(Some(app.acme.id)).unwrap().iter().filter(|w| w.active).count(), 1);
    let other = lead_testkit::add_company(&app.store, "Andere", 1);
    let theirs = app
        .store
        .outbox().add_webhook(&lead_store::NewWebhook {
            company_id: other.id,
            url: "https://crm.example.de/hook",
            events: lead_store::Event::WEBHOOK_EVENTS,
            format: lead_store::WebhookFormat::Standard,
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        })
        .unwrap();
    assert_eq!(post(&format!("/app/admin/webhooks/{theirs}/remove"), "").status, 404);
    assert_eq!(post(&format!("/app/admin/webhooks/{theirs}/test"), "").status, 404);
    assert!(app.store.outbox().list_webhooks(Some(other.id)).unwrap()[0].active);
}
}
