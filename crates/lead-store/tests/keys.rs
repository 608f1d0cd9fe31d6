//! Keys and companies as the writer sees them: a key that may not act stores nothing; keys
//! are found by id or display prefix; the demo of a first start. On both backends.

use lead_auth::{ApiKey, KeyState};
use lead_store::{StoreError, Tenant, Totals};
use lead_testkit::{backend_test, TestDb};

mod support;
use support::{order, tenant};

backend_test! {
fn opening_migrates_and_the_database_takes_writes() {
    let db = TestDb::new();
    let store = db.store();
    assert_eq!(store.totals().unwrap(), Totals::default());
    store.check_health().unwrap();
}
}

backend_test! {
fn a_key_that_may_no_longer_act_records_nothing() {
    let db = TestDb::new();
    let store = db.store();
    let (acme, key) = tenant(&store, "Acme");
    let found = store.access().find_key_by_hash(&key.hash()).unwrap().unwrap();
    assert_eq!((found.tenant, found.state), (acme, KeyState::Active));
    store.access().revoke_key(lead_store::Scope::Everyone, acme.key_id).unwrap();
    assert_eq!(store.access().find_key_by_hash(&key.hash()).unwrap().unwrap().state, KeyState::Revoked);
    assert!(matches!(store.intake().record_lead(acme, order()), Err(StoreError::KeyNotValid)));
    store.access().set_company_active(acme.company_id, false).unwrap();
    assert_eq!(store.totals().unwrap(), Totals::default());

    let (beta, _) = tenant(&store, "Beta");
    store.access().set_company_active(beta.company_id, false).unwrap();
    assert!(matches!(store.intake().record_lead(beta, order()), Err(StoreError::KeyNotValid)));
    store.access().set_company_active(beta.company_id, true).unwrap();
    let recorded = store.intake().record_lead(beta, order()).unwrap();
    assert_eq!(recorded.notified, 1);
}
}

backend_test! {
fn a_key_of_one_company_cannot_record_for_another() {
    let db = TestDb::new();
    let store = db.store();
    let (acme, _) = tenant(&store, "Acme");
    let (beta, _) = tenant(&store, "Beta");
    let forged = Tenant {
        company_id: beta.company_id,
        key_id: acme.key_id,
    };
    assert!(matches!(store.intake().record_lead(forged, order()), Err(StoreError::KeyNotValid)));
}
}

backend_test! {
fn keys_are_found_by_id_display_prefix_or_unique_start() {
    let db = TestDb::new();
    let store = db.store();
    let company = store.access().add_company("Acme").unwrap();
    let generated = ApiKey::generate().unwrap();
    let first = store.access().add_key(company, &generated, "").unwrap();
    // Two imported keys that start alike share the display prefix `imp_LEGA`.
    let a = store.access().add_key(company, &ApiKey::import("LEGACY-KEY-0000000001").unwrap(), "").unwrap();
    let b = store.access().add_key(company, &ApiKey::import("LEGACY-KEY-0000000002").unwrap(), "").unwrap();
    assert_eq!(store.access().find_key(&first.to_string()).unwrap().id, first);
    assert_eq!(store.access().find_key(&generated.display_prefix()).unwrap().id, first);
    assert_eq!(store.access().find_key(&generated.display_prefix()[..9]).unwrap().id, first, "a unique start");
    let ambiguous = format!("matches keys {a}, {b}");
    assert!(matches!(store.access().find_key("imp_LEGA"), Err(StoreError::Conflict(lead_store::Clash::Ambiguous, m)) if m.contains(&ambiguous)));
    assert!(matches!(store.access().find_key("imp_NOPE"), Err(StoreError::NotFound(lead_store::Entity::Key, _))));
    assert!(matches!(store.access().find_key("9999"), Err(StoreError::NotFound(..))));
    // By id, as the server's code has it.
    assert_eq!(store.access().key(a).unwrap().prefix, "imp_LEGA");
    assert!(matches!(
        store.access().key(lead_store::KeyId::new(9999)),
        Err(StoreError::NotFound(lead_store::Entity::Key, _))
    ));
    assert!(matches!(store.access().add_key(company, &generated, ""), Err(StoreError::Conflict(lead_store::Clash::Taken(lead_store::Entity::Key), _))));
}
}

