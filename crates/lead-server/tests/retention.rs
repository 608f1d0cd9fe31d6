//! Retention: the purge deletes what is older than each limit, with what hangs on it, and
//! keeps everything younger — on both backends, while leads keep arriving; and the server
//! purges by itself.

use std::time::Duration;

use lead_auth::EmployeeToken;
use lead_domain::Timestamp;
use lead_store::LoginLimits;
use lead_testkit::{backend_test, cli_with_env, last_line, wait_until, Receiver, TestApp};

const DAY: i64 = 24 * 3600 * 1000;

/// Webhooks to loopback, one attempt each; orders kept 30 days; no purge of the server's own,
/// so that only the command line purges.
const CONFIG: &str = "[outbox]\nallow_private_targets = true\nretry_schedule_secs = [0]\n\
                      [retention]\norders = 30\npurge_every_secs = 0\n";

fn post(app: &TestApp, body: &str, headers: &[(&str, &str)]) -> (u16, i64) {
    let mut all = vec![
        ("X-API-KEY", app.acme.key.as_str()),
        ("Content-Type", "application/json"),
    ];
    all.extend_from_slice(headers);
    let answer = app.server.request("POST", "/api/v1/lead", &all, body.as_bytes());
    (answer.status, answer.json()["id"].as_i64().unwrap_or(0))
}

