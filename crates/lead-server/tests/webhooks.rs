//! Webhooks, black-box: the real server, a receiver on 127.0.0.1 that verifies every request
//! with an independent Standard Webhooks implementation, and the operator's commands.

use std::time::Duration;

use lead_testkit::{
    backend_test, cli, cli_with_env, eventually, last_line, token_for, wait_until, Received, Receiver, Reply, Server,
    TestApp, TestDb,
};
use serde_json::Value;

/// Private targets allowed (the receiver is on loopback), retries a second apart.
const CONFIG: &str = "[outbox]\nallow_private_targets = true\nretry_schedule_secs = [0, 1, 1, 1]\n";
const ALLOW: &[(&str, &str)] = &[("LEAD_OUTBOX_ALLOW_PRIVATE", "1")];

/// `webhook add` for Acme; the secret.
fn add_webhook(app: &TestApp, url: &str, extra: &[&str]) -> String {
    let mut args = vec!["webhook", "add", "--company", "Acme", "--url", url];
    args.extend_from_slice(extra);
    last_line(&cli_with_env(&app.db.url, &args, ALLOW))
}

/// Verifies `request` with `secret` as a receiver would.
fn verify(request: &Received, secret: &str) -> Result<(), String> {
    let mut headers = http::HeaderMap::new();
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let value = request.header(name).ok_or(format!("no {name} header"))?;
        headers.insert(name, value.parse().unwrap());
    }
    standardwebhooks::Webhook::new(secret)
        .map_err(|e| e.to_string())?
        .verify(request.body.as_bytes(), &headers)
        .map_err(|e| e.to_string())
}

fn wait_for(receiver: &Receiver, count: usize) -> Vec<Received> {
    wait_until(
        &format!("{count} requests at the receiver"),
        Duration::from_secs(15),
        || {
            let received = receiver.received();
            (received.len() >= count).then_some(received)
        },
    )
}

fn deliveries(app: &TestApp) -> Vec<Value> {
    let output = cli(&app.db.url, &["outbox", "list", "--json"]);
    serde_json::from_str(&last_line(&output)).unwrap()
}

fn webhooks(app: &TestApp) -> Vec<Value> {
    serde_json::from_str(&last_line(&cli(&app.db.url, &["webhook", "list", "--json"]))).unwrap()
}

