//! `company mailbox`: set, show or remove a company's mailbox.

use anyhow::bail;
use lead_domain::{ImapUrl, MailSecurity, Sender};
use lead_store::{Company, MailboxSettings, SmtpChoice, Store};

use crate::config::Config;

/// What `company mailbox` does.
pub(super) enum Change {
    /// Set it.
    Set {
        imap: String,
        from: String,
        smtp: Option<String>,
        move_to: Option<String>,
    },
    /// Remove it.
    Off,
    /// Show it.
    Show,
}

pub(super) fn mailbox(store: &Store, config: &Config, company: &Company, change: Change) -> anyhow::Result<()> {
    match change {
        Change::Set {
            imap,
            from,
            smtp,
            move_to,
        } => {
            let imap = ImapUrl::parse(&imap)?;
            if imap.security == MailSecurity::Plain && !config.outbox.allow_private_targets {
                bail!(
                    "plain imap:// would send the password unencrypted: use imaps:// or add ?tls=required \
                     (plain only with [outbox] allow_private_targets, for tests)"
                );
            }
            let smtp = match smtp.map(|url| url.trim().to_owned()).filter(|url| !url.is_empty()) {
                Some(url) => SmtpChoice::Own(url),
                None => SmtpChoice::Server,
            };
            if smtp == SmtpChoice::Server && config.smtp.url.trim().is_empty() {
                eprintln!(
                    "Note: this server has no [smtp] and the mailbox no --smtp: replies cannot be sent until one is set."
                );
            }
            let settings = MailboxSettings {
                imap: Some(imap),
                from: Sender::parse(&from)?,
                smtp,
                move_to,
            };
            let mailbox = store.outbox().set_mailbox(company.id, &settings)?;
            eprintln!(
                "Company {:?}: mailbox {} set; replies leave from {}.",
                company.name, mailbox.imap, mailbox.from
            );
        }
        Change::Off => {
            store.outbox().remove_mailbox(company.id)?;
            eprintln!(
                "Company {:?}: mailbox removed; nothing more is read, and no reply can be sent.",
                company.name
            );
        }
        Change::Show => match store.outbox().mailbox(company.id)? {
            None => println!("Company {:?} has no mailbox.", company.name),
            Some(mailbox) => {
                println!("IMAP:       {}", mailbox.imap);
                println!("From:       {}", mailbox.from);
                println!(
                    "SMTP:       {}",
                    mailbox.smtp.as_deref().unwrap_or("the server's [smtp]")
                );
                println!(
                    "Afterwards: {}",
                    mailbox
                        .move_to
                        .as_deref()
                        .map_or_else(|| "marked read".to_owned(), |folder| format!("moved to {folder}"))
                );
                let checked = mailbox
                    .checked_at
                    .map_or_else(|| "never".to_owned(), |at| at.to_string());
                println!("Checked:    {checked}");
                if let (Some(error), Some(at)) = (&mailbox.last_error, mailbox.last_error_at) {
                    println!("Last error: {error} ({at})");
                }
            }
        },
    }
    Ok(())
}
