//! The examples in docs/examples/ that send leads, run against the real server: the HTML form
//! and the fetch() page in headless Chromium (driven over WebDriver), the PHP cURL script and
//! the WordPress hook with PHP (the webhook examples are in `examples_webhooks.rs`). Each test
//! is skipped, saying so, where its tool is not installed (`.ci/run` installs them, and sets
//! `LEAD_TEST_REQUIRE_TOOLS` so that there a missing tool fails instead).

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::browser::{installed, wait_for, Browser, Website};
use common::examples::{example, filled, set_origins};
use common::TestApp;
use serde_json::{json, Value};

/// A PNG's first bytes in a file `name` in `dir`, for a visitor to choose: its path.
fn photo(dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0",
    )
    .unwrap();
    path
}

#[test]
fn the_html_form_example_works_in_a_real_browser() {
    let Some(browser) = Browser::start() else { return };
    let app = TestApp::spawn_with_config(TestApp::FRESH_KEYS);
    let lead_server = format!("http://{}", app.server.addr);
    let page = filled(
        "contact-form.html",
        &[("https://YOUR-SERVER", &lead_server), ("YOUR_API_KEY", &app.acme.key)],
    );
    let site = Website::new().serve(vec![("/kontakt.html", page)]);
    set_origins(&app, &site);

    // A photo to send along, chosen as a visitor would.
    let dir = tempfile::tempdir().unwrap();
    let photo = photo(dir.path(), "Paket.png");

    // Sent twice, as a visitor who goes back and sends again: the visitor sees the server's
    // German page each time, with a link back to the website, and there is one ticket.
    for _ in 0..2 {
        browser.open(&format!("{site}/kontakt.html"));
        browser.type_into("#email", "max@beispiel.de");
        browser.type_into("#subject", "Rückruf");
        browser.type_into("#message", "Bitte rufen Sie mich an.");
        browser.type_into("#phone", "030 123456");
        browser.type_into("#datei", photo.to_str().unwrap());
        browser.click("#send");
        let heading = wait_for("the answer page", || {
            let url = browser.url();
            url.starts_with(&lead_server).then(|| browser.text("h1"))
        });
        assert_eq!(heading, "Vielen Dank!");
    }
    browser.screenshot("contact-form-thanks");
    let href = browser.execute("const a = document.querySelector('main a'); return a ? a.href : '';");
    let href = href.as_str().unwrap_or_default();
    assert!(href.starts_with(&site), "the page links back to the website: {href}");
    let tickets = app
        .store
        .team()
        .leads::<lead_store::TicketRecord>(app.acme.id, &Default::default())
        .unwrap();
    assert_eq!(tickets.len(), 1, "stored once, and not as spam");
    assert_eq!(tickets[0].title, "Rückruf");
    assert_eq!(tickets[0].message, "Bitte rufen Sie mich an.");
    let files = &tickets[0].attachments;
    assert_eq!(files.len(), 1, "the photo came along: {files:?}");
    assert_eq!(
        (files[0].filename.as_str(), files[0].content_type.as_str()),
        ("Paket.png", "image/png")
    );
    let extra = lead_domain::extra_fields(&tickets[0].payload);
    assert_eq!(extra["phone"], "030 123456");
    assert!(
        !extra.contains_key("_gotcha"),
        "an empty honeypot is no extra field: {extra:?}"
    );
}

#[test]
fn the_fetch_example_works_across_origins_in_a_real_browser() {
    let Some(browser) = Browser::start() else { return };
    let app = TestApp::spawn_with_config(TestApp::FRESH_KEYS);
    let page = filled(
        "fetch.html",
        &[
            ("https://YOUR-SERVER", &format!("http://{}", app.server.addr)),
            ("YOUR_API_KEY", &app.acme.key),
        ],
    );
    let site = Website::new().serve(vec![("/bestellen.html", page)]);
    set_origins(&app, &site);

    browser.open(&format!("{site}/bestellen.html"));
    browser.click("#order");
    let result = wait_for("the answer on the page", || {
        let text = browser.text("#result");
        (!text.is_empty()).then_some(text)
    });
    let orders = app
        .store
        .team()
        .leads::<lead_store::OrderRecord>(app.acme.id, &Default::default())
        .unwrap();
    assert_eq!(result, format!("Danke! Bestellung {} ist eingegangen.", orders[0].id));
    assert_eq!(orders[0].total.cents(), 4990);

    // A second click is a retry of the same order: answered (the log has both), still one.
    browser.click("#order");
    lead_testkit::wait_until("the second click in the log", Duration::from_secs(10), || {
        (app.store.intake().list_submissions(&Default::default()).unwrap().len() >= 2).then_some(())
    });
    assert_eq!(
        app.store
            .team()
            .leads::<lead_store::OrderRecord>(app.acme.id, &Default::default())
            .unwrap()
            .len(),
        1
    );

    // The question with a photo, sent as FormData.
    let dir = tempfile::tempdir().unwrap();
    let photo = photo(dir.path(), "Kratzer.png");
    browser.type_into("#q-email", "max@beispiel.de");
    browser.type_into("#q-message", "Ist das ein Garantiefall?");
    browser.type_into("#q-file", photo.to_str().unwrap());
    browser.click("#ask");
    let asked = wait_for("the question's answer", || {
        let text = browser.text("#asked");
        (!text.is_empty()).then_some(text)
    });
    let tickets = app
        .store
        .team()
        .leads::<lead_store::TicketRecord>(app.acme.id, &Default::default())
        .unwrap();
    assert_eq!(asked, format!("Danke! Anfrage {} ist eingegangen.", tickets[0].id));
    let files = &tickets[0].attachments;
    let sent = std::fs::metadata(&photo).unwrap().len() as i64;
    assert_eq!((files[0].filename.as_str(), files[0].size), ("Kratzer.png", sent));
}

