//! Dashboard sessions and logins: expiry, logout, wrong attempts and lockouts per account
//! and client. On both backends.

use lead_auth::{EmployeeToken, TokenState};
use lead_domain::Timestamp;
use lead_store::{LoginClient, LoginLimits, StoreError};
use lead_testkit::{backend_test, TestDb};

/// What the store keeps as an employee's password hash (the store compares, never checks it).
const HASH: &str = "$argon2id$eva";

backend_test! {
fn an_expired_dashboard_session_lets_nobody_in() {
    let db = TestDb::new();
    let store = db.store();
    let company = store.access().add_company("Acme").unwrap();
    let employee = store.access().add_employee(company, "Eva", "eva@acme.example").unwrap();
    store.access().set_employee_password(employee, Some(HASH)).unwrap();
    let now = Timestamp::now().millis();
    let (live_token, old_token) = (EmployeeToken::generate().unwrap(), EmployeeToken::generate().unwrap());
    let (live, _) = store
        .access().start_session(employee, "127.0.0.1", &live_token, Timestamp::from_millis(now + 60_000), HASH)
        .unwrap();
    let (expired, _) = store
        .access().start_session(employee, "127.0.0.1", &old_token, Timestamp::from_millis(now - 1), HASH)
        .unwrap();
    assert!(store.access().token_is_valid(live).unwrap());
    assert!(!store.access().token_is_valid(expired).unwrap());
    let found = store.access().find_token_by_hash(&old_token.hash()).unwrap().unwrap();
    assert_eq!(found.state, TokenState::Expired);
    store.access().end_session(live).unwrap();
    assert!(!store.access().token_is_valid(live).unwrap(), "logged out");
    assert_eq!(store.access().find_token_by_hash(&live_token.hash()).unwrap().unwrap().state, TokenState::Revoked);
}
}

const LIMITS: LoginLimits = LoginLimits {
    per_client: 3,
    lockout_ms: 60_000,
    per_account: 10,
};

backend_test! {
fn login_attempts_are_reserved_and_locked_per_account_and_client() {
    let db = TestDb::new();
    let store = db.store();
    let company = store.access().add_company("Acme").unwrap();
    let employee = store.access().add_employee(company, "Eva", "eva@acme.example").unwrap();
    store.access().set_employee_password(employee, Some(HASH)).unwrap();
    for _ in 0..3 {
        assert!(store.access().reserve_login_attempt("eva@acme.example", "203.0.113.7", LIMITS).unwrap());
    }
    assert!(store.access().note_failed_login("eva@acme.example", "203.0.113.7", LIMITS).unwrap(), "the third wrong one locks");
    assert!(
        !store.access().reserve_login_attempt(" EVA@acme.example", "203.0.113.7", LIMITS).unwrap(),
        "locked, however the email is spelled: not even checked"
    );
    assert!(store.access().reserve_login_attempt("eva@acme.example", "198.51.100.1", LIMITS).unwrap(), "another address is not locked");
    let token = EmployeeToken::generate().unwrap();
    let refused = store.access().start_session(employee, "203.0.113.7", &token, Timestamp::from_millis(i64::MAX), HASH);
    assert!(matches!(refused, Err(StoreError::LockedOut)), "{refused:?}");
    store.access().set_employee_password(employee, Some("$argon2id$new")).unwrap();
    assert!(store.access().reserve_login_attempt("eva@acme.example", "203.0.113.7", LIMITS).unwrap(), "a new password lifts the lock");
}
}

backend_test! {
fn attempts_sent_at_once_get_no_more_guesses_than_the_limit() {
    // Before, the reservation counted but never compared: 20 attempts at once were all
    // checked, although the limit is 5.
    let db = TestDb::new();
    let store = db.store();
    let company = store.access().add_company("Acme").unwrap();
    store.access().add_employee(company, "Eva", "eva@acme.example").unwrap();
    let limits = LoginLimits { per_client: 5, ..LIMITS };
    let reserved: usize = std::thread::scope(|scope| {
        let attempts: Vec<_> = (0..20)
            .map(|_| scope.spawn(|| store.access().reserve_login_attempt("eva@acme.example", "203.0.113.7", limits).unwrap()))
            .collect();
        attempts.into_iter().map(|a| usize::from(a.join().unwrap())).sum()
    });
    assert_eq!(reserved, 5);
}
}

