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
        assert!(app.store.reserve_login_attempt(login, "203.0.113.9", limits).unwrap());
    }
    // (Of two employees: a new session drops its employee's expired ones.)
    for (employee, days) in [(app.acme.employees[0], 2.0), (app.acme.employees[1], 0.5)] {
        let ends = Timestamp::from_millis(Timestamp::now().millis() - (days * DAY as f64) as i64);
        app.store.start_session(employee, "203.0.113.9", &EmployeeToken::generate().unwrap(), ends).unwrap();
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

/// Every text column of every table, as (table, column).
fn text_columns(app: &TestApp) -> Vec<(String, String)> {
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        c: String,
    }
    let found: Vec<Column> = match app.db.backend {
        lead_testkit::Backend::Sqlite => diesel::sql_query(
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND upper(p.type) = 'TEXT'",
        )
        .load(&mut lead_testkit::raw_sqlite(&app.db.path()))
        .unwrap(),
        lead_testkit::Backend::Postgres => diesel::sql_query(
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
             WHERE table_schema = 'public' AND data_type IN ('text', 'character varying')",
        )
        .load(&mut diesel::PgConnection::establish(&app.db.url).unwrap())
        .unwrap(),
    };
    assert!(found.len() > 30, "{} text columns", found.len());
    found.into_iter().map(|column| (column.t, column.c)).collect()
}

/// Where `text` is found, case-insensitively: (table, column, rows).
fn findable(app: &TestApp, columns: &[(String, String)], text: &str) -> Vec<(String, String, i64)> {
    columns
        .iter()
        .filter_map(|(table, column)| {
            let n = rows(app, table, &format!("lower({column}) LIKE '%{}%'", text.to_lowercase()));
            (n > 0).then(|| (table.clone(), column.clone(), n))
        })
        .collect()
}

