//! The operator's command line, run as the built binary against a temporary database.

mod common;

use common::{cli, cli_with_stdin, last_line, Server, TestDb};
use serde_json::Value;

const ORDER: &str = r#"{"type":"order","email":"Kunde@Beispiel.de","subject":"Bestellung","total":49.90,"sku":"A-1"}"#;

/// Another order each time (the same body again would be answered as a duplicate).
fn order(n: usize) -> String {
    ORDER.replace("\"Bestellung\"", &format!("\"Bestellung {n}\""))
}

fn json_lines(output: &std::process::Output) -> Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.trim_end().lines().count(), 1, "--json prints one line: {stdout}");
    serde_json::from_str(stdout.trim()).unwrap()
}

fn assert_fails(output: &std::process::Output, needle: &str) {
    assert!(
        !output.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "a one-line reason: {stderr}");
    assert!(stderr.to_lowercase().contains(&needle.to_lowercase()), "{stderr}");
}

/// A database with company "Acme", one employee and an issued key.
fn setup() -> (TestDb, String, String) {
    let db = TestDb::new();
    let company = last_line(&cli(&db.url, &["company", "add", "Acme"]));
    last_line(&cli(
        &db.url,
        &[
            "employee",
            "add",
            "--company",
            "Acme",
            "--name",
            "Erika",
            "--email",
            "erika@acme.example",
        ],
    ));
    let key = last_line(&cli(
        &db.url,
        &["key", "issue", "--company", &company, "--label", "Website"],
    ));
    (db, company, key)
}

backend_test! {
fn companies_are_added_listed_and_resolved_by_id_or_name() {
    let db = TestDb::new();
    let id = last_line(&cli(&db.url, &["company", "add", "Acme GmbH"]));
    assert_eq!(id, "1");
    last_line(&cli(&db.url, &["company", "add", "Beta"]));
    let list = json_lines(&cli(&db.url, &["company", "list", "--json"]));
    assert_eq!(list[0]["id"], 1);
    assert_eq!(list[0]["name"], "Acme GmbH");
    assert_eq!(list[0]["active"], true);
    assert_eq!(list[1]["name"], "Beta");
    let table = String::from_utf8(cli(&db.url, &["company", "list"]).stdout).unwrap();
    assert!(table.starts_with("ID") && table.contains("Acme GmbH"), "{table}");

    assert_fails(&cli(&db.url, &["company", "add", "Acme GmbH"]), "already exists");
    assert_fails(&cli(&db.url, &["company", "add", "12345"]), "digits");
    assert_fails(&cli(&db.url, &["company", "add", "  "]), "empty");
    assert_fails(&cli(&db.url, &["company", "deactivate", "Nobody"]), "no company");
    assert!(cli(&db.url, &["company", "deactivate", "1"]).status.success());
    assert!(cli(&db.url, &["company", "deactivate", "Beta"]).status.success());
    let list = json_lines(&cli(&db.url, &["company", "list", "--json"]));
    assert_eq!(
        (list[0]["active"].clone(), list[1]["active"].clone()),
        (Value::Bool(false), Value::Bool(false))
    );
}
}

