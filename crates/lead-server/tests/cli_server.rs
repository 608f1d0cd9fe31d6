//! Starting the server from the command line: options and usage errors, the first start's
//! demo, where settings come from, several instances at once, copying a database into
//! PostgreSQL, and backups of a running server.

mod common;

use common::operator::{add_customer, assert_fails, json_lines, order, setup, setup_in, ORDER};
use common::{cli, cli_with_env, last_line, Server, TestDb};

#[test]
fn global_options_go_before_or_after_the_subcommand() {
    let db = TestDb::new();
    let run = |args: &[&str]| {
        std::process::Command::new(common::binary())
            .args(args)
            .env_remove("LEAD_DATABASE_URL")
            .output()
            .unwrap()
    };
    assert_eq!(
        last_line(&run(&["--database-url", &db.url, "company", "add", "Vorne"])),
        "1"
    );
    assert_eq!(
        last_line(&run(&["company", "add", "Hinten", "--database-url", &db.url])),
        "2"
    );
    let list = json_lines(&run(&["company", "list", "--json", "--database-url", &db.url]));
    assert_eq!(list.as_array().unwrap().len(), 2);
    let bad = run(&["company", "list", "--database-url", "mysql://x"]);
    assert!(!bad.status.success());
}

#[test]
fn usage_errors_are_one_line_and_help_is_whole() {
    let db = TestDb::new();
    assert_fails(&cli(&db.url, &["employee", "deactivate", "abc"]), "invalid value");
    // The missing arguments are named, not only said to be missing.
    assert_fails(
        &cli(&db.url, &["customer", "add", "--name", "X"]),
        "the following required arguments were not provided: --company <COMPANY> --email <EMAIL>",
    );
    assert_fails(&cli(&db.url, &["frobnicate"]), "unrecognized subcommand");
    let help = cli(&db.url, &["--help"]);
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).lines().count() > 5);

    // Configuration errors and an unreachable database are one line too (TOML's snippets,
    // libpq's hints and the pool's log of every attempt folded into it or left out).
    let dir = tempfile::tempdir().unwrap();
    let config = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let unknown = config("unknown.toml", "[server]\nbnd = \"x\"\n");
    assert_fails(
        &cli(&db.url, &["--config", &unknown, "company", "list"]),
        "unknown field `bnd`",
    );
    let broken = config("broken.toml", "[server\nbind = 1\n");
    assert_fails(
        &cli(&db.url, &["--config", &broken, "company", "list"]),
        "line 1, column 8",
    );
    let quick = config("quick.toml", "[database]\npool_timeout_ms = 200\n");
    let nowhere = "postgres://nobody@127.0.0.1:1/nothing";
    assert_fails(
        &cli(
            &db.url,
            &["--config", &quick, "--database-url", nowhere, "company", "list"],
        ),
        "Connection refused",
    );
    assert_fails(
        &cli(&db.url, &["--config", &quick, "copy-to", nowhere]),
        "Connection refused",
    );
    // --verbose shows what happened on the way.
    let verbose = cli(
        &db.url,
        &[
            "--config",
            &quick,
            "--database-url",
            nowhere,
            "--verbose",
            "company",
            "list",
        ],
    );
    assert!(String::from_utf8_lossy(&verbose.stderr).lines().count() > 1);
}

