//! The company's mailbox as a lead source, black-box against a real Dovecot on 127.0.0.1: the
//! customer's e-mails are put in with IMAP APPEND (as a mail server delivers them) and the
//! server files them — an answer threads back to its lead (by our Message-ID, or by the
//! subject's tag alone) and opens its ticket again, telling its owner; any other e-mail becomes
//! a ticket matched to its customer; auto-replies tell nobody and cannot keep a ticket
//! opening; a bounce marks the reply it bounced failed. Each e-mail is marked read (or moved)
//! on the server once filed, never deleted.

mod common;

use std::time::Duration;

use common::dovecot::Dovecot;
use common::imap::{mail, Imap};
use common::pages::first_employee_session;
use common::team::{ok, post};
use common::{cli, cli_with_env, token_for, wait_until, SmtpSink, TestApp};
use lead_store::EmployeeId;
use serde_json::Value;

const LOGIN: &str = "service@acme.example";
const PASSWORD: &str = "geheim-2026";
const FAST: &str =
    "[mail]\npoll_secs = 1\n[outbox]\ntimeout_secs = 5\nallow_private_targets = true\nretry_schedule_secs = [0, 1]\n";
const ALLOW: &[(&str, &str)] = &[("LEAD_OUTBOX_ALLOW_PRIVATE", "1")];

/// A server whose company reads `dovecot` (moving filed e-mails to `move_to`, if given) and
/// sends its replies to `sink`.
fn app_reading(dovecot: &Dovecot, sink: &SmtpSink, move_to: Option<&str>) -> TestApp {
    let app = TestApp::spawn_with(&format!(
        "{FAST}[smtp]\nurl = \"{}\"\nfrom = \"CRM <crm@server.example>\"\n",
        sink.url
    ));
    common::mail_off(&app, &app.acme.employees);
    let url = dovecot.url(LOGIN, PASSWORD, "INBOX");
    let mut args = vec![
        "company",
        "mailbox",
        "Acme",
        "--imap",
        url.as_str(),
        "--from",
        "Acme Service <service@acme.example>",
    ];
    if let Some(folder) = move_to {
        args.extend(["--move-to", folder]);
    }
    let set = cli_with_env(&app.db.url, &args, ALLOW);
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    // Read once (its unread e-mails: none), so that what comes now is new.
    wait_until("the mailbox read once", Duration::from_secs(20), || {
        (app.db
            .number("SELECT COUNT(*) AS n FROM mailboxes WHERE uid_validity IS NOT NULL")
            == 1)
            .then_some(())
    });
    app
}

/// Starts the server anew on the same database and config (the one before has stopped).
fn restart(app: &mut TestApp) {
    let config = app.db.dir.path().join("test.toml");
    app.server = common::Server::start_with_config(&app.db.url, config.to_str().unwrap());
}

