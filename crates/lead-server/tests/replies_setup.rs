//! The company's mailbox, black-box: set, shown (never its password) and removed by the
//! operator; replies by the company's own SMTP server (checked like a webhook's target) or
//! none at all; the reply box on a lead's page; and a person's export and erasure, which take
//! the conversation along.

mod common;

use std::time::Duration;

use common::pages::{first_employee_session, post_form};
use common::team::{ok, post};
use common::{cli, cli_with_stdin, last_line, token_for, wait_until, SmtpSink, TestApp, TestDb};

const IMAP: &str = "imaps://service%40acme.example:s3cret-Passwort@mail.acme.example/INBOX";

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

backend_test! {
fn the_operator_sets_shows_and_removes_a_mailbox_and_bad_settings_change_nothing() {
    let app = TestApp::spawn();
    let show = || cli(&app.db.url, &["company", "mailbox", "Acme"]);
    assert!(stdout(&show()).contains("has no mailbox"));
    for (args, said) in [
        (vec!["--imap", "https://x", "--from", "a@b.de"], "IMAP URL"),
        (vec!["--imap", "imaps://mail.acme.example/", "--from", "a@b.de"], "login and the password"),
        (vec!["--imap", "imap://u:p@mail.acme.example/", "--from", "a@b.de"], "unencrypted"),
        (vec!["--imap", IMAP, "--from", "Acme"], "not an e-mail address"),
        (vec!["--imap", IMAP, "--from", "a@b.de", "--smtp", "smtp://u:p@mail.acme.example:587"], "unencrypted"),
        (vec!["--imap", IMAP], "--from"),
    ] {
        let mut full = vec!["company", "mailbox", "Acme"];
        full.extend(args);
        let refused = cli(&app.db.url, &full);
        assert!(!refused.status.success(), "{full:?}");
        assert!(stderr(&refused).contains(said), "{said:?} in {}", stderr(&refused));
    }
    assert!(stdout(&show()).contains("has no mailbox"), "nothing set by a refused command");

    // The URL from standard input keeps the password out of the shell's history.
    let set = cli_with_stdin(
        &app.db.url,
        &["company", "mailbox", "Acme", "--imap", "-", "--smtp", "-", "--from", "Acme Service <service@acme.example>", "--move-to", "Erledigt"],
        &format!("{IMAP}\nsmtps://service%40acme.example:smtp-s3cret@smtp.acme.example\n"),
    );
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(!stderr(&set).contains("s3cret"), "{}", stderr(&set));
    let shown = stdout(&show());
    assert!(shown.contains("imaps://service@acme.example@mail.acme.example:993/INBOX"), "{shown}");
    assert!(shown.contains("\"Acme Service\" <service@acme.example>"), "{shown}");
    assert!(shown.contains("moved to Erledigt") && shown.contains("Checked:    never"), "{shown}");
    assert!(shown.contains("SMTP:       smtps://smtp.acme.example"), "{shown}");
    assert!(!shown.contains("s3cret"), "the passwords are never shown again: {shown}");
    let audit = cli(&app.db.url, &["audit", "list", "--json"]);
    assert!(stdout(&audit).contains("mailbox.set") && !stdout(&audit).contains("s3cret"), "{}", stdout(&audit));

    assert!(cli(&app.db.url, &["company", "mailbox", "Acme", "--off"]).status.success());
    assert!(stdout(&show()).contains("has no mailbox"));
    let without_smtp = cli(&app.db.url, &["company", "mailbox", "Acme", "--imap", IMAP, "--from", "service@acme.example"]);
    assert!(stderr(&without_smtp).contains("no [smtp]"), "warned that nothing can be sent: {}", stderr(&without_smtp));
    assert!(cli(&app.db.url, &["company", "mailbox", "Acme", "--off"]).status.success());
    let again = cli(&app.db.url, &["company", "mailbox", "Acme", "--off"]);
    assert!(!again.status.success(), "none to remove");
}
}

