//! The company's mailbox, set by its admins (`/app/admin/postfach`): shown without its
//! passwords, set, changed (a blank URL keeps the one set, password and all) or removed.

use actix_web::web;
use lead_domain::{ImapUrl, MailSecurity, Sender, SmtpUrl};
use lead_store::{MailboxSettings, SmtpChoice, Store};

use super::admin::{acting, admin};
use super::inbox::page;
use super::pages;
use super::session::{Posted, Session};
use super::PageResult;
use crate::request::blocking;
use crate::{ApiError, HttpConfig};

/// `/app/admin/postfach`.
pub(crate) async fn mailbox(session: Session, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &session).await?;
    let company = me.company_id;
    let mailbox = blocking(&store, move |s| s.outbox().mailbox(company)).await?;
    let body = pages::admin_mailbox(mailbox.as_ref(), &session.csrf, &session.zone);
    page(&store, &session, "E-Mail-Postfach", "admin", body).await
}

/// „Speichern“: the mailbox set as the form says; a wrong address says why and changes nothing.
pub(crate) async fn set_mailbox(posted: Posted, store: web::Data<Store>, config: web::Data<HttpConfig>) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let text = |name: &str| posted.field(name).unwrap_or_default().trim().to_owned();
    let invalid = |field: &'static str, message: &str| ApiError::InvalidField {
        field,
        message: message.to_owned(),
    };
    let imap = match text("imap") {
        url if url.is_empty() => None,
        url => {
            let imap = ImapUrl::parse(&url).map_err(|error| invalid("imap", error.german()))?;
            if imap.security == MailSecurity::Plain && !config.webhooks.allow_private {
                return Err(invalid(
                    "imap",
                    "Ohne Verschlüsselung ginge das Passwort im Klartext über das Netz: verwenden Sie imaps://.",
                )
                .into());
            }
            Some(imap)
        }
    };
    let from = Sender::parse(&text("from")).map_err(|error| invalid("from", error.german()))?;
    let smtp = match (posted.field("smtp_server"), text("smtp")) {
        (Some(_), _) => SmtpChoice::Server,
        (None, url) if url.is_empty() => SmtpChoice::Keep,
        (None, url) => {
            SmtpUrl::parse(&url).map_err(|error| invalid("smtp", error.german()))?;
            SmtpChoice::Own(url)
        }
    };
    let move_to = Some(text("move_to")).filter(|folder| !folder.is_empty());
    let settings = MailboxSettings {
        imap,
        from,
        smtp,
        move_to,
    };
    let (store_as_me, company) = (acting(&store, &me), me.company_id);
    blocking(&store, move |_| store_as_me.outbox().set_mailbox(company, &settings)).await?;
    Ok(posted.back("/app/admin/postfach"))
}

/// „Postfach entfernen“.
pub(crate) async fn remove_mailbox(posted: Posted, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let (store_as_me, company) = (acting(&store, &me), me.company_id);
    blocking(&store, move |_| store_as_me.outbox().remove_mailbox(company)).await?;
    Ok(posted.back("/app/admin/postfach"))
}
