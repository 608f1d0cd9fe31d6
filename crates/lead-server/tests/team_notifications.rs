//! An employee's notifications: listed, marked read, and their live stream (server-sent
//! events) — resumed without loss, kept alive, ended with the token, across instances.

mod common;

use common::pages::log_in;
use common::team::{fresh_order, ids, intruder, ok, post, ticket};
use common::{token_for, SseClient, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

backend_test! {
fn notifications_are_listed_and_marked_read() {
    let app = TestApp::spawn();
    let erika = token_for(&app.store, app.acme.employees[0]);
    let max = token_for(&app.store, app.acme.employees[1]);
    post(&app, &app.acme, &fresh_order());
    post(&app, &app.acme, &ticket("a@b.de"));
    post(&app, &app.acme, &fresh_order());

    let all = ok(app.team("GET", "/api/v1/notifications", &erika, ""));
    let mine = ids(&all);
    assert_eq!(mine.len(), 3);
    assert!(mine.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(
        all["items"][1]["text"],
        "Neues Ticket! „Frage“ von a@b.de ist eingegangen."
    );
    assert_eq!(all["items"][0]["read"], false);

    let read = ok(app.team("POST", &format!("/api/v1/notifications/{}/read", mine[1]), &erika, ""));
    assert_eq!(read["read"], true);
    let first_read_at = read["read_at"].clone();
    let again = ok(app.team("POST", &format!("/api/v1/notifications/{}/read", mine[1]), &erika, ""));
    assert_eq!(again["read_at"], first_read_at, "reading twice keeps the first time");
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/notifications?unread=true", &erika, ""))),
        [mine[0], mine[2]]
    );
    app.team("GET", "/api/v1/notifications?unread=yes", &erika, "")
        .assert_error(400, "invalid_field", Some("unread"));

    // Another employee's notification, even in the same company, is not found.
    app.team("POST", &format!("/api/v1/notifications/{}/read", mine[0]), &max, "")
        .assert_error(404, "not_found", None);
    assert_eq!(
        ok(app.team("POST", "/api/v1/notifications/read-all", &erika, "")),
        json!({"marked_read": 2})
    );
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/notifications?unread=true", &erika, ""))),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&ok(app.team("GET", "/api/v1/notifications?unread=true", &max, ""))).len(),
        3,
        "Max's are untouched"
    );
}
}

backend_test! {
fn the_bell_counts_every_unread_notification() {
    // More than the hundred the bell once stopped at, made in one statement.
    const UNREAD: i64 = 150;
    let app = TestApp::spawn();
    let employee = app.acme.employees[0];
    let password = "Ein-gutes-Passwort";
    app.store
        .access().set_employee_password(employee, Some(&lead_auth::hash_password(password).unwrap()))
        .unwrap();
    let columns = "company_id, employee_id, kind, text, created_at";
    let values = format!(
        "{}, {employee}, 'webhook', 'Ein Webhook wurde abgeschaltet.', {} + i",
        app.acme.id,
        lead_domain::Timestamp::now().millis()
    );
    app.db.execute(
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {UNREAD}) \
             INSERT INTO notifications ({columns}) SELECT {values} FROM n"
        ),
        &format!("INSERT INTO notifications ({columns}) SELECT {values} FROM generate_series(1, {UNREAD}) AS i"),
    );
    let email = app.store.access().find_employee(employee).unwrap().email;
    let (cookie, _) = log_in(&app, &email, password).1.expect("logged in");
    let bell = || {
        let page = app.server.request("GET", "/app/orders", &[("Cookie", &cookie)], b"");
        assert_eq!(page.status, 200);
        let text = page.text();
        let at = text.find("id=\"bell-count\"").expect("the bell");
        let count = &text[at..];
        count[count.find('>').unwrap() + 1..count.find('<').unwrap()].to_owned()
    };
    assert_eq!(bell(), UNREAD.to_string());

    let token = token_for(&app.store, employee);
    let newest = ids(&ok(app.team("GET", "/api/v1/notifications?limit=1", &token, "")))[0];
    ok(app.team("POST", &format!("/api/v1/notifications/{newest}/read"), &token, ""));
    assert_eq!(bell(), (UNREAD - 1).to_string(), "a notification read is counted no more");
    // Another employee's unread ones are theirs.
    assert_eq!(app.store.team().count_unread_notifications(app.acme.employees[1]).unwrap(), 0);
}
}