backend_test! {
fn an_issued_key_works_lists_without_the_key_and_is_revoked_by_prefix() {
    let (db, _, key) = setup();
    assert!(key.starts_with("lgw_") && key.len() == 47, "{key}");
    let server = Server::start(&db.url, &[]);
    let post = |key: &str| server.request("POST", "/api/v1/lead.php", &[("X-API-KEY", key)], ORDER.as_bytes());
    assert_eq!(post(&key).status, 200);

    let output = cli(&db.url, &["key", "list", "--json"]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(!stdout.contains(&key[4..]), "key list must never show the key");
    let keys = json_lines(&output);
    let prefix = keys[0]["prefix"].as_str().unwrap().to_owned();
    assert!(key.starts_with(&prefix) && prefix.len() == 12);
    assert_eq!(keys[0]["label"], "Website");
    assert_eq!(keys[0]["active"], true);
    assert!(keys[0]["last_used_at"].is_string(), "use is recorded: {keys}");

    assert!(cli(&db.url, &["key", "revoke", &prefix]).status.success());
    assert_eq!(post(&key).status, 403);
    let keys = json_lines(&cli(&db.url, &["key", "list", "--company", "Acme", "--json"]));
    assert_eq!(keys[0]["active"], false);
}
}

backend_test! {
fn keys_are_revoked_by_id_and_ambiguous_prefixes_are_refused() {
    let (db, company, _) = setup();
    let second = last_line(&cli(&db.url, &["key", "issue", "--company", &company]));
    let keys = json_lines(&cli(&db.url, &["key", "list", "--json"]));
    assert_eq!(keys.as_array().unwrap().len(), 2);
    assert_fails(&cli(&db.url, &["key", "revoke", "lgw_"]), "ambiguous");
    assert_fails(&cli(&db.url, &["key", "revoke", "99"]), "no key");
    assert!(cli(&db.url, &["key", "revoke", "2"]).status.success());
    let keys = json_lines(&cli(&db.url, &["key", "list", "--json"]));
    assert_eq!(
        (keys[0]["active"].clone(), keys[1]["active"].clone()),
        (Value::Bool(true), Value::Bool(false))
    );
    // The full key identifies itself too; revoking twice is harmless.
    assert!(cli(&db.url, &["key", "revoke", &second]).status.success());
}
}

backend_test! {
fn a_legacy_key_is_imported_unchanged_and_works() {
    let db = TestDb::new();
    last_line(&cli(&db.url, &["company", "add", "Legacy AG"]));
    let legacy = "a3f9c2e8d1b7465f9e0c8b2a7d6e5f41";
    let id = last_line(&cli(
        &db.url,
        &[
            "key",
            "import",
            "--company",
            "Legacy AG",
            "--key",
            legacy,
            "--label",
            "hosted",
        ],
    ));
    assert_eq!(id, "1");
    let from_stdin = "LEGACY-KEY-FROM-STDIN-0123456789";
    let id = last_line(&cli_with_stdin(
        &db.url,
        &["key", "import", "--company", "Legacy AG", "--key", "-"],
        &format!("{from_stdin}\n"),
    ));
    assert_eq!(id, "2");
    assert_fails(
        &cli(&db.url, &["key", "import", "--company", "Legacy AG", "--key", legacy]),
        "already registered",
    );
    assert_fails(
        &cli(
            &db.url,
            &["key", "import", "--company", "Legacy AG", "--key", "has space inside"],
        ),
        "visible ASCII",
    );
    assert_fails(
        &cli(&db.url, &["key", "import", "--company", "Legacy AG", "--key", "short"]),
        "at least",
    );

    let server = Server::start(&db.url, &[]);
    for key in [legacy, from_stdin] {
        let response = server.request("POST", &format!("/api/v1/lead.php?key={key}"), &[], ORDER.as_bytes());
        assert_eq!(response.status, 200, "{}", response.text());
    }
    let keys = String::from_utf8(cli(&db.url, &["key", "list"]).stdout).unwrap();
    assert!(keys.contains("imp_a3f9") && !keys.contains(legacy), "{keys}");
}
}

backend_test! {
fn employees_are_notified_until_deactivated() {
    let (db, _, key) = setup();
    let second = last_line(&cli(
        &db.url,
        &[
            "employee",
            "add",
            "--company",
            "Acme",
            "--name",
            "Max",
            "--email",
            "max@acme.example",
        ],
    ));
    assert_fails(
        &cli(
            &db.url,
            &["employee", "add", "--company", "Acme", "--name", "X", "--email", "nope"],
        ),
        "not a valid email",
    );
    let server = Server::start(&db.url, &[]);
    assert_eq!(
        server
            .request("POST", "/api/v1/lead", &[("X-API-KEY", &key)], ORDER.as_bytes())
            .status,
        200
    );
    assert!(cli(&db.url, &["employee", "deactivate", &second]).status.success());
    assert_eq!(
        server
            .request("POST", "/api/v1/lead", &[("X-API-KEY", &key)], order(2).as_bytes())
            .status,
        200
    );

    let first = json_lines(&cli(&db.url, &["notifications", "list", "--employee", "1", "--json"]));
    let second_notes = json_lines(&cli(
        &db.url,
        &["notifications", "list", "--employee", &second, "--json"],
    ));
    assert_eq!(first.as_array().unwrap().len(), 2);
    assert_eq!(second_notes.as_array().unwrap().len(), 1, "nothing after deactivation");
    let note = &first[0];
    assert_eq!(note["kind"], "order");
    assert_eq!(
        note["text"],
        "Neue Bestellung! Eine Web-Bestellung über 49,90 € ist eingegangen."
    );
    assert_eq!(note["read"], false);
    assert!(note["id"].is_i64() && note["created_at"].is_string());
    let employees = json_lines(&cli(&db.url, &["employee", "list", "--company", "Acme", "--json"]));
    assert_eq!(employees[1]["active"], false);
    assert_fails(
        &cli(&db.url, &["notifications", "list", "--employee", "99"]),
        "no employee",
    );
}
}

backend_test! {
fn customers_have_unique_emails_per_company() {
    let (db, _, _) = setup();
    let id = last_line(&cli(
        &db.url,
        &[
            "customer",
            "add",
            "--company",
            "Acme",
            "--name",
            "Kunde",
            "--email",
            "kunde@beispiel.de",
        ],
    ));
    assert_eq!(id, "1");
    assert_fails(
        &cli(
            &db.url,
            &[
                "customer",
                "add",
                "--company",
                "Acme",
                "--name",
                "Zwei",
                "--email",
                " KUNDE@beispiel.DE ",
            ],
        ),
        "already exists",
    );
    last_line(&cli(&db.url, &["company", "add", "Other"]));
    last_line(&cli(
        &db.url,
        &[
            "customer",
            "add",
            "--company",
            "Other",
            "--name",
            "Kunde",
            "--email",
            "kunde@beispiel.de",
        ],
    ));
    assert_fails(
        &cli(
            &db.url,
            &[
                "customer",
                "add",
                "--company",
                "Nobody",
                "--name",
                "K",
                "--email",
                "k@b.de",
            ],
        ),
        "no company",
    );
    let customers = json_lines(&cli(&db.url, &["customer", "list", "--company", "Acme", "--json"]));
    assert_eq!(customers.as_array().unwrap().len(), 1);
}
}

backend_test! {
fn orders_and_tickets_are_listed_with_their_payload() {
    let (db, _, key) = setup();
    last_line(&cli(
        &db.url,
        &[
            "customer",
            "add",
            "--company",
            "Acme",
            "--name",
            "Kunde",
            "--email",
            "kunde@beispiel.de",
        ],
    ));
    let server = Server::start(&db.url, &[]);
    let pretty_order = "{\n  \"type\": \"order\",\n  \"email\": \"Kunde@Beispiel.de\",\n  \"message\": \"Bitte schnell\",\n  \"total\": 12.5,\n  \"sku\": \"A-1\"\n}";
    for body in [
        ORDER,
        pretty_order,
        r#"{"type":"ticket","email":"x@y.de","message":"Frage"}"#,
    ] {
        assert_eq!(
            server
                .request("POST", "/api/v1/lead", &[("X-API-KEY", &key)], body.as_bytes())
                .status,
            200
        );
    }

    let orders = json_lines(&cli(&db.url, &["orders", "list", "--company", "Acme", "--json"]));
    assert_eq!(orders.as_array().unwrap().len(), 2);
    let newest = &orders[0];
    let mut keys: Vec<&str> = newest.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "customer_id",
            "email",
            "extra",
            "held",
            "id",
            "message",
            "payload",
            "status",
            "title",
            "total_cents"
        ]
    );
    assert_eq!(newest["extra"], serde_json::json!({"sku": "A-1"}), "what the website sent on top");
    assert_eq!(newest["total_cents"], 1250);
    assert_eq!(newest["status"], "new");
    assert_eq!(newest["held"], serde_json::Value::Null, "not held back");
    assert_eq!(newest["customer_id"], 1);
    assert_eq!(newest["message"], "Bitte schnell");
    assert_eq!(newest["payload"]["sku"], "A-1", "payload is a JSON object");
    assert_eq!(orders[1]["title"], "Bestellung");
    assert_eq!(orders[1]["message"], Value::Null);

    let limited = json_lines(&cli(
        &db.url,
        &["orders", "list", "--company", "1", "--limit", "1", "--json"],
    ));
    assert_eq!(limited.as_array().unwrap().len(), 1);
    let accepted = json_lines(&cli(
        &db.url,
        &["orders", "list", "--company", "Acme", "--status", "accepted", "--json"],
    ));
    assert_eq!(accepted, Value::Array(vec![]));
    assert_fails(
        &cli(&db.url, &["orders", "list", "--company", "Acme", "--status", "done"]),
        "unknown status",
    );

    let tickets = json_lines(&cli(&db.url, &["tickets", "list", "--company", "Acme", "--json"]));
    let mut keys: Vec<&str> = tickets[0].as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "customer_id",
            "email",
            "extra",
            "held",
            "id",
            "message",
            "payload",
            "status",
            "title"
        ]
    );
    assert_eq!(tickets[0]["title"], "Anfrage Webseite");
    assert_eq!(tickets[0]["customer_id"], Value::Null);
    let table =
        String::from_utf8(cli(&db.url, &["tickets", "list", "--company", "Acme", "--status", "open"]).stdout).unwrap();
    assert!(table.contains("Anfrage Webseite"), "{table}");
}
}

