//! Hostile input against the real server: absurd nesting, huge emoji, NUL bytes, header
//! injection, slow and idle clients, and secrets in the log at every level. Each gets the
//! contract's answer or a closed connection — never a panic, never a partial record — and the
//! server keeps serving everybody else.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{add_company, token_for, Response, TestApp};
use serde_json::Value;

const ORDER: &str = r#"{"type":"order","email":"kunde@beispiel.de","total":10}"#;

/// The server still takes a normal lead: nothing hostile broke it.
fn assert_still_serving(app: &TestApp) {
    let response = app.post_lead(&app.acme.key, ORDER);
    assert_eq!(response.status, 200, "{}", response.text());
}

/// Timeouts small enough for a test.
fn with_timeouts(extra: &str) -> String {
    format!("[server]\nrequest_timeout_secs = 1\nkeep_alive_secs = 1\n{extra}")
}

/// Reads until the server closes the connection (or `limit` passes); returns what came.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while started.elapsed() < limit {
        match stream.read(&mut chunk) {
            Ok(0) => return (received, true),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return (received, true), // reset: closed as well
        }
    }
    (received, false)
}

backend_test! {
fn absurd_nesting_is_refused_at_every_size() {
    let app = TestApp::spawn();
    // 100 000 levels do not even fit into the 64 KiB a body may have.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    app.post_lead(&app.acme.key, &deep).assert_error(413, "payload_too_large", None);
    // 30 000 levels do, inside an otherwise valid lead.
    let nested = format!(
        r#"{{"type":"order","email":"a@b.de","extra":{}1{}}}"#,
        "[".repeat(30_000),
        "]".repeat(30_000)
    );
    assert!(nested.len() < 64 * 1024);
    app.post_lead(&app.acme.key, &nested).assert_error(400, "invalid_json", None);
    let objects = format!(r#"{}{}"#, r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    app.post_lead(&app.acme.key, &objects).assert_error(400, "invalid_json", None);
    app.assert_nothing_stored();
    assert_still_serving(&app);
}
}

backend_test! {
fn emoji_up_to_the_limit_are_stored_exactly_and_beyond_it_refused() {
    let app = TestApp::spawn();
    // 16 000 emoji: 64 000 bytes, under both the 64 KiB and the 20 000-character limit.
    let emoji = "😀".repeat(16_000);
    let body = format!(r#"{{"type":"ticket","email":"a@b.de","subject":"{}","message":"{emoji}"}}"#, "🎉".repeat(200));
    assert!(body.len() <= 64 * 1024);
    let accepted = app.post_lead(&app.acme.key, &body);
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    let tickets = app.store.team().leads::<lead_store::TicketRecord>(app.acme.id, &Default::default()).unwrap();
    assert_eq!(tickets[0].message, emoji);
    assert_eq!(tickets[0].title, "🎉".repeat(200));
    assert_eq!(tickets[0].payload, body);

    // 16 400 emoji are 65 600 bytes: over 64 KiB.
    let too_big = format!(r#"{{"type":"ticket","email":"a@b.de","message":"{}"}}"#, "😀".repeat(16_400));
    app.post_lead(&app.acme.key, &too_big).assert_error(413, "payload_too_large", None);
    // 201 emoji in the subject: one character too many, whatever their bytes.
    let long_subject = format!(r#"{{"type":"ticket","email":"a@b.de","subject":"{}","message":"x"}}"#, "🎉".repeat(201));
    app.post_lead(&app.acme.key, &long_subject).assert_error(400, "invalid_field", Some("subject"));
    assert_eq!(app.totals().tickets, 1);
}
}

backend_test! {
fn nul_bytes_are_refused_in_texts_and_kept_elsewhere() {
    let app = TestApp::spawn();
    // A raw NUL inside a JSON string is not JSON.
    app.post_lead(&app.acme.key, "{\"type\":\"ticket\",\"email\":\"a@b.de\",\"message\":\"a\0b\"}")
        .assert_error(400, "invalid_json", None);
    // Escaped, it is JSON, but no text of a lead may hold it (PostgreSQL could not store it).
    for (body, field) in [
        (r#"{"type":"ticket","email":"a@b.de","message":"a\u0000b"}"#, "message"),
        (r#"{"type":"order","email":"a@b.de","subject":"\u0000"}"#, "subject"),
        (r#"{"type":"order","email":"a\u0000@b.de"}"#, "email"),
    ] {
        app.post_lead(&app.acme.key, body).assert_error(400, "invalid_field", Some(field));
    }
    app.assert_nothing_stored();
    // In a field of its own the escape is kept as sent, on both backends.
    let custom = r#"{"type":"order","email":"a@b.de","note":"a\u0000b"}"#;
    assert_eq!(app.post_lead(&app.acme.key, custom).status, 200);
    let orders = app.store.team().leads::<lead_store::OrderRecord>(app.acme.id, &Default::default()).unwrap();
    assert_eq!(orders[0].payload, custom);
    assert_eq!(app.totals().notifications, 2, "one per employee");
}
}

#[test]
fn header_values_with_cr_or_lf_never_get_through() {
    let app = TestApp::spawn();
    let key = app.acme.key.clone();
    let addr = app.server.addr;
    // A bare CR inside a header value, and an obsolete folded line: the parser refuses them
    // (400) or the connection is closed. Either way, nothing is stored. (A bare LF ends a
    // header line, as HTTP/1.1 allows: it cannot smuggle anything into a value.)
    for head in [
        format!("X-API-KEY: {key}\rX-Injected: 1\r\n"),
        format!("X-API-KEY: {key}\r\n continued\r\n"),
        format!("Idempotency-Key: a\rb\r\nX-API-KEY: {key}\r\n"),
    ] {
        let raw = format!(
            "POST /api/v1/lead.php HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{head}Content-Length: {}\r\n\r\n{ORDER}",
            ORDER.len()
        );
        match common::try_send(addr, raw.as_bytes()) {
            Ok(response) => assert_eq!(response.status, 400, "{head:?}: {}", response.text()),
            Err(closed) => assert!(
                closed.contains("no complete answer") || closed.contains("failed"),
                "{closed}"
            ),
        }
    }
    // Percent-encoded CR/LF in the query is just part of a (wrong) key.
    app.server
        .request(
            "POST",
            &format!("/api/v1/lead.php?key={key}%0D%0AX-Injected:%201"),
            &[],
            ORDER.as_bytes(),
        )
        .assert_error(403, "invalid_api_key", None);
    // A key header with bytes that are not ASCII is not a key.
    let raw = format!(
        "POST /api/v1/lead.php HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-KEY: {key}\u{e4}\r\nContent-Length: {}\r\n\r\n{ORDER}",
        ORDER.len()
    );
    common::try_send(addr, raw.as_bytes())
        .unwrap()
        .assert_error(403, "invalid_api_key", None);
    app.assert_nothing_stored();
    assert_still_serving(&app);
}

#[test]
fn a_slow_client_gets_408_and_is_disconnected_while_others_are_served() {
    let app = TestApp::spawn_with(&with_timeouts(""));
    let mut slow = TcpStream::connect(app.server.addr).unwrap();
    let head = format!(
        "POST /api/v1/lead.php HTTP/1.1\r\nHost: x\r\nX-API-KEY: {}\r\nContent-Length: {}\r\n\r\n",
        app.acme.key,
        ORDER.len()
    );
    slow.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    // One byte every 200 ms: the whole body would take ten seconds.
    let mut sent = 0;
    slow.set_nonblocking(false).unwrap();
    while sent < ORDER.len() && started.elapsed() < Duration::from_millis(1500) {
        if slow.write_all(&ORDER.as_bytes()[sent..=sent]).is_err() {
            break;
        }
        sent += 1;
        if sent == 2 {
            // Meanwhile, everybody else is served.
            assert_still_serving(&app);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (answer, closed) = read_until_closed(&mut slow, Duration::from_secs(5));
    assert!(closed, "the server must hang up on a client that is too slow");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let body: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["code"], "request_timeout");
    assert!(sent < ORDER.len(), "the body was never complete");
    assert_eq!(app.totals().orders, 1, "only the fast client's order");

    // Headers that never end are cut off the same way.
    let mut stalled = TcpStream::connect(app.server.addr).unwrap();
    stalled
        .write_all(b"POST /api/v1/lead.php HTTP/1.1\r\nHost: x\r\nX-API-KEY: ")
        .unwrap();
    let (_, closed) = read_until_closed(&mut stalled, Duration::from_secs(5));
    assert!(closed, "a client that never finishes its headers is disconnected");
    assert_still_serving(&app);
}

#[test]
fn idle_connections_are_closed_and_cannot_crowd_out_others() {
    let app = TestApp::spawn_with(&with_timeouts("max_connections = 32\n"));
    // Far more idle connections than the server takes at once.
    let mut idle: Vec<TcpStream> = (0..200).map(|_| TcpStream::connect(app.server.addr).unwrap()).collect();
    // A real client still gets through: idle connections are dropped after the request
    // timeout, freeing room for the ones waiting in the kernel's queue.
    assert_still_serving(&app);
    for (i, stream) in idle.iter_mut().enumerate() {
        let (_, closed) = read_until_closed(stream, Duration::from_secs(15));
        assert!(closed, "idle connection {i} was never closed");
    }
    // A keep-alive connection that falls silent after a request is closed too.
    let mut kept = TcpStream::connect(app.server.addr).unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let (answer, closed) = read_until_closed(&mut kept, Duration::from_secs(5));
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    assert!(closed, "an idle keep-alive connection is closed after keep_alive_secs");
    assert_still_serving(&app);
}

#[test]
fn no_key_or_token_reaches_the_log_at_any_level() {
    let app = TestApp::spawn_with("[log]\nlevel = \"trace\"\n");
    let revoked = add_company(&app.store, "Revoked", 1);
    app.store
        .access()
        .revoke_key(lead_store::Scope::Everyone, revoked.key_id)
        .unwrap();
    let inactive = add_company(&app.store, "Inactive", 1);
    app.store.access().set_company_active(inactive.id, false).unwrap();
    let unknown_key = "lgw_thisKeyIsUnknownButStillASecretOfSomebody42";

    let token = token_for(&app.store, app.acme.employees[0]);
    let revoked_token = token_for(&app.store, app.acme.employees[1]);
    let info = app
        .store
        .access()
        .list_employee_tokens(Some(app.acme.employees[1]))
        .unwrap();
    app.store.access().revoke_employee_token(info[0].id).unwrap();
    let inactive_token = token_for(&app.store, inactive.employees[0]);
    let unknown_token = "lgt_thisTokenIsUnknownButStillASecretOfSomebody";

    let keys = [
        app.acme.key.as_str(),
        revoked.key.as_str(),
        inactive.key.as_str(),
        unknown_key,
    ];
    for key in keys {
        app.post_lead(key, ORDER);
        app.post_lead(key, "{bad json");
        app.server
            .request("POST", &format!("/api/v1/lead.php?key={key}"), &[], ORDER.as_bytes());
        app.server
            .request("POST", &format!("/api/v1/lead?a=1&key={key}&b=2"), &[], b"[]");
        app.server
            .request("GET", &format!("/api/v1/lead.php?key={key}"), &[], b"");
        app.server
            .request("POST", &format!("/api/v1/lead.php?%6Bey={key}"), &[], ORDER.as_bytes());
        app.server
            .request("OPTIONS", &format!("/api/v1/lead.php?key={key}"), &[], b"");
        // An API key is not a bearer token.
        app.team("GET", "/api/v1/me", key, "");
    }
    let tokens = [
        token.as_str(),
        revoked_token.as_str(),
        inactive_token.as_str(),
        unknown_token,
    ];
    for token in tokens {
        app.team("GET", "/api/v1/me", token, "");
        app.team("GET", "/api/v1/orders?limit=5", token, "");
        app.team("POST", "/api/v1/orders/1/accept", token, "");
        app.team("POST", "/api/v1/customers", token, r#"{"name":"X","email":"x@y.de"}"#);
        app.team("GET", &format!("/api/v1/notifications?token={token}"), token, "");
        app.server
            .request("GET", "/api/v1/me", &[("Authorization", token)], b"");
        app.server.request("GET", &format!("/api/v1/me?key={token}"), &[], b"");
        app.server.request("GET", &format!("/api/v1/{token}"), &[], b"");
        let mut stream = common::SseClient::open(
            app.server.addr,
            "/api/v1/notifications/stream",
            &[("Authorization", &format!("Bearer {token}"))],
        );
        let _ = stream.next_event(Duration::from_millis(50));
    }
    let TestApp { server, .. } = app;
    let log = server.stop().log();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "the log ran at trace level:\n{log}"
    );
    for marker in ["key=REDACTED", "token=REDACTED", "/api/v1/REDACTED"] {
        assert!(log.contains(marker), "the access log shows {marker}:\n{log}");
    }
    for secret in keys.iter().chain(tokens.iter()) {
        assert!(!log.contains(secret), "a secret leaked into the log:\n{log}");
        assert!(
            !log.contains(&secret[4..20]),
            "part of a secret leaked into the log:\n{log}"
        );
    }
}

/// Requests the server must answer with the contract's body even when they are odd.
#[test]
fn odd_requests_get_the_contract_answer() {
    let app = TestApp::spawn_with(&with_timeouts(""));
    let key = app.acme.key.clone();
    // An empty body, only whitespace, a BOM.
    for body in ["", "   ", "\u{feff}{}"] {
        app.post_lead(&key, body).assert_error(400, "invalid_json", None);
    }
    // A Content-Length that lies upwards: the server waits for the rest, then gives up.
    let response: Response = common::try_send(
        app.server.addr,
        format!(
            "POST /api/v1/lead.php HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-KEY: {key}\r\nContent-Length: 100\r\n\r\n{{}}"
        )
        .as_bytes(),
    )
    .unwrap();
    response.assert_error(408, "request_timeout", None);
    app.assert_nothing_stored();
    assert_still_serving(&app);
}