fn open_stream(app: &TestApp, token: &str, last_event_id: Option<&str>) -> SseClient {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![("Authorization", bearer.as_str())];
    if let Some(id) = last_event_id {
        headers.push(("Last-Event-ID", id));
    }
    let stream = SseClient::open(app.server.addr, "/api/v1/notifications/stream", &headers);
    assert_eq!(stream.status, 200, "{}", stream.head);
    assert!(
        stream
            .head
            .to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{}",
        stream.head
    );
    stream
}

backend_test! {
fn a_stream_opened_first_receives_the_lead_posted_afterwards() {
    let app = TestApp::spawn();
    let erika = token_for(&app.store, app.acme.employees[0]);
    let max = token_for(&app.store, app.acme.employees[1]);
    let (other, intruder_token) = intruder(&app);
    post(&app, &app.acme, &fresh_order()); // before the stream: not replayed
    let mut first = open_stream(&app, &erika, None);
    let mut second = open_stream(&app, &erika, None);
    let mut colleague = open_stream(&app, &max, None);
    let mut outsider = open_stream(&app, &intruder_token, None);

    let id = post(&app, &app.acme, &ticket("live@kunde.de"));
    let expected = app
        .store
        .team().list_notifications(app.acme.employees[0], false, None, Some(1))
        .unwrap()[0]
        .id;
    for stream in [&mut first, &mut second] {
        let event = stream
            .next_event(Duration::from_secs(10))
            .expect("the notification arrives");
        assert_eq!(event.id, Some(expected.to_string()));
        assert_eq!(event.event.as_deref(), Some("notification"));
        let data: Value = serde_json::from_str(&event.data).unwrap();
        assert_eq!(data["ticket_id"], id);
        assert_eq!(data["text"], "Neues Ticket! „Frage“ von live@kunde.de ist eingegangen.");
        assert_eq!(stream.next_event(Duration::from_millis(300)), None, "exactly one");
    }
    let event = colleague
        .next_event(Duration::from_secs(10))
        .expect("the colleague is notified too");
    assert_ne!(
        event.id,
        Some(expected.to_string()),
        "with the colleague's own notification"
    );
    assert_eq!(
        outsider.next_event(Duration::from_millis(500)),
        None,
        "another company hears nothing"
    );
    post(&app, &other, &fresh_order());
    assert!(
        outsider.next_event(Duration::from_secs(10)).is_some(),
        "but its own leads"
    );
}
}

backend_test! {
fn a_reconnect_with_last_event_id_gets_exactly_the_missed_ones() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let seen = last_seen_before_disconnecting(&app, &token);

    // Three leads while disconnected.
    for _ in 0..3 {
        post(&app, &app.acme, &fresh_order());
    }
    let mut resumed = open_stream(&app, &token, Some(&seen));
    let missed: Vec<String> = (0..3)
        .map(|_| resumed.next_event(Duration::from_secs(10)).unwrap().id.unwrap())
        .collect();
    let expected: Vec<String> = app
        .store
        .team().list_notifications(app.acme.employees[0], false, None, Some(3))
        .unwrap()
        .iter()
        .rev()
        .map(|n| n.id.to_string())
        .collect();
    assert_eq!(missed, expected);
    assert_eq!(resumed.next_event(Duration::from_millis(300)), None, "nothing repeated");
    // …and it goes on live.
    post(&app, &app.acme, &fresh_order());
    let next = resumed.next_event(Duration::from_secs(10)).unwrap().id.unwrap();
    assert!(next.parse::<i64>().unwrap() > missed[2].parse::<i64>().unwrap());

    let bearer = format!("Bearer {token}");
    let bad = app.server.request(
        "GET",
        "/api/v1/notifications/stream",
        &[("Authorization", &bearer), ("Last-Event-ID", "yesterday")],
        b"",
    );
    bad.assert_error(400, "invalid_field", Some("Last-Event-ID"));
    app.server
        .request("GET", "/api/v1/notifications/stream", &[], b"")
        .assert_error(401, "unauthorized", None);
}
}