backend_test! {
fn a_deactivated_company_is_locked_out_until_activated() {
    let (db, _, key) = setup();
    let server = Server::start(&db.url, &[]);
    assert!(cli(&db.url, &["company", "deactivate", "Acme"]).status.success());
    let denied = server.request("POST", "/api/v1/lead.php", &[("X-API-KEY", &key)], ORDER.as_bytes());
    assert_eq!(denied.status, 403);
    assert!(cli(&db.url, &["company", "activate", "Acme"]).status.success());
    assert_eq!(
        server
            .request("POST", "/api/v1/lead.php", &[("X-API-KEY", &key)], ORDER.as_bytes())
            .status,
        200
    );
}
}

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
    assert_fails(&cli(&db.url, &["customer", "add", "--name", "X"]), "required");
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
    let output = server.wait_for_output("curl -X POST");
    let again = format!("{} orders list --company Demo", common::binary().display());
    assert!(output.contains(&again), "{again:?} in {output}");
    assert!(!output.contains("cargo run"), "{output}");
    let key = output
        .split_whitespace()
        .find(|word| word.starts_with("lgw_") && word.len() == 47)
        .unwrap_or_else(|| panic!("no key printed:\n{output}"))
        .to_owned();
    assert!(output.contains("curl -X POST"), "{output}");
    let response = server.request("POST", "/api/v1/lead.php", &[("X-API-KEY", &key)], ORDER.as_bytes());
    assert_eq!(response.status, 200);
    let orders = json_lines(&cli(&db.url, &["orders", "list", "--company", "Demo", "--json"]));
    assert_eq!(orders[0]["total_cents"], 4990);
    let notes = json_lines(&cli(&db.url, &["notifications", "list", "--employee", "1", "--json"]));
    assert_eq!(notes.as_array().unwrap().len(), 1, "the demo employee is notified");

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

