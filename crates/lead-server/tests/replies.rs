//! Answering the customer, black-box: the team replies to a lead through the team API; the
//! reply leaves through the outbox from the company's mailbox address into an SMTP sink on
//! 127.0.0.1, threaded (`Message-ID`, `In-Reply-To`, `References`), with the customer's message
//! quoted; the conversation reads back oldest first; a ticket waits for the customer.

mod common;

use std::time::Duration;

use common::team::{intruder, ok, post, set_mailbox};
use common::{cli, cli_with_env, token_for, wait_until, Mail, Receiver, SmtpSink, TestApp};
use serde_json::Value;

/// A server that sends e-mail to `sink`; the employees want none, so the sink sees replies only.
fn app_with_smtp(sink: &SmtpSink) -> TestApp {
    let app = TestApp::spawn_with(&format!(
        "[smtp]\nurl = \"{}\"\nfrom = \"CRM <crm@server.example>\"\n[outbox]\nretry_schedule_secs = [0, 1]\nallow_private_targets = true\n",
        sink.url
    ));
    common::mail_off(&app, &app.acme.employees);
    app
}

fn wait_for_mails(sink: &SmtpSink, count: usize) -> Vec<Mail> {
    wait_until(&format!("{count} e-mails at the sink"), Duration::from_secs(15), || {
        let mails = sink.mails();
        (mails.len() >= count).then_some(mails)
    })
}

fn messages_in_db(app: &TestApp) -> i64 {
    app.db.number("SELECT COUNT(*) AS n FROM messages")
}

/// The conversation of `path`'s lead once every reply in it is delivered.
fn delivered_conversation(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    wait_until("every reply delivered", Duration::from_secs(15), || {
        let items = ok(app.team("GET", path, token, ""))["items"]
            .as_array()
            .unwrap()
            .clone();
        items
            .iter()
            .filter(|item| item["direction"] == "out")
            .all(|item| item["delivery"] == "delivered")
            .then_some(items)
    })
}

