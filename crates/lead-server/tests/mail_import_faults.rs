//! The mailbox import when things go wrong, against a real Dovecot: the server killed (-9) in
//! the middle of an import and started again, two PostgreSQL instances reading at once, a
//! 20 MB e-mail with attachments and one larger than the server takes, and a mail server that
//! is down — each e-mail filed exactly once, none lost.

mod common;

use std::time::Duration;

use common::dovecot::Dovecot;
use common::imap::{mail, Imap};
use common::team::ok;
use common::{cli, cli_with_env, token_for, wait_until, Backend, Server, TestApp, TestDb};
use serde_json::Value;

const LOGIN: &str = "service@acme.example";
const PASSWORD: &str = "geheim-2026";
const FAST: &str = "[limits]\nper_ip = 0\nper_key = 0\nper_token_writes = 0\n\
                    [mail]\npoll_secs = 1\n[outbox]\ntimeout_secs = 5\nallow_private_targets = true\n";
const ALLOW: &[(&str, &str)] = &[("LEAD_OUTBOX_ALLOW_PRIVATE", "1")];

fn set_mailbox(url: &str, dovecot: &Dovecot) {
    let imap = dovecot.url(LOGIN, PASSWORD, "INBOX");
    let set = cli_with_env(
        url,
        &["company", "mailbox", "Acme", "--imap", &imap, "--from", LOGIN],
        ALLOW,
    );
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
}

fn read_once(app: &TestApp) {
    wait_until("the mailbox read once", Duration::from_secs(20), || {
        (app.db
            .number("SELECT COUNT(*) AS n FROM mailboxes WHERE uid_validity IS NOT NULL")
            == 1)
            .then_some(())
    });
}

fn tickets(app: &TestApp) -> i64 {
    app.db.number("SELECT COUNT(*) AS n FROM tickets")
}

