//! Consent on record (issue 29, DSGVO Art. 7(1)): what a form's `consent` and `consent_text`
//! say, or its key's consent text, kept with the lead — given or not, the sentence, when, from
//! which page and which network — and shown wherever the lead is.

mod common;

use common::pages::first_employee_session;
use common::{cli, token_for, TestApp};
use lead_store::{Role, Scope};
use serde_json::{json, Value};

fn ticket(app: &TestApp, token: &str, id: &Value) -> Value {
    app.team("GET", &format!("/api/v1/tickets/{id}"), token, "").json()
}

fn post_form(app: &TestApp, body: &str, referer: &str) -> Value {
    let answer = app.server.request(
        "POST",
        &format!("/api/v1/lead.php?key={}", app.acme.key),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Referer", referer),
        ],
        body.as_bytes(),
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()["id"].clone()
}

backend_test! {
fn a_forms_consent_is_kept_with_its_sentence_page_time_and_network() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let id = post_form(
        &app,
        "type=ticket&email=max%40beispiel.de&message=Hallo&consent=on&consent_text=Ich+bin+einverstanden%2C+dass+meine+Daten+gespeichert+werden.",
        "https://www.example.de/kontakt?ref=1",
    );
    let shown = ticket(&app, &token, &id);
    let consent = &shown["consent"];
    assert_eq!(consent["given"], true, "{shown}");
    assert_eq!(consent["text"], "Ich bin einverstanden, dass meine Daten gespeichert werden.");
    assert_eq!(consent["page"], "https://www.example.de/kontakt?ref=1");
    assert_eq!(consent["client"], "127.0.0.0", "the network, not the address");
    assert_eq!(consent["at"], shown["created_at"]);
    assert!(shown["extra"].get("consent").is_none() && shown["extra"].get("consent_text").is_none(), "{shown}");

    // Not ticked, in JSON: recorded as not given. Nothing said, no key text: nothing on record.
    let refused = app.post_lead(&app.acme.key, r#"{"type":"ticket","email":"a@b.de","message":"m","consent":"nein","consent_text":"Ja, bitte."}"#);
    assert_eq!(ticket(&app, &token, &refused.json()["id"])["consent"]["given"], false);
    let silent = app.post_lead(&app.acme.key, r#"{"type":"ticket","email":"a@b.de","message":"still"}"#);
    assert_eq!(ticket(&app, &token, &silent.json()["id"])["consent"], Value::Null);

    // The lead's page and the CSV export show it.
    let (cookie, _) = first_employee_session(&app);
    let get = |path: &str| app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"");
    let page = get(&format!("/app/tickets/{id}")).text();
    assert!(page.contains("Einwilligung") && page.contains("Erteilt"), "{page}");
    assert!(page.contains("„Ich bin einverstanden, dass meine Daten gespeichert werden.“"), "{page}");
    let csv = get("/app/tickets/export.csv").text();
    assert!(csv.contains(";Einwilligung;Einwilligungstext;"), "{csv}");
    assert!(csv.contains(";ja;Ich bin einverstanden, dass meine Daten gespeichert werden.;"), "{csv}");

    // The person's export holds it too.
    let export = cli(&app.db.url, &["person", "export", "--company", "Acme", "--email", "max@beispiel.de"]);
    let document: Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(document["tickets"][0]["consent"]["given"], true, "{document}");
}
}

backend_test! {
fn a_keys_consent_text_is_recorded_with_each_lead_that_sends_none() {
    let app = TestApp::spawn_with("[privacy]\ntruncate_ips = false\n");
    let token = token_for(&app.store, app.acme.employees[0]);
    let key = app.acme.key_id.to_string();
    let set = cli(&app.db.url, &["key", "consent-text", &key, "Ich stimme der Datenschutzerklärung zu."]);
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    let listed = common::operator::json_lines(&cli(&app.db.url, &["key", "list", "--json"]));
    assert_eq!(listed[0]["consent_text"], "Ich stimme der Datenschutzerklärung zu.");

    // The checkbox ticked: given, to the key's sentence; not ticked (a form sends nothing): not given.
    let ticked = app.post_lead(&app.acme.key, r#"{"type":"ticket","email":"a@b.de","message":"1","consent":true}"#);
    let consent = ticket(&app, &token, &ticked.json()["id"])["consent"].clone();
    assert_eq!(
        (consent["given"].clone(), consent["text"].clone(), consent["client"].clone()),
        (json!(true), json!("Ich stimme der Datenschutzerklärung zu."), json!("127.0.0.1")),
        "the whole address, as configured"
    );
    let unticked = app.post_lead(&app.acme.key, r#"{"type":"ticket","email":"a@b.de","message":"2"}"#);
    assert_eq!(ticket(&app, &token, &unticked.json()["id"])["consent"]["given"], false);
    // The form's own sentence comes first.
    let own = app.post_lead(&app.acme.key, r#"{"type":"ticket","email":"a@b.de","message":"3","consent":"1","consent_text":"Eigener Text"}"#);
    assert_eq!(ticket(&app, &token, &own.json()["id"])["consent"]["text"], "Eigener Text");

    let off = cli(&app.db.url, &["key", "consent-text", &key, "--off"]);
    assert!(off.status.success(), "{}", String::from_utf8_lossy(&off.stderr));
    let after = app.post_lead(&app.acme.key, r#"{"type":"ticket","email":"a@b.de","message":"4"}"#);
    assert_eq!(ticket(&app, &token, &after.json()["id"])["consent"], Value::Null);
    let long = "x".repeat(2001);
    let refused = cli(&app.db.url, &["key", "consent-text", &key, &long]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("2000"), "{}", String::from_utf8_lossy(&refused.stderr));
}
}

#[test]
fn an_admin_sets_the_keys_consent_text_and_a_member_cannot() {
    let app = TestApp::spawn();
    let session = first_employee_session(&app);
    let cookie = &session.0;
    let path = format!("/app/admin/keys/{}/consent-text", app.acme.key_id);
    let form = |body: &str| common::pages::post_form(&app, &session, &path, body);
    let text = || {
        app.store
            .access()
            .find_key(&app.acme.key_id.to_string())
            .unwrap()
            .consent_text
    };
    assert_eq!(form("consent_text=Einverstanden.").status, 403, "a member");
    assert_eq!(text(), None);
    let me = app.acme.employees[0];
    app.store
        .access()
        .set_employee_role(Scope::Everyone, me, Role::Admin)
        .unwrap();
    assert_eq!(form("consent_text=Ich+bin+einverstanden.").status, 303);
    assert_eq!(text().as_deref(), Some("Ich bin einverstanden."));
    let page = app
        .server
        .request("GET", "/app/admin/keys", &[("Cookie", cookie.as_str())], b"")
        .text();
    assert!(page.contains(">Ich bin einverstanden.</textarea>"), "{page}");
    assert_eq!(form("consent_text=").status, 303);
    assert_eq!(text(), None, "empty: none");
}
