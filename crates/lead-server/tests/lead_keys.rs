//! Who may send a lead: the API key in the header or the query (401 / 403, always before the
//! body is looked at), and the rate limits per client and per key (429).

mod common;

use common::leads::{assert_success, order, ORDER};
use common::{add_company, Response, TestApp};

backend_test! {
fn the_key_may_come_in_the_query() {
    let app = TestApp::spawn();
    let path = format!("/api/v1/lead.php?key={}", app.acme.key);
    assert_success(&app.server.request("POST", &path, &[], ORDER.as_bytes()), "order");
}
}

backend_test! {
fn the_header_wins_over_the_query() {
    let app = TestApp::spawn();
    let good_header = app.server.request(
        "POST",
        "/api/v1/lead.php?key=wrong-key-123",
        &[("X-API-KEY", &app.acme.key)],
        ORDER.as_bytes(),
    );
    assert_success(&good_header, "order");
    let bad_header = app.server.request(
        "POST",
        &format!("/api/v1/lead?key={}", app.acme.key),
        &[("X-API-KEY", "wrong-key-123")],
        ORDER.as_bytes(),
    );
    bad_header.assert_error(403, "invalid_api_key", None);
    assert_eq!(app.totals().orders, 1);
}
}

backend_test! {
fn no_key_or_an_empty_key_is_401() {
    let app = TestApp::spawn();
    let cases: [(&str, &[(&str, &str)]); 4] = [
        ("/api/v1/lead.php", &[]),
        ("/api/v1/lead.php?key=", &[]),
        ("/api/v1/lead.php", &[("X-API-KEY", "")]),
        ("/api/v1/lead.php?other=1", &[("X-API-KEY", "   ")]),
    ];
    for (path, headers) in cases.into_iter().chain([("/api/v1/lead?key=%20%20", &[][..])]) {
        app.server
            .request("POST", path, headers, ORDER.as_bytes())
            .assert_error(401, "missing_api_key", None);
    }
    app.assert_nothing_stored();
}
}

backend_test! {
fn unknown_revoked_and_deactivated_company_keys_are_one_and_the_same_403() {
    let app = TestApp::spawn();
    let revoked = add_company(&app.store, "Revoked GmbH", 1);
    app.store.access().revoke_key(lead_store::Scope::Everyone, revoked.key_id).unwrap();
    let inactive = add_company(&app.store, "Inactive GmbH", 1);
    app.store.access().set_company_active(inactive.id, false).unwrap();

    let answers: Vec<Response> = [
        "lgw_unknownunknownunknownunknownunknownunknow",
        &revoked.key,
        &inactive.key,
    ]
    .iter()
    .map(|key| app.post_lead(key, ORDER))
    .collect();
    for answer in &answers {
        answer.assert_error(403, "invalid_api_key", None);
    }
    assert!(
        answers.windows(2).all(|pair| pair[0].body == pair[1].body),
        "the answers must not tell the cases apart"
    );
    app.assert_nothing_stored();

    app.store.access().set_company_active(inactive.id, true).unwrap();
    assert_success(&app.post_lead(&inactive.key, ORDER), "order");
}
}

backend_test! {
fn authentication_comes_before_the_body() {
    let app = TestApp::spawn();
    // Garbage and oversized bodies: the key decides first.
    app.server
        .request("POST", "/api/v1/lead.php", &[], b"not json at all")
        .assert_error(401, "missing_api_key", None);
    app.post_lead("wrong-key-123", "{{{{")
        .assert_error(403, "invalid_api_key", None);
    let huge = vec![b'x'; 200 * 1024];
    app.server
        .request("POST", "/api/v1/lead.php", &[], &huge)
        .assert_error(401, "missing_api_key", None);
    app.server
        .request("POST", "/api/v1/lead.php", &[("X-API-KEY", "wrong-key-123")], &huge)
        .assert_error(403, "invalid_api_key", None);
    // A declared 1 MB body that never comes: answered at once, without waiting for it.
    app.server
        .request("POST", "/api/v1/lead.php", &[("Content-Length", "1000000")], b"{")
        .assert_error(401, "missing_api_key", None);
    // With a valid key, size comes before JSON.
    app.server
        .request("POST", "/api/v1/lead.php", &[("X-API-KEY", &app.acme.key)], &huge)
        .assert_error(413, "payload_too_large", None);
    app.assert_nothing_stored();
}
}

/// Posts `n` orders one after the other and returns the statuses.
fn statuses(app: &TestApp, n: usize, headers: &[(&str, &str)]) -> Vec<u16> {
    (0..n)
        .map(|n| {
            app.server
                .request("POST", "/api/v1/lead.php", headers, order(n).as_bytes())
                .status
        })
        .collect()
}

