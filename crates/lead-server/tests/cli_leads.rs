//! The operator's command line on leads and customers: lists with their payload, customers
//! unique per company.

mod common;

use common::operator::{add_customer, assert_fails, json_lines, setup, ORDER};
use common::{cli, last_line, Server};
use serde_json::Value;

backend_test! {
fn customers_have_unique_emails_per_company() {
    let (db, _, _) = setup();
    let id = last_line(&add_customer(&db.url, "Acme", "Kunde", "kunde@beispiel.de"));
    assert_eq!(id, "1");
    assert_fails(
        &add_customer(&db.url, "Acme", "Zwei", " KUNDE@beispiel.DE "),
        "already exists",
    );
    last_line(&cli(&db.url, &["company", "add", "Other"]));
    last_line(&add_customer(&db.url, "Other", "Kunde", "kunde@beispiel.de"));
    assert_fails(
        &add_customer(&db.url, "Nobody", "K", "k@b.de"),
        "no company",
    );
    let customers = json_lines(&cli(&db.url, &["customer", "list", "--company", "Acme", "--json"]));
    assert_eq!(customers.as_array().unwrap().len(), 1);
}
}

backend_test! {
fn orders_and_tickets_are_listed_with_their_payload() {
    let (db, _, key) = setup();
    last_line(&add_customer(&db.url, "Acme", "Kunde", "kunde@beispiel.de"));
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
    assert_eq!(
        member_names(newest),
        [
            "attachments",
            "consent",
            "created_at",
            "customer_id",
            "decided_at",
            "decided_by",
            "email",
            "extra",
            "held",
            "id",
            "message",
            "owner",
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
    assert_eq!(newest["attachments"], serde_json::json!([]), "no files");
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
    assert_eq!(
        member_names(&tickets[0]),
        [
            "attachments",
            "consent",
            "created_at",
            "customer_id",
            "email",
            "extra",
            "held",
            "id",
            "message",
            "owner",
            "payload",
            "status",
            "status_changed_at",
            "status_changed_by",
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

/// The names of a JSON object's members, sorted.
fn member_names(object: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = object.as_object().unwrap().keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

backend_test! {
fn orders_and_tickets_are_exported_as_csv_or_json_lines() {
    let (db, _, key) = setup();
    let server = Server::start(&db.url, &[]);
    for body in [
        r#"{"type":"order","email":"max@beispiel.de","subject":"-1+1","total":"1.234,50","sku":"A-1"}"#,
        r#"{"type":"order","email":"erika@beispiel.de","subject":"Tassen","total":3}"#,
        r#"{"type":"ticket","email":"max@beispiel.de","message":"Frage"}"#,
    ] {
        let answer = server.request("POST", "/api/v1/lead", &[("X-API-KEY", key.as_str())], body.as_bytes());
        assert_eq!(answer.status, 200, "{}", answer.text());
    }
    let export = |args: &[&str]| {
        let mut all = vec!["orders", "export", "--company", "Acme"];
        all.extend_from_slice(args);
        let output = cli(&db.url, &all);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let excel = export(&[]);
    assert!(excel.starts_with("\u{feff}Nr.;Eingang;Status;"), "{excel}");
    assert_eq!(excel.lines().count(), 3);
    assert!(excel.contains(";'-1+1;1234,50;"), "a formula neutralised, a decimal comma: {excel}");
    let plain = export(&["--format", "rfc4180", "--q", "MAX"]);
    assert_eq!(plain.lines().count(), 2, "{plain}");
    assert!(plain.starts_with("id,created_at,status,email,title,total,") && plain.contains(",1234.50,"), "{plain}");
    let lines = export(&["--format", "jsonl", "--status", "new"]);
    let parsed: Vec<Value> = lines.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[1]["payload"]["sku"], "A-1", "with the original body");
    assert_eq!(export(&["--until", "2020-01-01"]).lines().count(), 1, "only the header");
    let tickets = cli(&db.url, &["tickets", "export", "--company", "Acme", "--format", "rfc4180"]);
    assert_eq!(String::from_utf8_lossy(&tickets.stdout).lines().count(), 2);
    assert_fails(&cli(&db.url, &["orders", "export", "--company", "Acme", "--since", "gestern"]), "must be a date");
    assert_fails(&cli(&db.url, &["orders", "export", "--company", "Acme", "--format", "xls"]), "possible values: csv, rfc4180, jsonl");
}
}
