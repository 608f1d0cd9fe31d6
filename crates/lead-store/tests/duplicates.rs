//! Retries and duplicates: the same body again within the window, `Idempotency-Key`s, spam
//! that uses up nothing. On both backends (SQLite keeps fingerprints in memory, PostgreSQL in
//! a table).

use std::time::Duration;

use lead_auth::ApiKey;
use lead_domain::{LeadBody, Timestamp};
use lead_store::{Hold, SubmitOptions, Tenant};
use lead_testkit::{backend_test, wait_until, TestDb};

mod support;
use support::{submit_body, tenant};

backend_test! {
fn the_same_body_again_is_answered_with_the_first_lead() {
    let db = TestDb::new();
    let store = db.store();
    let (acme, _) = tenant(&store, "Acme");
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
    let other = submit_body(&store, acme, r#"{"type":"order","email":"a@x.de","total":2}"#, Default::default());
    assert!(!other.replayed);
    let second_key = Tenant {
        key_id: store.access().add_key(acme.company_id, &ApiKey::generate().unwrap(), "").unwrap(),
        ..acme
    };
    assert!(!submit_body(&store, second_key, body, Default::default()).replayed);
    assert_eq!(store.totals().unwrap().orders, 3);
}
}

backend_test! {
fn duplicates_queued_together_are_stored_once_and_the_window_can_be_off() {
    for (window, stored) in [(Duration::from_secs(600), 1), (Duration::ZERO, 5)] {
        let db = TestDb::new();
        let store = db.store_with(|config| config.duplicate_window = window);
        let (acme, _) = tenant(&store, "Acme");
        let body = r#"{"type":"ticket","email":"a@x.de","message":"Doppelklick"}"#;
        // Queued without waiting: most of them land in the same batch.
        let pending: Vec<_> = (0..5)
            .map(|_| {
                store
                    .intake().submit_lead(acme, LeadBody::parse(body.into()).unwrap(), Default::default())
                    .unwrap()
            })
            .collect();
        let ids: std::collections::BTreeSet<_> = pending.into_iter().map(|p| p.wait().unwrap().id.get()).collect();
        assert_eq!(ids.len(), stored, "window {window:?}");
        assert_eq!(store.totals().unwrap().tickets, stored as i64);
        assert_eq!(store.totals().unwrap().notifications, stored as i64, "a duplicate notifies nobody");
    }
}
}

backend_test! {
fn a_body_older_than_the_window_is_a_new_lead() {
    let window = Duration::from_millis(100);
    let db = TestDb::new();
    let store = db.store_with(|config| config.duplicate_window = window);
    let (acme, _) = tenant(&store, "Acme");
    let body = r#"{"type":"order","email":"a@x.de"}"#;
    let first = submit_body(&store, acme, body, Default::default());
    assert!(submit_body(&store, acme, body, Default::default()).replayed);
    // The window is what is under test: wait until the clock has left it.
    let stored_at = store.team().leads::<lead_store::OrderRecord>(acme.company_id, &Default::default()).unwrap()[0].created_at;
    wait_until("the window has passed", Duration::from_secs(5), || {
        (Timestamp::now().millis() > stored_at.millis() + window.as_millis() as i64).then_some(())
    });
    let later = submit_body(&store, acme, body, Default::default());
    assert!(!later.replayed);
    assert_ne!(later.id, first.id);
    assert!(submit_body(&store, acme, body, Default::default()).replayed, "and that one counts now");
}
}

backend_test! {
fn duplicates_are_still_recognised_after_the_store_is_opened_again() {
    let db = TestDb::new();
    let order = r#"{"type":"order","email":"a@x.de","total":1}"#;
    let spam = r#"{"type":"order","email":"bot@x.de","_gotcha":"1"}"#;
    let keyed = r#"{"type":"ticket","email":"a@x.de","message":"mit Schlüssel"}"#;
    let (first, acme) = {
        let store = db.store();
        let (acme, _) = tenant(&store, "Acme");
        let first = submit_body(&store, acme, order, Default::default());
        let spam_options = SubmitOptions {
            spam: true,
            ..Default::default()
        };
        submit_body(&store, acme, spam, spam_options);
        let with_key = SubmitOptions {
            idempotency_key: Some("k-1".into()),
            ..Default::default()
        };
        submit_body(&store, acme, keyed, with_key);
        (first, acme)
    };
    // A new process: the fingerprints are read back (SQLite: from the stored leads of the
    // window; PostgreSQL: they are in their table).
    let store = db.store();
    let again = submit_body(&store, acme, order, Default::default());
    assert_eq!((again.id, again.replayed), (first.id, true));
    // Spam and a lead sent with an Idempotency-Key left no fingerprint.
    assert!(!submit_body(&store, acme, spam, Default::default()).replayed);
    assert!(!submit_body(&store, acme, keyed, Default::default()).replayed);
    assert_eq!((store.totals().unwrap().orders, store.totals().unwrap().tickets), (3, 2));
}
}

backend_test! {
fn a_conflicting_idempotency_key_is_kept_for_review_and_spam_uses_up_nothing() {
    let db = TestDb::new();
    let store = db.store();
    let (acme, _) = tenant(&store, "Acme");
    let keyed = |key: &str, spam: bool| SubmitOptions {
        idempotency_key: Some(key.into()),
        spam,
        ..Default::default()
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
    let held = store.team().held_leads::<lead_store::OrderRecord>(acme.company_id, Some(Hold::Conflict), None).unwrap();
    assert_eq!(held.iter().map(|o| o.id.get()).collect::<Vec<_>>(), [conflict.id.get()]);
    assert_eq!(store.team().held_leads::<lead_store::OrderRecord>(acme.company_id, None, None).unwrap().len(), 3);
    // The key still belongs to the first order, and the operator can release the conflict.
    assert_eq!(submit_body(&store, acme, real, keyed("W-1002", false)).id, order.id);
    store.team().release_lead::<lead_store::OrderRecord>(lead_store::OrderId::new(conflict.id.get())).unwrap();
    assert_eq!(store.team().leads::<lead_store::OrderRecord>(acme.company_id, &Default::default()).unwrap().len(), 2);
}
}
