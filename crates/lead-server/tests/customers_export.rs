//! A company's customers exported: `customer export` and the dashboard's link, as German
//! Excel reads it (`;`, BOM, formulas neutralised — the headers an import reads back), RFC 4180
//! and JSON lines; another company's customers are never in it.

mod common;

use common::{cli, TestApp};
use lead_store::{CustomerChange, Member, TokenId};

fn customers(app: &TestApp) {
    let max = app
        .store
        .team()
        .add_customer(app.acme.id, "Max Müller", "max@mueller.de")
        .unwrap()
        .id;
    let member = Member {
        employee_id: app.acme.employees[0],
        company_id: app.acme.id,
        token_id: TokenId::new(0),
        password_only: false,
    };
    let change = CustomerChange {
        phone: Some("0351 4711".into()),
        zip: Some("01067".into()),
        city: Some("Dresden".into()),
        emails: Some(vec!["max@privat.de".into()]),
        ..Default::default()
    };
    app.store.team().update_customer(member, max, &change).unwrap();
    app.store
        .team()
        .add_customer(app.acme.id, "=HYPERLINK(\"x\")", "formel@beispiel.de")
        .unwrap();
    let other = common::add_company(&app.store, "Other", 1);
    app.store
        .team()
        .add_customer(other.id, "Fremd", "fremd@beispiel.de")
        .unwrap();
}

#[test]
fn the_cli_writes_excel_csv_rfc4180_and_json_lines() {
    let app = TestApp::spawn();
    customers(&app);
    let excel = cli(&app.db.url, &["customer", "export", "--company", "Acme"]);
    assert!(excel.status.success(), "{}", String::from_utf8_lossy(&excel.stderr));
    let text = String::from_utf8(excel.stdout).unwrap();
    assert!(
        text.starts_with(
            "\u{feff}Nr.;Name;E-Mail;Weitere E-Mail-Adressen;Telefon;Firma;Straße;PLZ;Ort;Land;Kunde seit\r\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(";Max Müller;max@mueller.de;max@privat.de;0351 4711;;;01067;Dresden;;"),
        "{text}"
    );
    assert!(
        text.contains(";\"'=HYPERLINK(\"\"x\"\")\";"),
        "a formula is neutralised: {text}"
    );
    assert!(!text.contains("Fremd"), "only the company's own");
    assert_eq!(text.lines().count(), 3);
    assert!(String::from_utf8_lossy(&excel.stderr).contains("2 customers exported"));

    let rfc = cli(
        &app.db.url,
        &["customer", "export", "--company", "Acme", "--format", "rfc4180"],
    );
    let text = String::from_utf8(rfc.stdout).unwrap();
    assert!(
        text.starts_with("id,name,email,emails,phone,company,street,zip,city,country,created_at\r\n"),
        "{text}"
    );
    assert!(
        text.contains(",\"=HYPERLINK(\"\"x\"\")\","),
        "programs get the value as it is: {text}"
    );

    let lines = cli(
        &app.db.url,
        &["customer", "export", "--company", "Acme", "--format", "jsonl"],
    );
    let text = String::from_utf8(lines.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["emails"], serde_json::json!(["max@privat.de"]));
    assert_eq!(rows[1]["zip"], "01067");
}

#[test]
fn the_dashboard_link_downloads_the_same() {
    let app = TestApp::spawn();
    customers(&app);
    let (cookie, _) = common::pages::first_employee_session(&app);
    let list = app
        .server
        .request("GET", "/app/customers", &[("Cookie", cookie.as_str())], b"");
    assert!(list.text().contains("/app/customers/export.csv"));
    let download = app
        .server
        .request("GET", "/app/customers/export.csv", &[("Cookie", cookie.as_str())], b"");
    assert_eq!(download.status, 200);
    assert_eq!(
        download.header("content-type"),
        Some("text/csv; charset=utf-8; header=present")
    );
    assert!(download
        .header("content-disposition")
        .is_some_and(|d| d.starts_with("attachment; filename=\"kunden-")));
    let cli_text = String::from_utf8(cli(&app.db.url, &["customer", "export", "--company", "Acme"]).stdout).unwrap();
    assert_eq!(download.text(), cli_text, "the same file");
    let rfc = app.server.request(
        "GET",
        "/app/customers/export.csv?dialect=rfc4180",
        &[("Cookie", cookie.as_str())],
        b"",
    );
    assert!(rfc.text().starts_with("id,name,email,"));
    // Without a session: the login page, no file.
    let anonymous = app.server.request("GET", "/app/customers/export.csv", &[], b"");
    assert_ne!(anonymous.status, 200);
}
