//! What websites send besides JSON from a script: plain HTML forms (urlencoded and multipart,
//! the key in the action URL or a hidden field, an optional redirect), browser calls limited
//! to a key's origins, and custom fields that show up as `extra`.

mod common;

use common::{cli, token_for, Response, TestApp};
use serde_json::{json, Value};

const FORM: &str =
    "type=order&email=kunde%40beispiel.de&subject=Bestellung+4711&total=49.90&phone=0301234&interest=a&interest=b";

fn post_form(app: &TestApp, target: &str, content_type: &str, body: &[u8], extra: &[(&str, &str)]) -> Response {
    let mut headers = vec![("Content-Type", content_type)];
    headers.extend_from_slice(extra);
    app.server.request("POST", target, &headers, body)
}

fn urlencoded(app: &TestApp, target: &str, body: &str, extra: &[(&str, &str)]) -> Response {
    post_form(app, target, "application/x-www-form-urlencoded", body.as_bytes(), extra)
}

/// A multipart/form-data body of `fields`, plus one (ignored) file upload.
fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----lead-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"cv.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 binary\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

fn set_origins(app: &TestApp, origins: &[&str]) {
    let id = app.acme.key_id.to_string();
    let mut args = vec!["key", "origins", id.as_str()];
    args.extend_from_slice(origins);
    let output = cli(&app.db.url, &args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

backend_test! {
fn a_urlencoded_form_is_a_lead_like_json() {
    let app = TestApp::spawn();
    let response = urlencoded(&app, &format!("/api/v1/lead.php?key={}", app.acme.key), FORM, &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["type"], "order");
    let orders = app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &Default::default()).unwrap();
    assert_eq!(orders[0].total.cents(), 4990);
    assert_eq!(orders[0].title, "Bestellung 4711");
    let payload: Value = serde_json::from_str(&orders[0].payload).unwrap();
    assert_eq!(
        payload,
        json!({"type":"order","email":"kunde@beispiel.de","subject":"Bestellung 4711","total":"49.90",
               "phone":"0301234","interest":["a","b"]}),
        "a form sends text, and that is what is kept"
    );
    assert_eq!(app.totals().notifications, 2);

    // The same rules as JSON: a missing email, an amount as people write it.
    let target = format!("/api/v1/lead?key={}", app.acme.key);
    urlencoded(&app, &target, "type=ticket&message=Hallo", &[]).assert_error(400, "missing_field", Some("email"));
    urlencoded(&app, &target, "type=order&email=a%40b.de&total=ca.+50", &[])
        .assert_error(400, "invalid_field", Some("total"));
    urlencoded(&app, &target, "email=a%40b.de", &[]).assert_error(400, "missing_type", Some("type"));
    assert_eq!(app.totals().orders, 1);
    for (total, cents) in [("49%2C90", 4990), ("1.234", 123_400), ("1.234%2C50+%E2%82%AC", 123_450)] {
        let answer = urlencoded(&app, &target, &format!("type=order&email=a%40b.de&total={total}"), &[]);
        assert_eq!(answer.status, 200, "{total}: {}", answer.text());
        let id = answer.json()["id"].as_i64().unwrap();
        let stored = app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &lead_store::LeadQuery { limit: Some(1), ..Default::default() }).unwrap().remove(0);
        assert_eq!((stored.id.get(), stored.total.cents()), (id, cents), "{total}");
    }

    // curl -d '{…}' sends JSON as urlencoded: it stays JSON, as published.
    let json_body = r#"{"type":"ticket","email":"a@b.de","message":"per curl"}"#;
    assert_eq!(urlencoded(&app, &target, json_body, &[]).status, 200);
    assert_eq!((app.totals().orders, app.totals().tickets), (4, 1));
}
}

