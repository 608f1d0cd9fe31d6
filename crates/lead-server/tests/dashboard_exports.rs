//! CSV exports within their budget: at most `[dashboard] exports` at once on the server and one
//! per employee — beyond, `429` at once with `Retry-After` and a German page — and leads keep
//! arriving while exports run.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::pages::log_in;
use common::TestApp;

const PASSWORD: &str = "Ein-gutes-Passwort";
const ORDERS: i64 = 10_000;

/// `ORDERS` orders of Acme, each with a message long enough that an export of them is
/// megabytes: more than a client that stops reading lets through.
fn seed_orders(app: &TestApp) {
    let key = app.store.access().list_keys(Some(app.acme.id)).unwrap()[0].id;
    let company = app.acme.id;
    let now = lead_domain::Timestamp::now().millis() - 3_600_000;
    let message = "Bitte an die Packstation liefern, werktags ab neun Uhr. ".repeat(8);
    let columns =
        "company_id, api_key_id, email, email_normalized, title, message, total_cents, status, payload, created_at";
    let values = format!(
        "{company}, {key}, 'kunde' || i || '@beispiel.de', 'kunde' || i || '@beispiel.de', 'Bestellung ' || i, \
         '{message}', 100 * i, 'new', '{{}}', {now} + i"
    );
    app.db.execute(
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ORDERS}) \
             INSERT INTO web_orders ({columns}) SELECT {values} FROM n"
        ),
        &format!("INSERT INTO web_orders ({columns}) SELECT {values} FROM generate_series(1, {ORDERS}) AS i"),
    );
}

/// An export whose client reads the answer's head and then nothing: the export stays under
/// way (its place taken) until the connection is dropped.
fn held_export(app: &TestApp, cookie: &str) -> TcpStream {
    let mut stream = TcpStream::connect(app.server.addr).unwrap();
    let request = format!("GET /app/orders/export.csv HTTP/1.1\r\nHost: test\r\nCookie: {cookie}\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = Vec::new();
    let mut byte = [0; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "the answer's head");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    stream
}

backend_test! {
fn exports_beyond_the_budget_are_refused_at_once_while_leads_keep_arriving() {
    let app = TestApp::spawn_with("[dashboard]\nexports = 2\n");
    seed_orders(&app);
    let mut employees = app.acme.employees.clone();
    for n in 0..2 {
        employees.push(app.store.access().add_employee(app.acme.id, &format!("Export {n}"), &format!("export{n}@acme.example")).unwrap());
    }
    let hash = lead_auth::hash_password(PASSWORD).unwrap();
    let sessions: Vec<String> = employees
        .iter()
        .map(|employee| {
            app.store.access().set_employee_password(*employee, Some(&hash)).unwrap();
            let email = app.store.access().find_employee(*employee).unwrap().email;
            log_in(&app, &email, PASSWORD).1.unwrap().0
        })
        .collect();

    // Two exports under way fill the server's budget.
    let held = [held_export(&app, &sessions[0]), held_export(&app, &sessions[1])];
    let export = |cookie: &str| app.server.request("GET", "/app/orders/export.csv", &[("Cookie", cookie)], b"");
    let (answers, leads) = std::thread::scope(|scope| {
        let leads = scope.spawn(|| {
            (0..40)
                .map(|n| app.post_lead(&app.acme.key, &format!(r#"{{"type":"order","email":"neu{n}@beispiel.de","total":5}}"#)).status)
                .collect::<Vec<_>>()
        });
        // Eight more at once, two from each employee: all refused at once.
        let exports: Vec<_> = sessions
            .iter()
            .flat_map(|cookie| [cookie, cookie])
            .map(|cookie| scope.spawn(move || (cookie, export(cookie))))
            .collect();
        let answers: Vec<_> = exports.into_iter().map(|export| export.join().unwrap()).collect();
        (answers, leads.join().unwrap())
    });
    for (cookie, answer) in &answers {
        assert_eq!(answer.status, 429, "{}", answer.text());
        assert_eq!(answer.header("retry-after"), Some("1"));
        let text = answer.text();
        let why = if [&sessions[0], &sessions[1]].contains(cookie) {
            "Ihr vorheriger Export läuft noch"
        } else {
            "Es laufen gerade so viele Exporte"
        };
        assert!(text.contains(why), "{why}: {text}");
    }
    assert!(leads.iter().all(|status| *status == 200), "{leads:?}");
    let orders = app.db.number("SELECT COUNT(*) AS n FROM web_orders");
    assert_eq!(orders, ORDERS + 40);

    // A client gone gives its place back; the next export is whole.
    drop(held);
    let csv = lead_testkit::wait_until("a free place", Duration::from_secs(10), || {
        let answer = export(&sessions[2]);
        (answer.status == 200).then(|| String::from_utf8(answer.body).unwrap())
    });
    let ids: Vec<i64> = csv.lines().skip(1).map(|line| line.split(';').next().unwrap().parse().unwrap()).collect();
    assert_eq!(ids.len() as i64, orders, "every order, once");
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "newest first");
}
}