/// Every e-mail filed once: as many tickets as e-mails, each with its own Message-ID.
fn filed_once(app: &TestApp, count: i64) {
    wait_until(&format!("{count} tickets"), Duration::from_secs(60), || {
        (tickets(app) >= count).then_some(())
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(tickets(app), count, "no e-mail filed twice");
    assert_eq!(
        app.db.number("SELECT COUNT(DISTINCT message_id) AS n FROM messages"),
        count
    );
    assert_eq!(app.db.number("SELECT COUNT(*) AS n FROM messages"), count);
}

fn restart(app: &mut TestApp) {
    let config = app.db.dir.path().join("test.toml");
    app.server = Server::start_with_config(&app.db.url, config.to_str().unwrap());
}

backend_test! {
fn a_kill_9_in_the_middle_of_an_import_and_a_restart_file_each_mail_once() {
    let Some(dovecot) = Dovecot::start(&[(LOGIN, PASSWORD)]) else { return };
    let mut app = TestApp::spawn_with_config(FAST);
    set_mailbox(&app.db.url, &dovecot);
    read_once(&app);
    let mut imap = Imap::login(dovecot.port, LOGIN, PASSWORD);
    for n in 0..150 {
        imap.append("INBOX", &mail(&format!("kunde{n}@example.com"), &format!("Anfrage {n}"), &[], "Hallo"));
    }
    wait_until("an import under way", Duration::from_secs(30), || (tickets(&app) >= 10).then_some(()));
    app.server.crash();
    assert!(tickets(&app) < 150, "killed in the middle of the import");
    // Started again: it takes the mailbox over once the dead one's lease has run out.
    restart(&mut app);
    filed_once(&app, 150);

    // Stopped as a service manager stops it, with more arriving meanwhile.
    app.server.terminate(Duration::from_secs(15)).expect("the server stops");
    for n in 150..160 {
        imap.append("INBOX", &mail(&format!("kunde{n}@example.com"), &format!("Anfrage {n}"), &[], "Hallo"));
    }
    restart(&mut app);
    filed_once(&app, 160);
    wait_until("every e-mail marked read", Duration::from_secs(20), || (imap.count("INBOX") == (160, 0)).then_some(()));
}
}

#[test]
fn two_postgresql_instances_file_each_mail_once() {
    if common::postgres_url().is_none() {
        eprintln!("skipped: LEAD_TEST_POSTGRES_URL is not set");
        return;
    }
    let Some(dovecot) = Dovecot::start(&[(LOGIN, PASSWORD)]) else {
        return;
    };
    let app = TestApp::spawn_on(TestDb::new_on(Backend::Postgres), FAST);
    let config = app.db.dir.path().join("test.toml");
    let mut second = Server::start_with_config(&app.db.url, config.to_str().unwrap());
    set_mailbox(&app.db.url, &dovecot);
    read_once(&app);
    let mut imap = Imap::login(dovecot.port, LOGIN, PASSWORD);
    for n in 0..100 {
        imap.append(
            "INBOX",
            &mail(&format!("kunde{n}@example.com"), &format!("Anfrage {n}"), &[], "Hallo"),
        );
        if n == 50 {
            // One instance stops (it gives its leases back): the other reads on.
            second
                .terminate(Duration::from_secs(15))
                .expect("the second instance stops");
        }
    }
    filed_once(&app, 100);
}

backend_test! {
fn a_20_mb_mail_keeps_its_attachments_and_one_over_the_limit_is_filed_cut() {
    let Some(dovecot) = Dovecot::start(&[(LOGIN, PASSWORD)]) else { return };
    let config = FAST.replace("poll_secs = 1\n", "poll_secs = 1\nmax_message_bytes = 22000000\n");
    let app = TestApp::spawn_with_config(&format!("{config}[attachments]\nmax_files = 2\n"));
    set_mailbox(&app.db.url, &dovecot);
    read_once(&app);
    let token = token_for(&app.store, app.acme.employees[0]);
    let pdf = |n: u8, size: usize| -> Vec<u8> {
        let mut data = b"%PDF-1.4\n".to_vec();
        data.extend((0..size).map(|i| (i as u8).wrapping_mul(31).wrapping_add(n)));
        data
    };
    let with_files = |subject: &str, files: &[(&str, Vec<u8>)]| -> Vec<u8> {
        use base64::Engine as _;
        let mut raw = format!(
            "From: kunde@example.com\r\nTo: {LOGIN}\r\nSubject: {subject}\r\nMessage-ID: <{subject}@kunde.example>\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDie Pläne anbei.\r\n"
        );
        for (name, data) in files {
            let encoded = base64::engine::general_purpose::STANDARD.encode(data);
            raw.push_str(&format!(
                "--b\r\nContent-Type: application/pdf; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            ));
            for line in encoded.as_bytes().chunks(76) {
                raw.push_str(std::str::from_utf8(line).unwrap());
                raw.push_str("\r\n");
            }
        }
        raw.push_str("--b--\r\n");
        raw.into_bytes()
    };
    let (first, second) = (pdf(1, 7_000_000), pdf(2, 7_000_000));
    let large = with_files("plaene", &[("grundriss.pdf", first.clone()), ("ansicht.pdf", second.clone())]);
    assert!(large.len() > 18_000_000 && large.len() < 22_000_000, "{}", large.len());
    let too_large = with_files("zu-gross", &[("a.pdf", pdf(3, 9_000_000)), ("b.pdf", pdf(4, 9_000_000))]);
    assert!(too_large.len() > 22_000_000);
    let mut imap = Imap::login(dovecot.port, LOGIN, PASSWORD);
    imap.append("INBOX", &large);
    imap.append("INBOX", &too_large);
    // More files than `[attachments] max_files`: the first ones kept, the rest named in a note.
    let three: Vec<(&str, Vec<u8>)> = ["a.pdf", "b.pdf", "c.pdf"].iter().map(|name| (*name, pdf(5, 1000))).collect();
    imap.append("INBOX", &with_files("drei", &three));
    let listed = wait_until("all filed", Duration::from_secs(60), || {
        let listed = ok(app.team("GET", "/api/v1/tickets", &token, ""));
        (listed["items"].as_array().unwrap().len() == 3).then_some(listed)
    });
    let items = listed["items"].as_array().unwrap();
    let whole = items.iter().find(|t| t["title"] == "plaene").unwrap();
    let conversation = ok(app.team("GET", &format!("/api/v1/tickets/{}/messages", whole["id"]), &token, ""));
    let files = conversation["items"][0]["attachments"].as_array().unwrap().clone();
    assert_eq!(files.len(), 2, "{conversation}");
    for (file, data) in files.iter().zip([&first, &second]) {
        assert_eq!(file["size"].as_u64(), Some(data.len() as u64));
        let got = app.team("GET", &format!("/api/v1/attachments/{}", file["id"]), &token, "");
        assert_eq!(got.status, 200);
        assert!(got.body == *data, "the file downloads as it came");
    }
    let cut = items.iter().find(|t| t["title"] == "zu-gross").unwrap();
    let conversation = ok(app.team("GET", &format!("/api/v1/tickets/{}/messages", cut["id"]), &token, ""));
    let message = &conversation["items"][0];
    assert!(message["text"].as_str().unwrap().starts_with("[Diese E-Mail war 2"), "{message}");
    assert!(message["text"].as_str().unwrap().contains("Die Pläne anbei."), "its beginning is kept");
    assert_eq!(message["attachments"].as_array().unwrap().len(), 0);
    let three = items.iter().find(|t| t["title"] == "drei").unwrap();
    let conversation = ok(app.team("GET", &format!("/api/v1/tickets/{}/messages", three["id"]), &token, ""));
    let names: Vec<&str> = conversation["items"][0]["attachments"].as_array().unwrap().iter().map(|f| f["filename"].as_str().unwrap()).collect();
    assert_eq!(names, ["a.pdf", "b.pdf"]);
    let notes = ok(app.team("GET", &format!("/api/v1/tickets/{}/notes", three["id"]), &token, ""));
    assert_eq!(notes["items"][0]["text"], "Anhang „c.pdf“ nicht angenommen: über der Grenze für Anhänge", "{notes}");
    wait_until("all marked read", Duration::from_secs(20), || (imap.count("INBOX") == (3, 0)).then_some(()));
}
}

backend_test! {
fn a_mail_server_that_is_down_is_said_and_nothing_is_lost_when_it_returns() {
    let Some(dovecot) = Dovecot::start(&[(LOGIN, PASSWORD)]) else { return };
    let mut imap = Imap::login(dovecot.port, LOGIN, PASSWORD);
    for n in 0..3 {
        imap.append("INBOX", &mail("kunde@example.com", &format!("Während der Pause {n}"), &[], "Hallo"));
    }
    drop(imap);
    dovecot.stop();
    let app = TestApp::spawn_with_config(FAST);
    set_mailbox(&app.db.url, &dovecot);
    wait_until("the error shown", Duration::from_secs(20), || {
        let shown = String::from_utf8_lossy(&cli(&app.db.url, &["company", "mailbox", "Acme"]).stdout).into_owned();
        shown.contains("Keine Verbindung zum Mailserver").then_some(())
    });
    assert_eq!(tickets(&app), 0);
    dovecot.restart();
    filed_once(&app, 3);
    let shown = String::from_utf8_lossy(&cli(&app.db.url, &["company", "mailbox", "Acme"]).stdout).into_owned();
    assert!(!shown.contains("Last error"), "{shown}");
}
}

backend_test! {
fn a_mail_the_database_keeps_refusing_is_noted_and_holds_back_nothing() {
    let Some(dovecot) = Dovecot::start(&[(LOGIN, PASSWORD)]) else { return };
    let app = TestApp::spawn_with_config(FAST);
    // Whatever the cause, the database refuses this one e-mail every time.
    app.db.execute(
        "CREATE TRIGGER poison BEFORE INSERT ON tickets WHEN NEW.message LIKE '%Gift%' \
         BEGIN SELECT RAISE(ABORT, 'poisoned'); END;",
        "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN \
         IF NEW.message LIKE '%Gift%' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql; \
         CREATE TRIGGER poison BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION poison();",
    );
    // Read from its unread e-mails the first time (the one before it filed again each time),
    // then from its position.
    let mut imap = Imap::login(dovecot.port, LOGIN, PASSWORD);
    imap.append("INBOX", &mail("davor@example.com", "Davor", &[], "Hallo"));
    imap.append("INBOX", &mail("kunde@example.com", "Rezept", &[], "Mit Gift?"));
    set_mailbox(&app.db.url, &dovecot);
    read_once(&app);
    imap.append("INBOX", &mail("kunde@example.com", "Nochmal", &[], "Wieder Gift"));
    imap.append("INBOX", &mail("andere@example.com", "Danach", &[], "Hallo"));
    // Each refused three times, then a note in its place; the ones after them are filed too.
    wait_until("all filed", Duration::from_secs(60), || (tickets(&app) == 4).then_some(()));
    let token = token_for(&app.store, app.acme.employees[0]);
    let listed = ok(app.team("GET", "/api/v1/tickets", &token, ""));
    let items = listed["items"].as_array().unwrap();
    let titles: Vec<&str> = items.iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Davor") && titles.contains(&"Danach"), "{titles:?}");
    let notes: Vec<&Value> = items.iter().filter(|t| t["title"] == "Nicht abgelegte E-Mail").collect();
    assert_eq!(notes.len(), 2, "{titles:?}");
    for (note, subject) in notes.iter().zip(["Nochmal", "Rezept"]) {
        assert_eq!(note["email"], "kunde@example.com");
        assert_eq!(
            note["message"],
            format!("Die E-Mail „{subject}“ konnte nicht abgelegt werden. Das Original liegt mit Stern markiert im Postfach, im Ordner „INBOX“.")
        );
    }
    // The originals stay in the mailbox, starred; all are marked read.
    wait_until("all read", Duration::from_secs(20), || (imap.count("INBOX") == (4, 0)).then_some(()));
    imap.command("SELECT INBOX");
    let starred = imap.command("UID SEARCH FLAGGED");
    imap.command("UNSELECT");
    assert!(starred.iter().any(|line| line.trim_end() == "* SEARCH 2 3"), "{starred:?}");
}
}

#[test]
fn a_database_locked_for_a_while_delays_a_mail_but_files_it_itself() {
    let Some(dovecot) = Dovecot::start(&[(LOGIN, PASSWORD)]) else {
        return;
    };
    let db = TestDb::new_on(Backend::Sqlite);
    let app = TestApp::spawn_on(db, &format!("{FAST}[database]\nbusy_timeout_ms = 50\n"));
    set_mailbox(&app.db.url, &dovecot);
    read_once(&app);
    // Another writer holds SQLite's lock for longer than three tries take: the database is
    // unavailable, it does not refuse the e-mail — no note in its place.
    let held = app.db.hold_writes();
    let mut imap = Imap::login(dovecot.port, LOGIN, PASSWORD);
    imap.append("INBOX", &mail("kunde@example.com", "Warten", &[], "Hallo"));
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(imap.count("INBOX"), (1, 1), "not filed while the database is locked");
    held.release();
    wait_until("the mail filed", Duration::from_secs(30), || {
        (tickets(&app) == 1).then_some(())
    });
    let token = token_for(&app.store, app.acme.employees[0]);
    let listed = ok(app.team("GET", "/api/v1/tickets", &token, ""));
    assert_eq!(listed["items"][0]["title"], "Warten", "{listed}");
    wait_until("marked read", Duration::from_secs(20), || {
        (imap.count("INBOX") == (1, 0)).then_some(())
    });
    imap.command("SELECT INBOX");
    let starred = imap.command("UID SEARCH FLAGGED");
    imap.command("UNSELECT");
    assert!(
        starred.iter().any(|line| line.trim_end() == "* SEARCH"),
        "not starred: {starred:?}"
    );
}

#[test]
fn a_restart_marks_read_again_only_what_was_filed() {
    let Some(dovecot) = Dovecot::start(&[(LOGIN, PASSWORD)]) else {
        return;
    };
    let mut imap = Imap::login(dovecot.port, LOGIN, PASSWORD);
    // Read before the mailbox was set: never filed.
    imap.append("INBOX", &mail("alt@example.com", "Alt", &[], "Schon gelesen"));
    imap.command("SELECT INBOX");
    imap.command("STORE 1 +FLAGS (\\Seen)");
    imap.command("UNSELECT");
    let mut app = TestApp::spawn_with_config(FAST);
    set_mailbox(&app.db.url, &dovecot);
    read_once(&app);
    // Without a Message-ID: filed under one made from its bytes.
    imap.append(
        "INBOX",
        b"From: kunde@example.com\r\nTo: service@acme.example\r\nSubject: Ohne ID\r\n\r\nHallo\r\n",
    );
    wait_until("filed and read", Duration::from_secs(20), || {
        (tickets(&app) == 1 && imap.count("INBOX") == (2, 0)).then_some(())
    });
    // Stopped, and both unread again — as a kill between filing and marking leaves the one
    // filed, and as a person may leave the other.
    app.server.terminate(Duration::from_secs(15)).expect("the server stops");
    imap.command("SELECT INBOX");
    imap.command("STORE 1:2 -FLAGS (\\Seen)");
    imap.command("UNSELECT");
    restart(&mut app);
    imap.append("INBOX", &mail("neu@example.com", "Neu", &[], "Hallo"));
    wait_until("the new one filed", Duration::from_secs(20), || {
        (tickets(&app) == 2).then_some(())
    });
    // The one filed is marked again; the person's stays unread.
    wait_until("the filed ones read", Duration::from_secs(20), || {
        (imap.count("INBOX") == (3, 1)).then_some(())
    });
    imap.command("SELECT INBOX");
    let unread = imap.command("UID SEARCH UNSEEN");
    imap.command("UNSELECT");
    assert!(unread.iter().any(|line| line.trim_end() == "* SEARCH 1"), "{unread:?}");
}
