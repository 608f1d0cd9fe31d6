//! Live streams that never skip: two instances on one PostgreSQL, two lead writers each, four
//! streams connected throughout (two employees on each instance), 5,000 leads sent to both
//! instances at once. Each stream receives each of its notifications exactly once, without
//! reconnecting — although the writers commit ids out of order.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{add_company, postgres_url, token_for, Backend, Server, SseClient, TestDb};

const LEADS: usize = 5_000;
const SENDERS: usize = 8;

#[test]
fn four_streams_connected_throughout_get_each_notification_exactly_once() {
    if postgres_url().is_none() {
        eprintln!("skipped: set LEAD_TEST_POSTGRES_URL; the streams' order across instances needs PostgreSQL");
        return;
    }
    let db = TestDb::new_on(Backend::Postgres);
    let store = db.store();
    let acme = add_company(&store, "Acme", 2);
    let config = db.dir.path().join("two-writers.toml");
    std::fs::write(
        &config,
        "[limits]\nper_ip = 0\nper_key = 0\n[database]\npostgres_writers = 2\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let instances = [
        Server::start_with_config(&db.url, config),
        Server::start_with_config(&db.url, config),
    ];
    let tokens: Vec<String> = acme.employees.iter().map(|&e| token_for(&store, e)).collect();

    // Four streams: each employee on each instance, open before the first lead.
    let mut readers = Vec::new();
    for server in &instances {
        for (employee, token) in acme.employees.iter().zip(&tokens) {
            let bearer = format!("Bearer {token}");
            let mut stream = SseClient::open(
                server.addr,
                "/api/v1/notifications/stream",
                &[("Authorization", &bearer)],
            );
            assert_eq!(stream.status, 200, "{}", stream.head);
            let employee = *employee;
            readers.push(std::thread::spawn(move || {
                let mut ids = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(240);
                while ids.len() < LEADS && !stream.ended && Instant::now() < deadline {
                    if let Some(event) = stream.next_event(Duration::from_millis(500)) {
                        ids.push(event.id.expect("every notification has an id").parse::<i64>().unwrap());
                    }
                }
                // Anything after the last expected one would be a repeat: look a moment longer.
                let settle = Instant::now() + Duration::from_millis(500);
                while !stream.ended && Instant::now() < settle {
                    if let Some(event) = stream.next_event(Duration::from_millis(100)) {
                        ids.push(event.id.unwrap().parse::<i64>().unwrap());
                    }
                }
                (employee, ids, stream.ended)
            }));
        }
    }

    // 5,000 leads, each different, sent to both instances by eight clients at once.
    let next = Arc::new(AtomicUsize::new(0));
    let addrs: Vec<_> = instances.iter().map(|server| server.addr).collect();
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (next, addrs, key) = (next.clone(), addrs.clone(), acme.key.clone());
            std::thread::spawn(move || loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= LEADS {
                    return;
                }
                let body = format!(r#"{{"type":"order","email":"kunde{n}@example.com","total":{n}}}"#);
                let raw = format!(
                    "POST /api/v1/lead.php HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-KEY: {key}\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let answer = common::try_send(addrs[n % addrs.len()], raw.as_bytes()).unwrap();
                assert_eq!(answer.status, 200, "{}", answer.text());
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }

    let mut failures = Vec::new();
    for (n, reader) in readers.into_iter().enumerate() {
        let (employee, ids, ended) = reader.join().unwrap();
        let expected: BTreeSet<i64> = store
            .team()
            .list_notifications(employee, false, None, None)
            .unwrap()
            .into_iter()
            .map(|note| note.id.get())
            .collect();
        let received: BTreeSet<i64> = ids.iter().copied().collect();
        let repeated = ids.len() - received.len();
        let missing = expected.difference(&received).count();
        println!(
            "stream {n} (employee {employee}, instance {}): received {} of {} expected, {missing} missing, {repeated} repeated{}",
            n / 2 + 1,
            received.len(),
            expected.len(),
            if ended { ", ended by the server" } else { "" }
        );
        if expected.len() != LEADS || missing > 0 || repeated > 0 || ended || received != expected {
            failures.push(n);
        }
    }
    assert!(
        failures.is_empty(),
        "streams {failures:?} missed, repeated or ended (see above)"
    );
}