backend_test! {
fn the_demo_is_created_once_and_only_on_an_empty_database() {
    let db = TestDb::new();
    let store = db.store();
    let demo = store.access().create_demo_if_empty(&ApiKey::generate().unwrap()).unwrap().unwrap();
    assert_eq!(store.access().find_company("Demo").unwrap().id, demo.company_id);
    assert_eq!(store.access().create_demo_if_empty(&ApiKey::generate().unwrap()).unwrap(), None);
    assert_eq!(store.access().list_companies().unwrap().len(), 1);

    let other = TestDb::new();
    let store = other.store();
    store.access().add_company("Existing").unwrap();
    assert_eq!(store.access().create_demo_if_empty(&ApiKey::generate().unwrap()).unwrap(), None);
}
}

backend_test! {
fn unknown_hashes_are_not_found() {
    let db = TestDb::new();
    let store = db.store();
    assert_eq!(store.access().find_key_by_hash(&ApiKey::presented("nobody's").hash()).unwrap(), None);
}
}

backend_test! {
fn a_company_reaches_its_own_keys_and_anothers_like_missing_ones() {
    let db = TestDb::new();
    let store = db.store();
    let (acme, acme_key) = tenant(&store, "Acme");
    let (beta, beta_key) = tenant(&store, "Beta");
    let acme_only = lead_store::Scope::Company(acme.company_id);
    let missing = lead_store::KeyId::new(999_999);
    let message = |result: lead_store::Result<()>| match result {
        Err(StoreError::NotFound(_, message)) => message.replace(&beta.key_id.to_string(), "ID").replace("999999", "ID"),
        other => panic!("{other:?}"),
    };
    // Beta's key from Acme's scope: exactly as if it did not exist, and unchanged.
    assert_eq!(message(store.access().revoke_key(acme_only, beta.key_id)), message(store.access().revoke_key(acme_only, missing)));
    assert!(matches!(store.access().set_daily_cap(acme_only, beta.key_id, Some(1)), Err(StoreError::NotFound(..))));
    assert!(matches!(store.access().set_key_confirm(acme_only, beta.key_id, true), Err(StoreError::NotFound(..))));
    assert!(matches!(store.access().set_key_origins(acme_only, beta.key_id, &[]), Err(StoreError::NotFound(..))));
    let unchanged = store.access().find_key_by_hash(&beta_key.hash()).unwrap().unwrap();
    assert_eq!(unchanged.state, KeyState::Active);
    // Its own, and the operator any.
    store.access().revoke_key(acme_only, acme.key_id).unwrap();
    assert_eq!(store.access().find_key_by_hash(&acme_key.hash()).unwrap().unwrap().state, KeyState::Revoked);
    store.access().revoke_key(lead_store::Scope::Everyone, beta.key_id).unwrap();
    assert_eq!(store.access().find_key_by_hash(&beta_key.hash()).unwrap().unwrap().state, KeyState::Revoked);
}
}

backend_test! {
fn a_company_reaches_its_own_webhooks_and_deliveries_and_anothers_like_missing_ones() {
    let db = TestDb::new();
    let store = db.store();
    let (acme, _) = tenant(&store, "Acme");
    let (beta, _) = tenant(&store, "Beta");
    let hook = store
        .outbox().add_webhook(&lead_store::NewWebhook {
            company_id: beta.company_id,
            url: "https://crm.example.de/hook",
            events: lead_store::Event::WEBHOOK_EVENTS,
            format: lead_store::WebhookFormat::Standard,
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        })
        .unwrap();
    store.intake().record_lead(beta, order()).unwrap();
    let filter = lead_store::DeliveryFilter { company_id: Some(beta.company_id), ..Default::default() };
    let delivery = store.deliveries().list_deliveries(&filter).unwrap()[0].id;
    let acme_only = lead_store::Scope::Company(acme.company_id);
    let not_found = |result: lead_store::Result<()>| matches!(result, Err(StoreError::NotFound(..)));
    assert!(matches!(store.outbox().find_webhook(acme_only, hook), Err(StoreError::NotFound(lead_store::Entity::Webhook, _))));
    assert!(not_found(store.outbox().remove_webhook(acme_only, hook)));
    assert!(not_found(store.outbox().enable_webhook(acme_only, hook)));
    assert!(not_found(store.deliveries().retry_delivery(acme_only, delivery)));
    assert!(store.outbox().list_webhooks(Some(beta.company_id)).unwrap()[0].active, "untouched");
    // Beta's own scope reaches them.
    let beta_only = lead_store::Scope::Company(beta.company_id);
    assert_eq!(store.outbox().find_webhook(beta_only, hook).unwrap().0.id, hook);
    store.outbox().remove_webhook(beta_only, hook).unwrap();
    assert!(store.outbox().list_webhooks(Some(beta.company_id)).unwrap().iter().all(|w| !w.active));
}
}