backend_test! {
fn a_persons_data_is_exported_whole_and_erased_without_a_trace() {
    let app = TestApp::spawn_with("[outbox]\nallow_private_targets = true\nretry_schedule_secs = [0]\n");
    let allow = [("LEAD_OUTBOX_ALLOW_PRIVATE", "1")];
    let receiver = Receiver::start(vec![]);
    let added = cli_with_env(&app.db.url, &["webhook", "add", "--company", "Acme", "--url", &receiver.url], &allow);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    // Max: a customer record, two orders (one in other case), a ticket, spam, a form that
    // failed (its body is logged), a wrong password typed with his address.
    let max = "max.muster@beispiel.de";
    app.store.add_customer(app.acme.id, "Max Muster", "Max.Muster@Beispiel.de").unwrap();
    let lead = |body: &str| post(&app, body, &[]);
    assert_eq!(lead(r#"{"type":"order","email":"max.muster@beispiel.de","total":"12,50","name":"Max Muster","phone":"0171 1234567"}"#).0, 200);
    assert_eq!(lead(r#"{"type":"order","email":"MAX.MUSTER@beispiel.de","total":3,"items":[{"sku":"A-1","qty":2}]}"#).0, 200);
    let (status, max_ticket) = lead(r#"{"type":"ticket","email":"max.muster@beispiel.de","subject":"Lieferung","message":"Wo bleibt mein Paket?"}"#);
    assert_eq!(status, 200);
    // The team's note on it.
    let member = lead_store::Member {
        employee_id: app.acme.employees[0],
        company_id: app.acme.id,
        token_id: lead_store::TokenId::new(0),
        password_only: false,
    };
    let on_ticket = lead_store::NoteOn::Ticket(lead_store::TicketId::new(max_ticket));
    app.store.add_note(member, on_ticket, "Rückruf an Max.Muster@beispiel.de zugesagt").unwrap();
    assert_eq!(lead(r#"{"type":"ticket","email":"max.muster@beispiel.de","message":"x","_gotcha":"spam"}"#).0, 200);
    assert_eq!(lead(r#"{"type":"order","email":"max.muster@beispiel.de","total":"zwölf"}"#).0, 400);
    let limits = LoginLimits { per_client: 5, lockout_ms: 60_000, per_account: 10 };
    assert!(app.store.reserve_login_attempt(max, "203.0.113.9", limits).unwrap());
    // Someone whose address contains Max's: not Max.
    assert_eq!(lead(r#"{"type":"order","email":"xmax.muster@beispiel.de","total":"elf"}"#).0, 400);
    // Erika, who must not be touched.
    let erika = "erika@beispiel.de";
    app.store.add_customer(app.acme.id, "Erika", erika).unwrap();
    assert_eq!(lead(r#"{"type":"order","email":"erika@beispiel.de","total":7}"#).0, 200);
    assert_eq!(lead(r#"{"type":"ticket","email":"erika@beispiel.de","message":"Hallo"}"#).0, 200);
    assert_eq!(lead(r#"{"type":"order","email":"erika@beispiel.de","total":"sieben"}"#).0, 400);
    wait_until("the submission log and the deliveries", Duration::from_secs(15), || {
        (rows(&app, "submissions", "1 = 1") == 9 && rows(&app, "outbox", "status = 'pending'") == 0
            && rows(&app, "outbox", "1 = 1") == 5)
            .then_some(())
    });

    // The export: everything, as one JSON document.
    let exported = cli_with_env(&app.db.url, &["person", "export", "--company", "Acme", "--email", " Max.Muster@BEISPIEL.de "], &[]);
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let document: serde_json::Value = serde_json::from_slice(&exported.stdout).unwrap();
    let count = |member: &str| document[member].as_array().unwrap().len();
    assert_eq!(document["email"], max);
    assert_eq!(document["company"]["name"], "Acme");
    assert_eq!(
        (count("customers"), count("orders"), count("tickets"), count("submissions"), count("login_failures")),
        (1, 2, 2, 1, 2),
        "{document:#}"
    );
    assert_eq!(count("notifications"), 2 * 3, "two employees, three leads the team saw");
    assert_eq!(count("notes"), 1);
    assert_eq!(document["notes"][0]["ticket_id"], max_ticket);
    assert_eq!(count("deliveries"), 3, "a webhook each");
    assert_eq!(document["orders"][0]["payload"]["phone"], "0171 1234567", "with what the website sent");
    assert_eq!(document["orders"][1]["extra"]["items"][0]["sku"], "A-1");
    assert!(document["submissions"][0]["body"].as_str().unwrap().contains("zwölf"));
    assert!(!exported.stdout.windows(erika.len()).any(|w| w == erika.as_bytes()), "nobody else's data");

    // The erasure: nothing findable by the address, in any text column of any table.
    let columns = text_columns(&app);
    assert!(findable(&app, &columns, max).len() >= 5, "{:?}", findable(&app, &columns, max));
    let before_erika = findable(&app, &columns, erika);
    let refused = cli_with_env(&app.db.url, &["person", "erase", "--company", "Acme", "--email", max], &[]);
    assert!(!refused.status.success(), "not without --yes");
    let erased = cli_with_env(&app.db.url, &["person", "erase", "--company", "Acme", "--email", max, "--yes"], &[]);
    assert!(erased.status.success(), "{}", String::from_utf8_lossy(&erased.stderr));
    assert_eq!(
        findable(&app, &columns, max),
        vec![("submissions".to_owned(), "body".to_owned(), 1)],
        "only the longer address that contains Max's"
    );
    assert_eq!(findable(&app, &columns, "xmax.muster@beispiel.de").len(), 1, "which stays");
    assert_eq!(findable(&app, &columns, "0171 1234567"), Vec::new(), "nor what the website sent with it");
    assert_eq!(findable(&app, &columns, erika), before_erika, "Erika untouched");
    // The orders stay as business records, anonymised (the default).
    let kept: Vec<lead_store::OrderRecord> = app
        .store
        .list_orders(app.acme.id, None, None, None)
        .unwrap()
        .into_iter()
        .filter(|order| order.title == lead_store::ANONYMISED_TITLE)
        .collect();
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|order| order.email.is_empty() && order.customer_id.is_none() && order.payload == "{}"));
    assert_eq!(kept.iter().map(|order| order.total.cents()).sum::<u64>(), 1550, "the amounts are kept");
    // The audit log says so with a salted hash of the address, never the address.
    let audit = app.store.list_audit(Some(1)).unwrap().remove(0);
    assert_eq!(audit.action, "person.erase");
    assert!(!audit.subject.to_lowercase().contains("beispiel"), "{}", audit.subject);
    let hash = audit.subject.split_whitespace().find(|word| word.starts_with("sha256:")).unwrap();
    assert!(lead_auth::salted_hash_matches(max, hash), "{}", audit.subject);
    assert!(!lead_auth::salted_hash_matches(erika, hash));
    let again = cli_with_env(&app.db.url, &["person", "export", "--company", "Acme", "--email", max], &[]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(again["orders"].as_array().unwrap().is_empty() && again["customers"].as_array().unwrap().is_empty());

    // With anonymise_erased_orders = false, orders go too.
    let config = app.db.dir.path().join("delete-orders.toml");
    std::fs::write(&config, "[retention]\nanonymise_erased_orders = false\n").unwrap();
    let orders_before = app.store.list_orders(app.acme.id, None, None, None).unwrap().len();
    let erased = cli_with_env(
        &app.db.url,
        &["person", "erase", "--company", "Acme", "--email", erika, "--yes"],
        &[("LEAD_CONFIG", config.to_str().unwrap())],
    );
    assert!(erased.status.success(), "{}", String::from_utf8_lossy(&erased.stderr));
    assert_eq!(findable(&app, &columns, erika), Vec::new());
    assert_eq!(app.store.list_orders(app.acme.id, None, None, None).unwrap().len(), orders_before - 1);
    // Another company's person of the same address is its own.
    let unknown = cli_with_env(&app.db.url, &["person", "export", "--company", "Nirgendwo", "--email", max], &[]);
    assert!(!unknown.status.success());
    let bad = cli_with_env(&app.db.url, &["person", "export", "--company", "Acme", "--email", "kaputt"], &[]);
    assert!(!bad.status.success());
}
}

backend_test! {
fn an_id_is_never_given_twice_after_the_newest_lead_is_erased() {
    // Before, on SQLite, the next lead got the erased one's id (the highest id plus one): a
    // webhook receiver that remembers ids would have taken it for a repeat.
    let app = TestApp::spawn();
    let config = app.db.dir.path().join("delete-orders.toml");
    std::fs::write(&config, "[retention]\nanonymise_erased_orders = false\n").unwrap();
    let (status, erased) = post(&app, r#"{"type":"order","email":"weg@beispiel.de","total":1}"#, &[]);
    assert_eq!(status, 200);
    let output = cli_with_env(
        &app.db.url,
        &["person", "erase", "--company", "Acme", "--email", "weg@beispiel.de", "--yes"],
        &[("LEAD_CONFIG", config.to_str().unwrap())],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(rows(&app, "web_orders", "1 = 1"), 0);
    let (_, next) = post(&app, r#"{"type":"order","email":"neu@beispiel.de","total":2}"#, &[]);
    assert!(next > erased, "{next} after {erased}");
    let newest_note = app.db.number("SELECT COALESCE(MAX(id), 0) AS n FROM notifications");
    assert!(newest_note > 0);
}
}
