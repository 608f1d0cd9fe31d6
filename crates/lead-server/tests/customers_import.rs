//! A customer list imported: `customer import` (and its dry run) makes the customers a file
//! lists, completes those the company has (found by any of their addresses), skips what is
//! not a customer with the line and why, files the unfiled leads from the addresses, and reads
//! back what `customer export` writes — on both backends.

mod common;

use common::{cli, Backend, TestApp};
use lead_store::{CustomerChange, Member, TokenId};

/// German Excel's „CSV (Trennzeichen-getrennt)“: Windows-1252, `;`, CRLF.
fn excel_list() -> Vec<u8> {
    let text = "Anrede;Vorname;Nachname;E-Mail;Telefon;Straße;PLZ;Ort\r\n\
                Herr;Jürgen;Müller;juergen@mueller.de;0351 1;Hauptstraße 5;01067;Dresden\r\n\
                Frau;Eva;Roth;EVA@privat.de;;;;Köln\r\n\
                Herr;Kein;Adresse;;;;;\r\n\
                ;;;;;;;\r\n\
                Frau;Falsch;Adresse;keine-adresse;;;;\r\n\
                Herr;Noch;Einmal;Juergen@Mueller.de;;;;\r\n";
    text.chars()
        .map(|c| match c {
            'ü' => 0xfc,
            'ß' => 0xdf,
            'ö' => 0xf6,
            c => u8::try_from(u32::from(c)).unwrap(),
        })
        .collect()
}

