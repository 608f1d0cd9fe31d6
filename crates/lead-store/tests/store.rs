//! lead-store's operations on a fresh temporary SQLite database.

use lead_domain::Lead;
use lead_store::{Store, StoreConfig, StoreError, Tenant, Totals};

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nested/folder/leads.db").display());
    let store = Store::open(&StoreConfig::new(url)).unwrap();
    (dir, store)
}

fn tenant(store: &Store, name: &str, hash: &str) -> Tenant {
    let company_id = store.add_company(name).unwrap();
    let key_id = store.add_key(company_id, "lgw_test", hash, "").unwrap();
    store.add_employee(company_id, "Erika", "erika@example.de").unwrap();
    Tenant { company_id, key_id }
}

fn order() -> Lead {
    Lead::parse(br#"{"type":"order","email":"a@b.de","total":10}"#).unwrap()
}

#[test]
fn opening_creates_the_folder_and_migrates() {
    let (dir, store) = open();
    assert!(dir.path().join("nested/folder/leads.db").exists());
    assert_eq!(store.totals().unwrap(), Totals::default());
    store.check_health().unwrap();
}

#[test]
fn a_key_revoked_after_lookup_records_nothing() {
    let (_dir, store) = open();
    let acme = tenant(&store, "Acme", &"a".repeat(64));
    let found = store.find_key_by_hash(&"a".repeat(64)).unwrap().unwrap();
    assert!(found.key_active && found.company_active);
    store.revoke_key(acme.key_id).unwrap();
    assert!(matches!(
        store.record_lead(acme, &order(), "{}"),
        Err(StoreError::KeyNotValid)
    ));
    store.set_company_active(acme.company_id, false).unwrap();
    assert_eq!(store.totals().unwrap(), Totals::default());

    let beta = tenant(&store, "Beta", &"b".repeat(64));
    store.set_company_active(beta.company_id, false).unwrap();
    assert!(matches!(
        store.record_lead(beta, &order(), "{}"),
        Err(StoreError::KeyNotValid)
    ));
    store.set_company_active(beta.company_id, true).unwrap();
    let recorded = store.record_lead(beta, &order(), "{}").unwrap();
    assert_eq!(recorded.notified, 1);
}

#[test]
fn a_key_of_one_company_cannot_record_for_another() {
    let (_dir, store) = open();
    let acme = tenant(&store, "Acme", &"a".repeat(64));
    let beta = tenant(&store, "Beta", &"b".repeat(64));
    let forged = Tenant {
        company_id: beta.company_id,
        key_id: acme.key_id,
    };
    assert!(matches!(
        store.record_lead(forged, &order(), "{}"),
        Err(StoreError::KeyNotValid)
    ));
}

#[test]
fn keys_are_found_by_id_exact_prefix_or_unique_start() {
    let (_dir, store) = open();
    let company = store.add_company("Acme").unwrap();
    store.add_key(company, "lgw_AAAA1111", &"1".repeat(64), "").unwrap();
    store.add_key(company, "lgw_AAAA2222", &"2".repeat(64), "").unwrap();
    store.add_key(company, "lgw_AAAA", &"3".repeat(64), "").unwrap();
    assert_eq!(store.find_key("2").unwrap().prefix, "lgw_AAAA2222");
    assert_eq!(store.find_key("lgw_AAAA1").unwrap().id, 1);
    assert_eq!(store.find_key("lgw_AAAA").unwrap().id, 3, "an exact match wins");
    assert!(matches!(store.find_key("lgw_A"), Err(StoreError::Conflict(m)) if m.contains("1, 2, 3")));
    assert!(matches!(store.find_key("lgw_B"), Err(StoreError::NotFound(_))));
    assert!(matches!(store.find_key("9"), Err(StoreError::NotFound(_))));
    assert!(matches!(
        store.add_key(company, "x", &"1".repeat(64), ""),
        Err(StoreError::Conflict(_))
    ));
}

#[test]
fn the_demo_is_created_once_and_only_on_an_empty_database() {
    let (_dir, store) = open();
    let demo = store
        .create_demo_if_empty("lgw_demo", &"d".repeat(64))
        .unwrap()
        .unwrap();
    assert_eq!(store.find_company("Demo").unwrap().id, demo.company_id);
    assert_eq!(store.create_demo_if_empty("lgw_demo", &"e".repeat(64)).unwrap(), None);
    assert_eq!(store.list_companies().unwrap().len(), 1);

    let (_dir, other) = open();
    other.add_company("Existing").unwrap();
    assert_eq!(other.create_demo_if_empty("lgw_demo", &"d".repeat(64)).unwrap(), None);
}

#[test]
fn unknown_hashes_are_not_found() {
    let (_dir, store) = open();
    assert_eq!(store.find_key_by_hash(&"f".repeat(64)).unwrap(), None);
}

/// Opens a second, raw connection to the same file: for injecting faults and holding locks.
fn raw(dir: &tempfile::TempDir) -> diesel::SqliteConnection {
    use diesel::Connection;
    let path = dir.path().join("nested/folder/leads.db");
    diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap()
}

fn order_from(email: &str) -> Lead {
    Lead::parse(format!(r#"{{"type":"order","email":"{email}","total":1}}"#).as_bytes()).unwrap()
}

#[test]
fn one_bad_lead_does_not_fail_its_neighbours() {
    use diesel::connection::SimpleConnection;
    let (dir, store) = open();
    let acme = tenant(&store, "Acme", &"a".repeat(64));
    raw(&dir)
        .batch_execute(
            "CREATE TRIGGER no_bad BEFORE INSERT ON web_orders WHEN NEW.email = 'bad@x.de' \
             BEGIN SELECT RAISE(ABORT, 'bad lead'); END;",
        )
        .unwrap();
    // Queued without waiting, so the writer takes them in as few batches as it can.
    let pending: Vec<_> = (0..50)
        .map(|i| {
            let email = if i == 25 {
                "bad@x.de".to_owned()
            } else {
                format!("k{i}@x.de")
            };
            store
                .submit_lead(acme, order_from(&email), "{}".into(), Default::default())
                .unwrap()
        })
        .collect();
    let outcomes: Vec<_> = pending.into_iter().map(|p| p.wait()).collect();
    assert!(
        matches!(outcomes[25], Err(StoreError::Database(_))),
        "{:?}",
        outcomes[25]
    );
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 49);
    let totals = store.totals().unwrap();
    assert_eq!(
        (totals.orders, totals.notifications),
        (49, 49),
        "the bad lead left nothing behind"
    );
    // Leads of one batch share its timestamp: fewer distinct times than leads proves that
    // the bad lead's neighbours were committed in the same transaction as its attempt.
    let orders = store.list_orders(acme.company_id, None, None, None).unwrap();
    let mut times: Vec<i64> = orders.iter().map(|o| o.created_at).collect();
    times.dedup();
    assert!(
        times.len() < 49,
        "the 50 leads were committed in batches, not one by one"
    );
}

#[test]
fn a_full_queue_is_refused_at_once_and_nothing_is_lost() {
    use diesel::connection::SimpleConnection;
    let dir = tempfile::tempdir().unwrap();
    let mut config = StoreConfig::new(format!(
        "sqlite://{}",
        dir.path().join("nested/folder/leads.db").display()
    ));
    config.write_queue = 2;
    config.busy_timeout = std::time::Duration::from_secs(30);
    let store = Store::open(&config).unwrap();
    let acme = tenant(&store, "Acme", &"a".repeat(64));

    // Another process holds the write lock: the writer stalls and the queue fills up.
    let mut blocker = raw(&dir);
    blocker.batch_execute("BEGIN IMMEDIATE;").unwrap();
    // The first lead reaches the writer, which then waits for the lock…
    let mut accepted = vec![store
        .submit_lead(acme, order_from("first@x.de"), "{}".into(), Default::default())
        .unwrap()];
    std::thread::sleep(std::time::Duration::from_millis(200));
    // …so two more fit the queue, and the rest are refused at once.
    let mut refused = 0;
    for i in 0..9 {
        match store.submit_lead(acme, order_from(&format!("k{i}@x.de")), "{}".into(), Default::default()) {
            Ok(pending) => accepted.push(pending),
            Err(StoreError::Busy) => refused += 1,
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!((accepted.len(), refused), (3, 7));
    blocker.batch_execute("COMMIT;").unwrap();
    let committed = accepted.into_iter().map(|p| p.wait()).filter(Result::is_ok).count();
    assert_eq!(committed, 3);
    assert_eq!(
        store.totals().unwrap().orders as usize,
        committed,
        "every accepted lead is stored"
    );
}

#[test]
fn the_queue_is_bounded_in_bytes_too() {
    use diesel::connection::SimpleConnection;
    let dir = tempfile::tempdir().unwrap();
    let mut config = StoreConfig::new(format!(
        "sqlite://{}",
        dir.path().join("nested/folder/leads.db").display()
    ));
    config.write_queue_bytes = 200 * 1024; // three bodies of 64 KiB, and a little
    config.busy_timeout = std::time::Duration::from_secs(30);
    let store = Store::open(&config).unwrap();
    let acme = tenant(&store, "Acme", &"a".repeat(64));
    let mut blocker = raw(&dir);
    blocker.batch_execute("BEGIN IMMEDIATE;").unwrap();
    let first = store
        .submit_lead(acme, order_from("first@x.de"), "{}".into(), Default::default())
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(64 * 1024 - 12));
    let outcomes: Vec<_> = (0..5)
        .map(|i| store.submit_lead(acme, order_from(&format!("k{i}@x.de")), big.clone(), Default::default()))
        .collect();
    let accepted = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(accepted, 3, "200 KiB hold three 64 KiB bodies");
    assert!(outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .all(|e| matches!(e, StoreError::Busy)));
    blocker.batch_execute("COMMIT;").unwrap();
    first.wait().unwrap();
    for pending in outcomes.into_iter().flatten() {
        pending.wait().unwrap();
    }
    assert_eq!(store.totals().unwrap().orders, 4);
}

#[test]
fn an_expired_dashboard_session_lets_nobody_in() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreConfig::new(format!(
        "sqlite://{}",
        dir.path().join("s.db").display()
    )))
    .unwrap();
    let company = store.add_company("Acme").unwrap();
    let employee = store.add_employee(company, "Eva", "eva@acme.example").unwrap();
    let now = lead_domain::Timestamp::now().millis();
    let live = store
        .start_session(employee, "127.0.0.1", "lgt_live", "hash-live", now + 60_000)
        .unwrap();
    let expired = store
        .start_session(employee, "127.0.0.1", "lgt_old", "hash-old", now - 1)
        .unwrap();
    assert!(store.token_is_valid(live).unwrap());
    assert!(!store.token_is_valid(expired).unwrap());
    assert!(store
        .find_token_by_hash("hash-old")
        .unwrap()
        .is_some_and(|t| !t.token_active));
    store.end_session(live).unwrap();
    assert!(!store.token_is_valid(live).unwrap(), "logged out");
}

#[test]
fn login_attempts_are_reserved_and_locked_per_account_and_client() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreConfig::new(format!(
        "sqlite://{}",
        dir.path().join("s.db").display()
    )))
    .unwrap();
    let company = store.add_company("Acme").unwrap();
    let employee = store.add_employee(company, "Eva", "eva@acme.example").unwrap();
    for _ in 0..3 {
        assert!(store.reserve_login_attempt(employee, "203.0.113.7").unwrap());
    }
    assert!(
        store.note_failed_login(employee, "203.0.113.7", 3, 60_000).unwrap(),
        "the third wrong one locks"
    );
    assert!(
        !store.reserve_login_attempt(employee, "203.0.113.7").unwrap(),
        "locked: not even checked"
    );
    assert!(
        store.reserve_login_attempt(employee, "198.51.100.1").unwrap(),
        "another address is not locked"
    );
    let refused = store.start_session(employee, "203.0.113.7", "lgt_x", "hash-x", i64::MAX);
    assert!(matches!(refused, Err(StoreError::Conflict(_))), "{refused:?}");
    store.set_employee_password(employee, Some("$argon2id$new")).unwrap();
    assert!(
        store.reserve_login_attempt(employee, "203.0.113.7").unwrap(),
        "a new password lifts the lock"
    );
}