/// docs/api.md: the way without a CORS preflight is the key in the address and
/// `Content-Type: text/plain`; the `X-API-KEY` header costs a preflight.
#[test]
fn text_plain_with_the_key_in_the_address_needs_no_preflight_in_a_real_browser() {
    let Some(browser) = Browser::start() else { return };
    let app = TestApp::spawn();
    let server = format!("http://{}", app.server.addr);
    let page = format!(
        r#"<!doctype html><html><body>
<p id="plain"></p><p id="header"></p><button id="with-header">X-API-KEY</button>
<script>

const lead = (n) => JSON.stringify({{type: "ticket", email: "a@b.de", message: "Nr. " + n}});
fetch("{server}/api/v1/lead.php?key={key}", {{method: "POST", headers: {{"Content-Type": "text/plain"}}, body: lead(1)}})
  .then((r) => document.getElementById("plain").textContent = r.status);
document.getElementById("with-header").addEventListener("click", () =>
  fetch("{server}/api/v1/lead.php", {{method: "POST", headers: {{"X-API-KEY": "{key}"}}, body: lead(2)}})
    .then((r) => document.getElementById("header").textContent = r.status));
</script></body></html>"#,
        key = app.acme.key
    );
    let site = Website::new().serve(vec![("/anfrage.html", page)]);
    let preflights = || app.server.log().matches("\"OPTIONS /api/v1/lead.php").count();

    browser.open(&format!("{site}/anfrage.html"));
    let status = wait_for("the text/plain answer", || {
        Some(browser.text("#plain")).filter(|t| !t.is_empty())
    });
    assert_eq!(status, "200");
    // The access log is read by a thread of its own: wait until the lead's own line is in
    // it, so that a preflight before it would be too.
    wait_for("the text/plain lead in the access log", || {
        app.server.log().contains("\"POST /api/v1/lead.php?key=").then_some(())
    });
    assert_eq!(preflights(), 0, "no preflight for ?key= and text/plain");
    browser.click("#with-header");
    let status = wait_for("the X-API-KEY answer", || {
        Some(browser.text("#header")).filter(|t| !t.is_empty())
    });
    assert_eq!(status, "200");
    wait_for("the preflight in the access log", || (preflights() == 1).then_some(()));
    assert_eq!(app.totals().tickets, 2);
}

fn php(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new("php");
    command.args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[test]
fn the_php_example_sends_an_order_once() {
    if !installed("php") {
        return;
    }
    let app = TestApp::spawn();
    let url = format!("http://{}/api/v1/lead.php", app.server.addr);
    let script = example("lead.php");
    // The same submission sent twice (its id from the form's hidden field): one order.
    let submission = "3f0c9a7e2b5d4c1f8e6a9b0c7d2e4f51";
    let env = [
        ("LEAD_URL", url.as_str()),
        ("LEAD_KEY", app.acme.key.as_str()),
        ("LEAD_SUBMISSION", submission),
    ];
    for _ in 0..2 {
        let output = php(&[script.to_str().unwrap()], &env);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(String::from_utf8_lossy(&output.stdout).starts_with("stored: order "));
    }
    let orders = app
        .store
        .team()
        .leads::<lead_store::OrderRecord>(app.acme.id, &Default::default())
        .unwrap();
    assert_eq!(orders.len(), 1, "the Idempotency-Key makes the second run a retry");
    assert_eq!(orders[0].total.cents(), 123_450);
    // A new submission (a random id of its own) is a new order.
    let output = php(&[script.to_str().unwrap()], &env[..2]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        app.store
            .team()
            .leads::<lead_store::OrderRecord>(app.acme.id, &Default::default())
            .unwrap()
            .len(),
        2
    );
    // A wrong key: the script says why and fails.
    let output = php(
        &[script.to_str().unwrap()],
        &[("LEAD_URL", url.as_str()), ("LEAD_KEY", "lgw_wrong")],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("403 invalid_api_key"));
}

#[test]
fn the_wordpress_hook_sends_each_submission_as_a_ticket() {
    if !installed("php") {
        return;
    }
    let app = TestApp::spawn();
    let url = format!("http://{}/api/v1/lead.php", app.server.addr);
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/examples/wordpress-harness.php");
    let hook = example("wordpress-cf7.php");
    let run = |posted: Value| {
        let posted = posted.to_string();
        let env = [
            ("LEAD_URL", url.as_str()),
            ("LEAD_KEY", app.acme.key.as_str()),
            ("CF7_POSTED", &posted),
        ];
        php(&[harness.to_str().unwrap(), hook.to_str().unwrap()], &env)
    };
    let output = run(
        json!({"your-name": "Max", "your-email": "max@beispiel.de", "your-subject": "Angebot",
                            "your-message": "Was kostet das?", "acceptance": "1"}),
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let tickets = app
        .store
        .team()
        .leads::<lead_store::TicketRecord>(app.acme.id, &Default::default())
        .unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(
        (tickets[0].title.as_str(), tickets[0].message.as_str()),
        ("Angebot", "Was kostet das?")
    );
    let extra = lead_domain::extra_fields(&tickets[0].payload);
    assert_eq!(
        (extra["your-name"].as_str(), extra["form"].as_str()),
        (Some("Max"), Some("Kontaktformular"))
    );

    // A broken submission is logged by WordPress, and nothing is stored.
    let output = run(json!({"your-email": "kein-at-zeichen", "your-message": "x"}));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("lead-server: "),
        "logged"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid_field"));
    assert_eq!(app.totals().tickets, 1);
}
