//! What the command-line tests share: an order to post, reading `--json` output and
//! one-line failures, and a database with a company, an employee and a key.

use serde_json::Value;

use lead_testkit::{cli, last_line, TestDb};

pub const ORDER: &str =
    r#"{"type":"order","email":"Kunde@Beispiel.de","subject":"Bestellung","total":49.90,"sku":"A-1"}"#;

/// Another order each time (the same body again would be answered as a duplicate).
pub fn order(n: usize) -> String {
    ORDER.replace("\"Bestellung\"", &format!("\"Bestellung {n}\""))
}

pub fn json_lines(output: &std::process::Output) -> Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.trim_end().lines().count(), 1, "--json prints one line: {stdout}");
    serde_json::from_str(stdout.trim()).unwrap()
}

pub fn assert_fails(output: &std::process::Output, needle: &str) {
    assert!(
        !output.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "a one-line reason: {stderr}");
    assert!(stderr.to_lowercase().contains(&needle.to_lowercase()), "{stderr}");
}

/// `customer add --company COMPANY --name NAME --email EMAIL`.
pub fn add_customer(url: &str, company: &str, name: &str, email: &str) -> std::process::Output {
    cli(
        url,
        &[
            "customer",
            "add",
            "--company",
            company,
            "--name",
            name,
            "--email",
            email,
        ],
    )
}

/// A database with company "Acme", one employee and an issued key.
pub fn setup() -> (TestDb, String, String) {
    setup_in(TestDb::new())
}

/// `db` with company "Acme", one employee and an issued key: (`db`, company id, key).
pub fn setup_in(db: TestDb) -> (TestDb, String, String) {
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