backend_test! {
fn employee_tokens_are_issued_once_listed_without_the_token_and_revoked() {
    let (db, _, key) = setup();
    let token = last_line(&cli(&db.url, &["employee", "token", "1"]));
    assert!(token.starts_with("lgt_") && token.len() == 47, "{token}");
    assert_fails(&cli(&db.url, &["employee", "token", "99"]), "no employee");
    let server = Server::start(&db.url, &[]);
    let me = |token: &str| {
        server.request(
            "GET",
            "/api/v1/me",
            &[("Authorization", &format!("Bearer {token}"))],
            b"",
        )
    };
    assert_eq!(me(&token).status, 200);
    assert_eq!(me(&key).status, 401, "an API key is no employee token");

    let output = cli(&db.url, &["employee", "token-list", "--employee", "1", "--json"]);
    assert!(!String::from_utf8_lossy(&output.stdout).contains(&token[4..]));
    let tokens = json_lines(&output);
    let prefix = tokens[0]["prefix"].as_str().unwrap().to_owned();
    assert!(token.starts_with(&prefix));
    assert_eq!(tokens[0]["active"], true);

    assert!(cli(&db.url, &["employee", "token-revoke", &prefix]).status.success());
    assert_eq!(me(&token).status, 401);
    let second = last_line(&cli(&db.url, &["employee", "token", "1"]));
    assert!(
        cli(&db.url, &["employee", "token-revoke", &second]).status.success(),
        "the token itself works too"
    );
    assert_eq!(me(&second).status, 401);
    let tokens = json_lines(&cli(&db.url, &["employee", "token-list", "--json"]));
    assert!(tokens.as_array().unwrap().iter().all(|t| t["active"] == false));
}
}