backend_test! {
fn the_account_throttle_holds_guesses_from_many_addresses_even_sent_at_once() {
    // Before, each address had its own count only: 8 addresses made 8 times the guesses.
    let db = TestDb::new();
    let store = db.store();
    let company = store.access().add_company("Acme").unwrap();
    let employee = store.access().add_employee(company, "Eva", "eva@acme.example").unwrap();
    store.access().set_employee_password(employee, Some(HASH)).unwrap();
    let reserved: usize = std::thread::scope(|scope| {
        let attempts: Vec<_> = (0..40)
            .map(|n| {
                let store = &store;
                scope.spawn(move || {
                    let client = format!("203.0.113.{}", n % 8);
                    store.access().reserve_login_attempt("eva@acme.example", &client, LIMITS).unwrap()
                })
            })
            .collect();
        attempts.into_iter().map(|a| usize::from(a.join().unwrap())).sum()
    });
    assert_eq!(reserved, 10, "ten guesses on the account, then it waits");
    assert!(!store.access().reserve_login_attempt("eva@acme.example", "198.51.100.1", LIMITS).unwrap(), "from any address");
    // The wait doubles with each further wrong password, and a right one ends it.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    assert!(store.access().reserve_login_attempt("eva@acme.example", "198.51.100.1", LIMITS).unwrap());
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    assert!(!store.access().reserve_login_attempt("eva@acme.example", "198.51.100.1", LIMITS).unwrap(), "two seconds now");
    let in_a_minute = Timestamp::from_millis(Timestamp::now().millis() + 60_000);
    store
        .access().start_session(employee, "198.51.100.1", &EmployeeToken::generate().unwrap(), in_a_minute, HASH)
        .unwrap();
    assert!(store.access().reserve_login_attempt("eva@acme.example", "198.51.100.2", LIMITS).unwrap(), "the right password ended it");
}
}

backend_test! {
fn unknown_emails_are_counted_and_throttled_like_known_ones() {
    // Before, an unknown email wrote nothing and a known one wrote its count: the store's
    // work, and so the time taken, told which accounts exist.
    let db = TestDb::new();
    let store = db.store();
    let company = store.access().add_company("Acme").unwrap();
    store.access().add_employee(company, "Eva", "eva@acme.example").unwrap();
    let outcomes = |email: &str| -> Vec<(bool, bool)> {
        (0..4)
            .map(|_| {
                let reserved = store.access().reserve_login_attempt(email, "203.0.113.7", LIMITS).unwrap();
                let locked = reserved && store.access().note_failed_login(email, "203.0.113.7", LIMITS).unwrap();
                (reserved, locked)
            })
            .collect()
    };
    let known = outcomes("eva@acme.example");
    assert_eq!(known, [(true, false), (true, false), (true, true), (false, false)]);
    assert_eq!(outcomes("nobody@acme.example"), known);
}
}

