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
        assert!(store.reserve_login_attempt(employee, "203.0.113.7", 3).unwrap());
    }
    assert!(store.note_failed_login(employee, "203.0.113.7", 3, 60_000).unwrap(), "the third wrong one locks");
    assert!(!store.reserve_login_attempt(employee, "203.0.113.7", 3).unwrap(), "locked: not even checked");
    assert!(store.reserve_login_attempt(employee, "198.51.100.1", 3).unwrap(), "another address is not locked");
    let token = EmployeeToken::generate().unwrap();
    let refused = store.start_session(employee, "203.0.113.7", &token, Timestamp::from_millis(i64::MAX));
    assert!(matches!(refused, Err(StoreError::LockedOut)), "{refused:?}");
    store.set_employee_password(employee, Some("$argon2id$new")).unwrap();
    assert!(store.reserve_login_attempt(employee, "203.0.113.7", 3).unwrap(), "a new password lifts the lock");
}
}

backend_test! {
fn attempts_sent_at_once_get_no_more_guesses_than_the_limit() {
    // Before, the reservation counted but never compared: 20 attempts at once were all
    // checked, although the limit is 5.
    let db = TestDb::new();
    let store = db.store();
    let company = store.add_company("Acme").unwrap();
    let employee = store.add_employee(company, "Eva", "eva@acme.example").unwrap();
    let reserved: usize = std::thread::scope(|scope| {
        let attempts: Vec<_> = (0..20)
            .map(|_| scope.spawn(|| store.reserve_login_attempt(employee, "203.0.113.7", 5).unwrap()))
            .collect();
        attempts.into_iter().map(|a| usize::from(a.join().unwrap())).sum()
    });
    assert_eq!(reserved, 5);
}
}

backend_test! {
fn a_new_password_ends_the_dashboard_sessions_but_not_api_tokens() {
    // Before, a session went on for up to 12 h after its password was changed or removed.
    let db = TestDb::new();
    let store = db.store();
    let company = store.add_company("Acme").unwrap();
    let employee = store.add_employee(company, "Eva", "eva@acme.example").unwrap();
    let in_a_minute = Timestamp::from_millis(Timestamp::now().millis() + 60_000);
    let session = store
        .start_session(employee, "127.0.0.1", &EmployeeToken::generate().unwrap(), in_a_minute)
        .unwrap();
    let api = store.add_employee_token(employee, &EmployeeToken::generate().unwrap()).unwrap();
    store.set_employee_password(employee, Some("$argon2id$new")).unwrap();
    assert!(!store.token_is_valid(session).unwrap(), "the session ended with the change");
    assert!(store.token_is_valid(api).unwrap(), "a team-API token is not a login");
    let again = store
        .start_session(employee, "127.0.0.1", &EmployeeToken::generate().unwrap(), in_a_minute)
        .unwrap();
    store.set_employee_password(employee, None).unwrap();
    assert!(!store.token_is_valid(again).unwrap(), "removing the password ends it too");
}
}
