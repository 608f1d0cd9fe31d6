//! Live streams are bounded and never hold up a stop: more streams than allowed close the
//! oldest (or are refused) while leads go on, a stream ends when it is too old, and SIGTERM
//! with streams open exits at once.

mod common;

use std::time::Duration;

use common::{token_for, SseClient, TestApp};

fn open(app: &TestApp, token: &str) -> SseClient {
    let bearer = format!("Bearer {token}");
    SseClient::open(
        app.server.addr,
        "/api/v1/notifications/stream",
        &[("Authorization", &bearer)],
    )
}

/// Reads the stream until the server ends it or `within` passes; whether it ended.
fn ends_within(stream: &mut SseClient, within: Duration) -> bool {
    let deadline = std::time::Instant::now() + within;
    while !stream.ended && std::time::Instant::now() < deadline {
        stream.next_event(Duration::from_millis(100));
    }
    stream.ended
}

#[test]
fn more_streams_than_allowed_close_the_oldest_or_are_refused_and_leads_go_on() {
    let app = TestApp::spawn_with("[server]\nstreams_per_employee = 2\nmax_streams = 3\n");
    let (a, b) = (app.acme.employees[0], app.acme.employees[1]);
    let c = app
        .store
        .access()
        .add_employee(app.acme.id, "Dritte", "c@acme.example")
        .unwrap();
    let (token_a, token_b, token_c) = (
        token_for(&app.store, a),
        token_for(&app.store, b),
        token_for(&app.store, c),
    );

    let mut first = open(&app, &token_a);
    let mut second = open(&app, &token_a);
    assert_eq!((first.status, second.status), (200, 200));
    // A third tab of the same employee: the oldest is closed, the newer ones stay.
    let mut third = open(&app, &token_a);
    assert_eq!(third.status, 200);
    assert!(
        ends_within(&mut first, Duration::from_secs(5)),
        "the oldest stream is closed"
    );
    assert!(!ends_within(&mut second, Duration::from_millis(300)));

    // All places taken (a's two and b's one): another employee's stream is refused, 503.
    let mut other = open(&app, &token_b);
    assert_eq!(other.status, 200);
    let refused = open(&app, &token_c);
    assert_eq!(refused.status, 503, "{}", refused.head);

    // Leads are taken all the while, and reach the streams that are open.
    let answer = app.post_lead(
        &app.acme.key,
        r#"{"type":"order","email":"kunde@example.com","total":5}"#,
    );
    assert_eq!(answer.status, 200);
    for stream in [&mut second, &mut third, &mut other] {
        let event = stream.next_event(Duration::from_secs(5)).expect("the notification");
        assert_eq!(event.event.as_deref(), Some("notification"));
    }
}

#[test]
fn a_stream_ends_when_it_is_too_old_and_resumes_where_it_stopped() {
    let app = TestApp::spawn_with("[server]\nstream_max_age_secs = 1\n");
    let token = token_for(&app.store, app.acme.employees[0]);
    let mut stream = open(&app, &token);
    app.post_lead(
        &app.acme.key,
        r#"{"type":"order","email":"kunde@example.com","total":5}"#,
    );
    let seen = stream
        .next_event(Duration::from_secs(5))
        .expect("the first notification");
    assert!(
        ends_within(&mut stream, Duration::from_secs(5)),
        "ended after its maximum age"
    );
    // The client resumes after the last event it saw: the one sent meanwhile arrives.
    app.post_lead(
        &app.acme.key,
        r#"{"type":"order","email":"kunde@example.com","total":6}"#,
    );
    let bearer = format!("Bearer {token}");
    let last = seen.id.unwrap();
    let mut resumed = SseClient::open(
        app.server.addr,
        "/api/v1/notifications/stream",
        &[("Authorization", &bearer), ("Last-Event-ID", &last)],
    );
    let next = resumed
        .next_event(Duration::from_secs(5))
        .expect("the notification sent meanwhile");
    assert!(next.id.unwrap().parse::<i64>().unwrap() > last.parse::<i64>().unwrap());
}

