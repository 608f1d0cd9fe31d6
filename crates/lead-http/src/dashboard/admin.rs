//! The company's admin pages (`/app/admin/…`): for employees whose role is `admin`; a member
//! gets `403` on every page and every action, and nothing changes. Every action names the
//! acting employee in the audit log, and reaches only the admin's own company.

use actix_web::web;
use lead_store::{
    DeliveryFilter, DeliveryId, DeliveryStatus, Employee, EmployeeId, Event, KeyId, NewWebhook, Role, Scope, Store,
    WebhookFormat, WebhookId,
};

use super::inbox::page;
use super::pages;
use super::session::{Posted, Session};
use super::PageResult;
use crate::request::blocking;
use crate::{ApiError, HttpConfig};

/// The logged-in employee, if an admin of their company.
pub(crate) async fn admin(store: &web::Data<Store>, session: &Session) -> Result<Employee, ApiError> {
    let id = session.member.employee_id;
    let me = blocking(store, move |s| s.access().find_employee(id)).await?;
    match me.role {
        Role::Admin => Ok(me),
        Role::Member => Err(ApiError::AdminOnly),
    }
}

/// The store, recording `me` as the actor in the audit log.
pub(super) fn acting(store: &web::Data<Store>, me: &Employee) -> Store {
    store
        .get_ref()
        .clone()
        .acting_as(format!("employee {} ({}) in the dashboard", me.id, me.name))
}

/// `/app/admin`: what an admin can do.
pub(crate) async fn index(session: Session, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &session).await?;
    let company = me.company_id;
    let auto = blocking(&store, move |s| s.access().auto_customers(company)).await?;
    page(
        &store,
        &session,
        "Verwaltung",
        "admin",
        pages::admin_index(auto, &session.csrf),
    )
    .await
}

/// „Neue Absender automatisch als Kunden anlegen“: `auto` = `off`, `orders` or `all`.
pub(crate) async fn auto_customers(posted: Posted, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let auto: lead_store::AutoCustomers =
        posted
            .field("auto")
            .unwrap_or_default()
            .parse()
            .map_err(|_| ApiError::InvalidField {
                field: "auto",
                message: "Bitte wählen Sie eine der Möglichkeiten.".into(),
            })?;
    let (store_as_me, company) = (acting(&store, &me), me.company_id);
    blocking(&store, move |_| store_as_me.access().set_auto_customers(company, auto)).await?;
    Ok(posted.back("/app/admin"))
}

fn id_of<T: std::str::FromStr>(path: &str, what: &'static str) -> Result<T, ApiError> {
    path.parse().map_err(|_| ApiError::NotFound(what))
}

/// `/app/admin/mitarbeiter`: the company's employees; `password` is a one-time password just
/// set for `for_employee`, shown this once.
pub(crate) async fn employees(session: Session, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &session).await?;
    employees_page(&store, &session, &me, None).await
}

async fn employees_page(
    store: &web::Data<Store>,
    session: &Session,
    me: &Employee,
    password: Option<(EmployeeId, &str)>,
) -> PageResult {
    let company = me.company_id;
    let list = blocking(store, move |s| s.access().list_employees(company)).await?;
    let password = password.and_then(|(id, password)| Some((list.iter().find(|e| e.id == id)?, password)));
    let body = pages::admin_employees(&list, me.id, &session.csrf, password);
    page(store, session, "Mitarbeiter", "admin", body).await
}

/// Adds an employee (an admin with `admin=on`).
pub(crate) async fn add_employee(posted: Posted, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let name = posted.field("name").unwrap_or_default().to_owned();
    let email = posted.field("email").unwrap_or_default().to_owned();
    let make_admin = posted.field("admin") == Some("on");
    let store_as_me = acting(&store, &me);
    let company = me.company_id;
    blocking(&store, move |_| -> Result<(), ApiError> {
        let id = store_as_me.access().add_employee(company, &name, &email)?;
        if make_admin {
            store_as_me
                .access()
                .set_employee_role(Scope::Company(company), id, Role::Admin)?;
        }
        Ok(())
    })
    .await?;
    Ok(super::see_other("/app/admin/mitarbeiter"))
}

lead_domain::words! {
    /// What an admin does to an employee: the last segment of the action's route.
    EmployeeAction("action") {
        /// Lets a deactivated employee in again.
        Activate = "activate",
        /// Ends every session and token; the employee is notified no more.
        Deactivate = "deactivate",
        /// Makes the employee an admin of the company.
        Admin = "admin",
        /// Takes the company's administration away.
        Member = "member",
        /// Sets a one-time password, shown this once.
        Password = "password",
        /// Lifts every lockout of the employee's login.
        Unlock = "unlock",
    }
}