backend_test! {
fn the_key_may_be_a_hidden_field_and_is_never_stored() {
    let app = TestApp::spawn();
    let body = format!("{FORM}&key={}", app.acme.key);
    let response = urlencoded(&app, "/api/v1/lead.php", &body, &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    let orders = app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &Default::default()).unwrap();
    assert!(!orders[0].payload.contains(&app.acme.key), "the key is not part of the lead");

    // Wrong, missing or unreadable: the same answers as ever, and nothing stored.
    urlencoded(&app, "/api/v1/lead.php", &format!("{FORM}&key=lgw_wrong"), &[]).assert_error(403, "invalid_api_key", None);
    urlencoded(&app, "/api/v1/lead.php", FORM, &[]).assert_error(401, "missing_api_key", None);
    let huge = format!("{FORM}&key={}&pad={}", app.acme.key, "x".repeat(70_000));
    urlencoded(&app, "/api/v1/lead.php", &huge, &[]).assert_error(401, "missing_api_key", None);
    // A key header wins and is checked first, as for JSON.
    urlencoded(&app, "/api/v1/lead.php", &body, &[("X-API-KEY", "lgw_wrong")]).assert_error(403, "invalid_api_key", None);
    assert_eq!(app.totals().orders, 1);
}
}

backend_test! {
fn a_multipart_form_is_a_lead_with_its_files() {
    let app = TestApp::spawn();
    let (content_type, body) = multipart(&[
        ("type", "ticket"),
        ("email", "max@beispiel.de"),
        ("message", "Zeilen\r\nmit Umbruch und Ümlaut"),
        ("key", &app.acme.key),
        ("company", "Muster GmbH"),
    ]);
    let response = post_form(&app, "/api/v1/lead", &content_type, &body, &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    let tickets = app.store.team().leads::<lead_store::TicketRecord>(app.acme.id, &Default::default()).unwrap();
    assert_eq!(tickets[0].message, "Zeilen\r\nmit Umbruch und Ümlaut");
    let mut payload = serde_json::from_str::<Value>(&tickets[0].payload).unwrap();
    let sent = payload.as_object_mut().unwrap().remove("attachments").unwrap();
    assert_eq!(
        payload,
        json!({"type":"ticket","email":"max@beispiel.de","message":"Zeilen\r\nmit Umbruch und Ümlaut","company":"Muster GmbH"})
    );
    // The file is kept beside the lead; the payload names it, without its bytes.
    assert_eq!(sent[0]["filename"], "cv.pdf");
    assert_eq!(sent[0]["size"], 15);
    let files = &tickets[0].attachments;
    assert_eq!((files[0].filename.as_str(), files[0].content_type.as_str()), ("cv.pdf", "application/pdf"));
    // A broken multipart body is not readable (and carries no key we could trust).
    let key_header = [("X-API-KEY", app.acme.key.as_str())];
    post_form(&app, "/api/v1/lead", "multipart/form-data; boundary=x", b"garbage", &key_header)
        .assert_error(400, "invalid_json", None);
    assert_eq!(app.totals().tickets, 1);
}
}

backend_test! {
fn a_form_may_redirect_to_the_keys_own_website() {
    let app = TestApp::spawn_with_config(TestApp::FRESH_KEYS);
    let target = format!("/api/v1/lead.php?key={}", app.acme.key);
    let redirect = "redirect=https%3A%2F%2Fwww.example.de%2Fdanke%3Fref%3Dform%23top";
    // Without origins for the key, no redirect is allowed (an open redirect helps only
    // phishers) — but the lead is stored and answered as without one, and the log says why.
    let plain = urlencoded(&app, &target, &format!("{FORM}&{redirect}"), &[]);
    assert_eq!(plain.status, 200, "{}", plain.text());
    assert_eq!(plain.json()["type"], "order");
    assert_eq!(app.totals().orders, 1);
    let logged = submissions(&app, &Default::default(), 1);
    assert!(logged[0].note.as_deref().is_some_and(|note| note.contains("redirect not followed")), "{logged:?}");
    assert_eq!(logged[0].code, None, "the lead was stored");

    set_origins(&app, &["https://www.example.de"]);
    let ok = urlencoded(&app, &target, &format!("{FORM}&variant=zwei&{redirect}"), &[]);
    assert_eq!(ok.status, 303, "{}", ok.text());
    assert_eq!(ok.header("location"), Some("https://www.example.de/danke?ref=form&status=success#top"));
    assert_eq!(app.totals().orders, 2);

    let failed = urlencoded(&app, &target, &format!("type=ticket&email=a%40b.de&{redirect}"), &[]);
    assert_eq!(failed.status, 303);
    assert_eq!(
        failed.header("location"),
        Some("https://www.example.de/danke?ref=form&status=error&code=missing_field&field=message#top")
    );
    for (n, elsewhere) in [
        "https%3A%2F%2Fevil.de%2F",
        "%2Fdanke",
        "javascript%3Aalert(1)",
        "https%3A%2F%2Fwww.example.de%40evil.de%2F",
        "https%3A%2F%2Fwww.example.de%2Fa%0D%0ASet-Cookie%3A%20x%3D1",
    ]
    .into_iter()
    .enumerate()
    {
        let answer = urlencoded(&app, &target, &format!("{FORM}&variant={n}&redirect={elsewhere}"), &[]);
        assert_eq!(answer.status, 200, "{elsewhere}: {}", answer.text());
        assert_eq!(answer.header("location"), None, "{elsewhere}");
        assert!(answer.header("set-cookie").is_none());
    }
    assert_eq!(app.totals().orders, 7, "no lead is lost to a redirect that is not allowed");
    let notes = submissions(&app, &Default::default(), 8)
        .into_iter()
        .filter_map(|s| s.note)
        .collect::<Vec<_>>();
    assert_eq!(notes.len(), 6, "{notes:?}");
    assert!(notes.iter().all(|note| !note.contains('\r') && !note.contains('\n')), "{notes:?}");
}
}

backend_test! {
fn a_key_with_origins_refuses_other_websites() {
    let app = TestApp::spawn_with_config(TestApp::FRESH_KEYS);
    // Each from another page of the website (the same body again would be a duplicate).
    let order = |from: &str| format!(r#"{{"type":"order","email":"a@b.de","page":"{from}"}}"#);
    let from = |origin: &str| {
        app.server.request(
            "POST",
            "/api/v1/lead",
            &[("X-API-KEY", &app.acme.key), ("Origin", origin)],
            order(origin).as_bytes(),
        )
    };
    // No list: any website, as published.
    assert_eq!(from("https://irgendwo.de").status, 200);
    set_origins(&app, &["https://www.example.de", "https://shop.example.de/"]);
    let keys = app.store.access().list_keys(None).unwrap();
    assert_eq!(keys[0].origins, ["https://www.example.de", "https://shop.example.de"]);

    let refused = from("https://evil.de");
    refused.assert_error(403, "origin_not_allowed", None);
    assert_eq!(refused.header("access-control-allow-origin"), Some("*"), "the page can read why");
    assert_eq!(from("https://WWW.example.de").status, 200);
    assert_eq!(from("https://shop.example.de").status, 200);
    // Servers send no Origin: the list is about browsers.
    assert_eq!(app.post_lead(&app.acme.key, &order("server")).status, 200);
    assert_eq!(app.totals().orders, 4);

    // Back to any website.
    set_origins(&app, &["any"]);
    assert_eq!(from("https://evil.de").status, 200);
    let bad = cli(&app.db.url, &["key", "origins", &app.acme.key_id.to_string(), "www.example.de/kontakt"]);
    assert!(!bad.status.success());
}
}

#[test]
fn preflights_are_answered_in_the_contracts_terms() {
    let app = TestApp::spawn();
    let preflight = |headers: &str| {
        app.server.request(
            "OPTIONS",
            "/api/v1/lead",
            &[
                ("Origin", "https://www.beispiel.de"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", headers),
            ],
            b"",
        )
    };
    let ok = preflight("content-type, x-api-key, idempotency-key");
    assert_eq!(ok.status, 204);
    assert_eq!(ok.header("access-control-allow-origin"), Some("*"));
    let refused = preflight("x-secret-header");
    refused.assert_error(400, "invalid_field", Some("Access-Control-Request-Headers"));
    assert_eq!(
        refused.header("access-control-allow-origin"),
        Some("*"),
        "the page can read why"
    );
    // A plain OPTIONS is no preflight.
    let plain = app.server.request("OPTIONS", "/api/v1/lead", &[], b"");
    assert_eq!(plain.status, 204);
    assert_eq!(plain.header("allow"), Some("POST, OPTIONS"));
    // As published, every answer allows any origin, also one to a request without Origin.
    let server_to_server = app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@b.de"}"#);
    assert_eq!(server_to_server.header("access-control-allow-origin"), Some("*"));
}

backend_test! {
fn custom_fields_show_up_as_extra_for_the_team() {
    let app = TestApp::spawn();
    let body = r#"{"type":"ticket","email":"a@b.de","message":"Hallo","phone":"0301","cart":{"sku":"A-1","qty":2}}"#;
    assert_eq!(app.post_lead(&app.acme.key, body).status, 200);
    let token = token_for(&app.store, app.acme.employees[0]);
    let list = app.team("GET", "/api/v1/tickets", &token, "").json();
    let extra = json!({"phone":"0301","cart":{"sku":"A-1","qty":2}});
    assert_eq!(list["items"][0]["extra"], extra, "{list}");
    let id = list["items"][0]["id"].as_i64().unwrap();
    assert_eq!(app.team("GET", &format!("/api/v1/tickets/{id}"), &token, "").json()["extra"], extra);
    let output = cli(&app.db.url, &["tickets", "list", "--company", "Acme", "--json"]);
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed[0]["extra"], extra);
}
}

/// Waits until the submission log (written in batches) holds `n` entries of `filter`.
fn submissions(app: &TestApp, filter: &lead_store::SubmissionFilter, n: usize) -> Vec<lead_store::Submission> {
    lead_testkit::wait_until(
        &format!("{n} entries in the submission log"),
        std::time::Duration::from_secs(5),
        || {
            let found = app.store.intake().list_submissions(filter).unwrap();
            (found.len() >= n).then_some(found)
        },
    )
}

backend_test! {
fn the_submission_log_shows_why_a_form_fails() {
    let app = TestApp::spawn_with_config(TestApp::FRESH_KEYS);
    let key = app.acme.key.clone();
    set_origins(&app, &["https://www.example.de"]);
    let from_site = [("Origin", "https://www.example.de")];
    assert_eq!(urlencoded(&app, &format!("/api/v1/lead?key={key}"), FORM, &from_site).status, 200);
    let broken = format!("type=ticket&message=Hallo&key={key}");
    urlencoded(&app, "/api/v1/lead", &broken, &from_site).assert_error(400, "missing_field", Some("email"));
    urlencoded(&app, "/api/v1/lead", "type=order&key=lgw_unknownKey123", &[]).assert_error(403, "invalid_api_key", None);
    urlencoded(&app, &format!("/api/v1/lead?key={key}"), FORM, &[("Origin", "https://evil.de")])
        .assert_error(403, "origin_not_allowed", None);
    let redirect = format!("type=order&key={key}&redirect=https%3A%2F%2Fwww.example.de%2Fdanke");
    assert_eq!(urlencoded(&app, "/api/v1/lead", &redirect, &from_site).status, 303);

    let all = submissions(&app, &Default::default(), 5);
    assert_eq!(all.len(), 5);
    let (ok, failed): (Vec<_>, Vec<_>) = all.iter().partition(|s| !s.failed());
    assert_eq!((ok.len(), failed.len()), (1, 4));
    assert_eq!(ok[0].status, 200);
    assert_eq!(ok[0].body, None, "accepted bodies are not kept twice");
    let codes: Vec<_> = all.iter().map(|s| (s.status, s.code.as_deref())).collect();
    assert_eq!(
        codes,
        [
            (303, Some("missing_field")),
            (403, Some("origin_not_allowed")),
            (403, Some("invalid_api_key")),
            (400, Some("missing_field")),
            (200, None)
        ]
    );
    let bad = &all[3];
    assert_eq!(bad.origin.as_deref(), Some("https://www.example.de"));
    assert_eq!(bad.client_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(bad.size, broken.len() as i64);
    assert_eq!(bad.body.as_deref(), Some(r#"{"type":"ticket","message":"Hallo"}"#), "the form as checked, no key");
    assert!(bad.key_prefix.as_deref().is_some_and(|p| key.starts_with(p) && p.len() < key.len()));
    assert_eq!(all[2].company_id, None, "an unknown key belongs to nobody");
    assert_eq!(all[2].body, None, "and its body is not kept: the log is no storage for strangers");

    // A body PostgreSQL's text could not hold (a NUL byte) is logged all the same.
    app.post_lead(&key, "{\"type\":\"order\",\"email\":\"a\0\"}").assert_error(400, "invalid_json", None);
    let latest = submissions(&app, &Default::default(), 6);
    assert_eq!(latest[0].body.as_deref(), Some("{\"type\":\"order\",\"email\":\"a\u{FFFD}\"}"));

    // The operator sees everything; the team sees its own company's, never a key.
    let output = cli(&app.db.url, &["submissions", "list", "--failed", "--json"]);
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(5));
    let token = token_for(&app.store, app.acme.employees[0]);
    let page = app.team("GET", "/api/v1/submissions", &token, "");
    assert_eq!(page.json()["items"].as_array().map(Vec::len), Some(5), "{}", page.text());
    let failed_page = app.team("GET", "/api/v1/submissions?failed=true", &token, "").json();
    assert_eq!(failed_page["items"].as_array().map(Vec::len), Some(4));
    for text in [String::from_utf8_lossy(&output.stdout).into_owned(), page.text()] {
        assert!(!text.contains(&key), "no key in the submission log");
    }
    app.team("GET", "/api/v1/submissions?failed=maybe", &token, "").assert_error(400, "invalid_field", Some("failed"));
}
}

backend_test! {
fn a_logged_json_body_is_redacted_the_same_way_whatever_its_content_type() {
    let app = TestApp::spawn();
    let secret = "lgw_SomeoneElsesKey123";
    let body = format!(r#"{{"type":"ticket","email":"a@b.de","note":"{secret}"}}"#);
    // curl -d sends JSON as a form; a script as JSON; some send no type at all.
    for content_type in [Some("application/x-www-form-urlencoded"), Some("application/json"), None] {
        let headers: Vec<(&str, &str)> = [("X-API-KEY", app.acme.key.as_str())]
            .into_iter()
            .chain(content_type.map(|t| ("Content-Type", t)))
            .collect();
        app.server
            .request("POST", "/api/v1/lead", &headers, body.as_bytes())
            .assert_error(400, "missing_field", Some("message"));
    }
    let logged = submissions(&app, &Default::default(), 3);
    let expected = body.replace(secret, "REDACTED");
    for entry in &logged {
        assert_eq!(entry.body.as_deref(), Some(expected.as_str()), "only the key is replaced: {entry:?}");
    }
}
}

#[test]
fn the_openapi_description_is_served() {
    let app = TestApp::spawn();
    let response = app.server.request("GET", "/api/v1/openapi.json", &[], b"");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json; charset=utf-8"));
    let doc = response.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let lead = &doc["paths"]["/api/v1/lead.php"]["post"];
    assert!(lead["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    assert_eq!(
        lead["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Accepted"
    );
    assert_eq!(
        doc["components"]["schemas"]["LeadRequest"]["properties"]["type"]["type"],
        "string"
    );
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
    assert!(doc["paths"]["/api/v1/submissions"]["get"].is_object());
    app.server
        .request("POST", "/api/v1/openapi.json", &[], b"")
        .assert_error(405, "method_not_allowed", None);
}
