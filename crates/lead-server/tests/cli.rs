//! The operator's command line, run as the built binary against a temporary database: who
//! may send leads and read them — companies, keys, employees, tokens — and the audit log of
//! those changes. Leads and customers are `cli_leads.rs`; starting, configuring and moving
//! the server `cli_server.rs`.

mod common;

use common::operator::{assert_fails, json_lines, order, setup, ORDER};
use common::{cli, cli_with_stdin, last_line, Server, TestDb};
use serde_json::Value;

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
fn employees_are_members_unless_made_admins() {
    let (db, _, _) = setup();
    let added = |extra: &[&str]| {
        let mut args = vec!["employee", "add", "--company", "Acme", "--name", "Eva", "--email", "eva@acme.example"];
        args.extend_from_slice(extra);
        last_line(&cli(&db.url, &args))
    };
    let (member, admin) = (added(&[]), added(&["--admin"]));
    let role = |id: &str| {
        let listed = json_lines(&cli(&db.url, &["employee", "list", "--company", "Acme", "--json"]));
        let found = listed.as_array().unwrap().iter().find(|e| e["id"].as_i64().map(|n| n.to_string()).as_deref() == Some(id)).unwrap().clone();
        found["role"].as_str().unwrap().to_owned()
    };
    assert_eq!((role(&member).as_str(), role(&admin).as_str()), ("member", "admin"));
    assert!(cli(&db.url, &["employee", "role", &member, "admin"]).status.success());
    assert!(cli(&db.url, &["employee", "role", &admin, "member"]).status.success());
    assert_eq!((role(&member).as_str(), role(&admin).as_str()), ("admin", "member"));
    assert_fails(&cli(&db.url, &["employee", "role", &member, "boss"]), "expected one of: member, admin");
    assert_fails(&cli(&db.url, &["employee", "role", "99", "admin"]), "no employee");
    let audit = json_lines(&cli(&db.url, &["audit", "list", "--json"]));
    assert_eq!(audit[0]["action"], "employee.role");
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