/// `action` on the employee of `path` (`/app/admin/mitarbeiter/{id}/{action}`, a route each).
pub(crate) async fn employee_action(
    path: web::Path<String>,
    posted: Posted,
    store: web::Data<Store>,
    config: web::Data<crate::HttpConfig>,
    action: EmployeeAction,
) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let id: EmployeeId = id_of(&path, "Diesen Mitarbeiter gibt es nicht.")?;
    if id == me.id && matches!(action, EmployeeAction::Deactivate | EmployeeAction::Member) {
        return Err(ApiError::Conflict(
            "Sich selbst können Sie weder deaktivieren noch die Verwaltung entziehen – das muss ein anderer Administrator tun.".into(),
        )
        .into());
    }
    let store_as_me = acting(&store, &me);
    // Another company's employee is not found, like a missing one: the store answers so.
    let scope = Scope::Company(me.company_id);
    match action {
        EmployeeAction::Activate | EmployeeAction::Deactivate => {
            let on = action == EmployeeAction::Activate;
            blocking(&store, move |_| store_as_me.access().set_employee_active(scope, id, on)).await?;
        }
        EmployeeAction::Admin | EmployeeAction::Member => {
            let role = if action == EmployeeAction::Admin {
                Role::Admin
            } else {
                Role::Member
            };
            blocking(&store, move |_| store_as_me.access().set_employee_role(scope, id, role)).await?;
        }
        EmployeeAction::Password => {
            let password = lead_auth::generate_password().map_err(|e| ApiError::Internal(e.to_string()))?;
            let hash = config.dashboard.password_checks.place()?.hash(password.clone()).await?;
            blocking(&store, move |_| {
                store_as_me.access().set_one_time_password(scope, id, &hash)
            })
            .await?;
            return employees_page(&store, &posted.session, &me, Some((id, &password))).await;
        }
        EmployeeAction::Unlock => {
            blocking(&store, move |_| store_as_me.access().lift_lockouts(scope, id)).await?;
        }
    }
    Ok(super::see_other("/app/admin/mitarbeiter"))
}

/// `/app/admin/keys`: the company's API keys.
pub(crate) async fn keys(session: Session, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &session).await?;
    keys_page(&store, &session, &me, None).await
}

async fn keys_page(store: &web::Data<Store>, session: &Session, me: &Employee, issued: Option<&str>) -> PageResult {
    let company = me.company_id;
    let (list, routing) = blocking(store, move |s| {
        let routing = pages::Routing {
            routes: s.access().key_routes(company)?,
            employees: super::leads::colleagues(s, company)?,
        };
        Ok::<_, lead_store::StoreError>((s.access().list_keys(Some(company))?, routing))
    })
    .await?;
    let body = pages::admin_keys(&list, &routing, &session.csrf, issued, &session.zone);
    page(store, session, "API-Schlüssel", "admin", body).await
}

/// Issues a key: shown this once, with a form and a `fetch` that use it.
pub(crate) async fn issue_key(posted: Posted, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let label = posted.field("label").unwrap_or_default().trim().to_owned();
    let key = lead_auth::ApiKey::generate().map_err(|e| ApiError::Internal(e.to_string()))?;
    let (store_as_me, company, issued) = (acting(&store, &me), me.company_id, key.clone());
    blocking(&store, move |_| store_as_me.access().add_key(company, &issued, &label)).await?;
    keys_page(&store, &posted.session, &me, Some(key.expose())).await
}

lead_domain::words! {
    /// What an admin does to an API key: the last segment of the action's route.
    KeyAction("action") {
        /// Revokes it for good.
        Revoke = "revoke",
        /// Sets its websites (`origins`: one per line; empty: any).
        Origins = "origins",
        /// Sets its daily cap (`cap`: a number of leads a day; empty: none).
        Cap = "cap",
        /// Turns the confirmation e-mail to each sender on (`confirm=on`) or off.
        Confirm = "confirm",
        /// Requires a proof of work of its leads (`challenge=on`) or not.
        Challenge = "challenge",
        /// Sets who its new leads go to (`employee`, repeated: one always, several in turn).
        Route = "route",
        /// Sets the consent sentence its form shows (`consent_text`; empty: none).
        ConsentText = "consent-text",
    }
}

