//! Running it like a service: `/readyz` and the drain of a stop, `/metrics` (off, on, behind a
//! token, on a listener of its own), logs as JSON objects, and a server that records
//! deliveries but sends none (`--no-deliver`), as the restore drill uses it.

mod common;

use std::time::Duration;

use common::{cli_with_env, eventually, last_line, wait_until, Receiver, Server, TestApp, TestDb};
use serde_json::Value;

fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> common::Response {
    server.request("GET", path, headers, b"")
}

/// `webhook add` for Acme, to `receiver` on loopback (allowed by the switch, read as `on`).
fn add_webhook(app: &TestApp, receiver: &Receiver) {
    let added = cli_with_env(
        &app.db.url,
        &["webhook", "add", "--company", "Acme", "--url", &receiver.url],
        &[("LEAD_OUTBOX_ALLOW_PRIVATE", "on")],
    );
    last_line(&added);
}

/// Sends SIGTERM without waiting for the process to end.
fn sigterm(server: &Server) {
    let pid = server.pid().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
}

backend_test! {
fn ready_until_a_stop_begins_then_draining_with_connection_close() {
    let mut app = TestApp::spawn_with("[server]\ndrain_secs = 3\n");
    let ready = get(&app.server, "/readyz", &[]);
    assert_eq!((ready.status, ready.json()), (200, serde_json::json!({"status": "ready"})));
    assert_eq!(get(&app.server, "/healthz", &[]).status, 200);

    sigterm(&app.server);
    // Draining: not ready, but still answering, and every answer closes its connection.
    let draining = wait_until("/readyz to answer 503", Duration::from_secs(5), || {
        let answer = get(&app.server, "/readyz", &[]);
        (answer.status == 503).then_some(answer)
    });
    draining.assert_error(503, "not_ready", None);
    assert_eq!(draining.header("retry-after"), Some("1"));
    let lead = app.post_lead(&app.acme.key, r#"{"type":"order","email":"spaet@example.com","total":1}"#);
    assert_eq!(lead.status, 200, "a lead during the drain is taken");
    assert_eq!(lead.header("connection"), Some("close"));
    assert!(app.server.log().contains("answers close their connections for 3 s"));
    let took = app.server.terminate(Duration::from_secs(15)).expect("it stops after the drain");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(app.totals().orders, 1);
}
}

#[test]
fn without_a_drain_a_stop_is_at_once() {
    let mut app = TestApp::spawn();
    let took = app.server.terminate(Duration::from_secs(10)).expect("stopped");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

/// The value of one sample in Prometheus text: the line starting with `series` (name and
/// labels as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

backend_test! {
fn metrics_count_leads_requests_deliveries_and_streams_behind_a_token() {
    let receiver = Receiver::start(vec![]);
    let app = TestApp::spawn_with(
        "[metrics]\nenabled = true\ntoken = \"s3cret-scrape\"\n[outbox]\nallow_private_targets = true\n",
    );
    add_webhook(&app, &receiver);
    assert_eq!(app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@example.com","total":5}"#).status, 200);
    assert_eq!(app.post_lead(&app.acme.key, r#"{"type":"ticket","email":"b@example.com"}"#).status, 400);
    eventually("the webhook delivered", Duration::from_secs(15), || receiver.received().len() == 1);

    get(&app.server, "/metrics", &[]).assert_error(401, "unauthorized", None);
    get(&app.server, "/metrics", &[("Authorization", "Bearer wrong")]).assert_error(401, "unauthorized", None);
    let scrape = || {
        let answer = get(&app.server, "/metrics", &[("Authorization", "Bearer s3cret-scrape")]);
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(answer.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
        answer.text()
    };
    // The attempt is counted when it is made, and no longer pending once it is recorded.
    let text = wait_until("the delivery counted and recorded", Duration::from_secs(15), || {
        let text = scrape();
        let counted = sample(&text, r#"lead_delivery_attempts_total{channel="webhook",result="delivered"}"#);
        let pending = sample(&text, r#"lead_outbox_pending{channel="webhook"}"#);
        (counted == Some(1.0) && pending == Some(0.0)).then_some(text)
    });
    assert_eq!(sample(&text, r#"lead_leads_total{type="order",outcome="stored",reason=""}"#), Some(1.0), "{text}");
    assert_eq!(
        // Refused while its fields were read: its type is not known yet.
        sample(&text, r#"lead_leads_total{type="unknown",outcome="refused",reason="missing_field"}"#),
        Some(1.0),
        "{text}"
    );
    assert!(
        sample(&text, r#"lead_http_request_duration_seconds_count{group="lead",status="2xx"}"#) >= Some(1.0),
        "{text}"
    );
    assert!(text.contains(r#"lead_http_request_duration_seconds_bucket{group="lead",status="4xx",le="0.005"}"#), "{text}");
    assert!(sample(&text, "lead_writer_batch_size_count") >= Some(1.0), "{text}");
    assert_eq!(sample(&text, r#"lead_outbox_pending{channel="webhook"}"#), Some(0.0), "{text}");
    assert_eq!(sample(&text, r#"lead_outbox_oldest_pending_age_seconds{channel="email"}"#), Some(0.0), "{text}");
    assert_eq!(sample(&text, "lead_streams_open"), Some(0.0), "{text}");
    assert_eq!(sample(&text, "lead_writer_queue_leads"), Some(0.0), "{text}");
    assert!(text.contains(r#"lead_db_pool_wait_seconds_count{pool="readers"}"#), "{text}");
    assert!(text.contains("# HELP lead_leads_total "), "{text}");
}
}

#[test]
fn metrics_are_off_unless_enabled_and_can_have_a_listener_of_their_own() {
    let off = TestApp::spawn();
    get(&off.server, "/metrics", &[]).assert_error(404, "not_found", None);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let apart = TestApp::spawn_with(&format!("[metrics]\nenabled = true\nbind = \"127.0.0.1:{port}\"\n"));
    get(&apart.server, "/metrics", &[]).assert_error(404, "not_found", None);
    let own = common::try_send(
        ([127, 0, 0, 1], port).into(),
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(own.status, 200);
    assert!(own.text().contains("lead_streams_open"), "{}", own.text());
    let other = common::try_send(
        ([127, 0, 0, 1], port).into(),
        b"GET /api/v1/orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(other.status, 404, "only /metrics is served there");
}

#[test]
fn json_logs_are_one_object_per_line() {
    let db = TestDb::new();
    let server = Server::start(&db.url, &[("LEAD_LOG_FORMAT", "json")]);
    assert_eq!(get(&server, "/healthz", &[]).status, 200);
    let log = server.finish();
    let lines: Vec<Value> = log
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(lines.len() >= 2, "{log}");
    for line in &lines {
        for field in ["time", "level", "target", "message"] {
            assert!(line[field].is_string(), "{field} in {line}");
        }
    }
    assert!(
        lines
            .iter()
            .any(|line| line["message"].as_str().unwrap().contains("listening on http://")),
        "{log}"
    );
}

backend_test! {
fn a_server_with_no_deliver_records_deliveries_and_sends_none() {
    let receiver = Receiver::start(vec![]);
    let app = TestApp::spawn_with("[outbox]\nallow_private_targets = true\nenabled = false\n");
    add_webhook(&app, &receiver);
    assert_eq!(app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@example.com","total":5}"#).status, 200);
    assert!(app.server.log().contains("deliveries are off"), "{}", app.server.log());
    let pending = wait_until("the delivery owed", Duration::from_secs(5), || {
        let listed = cli_with_env(&app.db.url, &["outbox", "list", "--status", "pending", "--json"], &[]);
        let rows: Value = serde_json::from_str(&last_line(&listed)).unwrap();
        (rows.as_array().unwrap().len() == 1).then_some(rows)
    });
    assert_eq!(pending[0]["channel"], "webhook");
    // Nothing sends here: the server runs no delivery worker at all.
    let threads = app.server.threads();
    assert!(threads.iter().any(|name| name.starts_with("lead-writer")), "{threads:?}");
    assert!(!threads.iter().any(|name| name == "lead-deliver"), "{threads:?}");
    assert!(receiver.received().is_empty(), "nothing is sent");

    // A server with deliveries on, on the same database, finds it owed from before, says so,
    // and sends it.
    let sender = Server::start(&app.db.url, &[("LEAD_OUTBOX_ALLOW_PRIVATE", "1")]);
    let said = sender.wait_for_output("the outbox holds 1 deliveries owed from before this start");
    assert!(said.contains("1 webhook"), "{said}");
    eventually("the delivery sent", Duration::from_secs(15), || receiver.received().len() == 1);
}
}