fn ticket(app: &TestApp, subject: &str) -> i64 {
    let body = format!(r#"{{"type":"ticket","email":"kunde@beispiel.de","subject":"{subject}","message":"Hallo"}}"#);
    let (status, id) = post(app, &body, &[]);
    assert_eq!(status, 200);
    id
}

fn order(app: &TestApp, n: u32) -> i64 {
    let (status, id) = post(
        app,
        &format!(r#"{{"type":"order","email":"kunde@beispiel.de","total":{n}}}"#),
        &[],
    );
    assert_eq!(status, 200);
    id
}

/// Sets `column` of the rows of `table` where `condition` holds to `days` ago.
fn age(app: &TestApp, table: &str, column: &str, condition: &str, days: f64) {
    let at = Timestamp::now().millis() - (days * DAY as f64) as i64;
    let sql = format!("UPDATE {table} SET {column} = {at} WHERE {condition}");
    app.db.execute(&sql, &sql);
}

fn rows(app: &TestApp, table: &str, condition: &str) -> i64 {
    app.db
        .number(&format!("SELECT COUNT(*) AS n FROM {table} WHERE {condition}"))
}

backend_test! {
fn the_purge_deletes_what_is_older_than_each_limit_and_keeps_the_rest_while_leads_arrive() {
    let app = TestApp::spawn_with(CONFIG);
    let allow = [("LEAD_OUTBOX_ALLOW_PRIVATE", "1")];
    let receiver = Receiver::start(vec![]);
    for url in [receiver.url.as_str(), "http://127.0.0.1:1/hook"] {
        let added = cli_with_env(&app.db.url, &["webhook", "add", "--company", "Acme", "--url", url], &allow);
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    }
    let [t1, t2, t3] = ["Eins", "Zwei", "Drei"].map(|subject| ticket(&app, subject));
    let (old_order, young_order) = (order(&app, 1), order(&app, 2));
    let spam = |n: u32| {
        let body = format!(r#"{{"type":"order","email":"bot@spam.example","total":{n},"_gotcha":"x"}}"#);
        post(&app, &body, &[]).1
    };
    let (old_spam, young_spam) = (spam(1), spam(2));
    // A key used again with another body: the second lead is held as a conflict.
    let conflict = |key: &str| {
        assert_eq!(post(&app, &format!(r#"{{"type":"order","email":"a@b.de","total":1,"k":"{key}"}}"#), &[("Idempotency-Key", key)]).0, 200);
        let (status, _) = post(&app, &format!(r#"{{"type":"order","email":"a@b.de","total":2,"k":"{key}"}}"#), &[("Idempotency-Key", key)]);
        assert_eq!(status, 422);
        app.db.number("SELECT MAX(id) AS n FROM web_orders WHERE held = 'conflict'")
    };
    let (old_held, young_held) = (conflict("schluessel-1"), conflict("schluessel-2"));
    let limits = LoginLimits { per_client: 5, lockout_ms: 60_000, per_account: 10 };
    for login in ["alt@acme.example", "neu@acme.example"] {
        assert!(app.store.access().reserve_login_attempt(login, "203.0.113.9", limits).unwrap());
    }
    // (Of two employees: a new session drops its employee's expired ones.)
    for (employee, days) in [(app.acme.employees[0], 2.0), (app.acme.employees[1], 0.5)] {
        app.store.access().set_employee_password(employee, Some("$argon2id$x")).unwrap();
        let ends = Timestamp::from_millis(Timestamp::now().millis() - (days * DAY as f64) as i64);
        app.store.access().start_session(employee, "203.0.113.9", &EmployeeToken::generate().unwrap(), ends, "$argon2id$x").unwrap();
    }
    // The command line reads the server's configuration.
    let config = app.db.dir.path().join("test.toml");
    let with_config = [("LEAD_CONFIG", config.to_str().unwrap())];
    let cli = |url: &str, args: &[&str]| cli_with_env(url, args, &with_config);
    let posts = 11;
    wait_until("every request in the submission log", Duration::from_secs(10), || {
        (rows(&app, "submissions", "1 = 1") >= posts).then_some(())
    });
    wait_until("every delivery made or failed", Duration::from_secs(15), || {
        (rows(&app, "outbox", "status = 'pending'") == 0).then_some(())
    });

    // Each kind: one row just past its limit, one just within it.
    let newest_submission = app.db.number("SELECT MAX(id) AS n FROM submissions");
    age(&app, "submissions", "at", &format!("id = {}", newest_submission - 1), 15.0);
    age(&app, "submissions", "at", &format!("id = {newest_submission}"), 13.0);
    age(&app, "notifications", "read_at", &format!("ticket_id = {t1}"), 1.0);
    age(&app, "notifications", "created_at", &format!("ticket_id = {t1}"), 91.0);
    age(&app, "notifications", "created_at", &format!("ticket_id = {t2}"), 91.0);
    age(&app, "notifications", "created_at", &format!("ticket_id = {t3}"), 366.0);
    age(&app, "web_orders", "created_at", &format!("id = {old_spam}"), 31.0);
    age(&app, "web_orders", "created_at", &format!("id = {young_spam}"), 29.0);
    age(&app, "web_orders", "created_at", &format!("id = {old_held}"), 91.0);
    age(&app, "web_orders", "created_at", &format!("id = {young_held}"), 89.0);
    age(&app, "idempotency_keys", "created_at", "idem_key = 'schluessel-1'", 2.0);
    age(&app, "idempotency_keys", "created_at", "idem_key = 'schluessel-2'", 0.5);
    age(&app, "login_throttle", "updated_at", "login = 'alt@acme.example'", 31.0);
    age(&app, "login_throttle", "updated_at", "login = 'neu@acme.example'", 29.0);
    age(&app, "outbox", "created_at", &format!("ticket_id = {t1}"), 91.0);
    age(&app, "outbox", "created_at", &format!("ticket_id = {t2} AND status = 'delivered'"), 29.0);
    age(&app, "outbox", "created_at", &format!("ticket_id = {t2} AND status = 'failed'"), 89.0);
    age(&app, "web_orders", "created_at", &format!("id = {old_order}"), 31.0);
    age(&app, "web_orders", "created_at", &format!("id = {young_order}"), 29.0);
    age(&app, "tickets", "created_at", &format!("id = {t1}"), 4000.0);
    let doomed = format!("outbox_id IN (SELECT id FROM outbox WHERE order_id = {old_order} OR ticket_id = {t1})");
    let doomed_attempts = rows(&app, "outbox_attempts", &doomed);
    assert_eq!(doomed_attempts, 4, "two deliveries each of the old order and ticket, one attempt each");
    let doomed: Vec<i64> = (0..doomed_attempts)
        .map(|n| app.db.number(&format!("SELECT outbox_id AS n FROM outbox_attempts WHERE {doomed} ORDER BY id LIMIT 1 OFFSET {n}")))
        .collect();
    let doomed = doomed.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");

    let dry = cli(&app.db.url, &["purge", "--dry-run"]);
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let expected = [
        ("submissions", "1"),
        ("notifications (read)", "2"),
        ("notifications (unread)", "2"),
        ("spam", "1"),
        ("held", "1"),
        ("idempotency keys", "1"),
        ("login failures", "2"),
        ("deliveries (delivered)", "1"),
        ("deliveries (failed)", "1"),
        ("sessions (expired)", "1"),
        ("orders", "1"),
        ("tickets", "-"),
    ];
    let counted = |output: &std::process::Output| -> Vec<(String, String)> {
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| {
                let (kind, rest) = line.split_at(24);
                (kind.trim().to_owned(), rest.split_whitespace().next().unwrap().to_owned())
            })
            .collect()
    };
    let expected: Vec<(String, String)> = expected.iter().map(|(k, n)| ((*k).to_owned(), (*n).to_owned())).collect();
    assert_eq!(counted(&dry), expected, "dry run");
    assert_eq!(rows(&app, "web_orders", &format!("id = {old_order}")), 1, "a dry run deletes nothing");

    // The purge, while a website keeps sending leads.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (purged, taken) = std::thread::scope(|scope| {
        let sender = scope.spawn(|| {
            let mut ids = Vec::new();
            for n in 100.. {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                ids.push(order(&app, n));
            }
            ids
        });
        std::thread::sleep(Duration::from_millis(100));
        let purged = cli(&app.db.url, &["purge"]);
        std::thread::sleep(Duration::from_millis(100));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (purged, sender.join().unwrap())
    });
    assert!(purged.status.success(), "{}", String::from_utf8_lossy(&purged.stderr));
    assert_eq!(counted(&purged), expected);
    assert!(!taken.is_empty());
    let listed = taken.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    assert_eq!(rows(&app, "web_orders", &format!("id IN ({listed})")), taken.len() as i64, "every lead taken meanwhile is kept");

    // Gone: what was past its limit, and what hung on it.
    for (table, condition) in [
        ("submissions", format!("id = {}", newest_submission - 1)),
        ("notifications", format!("ticket_id IN ({t1}, {t3})")),
        ("web_orders", format!("id IN ({old_spam}, {old_held}, {old_order})")),
        ("notifications", format!("order_id = {old_order}")),
        ("outbox", format!("order_id = {old_order} OR ticket_id = {t1}")),
        ("idempotency_keys", "idem_key = 'schluessel-1'".to_owned()),
        ("login_throttle", "login = 'alt@acme.example'".to_owned()),
        ("employee_tokens", format!("expires_at < {}", Timestamp::now().millis() - DAY)),
    ] {
        assert_eq!(rows(&app, table, &condition), 0, "{table} where {condition}");
    }
    assert_eq!(
        app.db.number("SELECT COUNT(*) AS n FROM employee_tokens WHERE expires_at IS NOT NULL"),
        1,
        "the session expired for half a day is kept"
    );
    assert_eq!(rows(&app, "outbox_attempts", &format!("outbox_id IN ({doomed})")), 0, "attempts go with their deliveries");
    assert_eq!(
        app.db.number("SELECT COUNT(*) AS n FROM outbox_attempts WHERE outbox_id NOT IN (SELECT id FROM outbox)"),
        0
    );
    // Kept: everything within its limit, and tickets (kept forever).
    for (table, condition, count) in [
        ("submissions", format!("id = {newest_submission}"), 1),
        ("notifications", format!("ticket_id = {t2}"), 2),
        ("web_orders", format!("id IN ({young_spam}, {young_held}, {young_order})"), 3),
        ("outbox", format!("ticket_id = {t2}"), 2),
        ("idempotency_keys", "idem_key = 'schluessel-2'".to_owned(), 1),
        ("login_throttle", "login = 'neu@acme.example'".to_owned(), 2),
        ("tickets", format!("id IN ({t1}, {t2}, {t3})"), 3),
    ] {
        assert_eq!(rows(&app, table, &condition), count, "{table} where {condition}");
    }
    // Nothing left to do.
    let again = cli(&app.db.url, &["purge"]);
    assert!(last_line(&again).starts_with("tickets"), "{}", last_line(&again));
    assert!(String::from_utf8_lossy(&again.stderr).contains("deleted 0 rows"));
}
}

#[test]
fn the_server_purges_by_itself() {
    let app = TestApp::spawn_with("[retention]\npurge_every_secs = 1\n");
    let id = ticket(&app, "Alt");
    wait_until("the notifications", Duration::from_secs(5), || {
        (rows(&app, "notifications", &format!("ticket_id = {id}")) == 2).then_some(())
    });
    age(&app, "notifications", "created_at", &format!("ticket_id = {id}"), 400.0);
    wait_until("the purge", Duration::from_secs(10), || {
        (rows(&app, "notifications", &format!("ticket_id = {id}")) == 0).then_some(())
    });
    app.server
        .wait_for_output("purged by the retention settings: notifications (unread) 2");
}