backend_test! {
fn first_start_creates_demo_and_prints_a_working_key_and_curl() {
    let db = TestDb::new();
    // Started as the built binary (not by cargo): the banner says how to run it again.
    let server = Server::start(&db.url, &[("CARGO_MANIFEST_DIR", "")]);
    // The whole banner, which its second rule of `=` closes: the lines after the curl command
    // may reach the reader a moment after it.
    let rule = "=".repeat(80);
    let output = lead_testkit::wait_until("the whole banner", std::time::Duration::from_secs(3), || {
        let output = server.output();
        (output.matches(&rule).count() >= 2).then_some(output)
    });
    let again = format!("{} orders list --company Demo", common::binary().display());
    assert!(output.contains(&again), "{again:?} in {output}");
    assert!(!output.contains("cargo run"), "{output}");
    let key = output
        .split_whitespace()
        .find(|word| word.starts_with("lgw_") && word.len() == 47)
        .unwrap_or_else(|| panic!("no key printed:\n{output}"))
        .to_owned();
    let curl = format!("-H 'X-API-KEY: {key}'");
    assert!(output.contains(&curl), "the curl command carries the printed key: {output}");
    let response = server.request("POST", "/api/v1/lead.php", &[("X-API-KEY", &key)], ORDER.as_bytes());
    assert_eq!(response.status, 200);
    let orders = json_lines(&cli(&db.url, &["orders", "list", "--company", "Demo", "--json"]));
    assert_eq!(orders[0]["total_cents"], 4990);
    let notes = json_lines(&cli(&db.url, &["notifications", "list", "--employee", "1", "--json"]));
    assert_eq!(notes.as_array().unwrap().len(), 1, "the demo employee is notified");
    let employees = json_lines(&cli(&db.url, &["employee", "list", "--company", "Demo", "--json"]));
    assert_eq!(employees[0]["role"], "admin", "the one who tries it out manages it too");

    // The Demo employee's dashboard password is printed too, and works.
    let output = server.wait_for_output("log in as team@demo.example");
    let password = output
        .lines()
        .skip_while(|line| !line.contains("with the password"))
        .map(str::trim)
        .find(|line| line.len() == 16 && line.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| panic!("no password printed:\n{output}"))
        .to_owned();
    let login = server.request("GET", "/app/login", &[], b"");
    let page = login.text();
    let csrf = page.split(r#"name="csrf" value=""#).nth(1).unwrap().split('"').next().unwrap();
    let cookie = format!("lead_login_csrf={csrf}");
    let body = format!("csrf={csrf}&email=team%40demo.example&password={password}");
    let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    let answer = server.request("POST", "/app/login", &headers, body.as_bytes());
    assert_eq!((answer.status, answer.header("location")), (303, Some("/app/orders")));

    let first = server.stop();
    assert!(!first.log().contains(&password), "the password goes to stdout, never into the log");
    assert!(
        !first.log().contains(&key),
        "the key goes to stdout, never into the log"
    );
    assert!(!first.log().contains(&key[4..20]));

    let again = Server::start(&db.url, &[]);
    assert_eq!(again.request("GET", "/healthz", &[], b"").status, 200);
    assert!(!again.finish().contains("lgw_"), "the key is never shown again");
    let companies = json_lines(&cli(&db.url, &["company", "list", "--json"]));
    assert_eq!(companies.as_array().unwrap().len(), 1);
}
}

backend_test! {
fn no_bootstrap_when_a_company_exists() {
    let (db, _, _) = setup();
    let server = Server::start(&db.url, &[]);
    assert_eq!(server.request("GET", "/healthz", &[], b"").status, 200);
    assert!(!server.finish().contains("Demo"));
    let companies = json_lines(&cli(&db.url, &["company", "list", "--json"]));
    assert_eq!(companies.as_array().unwrap().len(), 1);
}
}

#[test]
fn bind_and_database_come_from_config_file_env_and_flags_in_that_order() {
    let db = TestDb::new();
    let other = TestDb::new();
    let config = db.dir.path().join("lead.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nbind = \"127.0.0.1:0\"\n[database]\nurl = \"{}\"\n",
            other.url
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();

    // The file alone: its database and bind address (no subcommand: serve).
    let server = Server::spawn(&["--config", config], &[]);
    assert!(other.path().exists() && !db.path().exists());
    server.kill();
    // Env beats the file; the flag beats env.
    let server = Server::spawn(
        &["--config", config],
        &[("LEAD_DATABASE_URL", &db.url), ("LEAD_BIND", "127.0.0.1:0")],
    );
    assert!(db.path().exists());
    server.kill();
    let third = TestDb::new();
    let server = Server::spawn(
        &["--config", config, "--database-url", &third.url],
        &[("LEAD_DATABASE_URL", &db.url)],
    );
    assert!(third.path().exists());
    server.kill();

    let broken = db.dir.path().join("broken.toml");
    std::fs::write(&broken, "[server]\nport = 1\n").unwrap();
    let output = std::process::Command::new(common::binary())
        .args(["--config", broken.to_str().unwrap(), "company", "list"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("port"));
}

#[test]
fn copy_to_moves_a_sqlite_database_into_postgresql_and_keys_keep_working() {
    common::with_backend(common::Backend::Postgres, || {
        let (source, _, key) = setup_in(TestDb::new_on(common::Backend::Sqlite));
        last_line(&add_customer(&source.url, "Acme", "Kunde", "kunde@beispiel.de"));
        let token = last_line(&cli(&source.url, &["employee", "token", "1"]));
        {
            // With push on: the key pair is made, and a device subscribed.
            let push = [
                ("LEAD_PUSH_SUBJECT", "mailto:it@acme.example"),
                ("LEAD_OUTBOX_ALLOW_PRIVATE", "1"),
            ];
            let server = Server::start(&source.url, &push);
            let device = r#"{"endpoint":"http://127.0.0.1:9/push/phone","keys":{"p256dh":"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4","auth":"BTBZMqHH6r4Tts7J_aSIgg"}}"#;
            let bearer = format!("Bearer {token}");
            let subscribed = server.request(
                "POST",
                "/api/v1/push/subscriptions",
                &[("Authorization", &bearer)],
                device.as_bytes(),
            );
            assert_eq!(subscribed.status, 201, "{}", subscribed.text());
            // The customer file with a further address and a history.
            let changed = server.request(
                "PATCH",
                "/api/v1/customers/1",
                &[("Authorization", &bearer)],
                br#"{"emails":["kunde@privat.de"],"phone":"0351 1","city":"Dresden"}"#,
            );
            assert_eq!(changed.status, 200, "{}", changed.text());
            for n in 0..3 {
                let sent = server.request("POST", "/api/v1/lead", &[("X-API-KEY", &key)], order(n).as_bytes());
                assert_eq!(sent.status, 200);
            }
            // With a file (its bytes are copied too).
            let ticket = r#"{"type":"ticket","email":"kunde@beispiel.de","message":"Hallo","attachments":[{"filename":"notiz.txt","data":"R3LDvMOfZQ=="}]}"#;
            assert_eq!(
                server
                    .request("POST", "/api/v1/lead", &[("X-API-KEY", &key)], ticket.as_bytes())
                    .status,
                200
            );
        }
        let target = TestDb::new_on(common::Backend::Postgres);
        let copied = cli(&source.url, &["copy-to", &target.url]);
        assert!(
            last_line(&copied).starts_with("copied and verified"),
            "{}",
            String::from_utf8_lossy(&copied.stderr)
        );
        let report = String::from_utf8_lossy(&copied.stderr).into_owned();
        assert!(report.contains("one consistent snapshot"), "{report}");
        for table in [
            "companies",
            "api_keys",
            "employees",
            "employee_tokens",
            "customers",
            "customer_emails",
            "customer_changes",
            "web_orders",
            "tickets",
            "notifications",
            "audit_log",
            "idempotency_keys",
            "push_subscriptions",
            "vapid_keys",
            "attachments",
            "server_secrets",
            "spent_challenges",
        ] {
            assert!(report.contains(table), "{report}");
        }
        let file = target
            .store()
            .privacy()
            .attachment(lead_store::CompanyId::new(1), lead_store::AttachmentId::new(1))
            .unwrap();
        assert_eq!(
            (file.attachment.filename.as_str(), file.data.as_slice()),
            ("notiz.txt", "Grüße".as_bytes())
        );
        // The same VAPID key: browsers' subscriptions stay valid after the move.
        let push_on = [("LEAD_PUSH_SUBJECT", "mailto:it@acme.example")];
        assert_eq!(
            last_line(&cli_with_env(&source.url, &["push", "public-key"], &push_on)),
            last_line(&cli_with_env(&target.url, &["push", "public-key"], &push_on))
        );
        // The same lists from both databases.
        for args in [
            &["orders", "list", "--company", "Acme", "--json"][..],
            &["tickets", "list", "--company", "Acme", "--json"],
            &["notifications", "list", "--employee", "1", "--json"],
            &["key", "list", "--json"],
            &["customer", "list", "--company", "Acme", "--json"],
            &["audit", "list", "--json"],
        ] {
            assert_eq!(
                json_lines(&cli(&source.url, args)),
                json_lines(&cli(&target.url, args)),
                "{args:?}"
            );
        }
        // A second copy into the now filled target is refused and changes nothing.
        assert_fails(&cli(&source.url, &["copy-to", &target.url]), "not empty");

        // The key and the token work against PostgreSQL, and new ids continue after the copied.
        let server = Server::start(&target.url, &[]);
        let sent = server.request("POST", "/api/v1/lead.php", &[("X-API-KEY", &key)], order(3).as_bytes());
        assert_eq!(sent.status, 200, "{}", sent.text());
        assert_eq!(sent.json()["id"], 4, "ids go on after the copied orders");
        let me = server.request(
            "GET",
            "/api/v1/me",
            &[("Authorization", &format!("Bearer {token}"))],
            b"",
        );
        assert_eq!(me.status, 200);
    });
}

#[test]
fn several_instances_start_at_once_on_an_empty_postgresql_database() {
    common::with_backend(common::Backend::Postgres, || {
        let db = TestDb::new();
        // Three servers at the same moment: migrations under an advisory lock, and exactly
        // one first-start bootstrap.
        let servers: Vec<Server> = std::thread::scope(|scope| {
            let starts: Vec<_> = (0..3).map(|_| scope.spawn(|| Server::start(&db.url, &[]))).collect();
            starts.into_iter().map(|s| s.join().unwrap()).collect()
        });
        for server in &servers {
            assert_eq!(server.request("GET", "/healthz", &[], b"").status, 200);
        }
        let banners = servers
            .into_iter()
            .map(Server::finish)
            .filter(|out| out.contains("First start"))
            .count();
        assert_eq!(banners, 1, "exactly one instance bootstraps");
        let companies = json_lines(&cli(&db.url, &["company", "list", "--json"]));
        assert_eq!(companies.as_array().unwrap().len(), 1);
    });
}

#[test]
fn a_backup_taken_under_load_restores_every_lead_acknowledged_before_it() {
    common::with_backend(common::Backend::Sqlite, || {
        let app = common::TestApp::spawn();
        let addr = app.server.addr;
        let key = app.acme.key.clone();
        let stop = std::sync::atomic::AtomicBool::new(false);
        let acknowledged = std::sync::Mutex::new(Vec::new());
        let target = app.db.dir.path().join("backup.db");
        let before_backup: Vec<i64> = std::thread::scope(|scope| {
            for sender in 0..4 {
                let (key, stop, acknowledged) = (&key, &stop, &acknowledged);
                scope.spawn(move || {
                    for n in 0.. {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        let body = format!(r#"{{"type":"order","email":"k{sender}-{n}@example.com","total":{n}}}"#);
                        let raw = format!(
                            "POST /api/v1/lead HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-API-KEY: {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        let answer = common::try_send(addr, raw.as_bytes()).unwrap();
                        assert_eq!(answer.status, 200, "{}", answer.text());
                        acknowledged.lock().unwrap().push(answer.json()["id"].as_i64().unwrap());
                    }
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
            let before = acknowledged.lock().unwrap().clone();
            let output = cli(&app.db.url, &["backup", target.to_str().unwrap()]);
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            assert!(
                last_line(&output).starts_with("backed up and verified"),
                "{}",
                last_line(&output)
            );
            // Leads go on being taken while and after it runs.
            std::thread::sleep(std::time::Duration::from_millis(300));
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            before
        });
        assert!(!before_backup.is_empty());
        let taken_after = acknowledged.lock().unwrap().len() - before_backup.len();
        assert!(taken_after > 0, "leads were taken during the backup");
        // Readable by its owner alone: it holds secrets and personal data.
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
        // A second backup never overwrites the first.
        let again = cli(&app.db.url, &["backup", target.to_str().unwrap()]);
        assert_fails(&again, "exists already");

        // The restore drill of docs/operations.md: the backup becomes the database of a
        // server started on it, which has every lead acknowledged before the backup began.
        let restored_dir = tempfile::tempdir().unwrap();
        let restored = restored_dir.path().join("leads.db");
        std::fs::copy(&target, &restored).unwrap();
        let url = format!("sqlite://{}", restored.display());
        let server = Server::start(&url, &[]);
        let store = lead_store::Store::open(&lead_store::StoreConfig::new(&url)).unwrap();
        let stored: std::collections::HashSet<i64> = store
            .team()
            .leads::<lead_store::OrderRecord>(app.acme.id, &Default::default())
            .unwrap()
            .iter()
            .map(|order| order.id.get())
            .collect();
        let missing: Vec<&i64> = before_backup.iter().filter(|id| !stored.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "acknowledged before the backup, missing from it: {missing:?}"
        );
        // ... and takes leads with the same key.
        let answer = server.request(
            "POST",
            "/api/v1/lead",
            &[
                ("X-API-KEY", app.acme.key.as_str()),
                ("Content-Type", "application/json"),
            ],
            ORDER.as_bytes(),
        );
        assert_eq!(answer.status, 200, "{}", answer.text());
    });
}

#[test]
fn backup_refuses_postgresql_and_names_pg_dump() {
    common::with_backend(common::Backend::Postgres, || {
        let db = TestDb::new();
        let target = db.dir.path().join("backup.db");
        let output = cli(&db.url, &["backup", target.to_str().unwrap()]);
        assert_fails(&output, "pg_dump");
        assert!(!target.exists());
    });
}