backend_test! {
fn a_reply_needs_an_smtp_server_and_goes_by_the_companys_own_only_to_a_public_address() {
    // No [smtp] on the server.
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let ticket = post(&app, &app.acme, r#"{"type":"ticket","email":"kunde@example.com","message":"Hallo?"}"#);
    let path = format!("/api/v1/tickets/{ticket}/messages");
    let from = ["--from", "service@acme.example"];
    let set = |extra: &[&str]| {
        let mut args = vec!["company", "mailbox", "Acme", "--imap", IMAP];
        args.extend_from_slice(&from);
        args.extend_from_slice(extra);
        assert!(cli(&app.db.url, &args).status.success());
    };
    set(&[]);
    let refused = app.team("POST", &path, &token, r#"{"text":"Hallo!"}"#);
    refused.assert_error(409, "conflict", None);
    assert!(refused.json()["message"].as_str().unwrap().contains("Postausgang"), "{}", refused.text());
    assert_eq!(app.db.number("SELECT COUNT(*) AS n FROM messages"), 0);
    assert_eq!(ok(app.team("GET", &format!("/api/v1/tickets/{ticket}"), &token, ""))["status"], "open");

    // The company's own SMTP server on this machine: not a public address, so refused.
    let sink = SmtpSink::start(vec![]);
    set(&["--smtp", &sink.url]);
    let reply = app.team("POST", &path, &token, r#"{"text":"Hallo!"}"#);
    assert_eq!(reply.status, 201, "{}", reply.text());
    wait_until("the reply failed", Duration::from_secs(15), || {
        let items = ok(app.team("GET", &path, &token, ""))["items"].as_array().unwrap().clone();
        (items[1]["delivery"] == "failed").then_some(())
    });
    let outbox = last_line(&cli(&app.db.url, &["outbox", "list", "--json"]));
    assert!(outbox.contains("not publicly reachable") && outbox.contains("message.reply"), "{outbox}");
    assert!(sink.mails().is_empty());

    // Allowed private targets (a test's, or a relay in the same network): it goes out there.
    let app = TestApp::spawn_with("[outbox]\nallow_private_targets = true\n");
    let token = token_for(&app.store, app.acme.employees[0]);
    let ticket = post(&app, &app.acme, r#"{"type":"ticket","email":"kunde@example.com","message":"Hallo?"}"#);
    let set = cli(&app.db.url, &["company", "mailbox", "Acme", "--imap", IMAP, "--from", "service@acme.example", "--smtp", &sink.url]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(!stderr(&set).contains("no [smtp]"), "{}", stderr(&set));
    let reply = app.team("POST", &format!("/api/v1/tickets/{ticket}/messages"), &token, r#"{"text":"Jetzt aber."}"#);
    assert_eq!(reply.status, 201, "{}", reply.text());
    let mails = wait_until("the reply at the company's server", Duration::from_secs(15), || {
        let mails = sink.mails();
        (!mails.is_empty()).then_some(mails)
    });
    assert_eq!(mails[0].from, "service@acme.example");
    assert!(mails[0].text().contains("Jetzt aber."));
}
}

backend_test! {
fn the_leads_page_shows_the_conversation_and_answers_from_its_reply_box() {
    let sink = SmtpSink::start(vec![]);
    let app = TestApp::spawn_with(&format!("[smtp]\nurl = \"{}\"\nfrom = \"crm@server.example\"\n", sink.url));
    let session = first_employee_session(&app);
    let ticket = post(&app, &app.acme, r#"{"type":"ticket","email":"kunde@example.com","subject":"Frage","message":"Geht das?"}"#);
    let page = |path: &str| app.server.request("GET", path, &[("Cookie", session.0.as_str())], b"").text();
    let before = page(&format!("/app/tickets/{ticket}"));
    assert!(before.contains("richtet dazu unter „Verwaltung“ das E-Mail-Postfach"), "{before}");
    assert!(!before.contains("Antwort senden"));

    assert!(cli(&app.db.url, &["company", "mailbox", "Acme", "--imap", IMAP, "--from", "Acme <service@acme.example>"]).status.success());
    let with_box = page(&format!("/app/tickets/{ticket}"));
    assert!(with_box.contains("Antwort per E-Mail an kunde@example.com"), "{with_box}");
    let sent = post_form(&app, &session, &format!("/app/tickets/{ticket}/reply"), "text=Ja%2C+das+geht.");
    assert_eq!(sent.status, 303, "{}", sent.text());
    let location = sent.header("Location").unwrap().to_owned();
    assert!(location.starts_with(&format!("/app/tickets/{ticket}#message-")), "{location}");
    let after = wait_until("delivered on the page", Duration::from_secs(15), || {
        let after = page(&format!("/app/tickets/{ticket}"));
        after.contains("zugestellt").then_some(after)
    });
    assert!(after.contains("E-Mail an kunde@example.com"), "{after}");
    assert!(after.contains("Ja, das geht."), "{after}");
    assert!(after.contains("Wartet auf Kunde"), "{after}");
    assert!(after.contains("Schließen") && after.contains("Wieder öffnen"), "{after}");
    let blank = post_form(&app, &session, &format!("/app/tickets/{ticket}/reply"), "text=+");
    assert_eq!(blank.status, 400, "{}", blank.text());
    let to_customer = sink.mails().into_iter().filter(|mail| mail.to == ["kunde@example.com"]).count();
    assert_eq!(to_customer, 1, "the blank reply sent nothing");
}
}

backend_test! {
fn a_persons_export_holds_the_conversation_and_the_erasure_takes_it_along() {
    let sink = SmtpSink::start(vec![]);
    let app = TestApp::spawn_with(&format!("[smtp]\nurl = \"{}\"\nfrom = \"crm@server.example\"\n", sink.url));
    assert!(cli(&app.db.url, &["company", "mailbox", "Acme", "--imap", IMAP, "--from", "service@acme.example"]).status.success());
    let token = token_for(&app.store, app.acme.employees[0]);
    let ticket = post(&app, &app.acme, r#"{"type":"ticket","email":"kunde@example.com","message":"Hallo?"}"#);
    let order = post(&app, &app.acme, r#"{"type":"order","email":"kunde@example.com","total":3}"#);
    for path in [format!("/api/v1/tickets/{ticket}/messages"), format!("/api/v1/orders/{order}/messages")] {
        assert_eq!(app.team("POST", &path, &token, r#"{"text":"Antwort für Sie"}"#).status, 201);
    }
    // A colleague's conversation that names the address is someone else's record: listed, redactable.
    let other = post(&app, &app.acme, r#"{"type":"ticket","email":"kollege@example.com","message":"Wer ist das?"}"#);
    let other_path = format!("/api/v1/tickets/{other}/messages");
    let said = r#"{"text":"Das ist kunde@example.com, bitte zurückrufen."}"#;
    assert_eq!(app.team("POST", &other_path, &token, said).status, 201);
    let export = cli(&app.db.url, &["person", "export", "--company", "Acme", "--email", "kunde@example.com"]);
    let document: serde_json::Value = serde_json::from_slice(&export.stdout).unwrap();
    let messages = document["messages"].as_array().expect("the conversations in the export");
    assert_eq!(messages.len(), 2, "only the conversations of the person's leads: {document}");
    assert_eq!(messages[0]["text"], "Antwort für Sie");
    assert_eq!(messages[0]["to"], "kunde@example.com");
    let mentioned = document["mentioned_in"].as_array().unwrap();
    assert!(
        mentioned.iter().any(|m| m["record"] == "ticket" && m["id"] == other && m["field"] == "email"),
        "{document}"
    );

    // Orders kept as business records lose their conversation too.
    let keep = app.db.dir.path().join("keep-orders.toml");
    std::fs::write(&keep, "[retention]\nanonymise_erased_orders = true\n").unwrap();
    let keep = keep.to_str().unwrap();
    let erased = cli(&app.db.url, &["--config", keep, "person", "erase", "--company", "Acme", "--email", "kunde@example.com", "--yes"]);
    assert!(erased.status.success(), "{}", stderr(&erased));
    assert_eq!(app.db.number("SELECT COUNT(*) AS n FROM messages"), 1, "the colleague's only");
    assert_eq!(app.db.number("SELECT COUNT(*) AS n FROM web_orders"), 1, "the order kept, anonymised");
    let redacted = cli(&app.db.url, &["person", "redact", "--company", "Acme", "--email", "kunde@example.com", "--yes"]);
    assert!(redacted.status.success(), "{}", stderr(&redacted));
    let items = ok(app.team("GET", &other_path, &token, ""))["items"].as_array().unwrap().clone();
    assert_eq!(items[1]["text"], "Das ist [entfernt], bitte zurückrufen.");
    // Nobody to answer any more.
    let refused = app.team("POST", &format!("/api/v1/orders/{order}/messages"), &token, r#"{"text":"Noch da?"}"#);
    refused.assert_error(409, "conflict", None);
    assert!(refused.json()["message"].as_str().unwrap().contains("anonymisiert"), "{}", refused.text());
}
}

backend_test! {
fn a_companys_admin_sets_changes_and_removes_the_mailbox_in_the_dashboard() {
    let app = TestApp::spawn();
    let session = first_employee_session(&app);
    let page = || app.server.request("GET", "/app/admin/postfach", &[("Cookie", session.0.as_str())], b"");
    assert_eq!(page().status, 403, "a member does not see it");
    assert_eq!(post_form(&app, &session, "/app/admin/postfach", &format!("imap={IMAP}&from=a%40b.de")).status, 403);
    let admin = app.acme.employees[0].to_string();
    assert!(cli(&app.db.url, &["employee", "role", &admin, "admin"]).status.success());
    assert!(page().text().contains("Noch kein Postfach eingerichtet"));

    let imap = "imaps%3A%2F%2Fservice%2540acme.example%3As3cret%40mail.acme.example%2FINBOX";
    for (body, said) in [
        ("imap=https%3A%2F%2Fx&from=a%40b.de".to_owned(), "IMAP-Adresse ist ungültig"),
        ("imap=imap%3A%2F%2Fu%3Ap%40mail.acme.example&from=a%40b.de".to_owned(), "Klartext"),
        (format!("imap={imap}&from=Acme"), "Absenderadresse ist ungültig"),
        (format!("imap={imap}&from=a%40b.de&smtp=smtp%3A%2F%2Fu%3Ap%40mail.acme.example"), "SMTP-Adresse ist ungültig"),
        ("imap=&from=a%40b.de".to_owned(), "Das Feld „imap“ darf nicht leer sein."),
    ] {
        let refused = post_form(&app, &session, "/app/admin/postfach", &body);
        assert_eq!(refused.status, 400, "{body}: {}", refused.text());
        assert!(refused.text().contains(said), "{said:?} in {}", refused.text());
    }
    assert!(page().text().contains("Noch kein Postfach eingerichtet"), "nothing set by a refused form");

    let smtp = "smtps%3A%2F%2Fservice%2540acme.example%3Aalso-s3cret%40smtp.acme.example";
    let set = post_form(&app, &session, "/app/admin/postfach", &format!("imap={imap}&from=Acme+%3Cservice%40acme.example%3E&smtp={smtp}"));
    assert_eq!(set.status, 303, "{}", set.text());
    let shown = page().text();
    assert!(shown.contains("imaps://service@acme.example@mail.acme.example:993/INBOX"), "{shown}");
    assert!(shown.contains("smtps://smtp.acme.example"), "{shown}");
    assert!(!shown.contains("s3cret"), "never a password: {shown}");
    // Only the sender changed: the URLs, passwords and all, stay.
    let changed = post_form(&app, &session, "/app/admin/postfach", "imap=&from=Acme+Service+%3Cservice%40acme.example%3E&smtp=");
    assert_eq!(changed.status, 303, "{}", changed.text());
    let shown = page().text();
    assert!(shown.contains("&quot;Acme Service&quot; &lt;service@acme.example&gt;"), "{shown}");
    assert!(shown.contains("smtps://smtp.acme.example"), "{shown}");
    let shown_cli = stdout(&cli(&app.db.url, &["company", "mailbox", "Acme"]));
    assert!(shown_cli.contains("mail.acme.example") && shown_cli.contains("smtp.acme.example"), "{shown_cli}");
    let audit = stdout(&cli(&app.db.url, &["audit", "list", "--json"]));
    assert!(audit.contains("mailbox.set") && audit.contains("in the dashboard"), "{audit}");
    // The server's own again.
    let server = post_form(&app, &session, "/app/admin/postfach", "imap=&from=service%40acme.example&smtp=&smtp_server=1");
    assert_eq!(server.status, 303);
    assert!(page().text().contains("der des Servers"));

    assert_eq!(post_form(&app, &session, "/app/admin/postfach/off", "").status, 303);
    assert!(page().text().contains("Noch kein Postfach eingerichtet"));
}
}

#[test]
fn copy_to_takes_the_mailboxes_and_conversations_along() {
    let Some(_) = common::postgres_url() else {
        eprintln!("skipped: LEAD_TEST_POSTGRES_URL is not set");
        return;
    };
    let sink = SmtpSink::start(vec![]);
    let app = TestApp::spawn_with(&format!(
        "[smtp]\nurl = \"{}\"\nfrom = \"crm@server.example\"\n",
        sink.url
    ));
    assert!(cli(
        &app.db.url,
        &[
            "company",
            "mailbox",
            "Acme",
            "--imap",
            IMAP,
            "--from",
            "service@acme.example"
        ]
    )
    .status
    .success());
    let token = token_for(&app.store, app.acme.employees[0]);
    let ticket = post(
        &app,
        &app.acme,
        r#"{"type":"ticket","email":"kunde@example.com","message":"Hallo?"}"#,
    );
    assert_eq!(
        app.team(
            "POST",
            &format!("/api/v1/tickets/{ticket}/messages"),
            &token,
            r#"{"text":"Antwort"}"#
        )
        .status,
        201
    );
    let target = TestDb::new_on(common::Backend::Postgres);
    let copied = cli(&app.db.url, &["copy-to", &target.url]);
    assert!(copied.status.success(), "{}", stderr(&copied));
    assert_eq!(target.number("SELECT COUNT(*) AS n FROM messages"), 1);
    assert_eq!(target.number("SELECT COUNT(*) AS n FROM mailboxes"), 1);
    let shown = stdout(&cli(&target.url, &["company", "mailbox", "Acme"]));
    assert!(shown.contains("mail.acme.example"), "{shown}");
}
