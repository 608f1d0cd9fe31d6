//! lead-store's operations on a fresh temporary SQLite database.

use lead_domain::LeadBody;
use lead_store::{Hold, Store, StoreConfig, StoreError, SubmitOptions, Tenant, Totals};

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

fn order() -> LeadBody {
    LeadBody::parse(r#"{"type":"order","email":"a@b.de","total":10}"#.into()).unwrap()
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
    assert!(matches!(store.record_lead(acme, order()), Err(StoreError::KeyNotValid)));
    store.set_company_active(acme.company_id, false).unwrap();
    assert_eq!(store.totals().unwrap(), Totals::default());

    let beta = tenant(&store, "Beta", &"b".repeat(64));
    store.set_company_active(beta.company_id, false).unwrap();
    assert!(matches!(store.record_lead(beta, order()), Err(StoreError::KeyNotValid)));
    store.set_company_active(beta.company_id, true).unwrap();
    let recorded = store.record_lead(beta, order()).unwrap();
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
        store.record_lead(forged, order()),
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

fn order_from(email: &str) -> LeadBody {
    LeadBody::parse(format!(r#"{{"type":"order","email":"{email}","total":1}}"#)).unwrap()
}

/// Queues an order from `email` with its own JSON as the body.
fn submit(store: &Store, tenant: Tenant, email: &str) -> lead_store::Result<lead_store::PendingLead> {
    store.submit_lead(tenant, order_from(email), Default::default())
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
            submit(&store, acme, &email).unwrap()
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
    let mut accepted = vec![submit(&store, acme, "first@x.de").unwrap()];
    std::thread::sleep(std::time::Duration::from_millis(200));
    // …so two more fit the queue, and the rest are refused at once.
    let mut refused = 0;
    for i in 0..9 {
        match submit(&store, acme, &format!("k{i}@x.de")) {
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
    let first = submit(&store, acme, "first@x.de").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let big = |i: usize| {
        let body = format!(
            r#"{{"type":"order","email":"k{i}@x.de","total":1,"pad":"{}"}}"#,
            "x".repeat(64 * 1024 - 60)
        );
        LeadBody::parse(body).unwrap()
    };
    let outcomes: Vec<_> = (0..5)
        .map(|i| store.submit_lead(acme, big(i), Default::default()))
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

fn open_with(configure: impl FnOnce(&mut StoreConfig)) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = StoreConfig::new(format!("sqlite://{}", dir.path().join("leads.db").display()));
    configure(&mut config);
    let store = Store::open(&config).unwrap();
    (dir, store)
}

fn submit_body(store: &Store, tenant: Tenant, body: &str, options: SubmitOptions) -> lead_store::Recorded {
    store
        .submit_lead(tenant, LeadBody::parse(body.to_owned()).unwrap(), options)
        .unwrap()
        .wait()
        .unwrap()
}

#[test]
fn the_same_body_again_is_answered_with_the_first_lead() {
    let (_dir, store) = open();
    let acme = tenant(&store, "Acme", &"a".repeat(64));
    let body = r#"{"type":"order","email":"a@x.de","total":1,"cart":[{"sku":"A","qty":1}]}"#;
    let first = submit_body(&store, acme, body, Default::default());
    assert!(!first.replayed);
    // Whitespace and the order of the fields do not make another lead.
    let respelled =
        "{ \"cart\": [ {\"qty\":1, \"sku\":\"A\"} ], \"total\": 1, \"email\": \"a@x.de\", \"type\": \"order\" }";
    let again = submit_body(&store, acme, respelled, Default::default());
    assert_eq!((again.id, again.replayed, again.notified), (first.id, true, 0));
    assert_eq!(store.totals().unwrap().orders, 1);
    // Another body is another lead; so is the same body with another key.
    let other = submit_body(
        &store,
        acme,
        r#"{"type":"order","email":"a@x.de","total":2}"#,
        Default::default(),
    );
    assert!(!other.replayed);
    let second_key = Tenant {
        key_id: store
            .add_key(acme.company_id, "lgw_other", &"c".repeat(64), "")
            .unwrap(),
        ..acme
    };
    assert!(!submit_body(&store, second_key, body, Default::default()).replayed);
    assert_eq!(store.totals().unwrap().orders, 3);
}

#[test]
fn duplicates_queued_together_are_stored_once_and_the_window_can_be_off() {
    for (window, stored) in [(std::time::Duration::from_secs(600), 1), (std::time::Duration::ZERO, 5)] {
        let (_dir, store) = open_with(|config| config.duplicate_window = window);
        let acme = tenant(&store, "Acme", &"a".repeat(64));
        let body = r#"{"type":"ticket","email":"a@x.de","message":"Doppelklick"}"#;
        // Queued without waiting: most of them land in the same batch.
        let pending: Vec<_> = (0..5)
            .map(|_| {
                store
                    .submit_lead(acme, LeadBody::parse(body.into()).unwrap(), Default::default())
                    .unwrap()
            })
            .collect();
        let ids: std::collections::BTreeSet<_> = pending.into_iter().map(|p| p.wait().unwrap().id).collect();
        assert_eq!(ids.len(), stored, "window {window:?}");
        assert_eq!(store.totals().unwrap().tickets, stored as i64);
        assert_eq!(
            store.totals().unwrap().notifications,
            stored as i64,
            "a duplicate notifies nobody"
        );
    }
}

#[test]
fn a_body_older_than_the_window_is_a_new_lead() {
    let window = std::time::Duration::from_millis(100);
    let (_dir, store) = open_with(|config| config.duplicate_window = window);
    let acme = tenant(&store, "Acme", &"a".repeat(64));
    let body = r#"{"type":"order","email":"a@x.de"}"#;
    let first = submit_body(&store, acme, body, Default::default());
    assert!(submit_body(&store, acme, body, Default::default()).replayed);
    // The window is what is under test here: let it pass.
    std::thread::sleep(window * 2);
    let later = submit_body(&store, acme, body, Default::default());
    assert!(!later.replayed);
    assert_ne!(later.id, first.id);
    assert!(
        submit_body(&store, acme, body, Default::default()).replayed,
        "and that one counts now"
    );
}

#[test]
fn duplicates_are_still_recognised_after_the_store_is_opened_again() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("leads.db").display());
    let order = r#"{"type":"order","email":"a@x.de","total":1}"#;
    let spam = r#"{"type":"order","email":"bot@x.de","_gotcha":"1"}"#;
    let keyed = r#"{"type":"ticket","email":"a@x.de","message":"mit Schlüssel"}"#;
    let (first, acme) = {
        let store = Store::open(&StoreConfig::new(url.clone())).unwrap();
        let acme = tenant(&store, "Acme", &"a".repeat(64));
        let first = submit_body(&store, acme, order, Default::default());
        submit_body(
            &store,
            acme,
            spam,
            SubmitOptions {
                spam: true,
                ..Default::default()
            },
        );
        let with_key = SubmitOptions {
            idempotency_key: Some("k-1".into()),
            ..Default::default()
        };
        submit_body(&store, acme, keyed, with_key);
        (first, acme)
    };
    // A new process: the fingerprints are read back from the stored leads of the window.
    let store = Store::open(&StoreConfig::new(url)).unwrap();
    let again = submit_body(&store, acme, order, Default::default());
    assert_eq!((again.id, again.replayed), (first.id, true));
    // Spam and a lead sent with an Idempotency-Key left no fingerprint.
    assert!(!submit_body(&store, acme, spam, Default::default()).replayed);
    assert!(!submit_body(&store, acme, keyed, Default::default()).replayed);
    assert_eq!(
        (store.totals().unwrap().orders, store.totals().unwrap().tickets),
        (3, 2)
    );
}

#[test]
fn a_conflicting_idempotency_key_is_kept_for_review_and_spam_uses_up_nothing() {
    let (_dir, store) = open();
    let acme = tenant(&store, "Acme", &"a".repeat(64));
    let keyed = |key: &str, spam: bool| SubmitOptions {
        idempotency_key: Some(key.into()),
        spam,
    };
    // A bot fills the honeypot with the shop's order number as its key: stored as spam, and
    // neither the key nor the body is used up.
    let bot = r#"{"type":"order","email":"x@example.org","_gotcha":"1"}"#;
    let spam = submit_body(&store, acme, bot, keyed("W-1002", true));
    assert_eq!(spam.held, Some(Hold::Spam));
    let spam_again = submit_body(&store, acme, bot, keyed("W-1002", true));
    assert_ne!(spam_again.id, spam.id, "spam records no key");
    let real = r#"{"type":"order","email":"kunde@x.de","total":49.9}"#;
    let order = submit_body(&store, acme, real, keyed("W-1002", false));
    assert_eq!((order.held, order.replayed, order.notified), (None, false, 1));
    assert!(submit_body(&store, acme, real, keyed("W-1002", false)).replayed);
    let respelled = r#"{ "total": 49.9, "email": "kunde@x.de", "type": "order" }"#;
    assert!(
        submit_body(&store, acme, respelled, keyed("W-1002", false)).replayed,
        "the same body, spelled otherwise"
    );

    // The same key with another body: stored, held as a conflict, nobody notified.
    let other = r#"{"type":"order","email":"kunde@x.de","total":59.9}"#;
    let conflict = submit_body(&store, acme, other, keyed("W-1002", false));
    assert_eq!((conflict.held, conflict.notified), (Some(Hold::Conflict), 0));
    let held = store
        .list_held_orders(acme.company_id, Some(Hold::Conflict), None)
        .unwrap();
    assert_eq!(held.iter().map(|o| o.id).collect::<Vec<_>>(), [conflict.id]);
    assert_eq!(store.list_held_orders(acme.company_id, None, None).unwrap().len(), 3);
    // The key still belongs to the first order, and the operator can release the conflict.
    assert_eq!(submit_body(&store, acme, real, keyed("W-1002", false)).id, order.id);
    store.release_order(conflict.id).unwrap();
    assert_eq!(store.list_orders(acme.company_id, None, None, None).unwrap().len(), 2);
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
