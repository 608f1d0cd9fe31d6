//! The companies' mailboxes as the readers see them: each is read by one reader at a time,
//! across instances, until its lease runs out; a check is recorded only for the mailbox as it
//! was read. On both backends.

use std::time::Duration;

use lead_domain::{ImapUrl, Sender};
use lead_store::{MailboxSettings, SmtpChoice};
use lead_testkit::{backend_test, TestDb};

mod support;
use support::tenant;

fn settings(host: &str) -> MailboxSettings {
    MailboxSettings {
        imap: Some(ImapUrl::parse(&format!("imaps://u:p@{host}/INBOX")).unwrap()),
        from: Sender::parse("service@acme.example").unwrap(),
        smtp: SmtpChoice::Keep,
        move_to: None,
    }
}

backend_test! {
fn each_mailbox_is_read_by_one_reader_until_its_lease_runs_out() {
    let db = TestDb::new();
    let store = db.store();
    assert!(store.outbox().claim_mailboxes("a", Duration::from_secs(60)).unwrap().is_empty());
    let (acme, _) = tenant(&store, "Acme");
    let (beta, _) = tenant(&store, "Beta");
    store.outbox().set_mailbox(acme.company_id, &settings("mail.acme.example")).unwrap();
    store.outbox().set_mailbox(beta.company_id, &settings("mail.beta.example")).unwrap();

    let first = store.outbox().claim_mailboxes("a", Duration::from_secs(60)).unwrap();
    assert_eq!(first.len(), 2);
    assert!(store.outbox().claim_mailboxes("b", Duration::from_secs(60)).unwrap().is_empty(), "both are a's");
    assert_eq!(store.outbox().claim_mailboxes("a", Duration::from_millis(1)).unwrap().len(), 2, "a renews its own");
    std::thread::sleep(Duration::from_millis(20));
    let taken_over = store.outbox().claim_mailboxes("b", Duration::from_secs(60)).unwrap();
    assert_eq!(taken_over.len(), 2, "a's lease ran out: b reads them");
    assert_eq!(taken_over.iter().find(|m| m.company_id == acme.company_id).unwrap().imap.password, "p");
    // A reader that stops gives them back: another reads them at once.
    store.outbox().release_mailboxes("b").unwrap();
    assert_eq!(store.outbox().claim_mailboxes("c", Duration::from_secs(60)).unwrap().len(), 2);
    store.outbox().release_mailboxes("c").unwrap();
    let taken_over = store.outbox().claim_mailboxes("b", Duration::from_secs(60)).unwrap();

    // A check of a mailbox changed meanwhile records nothing for the new one.
    let old = taken_over.iter().find(|m| m.company_id == acme.company_id).unwrap().imap.clone();
    store.outbox().set_mailbox(acme.company_id, &settings("mail2.acme.example")).unwrap();
    store.outbox().record_mailbox_check(acme.company_id, &old, Err("alt".into())).unwrap();
    assert_eq!(store.outbox().mailbox(acme.company_id).unwrap().unwrap().last_error, None);
    let new = ImapUrl::parse("imaps://u:p@mail2.acme.example/INBOX").unwrap();
    store.outbox().record_mailbox_check(acme.company_id, &new, Err("Fehler".into())).unwrap();
    let failed = store.outbox().mailbox(acme.company_id).unwrap().unwrap();
    assert_eq!((failed.last_error.as_deref(), failed.checked_at), (Some("Fehler"), None));
    store.outbox().record_mailbox_check(acme.company_id, &new, Ok(())).unwrap();
    let worked = store.outbox().mailbox(acme.company_id).unwrap().unwrap();
    assert!(worked.checked_at.is_some() && worked.last_error.is_none(), "{worked:?}");
}
}
