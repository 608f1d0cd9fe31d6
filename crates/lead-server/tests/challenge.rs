//! Proof of work against spam (issue 29): a key may require the ALTCHA widget's solution of a
//! challenge this server signed. A lead without a valid one is stored, held as spam and never
//! dropped; a solution counts once; the `altcha` field is never part of the lead. (The real
//! widget in a real browser: `examples_challenge.rs`.)

mod common;

use std::time::Duration;

use common::pages::first_employee_session;
use common::stored::json_list;
use common::{cli, TestApp};
use lead_auth::proof::{self, Challenge};
use lead_store::{Role, Scope};
use serde_json::Value;

/// A challenge for Acme's key, as the widget fetches it.
fn challenge(app: &TestApp) -> Challenge {
    let answer = app
        .server
        .request("GET", &format!("/api/v1/challenge?key={}", app.acme.key), &[], b"");
    assert_eq!(answer.status, 200, "{}", answer.text());
    serde_json::from_slice(&answer.body).unwrap()
}

/// What the widget puts into the form's `altcha` field for a new challenge.
fn solved(app: &TestApp) -> String {
    proof::solve(&challenge(app)).expect("the server's challenges are solvable")
}

/// Runs the operator's command line, asserting success.
fn run(app: &TestApp, args: &[&str]) {
    let output = cli(&app.db.url, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A ticket with `message` and, if given, `altcha`, as JSON.
fn ticket(message: &str, altcha: Option<&str>) -> String {
    let mut body = serde_json::json!({"type": "ticket", "email": "max@beispiel.de", "message": message});
    if let Some(altcha) = altcha {
        body["altcha"] = altcha.into();
    }
    body.to_string()
}

/// Posts `body`; the new ticket's id (every answer here is 200: the website cannot tell).
fn post(app: &TestApp, body: &str, headers: &[(&str, &str)]) -> i64 {
    let mut all = vec![
        ("Content-Type", "application/json"),
        ("X-API-KEY", app.acme.key.as_str()),
    ];
    all.extend_from_slice(headers);
    let answer = app.server.request("POST", "/api/v1/lead.php", &all, body.as_bytes());
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()["id"].as_i64().unwrap()
}

/// A plain form's ticket with `message` and a solved proof in its `altcha` field, urlencoded.
fn form_with_proof(app: &TestApp, message: &str) -> String {
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    format!(
        "type=ticket&email=max%40beispiel.de&message={}&altcha={}",
        encode(message),
        encode(&solved(app))
    )
}

/// Posts a plain form's `body` with the key in the query; the new ticket's id.
fn post_form(app: &TestApp, body: &str) -> i64 {
    let answer = app.server.request(
        "POST",
        &format!("/api/v1/lead.php?key={}", app.acme.key),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()["id"].as_i64().unwrap()
}

/// The tickets `args` add to `tickets list --company Acme --json`: (id, held) each.
fn tickets(app: &TestApp, args: &[&str]) -> Vec<(i64, Value)> {
    let mut all = vec!["tickets", "list", "--company", "Acme", "--json"];
    all.extend_from_slice(args);
    json_list(app, &all)
        .into_iter()
        .map(|ticket| (ticket["id"].as_i64().unwrap(), ticket["held"].clone()))
        .collect()
}

/// The submission log's notes, newest first, once it has `count` entries.
fn notes(app: &TestApp, count: usize) -> Vec<Option<String>> {
    lead_testkit::wait_until("the submission log", Duration::from_secs(10), || {
        let entries = app.store.intake().list_submissions(&Default::default()).unwrap();
        (entries.len() >= count).then(|| entries.into_iter().map(|entry| entry.note).collect())
    })
}

#[test]
fn the_challenge_is_signed_fresh_and_only_for_a_valid_key_from_its_websites() {
    let app = TestApp::spawn_with_config(TestApp::FRESH_KEYS);
    let path = format!("/api/v1/challenge?key={}", app.acme.key);
    let answer = app.server.request("GET", &path, &[], b"");
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    let first: Value = answer.json();
    let parameters = &first["parameters"];
    assert_eq!(
        (
            &parameters["algorithm"],
            &parameters["cost"],
            &parameters["keyLength"],
            &parameters["keyPrefix"]
        ),
        (
            &Value::from("PBKDF2/SHA-256"),
            &Value::from(1000),
            &Value::from(32),
            &Value::from("000")
        ),
        "{first}"
    );
    let now = lead_domain::Timestamp::now().millis() / 1000;
    let expires = parameters["expiresAt"].as_i64().unwrap();
    assert!(
        (now + 1190..=now + 1201).contains(&expires),
        "20 minutes: {expires} at {now}"
    );
    assert_eq!(first["signature"].as_str().map(str::len), Some(64));
    let second: Value = app.server.request("GET", &path, &[], b"").json();
    assert_ne!(
        first["parameters"]["nonce"], second["parameters"]["nonce"],
        "a new one each time"
    );

    // The key in its header works too; without one, with a wrong one, from another website: no.
    let key = [("X-API-KEY", app.acme.key.as_str())];
    assert_eq!(app.server.request("GET", "/api/v1/challenge", &key, b"").status, 200);
    app.server
        .request("GET", "/api/v1/challenge", &[], b"")
        .assert_error(401, "missing_api_key", None);
    app.server
        .request(
            "GET",
            "/api/v1/challenge?key=lgw_unknown0000000000000000000000",
            &[],
            b"",
        )
        .assert_error(403, "invalid_api_key", None);
    run(
        &app,
        &[
            "key",
            "origins",
            &app.acme.key_id.to_string(),
            "https://www.acme.example",
        ],
    );
    let from = |origin: &str| app.server.request("GET", &path, &[("Origin", origin)], b"");
    assert_eq!(from("https://www.acme.example").status, 200);
    let refused = from("https://evil.example");
    refused.assert_error(403, "origin_not_allowed", None);
    assert_eq!(
        refused.header("access-control-allow-origin"),
        Some("*"),
        "the page may read why"
    );
    app.server
        .request("POST", &path, &[], b"")
        .assert_error(405, "method_not_allowed", None);

    // The widget and its licence, from here, for any website.
    let widget = app.server.request("GET", "/altcha/altcha.js", &[], b"");
    assert_eq!(widget.status, 200);
    assert_eq!(widget.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert!(widget.text().contains("altcha-widget"), "the custom element it defines");
    let licence = app.server.request("GET", "/altcha/LICENSE.txt", &[], b"").text();
    assert!(
        licence.starts_with("MIT License") && licence.contains("Daniel Regeci"),
        "{licence}"
    );
}

backend_test! {
fn a_key_that_requires_a_proof_holds_leads_without_a_valid_one_as_spam() {
    let app = TestApp::spawn_with_config(TestApp::FRESH_KEYS);
    let key_id = app.acme.key_id.to_string();
    run(&app, &["key", "challenge", &key_id, "on"]);
    assert_eq!(json_list(&app, &["key", "list", "--json"])[0]["challenge"], true);

    // Solved: a ticket for the team, without the widget's field; its retry (same
    // Idempotency-Key, same body) is answered with it, not held — also one whose proof no
    // longer counts (a retry may come after its challenge expired).
    let proof = solved(&app);
    let first_body = ticket("Bitte um Rückruf", Some(&proof));
    let first = post(&app, &first_body, &[("Idempotency-Key", "k-1")]);
    assert_eq!(post(&app, &first_body, &[("Idempotency-Key", "k-1")]), first, "a retry");
    let late_retry = ticket("Bitte um Rückruf", Some("abgelaufen"));
    assert_eq!(post(&app, &late_retry, &[("Idempotency-Key", "k-1")]), first, "a late retry");
    assert_eq!(tickets(&app, &[]), vec![(first, Value::Null)]);
    let stored = &json_list(&app, &["tickets", "list", "--company", "Acme", "--json"])[0];
    assert!(stored["payload"].get("altcha").is_none(), "never part of the lead: {stored}");
    assert_eq!(stored["payload"]["message"], "Bitte um Rückruf");

    // The same proof for another lead, none, a broken one, one made by another server, one
    // that solves nothing: each stored, held as spam, notifying nobody; the log says why.
    let again = post(&app, &ticket("Noch einer", Some(&proof)), &[]);
    let without = post(&app, &ticket("Ohne", None), &[]);
    let broken = post(&app, &ticket("Kaputt", Some("kein base64!")), &[]);
    let mut foreign = challenge(&app);
    foreign.parameters.cost = 1; // cheaper than this server asks: no longer its signature
    let forged = post(&app, &ticket("Gefälscht", Some(&proof::solve(&foreign).unwrap())), &[]);
    let wrong = {
        let mut sent: Value = serde_json::from_slice(&base64_decode(&solved(&app))).unwrap();
        sent["solution"]["counter"] = (sent["solution"]["counter"].as_u64().unwrap() + 1).into();
        post(&app, &ticket("Falsch", Some(&base64_encode(&sent.to_string()))), &[])
    };
    let spam: Vec<i64> = tickets(&app, &["--held"])
        .into_iter()
        .map(|(id, held)| {
            assert_eq!(held, "spam");
            id
        })
        .collect();
    assert_eq!(spam, vec![wrong, forged, broken, without, again]);
    assert_eq!(tickets(&app, &[]).len(), 1, "the team sees the first only");
    let notes = notes(&app, 8);
    let reasons: Vec<&str> = notes[..5].iter().map(|note| note.as_deref().unwrap_or("")).collect();
    assert_eq!(
        reasons,
        vec![
            "held as spam: the proof of work does not solve its challenge",
            "held as spam: the proof of work's challenge was not made by this server",
            "held as spam: the altcha field is not a proof of work of this server's kind",
            "held as spam: no proof of work was sent (the form's altcha field is missing)",
            "held as spam: the proof of work was used before (a solution counts once)",
        ]
    );
    assert_eq!(notes[5..], [None, None, None], "the solved lead and its retries");

    // A plain form's field works the same; what was held is released to the team.
    let from_form = post_form(&app, &form_with_proof(&app, "Formular"));
    run(&app, &["tickets", "release", &without.to_string()]);
    let team: Vec<i64> = tickets(&app, &[]).into_iter().map(|(id, _)| id).collect();
    assert_eq!(team, vec![from_form, without, first]);

    // Off again: no proof needed, and the field is still no part of a lead.
    run(&app, &["key", "challenge", &key_id, "off"]);
    let free = post(&app, &ticket("Frei", Some("irgendwas")), &[]);
    let listed = json_list(&app, &["tickets", "list", "--company", "Acme", "--json"]);
    let free = listed.iter().find(|ticket| ticket["id"] == free).expect("for the team");
    assert!(free["payload"].get("altcha").is_none(), "{free}");
}
}

backend_test! {
fn a_used_proof_is_no_way_around_a_conflict_or_a_duplicate() {
    let app = TestApp::spawn_with_config(TestApp::FRESH_KEYS);
    run(&app, &["key", "challenge", &app.acme.key_id.to_string(), "on"]);
    // An Idempotency-Key used again for another body, with the first lead's proof: the
    // conflict it is (422, stored held for review), not an error.
    let proof = solved(&app);
    let first = post(&app, &ticket("Erste", Some(&proof)), &[("Idempotency-Key", "k-9")]);
    let other = ticket("Andere", Some(&proof));
    let answer = app.server.request(
        "POST",
        "/api/v1/lead.php",
        &[("Content-Type", "application/json"), ("X-API-KEY", app.acme.key.as_str()), ("Idempotency-Key", "k-9")],
        other.as_bytes(),
    );
    answer.assert_error(422, "idempotency_conflict", None);
    let held = tickets(&app, &["--held"]);
    assert_eq!((held.len(), &held[0].1), (1, &Value::from("conflict")), "{held:?}");

    // A plain form sent again as it was (its proof and all), without an Idempotency-Key: the
    // duplicate it is, answered with the first lead — not spam.
    let form = form_with_proof(&app, "Nochmal");
    let once = post_form(&app, &form);
    assert_eq!(post_form(&app, &form), once, "a duplicate");
    let team: Vec<i64> = tickets(&app, &[]).into_iter().map(|(id, _)| id).collect();
    assert_eq!(team, vec![once, first]);
    assert_eq!(tickets(&app, &["--held"]).len(), 1, "still only the conflict");
}
}

backend_test! {
fn one_proof_sent_with_many_leads_at_once_lets_one_through() {
    let app = TestApp::spawn_with_config(TestApp::FRESH_KEYS);
    run(&app, &["key", "challenge", &app.acme.key_id.to_string(), "on"]);
    let proof = solved(&app);
    // At the same moment: in one batch, or in batches of parallel writers (PostgreSQL).
    let ids: Vec<i64> = std::thread::scope(|scope| {
        let sent: Vec<_> = (0..8)
            .map(|n| {
                let (app, proof) = (&app, &proof);
                scope.spawn(move || post(app, &ticket(&format!("Gleichzeitig {n}"), Some(proof)), &[]))
            })
            .collect();
        sent.into_iter().map(|thread| thread.join().unwrap()).collect()
    });
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 8, "eight leads stored: {ids:?}");
    assert_eq!(tickets(&app, &[]).len(), 1, "one for the team");
    assert_eq!(tickets(&app, &["--held"]).len(), 7, "the rest held as spam");
}
}

#[test]
fn an_admin_requires_the_proof_on_the_key_page_and_sees_the_widget_snippet() {
    let app = TestApp::spawn();
    let session = first_employee_session(&app);
    let cookie = &session.0;
    let path = format!("/app/admin/keys/{}/challenge", app.acme.key_id);
    let form = |body: &str| common::pages::post_form(&app, &session, &path, body);
    let required = || {
        app.store
            .access()
            .find_key(&app.acme.key_id.to_string())
            .unwrap()
            .challenge
    };
    assert_eq!(form("challenge=on").status, 403, "a member");
    assert!(!required());
    app.store
        .access()
        .set_employee_role(Scope::Everyone, app.acme.employees[0], Role::Admin)
        .unwrap();
    let page = || {
        app.server
            .request("GET", "/app/admin/keys", &[("Cookie", cookie.as_str())], b"")
            .text()
    };
    assert!(!page().contains("altcha-widget"), "no snippet while it is off");
    assert_eq!(form("challenge=on").status, 303);
    assert!(required());
    let shown = page();
    assert!(shown.contains(r#"name="challenge" value="on" checked"#), "{shown}");
    assert!(
        shown.contains("&lt;script src=&quot;https://IHR-SERVER/altcha/altcha.js&quot; defer&gt;&lt;/script&gt;")
            && shown.contains(
                "&lt;altcha-widget challenge=&quot;https://IHR-SERVER/api/v1/challenge?key=IHR-SCHLÜSSEL&quot;"
            ),
        "{shown}"
    );
    assert_eq!(form("").status, 303, "unticked");
    assert!(!required());
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
