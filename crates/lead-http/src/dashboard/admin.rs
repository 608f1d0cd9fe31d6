//! The company's admin pages (`/app/admin/…`): for employees whose role is `admin`; a member
//! gets `403` on every page and every action, and nothing changes. Every action names the
//! acting employee in the audit log, and reaches only the admin's own company.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use lead_store::{Employee, Role, Store};

use super::inbox::page;
use super::pages;
use super::session::{Posted, Session};
use super::PageResult;
use crate::request::blocking;
use crate::{ApiError, HttpConfig};

/// The logged-in employee, if an admin of their company.
pub(crate) async fn admin(store: &web::Data<Store>, session: &Session) -> Result<Employee, ApiError> {
    let id = session.member.employee_id;
    let me = blocking(store, move |s| s.find_employee(id)).await?;
    match me.role {
        Role::Admin => Ok(me),
        Role::Member => Err(ApiError::AdminOnly),
    }
}

/// The store, recording `me` as the actor in the audit log.
fn acting(store: &web::Data<Store>, me: &Employee) -> Store {
    store
        .get_ref()
        .clone()
        .acting_as(format!("employee {} ({}) in the dashboard", me.id, me.name))
}

/// `/app/admin`: what an admin can do.
pub(crate) async fn index(session: Session, store: web::Data<Store>) -> PageResult {
    admin(&store, &session).await?;
    page(&store, &session, "Verwaltung", "admin", pages::admin_index()).await
}

/// `/app/admin/datenschutz`: a person's data on request.
pub(crate) async fn privacy(session: Session, store: web::Data<Store>, config: web::Data<HttpConfig>) -> PageResult {
    admin(&store, &session).await?;
    let body = pages::privacy(&session.csrf, config.keep_erased_orders, None);
    page(&store, &session, "Datenschutz", "admin", body).await
}

/// Everything stored about an address in the admin's company, as a JSON download (Art. 15).
pub(crate) async fn privacy_export(posted: Posted, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let email = posted.field("email").unwrap_or_default().to_owned();
    let company = me.company_id;
    let document = blocking(&store, move |s| s.export_person(company, &email)).await?;
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

/// Erases everything stored about an address in the admin's company (Art. 17), once the
/// address is typed a second time to confirm.
pub(crate) async fn privacy_erase(
    posted: Posted,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let email = posted.field("email").unwrap_or_default().trim().to_owned();
    let confirm = posted.field("confirm").unwrap_or_default().trim().to_owned();
    if email.is_empty() || !email.eq_ignore_ascii_case(&confirm) {
        return Err(ApiError::InvalidField {
            field: "confirm",
            message: "Zur Bestätigung muss die Adresse zweimal gleich eingegeben werden; es wurde nichts gelöscht."
                .into(),
        }
        .into());
    }
    let keep_orders = config.keep_erased_orders;
    let company = me.company_id;
    let store_as_me = acting(&store, &me);
    let erased = blocking(&store, move |_| store_as_me.erase_person(company, &email, keep_orders)).await?;
    let body = pages::privacy(&posted.session.csrf, keep_orders, Some(&erased));
    page(&store, &posted.session, "Datenschutz", "admin", body).await
}