backend_test! {
fn a_reply_leaves_threaded_from_the_companys_address_and_the_ticket_waits_for_the_customer() {
    let sink = SmtpSink::start(vec![]);
    let app = app_with_smtp(&sink);
    let hooks = Receiver::start(vec![]);
    let added = cli_with_env(
        &app.db.url,
        &["webhook", "add", "--company", "Acme", "--url", &hooks.url, "--events", "ticket.pending,ticket.closed"],
        &[("LEAD_OUTBOX_ALLOW_PRIVATE", "1")],
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let token = token_for(&app.store, app.acme.employees[0]);
    let ticket = post(
        &app,
        &app.acme,
        r#"{"type":"ticket","email":"kunde@example.com","subject":"Lieferung am Samstag?","message":"Geht Samstag?\nDanke"}"#,
    );
    let path = format!("/api/v1/tickets/{ticket}/messages");

    // Without a mailbox there is no address to answer from: refused, nothing stored or sent.
    let refused = app.team("POST", &path, &token, r#"{"text":"Ja, gern."}"#);
    refused.assert_error(409, "conflict", None);
    assert!(refused.json()["message"].as_str().unwrap().contains("E-Mail-Postfach"), "{}", refused.text());
    assert_eq!(messages_in_db(&app), 0);
    assert_eq!(ok(app.team("GET", &format!("/api/v1/tickets/{ticket}"), &token, ""))["status"], "open");

    set_mailbox(&app, &[]);
    for (body, code) in [(r#"{"text":"   "}"#, "missing_field"), (r#"{}"#, "missing_field"), (r#"{"text":7}"#, "invalid_field")] {
        app.team("POST", &path, &token, body).assert_error(400, code, Some("text"));
    }
    let too_long = format!(r#"{{"text":"{}"}}"#, "x".repeat(10_001));
    app.team("POST", &path, &token, &too_long).assert_error(400, "invalid_field", Some("text"));
    app.team("POST", "/api/v1/tickets/999999/messages", &token, r#"{"text":"Hallo"}"#).assert_error(404, "not_found", None);
    let (_, stranger) = intruder(&app);
    app.team("POST", &path, &stranger, r#"{"text":"Hallo"}"#).assert_error(404, "not_found", None);
    app.team("GET", &path, &stranger, "").assert_error(404, "not_found", None);
    assert_eq!(messages_in_db(&app), 0, "nothing stored by a refused reply");

    let first = app.team("POST", &path, &token, r#"{"text":"Guten Tag,\n\nja, Samstag passt."}"#);
    assert_eq!(first.status, 201, "{}", first.text());
    let first = first.json();
    let subject = format!("Re: Lieferung am Samstag? [#T{ticket}]");
    assert_eq!(first["direction"], "out");
    assert_eq!(first["source"], "email");
    assert_eq!(first["subject"], subject.as_str());
    assert_eq!(first["to"], "kunde@example.com");
    assert!(first["from"].as_str().unwrap().contains("<service@acme.example>"), "{first}");
    assert_eq!(first["author"]["id"], app.acme.employees[0].get());
    let first_id = first["message_id"].as_str().unwrap().to_owned();
    assert!(first_id.ends_with("@acme.example"), "{first_id}");
    assert_eq!(ok(app.team("GET", &format!("/api/v1/tickets/{ticket}"), &token, ""))["status"], "pending");
    let waiting = ok(app.team("GET", "/api/v1/tickets?status=pending", &token, ""));
    assert_eq!(waiting["items"].as_array().unwrap().len(), 1, "{waiting}");
    let told = wait_until("ticket.pending at the webhook", Duration::from_secs(15), || {
        hooks.received().first().map(|hook| hook.json())
    });
    assert_eq!(told["type"], "ticket.pending");
    assert_eq!(told["data"]["status"], "pending");

    let mails = wait_for_mails(&sink, 1);
    let mail = &mails[0];
    assert_eq!(mail.to, ["kunde@example.com"]);
    assert_eq!(mail.from, "service@acme.example");
    assert_eq!(mail.header("Subject").unwrap(), subject);
    assert_eq!(mail.header("Message-ID").unwrap(), format!("<{first_id}>"));
    assert!(mail.header("In-Reply-To").is_none(), "nothing came by e-mail before it");
    assert!(mail.header("From").unwrap().contains("Acme Service"));
    let text = mail.text().replace("\r\n", "\n");
    assert!(text.contains("ja, Samstag passt."), "{text}");
    assert!(text.contains("schrieb kunde@example.com:"), "{text}");
    assert!(text.contains("> Geht Samstag?\n> Danke"), "the customer's message quoted: {text}");

    // The second continues the thread.
    let second = ok_created(app.team("POST", &path, &token, r#"{"text":"Noch eine Frage: vormittags?"}"#));
    let second_id = second["message_id"].as_str().unwrap().to_owned();
    let mails = wait_for_mails(&sink, 2);
    assert_eq!(mails[1].header("In-Reply-To").unwrap(), format!("<{first_id}>"));
    assert_eq!(mails[1].header("References").unwrap(), format!("<{first_id}>"));
    assert_eq!(mails[1].header("Message-ID").unwrap(), format!("<{second_id}>"));

    // The conversation: what the website sent, then each reply, delivered.
    let items = delivered_conversation(&app, &path, &token);
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0]["id"], Value::Null);
    assert_eq!(items[0]["source"], "website");
    assert_eq!(items[0]["direction"], "in");
    assert_eq!(items[0]["from"], "kunde@example.com");
    assert_eq!(items[0]["text"], "Geht Samstag?\nDanke");
    assert_eq!(items[1]["message_id"], first_id.as_str());
    assert_eq!(items[2]["message_id"], second_id.as_str());
    assert_eq!(items[1]["delivery"], "delivered");

    // Pending is a status between open and closed: either way out of it.
    let closed = ok(app.team("POST", &format!("/api/v1/tickets/{ticket}/close"), &token, ""));
    assert_eq!(closed["status"], "closed");
    ok_created(app.team("POST", &path, &token, r#"{"text":"Doch noch etwas."}"#));
    assert_eq!(ok(app.team("GET", &format!("/api/v1/tickets/{ticket}"), &token, ""))["status"], "pending");
    let reopened = ok(app.team("POST", &format!("/api/v1/tickets/{ticket}/reopen"), &token, ""));
    assert_eq!(reopened["status"], "open");
    wait_for_mails(&sink, 3);
    // Pending once per answer awaited: the second reply (already pending) told no one.
    let events = wait_until("three events at the webhook", Duration::from_secs(15), || {
        let received = hooks.received();
        (received.len() >= 3).then_some(received)
    });
    let mut types: Vec<String> = events.iter().map(|hook| hook.json()["type"].as_str().unwrap().to_owned()).collect();
    types.sort();
    assert_eq!(types, ["ticket.closed", "ticket.pending", "ticket.pending"]);
}
}

backend_test! {
fn an_order_is_answered_with_its_own_tag_and_keeps_its_status() {
    let sink = SmtpSink::start(vec![]);
    let app = app_with_smtp(&sink);
    set_mailbox(&app, &[]);
    let token = token_for(&app.store, app.acme.employees[1]);
    let order = post(&app, &app.acme, r#"{"type":"order","email":"shop@example.com","total":"12,50"}"#);
    let path = format!("/api/v1/orders/{order}/messages");
    let reply = ok_created(app.team("POST", &path, &token, r#"{"text":"Ihre Bestellung ist unterwegs."}"#));
    assert_eq!(reply["subject"], format!("Re: Web-Bestellung [#B{order}]").as_str());
    let mail = &wait_for_mails(&sink, 1)[0];
    assert_eq!(mail.to, ["shop@example.com"]);
    assert!(!mail.text().contains("schrieb"), "an order without a message quotes nothing");
    assert_eq!(ok(app.team("GET", &format!("/api/v1/orders/{order}"), &token, ""))["status"], "new");
    let items = delivered_conversation(&app, &path, &token);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["text"], "");
    assert_eq!(items[1]["author"]["id"], app.acme.employees[1].get());
}
}

fn ok_created(response: common::Response) -> Value {
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

backend_test! {
fn replies_at_once_thread_one_after_the_other_and_report_the_ticket_pending_once() {
    let sink = SmtpSink::start(vec![]);
    let app = app_with_smtp(&sink);
    set_mailbox(&app, &[]);
    let hooks = Receiver::start(vec![]);
    let added = cli_with_env(
        &app.db.url,
        &["webhook", "add", "--company", "Acme", "--url", &hooks.url, "--events", "ticket.pending"],
        &[("LEAD_OUTBOX_ALLOW_PRIVATE", "1")],
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let token = token_for(&app.store, app.acme.employees[0]);
    let ticket = post(&app, &app.acme, r#"{"type":"ticket","email":"kunde@example.com","message":"Hallo?"}"#);
    let path = format!("/api/v1/tickets/{ticket}/messages");
    let answers: Vec<_> = std::thread::scope(|scope| {
        let (app, path, token) = (&app, &path, &token);
        let posts: Vec<_> = (0..6)
            .map(|n| scope.spawn(move || app.team("POST", path, token, &format!(r#"{{"text":"Antwort {n}"}}"#))))
            .collect();
        posts.into_iter().map(|post| post.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|answer| answer.status == 201), "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    // Each answers the one before it: one thread, no two replies to the same parent.
    let items = ok(app.team("GET", &path, &token, ""))["items"].as_array().unwrap().clone();
    for pair in items[1..].windows(2) {
        let (parent, child) = (pair[0]["message_id"].as_str().unwrap(), pair[1]["message_id"].as_str().unwrap());
        let answers_it = app.db.number(&format!(
            "SELECT COUNT(*) AS n FROM messages WHERE message_id = '{child}' AND in_reply_to = '{parent}'"
        ));
        assert_eq!(answers_it, 1, "{child} answers {parent}: {items:?}");
    }
    let owed = common::last_line(&cli(&app.db.url, &["outbox", "list", "--json"]));
    assert_eq!(owed.matches("\"ticket.pending\"").count(), 1, "{owed}");
}
}
