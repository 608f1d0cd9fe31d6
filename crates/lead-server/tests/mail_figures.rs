//! The mailbox import's figures (a benchmark, not a test: `#[ignore]`d, run by hand and
//! read, never asserted): how long from an e-mail arriving in the mailbox to its notification
//! (p50 over 50 e-mails, with IDLE and by polling), how fast a mailbox of 1,000 unread e-mails
//! is filed, and how many leads per second the server takes while it files them — against the
//! rate without an import, in the same run.
//!
//! `cargo test -p lead-server --release --test mail_figures -- --ignored --nocapture`

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::dovecot::Dovecot;
use common::imap::{mail, Imap};
use common::{add_company, cli_with_env, wait_until, TestApp};

const PASSWORD: &str = "geheim-2026";
const ALLOW: &[(&str, &str)] = &[("LEAD_OUTBOX_ALLOW_PRIVATE", "1")];

fn set_mailbox(app: &TestApp, company: &str, dovecot: &Dovecot, login: &str) {
    let imap = dovecot.url(login, PASSWORD, "INBOX");
    let set = cli_with_env(
        &app.db.url,
        &["company", "mailbox", company, "--imap", &imap, "--from", login],
        ALLOW,
    );
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
}

fn count(app: &TestApp, sql: &str) -> i64 {
    app.db.number(sql)
}

/// The time from APPEND to the ticket's notification, for `n` e-mails one after another.
fn latencies(app: &TestApp, dovecot: &Dovecot, login: &str, n: usize) -> Vec<Duration> {
    set_mailbox(app, "Acme", dovecot, login);
    wait_until("read once", Duration::from_secs(30), || {
        (count(
            app,
            "SELECT COUNT(*) AS n FROM mailboxes WHERE uid_validity IS NOT NULL",
        ) == 1)
            .then_some(())
    });
    let mut imap = Imap::login(dovecot.port, login, PASSWORD);
    let mut took = Vec::new();
    for i in 0..n {
        let before = count(app, "SELECT COUNT(*) AS n FROM notifications");
        let started = Instant::now();
        imap.append(
            "INBOX",
            &mail(&format!("k{i}@example.com"), &format!("Frage {i}"), &[], "Hallo"),
        );
        loop {
            if count(app, "SELECT COUNT(*) AS n FROM notifications") > before {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "no notification");
            std::thread::sleep(Duration::from_millis(2));
        }
        took.push(started.elapsed());
    }
    took.sort();
    took
}

fn p(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

/// Leads per second `threads` clients get stored while `go` holds (at least `least`).
fn lead_rate(app: &TestApp, threads: usize, least: Duration, go: impl Fn() -> bool) -> (f64, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let stored = Arc::new(AtomicU64::new(0));
    let addr = app.server.addr;
    let key = app.acme.key.clone();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (stop, stored, key) = (stop.clone(), stored.clone(), key.clone());
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    i += 1;
                    let body = format!(r#"{{"type":"ticket","email":"l{t}-{i}@example.com","message":"Last {t} {i}"}}"#);
                    let raw = format!(
                        "POST /api/v1/lead.php HTTP/1.1\r\nHost: x\r\nX-API-KEY: {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    if common::try_send(addr, raw.as_bytes()).is_ok_and(|r| r.status == 200) {
                        stored.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while started.elapsed() < least || go() {
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::SeqCst);
    let elapsed = started.elapsed();
    for worker in workers {
        worker.join().unwrap();
    }
    let stored = stored.load(Ordering::SeqCst);
    (stored as f64 / elapsed.as_secs_f64(), stored)
}

#[test]
#[ignore = "a benchmark: run by hand with --ignored --nocapture"]
fn mail_figures() {
    let users = [
        ("a@acme.example", PASSWORD),
        ("b@acme.example", PASSWORD),
        ("c@beta.example", PASSWORD),
    ];
    let Some(dovecot) = Dovecot::start(&users) else { return };
    let Some(polling) = Dovecot::start_offering(&users, "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE UNSELECT UIDPLUS MOVE")
    else {
        return;
    };
    let config = "[mail]\npoll_secs = 2\n[outbox]\ntimeout_secs = 10\nallow_private_targets = true\n";

    // 1. From arrival to notification: with IDLE, then by polling every 2 s.
    let app = TestApp::spawn_with(config);
    let idle = latencies(&app, &dovecot, "a@acme.example", 50);
    drop(app);
    let app = TestApp::spawn_with(config);
    let polled = latencies(&app, &polling, "b@acme.example", 50);
    drop(app);

    // 2. and 3. A mailbox of 1,000 unread e-mails, filed while leads arrive.
    let app = TestApp::spawn_with(config);
    let beta = add_company(&app.store, "Beta", 2);
    let mut imap = Imap::login(dovecot.port, "c@beta.example", PASSWORD);
    for i in 0..1000 {
        imap.append(
            "INBOX",
            &mail(
                &format!("m{i}@example.com"),
                &format!("Anfrage {i}"),
                &[],
                "Guten Tag,\nbitte um ein Angebot.",
            ),
        );
    }
    let (alone, alone_n) = lead_rate(&app, 4, Duration::from_secs(10), || false);
    let beta_tickets = format!("SELECT COUNT(*) AS n FROM tickets WHERE company_id = {}", beta.id);
    let started = Instant::now();
    set_mailbox(&app, "Beta", &dovecot, "c@beta.example");
    let (during, during_n) = lead_rate(&app, 4, Duration::from_secs(1), || count(&app, &beta_tickets) < 1000);
    let import = started.elapsed();
    wait_until("1,000 filed", Duration::from_secs(600), || {
        (count(&app, &beta_tickets) == 1000).then_some(())
    });
    let import = import.max(started.elapsed());

    println!("FIGURES (one run, SQLite, both Dovecots on 127.0.0.1)");
    println!(
        "arrival → notification, IDLE:    p50 {:?}, p90 {:?}, max {:?} (n = {})",
        p(&idle, 0.5),
        p(&idle, 0.9),
        idle.last().unwrap(),
        idle.len()
    );
    println!(
        "arrival → notification, polling every 2 s: p50 {:?}, p90 {:?}, max {:?} (n = {})",
        p(&polled, 0.5),
        p(&polled, 0.9),
        polled.last().unwrap(),
        polled.len()
    );
    println!(
        "import of 1,000 unread e-mails: {:.1} s, {:.0} e-mails/s",
        import.as_secs_f64(),
        1000.0 / import.as_secs_f64()
    );
    println!(
        "leads/s (4 clients, Connection: close): {alone:.0} without an import ({alone_n} leads), {during:.0} during it ({during_n} leads): ratio {:.2}",
        during / alone
    );
}
