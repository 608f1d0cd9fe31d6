//! The company's mailbox read by the server, black-box against a real Dovecot on 127.0.0.1:
//! each check that works is recorded, each failure too — in German, on the admins' page —
//! until the server is back; a mail server on this machine is refused unless private targets
//! are allowed.

mod common;

use std::time::Duration;

use common::dovecot::Dovecot;
use common::pages::first_employee_session;
use common::{cli, cli_with_env, wait_until, TestApp};

const LOGIN: &str = "service@acme.example";
const PASSWORD: &str = "geheim-2026";
const FAST: &str = "[mail]\npoll_secs = 1\n[outbox]\ntimeout_secs = 5\nallow_private_targets = true\n";
const ALLOW: &[(&str, &str)] = &[("LEAD_OUTBOX_ALLOW_PRIVATE", "1")];

fn set(app: &TestApp, imap: &str) {
    let set = cli_with_env(
        &app.db.url,
        &["company", "mailbox", "Acme", "--imap", imap, "--from", LOGIN],
        ALLOW,
    );
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
}

fn shown(app: &TestApp) -> String {
    String::from_utf8_lossy(&cli(&app.db.url, &["company", "mailbox", "Acme"]).stdout).into_owned()
}

/// What `company mailbox` shows once `done` holds for it.
fn shown_when(app: &TestApp, what: &str, done: impl Fn(&str) -> bool) -> String {
    wait_until(what, Duration::from_secs(20), || {
        let shown = shown(app);
        done(&shown).then_some(shown)
    })
}

backend_test! {
fn each_check_is_recorded_and_each_failure_said_in_german_until_the_server_is_back() {
    let Some(dovecot) = Dovecot::start(&[(LOGIN, PASSWORD)]) else { return };
    let app = TestApp::spawn_with(FAST);
    set(&app, &dovecot.url(LOGIN, PASSWORD, "INBOX"));
    let first = shown_when(&app, "a check that worked", |shown| !shown.contains("Checked:    never"));
    assert!(!first.contains("Last error"), "{first}\n{}", dovecot.log());

    // A wrong password, a folder that is not there: said, and the last good check kept.
    set(&app, &dovecot.url(LOGIN, "falsch", "INBOX"));
    let refused = shown_when(&app, "the login refused", |shown| shown.contains("Last error"));
    assert!(refused.contains("Anmeldung abgelehnt"), "{refused}");
    set(&app, &dovecot.url(LOGIN, PASSWORD, "Archiv"));
    let missing = shown_when(&app, "the folder missing", |shown| shown.contains("„Archiv“"));
    assert!(missing.contains("Den Ordner „Archiv“ gibt es in diesem Postfach nicht."), "{missing}");

    // The server down: said on the admins' page; back: the error goes.
    set(&app, &dovecot.url(LOGIN, PASSWORD, "INBOX"));
    shown_when(&app, "a check that works again", |shown| !shown.contains("Last error") && !shown.contains("never"));
    dovecot.stop();
    shown_when(&app, "the server down", |shown| shown.contains("Keine Verbindung zum Mailserver 127.0.0.1:"));
    let admin = app.acme.employees[0].to_string();
    assert!(cli(&app.db.url, &["employee", "role", &admin, "admin"]).status.success());
    let session = first_employee_session(&app);
    let page = app.server.request("GET", "/app/admin/postfach", &[("Cookie", session.0.as_str())], b"").text();
    assert!(page.contains("Letzter Fehler") && page.contains("Keine Verbindung zum Mailserver"), "{page}");
    dovecot.restart();
    let back = shown_when(&app, "the error gone", |shown| !shown.contains("Last error"));
    assert!(back.contains("Checked:"), "{back}");
}
}

backend_test! {
fn a_mail_server_on_this_machine_is_refused_without_private_targets() {
    let Some(dovecot) = Dovecot::start(&[(LOGIN, PASSWORD)]) else { return };
    let app = TestApp::spawn_with("[mail]\npoll_secs = 1\n");
    // Set with TLS, as the operator may without the switch: the server still refuses the address.
    let imaps = format!("imaps://service%40acme.example:{PASSWORD}@127.0.0.1:{}/INBOX", dovecot.port);
    set(&app, &imaps);
    let refused = shown_when(&app, "the address refused", |shown| shown.contains("Last error"));
    assert!(refused.contains("ist nicht erreichbar"), "{refused}");
    // Plain IMAP, set while the switch was on (a copy of another installation, say): the
    // password is not sent in the clear once it is off.
    set(&app, &dovecot.url(LOGIN, PASSWORD, "INBOX"));
    let plain = shown_when(&app, "plain IMAP refused", |shown| shown.contains("Klartext"));
    assert!(plain.contains("verwenden Sie imaps://"), "{plain}");
    assert!(!dovecot.log().contains("Login:"), "nothing reached the server: {}", dovecot.log());
}
}

backend_test! {
fn a_certificate_no_client_may_trust_is_refused_before_the_password_is_sent() {
    let Some(dovecot) = Dovecot::start_with_tls(&[(LOGIN, PASSWORD)]) else { return };
    let app = TestApp::spawn_with(FAST);
    let tls_port = dovecot.tls_port.unwrap();
    for (imap, what) in [
        (format!("imaps://service%40acme.example:{PASSWORD}@127.0.0.1:{tls_port}/INBOX"), "TLS"),
        (format!("imap://service%40acme.example:{PASSWORD}@127.0.0.1:{}/INBOX?tls=required", dovecot.port), "STARTTLS"),
    ] {
        set(&app, &imap);
        let refused = shown_when(&app, what, |shown| shown.contains("Last error") && shown.contains(&imap[..5]));
        assert!(refused.contains("Die verschlüsselte Verbindung zum Mailserver 127.0.0.1:"), "{what}: {refused}");
    }
    assert!(!dovecot.log().contains("Login: user=<"), "no password sent: {}", dovecot.log());
}
}
