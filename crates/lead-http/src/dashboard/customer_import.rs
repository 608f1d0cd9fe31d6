//! „Kunden importieren“ (`/app/admin/kunden-import`): an admin uploads the company's customer
//! list; „Prüfen“ reports what an import would do, „Importieren“ does it, in the admin's name
//! (the customers' history and the audit log say so).

use actix_web::{web, HttpRequest};
use lead_present::german::list_error;
use lead_present::import::read_customers;
use lead_store::Store;

use super::admin::{acting, admin};
use super::inbox::page;
use super::pages::import::{customer_import, Outcome};
use super::session::{same_secret, Session};
use super::PageResult;
use crate::form::multipart;
use crate::request::{blocking, read_body_up_to};
use crate::{ApiError, HttpConfig};

/// The largest list taken: 20 MiB, some 200,000 lines.
pub(crate) const MAX_LIST_BYTES: usize = 20 * 1024 * 1024;

/// The page with the upload form.
pub(crate) async fn form(session: Session, store: web::Data<Store>) -> PageResult {
    admin(&store, &session).await?;
    let body = customer_import(&session.csrf, None);
    page(&store, &session, "Kunden importieren", "admin", body).await
}

/// An uploaded list (`multipart/form-data`: `csrf`, `file`, `mode` = `check` or `import`),
/// checked or imported; the page again, with the report.
pub(crate) async fn upload(
    req: HttpRequest,
    session: Session,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let me = admin(&store, &session).await?;
    let bytes = read_body_up_to(&req, body, &config, MAX_LIST_BYTES).await?;
    let parts = multipart(req.headers(), bytes).await?;
    let field = |name: &str| parts.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    if !field("csrf").is_some_and(|token| same_secret(token, &session.csrf)) {
        return Err(ApiError::Csrf.into());
    }
    if let Some(limits) = crate::member::writes(&req) {
        limits.check_writes(session.member.token_id)?;
    }
    let dry_run = field("mode") != Some("import");
    let file = parts
        .files
        .into_iter()
        .find(|file| file.name == "file" && !file.data.is_empty());
    let outcome = match file.map(|file| read_customers(&file.data)) {
        None => Outcome::Refused("Bitte wählen Sie eine CSV-Datei.".into()),
        Some(Err(error)) => Outcome::Refused(list_error(&error)),
        Some(Ok(list)) => {
            let store_as_me = acting(&store, &me);
            let (company, employee) = (me.company_id, me.id);
            blocking(&store, move |_| {
                let report = store_as_me
                    .team()
                    .import_customers(company, Some(employee), &list.lines, dry_run)?;
                Ok::<_, ApiError>(Outcome::Done { list, report, dry_run })
            })
            .await?
        }
    };
    let body = customer_import(&session.csrf, Some(&outcome));
    page(&store, &session, "Kunden importieren", "admin", body).await
}
