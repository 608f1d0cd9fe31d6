//! Sending again: a full write queue answers 503 and loses nothing, and an
//! `Idempotency-Key` makes a retry safe (the first answer, nothing stored twice).

mod common;

use common::leads::{assert_success, order, ORDER, TICKET};
use common::{add_company, Response, TestApp};

backend_test! {
fn a_full_write_queue_answers_503_with_retry_after_and_loses_nothing() {
    let app = TestApp::spawn_with_config("[database]\nwrite_queue = 1\nbusy_timeout_ms = 30000\n");
    // Another connection holds the write path: the server's writer stalls, its queue fills.
    let blocker = app.db.hold_writes();
    let app = &app;
    let answered = std::sync::atomic::AtomicUsize::new(0);
    let answered = &answered;
    let answers: Vec<Response> = std::thread::scope(|scope| {
        let posts: Vec<_> = (0..8)
            .map(|n| {
                scope.spawn(move || {
                    let answer = app.post_lead(&app.acme.key, &order(n));
                    answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    answer
                })
            })
            .collect();
        // The refused ones answer at once; the others — with a writer (SQLite has one,
        // PostgreSQL two) or in the queue of one — wait for the lock.
        lead_testkit::eventually("the refused ones answered", std::time::Duration::from_secs(10), || {
            answered.load(std::sync::atomic::Ordering::SeqCst) >= 5
        });
        blocker.release();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    });
    let busy: Vec<&Response> = answers.iter().filter(|a| a.status == 503).collect();
    let stored = answers.iter().filter(|a| a.status == 200).count();
    assert!(
        !busy.is_empty() && stored >= 1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(busy.len() + stored, 8, "only 200 or 503");
    for answer in busy {
        answer.assert_error(503, "internal_error", None);
        assert_eq!(answer.header("retry-after"), Some("1"));
    }
    assert_eq!(app.totals().orders as usize, stored, "every 200 is stored, no 503 is");
    assert_eq!(app.totals().notifications as usize, stored * 2);
}
}

/// Posts `body` with an `Idempotency-Key`.
fn post_idempotent(app: &TestApp, key: &str, idempotency_key: &str, body: &str) -> Response {
    app.server.request(
        "POST",
        "/api/v1/lead.php",
        &[("X-API-KEY", key), ("Idempotency-Key", idempotency_key)],
        body.as_bytes(),
    )
}

backend_test! {
fn a_retry_with_the_same_idempotency_key_gets_the_first_answer_and_stores_nothing() {
    let app = TestApp::spawn();
    let first = post_idempotent(&app, &app.acme.key, "bestellung-4711", ORDER);
    let id = assert_success(&first, "order");
    for _ in 0..3 {
        let retry = post_idempotent(&app, &app.acme.key, "bestellung-4711", ORDER);
        assert_eq!(retry.status, 200);
        assert_eq!(retry.body, first.body, "byte for byte the first answer");
    }
    assert_eq!((app.totals().orders, app.totals().notifications), (1, 2));
    // Without the header, or with another key, it is a new lead.
    assert_ne!(assert_success(&app.post_lead(&app.acme.key, ORDER), "order"), id);
    assert_ne!(assert_success(&post_idempotent(&app, &app.acme.key, "bestellung-4712", ORDER), "order"), id);
    // Another website's same Idempotency-Key is its own.
    let other = add_company(&app.store, "Other", 0);
    assert_success(&post_idempotent(&app, &other.key, "bestellung-4711", ORDER), "order");
    assert_eq!(app.totals().orders, 4);
}
}

backend_test! {
fn the_same_idempotency_key_with_another_body_is_422_and_kept_for_review() {
    let app = TestApp::spawn();
    assert_success(&post_idempotent(&app, &app.acme.key, "k-1", ORDER), "order");
    let other_body = r#"{"type":"order","email":"kunde@beispiel.de","total":1}"#;
    for body in [other_body, TICKET] {
        let answer = post_idempotent(&app, &app.acme.key, "k-1", body);
        answer.assert_error(422, "idempotency_conflict", None);
        assert!(answer.json()["message"].as_str().unwrap().contains("gespeichert"), "{}", answer.text());
    }
    // Both are stored, held back for the operator, and nobody was told about them.
    assert_eq!((app.totals().orders, app.totals().tickets, app.totals().notifications), (2, 1, 2));
    let held = app.store.team().held_leads::<lead_store::OrderRecord>(app.acme.id, Some(lead_store::Hold::Conflict), None).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].total.cents(), 100);
    let held = app.store.team().held_leads::<lead_store::TicketRecord>(app.acme.id, Some(lead_store::Hold::Conflict), None).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &Default::default()).unwrap().len(), 1, "the team sees the first");
}
}

backend_test! {
fn simultaneous_duplicates_create_exactly_one_record() {
    let app = TestApp::spawn();
    let answers: Vec<Response> = std::thread::scope(|scope| {
        let posts: Vec<_> = (0..12)
            .map(|_| scope.spawn(|| post_idempotent(&app, &app.acme.key, "doppelklick", TICKET)))
            .collect();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    });
    let ids: std::collections::BTreeSet<i64> = answers.iter().map(|a| assert_success(a, "ticket")).collect();
    assert_eq!(ids.len(), 1, "every answer names the one ticket");
    assert_eq!((app.totals().tickets, app.totals().notifications), (1, 2));
}
}

backend_test! {
fn a_rejected_request_does_not_use_up_its_idempotency_key_and_keys_expire_after_a_day() {
    let app = TestApp::spawn();
    post_idempotent(&app, &app.acme.key, "k-2", r#"{"type":"order"}"#).assert_error(400, "missing_field", Some("email"));
    let first = assert_success(&post_idempotent(&app, &app.acme.key, "k-2", ORDER), "order");
    // A day and a second later the key is new again.
    let day_ago = "created_at - 86401000";
    app.db.execute(
        &format!("UPDATE idempotency_keys SET created_at = {day_ago};"),
        &format!("UPDATE idempotency_keys SET created_at = {day_ago};"),
    );
    let later = assert_success(&post_idempotent(&app, &app.acme.key, "k-2", ORDER), "order");
    assert_ne!(later, first);
    assert_eq!(app.totals().orders, 2);
}
}

backend_test! {
fn malformed_idempotency_keys_are_400() {
    let app = TestApp::spawn();
    for bad in [" ", &"k".repeat(256), "mit leerzeichen"] {
        post_idempotent(&app, &app.acme.key, bad, ORDER).assert_error(400, "invalid_field", Some("Idempotency-Key"));
    }
    app.assert_nothing_stored();
}
}