backend_test! {
    fn a_lead_is_delivered_signed_and_retried_on_schedule() {
        let receiver = Receiver::start(vec![Reply::status(500), Reply::status(503).with("Retry-After", "1")]);
        let app = TestApp::spawn_with(CONFIG);
        let secret = add_webhook(&app, &receiver.url, &[]);
        assert!(secret.starts_with("whsec_"), "{secret}");

        let answer = app.post_lead(
            &app.acme.key,
            r#"{"type":"order","email":"kunde@example.com","subject":"Bestellung","total":"1.234,50","phone":"0301234"}"#,
        );
        assert_eq!(answer.status, 200, "{}", answer.text());
        let id = answer.json()["id"].as_i64().unwrap();

        let requests = wait_for(&receiver, 3);
        assert_eq!(requests.len(), 3, "delivered on the third attempt, then no more");
        for request in &requests {
            verify(request, &secret).unwrap();
            assert_eq!(request.body, requests[0].body, "every attempt sends the same body");
        }
        let ids: Vec<&str> = requests.iter().map(|r| r.header("webhook-id").unwrap()).collect();
        assert!(ids.iter().all(|i| *i == ids[0]), "one webhook-id across attempts: {ids:?}");
        // The schedule (and Retry-After) waited about a second between attempts, with a fresh
        // timestamp each time.
        for pair in requests.windows(2) {
            assert!(pair[1].at - pair[0].at >= Duration::from_millis(900), "{:?}", pair[1].at - pair[0].at);
            assert_ne!(pair[0].header("webhook-timestamp"), pair[1].header("webhook-timestamp"));
        }

        let event = requests[0].json();
        assert_eq!(event["type"], "order.created");
        assert!(event["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(event["data"]["id"], id);
        assert_eq!(event["data"]["total_cents"], 123_450);
        assert_eq!(event["data"]["status"], "new");
        assert_eq!(event["data"]["extra"]["phone"], "0301234");
        assert_eq!(event["data"]["payload"]["total"], "1.234,50");

        eventually("the delivery recorded", Duration::from_secs(5), || {
            deliveries(&app).first().is_some_and(|d| d["status"] == "delivered")
        });
        let delivery = &deliveries(&app)[0];
        assert_eq!(delivery["attempts"], 3);
        assert_eq!(delivery["event"], "order.created");
        assert_eq!(delivery["channel"], "webhook");
        assert_eq!(delivery["target"], receiver.url.as_str());
        assert_eq!(delivery["last_status"], 200);

        // The team sees its company's deliveries.
        let token = token_for(&app.store, app.acme.employees[0]);
        let page = app.team("GET", "/api/v1/deliveries?status=delivered", &token, "").json();
        assert_eq!(page["items"][0]["id"], delivery["id"]);
        assert_eq!(page["items"][0]["attempts"], 3);
        assert_eq!(page["items"][0]["target"], format!("{}/…", receiver.url.trim_end_matches("/hook")));
        app.team("GET", "/api/v1/deliveries?status=lost", &token, "")
            .assert_error(400, "invalid_field", Some("status"));
        let hooks = webhooks(&app);
        assert!(hooks[0]["last_success_at"].is_string(), "{hooks:?}");
    }
}

backend_test! {
    fn decisions_are_events_and_an_endpoint_gets_only_its_events() {
        let everything = Receiver::start(vec![]);
        let decisions = Receiver::start(vec![]);
        let app = TestApp::spawn_with(CONFIG);
        add_webhook(&app, &everything.url, &[]);
        add_webhook(&app, &decisions.url, &["--events", "order.accepted,ticket.closed"]);

        let order = app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@example.com","total":5}"#).json()["id"].as_i64().unwrap();
        let ticket = app
            .post_lead(&app.acme.key, r#"{"type":"ticket","email":"b@example.com","subject":"Hilfe","message":"Bitte"}"#)
            .json()["id"].as_i64().unwrap();
        let token = token_for(&app.store, app.acme.employees[0]);
        assert_eq!(app.team("POST", &format!("/api/v1/orders/{order}/accept"), &token, "").status, 200);
        assert_eq!(app.team("POST", &format!("/api/v1/tickets/{ticket}/close"), &token, "").status, 200);
        assert_eq!(app.team("POST", &format!("/api/v1/tickets/{ticket}/reopen"), &token, "").status, 200);

        let all = wait_for(&everything, 5);
        let mut types: Vec<String> = all.iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect();
        types.sort();
        assert_eq!(types, ["order.accepted", "order.created", "ticket.closed", "ticket.created", "ticket.reopened"]);
        let accepted = all.iter().find(|r| r.json()["type"] == "order.accepted").unwrap().json();
        assert_eq!(accepted["data"]["status"], "accepted");
        assert_eq!(accepted["data"]["decided_by"]["id"], app.acme.employees[0].get());

        let only = wait_for(&decisions, 2);
        let mut types: Vec<String> = only.iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect();
        types.sort();
        assert_eq!(types, ["order.accepted", "ticket.closed"]);
    }
}

backend_test! {
    fn gone_disables_the_endpoint_and_tells_the_team() {
        let receiver = Receiver::start(vec![Reply::status(410)]);
        let app = TestApp::spawn_with(CONFIG);
        add_webhook(&app, &receiver.url, &[]);
        post_order(&app);
        wait_for(&receiver, 1);
        eventually("the endpoint disabled", Duration::from_secs(5), || webhooks(&app)[0]["active"] == false);
        let hook = &webhooks(&app)[0];
        assert!(hook["disabled_reason"].as_str().unwrap().contains("410"), "{hook}");
        assert_eq!(deliveries(&app)[0]["status"], "failed");

        for employee in &app.acme.employees {
            let token = token_for(&app.store, *employee);
            let notes = app.team("GET", "/api/v1/notifications", &token, "").json();
            let note = notes["items"].as_array().unwrap().iter().find(|n| n["kind"] == "webhook").expect("a notice");
            let text = note["text"].as_str().unwrap();
            // The endpoint by its host only: the rest of a URL may be a credential.
            let host = receiver.url.trim_end_matches("/hook");
            assert!(text.contains(&format!("{host}/…")) && text.contains("410"), "{text}");
            assert!(!text.contains("/hook"), "{text}");
            assert!(note["order_id"].is_null() && note["ticket_id"].is_null());
        }

        // A disabled endpoint is owed nothing; enabled again, it is.
        assert_eq!(app.post_lead(&app.acme.key, r#"{"type":"order","email":"b@example.com","total":6}"#).status, 200);
        assert_eq!(deliveries(&app).len(), 1);
        let id = webhooks(&app)[0]["id"].to_string();
        last_line(&cli(&app.db.url, &["webhook", "enable", &id]));
        assert_eq!(app.post_lead(&app.acme.key, r#"{"type":"order","email":"c@example.com","total":7}"#).status, 200);
        wait_for(&receiver, 2);
    }
}

backend_test! {
    fn a_rotated_secret_signs_alongside_the_old_one() {
        let receiver = Receiver::start(vec![]);
        let app = TestApp::spawn_with(CONFIG);
        let old = add_webhook(&app, &receiver.url, &[]);
        let id = webhooks(&app)[0]["id"].to_string();
        let new = last_line(&cli(&app.db.url, &["webhook", "rotate-secret", &id]));
        assert!(new.starts_with("whsec_") && new != old);
        post_order(&app);
        let request = &wait_for(&receiver, 1)[0];
        assert_eq!(request.header("webhook-signature").unwrap().split(' ').count(), 2);
        verify(request, &old).expect("the old secret still verifies");
        verify(request, &new).expect("the new secret verifies");
    }
}

backend_test! {
    fn held_leads_owe_nothing_until_released() {
        let receiver = Receiver::start(vec![]);
        let app = TestApp::spawn_with(CONFIG);
        add_webhook(&app, &receiver.url, &[]);
        let spam = app.post_lead(&app.acme.key, r#"{"type":"order","email":"bot@example.com","total":5,"_gotcha":"x"}"#);
        assert_eq!(spam.status, 200);
        assert!(deliveries(&app).is_empty(), "spam is delivered nowhere");
        let id = spam.json()["id"].to_string();
        last_line(&cli(&app.db.url, &["orders", "release", &id]));
        let request = &wait_for(&receiver, 1)[0];
        assert_eq!(request.json()["type"], "order.created");
        assert_eq!(request.json()["data"]["id"].to_string(), id);
    }
}

#[test]
fn a_slack_endpoint_gets_the_german_text_and_a_link_unsigned() {
    let receiver = Receiver::start(vec![]);
    let app = TestApp::spawn_with(&format!("{CONFIG}[server]\npublic_url = \"https://crm.example.de/\"\n"));
    let output = cli_with_env(
        &app.db.url,
        &[
            "webhook",
            "add",
            "--company",
            "Acme",
            "--url",
            &receiver.url,
            "--format",
            "slack",
        ],
        ALLOW,
    );
    assert!(output.status.success());
    // Unsigned: no secret is shown, the new endpoint's id is the last line.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("whsec_"), "{stdout}");
    assert!(last_line(&output).parse::<i64>().is_ok(), "{stdout}");
    let id = app
        .post_lead(
            &app.acme.key,
            r#"{"type":"order","email":"a@example.com","total":"1234.5"}"#,
        )
        .json()["id"]
        .clone();
    let request = &wait_for(&receiver, 1)[0];
    assert_eq!(request.header("webhook-signature"), None);
    let text = request.json()["text"].as_str().unwrap().to_owned();
    assert_eq!(
        text,
        format!("Neue Bestellung! Eine Web-Bestellung über 1.234,50 € ist eingegangen. https://crm.example.de/app/orders/{id}")
    );
}

#[test]
fn private_and_metadata_targets_are_refused_without_the_switch() {
    let db = TestDb::new();
    lead_testkit::add_company(&db.store(), "Acme", 1);
    for url in [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/hook",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://10.0.0.1/hook",
        "https://localhost/hook",
    ] {
        let output = cli(&db.url, &["webhook", "add", "--company", "Acme", "--url", url]);
        assert!(!output.status.success(), "{url} was accepted");
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(
            error.contains("https://") || error.contains("not a public address"),
            "{url}: {error}"
        );
    }
    assert!(cli_with_env(
        &db.url,
        &[
            "webhook",
            "add",
            "--company",
            "Acme",
            "--url",
            "http://127.0.0.1:9/hook"
        ],
        ALLOW
    )
    .status
    .success());
    let listed: Vec<Value> = serde_json::from_str(&last_line(&cli(&db.url, &["webhook", "list", "--json"]))).unwrap();
    assert_eq!(listed.len(), 1, "only the allowed one was added");
}

#[test]
fn a_target_allowed_once_is_refused_at_the_attempt_when_private_targets_are_not() {
    let receiver = Receiver::start(vec![]);
    // The server itself does not allow private targets.
    let app = TestApp::spawn_with("[outbox]\nretry_schedule_secs = [0]\n");
    add_webhook(&app, &receiver.url, &[]);
    post_order(&app);
    eventually("the delivery failed", Duration::from_secs(5), || {
        deliveries(&app)[0]["status"] == "failed"
    });
    assert!(receiver.received().is_empty(), "nothing reached the private address");
    assert!(deliveries(&app)[0]["last_error"].as_str().unwrap().contains("https://"));
}

#[test]
fn a_failed_delivery_is_retried_by_the_operator() {
    let receiver = Receiver::start(vec![Reply::status(500), Reply::status(500)]);
    let app = TestApp::spawn_with("[outbox]\nallow_private_targets = true\nretry_schedule_secs = [0, 1]\n");
    add_webhook(&app, &receiver.url, &[]);
    post_order(&app);
    eventually("the delivery failed", Duration::from_secs(10), || {
        deliveries(&app)[0]["status"] == "failed"
    });
    let delivery = &deliveries(&app)[0];
    assert_eq!(delivery["attempts"], 2);
    assert_eq!(delivery["last_status"], 500);
    let id = delivery["id"].to_string();
    assert!(cli(&app.db.url, &["outbox", "retry", &id]).status.success());
    eventually("delivered on retry", Duration::from_secs(5), || {
        deliveries(&app)[0]["status"] == "delivered"
    });
    assert_eq!(receiver.received().len(), 3);
}

#[test]
fn a_killed_server_delivers_every_acknowledged_lead_after_restart() {
    let receiver = Receiver::start(vec![]);
    let app = TestApp::spawn_with(CONFIG);
    add_webhook(&app, &receiver.url, &[]);
    let mut acknowledged = Vec::new();
    for n in 0..200 {
        let answer = app.post_lead(
            &app.acme.key,
            &format!(r#"{{"type":"order","email":"k{n}@example.com","total":{n}}}"#),
        );
        assert_eq!(answer.status, 200);
        acknowledged.push(answer.json()["id"].as_i64().unwrap());
    }
    // kill -9 right after the last 200.
    let TestApp { server, db, store, .. } = app;
    server.kill();
    let restarted = Server::start_with_config(&db.url, db.dir.path().join("test.toml").to_str().unwrap());
    let received = wait_until(
        "every acknowledged lead at the receiver",
        Duration::from_secs(20),
        || {
            let received = receiver.received();
            let ids: std::collections::BTreeSet<i64> = received
                .iter()
                .map(|r| r.json()["data"]["id"].as_i64().unwrap())
                .collect();
            acknowledged.iter().all(|id| ids.contains(id)).then_some(received)
        },
    );
    // At least once: a delivery in flight at the kill may come twice, never more often than
    // its attempts.
    let mut per_id = std::collections::BTreeMap::<String, usize>::new();
    for request in &received {
        *per_id
            .entry(request.header("webhook-id").unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(per_id.values().all(|&n| n <= 2), "{per_id:?}");
    eprintln!(
        "kill -9: {} leads acknowledged, {} webhook requests received for {} distinct deliveries ({} sent twice)",
        acknowledged.len(),
        received.len(),
        per_id.len(),
        per_id.values().filter(|&&n| n > 1).count()
    );
    drop(restarted);
    drop(store);
}

#[test]
fn two_instances_on_postgresql_send_each_delivery_once() {
    let Some(_) = lead_testkit::postgres_url() else {
        eprintln!("skipped: set LEAD_TEST_POSTGRES_URL to run this test");
        return;
    };
    lead_testkit::with_backend(lead_testkit::Backend::Postgres, || {
        let receiver = Receiver::start(vec![]);
        let app = TestApp::spawn_with(CONFIG);
        add_webhook(&app, &receiver.url, &[]);
        let second = Server::start_with_config(&app.db.url, app.db.dir.path().join("test.toml").to_str().unwrap());
        let mut leads = 0;
        for n in 0..40 {
            let server = if n % 2 == 0 { &app.server } else { &second };
            let body = format!(r#"{{"type":"order","email":"p{n}@example.com","total":{n}}}"#);
            let answer = server.request(
                "POST",
                "/api/v1/lead.php",
                &[("X-API-KEY", &app.acme.key)],
                body.as_bytes(),
            );
            assert_eq!(answer.status, 200);
            leads += 1;
        }
        wait_for(&receiver, leads);
        // Once every delivery is recorded, nothing more is sent: what arrived is all there is.
        eventually("every delivery recorded", Duration::from_secs(10), || {
            let all = deliveries(&app);
            all.len() == leads && all.iter().all(|d| d["status"] == "delivered" && d["attempts"] == 1)
        });
        let received_now = receiver.received();
        assert_eq!(received_now.len(), leads, "no delivery sent twice");
        let ids: std::collections::BTreeSet<&str> =
            received_now.iter().map(|r| r.header("webhook-id").unwrap()).collect();
        assert_eq!(ids.len(), leads);
    });
}

#[test]
fn an_endpoint_failing_for_the_whole_streak_is_disabled_and_the_team_told() {
    let receiver = Receiver::start((0..20).map(|_| Reply::status(500)).collect());
    let app = TestApp::spawn_with(
        "[outbox]\nallow_private_targets = true\nretry_schedule_secs = [0, 1, 1, 1, 1, 1]\ndisable_failing_after_secs = 2\n",
    );
    add_webhook(&app, &receiver.url, &[]);
    post_order(&app);
    eventually("the endpoint disabled", Duration::from_secs(15), || {
        webhooks(&app)[0]["active"] == false
    });
    let hook = &webhooks(&app)[0];
    assert!(
        hook["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("every delivery failed"),
        "{hook}"
    );
    assert!(receiver.received().len() >= 3, "tried until the streak ran out");
    let delivery = &deliveries(&app)[0];
    assert_eq!(delivery["status"], "failed");
    assert!(
        delivery["last_error"].as_str().unwrap().contains("disabled"),
        "{delivery}"
    );
    let token = token_for(&app.store, app.acme.employees[1]);
    let notes = app.team("GET", "/api/v1/notifications", &token, "").json();
    let note = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "webhook")
        .expect("a notice");
    assert!(
        note["text"].as_str().unwrap().contains("schlug jede Zustellung fehl"),
        "{note}"
    );
}

#[test]
fn the_operator_tests_lists_and_removes_an_endpoint() {
    let receiver = Receiver::start(vec![]);
    let app = TestApp::spawn_with(CONFIG);
    let secret = add_webhook(&app, &receiver.url, &["--events", "order.created"]);
    let hook = &webhooks(&app)[0];
    assert_eq!(hook["company_id"], app.acme.id.get());
    assert_eq!(hook["url"], receiver.url.as_str());
    assert_eq!(hook["events"], serde_json::json!(["order.created"]));
    assert_eq!(hook["format"], "standard");
    assert_eq!(hook["active"], true);
    assert!(hook["disabled_reason"].is_null() && hook["last_success_at"].is_null());
    let id = hook["id"].to_string();

    // `webhook test`: a signed ping, and its answer printed.
    let output = cli_with_env(&app.db.url, &["webhook", "test", &id], ALLOW);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(last_line(&output).contains("answered 200"), "{}", last_line(&output));
    let ping = &wait_for(&receiver, 1)[0];
    verify(ping, &secret).unwrap();
    assert_eq!(ping.json()["type"], "ping");

    // Unknown events and formats are refused, and nothing is added.
    for bad in [["--events", "order.deleted"], ["--format", "xml"]] {
        let mut args = vec!["webhook", "add", "--company", "Acme", "--url", &receiver.url];
        args.extend_from_slice(&bad);
        let output = cli_with_env(&app.db.url, &args, ALLOW);
        assert!(!output.status.success(), "{bad:?}");
    }
    assert_eq!(webhooks(&app).len(), 1);

    // Removed: gone from the list, and owed nothing more.
    assert!(cli(&app.db.url, &["webhook", "remove", &id]).status.success());
    assert!(webhooks(&app).is_empty());
    post_order(&app);
    assert!(deliveries(&app).is_empty(), "a removed endpoint is owed nothing");
    let output = cli(&app.db.url, &["webhook", "remove", &id]);
    assert!(!output.status.success());
}

/// An order from a@example.com, taken (200).
fn post_order(app: &TestApp) {
    let answer = app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@example.com","total":5}"#);
    assert_eq!(answer.status, 200, "{}", answer.text());
}

backend_test! {
    fn leads_written_together_reach_only_their_own_companys_endpoints() {
        let acme_hook = Receiver::start(vec![]);
        let beta_hook = Receiver::start(vec![]);
        let app = TestApp::spawn_with(CONFIG);
        let beta = lead_testkit::add_company(&app.store, "Beta", 1);
        add_webhook(&app, &acme_hook.url, &[]);
        let output = cli_with_env(
            &app.db.url,
            &["webhook", "add", "--company", "Beta", "--url", &beta_hook.url],
            ALLOW,
        );
        assert!(output.status.success());
        // Sent at once from many threads, so that the writer takes them in shared batches:
        // both companies, orders and tickets, some held as spam.
        let sent: Vec<(bool, bool, i64)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..48)
                .map(|n| {
                    let (app, beta) = (&app, &beta);
                    scope.spawn(move || {
                        let for_acme = n % 2 == 0;
                        let spam = n % 5 == 0;
                        let honeypot = if spam { r#","_gotcha":"x""# } else { "" };
                        let body = if n % 3 == 0 {
                            format!(r#"{{"type":"ticket","email":"t{n}@example.com","subject":"T{n}","message":"m"{honeypot}}}"#)
                        } else {
                            format!(r#"{{"type":"order","email":"o{n}@example.com","total":{n}{honeypot}}}"#)
                        };
                        let key = if for_acme { &app.acme.key } else { &beta.key };
                        let answer = app.post_lead(key, &body);
                        assert_eq!(answer.status, 200);
                        (for_acme, spam, answer.json()["id"].as_i64().unwrap())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let owed = |acme: bool| sent.iter().filter(|(a, spam, _)| *a == acme && !spam).count();
        for (receiver, acme) in [(&acme_hook, true), (&beta_hook, false)] {
            let got = wait_for(receiver, owed(acme));
            assert_eq!(got.len(), owed(acme), "one delivery per lead for the team");
            for request in &got {
                let data = request.json()["data"].clone();
                let email = data["email"].as_str().unwrap();
                let n: usize = email[1..email.find('@').unwrap()].parse().unwrap();
                assert_eq!(n.is_multiple_of(2), acme, "{email} went to the other company's endpoint");
                assert_ne!(n % 5, 0, "{email} was spam");
            }
        }
    }
}

backend_test! {
fn a_stop_lets_deliveries_in_flight_finish_and_gives_back_the_rest_at_once() {
    // Before, a stop left the worker's claims to run out (the lease: 90 s) and its attempt in
    // flight unrecorded: no other instance could send them until then.
    let slow = Duration::from_millis(1500);
    let receiver = Receiver::start((0..3).map(|_| Reply::status(200).after(slow)).collect());
    let mut app = TestApp::spawn_with(&format!("{CONFIG}per_target = 1\n"));
    add_webhook(&app, &receiver.url, &[]);
    for n in 0..3 {
        let body = format!(r#"{{"type":"order","email":"k{n}@beispiel.de","total":{n}}}"#);
        assert_eq!(app.post_lead(&app.acme.key, &body).status, 200);
    }
    // The first is being sent (one at a time to this endpoint), the other two wait, claimed.
    wait_for(&receiver, 1);
    let took = app.server.terminate(Duration::from_secs(10)).expect("the server stops");
    assert!(took < Duration::from_secs(5), "within the shutdown timeout: {took:?}");
    let now = lead_domain::Timestamp::now().millis();
    let count = |condition: &str| app.db.number(&format!("SELECT COUNT(*) AS n FROM outbox WHERE {condition}"));
    assert_eq!(count("status = 'delivered'"), 1, "the one in flight finished and was recorded");
    assert_eq!(
        count(&format!("status = 'pending' AND attempts = 0 AND (claimed_until IS NULL OR claimed_until <= {now})")),
        2,
        "the others are given back, due at once for another instance"
    );
    assert_eq!(receiver.received().len(), 1, "nothing was sent twice");
}
}
