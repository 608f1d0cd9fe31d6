//! The pages of the team's daily work: the order inbox, tickets, customer files and
//! notifications, and the forms that change them.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use lead_domain::{OrderStatus, TicketStatus};
use lead_store::{CustomerId, NoteId, NoteOn, NotesPage, NotificationId, OrderId, Store, TicketId};

use maud::Markup;

use super::pages::{self, Viewer};
use super::session::{Posted, Session};
use super::{see_other, PageResult};
use crate::request::{blocking, record_id};
use crate::{ApiError, HttpConfig};

/// Notifications shown in the bell's list.
const BELL_ITEMS: i64 = 8;

/// A page for `session`: the layout with the employee's name, the bell's count and latest
/// notifications.
pub(super) async fn page(
    store: &web::Data<Store>,
    session: &Session,
    title: &str,
    active: &str,
    body: Markup,
) -> PageResult {
    let employee = session.member.employee_id;
    let (me, unread, recent) = blocking(store, move |store| {
        Ok::<_, lead_store::StoreError>((
            store.access().find_employee(employee)?,
            store.team().count_unread_notifications(employee)?,
            store
                .team()
                .list_notifications(employee, false, None, Some(BELL_ITEMS))?,
        ))
    })
    .await?;
    let viewer = Viewer {
        name: &me.name,
        csrf: &session.csrf,
        unread,
        recent: &recent,
        admin: me.role == lead_store::Role::Admin,
    };
    Ok(crate::html(StatusCode::OK, pages::layout(title, active, &viewer, body)))
}

pub(super) fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.into_owned())
}

/// A list page's filters from its query: status, search, days (in the team's zone), page.
pub(super) struct Filters {
    pairs: Vec<(String, String)>,
    pub(super) search: lead_store::Search,
    pub(super) before: Option<i64>,
}

impl Filters {
    pub(super) fn of(req: &HttpRequest, config: &HttpConfig) -> Result<Filters, ApiError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
            .into_owned()
            .collect();
        let get = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let search = crate::team::search_of(get, &config.dashboard.time_zone)?;
        let before = get("before").and_then(|v| v.parse::<i64>().ok()).filter(|id| *id > 0);
        Ok(Filters { pairs, search, before })
    }

    /// The leads of kind `K` these filters ask for (a status that is none of the kind's: all),
    /// `limit` at most.
    /// `me` is the viewer, whose leads `owner=me` asks for (an owner that is none: all).
    pub(super) fn query<K: lead_store::LeadKind>(
        &self,
        limit: i64,
        me: lead_store::EmployeeId,
    ) -> lead_store::LeadQuery<K> {
        lead_store::LeadQuery {
            status: self.get("status").parse().ok(),
            search: self.search.clone(),
            owner: crate::team::owner_of(Some(self.get("owner")), me).flatten(),
            before: self.before.map(K::numbered),
            limit: Some(limit),
        }
    }

    pub(super) fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub(super) fn view<'a>(
        &'a self,
        base: &'static str,
        status: Option<&'a str>,
        older: Option<i64>,
    ) -> pages::ListView<'a> {
        pages::ListView {
            base,
            status,
            q: self.get("q"),
            since: self.get("since"),
            until: self.get("until"),
            owner: self.get("owner"),
            before: self.before,
            older,
            counts: Vec::new(),
        }
    }
}

