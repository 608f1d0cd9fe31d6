//! Duplicates and retries (amendment of 2026-12-01): a double post is one record — at once,
//! across a restart, across instances — until the window has passed, and an
//! `Idempotency-Key` cannot be poisoned by a bot.

mod common;

use common::leads::assert_success;
use common::stored::{json_list, listed_order};
use common::{cli, Response, TestApp};
use serde_json::Value;

backend_test! {
fn a_double_post_is_one_record() {
    let app = TestApp::spawn();
    let order = r#"{"type":"order","email":"kunde@beispiel.de","subject":"Bestellung 4711","total":49.90}"#;
    let first = app.post_lead(&app.acme.key, order);
    let id = assert_success(&first, "order");
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
            assert_success(
                &app.server.request("POST", &target, &[("Content-Type", &content_type)], body.as_bytes()),
                "ticket",
            )
        })
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(app.totals().tickets, 1);

    // Another key of the same company, another company, or an Idempotency-Key makes it
    // another lead.
    let second_key = lead_auth::ApiKey::generate().unwrap();
    app.store.access().add_key(app.acme.id, &second_key, "Zweite Website").unwrap();
    assert_ne!(assert_success(&app.post_lead(second_key.expose(), order), "order"), id);
    let other = common::add_company(&app.store, "Other", 0);
    assert_ne!(assert_success(&app.post_lead(&other.key, order), "order"), id);
    let keyed = app.server.request(
        "POST",
        "/api/v1/lead.php",
        &[("X-API-KEY", &app.acme.key), ("Idempotency-Key", "8d5e1c0a-2f7b-4c0e-9a51-3b8f6e2d7c41")],
        order.as_bytes(),
    );
    assert_ne!(assert_success(&keyed, "order"), id, "the Idempotency-Key rules, not the body");
    assert_eq!(app.totals().orders, 4);
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
    let ids: std::collections::BTreeSet<i64> = answers.iter().map(|a| assert_success(a, "ticket")).collect();
    assert_eq!(ids.len(), 1, "every answer names the one ticket");
    assert_eq!((app.totals().tickets, app.totals().notifications), (1, 2));
}
}

backend_test! {
fn a_double_post_across_a_restart_is_one_record() {
    let app = TestApp::spawn();
    let order = r#"{"type":"order","email":"kunde@beispiel.de","subject":"vor dem Neustart","total":5}"#;
    let first = assert_success(&app.post_lead(&app.acme.key, order), "order");
    // Killed (no clean shutdown), started again on the same database.
    app.server.stop();
    let server = common::Server::start(&app.db.url, &[]);
    let again = server.request("POST", "/api/v1/lead.php", &[("X-API-KEY", &app.acme.key)], order.as_bytes());
    assert_eq!(assert_success(&again, "order"), first);
    let totals = app.store.totals().unwrap();
    assert_eq!((totals.orders, totals.notifications), (1, 2));
}
}

backend_test! {
fn the_same_body_after_the_window_is_a_new_lead() {
    let app = TestApp::spawn_with("[intake]\nduplicate_window_secs = 1\n");
    let ticket = r#"{"type":"ticket","email":"a@b.de","message":"Noch einmal, später"}"#;
    let first = assert_success(&app.post_lead(&app.acme.key, ticket), "ticket");
    assert_eq!(assert_success(&app.post_lead(&app.acme.key, ticket), "ticket"), first);
    // The window (one second here) is what is under test: wait until the clock has left it.
    let stored_at = app.store.team().leads::<lead_store::TicketRecord>(app.acme.id, &Default::default()).unwrap()[0].created_at;
    lead_testkit::eventually("the window has passed", std::time::Duration::from_secs(5), || {
        lead_domain::Timestamp::now().millis() > stored_at.millis() + 1000
    });
    let later = assert_success(&app.post_lead(&app.acme.key, ticket), "ticket");
    assert_ne!(later, first, "past the window, the same body is a new lead");
    assert_eq!(assert_success(&app.post_lead(&app.acme.key, ticket), "ticket"), later);
    assert_eq!(app.totals().tickets, 2);
}
}

backend_test! {
fn duplicate_suppression_can_be_turned_off() {
    let app = TestApp::spawn_with("[intake]\nduplicate_window_secs = 0\n");
    let order = r#"{"type":"order","email":"a@b.de","total":1}"#;
    let ids: std::collections::BTreeSet<i64> =
        (0..3).map(|_| assert_success(&app.post_lead(&app.acme.key, order), "order")).collect();
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
            let ids: std::collections::BTreeSet<i64> = answers.iter().map(|a| assert_success(a, "ticket")).collect();
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
    let id = assert_success(&post("W-1002", real), "order");
    assert_eq!(listed_order(&app, id)["total_cents"], 8900);
    assert_eq!(app.totals().notifications, 2, "the team was told about the real order");

    // Without the honeypot the attacker's body takes the key first: the real order is answered
    // 422, but kept, held for review, and released by the operator.
    let forged = r#"{"type":"order","email":"x@example.org","total":1}"#;
    assert_success(&post("W-1003", forged), "order");
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
