//! The settings page: which notifications an employee gets, and push on their devices — turn
//! it on for this device (the browser's subscription, posted by app.js), remove a device,
//! send a test.

use actix_web::{web, HttpRequest};
use lead_store::{PushSubscriptionId, Store};

use super::inbox::{page, query_value};
use super::pages::{self, Settings};
use super::session::{Posted, Session};
use super::{see_other, PageResult};
use crate::request::{blocking, record_id};
use crate::team::{device_label, keep_device, push_enabled};
use crate::{ApiError, HttpConfig};

pub(crate) async fn settings(
    req: HttpRequest,
    session: Session,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let employee = session.member.employee_id;
    let ((notify_email, notify_push), devices) = blocking(&store, move |s| {
        Ok::<_, lead_store::StoreError>((
            s.access().employee_notify(employee)?,
            s.outbox().list_push_subscriptions(employee)?,
        ))
    })
    .await?;
    let tested = query_value(&req, "test").and_then(|count| count.parse().ok());
    let body = pages::settings(&Settings {
        zone: &session.zone,
        csrf: &session.csrf,
        notify_email,
        notify_push,
        push_key: config.push_public_key.as_deref(),
        devices: &devices,
        tested,
        password_changed: query_value(&req, "passwort").is_some(),
    });
    page(&store, &session, "Einstellungen", "settings", body).await
}

/// Which notifications: the form's two checkboxes.
pub(crate) async fn notify(posted: Posted, store: web::Data<Store>) -> PageResult {
    let employee = posted.session.member.employee_id;
    let email = posted.field("email") == Some("on");
    let push = posted.field("push") == Some("on");
    blocking(&store, move |s| {
        s.access().set_employee_notify(employee, Some(email), Some(push))
    })
    .await?;
    Ok(see_other("/app/settings"))
}

/// This device's push subscription, as app.js posts it after the browser made it.
pub(crate) async fn subscribe(
    req: HttpRequest,
    posted: Posted,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    push_enabled(&config)?;
    let field = |name: &'static str| {
        posted
            .field(name)
            .map(str::to_owned)
            .ok_or(ApiError::MissingField(name))
    };
    let (endpoint, p256dh, auth) = (field("endpoint")?, field("p256dh")?, field("auth")?);
    keep_device(
        &store,
        &config,
        posted.session.member,
        [endpoint, p256dh, auth, device_label(&req)],
    )
    .await?;
    Ok(see_other("/app/settings"))
}

pub(crate) async fn remove(path: web::Path<String>, posted: Posted, store: web::Data<Store>) -> PageResult {
    let id: PushSubscriptionId = record_id(&path)?;
    let member = posted.session.member;
    blocking(&store, move |s| s.outbox().remove_push_subscription(member, id)).await?;
    Ok(see_other("/app/settings"))
}

/// „Test senden“: a test message to each of the employee's devices.
pub(crate) async fn test(posted: Posted, store: web::Data<Store>, config: web::Data<HttpConfig>) -> PageResult {
    push_enabled(&config)?;
    let member = posted.session.member;
    let sent = blocking(&store, move |s| s.outbox().test_push(member)).await?;
    Ok(see_other(&format!("/app/settings?test={sent}")))
}