/// Accepts or rejects an order; an optional `reason` goes into its history as a note.
async fn decide(path: web::Path<String>, posted: Posted, store: web::Data<Store>, decision: OrderStatus) -> PageResult {
    let id: OrderId = record_id(&path)?;
    let member = posted.session.member;
    let reason = posted.field("reason").unwrap_or_default().trim().to_owned();
    if reason.chars().count() > lead_store::MAX_NOTE_CHARS {
        return Err(ApiError::InvalidField {
            field: "reason",
            message: format!("Die Begründung ist länger als {} Zeichen.", lead_store::MAX_NOTE_CHARS),
        }
        .into());
    }
    blocking(&store, move |s| {
        s.team().decide_order(member, id, decision)?;
        if !reason.is_empty() {
            let said = match decision {
                OrderStatus::Rejected => "Begründung der Ablehnung",
                _ => "Begründung der Annahme",
            };
            s.team()
                .add_note(member, NoteOn::Order(id), &format!("{said}: {reason}"))?;
        }
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(posted.back("/app/orders"))
}

/// A note on an order, a ticket or a customer, from its page.
pub(super) async fn add_note<T: crate::request::Record>(
    path: web::Path<String>,
    posted: Posted,
    store: web::Data<Store>,
    on: fn(T) -> NoteOn,
    page: &str,
) -> PageResult {
    let id: T = record_id(&path)?;
    let member = posted.session.member;
    let text = posted.field("text").unwrap_or_default().to_owned();
    blocking(&store, move |s| s.team().add_note(member, on(id), &text)).await?;
    Ok(see_other(&format!("{page}/{}#timeline", path.as_str())))
}

/// „Speichern“ under „Akte bearbeiten“: every field of the form set as given (the further
/// addresses one per line, or separated by commas), then the file. Only what differs from the
/// file goes into its history; a wrong value changes nothing and says why.
pub(crate) async fn edit_customer(path: web::Path<String>, posted: Posted, store: web::Data<Store>) -> PageResult {
    let id: CustomerId = record_id(&path)?;
    let text = |name: &str| posted.field(name).map(str::to_owned);
    let change = lead_store::CustomerChange {
        name: text("name"),
        email: text("email"),
        emails: posted.field("emails").map(|list| {
            list.split(['\n', ',', ';'])
                .map(str::trim)
                .filter(|address| !address.is_empty())
                .map(str::to_owned)
                .collect()
        }),
        phone: text("phone"),
        organization: text("company"),
        street: text("street"),
        zip: text("zip"),
        city: text("city"),
        country: text("country"),
    };
    let member = posted.session.member;
    blocking(&store, move |s| s.team().update_customer(member, id, &change)).await?;
    Ok(see_other(&format!("/app/customers/{id}")))
}

/// How many other files a merge search shows.
const MERGE_CANDIDATES: i64 = 20;

/// „In diese Akte übernehmen“: the file `from` merged into `id`, then `id`'s page.
pub(crate) async fn merge_customer(
    path: web::Path<(String, String)>,
    posted: Posted,
    store: web::Data<Store>,
) -> PageResult {
    let (into, from) = path.into_inner();
    let into: CustomerId = record_id(&into)?;
    let from: CustomerId = record_id(&from)?;
    let member = posted.session.member;
    blocking(&store, move |s| s.team().merge_customers(member, into, from)).await?;
    Ok(see_other(&format!("/app/customers/{into}")))
}

pub(crate) async fn customer_note(path: web::Path<String>, posted: Posted, store: web::Data<Store>) -> PageResult {
    add_note::<CustomerId>(path, posted, store, NoteOn::Customer, "/app/customers").await
}

pub(crate) async fn accept(path: web::Path<String>, posted: Posted, store: web::Data<Store>) -> PageResult {
    decide(path, posted, store, OrderStatus::Accepted).await
}

pub(crate) async fn reject(path: web::Path<String>, posted: Posted, store: web::Data<Store>) -> PageResult {
    decide(path, posted, store, OrderStatus::Rejected).await
}

async fn set_ticket(
    path: web::Path<String>,
    posted: Posted,
    store: web::Data<Store>,
    status: TicketStatus,
) -> PageResult {
    let id: TicketId = record_id(&path)?;
    let member = posted.session.member;
    blocking(&store, move |s| s.team().set_ticket_status(member, id, status)).await?;
    Ok(see_other(&format!("/app/tickets/{id}")))
}

pub(crate) async fn close(path: web::Path<String>, posted: Posted, store: web::Data<Store>) -> PageResult {
    set_ticket(path, posted, store, TicketStatus::Closed).await
}

pub(crate) async fn reopen(path: web::Path<String>, posted: Posted, store: web::Data<Store>) -> PageResult {
    set_ticket(path, posted, store, TicketStatus::Open).await
}

pub(crate) async fn assign(path: web::Path<String>, posted: Posted, store: web::Data<Store>) -> PageResult {
    let id: TicketId = record_id(&path)?;
    let customer = posted
        .field("customer_id")
        .and_then(|v| v.parse::<CustomerId>().ok())
        .ok_or_else(|| ApiError::InvalidField {
            field: "customer_id",
            message: "kein Kunde gewählt".into(),
        })?;
    let company = posted.session.member.company_id;
    blocking(&store, move |s| s.team().assign_ticket(company, id, customer)).await?;
    Ok(see_other(&format!("/app/tickets/{id}")))
}

pub(crate) async fn customers(req: HttpRequest, session: Session, store: web::Data<Store>) -> PageResult {
    let q = query_value(&req, "q").unwrap_or_default();
    let company = session.member.company_id;
    let search = q.clone();
    let list = blocking(&store, move |s| {
        s.team().list_customers(
            company,
            Some(search.as_str()).filter(|q| !q.is_empty()),
            None,
            Some(200),
        )
    })
    .await?;
    page(&store, &session, "Kunden", "customers", pages::customers(&list, &q)).await
}

/// A customer's file: the newest 50 tickets and orders; `?tickets_before=ID` and
/// `?orders_before=ID` page further back.
pub(crate) async fn customer(
    req: HttpRequest,
    path: web::Path<String>,
    session: Session,
    store: web::Data<Store>,
) -> PageResult {
    let id: CustomerId = record_id(&path)?;
    let company = session.member.company_id;
    let before = |name: &str| query_value(&req, name).and_then(|v| v.parse::<i64>().ok());
    let (tickets_before, orders_before) = (before("tickets_before"), before("orders_before"));
    let notes_before = notes_before(&req);
    let merge_q = query_value(&req, "merge_q")
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    let file = blocking(&store, move |s| -> Result<_, ApiError> {
        let mut file = s.team().customer_file(company, id, FILE_PAGE)?;
        let history = s.team().customer_history(company, id)?;
        let merge = match merge_q {
            Some(q) => {
                let found = s
                    .team()
                    .list_customers(company, Some(&q), None, Some(MERGE_CANDIDATES + 1))?;
                let others = found
                    .into_iter()
                    .filter(|c| c.id != id)
                    .take(MERGE_CANDIDATES as usize)
                    .collect();
                Some((q, others))
            }
            None => None,
        };
        let more = pages::FileMore { history, merge };
        if let Some(before) = tickets_before {
            (file.tickets, file.more_tickets) = file_page(s, company, id, before)?;
        }
        if let Some(before) = orders_before {
            (file.orders, file.more_orders) = file_page(s, company, id, before)?;
        }
        let notes = notes_page(s, company, NoteOn::Customer(id), notes_before)?;
        Ok((file, notes, more))
    })
    .await?;
    let (file, notes, more) = file;
    let name = file.customer.name.clone();
    let paging = pages::FilePaging {
        tickets_before,
        orders_before,
    };
    let body = pages::customer_file(&file, paging, &notes, &more, &session.csrf, &session.zone);
    page(&store, &session, &name, "customers", body).await
}

/// Tickets and orders per page of a customer's file.
const FILE_PAGE: i64 = 50;

/// A page of a customer's leads of kind `K`, below `before`, and whether older ones follow.
fn file_page<K: lead_store::LeadKind>(
    store: &Store,
    company: lead_store::CompanyId,
    customer: CustomerId,
    before: i64,
) -> Result<(Vec<K>, bool), ApiError> {
    let mut leads = store
        .team()
        .customer_leads::<K>(company, customer, Some(K::numbered(before)), FILE_PAGE + 1)?;
    let more = leads.len() > FILE_PAGE as usize;
    leads.truncate(FILE_PAGE as usize);
    Ok((leads, more))
}

/// Notes per page of a record.
const NOTES_PAGE: i64 = 50;

/// `?notes_before=ID`: the page of notes older than that one.
pub(super) fn notes_before(req: &HttpRequest) -> Option<NoteId> {
    query_value(req, "notes_before")
        .and_then(|id| id.parse::<i64>().ok())
        .map(NoteId::new)
}

/// A record's newest notes, or those before `before`: a page, shown oldest first.
pub(super) fn notes_page(
    store: &Store,
    company: lead_store::CompanyId,
    on: NoteOn,
    before: Option<NoteId>,
) -> Result<pages::NotesShown, ApiError> {
    let mut notes = store
        .team()
        .list_notes(company, on, NotesPage::NewestBefore(before), NOTES_PAGE + 1)?;
    let more = notes.len() > NOTES_PAGE as usize;
    notes.truncate(NOTES_PAGE as usize);
    notes.reverse();
    Ok(pages::NotesShown {
        older: notes.first().filter(|_| more).map(|note| note.id),
        paged: before.is_some(),
        notes,
    })
}

pub(crate) async fn notifications(session: Session, store: web::Data<Store>) -> PageResult {
    let employee = session.member.employee_id;
    let list = blocking(&store, move |s| {
        s.team().list_notifications(employee, false, None, Some(200))
    })
    .await?;
    let body = pages::notifications(&list, &session.csrf, &session.zone);
    page(&store, &session, "Benachrichtigungen", "", body).await
}

pub(crate) async fn read_one(path: web::Path<String>, posted: Posted, store: web::Data<Store>) -> PageResult {
    let id: NotificationId = record_id(&path)?;
    let member = posted.session.member;
    blocking(&store, move |s| s.team().mark_notification_read(member, id)).await?;
    Ok(see_other("/app/notifications"))
}

pub(crate) async fn read_all(posted: Posted, store: web::Data<Store>) -> PageResult {
    let member = posted.session.member;
    blocking(&store, move |s| s.team().mark_all_notifications_read(member)).await?;
    Ok(see_other("/app/notifications"))
}

/// The live bell: the same stream as the team API's, authenticated by the session cookie.
pub(crate) async fn stream(
    req: HttpRequest,
    session: Session,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    Ok(crate::live::open(session.member, &req, store, config).await?)
}
