//! The contact form with a proof of work (docs/examples/contact-form-challenge.html) in
//! headless Chromium: the real ALTCHA widget, served by this server, fetches its challenge
//! across origins, solves it in the browser, and the lead reaches the team — not spam.
//! Skipped, saying so, where Chromium is not installed (`.ci/run` installs it).

mod common;

use common::browser::{wait_for, Browser, Website};
use common::examples::{filled, set_origins};
use common::{cli, TestApp};

#[test]
fn the_widget_solves_the_servers_challenge_in_a_real_browser() {
    let Some(browser) = Browser::start() else { return };
    let app = TestApp::spawn_with_config(TestApp::FRESH_KEYS);
    let lead_server = format!("http://{}", app.server.addr);
    let page = filled(
        "contact-form-challenge.html",
        &[("https://YOUR-SERVER", &lead_server), ("YOUR_API_KEY", &app.acme.key)],
    );
    let site = Website::new().serve(vec![("/kontakt.html", page)]);
    set_origins(&app, &site);
    let required = cli(&app.db.url, &["key", "challenge", &app.acme.key_id.to_string(), "on"]);
    assert!(
        required.status.success(),
        "{}",
        String::from_utf8_lossy(&required.stderr)
    );

    browser.open(&format!("{site}/kontakt.html"));
    let label = wait_for("the widget", || {
        let text = browser.text("altcha-widget");
        (!text.is_empty()).then_some(text)
    });
    assert!(label.contains("Ich bin kein Roboter"), "in German: {label}");
    browser.type_into("#email", "max@beispiel.de");
    browser.type_into("#message", "Bitte rufen Sie mich an.");
    browser.click("#send");
    let heading = wait_for("the answer page", || {
        let url = browser.url();
        url.starts_with(&lead_server).then(|| browser.text("h1"))
    });
    browser.screenshot("contact-form-challenge-thanks");
    assert_eq!(heading, "Vielen Dank!");

    let tickets = app
        .store
        .team()
        .leads::<lead_store::TicketRecord>(app.acme.id, &Default::default())
        .unwrap();
    assert_eq!(tickets.len(), 1, "for the team, not held as spam");
    assert_eq!(tickets[0].message, "Bitte rufen Sie mich an.");
    let extra = lead_domain::extra_fields(&tickets[0].payload);
    assert!(
        !extra.contains_key("altcha"),
        "the proof is no part of the lead: {extra:?}"
    );
    let log = app.store.intake().list_submissions(&Default::default()).unwrap();
    assert!(log.iter().all(|entry| entry.note.is_none()), "{log:?}");
}

/// docs/api.md shows what the tested example has, in both languages.
#[test]
fn the_docs_show_the_examples_widget() {
    let example = std::fs::read_to_string(common::examples::example("contact-form-challenge.html")).unwrap();
    let docs = std::fs::read_to_string(common::examples::example("../api.md")).unwrap();
    let script = r#"<script src="https://YOUR-SERVER/altcha/altcha.js" defer></script>"#;
    let widget = r#"<altcha-widget challenge="https://YOUR-SERVER/api/v1/challenge?key=YOUR_API_KEY""#;
    for line in [script, widget] {
        assert!(example.contains(line), "the example has {line}");
        assert!(docs.contains(line), "the English docs show {line}");
        let german = line
            .replace("YOUR-SERVER", "IHR-SERVER")
            .replace("YOUR_API_KEY", "IHR_API_KEY");
        assert!(docs.contains(&german), "the German docs show {german}");
    }
    assert!(example.contains(r#"language="de" auto="onsubmit"></altcha-widget>"#));
    assert_eq!(
        docs.matches(r#"language="de" auto="onsubmit"></altcha-widget>"#)
            .count(),
        2
    );
}