backend_test! {
fn a_client_over_its_rate_gets_429_with_retry_after_and_nothing_is_stored() {
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 2\nper_key = 0\n");
    let key = [("X-API-KEY", app.acme.key.as_str())];
    let answers = statuses(&app, 12, &key);
    let stored = answers.iter().filter(|s| **s == 200).count();
    assert!((4..=6).contains(&stored), "a burst of twice the rate, then 429: {answers:?}");
    assert!(answers.ends_with(&[429, 429]), "{answers:?}");
    let limited = app.server.request("POST", "/api/v1/lead.php", &key, ORDER.as_bytes());
    limited.assert_error(429, "rate_limited", None);
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert_eq!(app.totals().orders as usize, stored);
    // The per-IP limit comes first: even without a key the answer is 429, not 401.
    app.server.request("POST", "/api/v1/lead.php", &[], ORDER.as_bytes()).assert_error(429, "rate_limited", None);
    // The limit refills with time (a refused try uses up nothing, and stores nothing).
    lead_testkit::eventually("the rate refilled", std::time::Duration::from_secs(5), || {
        app.post_lead(&app.acme.key, &order(99)).status == 200
    });
    assert_eq!(app.totals().orders as usize, stored + 1);
}
}

backend_test! {
fn a_key_over_its_rate_gets_429_and_other_keys_go_on() {
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 0\nper_key = 2\n");
    let answers = statuses(&app, 10, &[("X-API-KEY", app.acme.key.as_str())]);
    assert!(answers.contains(&429) && answers[0] == 200, "{answers:?}");
    let other = add_company(&app.store, "Other", 0);
    assert_eq!(app.post_lead(&other.key, ORDER).status, 200, "another website is not affected");
    // An invalid key is answered 403 whatever the limits: it never reaches its own.
    app.post_lead("wrong-key-123", ORDER).assert_error(403, "invalid_api_key", None);
}
}

#[test]
fn x_forwarded_for_counts_only_behind_a_trusted_proxy() {
    // Trusted: each forwarded client has its own limit.
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 1\nper_key = 0\ntrusted_proxies = [\"127.0.0.1\"]\n");
    fn from<'a>(app: &'a TestApp, ip: &'a str) -> [(&'a str, &'a str); 2] {
        [("X-API-KEY", app.acme.key.as_str()), ("X-Forwarded-For", ip)]
    }
    let first = statuses(&app, 5, &from(&app, "203.0.113.5"));
    assert_eq!(first.last(), Some(&429), "{first:?}");
    assert_eq!(statuses(&app, 1, &from(&app, "203.0.113.6")), [200], "another client");
    // A forged hop in front of the real one changes nothing: the proxy appends the client.
    assert_eq!(statuses(&app, 1, &from(&app, "198.51.100.1, 203.0.113.5")), [429]);
    // A proxy that appends `ip:port`: the entry is no address, so the walk ends there and the
    // peer counts — the client cannot pick an address of its own in front of it (before, the
    // unreadable entry was skipped and each made-up address got a limit of its own).
    let spoofed: Vec<u16> = (1..=5)
        .flat_map(|n| {
            let forwarded = format!("198.51.100.{n}, 203.0.113.9:4711");
            statuses(&app, 1, &from(&app, &forwarded))
        })
        .collect();
    assert!(spoofed.contains(&429), "{spoofed:?}");

    // Not trusted (the default): the header is ignored and all share the peer's limit.
    let app = TestApp::spawn_with_config("[limits]\nper_ip = 1\nper_key = 0\n");
    let answers: Vec<u16> = [
        "203.0.113.1",
        "203.0.113.2",
        "203.0.113.3",
        "203.0.113.4",
        "203.0.113.5",
    ]
    .iter()
    .flat_map(|ip| statuses(&app, 1, &from(&app, ip)))
    .collect();
    assert!(answers.contains(&429), "{answers:?}");
}

#[test]
fn rate_limits_come_from_the_environment_too() {
    let db = common::TestDb::new();
    let store = db.store();
    let acme = add_company(&store, "Acme", 0);
    let server = common::Server::start(
        &db.url,
        &[("LEAD_RATE_LIMIT_PER_IP", "1"), ("LEAD_RATE_LIMIT_PER_KEY", "0")],
    );
    let answers: Vec<u16> = (0..6)
        .map(|_| {
            server
                .request("POST", "/api/v1/lead", &[("X-API-KEY", &acme.key)], ORDER.as_bytes())
                .status
        })
        .collect();
    assert!(answers.contains(&429), "{answers:?}");
    let off = common::Server::start(
        &db.url,
        &[("LEAD_RATE_LIMIT_PER_IP", "0"), ("LEAD_RATE_LIMIT_PER_KEY", "0")],
    );
    let answers: Vec<u16> = (0..60)
        .map(|_| {
            off.request("POST", "/api/v1/lead", &[("X-API-KEY", &acme.key)], ORDER.as_bytes())
                .status
        })
        .collect();
    assert!(answers.iter().all(|s| *s == 200), "0 turns the limits off");
}
