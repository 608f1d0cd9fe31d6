//! Dashboard sessions and logins: expiry, logout, wrong attempts and lockouts per account
//! and client. On both backends.

use lead_auth::{EmployeeToken, TokenState};
use lead_domain::Timestamp;
use lead_store::StoreError;
use lead_testkit::{backend_test, TestDb};

backend_test! {
fn an_expired_dashboard_session_lets_nobody_in() {
    let db = TestDb::new();
    let store = db.store();
    let company = store.add_company("Acme").unwrap();
    let employee = store.add_employee(company, "Eva", "eva@acme.example").unwrap();
    let now = Timestamp::now().millis();
    let (live_token, old_token) = (EmployeeToken::generate().unwrap(), EmployeeToken::generate().unwrap());
    let live = store
        .start_session(employee, "127.0.0.1", &live_token, Timestamp::from_millis(now + 60_000))
        .unwrap();
    let expired = store
        .start_session(employee, "127.0.0.1", &old_token, Timestamp::from_millis(now - 1))
        .unwrap();
    assert!(store.token_is_valid(live).unwrap());
    assert!(!store.token_is_valid(expired).unwrap());
    let found = store.find_token_by_hash(&old_token.hash()).unwrap().unwrap();
    assert_eq!(found.state, TokenState::Expired);
    store.end_session(live).unwrap();
    assert!(!store.token_is_valid(live).unwrap(), "logged out");
    assert_eq!(store.find_token_by_hash(&live_token.hash()).unwrap().unwrap().state, TokenState::Revoked);
}
}

backend_test! {
fn login_attempts_are_reserved_and_locked_per_account_and_client() {
    let db = TestDb::new();
    let store = db.store();
    let company = store.add_company("Acme").unwrap();
    let employee = store.add_employee(company, "Eva", "eva@acme.example").unwrap();
    for _ in 0..3 {
        assert!(store.reserve_login_attempt(employee, "203.0.113.7").unwrap());
    }
    assert!(store.note_failed_login(employee, "203.0.113.7", 3, 60_000).unwrap(), "the third wrong one locks");
    assert!(!store.reserve_login_attempt(employee, "203.0.113.7").unwrap(), "locked: not even checked");
    assert!(store.reserve_login_attempt(employee, "198.51.100.1").unwrap(), "another address is not locked");
    let token = EmployeeToken::generate().unwrap();
    let refused = store.start_session(employee, "203.0.113.7", &token, Timestamp::from_millis(i64::MAX));
    assert!(matches!(refused, Err(StoreError::LockedOut)), "{refused:?}");
    store.set_employee_password(employee, Some("$argon2id$new")).unwrap();
    assert!(store.reserve_login_attempt(employee, "203.0.113.7").unwrap(), "a new password lifts the lock");
}
}
