//! E-mail, black-box: the real server sending to an SMTP sink on 127.0.0.1.

use std::time::Duration;

use lead_testkit::{backend_test, cli, last_line, wait_until, Mail, SmtpSink, TestApp};
use serde_json::Value;

fn config(sink: &SmtpSink, extra: &str) -> String {
    format!(
        "[smtp]\nurl = \"{}\"\nfrom = \"CRM Acme <crm@acme.example>\"\n{extra}[outbox]\nretry_schedule_secs = [0, 1]\n[server]\npublic_url = \"https://crm.acme.example\"\n",
        sink.url
    )
}

fn wait_for(sink: &SmtpSink, count: usize) -> Vec<Mail> {
    wait_until(&format!("{count} e-mails at the sink"), Duration::from_secs(15), || {
        let mails = sink.mails();
        (mails.len() >= count).then_some(mails)
    })
}

fn deliveries(app: &TestApp) -> Vec<Value> {
    serde_json::from_str(&last_line(&cli(
        &app.db.url,
        &["outbox", "list", "--channel", "email", "--json"],
    )))
    .unwrap()
}

fn employee_email(app: &TestApp, n: usize) -> String {
    app.store.access().find_employee(app.acme.employees[n]).unwrap().email
}

backend_test! {
    fn every_employee_who_wants_one_gets_the_german_mail() {
        let sink = SmtpSink::start(vec![]);
        let app = TestApp::spawn_with(&config(&sink, ""));
        only_first_employee_mailed(&app);

        let id = app
            .post_lead(
                &app.acme.key,
                r#"{"type":"order","email":"kunde@example.com","subject":"Brötchen","total":"1.234,50","message":"Bitte <b>früh</b>","phone":"0301234"}"#,
            )
            .json()["id"]
            .clone();
        let mails = wait_for(&sink, 1);
        assert_eq!(mails.len(), 1, "only the employee who wants e-mail");
        let mail = &mails[0];
        assert_eq!(mail.to, [employee_email(&app, 0)]);
        assert_eq!(mail.from, "crm@acme.example");
        assert_eq!(mail.header("Subject").unwrap(), "Neue Bestellung über 1.234,50 €");
        let raw_subject = mail.data.lines().find(|l| l.starts_with("Subject: ")).unwrap();
        assert!(raw_subject.is_ascii() && raw_subject.contains("=?utf-8?b?"), "RFC 2047 on the wire: {raw_subject}");
        assert!(mail.header("Reply-To").unwrap().contains("kunde@example.com"));
        assert!(mail.header("From").unwrap().contains("CRM Acme"));
        let text = mail.text();
        for expected in [
            "Betreff: Brötchen",
            "Betrag: 1.234,50 €",
            "phone: 0301234",
            "Bitte <b>früh</b>",
            "Bitte &lt;b&gt;früh&lt;/b&gt;",
            &format!("https://crm.acme.example/app/orders/{id}"),
        ] {
            assert!(text.contains(expected), "{expected:?} in {text}");
        }
        // The time in the team's zone (Europe/Berlin by default), not UTC.
        let created = app
            .store
            .team().lead::<lead_store::OrderRecord>(app.acme.id, lead_store::OrderId::new(id.as_i64().unwrap()))
            .unwrap()
            .created_at;
        let berlin = lead_domain::TimeZone::get("Europe/Berlin").unwrap();
        let local = format!("Eingegangen: {}", created.to_german_in(&berlin));
        assert!(text.contains(&local), "{local:?} in {text}");

        assert_eq!(
            app.post_lead(&app.acme.key, r#"{"type":"ticket","email":"a@example.com","subject":"Hilfe","message":"Geht nicht","attachments":[{"filename":"notiz.txt","data":"SGFsbG8="}]}"#)
                .status,
            200
        );
        let mails = wait_for(&sink, 2);
        assert_eq!(mails[1].header("Subject").unwrap(), "Neues Ticket: „Hilfe“");
        let text = mails[1].text();
        assert!(text.contains("Geht nicht"));
        // Its file, linked behind the dashboard's login (never a link that works without it).
        assert!(text.contains("Anhang „notiz.txt“ (5 Bytes)"), "{text}");
        assert!(text.contains("https://crm.acme.example/app/anhaenge/"), "{text}");
        assert!(!text.contains("signature="), "{text}");
        wait_until("both recorded", Duration::from_secs(5), || {
            deliveries(&app).iter().all(|d| d["status"] == "delivered").then_some(())
        });
        assert_eq!(deliveries(&app)[0]["last_status"], 250);
    }
}

#[test]
fn a_temporary_refusal_is_retried_and_a_permanent_one_fails_with_the_answer() {
    let sink = SmtpSink::start(vec![451]);
    let app = TestApp::spawn_with(&config(&sink, ""));
    only_first_employee_mailed(&app);
    post_order(&app);
    wait_for(&sink, 1);
    assert_eq!(sink.refused(), [451]);
    let delivered = wait_until("delivered", Duration::from_secs(5), || {
        deliveries(&app)
            .into_iter()
            .next()
            .filter(|d| d["status"] == "delivered")
    });
    assert_eq!(delivered["attempts"], 2, "451, then 250");

    let refusing = SmtpSink::start(vec![550, 550, 550]);
    let app = TestApp::spawn_with(&config(&refusing, ""));
    only_first_employee_mailed(&app);
    post_order(&app);
    let failed = wait_until("failed", Duration::from_secs(5), || {
        deliveries(&app).into_iter().next().filter(|d| d["status"] == "failed")
    });
    assert_eq!(failed["attempts"], 1, "a 5xx is not retried");
    assert_eq!(failed["last_status"], 550);
    assert!(failed["last_error"].as_str().unwrap().contains("scripted"), "{failed}");
    assert!(refusing.mails().is_empty());
}

backend_test! {
    fn the_sender_is_confirmed_only_when_switched_on_never_for_spam_and_capped() {
        let sink = SmtpSink::start(vec![]);
        let app = TestApp::spawn_with(&config(&sink, "confirmations_per_key_per_day = 2\n"));
        let post = |n: usize, extra: &str| {
            let body = format!(r#"{{"type":"ticket","email":"sender{n}@example.com","subject":"Frage {n}","message":"Meine Nachricht {n}"{extra}}}"#);
            assert_eq!(app.post_lead(&app.acme.key, &body).status, 200);
        };
        post(0, "");
        wait_for(&sink, 2);
        assert!(cli(&app.db.url, &["key", "confirm", &app.acme.key_id.to_string(), "on"]).status.success());
        post(1, r#","_gotcha":"bot""#);
        post(2, "");
        post(3, "");
        post(4, "");
        // Two employees for each of three real leads, two confirmations (the cap), nothing for spam.
        wait_for(&sink, 2 + 6 + 2);
        // Once every e-mail owed is recorded as delivered, nothing more comes.
        let owed = wait_until("every e-mail recorded", Duration::from_secs(10), || {
            let owed = deliveries(&app);
            owed.iter().all(|d| d["status"] == "delivered").then_some(owed)
        });
        assert_eq!(owed.len(), 2 + 6 + 2);
        let mails_now = sink.mails();
        assert_eq!(mails_now.len(), owed.len(), "one e-mail per delivery");
        let confirmations: Vec<&Mail> = mails_now.iter().filter(|m| m.to[0].starts_with("sender")).collect();
        assert_eq!(confirmations.len(), 2, "capped at two a day");
        assert!(confirmations.iter().all(|m| m.to[0] != "sender0@example.com" && m.to[0] != "sender1@example.com"));
        let first = confirmations.iter().find(|m| m.to[0] == "sender2@example.com").expect("the first confirmed");
        assert_eq!(first.header("Subject").unwrap(), "Eingangsbestätigung: „Frage 2“");
        let text = first.text();
        assert!(text.contains("Meine Nachricht 2") && text.contains("Acme"), "{text}");
        assert!(mails_now.iter().all(|m| m.to[0] != "sender1@example.com"), "no confirmation for spam");
    }
}

/// An order from a@example.com, taken (200).
fn post_order(app: &TestApp) {
    let answer = app.post_lead(&app.acme.key, r#"{"type":"order","email":"a@example.com","total":5}"#);
    assert_eq!(answer.status, 200, "{}", answer.text());
}

/// Turns e-mail off for Acme's second employee.
fn only_first_employee_mailed(app: &TestApp) {
    let quiet = app.acme.employees[1].to_string();
    assert!(cli(&app.db.url, &["employee", "notify", &quiet, "--email", "off"])
        .status
        .success());
}

backend_test! {
    fn an_address_beyond_ascii_is_mailed_with_smtputf8_and_fails_visibly_without() {
        for offered in [true, false] {
            let sink = SmtpSink::start_offering(vec![], offered);
            let app = TestApp::spawn_with(&config(&sink, ""));
            // Only the confirmation to the sender: the employees get none.
            for n in 0..2 {
                let employee = app.acme.employees[n].to_string();
                assert!(cli(&app.db.url, &["employee", "notify", &employee, "--email", "off"]).status.success());
            }
            assert!(cli(&app.db.url, &["key", "confirm", &app.acme.key_id.to_string(), "on"]).status.success());
            let body = r#"{"type":"ticket","email":"jürgen@beispiel.de","subject":"Frage","message":"Grüße"}"#;
            assert_eq!(app.post_lead(&app.acme.key, body).status, 200);
            let owed = wait_until("the confirmation recorded", Duration::from_secs(15), || {
                let owed = deliveries(&app);
                owed.iter().all(|d| d["status"] != "pending").then_some(owed).filter(|o| !o.is_empty())
            });
            if offered {
                let mails = wait_for(&sink, 1);
                assert_eq!(mails[0].to, ["jürgen@beispiel.de"]);
                assert!(mails[0].smtputf8, "MAIL FROM asks for SMTPUTF8");
                assert_eq!(owed[0]["status"], "delivered");
            } else {
                // Refused before anything is sent, once (another try would meet the same relay).
                assert!(sink.mails().is_empty());
                assert_eq!(owed[0]["status"], "failed", "{owed:?}");
                assert_eq!(owed[0]["attempts"], 1);
                assert!(owed[0]["last_error"].as_str().unwrap().contains("SMTPUTF8"), "{owed:?}");
            }
        }
    }
}
