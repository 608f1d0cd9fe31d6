//! Web Push: the caller's devices (browsers' push subscriptions) — subscribe, list, remove,
//! and a test message to all of them.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use lead_store::{NewPushSubscription, PushSubscriptionId, Store};
use serde::{Deserialize, Serialize};

use super::ok;
use crate::error::ErrorBody;
use crate::request::{blocking, json_body, record_id, Given};
use crate::views::DeviceView;
use crate::{json, ApiError, HttpConfig, TeamMember};

/// The keys of a push subscription, as the browser gives them.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct SubscriptionKeys {
    /// The device's P-256 public key, base64url.
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    p256dh: Given<String>,
    /// The device's 16-byte authentication secret, base64url.
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    auth: Given<String>,
}

/// The body of `POST /api/v1/push/subscriptions`: the browser's `PushSubscription.toJSON()`.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct SubscriptionBody {
    /// The push service's URL for the device.
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    endpoint: Given<String>,
    /// Ignored (browsers send `null`).
    #[serde(default, rename = "expirationTime")]
    #[schema(value_type = Option<i64>)]
    _expiration_time: Option<serde_json::Value>,
    /// The keys the messages are encrypted for.
    #[schema(required = true)]
    keys: Option<SubscriptionKeys>,
}

/// The caller's devices, and the key a browser subscribes with.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Devices {
    /// The server's VAPID public key (base64url): `applicationServerKey` of
    /// `pushManager.subscribe`; `null` when push is not enabled on this server.
    public_key: Option<String>,
    items: Vec<DeviceView>,
}

/// How many devices a test message was sent to.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TestSent {
    devices: usize,
}

/// Refuses (`409`) when push is not enabled on this server.
pub(crate) fn push_enabled(config: &HttpConfig) -> Result<(), ApiError> {
    match config.push_public_key {
        Some(_) => Ok(()),
        None => Err(ApiError::Conflict(lead_present::german::clash(
            lead_store::Clash::PushOff,
        ))),
    }
}

/// Keeps a device of `member` — `subscription` is its endpoint, its `p256dh` and `auth` keys
/// and the device's label —: checked as the store checks it, then its push service's name
/// resolved as the sending will.
pub(crate) async fn keep_device(
    store: &web::Data<Store>,
    config: &HttpConfig,
    member: lead_store::Member,
    subscription: [String; 4],
) -> Result<lead_store::PushSubscription, ApiError> {
    fn new(subscription: &[String; 4]) -> NewPushSubscription<'_> {
        let [endpoint, p256dh, auth, device] = subscription;
        NewPushSubscription {
            endpoint,
            p256dh,
            auth,
            device,
        }
    }
    store.outbox().check_push_subscription(&new(&subscription))?;
    crate::request::reachable_target(config, "endpoint", &subscription[0]).await?;
    blocking(store, move |s| {
        s.outbox().add_push_subscription(member, &new(&subscription))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/push/subscriptions", tag = "team", security(("bearer" = [])), request_body = SubscriptionBody, responses((status = 201, body = DeviceView), (status = 400, body = ErrorBody), (status = 409, description = "Push is not enabled on this server, or the caller has the most devices allowed", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn subscribe(
    req: HttpRequest,
    member: TeamMember,
    body: web::Payload,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    push_enabled(&config)?;
    let body = json_body::<SubscriptionBody>(&req, body, &config).await?;
    let endpoint = body.endpoint.required_text("endpoint")?;
    let keys = body.keys.ok_or(ApiError::MissingField("keys"))?;
    let p256dh = keys.p256dh.required_text("keys.p256dh")?;
    let auth = keys.auth.required_text("keys.auth")?;
    let device = keep_device(&store, &config, member.0, [endpoint, p256dh, auth, device_label(&req)]).await?;
    Ok(json(StatusCode::CREATED, &DeviceView::from(device)))
}

#[utoipa::path(get, path = "/api/v1/push/subscriptions", tag = "team", security(("bearer" = [])), responses((status = 200, body = Devices), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn list_devices(
    member: TeamMember,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    let devices = blocking(&store, move |s| {
        s.outbox().list_push_subscriptions(member.0.employee_id)
    })
    .await?;
    Ok(ok(&Devices {
        public_key: config.push_public_key.clone(),
        items: devices.into_iter().map(DeviceView::from).collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/push/subscriptions/{id}", tag = "team", security(("bearer" = [])), params(("id" = i64, Path, description = "The device's id")), responses((status = 204, description = "Removed: it gets no more push messages"), (status = 404, description = "No such device of yours", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn remove_device(
    member: TeamMember,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, ApiError> {
    let id: PushSubscriptionId = record_id(&path)?;
    blocking(&store, move |s| s.outbox().remove_push_subscription(member.0, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/v1/push/test", tag = "team", security(("bearer" = [])), responses((status = 200, body = TestSent), (status = 409, description = "Push is not enabled on this server", body = ErrorBody), (status = 401, description = "No valid bearer token", body = ErrorBody), (status = 403, description = "The company is deactivated", body = ErrorBody)))]
pub(crate) async fn send_test(
    member: TeamMember,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> Result<HttpResponse, ApiError> {
    push_enabled(&config)?;
    let devices = blocking(&store, move |s| s.outbox().test_push(member.0)).await?;
    Ok(ok(&TestSent { devices }))
}

/// A short German label of the device a request came from: browser and system
/// („Chrome auf Android“, „Safari auf iPhone“), from its `User-Agent`.
pub(crate) fn device_label(req: &HttpRequest) -> String {
    let agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    label_of(agent)
}

fn label_of(agent: &str) -> String {
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari, iOS says Mac OS.
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(token, _)| agent.contains(token))
    .map(|(_, name)| *name);
    let system = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(token, _)| agent.contains(token))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} auf {system}"),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        (None, None) => "Unbekanntes Gerät".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::label_of;

    #[test]
    fn user_agents_become_short_labels() {
        for (agent, label) in [
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36", "Chrome auf Android"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari auf iPhone"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0", "Edge auf Windows"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox auf macOS"),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0 Safari/537.36", "Chrome auf Linux"),
            ("curl/8.5.0", "Unbekanntes Gerät"),
            ("", "Unbekanntes Gerät"),
        ] {
            assert_eq!(label_of(agent), label, "{agent}");
        }
    }
}