/// `action` on the key of `path` (`/app/admin/keys/{id}/{action}`, a route each).
pub(crate) async fn key_action(
    path: web::Path<String>,
    posted: Posted,
    store: web::Data<Store>,
    action: KeyAction,
) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let id: KeyId = id_of(&path, "Diesen Schlüssel gibt es nicht.")?;
    let scope = Scope::Company(me.company_id);
    let store_as_me = acting(&store, &me);
    match action {
        KeyAction::Revoke => blocking(&store, move |_| store_as_me.access().revoke_key(scope, id)).await?,
        KeyAction::Origins => {
            let origins = posted
                .field("origins")
                .unwrap_or_default()
                .split(['\n', ',', ' '])
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(crate::parse_origin)
                .collect::<Result<Vec<String>, _>>()
                .map_err(|error| ApiError::InvalidField {
                    field: "origins",
                    message: error.german(),
                })?;
            blocking(&store, move |_| {
                store_as_me.access().set_key_origins(scope, id, &origins)
            })
            .await?;
        }
        KeyAction::Cap => {
            let text = posted.field("cap").unwrap_or_default().trim().to_owned();
            let cap = match text.as_str() {
                "" => None,
                number => Some(
                    number
                        .parse::<i64>()
                        .ok()
                        .filter(|n| *n >= 0)
                        .ok_or(ApiError::InvalidField {
                            field: "cap",
                            message: "Die Tagesgrenze muss eine Zahl ab 0 sein, oder leer für keine.".into(),
                        })?,
                ),
            };
            blocking(&store, move |_| store_as_me.access().set_daily_cap(scope, id, cap)).await?;
        }
        KeyAction::Route => {
            let employees = posted
                .fields
                .iter()
                .filter(|(name, _)| name == "employee")
                .map(|(_, value)| value.parse::<i64>().map(EmployeeId::new))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| ApiError::InvalidField {
                    field: "employee",
                    message: "Bitte wählen Sie Mitarbeiter aus der Liste.".into(),
                })?;
            blocking(&store, move |_| {
                store_as_me.access().set_key_route(scope, id, &employees)
            })
            .await?;
        }
        KeyAction::Confirm => {
            let on = posted.field("confirm") == Some("on");
            blocking(&store, move |_| store_as_me.access().set_key_confirm(scope, id, on)).await?;
        }
        KeyAction::Challenge => {
            let on = posted.field("challenge") == Some("on");
            blocking(&store, move |_| store_as_me.access().set_key_challenge(scope, id, on)).await?;
        }
        KeyAction::ConsentText => {
            let text = posted.field("consent_text").map(str::to_owned);
            blocking(&store, move |_| {
                store_as_me.access().set_key_consent_text(scope, id, text.as_deref())
            })
            .await?;
        }
    }
    Ok(super::see_other("/app/admin/keys"))
}

/// `/app/admin/protokoll`: the submission log of the company's keys — why a form fails.
pub(crate) async fn submissions(
    req: actix_web::HttpRequest,
    session: Session,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let me = admin(&store, &session).await?;
    // The lists' filters: the days in the team's zone, the page.
    let filters = super::inbox::Filters::of(&req, &config)?;
    let (key, failed) = (filters.get("key").to_owned(), filters.get("failed") == "on");
    let filter = lead_store::SubmissionFilter {
        company_id: Some(me.company_id),
        key_prefix: Some(key.clone()).filter(|key| !key.is_empty()),
        failed_only: failed,
        before: filters.before.map(lead_store::SubmissionId::new),
        limit: Some(101),
        since: filters.search.since,
        until: filters.search.until,
    };
    let (since, until) = (filters.get("since").to_owned(), filters.get("until").to_owned());
    let mut list = blocking(&store, move |s| s.intake().list_submissions(&filter)).await?;
    let older = (list.len() > 100).then(|| {
        list.truncate(100);
        list.last().map(|entry| entry.id.get())
    });
    let body = pages::admin_submissions(&list, &key, failed, (&since, &until), older.flatten(), &session.zone);
    page(&store, &session, "Formular-Protokoll", "admin", body).await
}

/// `/app/admin/webhooks`: the company's webhook endpoints and its deliveries (webhooks,
/// e-mails, push messages), filtered by status.
pub(crate) async fn webhooks(req: actix_web::HttpRequest, session: Session, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &session).await?;
    webhooks_page(&req, &store, &session, &me, None, None).await
}

async fn webhooks_page(
    req: &actix_web::HttpRequest,
    store: &web::Data<Store>,
    session: &Session,
    me: &Employee,
    secret: Option<&str>,
    tested: Option<&str>,
) -> PageResult {
    let status = super::inbox::query_value(req, "status").and_then(|s| s.parse::<DeliveryStatus>().ok());
    let filter = DeliveryFilter {
        company_id: Some(me.company_id),
        status,
        limit: Some(100),
        ..DeliveryFilter::default()
    };
    let company = me.company_id;
    let (endpoints, deliveries) = blocking(store, move |s| {
        Ok::<_, lead_store::StoreError>((
            s.outbox().list_webhooks(Some(company))?,
            s.deliveries().list_deliveries(&filter)?,
        ))
    })
    .await?;
    let body = pages::admin_webhooks(
        &endpoints,
        &deliveries,
        status,
        &session.csrf,
        secret,
        tested,
        &session.zone,
    );
    page(store, session, "Webhooks & Zustellungen", "admin", body).await
}