fn member(app: &TestApp) -> Member {
    Member {
        employee_id: app.acme.employees[0],
        company_id: app.acme.id,
        token_id: TokenId::new(0),
        password_only: false,
    }
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn imports_and_reports() {
    let app = TestApp::spawn();
    // Eva is a customer already, under another address; the list names her further one.
    let eva = app
        .store
        .team()
        .add_customer(app.acme.id, "Eva R.", "eva@roth.de")
        .unwrap();
    let change = CustomerChange {
        emails: Some(vec!["eva@privat.de".into()]),
        ..Default::default()
    };
    app.store.team().update_customer(member(&app), eva.id, &change).unwrap();
    // An order from Jürgen waits unfiled.
    let order = common::team::post(
        &app,
        &app.acme,
        r#"{"type":"order","email":"juergen@mueller.de","subject":"Tisch","total":10}"#,
    );
    let other = common::add_company(&app.store, "Other", 1);
    app.store
        .team()
        .add_customer(other.id, "Fremd", "juergen@mueller.de")
        .unwrap();
    let file = app.db.dir.path().join("kunden.csv");
    std::fs::write(&file, excel_list()).unwrap();
    let path = file.to_str().unwrap();

    let dry = cli(
        &app.db.url,
        &["customer", "import", "--company", "Acme", path, "--dry-run"],
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    let said = stderr(&dry);
    for line in [
        "Columns ignored: Anrede.",
        "Line 4 skipped: no email address.",
        "Line 6 skipped: email: \"keine-adresse\" is not a valid email address.",
        "Line 7 skipped: the address \"Juergen@Mueller.de\" is on line 2 already.",
        "1 customers would be created, 1 updated, 0 unchanged; 3 lines skipped (Windows-1252, ';'-separated).",
        "Dry run: nothing was changed.",
    ] {
        assert!(said.contains(line), "{line:?} in {said}");
    }
    assert_eq!(
        app.store
            .team()
            .list_customers(app.acme.id, None, None, None)
            .unwrap()
            .len(),
        1,
        "a dry run makes nobody"
    );
    assert!(app.store.team().customer_history(app.acme.id, eva.id).unwrap().len() == 1);

    let done = cli(&app.db.url, &["customer", "import", "--company", "Acme", path]);
    assert!(done.status.success(), "{}", stderr(&done));
    let said = stderr(&done);
    assert!(
        said.contains("1 customers were created, 1 updated, 0 unchanged; 3 lines skipped"),
        "{said}"
    );
    assert!(
        said.contains("1 orders and 0 tickets filed under their customers."),
        "{said}"
    );
    let customers = app.store.team().list_customers(app.acme.id, None, None, None).unwrap();
    assert_eq!(customers.len(), 2);
    let juergen = customers.iter().find(|c| c.email == "juergen@mueller.de").unwrap();
    assert_eq!(juergen.name, "Jürgen Müller");
    assert_eq!(
        (
            juergen.phone.as_str(),
            juergen.street.as_str(),
            juergen.zip.as_str(),
            juergen.city.as_str()
        ),
        ("0351 1", "Hauptstraße 5", "01067", "Dresden")
    );
    let order: lead_store::OrderRecord = app
        .store
        .team()
        .lead(app.acme.id, lead_store::OrderId::new(order))
        .unwrap();
    assert_eq!(order.customer_id, Some(juergen.id), "the waiting order is filed");
    // Eva is completed, not doubled: the list's name replaces hers, her address stays.
    let eva = app.store.team().get_customer(app.acme.id, eva.id).unwrap();
    assert_eq!(
        (eva.name.as_str(), eva.email.as_str(), eva.city.as_str()),
        ("Eva Roth", "eva@roth.de", "Köln")
    );
    let history = app.store.team().customer_history(app.acme.id, eva.id).unwrap();
    assert_eq!(history[0].employee, None, "the operator's change");
    assert_eq!(
        history[0].fields,
        [
            ("name".to_owned(), "Eva R.".to_owned(), "Eva Roth".to_owned()),
            ("city".to_owned(), String::new(), "Köln".to_owned())
        ]
    );
    // The other company's Jürgen is untouched.
    assert_eq!(
        app.store.team().list_customers(other.id, None, None, None).unwrap()[0].name,
        "Fremd"
    );

    // The same list again changes nothing; the export reads back unchanged.
    let again = cli(&app.db.url, &["customer", "import", "--company", "Acme", path]);
    assert!(
        stderr(&again).contains("0 customers were created, 0 updated, 2 unchanged"),
        "{}",
        stderr(&again)
    );
    for format in ["csv", "rfc4180"] {
        let export = cli(
            &app.db.url,
            &["customer", "export", "--company", "Acme", "--format", format],
        );
        let exported = app.db.dir.path().join(format!("export.{format}"));
        std::fs::write(&exported, &export.stdout).unwrap();
        let back = cli(
            &app.db.url,
            &["customer", "import", "--company", "Acme", exported.to_str().unwrap()],
        );
        assert!(
            stderr(&back).contains("0 customers were created, 0 updated, 2 unchanged; 0 lines skipped"),
            "{format}: {}",
            stderr(&back)
        );
        assert!(!stderr(&back).contains("Columns ignored"), "{}", stderr(&back));
    }
}

#[test]
fn a_list_is_imported_with_a_dry_run_first_on_sqlite() {
    common::with_backend(Backend::Sqlite, imports_and_reports);
}

#[test]
fn a_list_is_imported_with_a_dry_run_first_on_postgres() {
    common::with_backend(Backend::Postgres, imports_and_reports);
}

#[test]
fn a_further_address_of_another_customer_skips_the_line_and_a_file_without_addresses_fails() {
    let app = TestApp::spawn();
    app.store.team().add_customer(app.acme.id, "Anna", "anna@x.de").unwrap();
    let file = app.db.dir.path().join("list.csv");
    std::fs::write(
        &file,
        "email,name,emails\r\nbob@x.de,Bob,\"bob@y.de, ANNA@x.de\"\r\ncarl@x.de,Carl,bob@y.de\r\n",
    )
    .unwrap();
    let done = cli(
        &app.db.url,
        &["customer", "import", "--company", "Acme", file.to_str().unwrap()],
    );
    let said = stderr(&done);
    assert!(
        said.contains("Line 2 skipped: the address \"ANNA@x.de\" belongs to customer"),
        "{said}"
    );
    assert!(
        said.contains("1 customers were created, 0 updated, 0 unchanged; 1 lines skipped"),
        "{said}"
    );
    let carl = app
        .store
        .team()
        .list_customers(app.acme.id, Some("carl"), None, None)
        .unwrap();
    assert_eq!(carl[0].emails, ["bob@y.de"]);

    std::fs::write(&file, "Name;Ort\r\nA;B\r\n").unwrap();
    let failed = cli(
        &app.db.url,
        &["customer", "import", "--company", "Acme", file.to_str().unwrap()],
    );
    assert!(!failed.status.success());
    assert!(
        stderr(&failed).contains("no column of email addresses"),
        "{}",
        stderr(&failed)
    );
    assert_eq!(
        app.store
            .team()
            .list_customers(app.acme.id, None, None, None)
            .unwrap()
            .len(),
        2
    );
}

/// A `multipart/form-data` body as a browser sends the import form.
fn upload(csrf: Option<&str>, mode: &str, file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some(csrf) = csrf {
        body.extend(format!("--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n").bytes());
    }
    body.extend(
        "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"kunden.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            .bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--b\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\n{mode}\r\n--b--\r\n").bytes());
    body
}

#[test]
fn an_admin_checks_then_imports_a_list_in_the_dashboard_and_nobody_else_can() {
    let app = TestApp::spawn();
    let (cookie, csrf) = common::pages::first_employee_session(&app);
    let send = |csrf: Option<&str>, mode: &str, file: &[u8]| {
        let headers = [
            ("Cookie", cookie.as_str()),
            ("Content-Type", "multipart/form-data; boundary=b"),
        ];
        app.server
            .request("POST", "/app/admin/kunden-import", &headers, &upload(csrf, mode, file))
    };
    let count = || {
        app.store
            .team()
            .list_customers(app.acme.id, None, None, None)
            .unwrap()
            .len()
    };

    // A member is refused the page and the upload; nothing is made.
    let page = app
        .server
        .request("GET", "/app/admin/kunden-import", &[("Cookie", cookie.as_str())], b"");
    assert_eq!(page.status, 403);
    assert_eq!(send(Some(&csrf), "import", &excel_list()).status, 403);
    let me = app.acme.employees[0];
    app.store
        .access()
        .set_employee_role(lead_store::Scope::Everyone, me, lead_store::Role::Admin)
        .unwrap();
    let page = app
        .server
        .request("GET", "/app/admin/kunden-import", &[("Cookie", cookie.as_str())], b"");
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("enctype=\"multipart/form-data\""),
        "{}",
        page.text()
    );

    // Without the CSRF token: refused, nothing made.
    assert_eq!(send(None, "import", &excel_list()).status, 403);
    assert_eq!(count(), 0);

    // „Prüfen“ reports in German and changes nothing.
    let checked = send(Some(&csrf), "check", &excel_list());
    assert_eq!(checked.status, 200);
    let text = checked.text();
    for said in [
        "Geprüft – noch nichts geändert",
        "2 Kunden würden angelegt, 0 würden ergänzt, 0 unverändert, 3 Zeilen übersprungen.",
        "Gelesen als Windows-1252, getrennt durch „;“. Nicht übernommene Spalten: Anrede.",
        "<td>4</td><td>keine E-Mail-Adresse</td>",
        "<td>6</td><td>E-Mail: „keine-adresse“ ist keine gültige E-Mail-Adresse</td>",
        "<td>7</td><td>die Adresse „Juergen@Mueller.de“ steht schon in Zeile 2</td>",
    ] {
        assert!(text.contains(said), "{said:?} in {text}");
    }
    assert_eq!(count(), 0);

    // „Importieren“ makes them, in the admin's name.
    let imported = send(Some(&csrf), "import", &excel_list());
    assert!(
        imported.text().contains("Importiert: </strong>2 Kunden angelegt"),
        "{}",
        imported.text()
    );
    assert_eq!(count(), 2);
    let audit = app.store.access().list_audit(None).unwrap();
    let entry = audit
        .iter()
        .find(|entry| entry.action == "customer.import")
        .expect("audited");
    assert!(entry.actor.contains(&format!("employee {me}")), "{entry:?}");

    // No file, or one that is no list: said, nothing changes.
    assert!(send(Some(&csrf), "import", b"")
        .text()
        .contains("Bitte wählen Sie eine CSV-Datei."));
    let refused = send(Some(&csrf), "import", "Name;Ort\r\nA;B\r\n".as_bytes()).text();
    assert!(
        refused.contains("Die Datei hat keine Spalte mit E-Mail-Adressen"),
        "{refused}"
    );
    // A list beyond 20 MiB is refused before it is read.
    let huge = vec![b'x'; 20 * 1024 * 1024 + 1];
    assert_eq!(send(Some(&csrf), "import", &huge).status, 413);
    assert_eq!(count(), 2);
}
