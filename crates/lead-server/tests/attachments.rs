//! Files a form sends with its lead (issue 29), black-box: a plain form's file parts and JSON's
//! `attachments`, the limits of `[attachments]` (413, nothing stored), types read from the
//! bytes (a refused one leaves a note), and the download — with a token, or with a webhook's
//! signed link — as an attachment no browser runs.

mod common;

use std::time::Duration;

use common::pages::first_employee_session;
use common::team::intruder;
use common::{cli, cli_with_env, token_for, wait_until, Receiver, Response, TestApp};
use serde_json::Value;

/// A PNG of one pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D,
    0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// The start of a Windows program.
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00";

/// A part of a multipart body: a field, or a file (with its name).
enum Part<'a> {
    Field(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

const BOUNDARY: &str = "----lead-test-boundary";

fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Field(name, value) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            ),
            Part::File(name, filename, data) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(data);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn post_multipart(app: &TestApp, parts: &[Part<'_>]) -> Response {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    app.server.request(
        "POST",
        "/api/v1/lead.php",
        &[("X-API-KEY", &app.acme.key), ("Content-Type", &content_type)],
        &multipart(parts),
    )
}

fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn ticket_with(files: &[(&str, &[u8])]) -> String {
    let attachments: Vec<Value> = files
        .iter()
        .map(|(name, data)| serde_json::json!({"filename": name, "content_type": "image/png", "data": base64(data)}))
        .collect();
    serde_json::json!({"type": "ticket", "email": "kunde@beispiel.de", "message": "Foto anbei", "attachments": attachments})
        .to_string()
}

fn get(app: &TestApp, path: &str, token: &str) -> Response {
    app.team("GET", path, token, "")
}

fn get_json(app: &TestApp, path: &str, token: &str) -> Value {
    get(app, path, token).json()
}

backend_test! {
fn a_plain_forms_files_are_kept_with_the_lead_and_downloaded_as_attachments() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let answer = post_multipart(&app, &[
        Part::Field("type", "ticket"),
        Part::Field("email", "kunde@beispiel.de"),
        Part::Field("message", "Das Paket kam beschädigt an"),
        Part::File("foto", "../../home/erika/Paket.png", PNG),
        Part::File("liste", "liste.csv", "Menge;Artikel\n2;Tasse\n".as_bytes()),
        Part::File("foto2", "urlaub.jpg", EXE),
        // An empty file input, as browsers send it: no file.
        Part::File("leer", "", b""),
    ]);
    assert_eq!(answer.status, 200, "{}", answer.text());
    let id = answer.json()["id"].as_i64().unwrap();

    let ticket = get(&app, &format!("/api/v1/tickets/{id}"), &token).json();
    let files = ticket["attachments"].as_array().unwrap().clone();
    assert_eq!(files.len(), 2, "{ticket}");
    assert_eq!(files[0]["filename"], "Paket.png", "no path");
    assert_eq!(files[0]["content_type"], "image/png");
    assert_eq!(files[0]["size"], PNG.len());
    assert_eq!(files[0]["scan"], "off", "no scanner configured");
    assert_eq!(files[1]["filename"], "liste.csv");
    assert_eq!(files[1]["content_type"], "text/csv");
    // What the website sent is kept, the files' bytes apart.
    let kept = &ticket["payload"]["attachments"];
    assert_eq!(kept.as_array().unwrap().len(), 3, "every file that came is named: {kept}");
    assert_eq!(kept[2]["filename"], "urlaub.jpg");
    assert!(kept[0]["sha256"].as_str().unwrap().len() == 64);
    assert!(ticket["extra"].get("attachments").is_none(), "not shown as a field");

    // The program called urlaub.jpg is not kept: a note says so, in the notes API and the page.
    let notes = get(&app, &format!("/api/v1/tickets/{id}/notes"), &token).json();
    assert_eq!(notes["items"][0]["text"], "Anhang „urlaub.jpg“ nicht angenommen: Dateityp", "{notes}");
    assert_eq!(notes["items"][0]["author"], Value::Null, "the server's own note");

    let file_id = files[0]["id"].as_i64().unwrap();
    let download = get(&app, &format!("/api/v1/attachments/{file_id}"), &token);
    assert_eq!(download.status, 200, "{}", download.text());
    assert_eq!(download.body, PNG);
    assert_eq!(download.header("content-type"), Some("image/png"));
    assert_eq!(
        download.header("content-disposition"),
        Some("attachment; filename=\"Paket.png\"; filename*=UTF-8''Paket.png")
    );
    assert_eq!(download.header("x-content-type-options"), Some("nosniff"));
    assert!(download.header("content-security-policy").unwrap().starts_with("sandbox"));

    // Another company's employee, no token, a file that is not there: nothing.
    let (_, other) = intruder(&app);
    get(&app, &format!("/api/v1/attachments/{file_id}"), &other).assert_error(404, "not_found", None);
    get(&app, &format!("/api/v1/attachments/{file_id}"), "").assert_error(401, "unauthorized", None);
    get(&app, "/api/v1/attachments/999999", &token).assert_error(404, "not_found", None);
}
}