backend_test! {
fn idle_streams_get_heartbeat_comments() {
    let app = TestApp::spawn_with_config("[server]\nsse_heartbeat_secs = 1\n");
    let token = token_for(&app.store, app.acme.employees[0]);
    let mut stream = open_stream(&app, &token, None);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while stream.comments == 0 && std::time::Instant::now() < deadline && !stream.ended {
        assert_eq!(stream.next_event(Duration::from_millis(100)), None, "no event on an idle stream");
    }
    assert!(stream.comments >= 1, "a heartbeat comment within 5 s at a 1 s period");
    assert!(!stream.ended, "the stream stays open");
}
}

backend_test! {
fn an_open_stream_ends_when_its_token_is_revoked_or_its_employee_deactivated() {
    let app = TestApp::spawn();
    let revoked = token_for(&app.store, app.acme.employees[0]);
    let deactivated = token_for(&app.store, app.acme.employees[1]);
    let mut first = open_stream(&app, &revoked, None);
    let mut second = open_stream(&app, &deactivated, None);

    let token_id = app.store.access().list_employee_tokens(Some(app.acme.employees[0])).unwrap()[0].id;
    app.store.access().revoke_employee_token(token_id).unwrap();
    app.store.access().set_employee_active(lead_store::Scope::Everyone, app.acme.employees[1], false).unwrap();
    post(&app, &app.acme, &fresh_order());
    for stream in [&mut first, &mut second] {
        // The commit wakes the stream; it re-checks its token and ends instead of delivering.
        assert_eq!(stream.next_event(Duration::from_secs(5)), None);
        assert!(stream.ended, "the server ended the stream");
    }
}
}

backend_test! {
fn a_resume_crosses_the_read_batches_without_loss_or_repetition() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let seen = last_seen_before_disconnecting(&app, &token);
    // More than one read's worth (100) of missed notifications.
    for _ in 0..130 {
        post(&app, &app.acme, &fresh_order());
    }
    let mut resumed = open_stream(&app, &token, Some(&seen));
    let mut ids = Vec::new();
    while let Some(event) = resumed.next_event(Duration::from_secs(5)) {
        ids.push(event.id.unwrap().parse::<i64>().unwrap());
        if ids.len() == 130 {
            break;
        }
    }
    let expected: Vec<i64> = app
        .store
        .team().list_notifications(app.acme.employees[0], false, None, Some(130))
        .unwrap()
        .iter()
        .rev()
        .map(|n| n.id.get())
        .collect();
    assert_eq!(ids, expected, "all 130, in order, once");
    assert_eq!(resumed.next_event(Duration::from_millis(300)), None);
}
}

#[test]
fn a_lead_taken_by_one_instance_reaches_a_stream_on_another() {
    common::with_backend(common::Backend::Postgres, || {
        let app = TestApp::spawn(); // instance A
                                    // Instance B on the same database, its safety-net re-read made an hour long: whatever
                                    // reaches its stream came through PostgreSQL's NOTIFY.
        let config = app.db.dir.path().join("b.toml");
        std::fs::write(&config, "[server]\nsse_recheck_secs = 3600\n").unwrap();
        let b = common::Server::spawn(
            &[
                "--config",
                config.to_str().unwrap(),
                "--database-url",
                &app.db.url,
                "serve",
                "--bind",
                "127.0.0.1:0",
            ],
            &[],
        );
        let token = token_for(&app.store, app.acme.employees[0]);
        let bearer = format!("Bearer {token}");
        let mut stream = SseClient::open(b.addr, "/api/v1/notifications/stream", &[("Authorization", &bearer)]);
        assert_eq!(stream.status, 200, "{}", stream.head);

        let started = std::time::Instant::now();
        let id = post(&app, &app.acme, &ticket("instanz@kunde.de")); // to instance A
        let event = stream
            .next_event(Duration::from_secs(10))
            .expect("instance B delivers A's lead");
        let data: Value = serde_json::from_str(&event.data).unwrap();
        assert_eq!(data["ticket_id"], id);
        eprintln!("cross-instance delivery took {:?}", started.elapsed());
        assert_eq!(stream.next_event(Duration::from_millis(300)), None, "exactly once");
    });
}

/// The id of the event a stream saw for one new lead, before it was closed.
fn last_seen_before_disconnecting(app: &TestApp, token: &str) -> String {
    let mut stream = open_stream(app, token, None);
    post(app, &app.acme, &fresh_order());
    stream.next_event(Duration::from_secs(10)).unwrap().id.unwrap()
}