#[test]
fn sigterm_with_streams_open_exits_at_once() {
    let mut app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let mut streams: Vec<SseClient> = (0..3).map(|_| open(&app, &token)).collect();
    assert!(streams.iter().all(|s| s.status == 200));
    // Idle keep-alive connections and open streams: the stop closes the streams first, then
    // waits for nothing (before, each open stream held the stop for 30 s).
    let took = app
        .server
        .terminate(Duration::from_secs(10))
        .expect("lead-server exited after SIGTERM");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    for stream in &mut streams {
        assert!(ends_within(stream, Duration::from_secs(1)), "the stream was closed");
    }
    assert!(app.server.log().contains("stopping"), "{}", app.server.log());

    // Idle, right after it says it listens: at once, and cleanly (exit status 0: the stop is
    // handled from the first moment, not by the signal's default).
    let db = common::TestDb::new();
    let mut idle = common::Server::start(&db.url, &[]);
    let took = idle
        .terminate(Duration::from_secs(10))
        .expect("lead-server exited after SIGTERM");
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn sigterm_under_load_answers_what_it_stores_and_stores_what_it_answered() {
    let mut app = TestApp::spawn();
    let addr = app.server.addr;
    let key = app.acme.key.clone();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let answered: Vec<i64> = std::thread::scope(|scope| {
        let senders: Vec<_> = (0..4)
            .map(|sender| {
                let (key, stop) = (&key, &stop);
                scope.spawn(move || {
                    let mut ids = Vec::new();
                    for n in 0.. {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        let body = format!(r#"{{"type":"order","email":"k{sender}-{n}@example.com","total":{n}}}"#);
                        let raw = format!(
                            "POST /api/v1/lead HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-API-KEY: {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        match common::try_send(addr, raw.as_bytes()) {
                            Ok(answer) if answer.status == 200 => ids.push(answer.json()["id"].as_i64().unwrap()),
                            // Refused or cut off while stopping: not acknowledged, may or may not
                            // be stored — the client sends it again.
                            Ok(_) | Err(_) => {}
                        }
                    }
                    ids
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500));
        let took = app.server.terminate(Duration::from_secs(10));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(took.is_some(), "lead-server exited under load");
        senders.into_iter().flat_map(|s| s.join().unwrap()).collect()
    });
    assert!(!answered.is_empty(), "leads were taken before the stop");
    // Every lead answered 200 is in the database.
    let stored: std::collections::HashSet<i64> = app
        .store
        .team()
        .leads::<lead_store::OrderRecord>(app.acme.id, &Default::default())
        .unwrap()
        .into_iter()
        .map(|order| order.id.get())
        .collect();
    let missing: Vec<&i64> = answered.iter().filter(|id| !stored.contains(id)).collect();
    assert!(missing.is_empty(), "answered 200 but not stored: {missing:?}");
}

#[test]
fn idle_streams_do_not_poll_the_database() {
    // Before, every open stream read the database every second (its token, its
    // notifications): forty idle streams made some eighty queries a second. Now one check a
    // second serves them all. Counted by PostgreSQL itself: the transactions on the database.
    common::with_backend(common::Backend::Postgres, || {
        let app = TestApp::spawn_with("[server]\nstreams_per_employee = 40\n");
        let token = token_for(&app.store, app.acme.employees[0]);
        let streams: Vec<SseClient> = (0..40).map(|_| open(&app, &token)).collect();
        assert!(streams.iter().all(|stream| stream.status == 200));
        let name = app.db.postgres_name().unwrap().to_owned();
        let transactions = || {
            app.db.number(&format!(
                "SELECT xact_commit AS n FROM pg_stat_database WHERE datname = '{name}'"
            ))
        };
        // A connection that goes idle reports its statistics within ten seconds: those of
        // opening the streams are all in before the count starts.
        std::thread::sleep(Duration::from_secs(11));
        let before = transactions();
        std::thread::sleep(Duration::from_secs(5));
        let during = transactions() - before;
        eprintln!("{during} transactions in 5 s with 40 idle streams open");
        assert!(during < 100, "{during} transactions in 5 s: the streams poll");
        // ... and they are alive: a lead reaches every one of them.
        let answer = app.post_lead(&app.acme.key, r#"{"type":"ticket","email":"a@b.de","message":"Hallo"}"#);
        assert_eq!(answer.status, 200);
        for mut stream in streams {
            assert!(stream.next_event(Duration::from_secs(5)).is_some());
        }
    });
}

#[test]
fn what_another_process_commits_or_revokes_reaches_idle_streams_within_a_tick() {
    // The hub's two duties: on SQLite, a notification the operator's command line made (no
    // signal reaches the server) is delivered, and a token revoked there ends its stream.
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let mut stream = open(&app, &token);
    assert_eq!(stream.status, 200);
    let spam = app.post_lead(
        &app.acme.key,
        r#"{"type":"ticket","email":"a@b.de","message":"x","_gotcha":"y"}"#,
    );
    let id = spam.json()["id"].as_i64().unwrap();
    let released = common::cli(&app.db.url, &["tickets", "release", &id.to_string()]);
    assert!(
        released.status.success(),
        "{}",
        String::from_utf8_lossy(&released.stderr)
    );
    let event = stream
        .next_event(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no notification; {}", app.server.log()));
    assert!(event.data.contains(&format!("\"ticket_id\":{id}")), "{}", event.data);
    let revoked = common::cli(&app.db.url, &["employee", "token-revoke", &token[..12]]);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert!(
        ends_within(&mut stream, Duration::from_secs(5)),
        "the revoked token's stream ends"
    );
}

backend_test! {
fn a_release_by_the_operators_command_reaches_an_open_stream_at_once() {
    // A lead held as spam, released by `orders release` in a process of its own: its
    // notification is committed elsewhere (on PostgreSQL announced by NOTIFY, on SQLite found
    // by the server's look at the database each second) and reaches the stream open here.
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let held = app
        .post_lead(&app.acme.key, r#"{"type":"order","email":"spam@example.com","total":1,"_gotcha":"x"}"#)
        .json()["id"]
        .clone();
    let mut stream = open(&app, &token);
    let released = common::cli(&app.db.url, &["orders", "release", &held.to_string()]);
    assert!(released.status.success(), "{}", String::from_utf8_lossy(&released.stderr));
    let event = stream
        .next_event(Duration::from_secs(5))
        .expect("the released order's notification, within seconds");
    let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(data["order_id"], held);
}
}
