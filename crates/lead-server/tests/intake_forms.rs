//! Plain HTML forms from browsers (amendment of 2026-12-01): a German page instead of JSON,
//! links and redirects only to the key's own websites (a wrong redirect costs no lead), wide
//! forms refused before they are parsed, and a submission log with bounds.

mod common;

use common::leads::assert_success;
use common::stored::listed_order;
use common::{cli, Response, TestApp};
use serde_json::Value;

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
        Some("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; worker-src 'self'; manifest-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
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
        assert_success(&answer, "ticket");
        assert_eq!(answer.header("content-type"), Some("application/json; charset=utf-8"));
    }
    // A JSON body is never a page, whatever the Accept header says.
    let json = app.server.request(
        "POST",
        &target,
        &[("Accept", BROWSER_ACCEPT)],
        br#"{"type":"ticket","email":"a@b.de","message":"per fetch"}"#,
    );
    assert_success(&json, "ticket");
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

    // A multipart form (`enctype="multipart/form-data"`) gets the same page.
    let boundary = "lead-page-boundary";
    let part = |name: &str, value: &str| {
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
    };
    let multipart = format!(
        "{}{}{}--{boundary}--\r\n",
        part("type", "ticket"),
        part("email", "max@beispiel.de"),
        part("message", "Per Multipart")
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let answer = app.server.request(
        "POST",
        &target,
        &[("Content-Type", &content_type), ("Accept", BROWSER_ACCEPT)],
        multipart.as_bytes(),
    );
    let page = assert_page(&answer, 200);
    assert!(page.contains("Vielen Dank"), "{page}");
    assert_eq!(app.totals().tickets, 7);
}
}

backend_test! {
fn a_browser_is_sent_to_the_keys_own_website_when_the_form_asks_for_it() {
    let app = TestApp::spawn_with_config(TestApp::FRESH_KEYS);
    let key_id = app.acme.key_id.to_string();
    assert!(cli(&app.db.url, &["key", "origins", &key_id, "https://www.example.de"]).status.success());
    let target = format!("/api/v1/lead.php?key={}", app.acme.key);
    let form = "type=ticket&email=a%40b.de&message=Hallo&redirect=https%3A%2F%2Fwww.example.de%2Fdanke";
    // The redirect wins over the page: the website shows its own thanks.
    let answer = post_form(&app, &target, form, &[("Accept", BROWSER_ACCEPT)]);
    assert_eq!(answer.status, 303, "{}", answer.text());
    assert_eq!(answer.header("location"), Some("https://www.example.de/danke?status=success"));
    let failed = post_form(&app, &target, "type=ticket&redirect=https%3A%2F%2Fwww.example.de%2Fdanke", &[("Accept", BROWSER_ACCEPT)]);
    assert_eq!(failed.status, 303, "{}", failed.text());
    assert_eq!(
        failed.header("location"),
        Some("https://www.example.de/danke?status=error&code=missing_field&field=email")
    );
    assert_eq!(app.totals().tickets, 1);
}
}

backend_test! {
fn the_page_links_back_only_to_the_keys_own_websites() {
    let app = TestApp::spawn_with_config(TestApp::FRESH_KEYS);
    let key_id = app.acme.key_id.to_string();
    assert!(cli(&app.db.url, &["key", "origins", &key_id, "https://www.example.de"]).status.success());
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
    let id = assert_success(&answer, "order");
    assert_eq!(answer.header("location"), None);
    assert_eq!(listed_order(&app, id)["total_cents"], 1250);
    // A browser gets the page instead.
    let page = assert_page(&post_form(&app, &target, &format!("{form}&n=2"), &[("Accept", BROWSER_ACCEPT)]), 200);
    assert!(page.contains("Vielen Dank"));
    assert_eq!(app.totals().orders, 2);

    // The log is written in batches: wait for both entries.
    let notes: Vec<String> = lead_testkit::wait_until("both entries in the log", std::time::Duration::from_secs(5), || {
        let output = cli(&app.db.url, &["submissions", "list", "--json"]);
        let logged: Value = serde_json::from_slice(&output.stdout).unwrap();
        let notes: Vec<String> =
            logged.as_array().unwrap().iter().filter_map(|s| s["note"].as_str().map(str::to_owned)).collect();
        (notes.len() >= 2).then_some(notes)
    });
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].contains("https://evil.example/danke"), "{notes:?}");
    let table = String::from_utf8(cli(&app.db.url, &["submissions", "list"]).stdout).unwrap();
    assert!(table.contains("NOTE") && table.contains("redirect not followed"), "{table}");
    // The team sees the same note in its submission log.
    let token = common::token_for(&app.store, app.acme.employees[0]);
    let logged = app.team("GET", "/api/v1/submissions", &token, "").json();
    let team_notes: Vec<&str> = logged["items"].as_array().unwrap().iter().filter_map(|s| s["note"].as_str()).collect();
    assert_eq!(team_notes.len(), 2, "{logged}");
    assert!(team_notes[0].contains("https://evil.example/danke"), "{logged}");
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
    assert_success(&answer, "ticket");
    let tickets = app.store.team().leads::<lead_store::TicketRecord>(app.acme.id, &Default::default()).unwrap();
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
    let logged = lead_testkit::wait_until("every request in the log", std::time::Duration::from_secs(5), || {
        let logged = app.store.intake().list_submissions(&Default::default()).unwrap();
        (logged.len() >= expected).then_some(logged)
    });
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