backend_test! {
fn a_new_password_ends_the_dashboard_sessions_but_not_api_tokens() {
    // Before, a session went on for up to 12 h after its password was changed or removed.
    let db = TestDb::new();
    let store = db.store();
    let company = store.access().add_company("Acme").unwrap();
    let employee = store.access().add_employee(company, "Eva", "eva@acme.example").unwrap();
    store.access().set_employee_password(employee, Some(HASH)).unwrap();
    let in_a_minute = Timestamp::from_millis(Timestamp::now().millis() + 60_000);
    let (session, _) = store
        .access().start_session(employee, "127.0.0.1", &EmployeeToken::generate().unwrap(), in_a_minute, HASH)
        .unwrap();
    let api = store.access().add_employee_token(employee, &EmployeeToken::generate().unwrap()).unwrap();
    store.access().set_employee_password(employee, Some("$argon2id$new")).unwrap();
    assert!(!store.access().token_is_valid(session).unwrap(), "the session ended with the change");
    assert!(store.access().token_is_valid(api).unwrap(), "a team-API token is not a login");
    let (again, _) = store
        .access().start_session(employee, "127.0.0.1", &EmployeeToken::generate().unwrap(), in_a_minute, "$argon2id$new")
        .unwrap();
    store.access().set_employee_password(employee, None).unwrap();
    assert!(!store.access().token_is_valid(again).unwrap(), "removing the password ends it too");
}
}

backend_test! {
fn one_company_cannot_lift_the_throttle_of_another_companys_login() {
    // The same address is an employee's login in two companies: the right password in one, or
    // its admin lifting the lock, must not give guesses back against the other.
    let db = TestDb::new();
    let store = db.store();
    let (a, b) = (store.access().add_company("A").unwrap(), store.access().add_company("B").unwrap());
    let in_a = store.access().add_employee(a, "Eva", "eva@shared.example").unwrap();
    store.access().set_employee_password(in_a, Some(HASH)).unwrap();
    store.access().add_employee(b, "Eva", "Eva@Shared.example").unwrap();
    let limits = LoginLimits { per_account: 2, ..LIMITS };
    for client in ["203.0.113.1", "203.0.113.2"] {
        assert!(store.access().reserve_login_attempt("eva@shared.example", client, limits).unwrap());
    }
    assert!(!store.access().reserve_login_attempt("eva@shared.example", "203.0.113.3", limits).unwrap(), "waits");
    let in_a_minute = Timestamp::from_millis(Timestamp::now().millis() + 60_000);
    store.access().start_session(in_a, "198.51.100.9", &EmployeeToken::generate().unwrap(), in_a_minute, HASH).unwrap();
    store.access().lift_lockouts(lead_store::Scope::Everyone, in_a).unwrap();
    store.access().set_employee_password(in_a, Some("$argon2id$new")).unwrap();
    assert!(
        !store.access().reserve_login_attempt("eva@shared.example", "203.0.113.4", limits).unwrap(),
        "still waiting: company A lifted nothing of B's"
    );
}
}

backend_test! {
fn a_known_browser_is_held_by_its_own_count_only() {
    let db = TestDb::new();
    let store = db.store();
    let company = store.access().add_company("Acme").unwrap();
    let employee = store.access().add_employee(company, "Eva", "eva@acme.example").unwrap();
    store.access().set_employee_password(employee, Some(HASH)).unwrap();
    // Strangers' guesses from many addresses set off the account throttle …
    for n in 0..10 {
        assert!(store.access().reserve_login_attempt("eva@acme.example", format!("203.0.113.{n}").as_str(), LIMITS).unwrap());
    }
    assert!(!store.access().reserve_login_attempt("eva@acme.example", "198.51.100.1", LIMITS).unwrap(), "an address waits");
    // … which does not hold the browser Eva logged in with before.
    let browser = LoginClient::Device("nonce-of-evas-browser");
    assert!(store.access().reserve_login_attempt("eva@acme.example", browser, LIMITS).unwrap());
    let in_a_minute = Timestamp::from_millis(Timestamp::now().millis() + 60_000);
    store.access().start_session(employee, browser, &EmployeeToken::generate().unwrap(), in_a_minute, HASH).unwrap();
    // Her right password there leaves the strangers' throttle in force: they get no fresh guesses.
    assert!(!store.access().reserve_login_attempt("eva@acme.example", "198.51.100.1", LIMITS).unwrap(), "still waits");
    // The browser's own count: three wrong passwords in a row lock it, and only it.
    for _ in 0..3 {
        assert!(store.access().reserve_login_attempt("eva@acme.example", browser, LIMITS).unwrap());
    }
    assert!(store.access().note_failed_login("eva@acme.example", browser, LIMITS).unwrap(), "locked");
    assert!(!store.access().reserve_login_attempt("eva@acme.example", browser, LIMITS).unwrap());
    let other = LoginClient::Device("nonce-of-another-browser");
    assert!(store.access().reserve_login_attempt("eva@acme.example", other, LIMITS).unwrap());
}
}