/// Adds a webhook endpoint (every event; `format` standard or slack): its signing secret is
/// shown this once — a chat post is unsigned, so none is shown for one.
pub(crate) async fn add_webhook(
    req: actix_web::HttpRequest,
    posted: Posted,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let url = posted.field("url").unwrap_or_default().trim().to_owned();
    lead_domain::check_target_url(&url, config.webhooks.allow_private).map_err(|error| ApiError::InvalidField {
        field: "url",
        message: format!("An diese Adresse sendet der Server nicht: {error}"),
    })?;
    crate::request::reachable_target(&config, "url", &url).await?;
    let format: WebhookFormat =
        posted
            .field("format")
            .unwrap_or("standard")
            .parse()
            .map_err(|_| ApiError::InvalidField {
                field: "format",
                message: "Das Format ist „standard“ oder „slack“.".into(),
            })?;
    let secret = (config.webhooks.secret)().map_err(ApiError::Internal)?;
    let (store_as_me, company, kept) = (acting(&store, &me), me.company_id, secret.clone());
    blocking(&store, move |_| {
        store_as_me.outbox().add_webhook(&NewWebhook {
            company_id: company,
            url: &url,
            events: Event::WEBHOOK_EVENTS,
            format,
            secret: &kept,
        })
    })
    .await?;
    let shown = (format == WebhookFormat::Standard).then_some(secret.as_str());
    webhooks_page(&req, &store, &posted.session, &me, shown, None).await
}

/// Sends a test request to a webhook endpoint of the company now, and says what it answered.
pub(crate) async fn test_webhook(
    req: actix_web::HttpRequest,
    path: web::Path<String>,
    posted: Posted,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let id: WebhookId = id_of(&path, "Diesen Webhook gibt es nicht.")?;
    let scope = Scope::Company(me.company_id);
    let (_, target) = blocking(&store, move |s| s.outbox().find_webhook(scope, id)).await?;
    let said = match (config.webhooks.ping)(target).await {
        Ok(answer) => answer,
        Err(problem) => problem,
    };
    webhooks_page(&req, &store, &posted.session, &me, None, Some(&said)).await
}

lead_domain::words! {
    /// What an admin does to a webhook endpoint: the last segment of the action's route.
    WebhookAction("action") {
        /// Removes it; what it was still owed fails.
        Remove = "remove",
        /// Enables it again after it was disabled.
        Enable = "enable",
    }
}

/// `action` on the webhook endpoint of `path` (`/app/admin/webhooks/{id}/{action}`, a route
/// each).
pub(crate) async fn webhook_action(
    path: web::Path<String>,
    posted: Posted,
    store: web::Data<Store>,
    action: WebhookAction,
) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let id: WebhookId = id_of(&path, "Diesen Webhook gibt es nicht.")?;
    let scope = Scope::Company(me.company_id);
    let store_as_me = acting(&store, &me);
    match action {
        WebhookAction::Remove => blocking(&store, move |_| store_as_me.outbox().remove_webhook(scope, id)).await?,
        WebhookAction::Enable => blocking(&store, move |_| store_as_me.outbox().enable_webhook(scope, id)).await?,
    }
    Ok(super::see_other("/app/admin/webhooks"))
}

/// Sends a failed delivery of the company once more.
pub(crate) async fn retry_delivery(path: web::Path<String>, posted: Posted, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &posted.session).await?;
    let id: DeliveryId = id_of(&path, "Diese Zustellung gibt es nicht.")?;
    let scope = Scope::Company(me.company_id);
    let store_as_me = acting(&store, &me);
    blocking(&store, move |_| store_as_me.deliveries().retry_delivery(scope, id)).await?;
    Ok(super::see_other("/app/admin/webhooks"))
}

/// `/app/admin/audit`: who changed what in the company — employees, keys, webhooks,
/// erasures —, newest first, 100 a page.
pub(crate) async fn audit(req: actix_web::HttpRequest, session: Session, store: web::Data<Store>) -> PageResult {
    let me = admin(&store, &session).await?;
    let before = super::inbox::query_value(&req, "before")
        .and_then(|v| v.parse::<i64>().ok())
        .map(lead_store::AuditId::new);
    let company = me.company_id;
    let mut entries = blocking(&store, move |s| s.access().list_company_audit(company, before, 101)).await?;
    let older = (entries.len() > 100).then(|| {
        entries.truncate(100);
        entries.last().map(|entry| entry.id.get())
    });
    let body = pages::admin_audit(&entries, older.flatten(), &session.zone);
    page(&store, &session, "Audit-Log", "admin", body).await
}
