//! The virus scan of a lead's files (issue 29) with a real clamd: malware holds its lead back
//! and is never served; a clamd that does not answer costs no lead — its files wait unserved
//! until it is back and has judged them.

mod common;

use std::time::Duration;

use common::clamd::{free_port, Clamd, EICAR};
use common::operator::json_lines;
use common::{cli, eventually, token_for, Response, TestApp};
use serde_json::Value;

/// A PNG's signature and header: enough for its type.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

fn ticket_with(filename: &str, data: &[u8]) -> String {
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD.encode(data);
    serde_json::json!({"type": "ticket", "email": "kunde@beispiel.de", "message": "Datei anbei",
        "attachments": [{"filename": filename, "data": data}]})
    .to_string()
}

fn config(address: &str) -> String {
    format!("[attachments]\nclamd = \"{address}\"\nscan_retry_secs = 1\nscan_timeout_secs = 5\n")
}

fn lead(app: &TestApp, body: &str) -> i64 {
    let answer = app.post_lead(&app.acme.key, body);
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()["id"].as_i64().unwrap()
}

fn ticket(app: &TestApp, token: &str, id: i64) -> Response {
    app.team("GET", &format!("/api/v1/tickets/{id}"), token, "")
}

fn held(app: &TestApp) -> Vec<Value> {
    let listed = json_lines(&cli(
        &app.db.url,
        &["tickets", "list", "--company", "Acme", "--held", "--json"],
    ));
    listed.as_array().unwrap().clone()
}

backend_test! {
fn malware_holds_its_lead_back_and_a_clean_file_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let Some(clamd) = Clamd::start(dir.path(), free_port()) else { return };
    let app = TestApp::spawn_with(&config(&clamd.address));
    let token = token_for(&app.store, app.acme.employees[0]);

    let clean = lead(&app, &ticket_with("foto.png", PNG));
    let shown = ticket(&app, &token, clean).json();
    assert_eq!(shown["attachments"][0]["scan"], "clean", "{shown}");
    let file = shown["attachments"][0]["id"].as_i64().unwrap();
    assert_eq!(app.team("GET", &format!("/api/v1/attachments/{file}"), &token, "").body, PNG);

    // Stored (never lost), but held as malware: the team sees neither it nor its file. Its
    // retry is answered with it, nothing stored again.
    let keyed = |body: &str| {
        let answer = app.server.request(
            "POST",
            "/api/v1/lead.php",
            &[("X-API-KEY", &app.acme.key), ("Idempotency-Key", "bestellung-1")],
            body.as_bytes(),
        );
        assert_eq!(answer.status, 200, "{}", answer.text());
        answer.json()["id"].as_i64().unwrap()
    };
    let infected = keyed(&ticket_with("rechnung.txt", EICAR));
    assert_eq!(keyed(&ticket_with("rechnung.txt", EICAR)), infected, "a retry");
    // The same key for another body with malware: the conflict it is (kept for review).
    let conflict = app.server.request(
        "POST",
        "/api/v1/lead.php",
        &[("X-API-KEY", &app.acme.key), ("Idempotency-Key", "bestellung-1")],
        ticket_with("andere.txt", EICAR).as_bytes(),
    );
    conflict.assert_error(422, "idempotency_conflict", None);
    ticket(&app, &token, infected).assert_error(404, "not_found", None);
    let held = held(&app);
    assert_eq!(held.len(), 2, "{held:?}");
    assert_eq!(held[0]["held"], "conflict");
    let held = &held[1..];
    assert_eq!((held[0]["id"].as_i64(), held[0]["held"].as_str()), (Some(infected), Some("malware")));
    assert_eq!(held[0]["attachments"][0]["scan"], "infected");
    let notified = app.team("GET", "/api/v1/notifications", &token, "").json();
    assert_eq!(notified["items"].as_array().unwrap().len(), 1, "only the clean lead notified: {notified}");
    let infected_file = held[0]["attachments"][0]["id"].as_i64().unwrap();
    app.team("GET", &format!("/api/v1/attachments/{infected_file}"), &token, "").assert_error(404, "not_found", None);
}
}

backend_test! {
fn files_wait_unserved_while_clamd_is_down_and_are_judged_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    if common::clamd::program().is_none() {
        return;
    }
    let app = TestApp::spawn_with(&config(&format!("tcp://127.0.0.1:{port}")));
    let token = token_for(&app.store, app.acme.employees[0]);

    // Nobody listens: the leads are stored and shown, their files „nicht geprüft“.
    let clean = lead(&app, &ticket_with("foto.png", PNG));
    let infected = lead(&app, &ticket_with("rechnung.txt", EICAR));
    for id in [clean, infected] {
        let shown = ticket(&app, &token, id).json();
        assert_eq!(shown["attachments"][0]["scan"], "pending", "{shown}");
        let file = shown["attachments"][0]["id"].as_i64().unwrap();
        app.team("GET", &format!("/api/v1/attachments/{file}"), &token, "").assert_error(409, "conflict", None);
    }
    let page_file = ticket(&app, &token, clean).json()["attachments"][0]["id"].as_i64().unwrap();

    // clamd comes back: the server offers it the files again, and what it finds counts.
    let _clamd = Clamd::start(dir.path(), port).expect("installed");
    eventually("the clean file judged", Duration::from_secs(30), || {
        ticket(&app, &token, clean).json()["attachments"][0]["scan"] == "clean"
    });
    assert_eq!(app.team("GET", &format!("/api/v1/attachments/{page_file}"), &token, "").body, PNG);
    eventually("the infected lead held back", Duration::from_secs(30), || {
        ticket(&app, &token, infected).status == 404
    });
    let held = held(&app);
    assert_eq!((held[0]["id"].as_i64(), held[0]["held"].as_str()), (Some(infected), Some("malware")));
    // Its notification went with it: the team is not pointed at what it cannot see.
    let notified = app.team("GET", "/api/v1/notifications", &token, "").json();
    let about: Vec<i64> = notified["items"].as_array().unwrap().iter().filter_map(|n| n["ticket_id"].as_i64()).collect();
    assert_eq!(about, [clean], "{notified}");
}
}