backend_test! {
fn a_session_starts_only_for_the_password_that_was_checked_and_a_one_time_one_once() {
    let db = TestDb::new();
    let store = db.store();
    let company = store.access().add_company("Acme").unwrap();
    let employee = store.access().add_employee(company, "Eva", "eva@acme.example").unwrap();
    let in_a_minute = Timestamp::from_millis(Timestamp::now().millis() + 60_000);
    let start = |checked: &str| store.access().start_session(employee, "127.0.0.1", &EmployeeToken::generate().unwrap(), in_a_minute, checked);
    // The password changed while the old one was being checked: no session.
    store.access().set_employee_password(employee, Some(HASH)).unwrap();
    store.access().set_employee_password(employee, Some("$argon2id$newer")).unwrap();
    assert!(matches!(start(HASH), Err(StoreError::LockedOut)));
    assert!(matches!(start("$argon2id$newer"), Ok((_, false))), "a permanent password opens everything");
    // A one-time password: its first session opens the password page only, then it is gone.
    store.access().set_one_time_password(lead_store::Scope::Everyone, employee, "$argon2id$once").unwrap();
    let (first, password_only) = start("$argon2id$once").unwrap();
    assert!(password_only);
    assert!(matches!(start("$argon2id$once"), Err(StoreError::LockedOut)), "once");
    assert!(store.access().login_candidates("eva@acme.example").unwrap().is_empty(), "no password left to check");
    // Setting one's own from that session keeps it; from an ended one it changes nothing.
    store.access().end_session(first).unwrap();
    let gone = lead_store::Member { employee_id: employee, company_id: company, token_id: first, password_only: true };
    assert!(matches!(store.access().set_own_password(gone, "$argon2id$own"), Err(StoreError::Conflict(lead_store::Clash::SessionEnded, _))));
    assert!(store.access().login_candidates("eva@acme.example").unwrap().is_empty(), "nothing set");
}
}

backend_test! {
fn a_company_reaches_its_own_employees_and_anothers_like_missing_ones() {
    let db = TestDb::new();
    let store = db.store();
    let (a, b) = (store.access().add_company("A").unwrap(), store.access().add_company("B").unwrap());
    let (in_a, in_b) = (
        store.access().add_employee(a, "Eva", "eva@a.example").unwrap(),
        store.access().add_employee(b, "Ben", "ben@b.example").unwrap(),
    );
    store.access().set_employee_password(in_b, Some(HASH)).unwrap();
    let a_only = lead_store::Scope::Company(a);
    let refused = [
        store.access().set_employee_active(a_only, in_b, false),
        store.access().set_employee_role(a_only, in_b, lead_store::Role::Admin),
        store.access().set_one_time_password(a_only, in_b, "$argon2id$theirs"),
        store.access().lift_lockouts(a_only, in_b),
        store.access().set_employee_active(a_only, lead_store::EmployeeId::new(999_999), false),
    ];
    assert!(refused.iter().all(|r| matches!(r, Err(StoreError::NotFound(..)))), "{refused:?}");
    let ben = store.access().find_employee(in_b).unwrap();
    assert!(ben.active && ben.role == lead_store::Role::Member);
    assert_eq!(store.access().login_candidates("ben@b.example").unwrap()[0].password_hash.as_deref(), Some(HASH));
    store.access().set_employee_active(a_only, in_a, false).unwrap();
    assert!(!store.access().find_employee(in_a).unwrap().active, "its own");
}
}