fn conversation(app: &TestApp, token: &str, ticket: i64) -> Vec<Value> {
    ok(app.team("GET", &format!("/api/v1/tickets/{ticket}/messages"), token, ""))["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The conversation of `ticket` once it has `count` items.
fn conversation_of(app: &TestApp, token: &str, ticket: i64, count: usize) -> Vec<Value> {
    wait_until(
        &format!("{count} items in ticket {ticket}'s conversation"),
        Duration::from_secs(20),
        || {
            let items = conversation(app, token, ticket);
            (items.len() >= count).then_some(items)
        },
    )
}

fn status(app: &TestApp, token: &str, ticket: i64) -> String {
    ok(app.team("GET", &format!("/api/v1/tickets/{ticket}"), token, ""))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn texts_of(app: &TestApp, employee: EmployeeId) -> Vec<String> {
    app.store
        .team()
        .list_notifications(employee, false, None, None)
        .unwrap()
        .into_iter()
        .map(|note| note.text)
        .collect()
}

/// Waits until nothing is unread in the INBOX (what the server filed is marked read).
fn all_read(imap: &mut Imap) {
    wait_until("every e-mail marked read", Duration::from_secs(20), || {
        (imap.count("INBOX").1 == 0).then_some(())
    });
}

backend_test! {
fn the_customers_answer_threads_back_opens_the_ticket_again_and_tells_its_owner() {
    let Some(dovecot) = Dovecot::start(&[(LOGIN, PASSWORD)]) else { return };
    let sink = SmtpSink::start(vec![]);
    let app = app_reading(&dovecot, &sink, None);
    let (me, colleague) = (app.acme.employees[0], app.acme.employees[1]);
    let token = token_for(&app.store, me);
    let ticket = post(&app, &app.acme, r#"{"type":"ticket","email":"kunde@example.com","subject":"Torte","message":"Geht Samstag?"}"#);
    ok(app.team("POST", &format!("/api/v1/tickets/{ticket}/owner"), &token, &format!(r#"{{"employee_id": {colleague}}}"#)));
    let reply = app.team("POST", &format!("/api/v1/tickets/{ticket}/messages"), &token, r#"{"text":"Ja, gern."}"#);
    assert_eq!(reply.status, 201, "{}", reply.text());
    let ours = reply.json()["message_id"].as_str().unwrap().to_owned();
    assert_eq!(status(&app, &token, ticket), "pending");
    let sent = wait_until("the reply sent", Duration::from_secs(20), || sink.mails().pop());
    assert_eq!(sent.header("Auto-Submitted"), None, "a person's reply: auto-responders answer it");
    let told_before = texts_of(&app, colleague).len();

    let mut imap = Imap::login(dovecot.port, LOGIN, PASSWORD);
    let answer = mail(
        "Kunde <kunde@example.com>",
        "Re: Torte [#T999999]",
        &[&format!("In-Reply-To: <{ours}>"), &format!("References: <{ours}>")],
        "Super, dann bis Samstag!\n\n> Ja, gern.",
    );
    imap.append("INBOX", &answer);
    let items = conversation_of(&app, &token, ticket, 3);
    assert_eq!(items[0]["source"], "website");
    assert_eq!(items[1]["direction"], "out");
    let answer = &items[2];
    assert_eq!(answer["direction"], "in", "{answer}");
    assert_eq!(answer["source"], "email");
    assert_eq!(answer["from"], "\"Kunde\" <kunde@example.com>");
    assert!(answer["text"].as_str().unwrap().starts_with("Super, dann bis Samstag!"), "{answer}");
    assert_eq!(answer["automatic"], false);
    assert_eq!(status(&app, &token, ticket), "open", "the answer opens the ticket again");
    let told = texts_of(&app, colleague);
    assert_eq!(told.len(), told_before + 1, "{told:?}");
    assert_eq!(told[0], "Neue Antwort von kunde@example.com zu „Torte“");
    assert!(!texts_of(&app, me).iter().any(|text| text.starts_with("Neue Antwort")), "only the owner is told");
    all_read(&mut imap);
    assert_eq!(imap.count("INBOX"), (1, 0), "marked read, never deleted");

    // Read twice (the position forgotten — a restore — and the e-mail marked unread again: the
    // next server reads the unread ones): filed once.
    let mut app = app;
    app.server.terminate(Duration::from_secs(15)).expect("the server stops");
    imap.command("SELECT INBOX");
    imap.command("STORE 1 -FLAGS (\\Seen)");
    imap.command("UNSELECT");
    app.db.execute("UPDATE mailboxes SET uid_validity = NULL", "UPDATE mailboxes SET uid_validity = NULL");
    restart(&mut app);
    wait_until("the mailbox read anew", Duration::from_secs(20), || {
        (app.db.number("SELECT COUNT(*) AS n FROM mailboxes WHERE uid_validity IS NOT NULL") == 1).then_some(())
    });
    all_read(&mut imap);
    assert_eq!(conversation(&app, &token, ticket).len(), 3, "the same e-mail is filed once");
}
}

backend_test! {
fn a_subject_tag_alone_threads_and_an_unknown_sender_makes_a_ticket_filed_to_its_customer() {
    let Some(dovecot) = Dovecot::start(&[(LOGIN, PASSWORD)]) else { return };
    let sink = SmtpSink::start(vec![]);
    let mut imap = Imap::login(dovecot.port, LOGIN, PASSWORD);
    imap.command("CREATE Erledigt");
    let app = app_reading(&dovecot, &sink, Some("Erledigt"));
    let token = token_for(&app.store, app.acme.employees[0]);
    let ticket = post(&app, &app.acme, r#"{"type":"ticket","email":"kunde@example.com","subject":"Torte","message":"Geht Samstag?"}"#);
    let customer = app.team("POST", "/api/v1/customers", &token, r#"{"name":"Erika Muster","email":"erika@kunde.example"}"#);
    assert_eq!(customer.status, 201, "{}", customer.text());
    let customer = customer.json()["id"].as_i64().unwrap();

    // The tag alone from someone else: not theirs to join — a ticket of its own.
    let before = app.totals().tickets;
    imap.append("INBOX", &mail("fremder@example.org", &format!("Ich auch [#T{ticket}]"), &[], "Hallo?"));
    wait_until("the stranger's ticket", Duration::from_secs(20), || (app.totals().tickets == before + 1).then_some(()));
    assert_eq!(conversation(&app, &token, ticket).len(), 1);
    // The tag of the ticket in the subject from its sender, no headers of ours: it joins.
    imap.append("INBOX", &mail("kunde@example.com", &format!("Nachtrag [#T{ticket}]"), &[], "Und mit Sahne, bitte."));
    let items = conversation_of(&app, &token, ticket, 2);
    assert_eq!(items[1]["text"], "Und mit Sahne, bitte.");
    // Another company's tag, a lead that is not there: a new ticket instead.
    let before = app.totals().tickets;
    imap.append(
        "INBOX",
        &mail(
            "=?utf-8?q?Erika_M=C3=BCller?= <Erika@Kunde.example>",
            "Angebot für 40 Gäste [#T987654]",
            &[],
            "Guten Tag,\nwas kostet ein Buffet?",
        ),
    );
    let made = wait_until("a ticket from the e-mail", Duration::from_secs(20), || {
        let tickets = ok(app.team("GET", "/api/v1/tickets", &token, ""));
        tickets["items"].as_array().unwrap().iter().find(|t| t["title"] == "Angebot für 40 Gäste [#T987654]").cloned()
    });
    assert_eq!(app.totals().tickets, before + 1);
    let id = made["id"].as_i64().unwrap();
    assert_eq!(made["email"], "Erika@Kunde.example");
    assert_eq!(made["customer_id"].as_i64(), Some(customer), "matched to the customer by address: {made}");
    assert_eq!(made["status"], "open");
    assert_eq!(made["message"], "Guten Tag,\nwas kostet ein Buffet?");
    let items = conversation(&app, &token, id);
    assert_eq!(items.len(), 1, "the e-mail itself, no website's message: {items:?}");
    assert_eq!(items[0]["source"], "email");
    assert_eq!(items[0]["direction"], "in");
    // Its page shows the e-mail once: as the ticket's message, not again in its history.
    let (cookie, _) = first_employee_session(&app);
    let page = app.server.request("GET", &format!("/app/tickets/{id}"), &[("Cookie", cookie.as_str())], b"").text();
    assert!(page.contains("<pre class=\"message\" id=\"message\">Guten Tag,\nwas kostet ein Buffet?</pre>"), "{page}");
    assert!(!page.contains("mail mail-in"), "{page}");
    assert!(page.contains("Eingegangen per E-Mail"), "{page}");
    for employee in &app.acme.employees {
        assert!(texts_of(&app, *employee).contains(&"Neues Ticket! „Angebot für 40 Gäste [#T987654]“ von Erika@Kunde.example ist eingegangen.".to_owned()));
    }
    // Filed e-mails are moved to the folder, never deleted.
    wait_until("all moved", Duration::from_secs(20), || (imap.count("Erledigt") == (3, 0)).then_some(()));
    assert_eq!(imap.count("INBOX"), (0, 0));
    // The team answers it like any ticket.
    let reply = app.team("POST", &format!("/api/v1/tickets/{id}/messages"), &token, r#"{"text":"40 × 25 €."}"#);
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["to"], "Erika@Kunde.example");
}
}

backend_test! {
fn an_auto_reply_tells_nobody_and_cannot_keep_a_ticket_opening_and_a_bounce_fails_its_reply() {
    let Some(dovecot) = Dovecot::start(&[(LOGIN, PASSWORD)]) else { return };
    let sink = SmtpSink::start(vec![]);
    let app = app_reading(&dovecot, &sink, None);
    let token = token_for(&app.store, app.acme.employees[0]);
    let ticket = post(&app, &app.acme, r#"{"type":"ticket","email":"kunde@example.com","subject":"Torte","message":"Geht Samstag?"}"#);
    let path = format!("/api/v1/tickets/{ticket}/messages");
    let reply = app.team("POST", &path, &token, r#"{"text":"Ja, gern."}"#);
    let ours = reply.json()["message_id"].as_str().unwrap().to_owned();
    wait_until("the reply delivered", Duration::from_secs(20), || (!sink.mails().is_empty()).then_some(()));
    let told = |app: &TestApp| app.acme.employees.iter().map(|e| texts_of(app, *e).len()).sum::<usize>();
    let told_before = told(&app);

    let mut imap = Imap::login(dovecot.port, LOGIN, PASSWORD);
    let away = |n: usize| {
        mail(
            "kunde@example.com",
            &format!("Abwesend: Re: Torte [#T{ticket}] ({n})"),
            &["Auto-Submitted: auto-replied", &format!("In-Reply-To: <{ours}>")],
            "Ich bin bis Montag nicht im Büro.",
        )
    };
    imap.append("INBOX", &away(1));
    let items = conversation_of(&app, &token, ticket, 3);
    assert_eq!(items[2]["automatic"], true);
    assert_eq!(status(&app, &token, ticket), "open", "an auto-reply opens a waiting ticket once");
    ok(app.team("POST", &format!("/api/v1/tickets/{ticket}/close"), &token, ""));
    imap.append("INBOX", &away(2));
    conversation_of(&app, &token, ticket, 4);
    assert_eq!(status(&app, &token, ticket), "closed", "a second auto-reply in a row does not");
    assert_eq!(told(&app), told_before, "auto-replies tell nobody");

    // The mail server returns the reply: it is marked failed, the report kept with it.
    let bounce = format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nTo: service@acme.example\r\n\
         Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@mx.example.com>\r\n\
         Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nkunde@example.com: mailbox unavailable\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n\
         Final-Recipient: rfc822; kunde@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         --b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: service@acme.example\r\nMessage-ID: <{ours}>\r\n\
         Subject: Re: Torte [#T{ticket}]\r\n--b--\r\n"
    );
    imap.append("INBOX", bounce.as_bytes());
    let items = conversation_of(&app, &token, ticket, 5);
    let reply = items.iter().find(|item| item["message_id"] == ours.as_str()).unwrap();
    assert_eq!(reply["delivery"], "failed", "{reply}");
    assert_eq!(items[4]["subject"], "Undelivered Mail Returned to Sender");
    assert_eq!(status(&app, &token, ticket), "closed", "a bounce opens nothing");
    assert_eq!(told(&app), told_before, "and tells nobody");
    all_read(&mut imap);

    // An employee's address forwards into the mailbox: our notice of a ticket made from an
    // e-mail comes in, says it is automatic, and is filed telling nobody — no notice begets
    // a notice.
    let me = app.acme.employees[0].to_string();
    assert!(cli(&app.db.url, &["employee", "notify", &me, "--email", "on"]).status.success());
    let sent = sink.mails().len();
    imap.append("INBOX", &mail("neu@example.org", "Ganz neue Frage", &[], "Haben Sie offen?"));
    let notice = wait_until("the notice of the new ticket", Duration::from_secs(20), || {
        sink.mails().into_iter().skip(sent).find(|mail| mail.header("Subject").as_deref() == Some("Neues Ticket: „Ganz neue Frage“"))
    });
    assert_eq!(notice.header("Auto-Submitted").as_deref(), Some("auto-generated"));
    let before = app.totals().tickets;
    imap.append("INBOX", notice.data.as_bytes());
    wait_until("the notice filed", Duration::from_secs(20), || (app.totals().tickets == before + 1).then_some(()));
    let looped = app.db.number("SELECT MAX(id) AS n FROM tickets");
    assert_eq!(app.db.number(&format!("SELECT COUNT(*) AS n FROM outbox WHERE ticket_id = {looped}")), 0, "nothing sent about it");
    assert_eq!(told(&app), told_before + app.acme.employees.len(), "only the first e-mail told the team");
    all_read(&mut imap);
}
}

#[test]
fn a_server_that_cannot_move_has_its_mails_copied_and_the_originals_expunged() {
    let Some(dovecot) = Dovecot::start_offering(
        &[(LOGIN, PASSWORD)],
        "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE UNSELECT UIDPLUS",
    ) else {
        return;
    };
    let sink = SmtpSink::start(vec![]);
    let mut imap = Imap::login(dovecot.port, LOGIN, PASSWORD);
    imap.command("CREATE Erledigt");
    // Someone's own e-mail, flagged deleted in their mail program but not expunged: kept.
    imap.append("INBOX", &mail("alt@example.com", "Alt", &[], "Schon gelesen"));
    imap.command("SELECT INBOX");
    imap.command("STORE 1 +FLAGS (\\Seen \\Deleted)");
    imap.command("UNSELECT");
    let app = app_reading(&dovecot, &sink, Some("Erledigt"));
    let before = app.totals().tickets;
    for n in 0..3 {
        imap.append("INBOX", &mail("kunde@example.com", &format!("Frage {n}"), &[], "Hallo"));
    }
    // Only the e-mails filed leave the folder.
    wait_until("all moved", Duration::from_secs(20), || {
        (imap.count("Erledigt") == (3, 0) && imap.count("INBOX") == (1, 0)).then_some(())
    });
    assert_eq!(app.totals().tickets, before + 3);
}
