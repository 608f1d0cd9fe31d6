//! The team's writes and notes are bounded: a record holds at most `[notes] per_record`
//! notes, they are read in pages (team API and dashboard), and one employee token or session
//! writes at most `[limits] per_token_writes` times a second.

mod common;

use common::pages::log_in;
use common::team::{ok, post};
use common::{cli_with_stdin, token_for, TestApp};

const PASSWORD: &str = "Ein-gutes-Passwort";

fn notes_in_db(app: &TestApp) -> i64 {
    app.db.number("SELECT COUNT(*) AS n FROM notes")
}

backend_test! {
fn a_record_holds_at_most_per_record_notes_read_in_pages() {
    let app = TestApp::spawn_with("[notes]\nper_record = 5\n");
    let token = token_for(&app.store, app.acme.employees[0]);
    let order = post(&app, &app.acme, r#"{"type":"order","email":"max@beispiel.de","total":5}"#);
    let path = format!("/api/v1/orders/{order}/notes");
    let mut written = Vec::new();
    for n in 1..=4 {
        let created = app.team("POST", &path, &token, &format!(r#"{{"text":"Notiz {n}"}}"#));
        assert_eq!(created.status, 201, "{}", created.text());
        written.push(created.json()["id"].as_i64().unwrap());
    }
    // The last place, wanted by six at once: one gets it.
    let at_once: Vec<_> = std::thread::scope(|scope| {
        let (app, path, token) = (&app, &path, &token);
        let posts: Vec<_> = (0..6)
            .map(|n| scope.spawn(move || app.team("POST", path, token, &format!(r#"{{"text":"Zugleich {n}"}}"#))))
            .collect();
        posts.into_iter().map(|post| post.join().unwrap()).collect()
    });
    let created: Vec<_> = at_once.iter().filter(|answer| answer.status == 201).collect();
    assert_eq!(created.len(), 1, "{:?}", at_once.iter().map(|a| a.status).collect::<Vec<_>>());
    assert_eq!(at_once.iter().filter(|answer| answer.status == 409).count(), 5);
    written.push(created[0].json()["id"].as_i64().unwrap());
    // Another is refused, and nothing is stored.
    let full = app.team("POST", &path, &token, r#"{"text":"Notiz 6"}"#);
    full.assert_error(409, "conflict", None);
    assert!(full.json()["message"].as_str().unwrap().contains("bereits 5 Notizen"), "{}", full.text());
    assert_eq!(notes_in_db(&app), 5);

    // Pages, oldest first, each naming where the next starts.
    let mut read = Vec::new();
    let mut cursor = String::new();
    for expected in [2, 2, 1] {
        let page = ok(app.team("GET", &format!("{path}?limit=2{cursor}"), &token, ""));
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), expected, "{page}");
        read.extend(items.iter().map(|note| note["id"].as_i64().unwrap()));
        cursor = match page["next_cursor"].as_str() {
            Some(next) => format!("&cursor={next}"),
            None => String::new(),
        };
    }
    assert_eq!(read, written);
    assert!(cursor.is_empty(), "the last page names no next one");
    let first = ok(app.team("GET", &path, &token, ""));
    assert_eq!(first["items"].as_array().unwrap().len(), 5, "50 by default");
    assert!(first["next_cursor"].is_null());
    app.team("GET", &format!("{path}?limit=0"), &token, "").assert_error(400, "invalid_field", Some("limit"));
    app.team("GET", &format!("{path}?limit=201"), &token, "").assert_error(400, "invalid_field", Some("limit"));
    app.team("GET", &format!("{path}?cursor=abc"), &token, "").assert_error(400, "invalid_field", Some("cursor"));

    // The dashboard says so too, and stores nothing.
    let employee = app.acme.employees[0].to_string();
    assert!(cli_with_stdin(&app.db.url, &["employee", "password", &employee], &format!("{PASSWORD}\n")).status.success());
    let email = app.store.access().find_employee(app.acme.employees[0]).unwrap().email;
    let (cookie, csrf) = log_in(&app, &email, PASSWORD).1.unwrap();
    let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    let body = format!("csrf={csrf}&text=Noch+eine");
    let refused = app.server.request("POST", &format!("/app/orders/{order}/notes"), &headers, body.as_bytes());
    assert_eq!(refused.status, 409);
    assert!(refused.text().contains("bereits 5 Notizen"), "{}", refused.text());
    assert_eq!(notes_in_db(&app), 5);
}
}

backend_test! {
fn a_record_page_shows_the_newest_fifty_notes_and_links_to_the_older() {
    let app = TestApp::spawn_with("[notes]\nper_record = 60\n");
    let employee = app.acme.employees[0];
    let member = app.acme.member(0);
    let ticket = post(&app, &app.acme, &common::team::ticket("max@beispiel.de"));
    let on = lead_store::NoteOn::Ticket(lead_store::TicketId::new(ticket));
    let ids: Vec<i64> = (1..=55)
        .map(|n| app.store.team().add_note(member, on, &format!("Notiz Nummer {n}.")).unwrap().id.get())
        .collect();
    assert!(cli_with_stdin(&app.db.url, &["employee", "password", &employee.to_string()], &format!("{PASSWORD}\n")).status.success());
    let email = app.store.access().find_employee(employee).unwrap().email;
    let (cookie, _) = log_in(&app, &email, PASSWORD).1.unwrap();
    let get = |path: &str| app.server.request("GET", path, &[("Cookie", cookie.as_str())], b"").text();

    let newest = get(&format!("/app/tickets/{ticket}"));
    assert!(newest.contains("Notiz Nummer 55.") && newest.contains("Notiz Nummer 6."), "the newest fifty");
    assert!(!newest.contains("Notiz Nummer 5."), "not the older");
    let older = format!("/app/tickets/{ticket}?notes_before={}#timeline", ids[5]);
    assert!(newest.contains(&format!("href=\"{older}\"")) && newest.contains("Ältere Notizen"), "{newest}");
    assert!(!newest.contains("Neueste Notizen"));

    let page = get(&format!("/app/tickets/{ticket}?notes_before={}", ids[5]));
    for n in 1..=5 {
        assert!(page.contains(&format!("Notiz Nummer {n}.")), "{n}");
    }
    assert!(!page.contains("Notiz Nummer 6.") && !page.contains("Ältere Notizen"));
    assert!(page.contains(&format!("href=\"/app/tickets/{ticket}#timeline\"")) && page.contains("Neueste Notizen"));
}
}

backend_test! {
fn writes_are_limited_per_token_and_session_and_reads_are_not() {
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 0\nper_key = 0\nper_token_writes = 1\n");
    let (first, second) = (app.acme.employees[0], app.acme.employees[1]);
    let token = token_for(&app.store, first);
    let order = post(&app, &app.acme, r#"{"type":"order","email":"max@beispiel.de","total":5}"#);
    let path = format!("/api/v1/orders/{order}/notes");
    // One a second, bursts of two: the burst passes, then writes are refused with when to
    // try again (six at once; however slow the machine, they take far less than four seconds).
    let answers: Vec<_> = (0..6).map(|n| app.team("POST", &path, &token, &format!(r#"{{"text":"Notiz {n}"}}"#))).collect();
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses[..2], [201, 201], "{statuses:?}");
    let refused = answers.iter().find(|a| a.status == 429).expect("a write beyond the limit");
    refused.assert_error(429, "rate_limited", None);
    assert!(refused.header("retry-after").is_some_and(|s| s.parse::<u64>().unwrap() >= 1));
    let created = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(notes_in_db(&app), created as i64, "nothing stored for a refused write");
    // Reads go on; another employee's token has its own count.
    for _ in 0..5 {
        ok(app.team("GET", &path, &token, ""));
    }
    let other = token_for(&app.store, second);
    assert_eq!(app.team("POST", &path, &other, r#"{"text":"Von nebenan"}"#).status, 201);

    // A dashboard session is held the same way.
    assert!(cli_with_stdin(&app.db.url, &["employee", "password", &second.to_string()], &format!("{PASSWORD}\n")).status.success());
    let email = app.store.access().find_employee(second).unwrap().email;
    let (cookie, csrf) = log_in(&app, &email, PASSWORD).1.unwrap();
    let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    let body = format!("csrf={csrf}&text=Im+Dashboard");
    let statuses: Vec<u16> = (0..6)
        .map(|_| app.server.request("POST", &format!("/app/orders/{order}/notes"), &headers, body.as_bytes()).status)
        .collect();
    assert_eq!(statuses[..2], [303, 303], "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    let saved = statuses.iter().filter(|s| **s == 303).count();
    assert_eq!(notes_in_db(&app), (created + 1 + saved) as i64);
    assert_eq!(app.server.request("GET", &format!("/app/orders/{order}"), &[("Cookie", cookie.as_str())], b"").status, 200);
}
}