#[test]
fn copy_to_moves_a_sqlite_database_into_postgresql_and_keys_keep_working() {
    common::with_backend(common::Backend::Postgres, || {
        let source = TestDb::new_on(common::Backend::Sqlite);
        last_line(&cli(&source.url, &["company", "add", "Acme"]));
        last_line(&cli(
            &source.url,
            &[
                "employee",
                "add",
                "--company",
                "Acme",
                "--name",
                "Erika",
                "--email",
                "erika@acme.example",
            ],
        ));
        let key = last_line(&cli(&source.url, &["key", "issue", "--company", "Acme"]));
        last_line(&cli(
            &source.url,
            &[
                "customer",
                "add",
                "--company",
                "Acme",
                "--name",
                "Kunde",
                "--email",
                "kunde@beispiel.de",
            ],
        ));
        let token = last_line(&cli(&source.url, &["employee", "token", "1"]));
        {
            let server = Server::start(&source.url, &[]);
            for n in 0..3 {
                let sent = server.request("POST", "/api/v1/lead", &[("X-API-KEY", &key)], order(n).as_bytes());
                assert_eq!(sent.status, 200);
            }
            let ticket = r#"{"type":"ticket","email":"kunde@beispiel.de","message":"Hallo"}"#;
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
        for table in [
            "companies",
            "api_keys",
            "employees",
            "employee_tokens",
            "customers",
            "web_orders",
            "tickets",
            "notifications",
            "audit_log",
            "idempotency_keys",
        ] {
            assert!(report.contains(table), "{report}");
        }
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

backend_test! {
fn the_audit_log_names_who_changed_access_and_never_a_key() {
    let (db, _, key) = setup();
    let legacy = "LEGACY-KEY-0123456789abcdef";
    last_line(&cli(&db.url, &["key", "import", "--company", "Acme", "--key", legacy]));
    assert!(cli(&db.url, &["key", "revoke", "1"]).status.success());
    assert!(cli(&db.url, &["company", "deactivate", "Acme"]).status.success());
    assert!(cli(&db.url, &["company", "activate", "Acme"]).status.success());
    assert!(cli(&db.url, &["employee", "deactivate", "1"]).status.success());
    let token = last_line(&cli(&db.url, &["employee", "token", "1"]));
    assert!(cli(&db.url, &["employee", "token-revoke", "1"]).status.success());

    let output = cli(&db.url, &["audit", "list", "--json"]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    for secret in [key.as_str(), legacy, token.as_str()] {
        assert!(!stdout.contains(secret), "no key or token in the audit log");
    }
    let entries = json_lines(&output);
    let actions: Vec<&str> = entries.as_array().unwrap().iter().rev().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "key.issue",
            "key.import",
            "key.revoke",
            "company.deactivate",
            "company.activate",
            "employee.deactivate",
            "token.issue",
            "token.revoke"
        ]
    );
    let newest = &entries[0];
    assert!(newest["actor"].as_str().unwrap().ends_with("(command line)"), "{newest}");
    assert!(newest["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(entries[7]["subject"].as_str().unwrap(), format!("key 1 ({}) of company 1", &key[..12]));
}
}