backend_test! {
fn json_attachments_are_decoded_and_every_limit_refuses_the_whole_lead() {
    let app = TestApp::spawn_with(
        "[attachments]\nmax_file_bytes = 2000\nmax_files = 2\nmax_total_bytes = 3000\n",
    );
    let token = token_for(&app.store, app.acme.employees[0]);
    let big = vec![b'x'; 2001];
    let half = vec![b'y'; 1600];
    for (files, why) in [
        (vec![("gross.txt", &big[..])], "Die Datei „gross.txt“ ist zu groß"),
        (vec![("a.txt", &b"a"[..]), ("b.txt", b"b"), ("c.txt", b"c")], "Zu viele Dateien: höchstens 2"),
        (vec![("a.txt", &half[..]), ("b.txt", &half[..])], "zusammen zu groß"),
    ] {
        let answer = app.post_lead(&app.acme.key, &ticket_with(&files));
        answer.assert_error(413, "payload_too_large", None);
        assert!(answer.json()["message"].as_str().unwrap().contains(why), "{}", answer.text());
    }
    let form = post_multipart(&app, &[
        Part::Field("type", "ticket"),
        Part::Field("email", "kunde@beispiel.de"),
        Part::Field("message", "m"),
        Part::File("f", "gross.txt", &big),
    ]);
    form.assert_error(413, "payload_too_large", None);
    // Not base64, not a list of files: the field is named.
    for bad in [r#"{"filename":"a.png","data":"SGFsbG8="}"#, r#"[{"filename":"a.png","data":"***"}]"#, r#"[{"filename":"a.png"}]"#] {
        let body = format!(r#"{{"type":"ticket","email":"a@b.de","message":"m","attachments":{bad}}}"#);
        app.post_lead(&app.acme.key, &body).assert_error(400, "invalid_field", Some("attachments"));
    }
    // Sizes come before fields: too many files and no address is a 413, as with a form.
    let no_email = serde_json::json!({"type": "ticket", "message": "m",
        "attachments": [{"data": "YQ=="}, {"data": "Yg=="}, {"data": "Yw=="}]});
    app.post_lead(&app.acme.key, &no_email.to_string()).assert_error(413, "payload_too_large", None);
    // A JSON body past the body limit that carries no files is refused as before.
    let long = format!(r#"{{"type":"ticket","email":"a@b.de","message":"m","x":"{}"}}"#, "z".repeat(70_000));
    app.post_lead(&app.acme.key, &long).assert_error(413, "payload_too_large", None);
    app.assert_nothing_stored();

    // Within the limits: stored, and the same body again is the same lead (its files too).
    let body = ticket_with(&[("foto.png", PNG), ("notiz.txt", "Grüße".as_bytes())]);
    let first = app.post_lead(&app.acme.key, &body);
    assert_eq!(first.status, 200, "{}", first.text());
    let again = app.post_lead(&app.acme.key, &body);
    assert_eq!(again.json()["id"], first.json()["id"], "a retry, not a second lead");
    let other_file = ticket_with(&[("foto.png", PNG), ("notiz.txt", "Hallo".as_bytes())]);
    assert_ne!(app.post_lead(&app.acme.key, &other_file).json()["id"], first.json()["id"], "another file: another lead");
    let id = first.json()["id"].as_i64().unwrap();
    let ticket = get(&app, &format!("/api/v1/tickets/{id}"), &token).json();
    let names: Vec<&str> = ticket["attachments"].as_array().unwrap().iter().map(|f| f["filename"].as_str().unwrap()).collect();
    assert_eq!(names, ["foto.png", "notiz.txt"]);
    assert_eq!(ticket["attachments"][1]["content_type"], "text/plain");
    let text = get(&app, &format!("/api/v1/attachments/{}", ticket["attachments"][1]["id"]), &token);
    assert_eq!(text.text(), "Grüße");

    // Kept under its type's extension: whoever saves and opens it opens text.
    let script = app.post_lead(&app.acme.key, &ticket_with(&[("rechnung.bat", b"@echo off\r\ndel *.*\r\n")]));
    let script = get_json(&app, &format!("/api/v1/tickets/{}", script.json()["id"]), &token);
    assert_eq!(script["attachments"][0]["filename"], "rechnung.bat.txt");
    assert_eq!(script["payload"]["attachments"][0]["filename"], "rechnung.bat", "as sent");
    // A field of that name that holds no files stays what the website sent.
    let link = serde_json::json!({"type": "ticket", "email": "a@b.de", "message": "m", "attachments": "siehe E-Mail"});
    let link = app.post_lead(&app.acme.key, &link.to_string());
    assert_eq!(link.status, 200, "{}", link.text());
    let link = get_json(&app, &format!("/api/v1/tickets/{}", link.json()["id"]), &token);
    assert_eq!(link["attachments"], serde_json::json!([]));
    assert_eq!(link["payload"]["attachments"], "siehe E-Mail");
    assert!(!ticket["payload"].to_string().contains(&base64(PNG)), "no bytes in the payload");
}
}

backend_test! {
fn a_signed_link_downloads_without_a_token_until_it_expires() {
    let app = TestApp::spawn();
    let answer = app.post_lead(&app.acme.key, &ticket_with(&[("foto.png", PNG)]));
    let id = answer.json()["id"].as_i64().unwrap();
    let token = token_for(&app.store, app.acme.employees[0]);
    let file = get(&app, &format!("/api/v1/tickets/{id}"), &token).json()["attachments"][0]["id"].as_i64().unwrap();
    // The installation's key, as the server made it (shared by every instance).
    let key = app.store.access().server_secret_or_make("download_links", || unreachable!()).unwrap();
    let now = lead_domain::Timestamp::now().millis() / 1000;
    let path = |link: String| link.trim_start_matches("http://x").to_owned();
    let link = path(lead_auth::download_link("http://x", &key, file, now));
    let download = app.server.request("GET", &link, &[], b"");
    assert_eq!(download.status, 200, "{}", download.text());
    assert_eq!(download.body, PNG);
    assert!(download.header("content-disposition").unwrap().starts_with("attachment"));

    let expired = path(lead_auth::download_link("http://x", &key, file, now - lead_auth::LINK_VALID_SECS - 1));
    app.server.request("GET", &expired, &[], b"").assert_error(403, "forbidden", None);
    let forged = link.replace("signature=", "signature=0");
    app.server.request("GET", &forged, &[], b"").assert_error(403, "forbidden", None);
    let other_file = link.replace(&format!("/attachments/{file}?"), &format!("/attachments/{}?", file + 1));
    app.server.request("GET", &other_file, &[], b"").assert_error(403, "forbidden", None);
}
}

backend_test! {
fn an_erasure_takes_the_files_and_an_export_writes_them() {
    let app = TestApp::spawn();
    let token = token_for(&app.store, app.acme.employees[0]);
    let id = app.post_lead(&app.acme.key, &ticket_with(&[("foto.png", PNG)])).json()["id"].as_i64().unwrap();
    let file = get(&app, &format!("/api/v1/tickets/{id}"), &token).json()["attachments"][0]["id"].as_i64().unwrap();

    let folder = app.db.dir.path().join("export");
    let output = cli(&app.db.url, &[
        "person", "export", "--company", "Acme", "--email", "KUNDE@beispiel.de", "--files", folder.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["tickets"][0]["attachments"][0]["filename"], "foto.png");
    assert_eq!(std::fs::read(folder.join(format!("{file}-foto.png"))).unwrap(), PNG);
    // Never over an existing file.
    let again = cli(&app.db.url, &[
        "person", "export", "--company", "Acme", "--email", "kunde@beispiel.de", "--files", folder.to_str().unwrap(),
    ]);
    assert!(!again.status.success());

    let erased = cli(&app.db.url, &["person", "erase", "--company", "Acme", "--email", "kunde@beispiel.de", "--yes"]);
    assert!(erased.status.success(), "{}", String::from_utf8_lossy(&erased.stderr));
    get(&app, &format!("/api/v1/attachments/{file}"), &token).assert_error(404, "not_found", None);
    assert!(app.store.privacy().attachment(app.acme.id, lead_store::AttachmentId::new(file)).is_err(), "gone from the database");
}
}

backend_test! {
fn the_leads_page_lists_its_files_and_previews_only_raster_images() {
    let app = TestApp::spawn();
    let (cookie, _) = first_employee_session(&app);
    let get = |path: &str| app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"");
    let id = app.post_lead(&app.acme.key, &ticket_with(&[("foto.png", PNG), ("brief.pdf", b"%PDF-1.7\n")])).json()["id"]
        .as_i64()
        .unwrap();
    let page = get(&format!("/app/tickets/{id}")).text();
    assert!(page.contains("Anhänge"), "{page}");
    let token = token_for(&app.store, app.acme.employees[0]);
    let files = get_json(&app, &format!("/api/v1/tickets/{id}"), &token)["attachments"].clone();
    let (png, pdf) = (files[0]["id"].as_i64().unwrap(), files[1]["id"].as_i64().unwrap());
    assert!(page.contains(&format!(r#"<a href="/app/anhaenge/{png}" download>foto.png</a>"#)), "{page}");
    assert!(page.contains(&format!(r#"src="/app/anhaenge/{png}?vorschau""#)), "a photo is previewed");
    assert!(!page.contains(&format!("/app/anhaenge/{pdf}?vorschau")), "a PDF is not");
    assert!(page.contains("ungeprüft (kein Virenscanner)"), "{page}");

    let preview = get(&format!("/app/anhaenge/{png}?vorschau"));
    assert_eq!(preview.status, 200);
    assert!(preview.header("content-disposition").unwrap().starts_with("inline"));
    let pdf_asked_inline = get(&format!("/app/anhaenge/{pdf}?vorschau"));
    assert!(pdf_asked_inline.header("content-disposition").unwrap().starts_with("attachment"), "never inline");
    assert_eq!(pdf_asked_inline.header("content-type"), Some("application/pdf"));
    // Not logged in: the login page, never the file.
    let stranger = app.server.request("GET", &format!("/app/anhaenge/{png}"), &[], b"");
    assert_ne!(stranger.body, PNG);
    assert_ne!(stranger.status, 200);
}
}

backend_test! {
fn a_webhook_carries_each_file_with_a_link_that_works_without_a_token() {
    let receiver = Receiver::start(vec![]);
    let app = TestApp::spawn_with("[outbox]\nallow_private_targets = true\n");
    let added = cli_with_env(
        &app.db.url,
        &["webhook", "add", "--company", "Acme", "--url", &receiver.url],
        &[("LEAD_OUTBOX_ALLOW_PRIVATE", "1")],
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    app.post_lead(&app.acme.key, &ticket_with(&[("foto.png", PNG)]));
    let received = wait_until("the webhook", Duration::from_secs(15), || receiver.received().into_iter().next());
    let file = &received.json()["data"]["attachments"][0];
    assert_eq!(file["filename"], "foto.png");
    let url = file["url"].as_str().unwrap();
    let path = &url[url.find("/api/v1/attachments/").expect("under public_url")..];
    assert!(path.contains("expires=") && path.contains("signature="), "{url}");
    let download = app.server.request("GET", path, &[], b"");
    assert_eq!(download.status, 200, "{}", download.text());
    assert_eq!(download.body, PNG);
}
}
