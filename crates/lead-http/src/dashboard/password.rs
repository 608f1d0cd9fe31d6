//! An employee's own password: set after a one-time password (the session that password
//! opened sees nothing else), or changed with the current one. Either way the new password
//! must be hard to guess, and every other dashboard session of the employee ends.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use lead_store::{LoginClient, Store};

use super::inbox::page;
use super::pages;
use super::session::{Posted, Session};
use super::{see_other, PageResult};
use crate::request::blocking;
use crate::HttpConfig;

/// The form.
pub(crate) async fn form(session: Session, store: web::Data<Store>) -> PageResult {
    show(&store, &session, StatusCode::OK, None).await
}

/// The form again, with what was wrong (`status` 400 or 401), or for the first time.
async fn show(store: &web::Data<Store>, session: &Session, status: StatusCode, error: Option<&str>) -> PageResult {
    let first = session.member.password_only;
    let body = pages::password_form(&session.csrf, first, error);
    let mut response = if first {
        // Without the dashboard's frame: none of its links would open.
        crate::html(
            StatusCode::OK,
            pages::standalone("Eigenes Passwort festlegen – CRM", body),
        )
    } else {
        page(store, session, "Passwort ändern", "settings", body).await?
    };
    *response.status_mut() = status;
    Ok(response)
}

/// The new password: checked (length, zxcvbn against the employee's name and e-mail address,
/// typed twice alike) before anything else; then the current one, counted like a login's
/// wrong passwords but for this session alone; then saved, the other sessions ended.
pub(crate) async fn change(posted: Posted, store: web::Data<Store>, config: web::Data<HttpConfig>) -> PageResult {
    let session = &posted.session;
    let member = session.member;
    let first = member.password_only;
    let new = posted.field("new").unwrap_or_default().to_owned();
    if posted.field("repeat") != Some(new.as_str()) {
        let error = "Die beiden neuen Passwörter stimmen nicht überein.";
        return show(&store, session, StatusCode::BAD_REQUEST, Some(error)).await;
    }
    let employee = member.employee_id;
    let (me, hash) = blocking(&store, move |store| {
        Ok::<_, lead_store::StoreError>((
            store.access().find_employee(employee)?,
            store.access().own_password_hash(member)?,
        ))
    })
    .await?;
    if let Err(weak) = lead_auth::check_new_password(&new, &[&me.name, &me.email]) {
        return show(&store, session, StatusCode::BAD_REQUEST, Some(&weak.german())).await;
    }
    let limits = config.dashboard.logins;
    let current = if first {
        None
    } else {
        let given = posted.field("current").unwrap_or_default().to_owned();
        let email = me.email.clone();
        let client = LoginClient::Session(member.token_id);
        let reserved = blocking(&store, move |store| {
            store.access().reserve_login_attempt(&email, client, limits)
        })
        .await?;
        if !reserved {
            let error = format!(
                "Zu viele falsche Passwörter; bitte versuchen Sie es in {} Minuten noch einmal.",
                limits.lockout_ms / 60_000
            );
            return show(&store, session, StatusCode::TOO_MANY_REQUESTS, Some(&error)).await;
        }
        // No password to match (the operator removed it): nothing the employee types is right.
        Some((given, hash.unwrap_or_default()))
    };
    let place = config.dashboard.password_checks.place()?;
    let Some(new_hash) = place.change(current, new).await? else {
        let email = me.email.clone();
        let client = LoginClient::Session(member.token_id);
        blocking(&store, move |store| {
            store.access().note_failed_login(&email, client, limits)
        })
        .await?;
        let error = "Das aktuelle Passwort ist falsch.";
        return show(&store, session, StatusCode::UNAUTHORIZED, Some(error)).await;
    };
    blocking(&store, move |store| store.access().set_own_password(member, &new_hash)).await?;
    Ok(done(first))
}

/// After the change: the dashboard, or the settings saying it worked.
fn done(first: bool) -> HttpResponse {
    if first {
        see_other("/app/orders")
    } else {
        see_other("/app/settings?passwort=geaendert")
    }
}
