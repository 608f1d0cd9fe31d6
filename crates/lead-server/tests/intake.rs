//! The amendment of 2026-12-01, "never lose a lead at the door", row by row against the real
//! server: amounts as people and floats write them, a lenient `type`, pages for browsers,
//! redirects that cost nothing, duplicates, idempotency that cannot be poisoned, wide forms,
//! and a submission log with bounds. Stored amounts are checked through the operator's
//! `orders list --json`.

mod common;

use common::{cli, Response, TestApp};
use serde_json::Value;

/// The operator's `--json` list for `args` (asserting success).
fn json_list(app: &TestApp, args: &[&str]) -> Vec<Value> {
    let output = cli(&app.db.url, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Value>(&output.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The order with `id` as `orders list --json` shows it.
fn listed_order(app: &TestApp, id: i64) -> Value {
    json_list(app, &["orders", "list", "--company", "Acme", "--json"])
        .into_iter()
        .find(|order| order["id"] == id)
        .unwrap_or_else(|| panic!("order {id} is not in the inbox"))
}

fn assert_stored(response: &Response, lead_type: &str) -> i64 {
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["type"], lead_type, "{body}");
    body["id"].as_i64().unwrap()
}

backend_test! {
fn every_amount_of_the_amendment_is_stored_in_exact_cents() {
    let app = TestApp::spawn();
    for (n, (total, cents)) in [
        // JSON numbers of any precision, rounded half away from zero on their text.
        ("30.279999999999998", 3028),
        ("0.30000000000000004", 30),
        ("1.005", 101),
        ("1.234", 123),
        ("1e2", 10_000),
        ("49.90", 4990),
        ("-0.001", 0),
        // Amounts as people write them, in JSON strings.
        (r#""1.234,50 €""#, 123_450),
        (r#""1,234.50""#, 123_450),
        (r#""1.234.567""#, 123_456_700),
        (r#""1.234""#, 123_400),
        (r#""1,234""#, 123_400),
        (r#""0,005""#, 1),
        (r#""49,90""#, 4990),
        (r#""49.9""#, 4990),
        (r#""12,5 €""#, 1250),
        (r#""49.90""#, 4990),
        (r#""EUR 1.000""#, 100_000),
        (r#""€9,99""#, 999),
        (r#"" 7 EUR ""#, 700),
        (r#""""#, 0),
    ]
    .into_iter()
    .enumerate()
    {
        let body = format!(r#"{{"type":"order","email":"a@b.de","subject":"Zeile {n}","total":{total}}}"#);
        let id = assert_stored(&app.post_lead(&app.acme.key, &body), "order");
        assert_eq!(listed_order(&app, id)["total_cents"], cents, "total {total}");
    }
    let stored = app.totals().orders;
    for (total, shown) in [
        (r#""ca. 50""#, "ca. 50"),
        (r#""abc""#, "abc"),
        (r#""1.23.4""#, "1.23.4"),
        (r#""12 Euro 50""#, "12 Euro 50"),
        (r#""-5 €""#, "-5 €"),
        ("-3", "-3"),
        ("100000000", "100000000"),
    ] {
        let body = format!(r#"{{"type":"order","email":"a@b.de","total":{total}}}"#);
        let answer = app.post_lead(&app.acme.key, &body);
        answer.assert_error(400, "invalid_field", Some("total"));
        let message = answer.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(&format!("„{shown}“")), "the message names the value: {message}");
    }
    assert_eq!(app.totals().orders, stored, "nothing stored for a bad amount");
}
}

backend_test! {
fn the_float_carts_of_php_and_javascript_are_taken() {
    let app = TestApp::spawn();
    // PHP: json_encode(['total' => array_sum([19.99, 9.99, 0.1, 0.2])]), exactly as sent.
    let php = r#"{"type":"order","email":"kunde@beispiel.de","subject":"Warenkorb","total":30.279999999999998}"#;
    let id = assert_stored(&app.post_lead(&app.acme.key, php), "order");
    assert_eq!(listed_order(&app, id)["total_cents"], 3028);
    let listed = String::from_utf8(cli(&app.db.url, &["orders", "list", "--company", "Acme", "--json"]).stdout).unwrap();
    assert!(listed.contains(r#""total":30.279999999999998"#), "the payload as sent: {listed}");
    // JavaScript: JSON.stringify({total: 0.1 + 0.2}).
    let js = r#"{"type":"order","email":"kunde@beispiel.de","total":0.30000000000000004}"#;
    let id = assert_stored(&app.post_lead(&app.acme.key, js), "order");
    assert_eq!(listed_order(&app, id)["total_cents"], 30);
    // The team is told the rounded amount.
    let notes = app.store.list_notifications(app.acme.employees[0], false, None, None).unwrap();
    assert!(notes.iter().any(|n| n.text.contains("über 30,28 €")), "{notes:?}");
    assert!(notes.iter().any(|n| n.text.contains("über 0,30 €")), "{notes:?}");
}
}

backend_test! {
fn type_is_read_trimmed_in_any_case_and_answered_canonically() {
    let app = TestApp::spawn();
    let order = app.post_lead(&app.acme.key, r#"{"type":"Order","email":"a@b.de"}"#);
    assert_stored(&order, "order");
    let ticket = app.post_lead(&app.acme.key, r#"{"type":" TICKET ","email":"a@b.de","message":"Hallo"}"#);
    assert_stored(&ticket, "ticket");
    let form = app.server.request(
        "POST",
        &format!("/api/v1/lead?key={}", app.acme.key),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"type=Ticket&email=a%40b.de&message=per+Formular",
    );
    assert_stored(&form, "ticket");
    assert_eq!((app.totals().orders, app.totals().tickets), (1, 2));
    app.post_lead(&app.acme.key, r#"{"type":"Bestellung","email":"a@b.de"}"#)
        .assert_error(400, "invalid_type", Some("type"));
}
}

/// What Chromium sends when a plain HTML form is submitted.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

fn post_form(app: &TestApp, target: &str, body: &str, headers: &[(&str, &str)]) -> Response {
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    app.server.request("POST", target, &all, body.as_bytes())
}

/// Asserts an HTML page with the dashboard's security headers and nothing from elsewhere.
fn assert_page(response: &Response, status: u16) -> String {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("x-frame-options"), Some("DENY"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(
        response.header("content-security-policy"),
        Some("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
    );
    let page = response.text();
    assert!(
        page.starts_with("<!DOCTYPE html>") && page.contains("lang=\"de\""),
        "{page}"
    );
    // Nothing loaded from elsewhere (only this server's stylesheet), no code at all.
    for loaded in ["src=", "<script", "style=", "<img", "<iframe"] {
        assert!(!page.contains(loaded), "{loaded}: {page}");
    }
    assert_eq!(page.matches("<link ").count(), 1, "{page}");
    assert!(
        page.contains(r#"<link rel="stylesheet" href="/app/app.css">"#),
        "{page}"
    );
    page
}

backend_test! {
fn a_browser_gets_a_german_page_and_scripts_get_json_for_the_same_form() {
    let app = TestApp::spawn();
    let target = format!("/api/v1/lead.php?key={}", app.acme.key);
    let form = "type=ticket&email=max%40beispiel.de&message=Bitte+um+R%C3%BCckruf";
    let browser = [("Accept", BROWSER_ACCEPT)];

    let page = assert_page(&post_form(&app, &target, form, &browser), 200);
    assert!(page.contains("Vielen Dank"), "{page}");
    assert!(!page.contains("href=\"https://"), "no Referer of the key's websites: no link back");
    // curl (`*/*`), fetch() and scripts asking for JSON get JSON, as always.
    for accept in [None, Some("*/*"), Some("application/json"), Some("application/json, text/html")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
        let answer = post_form(&app, &target, &format!("{form}&accept={}", accept.unwrap_or("none")), &headers);
        assert_stored(&answer, "ticket");
        assert_eq!(answer.header("content-type"), Some("application/json; charset=utf-8"));
    }
    // A JSON body is never a page, whatever the Accept header says.
    let json = app.server.request(
        "POST",
        &target,
        &[("Accept", BROWSER_ACCEPT)],
        br#"{"type":"ticket","email":"a@b.de","message":"per fetch"}"#,
    );
    assert_stored(&json, "ticket");
    assert_eq!(app.totals().tickets, 6);

    // An error: the same status, the German message on the page, nothing stored.
    let page = assert_page(&post_form(&app, &target, "type=ticket&message=ohne+Adresse", &browser), 400);
    assert!(page.contains("Das Pflichtfeld „email“ fehlt."), "{page}");
    let page = assert_page(&post_form(&app, "/api/v1/lead.php", form, &browser), 401);
    assert!(page.contains("API-Key"), "{page}");
    assert_eq!(app.totals().tickets, 6);
    // What a website sent is escaped on the page.
    let page = assert_page(
        &post_form(&app, &target, "type=order&email=a%40b.de&total=%3Cscript%3Ealert(1)%3C%2Fscript%3E", &browser),
        400,
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{page}");
}
}

backend_test! {
fn the_page_links_back_only_to_the_keys_own_websites() {
    let app = TestApp::spawn();
    let key_id = app.acme.key_id.to_string();
    assert!(cli(&app.db.url, &["key", "origins", &key_id, "https://www.example.de"]).status.success());
    // The server reuses a key's lookup for a second: the origins apply after it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let target = format!("/api/v1/lead.php?key={}", app.acme.key);
    let from = |referer: &str, body: &str| {
        post_form(
            &app,
            &target,
            body,
            &[("Accept", BROWSER_ACCEPT), ("Referer", referer), ("Origin", "https://www.example.de")],
        )
    };
    let page = assert_page(
        &from("https://www.example.de/kontakt?x=1&y=2", "type=ticket&email=a%40b.de&message=eins"),
        200,
    );
    assert!(page.contains(r#"<a href="https://www.example.de/kontakt?x=1&amp;y=2">"#), "{page}");
    let page = assert_page(&from("https://www.example.de/kontakt", "type=ticket&email=a%40b.de"), 400);
    assert!(page.contains(r#"<a href="https://www.example.de/kontakt">Zurück zur Website</a>"#), "{page}");
    for elsewhere in ["https://evil.de/", "javascript:alert(1)", "/kontakt"] {
        let page = assert_page(&from(elsewhere, "type=ticket&email=a%40b.de&message=zwei"), 200);
        assert!(!page.contains("<a href"), "{elsewhere}: {page}");
    }
}
}

backend_test! {
fn a_redirect_to_another_website_still_stores_the_lead_and_the_log_says_why() {
    let app = TestApp::spawn();
    let target = format!("/api/v1/lead.php?key={}", app.acme.key);
    let form = "type=order&email=a%40b.de&total=12%2C50&redirect=https%3A%2F%2Fevil.example%2Fdanke";
    let answer = post_form(&app, &target, form, &[]);
    let id = assert_stored(&answer, "order");
    assert_eq!(answer.header("location"), None);
    assert_eq!(listed_order(&app, id)["total_cents"], 1250);
    // A browser gets the page instead.
    let page = assert_page(&post_form(&app, &target, &format!("{form}&n=2"), &[("Accept", BROWSER_ACCEPT)]), 200);
    assert!(page.contains("Vielen Dank"));
    assert_eq!(app.totals().orders, 2);

    let output = cli(&app.db.url, &["submissions", "list", "--json"]);
    let logged: Value = serde_json::from_slice(&output.stdout).unwrap();
    let notes: Vec<&str> = logged.as_array().unwrap().iter().filter_map(|s| s["note"].as_str()).collect();
    // The log is written in batches: wait for both entries.
    let notes = if notes.len() == 2 {
        notes.into_iter().map(str::to_owned).collect::<Vec<_>>()
    } else {
        std::thread::sleep(std::time::Duration::from_millis(600));
        let output = cli(&app.db.url, &["submissions", "list", "--json"]);
        let logged: Value = serde_json::from_slice(&output.stdout).unwrap();
        logged.as_array().unwrap().iter().filter_map(|s| s["note"].as_str().map(str::to_owned)).collect()
    };
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].contains("https://evil.example/danke"), "{notes:?}");
    let table = String::from_utf8(cli(&app.db.url, &["submissions", "list"]).stdout).unwrap();
    assert!(table.contains("NOTE") && table.contains("redirect not followed"), "{table}");
}
}

backend_test! {
fn a_double_post_is_one_record() {
    let app = TestApp::spawn();
    let order = r#"{"type":"order","email":"kunde@beispiel.de","subject":"Bestellung 4711","total":49.90}"#;
    let first = app.post_lead(&app.acme.key, order);
    let id = assert_stored(&first, "order");
    // Again, respelled (whitespace and field order do not count): the first answer, byte for byte.
    let respelled = "{ \"total\": 49.90, \"subject\": \"Bestellung 4711\",\n \"type\": \"order\", \"email\": \"kunde@beispiel.de\" }";
    for body in [order, respelled] {
        let again = app.post_lead(&app.acme.key, body);
        assert_eq!(again.status, 200);
        assert_eq!(again.body, first.body);
    }
    assert_eq!((app.totals().orders, app.totals().notifications), (1, 2));

    // A double click on a form: one ticket (multipart boundaries differ, the fields do not).
    let target = format!("/api/v1/lead?key={}", app.acme.key);
    let ids: Vec<i64> = ["a1b2", "c3d4"]
        .into_iter()
        .map(|boundary| {
            let body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nticket\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nmax@beispiel.de\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nRückruf bitte\r\n--{boundary}--\r\n"
            );
            let content_type = format!("multipart/form-data; boundary={boundary}");
            assert_stored(
                &app.server.request("POST", &target, &[("Content-Type", &content_type)], body.as_bytes()),
                "ticket",
            )
        })
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(app.totals().tickets, 1);

    // Another key of the same company, or an Idempotency-Key, makes it another lead.
    let other = common::add_company(&app.store, "Other", 0);
    assert_ne!(assert_stored(&app.post_lead(&other.key, order), "order"), id);
    let keyed = app.server.request(
        "POST",
        "/api/v1/lead.php",
        &[("X-API-KEY", &app.acme.key), ("Idempotency-Key", "8d5e1c0a-2f7b-4c0e-9a51-3b8f6e2d7c41")],
        order.as_bytes(),
    );
    assert_ne!(assert_stored(&keyed, "order"), id, "the Idempotency-Key rules, not the body");
    assert_eq!(app.totals().orders, 3);
}
}

backend_test! {
fn simultaneous_identical_posts_are_one_record() {
    let app = TestApp::spawn();
    let ticket = r#"{"type":"ticket","email":"max@beispiel.de","message":"Doppelklick"}"#;
    let answers: Vec<Response> = std::thread::scope(|scope| {
        let posts: Vec<_> = (0..12).map(|_| scope.spawn(|| app.post_lead(&app.acme.key, ticket))).collect();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    });
    let ids: std::collections::BTreeSet<i64> = answers.iter().map(|a| assert_stored(a, "ticket")).collect();
    assert_eq!(ids.len(), 1, "every answer names the one ticket");
    assert_eq!((app.totals().tickets, app.totals().notifications), (1, 2));
}
}

backend_test! {
fn a_double_post_across_a_restart_is_one_record() {
    let app = TestApp::spawn();
    let order = r#"{"type":"order","email":"kunde@beispiel.de","subject":"vor dem Neustart","total":5}"#;
    let first = assert_stored(&app.post_lead(&app.acme.key, order), "order");
    // Killed (no clean shutdown), started again on the same database.
    app.server.stop();
    let server = common::Server::start(&app.db.url, &[]);
    let again = server.request("POST", "/api/v1/lead.php", &[("X-API-KEY", &app.acme.key)], order.as_bytes());
    assert_eq!(assert_stored(&again, "order"), first);
    let totals = app.store.totals().unwrap();
    assert_eq!((totals.orders, totals.notifications), (1, 2));
}
}

backend_test! {
fn the_same_body_after_the_window_is_a_new_lead() {
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 0\nper_key = 0\n[intake]\nduplicate_window_secs = 1\n");
    let ticket = r#"{"type":"ticket","email":"a@b.de","message":"Noch einmal, später"}"#;
    let first = assert_stored(&app.post_lead(&app.acme.key, ticket), "ticket");
    assert_eq!(assert_stored(&app.post_lead(&app.acme.key, ticket), "ticket"), first);
    // The window (one second here) is what is under test: let it pass.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let later = assert_stored(&app.post_lead(&app.acme.key, ticket), "ticket");
    assert_ne!(later, first, "past the window, the same body is a new lead");
    assert_eq!(assert_stored(&app.post_lead(&app.acme.key, ticket), "ticket"), later);
    assert_eq!(app.totals().tickets, 2);
}
}

backend_test! {
fn duplicate_suppression_can_be_turned_off() {
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 0\nper_key = 0\n[intake]\nduplicate_window_secs = 0\n");
    let order = r#"{"type":"order","email":"a@b.de","total":1}"#;
    let ids: std::collections::BTreeSet<i64> =
        (0..3).map(|_| assert_stored(&app.post_lead(&app.acme.key, order), "order")).collect();
    assert_eq!(ids.len(), 3);
}
}

#[test]
fn identical_posts_to_two_instances_are_one_record() {
    common::with_backend(common::Backend::Postgres, || {
        let app = TestApp::spawn();
        let second = common::Server::start(&app.db.url, &[]);
        let ticket = r#"{"type":"ticket","email":"max@beispiel.de","message":"an zwei Server"}"#;
        for round in 0..5 {
            let body = ticket.replace("zwei", &format!("zwei ({round})"));
            let answers: Vec<Response> = std::thread::scope(|scope| {
                let posts: Vec<_> = (0..8)
                    .map(|n| {
                        let (body, app, second) = (&body, &app, &second);
                        scope.spawn(move || match n % 2 {
                            0 => app.post_lead(&app.acme.key, body),
                            _ => {
                                second.request("POST", "/api/v1/lead", &[("X-API-KEY", &app.acme.key)], body.as_bytes())
                            }
                        })
                    })
                    .collect();
                posts.into_iter().map(|p| p.join().unwrap()).collect()
            });
            let ids: std::collections::BTreeSet<i64> = answers.iter().map(|a| assert_stored(a, "ticket")).collect();
            assert_eq!(ids.len(), 1, "round {round}: {ids:?}");
        }
        assert_eq!((app.totals().tickets, app.totals().notifications), (5, 10));
    });
}

backend_test! {
fn a_poisoned_idempotency_key_loses_no_order() {
    let app = TestApp::spawn();
    let post = |key: &str, body: &str| {
        app.server.request(
            "POST",
            "/api/v1/lead.php",
            &[("X-API-KEY", &app.acme.key), ("Idempotency-Key", key)],
            body.as_bytes(),
        )
    };
    // The confirmed attack: with the website's public key, spam under the shop's next order
    // number. It is answered 200 and stored as spam — and uses up nothing.
    let bait = r#"{"type":"order","email":"x@example.org","_gotcha":"1"}"#;
    assert_eq!(post("W-1002", bait).status, 200);
    let real = r#"{"type":"order","email":"kunde@beispiel.de","subject":"Bestellung W-1002","total":89.00}"#;
    let id = assert_stored(&post("W-1002", real), "order");
    assert_eq!(listed_order(&app, id)["total_cents"], 8900);
    assert_eq!(app.totals().notifications, 2, "the team was told about the real order");

    // Without the honeypot the attacker's body takes the key first: the real order is answered
    // 422, but kept, held for review, and released by the operator.
    let forged = r#"{"type":"order","email":"x@example.org","total":1}"#;
    assert_stored(&post("W-1003", forged), "order");
    let real = r#"{"type":"order","email":"kunde@beispiel.de","subject":"Bestellung W-1003","total":120.00}"#;
    let answer = post("W-1003", real);
    answer.assert_error(422, "idempotency_conflict", None);
    assert!(answer.json()["message"].as_str().unwrap().contains("Prüfung"), "{}", answer.text());
    let held = json_list(&app, &["orders", "list", "--company", "Acme", "--held", "--json"]);
    let kept = held.iter().find(|o| o["payload"]["subject"] == "Bestellung W-1003").expect("kept");
    assert_eq!(kept["held"], "conflict");
    assert_eq!(kept["total_cents"], 12_000);
    let table = String::from_utf8(cli(&app.db.url, &["orders", "list", "--company", "Acme", "--held"]).stdout).unwrap();
    assert!(table.contains("new (conflict)") && table.contains("new (spam)"), "{table}");
    // A ticket the same way: held, listed with --held.
    post("W-1003", r#"{"type":"ticket","email":"kunde@beispiel.de","message":"Wo bleibt W-1003?"}"#)
        .assert_error(422, "idempotency_conflict", None);
    let held_tickets = json_list(&app, &["tickets", "list", "--company", "Acme", "--held", "--json"]);
    assert_eq!(held_tickets.len(), 1);
    assert_eq!(held_tickets[0]["held"], "conflict");
    assert_eq!(json_list(&app, &["tickets", "list", "--company", "Acme", "--json"]).len(), 0);
    let released = cli(&app.db.url, &["orders", "release", &kept["id"].to_string()]);
    assert!(released.status.success(), "{}", String::from_utf8_lossy(&released.stderr));
    assert_eq!(listed_order(&app, kept["id"].as_i64().unwrap())["held"], Value::Null);
    assert_eq!(app.totals().notifications, 6, "released: the team is told now");
}
}

/// A urlencoded ticket with `fields` more distinct names, as short as they come (`a`, …, `Z`,
/// `aa`, …): what fits the most fields into 64 KiB.
fn wide_form(fields: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut form = String::from("type=ticket&email=a%40b.de&message=breit");
    let (mut length, mut first_of_length, mut n) = (1, 0, 0);
    while n < fields {
        if n - first_of_length == ALPHABET.len().pow(length) {
            (length, first_of_length) = (length + 1, n);
        }
        let mut index = n - first_of_length;
        form.push('&');
        for _ in 0..length {
            form.push(char::from(ALPHABET[index % ALPHABET.len()]));
            index /= ALPHABET.len();
        }
        n += 1;
    }
    form
}

backend_test! {
fn a_form_of_more_than_a_thousand_fields_is_refused_before_it_is_parsed() {
    let app = TestApp::spawn();
    let target = format!("/api/v1/lead?key={}", app.acme.key);
    // 17,000 distinct short names in 64 KiB (the measured attack): refused at once.
    let wide = wide_form(17_000);
    assert!(wide.len() <= 64 * 1024, "{} bytes", wide.len());
    post_form(&app, &target, &wide, &[]).assert_error(400, "invalid_field", None);
    // With the key in a hidden field, too many fields hide it: 401, as for a body too big.
    post_form(&app, "/api/v1/lead", &format!("{wide}&key={}", app.acme.key), &[]).assert_error(401, "missing_api_key", None);
    app.assert_nothing_stored();

    // A thousand fields are fine: every one is kept.
    let fields: String = (3..1000).map(|i| format!("&f{i}=v")).collect();
    let answer = post_form(&app, &target, &format!("type=ticket&email=a%40b.de&message=tausend{fields}"), &[]);
    assert_stored(&answer, "ticket");
    let tickets = app.store.list_tickets(app.acme.id, None, None, None).unwrap();
    let payload: serde_json::Map<String, Value> = serde_json::from_str(&tickets[0].payload).unwrap();
    assert_eq!(payload.len(), 1000);
}
}

backend_test! {
fn the_submission_log_keeps_origins_short_and_no_body_of_a_flood() {
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 0\nper_key = 1\n");
    let long_origin = format!("https://{}.example", "a".repeat(6000));
    let answer = app.server.request(
        "POST",
        "/api/v1/lead",
        &[("X-API-KEY", &app.acme.key), ("Origin", &long_origin)],
        br#"{"type":"ticket","email":"a@b.de"}"#,
    );
    answer.assert_error(400, "missing_field", Some("message"));
    // Past the key's rate (1/s, bursts of 2): 429, logged without its body.
    let statuses: Vec<u16> = (0..6)
        .map(|n| {
            app.post_lead(&app.acme.key, &format!(r#"{{"type":"ticket","email":"a@b.de","n":{n}}}"#))
                .status
        })
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    // No key at all: counted, no body.
    app.server
        .request("POST", "/api/v1/lead", &[], br#"{"type":"ticket","secret":"x"}"#)
        .assert_error(401, "missing_api_key", None);

    let expected = 1 + statuses.len() + 1;
    let mut logged = Vec::new();
    for _ in 0..100 {
        logged = app.store.list_submissions(&Default::default()).unwrap();
        if logged.len() >= expected {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(logged.len(), expected);
    let with_origin = logged.iter().find(|s| s.origin.is_some()).unwrap();
    assert_eq!(with_origin.origin.as_deref().map(|o| o.chars().count()), Some(255));
    assert!(with_origin.body.is_some(), "a failure with a valid key keeps its body");
    for entry in logged.iter().filter(|s| matches!(s.code.as_deref(), Some("rate_limited" | "missing_api_key"))) {
        assert_eq!(entry.body, None, "{entry:?}");
    }
    assert!(logged.iter().any(|s| s.code.as_deref() == Some("rate_limited")));
}
}
