//! `/app/admin/datenschutz`: a person's data on request (DSGVO Art. 15 and 17) — the export
//! as a download, the erasure once the address is typed twice, and the records of others that
//! still mention the address, which the admin replaces by „`[entfernt]`“ in one step.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use lead_store::Store;

use super::admin::{acting, admin};
use super::inbox::page;
use super::pages::{self, Privacy};
use super::session::{Posted, Session};
use super::PageResult;
use crate::request::blocking;
use crate::{ApiError, HttpConfig};

/// The page.
pub(crate) async fn privacy(session: Session, store: web::Data<Store>, config: web::Data<HttpConfig>) -> PageResult {
    admin(&store, &session).await?;
    let shown = Privacy::new(&session.csrf, config.keep_erased_orders);
    page(&store, &session, "Datenschutz", "admin", pages::privacy(&shown)).await
}

/// „Erwähnungen suchen“: the records of others that mention an address, changing nothing.
/// Posted, so that the address goes into no URL (the access log, the browser's history).
pub(crate) async fn privacy_search(
    posted: Posted,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let email = posted.field("email").unwrap_or_default().trim().to_owned();
    let company = me.company_id;
    let address = email.clone();
    let mentions = blocking(&store, move |s| s.privacy().person_mentions(company, &address)).await?;
    let mut shown = Privacy::new(&posted.session.csrf, config.keep_erased_orders);
    shown.mentions = Some((&email, &mentions));
    page(&store, &posted.session, "Datenschutz", "admin", pages::privacy(&shown)).await
}

/// Everything stored about an address in the admin's company, as a JSON download (Art. 15).
pub(crate) async fn privacy_export(posted: Posted, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let email = posted.field("email").unwrap_or_default().to_owned();
    let company = me.company_id;
    let document =
        lead_present::person::document(blocking(&store, move |s| s.privacy().export_person(company, &email)).await?);
    let body = serde_json::to_vec_pretty(&document).map_err(|e| ApiError::Internal(e.to_string()))?;
    let name: String = document["email"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"personendaten-{name}.json\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body))
}

/// The address, typed twice alike: what an erasure or a redaction needs to go ahead.
fn confirmed(posted: &Posted, what: &str) -> Result<String, ApiError> {
    let email = posted.field("email").unwrap_or_default().trim().to_owned();
    let confirm = posted.field("confirm").unwrap_or_default().trim().to_owned();
    if email.is_empty() || !email.eq_ignore_ascii_case(&confirm) {
        return Err(ApiError::InvalidField {
            field: "confirm",
            message: format!(
                "Zur Bestätigung muss die Adresse zweimal gleich eingegeben werden; es wurde nichts {what}."
            ),
        });
    }
    Ok(email)
}

/// Erases everything stored about an address in the admin's company (Art. 17), once the
/// address is typed a second time to confirm; then shows what of others still mentions it.
pub(crate) async fn privacy_erase(
    posted: Posted,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let email = confirmed(&posted, "gelöscht")?;
    let keep_orders = config.keep_erased_orders;
    let company = me.company_id;
    let store_as_me = acting(&store, &me);
    let address = email.clone();
    let (erased, mentions) = blocking(&store, move |_| {
        let erased = store_as_me.privacy().erase_person(company, &address, keep_orders)?;
        Ok::<_, lead_store::StoreError>((erased, store_as_me.privacy().person_mentions(company, &address)?))
    })
    .await?;
    let mut shown = Privacy::new(&posted.session.csrf, keep_orders);
    shown.erased = Some(&erased);
    shown.mentions = Some((&email, &mentions));
    page(&store, &posted.session, "Datenschutz", "admin", pages::privacy(&shown)).await
}

/// Replaces the address by „`[entfernt]`“ in every record of others that mentions it, once
/// the address is typed a second time to confirm.
pub(crate) async fn privacy_redact(
    posted: Posted,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let email = confirmed(&posted, "ersetzt")?;
    let company = me.company_id;
    let store_as_me = acting(&store, &me);
    let address = email.clone();
    let (redacted, mentions) = blocking(&store, move |_| {
        let redacted = store_as_me.privacy().redact_mentions(company, &address)?;
        Ok::<_, lead_store::StoreError>((redacted, store_as_me.privacy().person_mentions(company, &address)?))
    })
    .await?;
    let mut shown = Privacy::new(&posted.session.csrf, config.keep_erased_orders);
    shown.redacted = Some(redacted);
    shown.mentions = Some((&email, &mentions));
    page(&store, &posted.session, "Datenschutz", "admin", pages::privacy(&shown)).await
}
