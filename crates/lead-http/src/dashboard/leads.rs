//! The pages of a kind of lead, one implementation for orders and tickets: the list with its
//! filters, search and pages, a lead's page, and a note on it. What only one kind does (decide
//! an order; close, reopen or file a ticket) is in `inbox.rs`. And a lead's files, downloaded.

use actix_web::{web, HttpRequest};
use lead_store::{NoteOn, Store};

use super::inbox::{add_note, notes_before, notes_page, page, Filters};
use super::pages::{self, OnDashboard};
use super::session::{Posted, Session};
use super::PageResult;
use crate::request::{blocking, record_id, Record};
use crate::{ApiError, HttpConfig};

/// Records per page of a list.
const PAGE: usize = 50;

/// The list of leads of kind `K`: 50 a page, newest first, with each status's count of what
/// the search finds.
pub(crate) async fn list<K: OnDashboard>(
    req: HttpRequest,
    session: Session,
    store: web::Data<Store>,
    config: web::Data<HttpConfig>,
) -> PageResult {
    let filters = Filters::of(&req, &config)?;
    let query = filters.query::<K>(PAGE as i64 + 1, session.member.employee_id);
    let status = query.status;
    let company = session.member.company_id;
    let (mut leads, counts, colleagues) = blocking(&store, move |s| {
        Ok::<_, lead_store::StoreError>((
            s.team().leads(company, &query)?,
            s.team().count_leads::<K>(company, &query.search, query.owner)?,
            colleagues(s, company)?,
        ))
    })
    .await?;
    let more = leads.len() > PAGE;
    leads.truncate(PAGE);
    let older = leads.last().filter(|_| more).map(|lead| lead.id().into().get());
    let mut view = filters.view(K::LIST, status.map(lead_domain::Word::word), older);
    view.counts = counts
        .into_iter()
        .map(|(status, n)| (lead_domain::Word::word(status), K::label(status), n))
        .collect();
    let body = pages::leads(&leads, &view, &colleagues, &session.csrf, &session.zone);
    page(&store, &session, K::TITLE, K::TAB, body).await
}

/// A lead's page (what the list, the bell and a push message link to).
pub(crate) async fn record<K: OnDashboard>(
    req: HttpRequest,
    path: web::Path<String>,
    session: Session,
    store: web::Data<Store>,
) -> PageResult
where
    K::Id: Record + Into<NoteOn>,
{
    let id: K::Id = record_id(&path)?;
    let company = session.member.company_id;
    let before = notes_before(&req);
    let me = session.member.employee_id;
    let (lead, extra, notes, conversation, released, owning) = blocking(&store, move |s| {
        let lead = s.team().lead::<K>(company, id)?;
        let extra = K::extra(s, company, &lead)?;
        let notes = notes_page(s, company, Into::<NoteOn>::into(id), before)?;
        let conversation = pages::Conversation {
            messages: s.team().conversation(company, Into::<lead_store::LeadId>::into(id))?,
            from: s.outbox().mailbox(company)?.map(|mailbox| mailbox.from),
        };
        let released = s.access().released(company, Into::<lead_store::LeadId>::into(id))?;
        let owning = pages::Owning {
            me,
            colleagues: colleagues(s, company)?,
            history: s.team().owner_history::<K>(company, id)?,
        };
        Ok::<_, ApiError>((lead, extra, notes, conversation, released, owning))
    })
    .await?;
    let history = pages::History {
        notes: &notes,
        conversation: &conversation,
        released,
    };
    let body = pages::lead(&lead, &extra, history, &owning, &session.csrf, &session.zone);
    page(&store, &session, lead.title(), K::TAB, body).await
}

/// A note on a lead, from its page.
pub(crate) async fn note<K: OnDashboard>(path: web::Path<String>, posted: Posted, store: web::Data<Store>) -> PageResult
where
    K::Id: Record + Into<NoteOn>,
{
    add_note::<K::Id>(path, posted, store, Into::into, K::LIST).await
}

/// „Antwort senden“ on a lead's page: the reply stored and on its way, then the page again.
pub(crate) async fn reply<K: OnDashboard>(
    path: web::Path<String>,
    posted: Posted,
    store: web::Data<Store>,
) -> PageResult
where
    K::Id: Record,
{
    let id: K::Id = record_id(&path)?;
    let member = posted.session.member;
    let text = posted.field("text").unwrap_or_default().to_owned();
    let message = blocking(&store, move |s| s.team().reply(member, id.into(), &text)).await?;
    Ok(super::see_other(&format!(
        "{}/{}#message-{}",
        K::LIST,
        path.as_str(),
        message.id
    )))
}

/// „Kundenakte anlegen“ on a lead's page: the lead filed under a new customer file prefilled
/// from what the website sent (or the one that has its address already), then that file.
pub(crate) async fn customer<K: OnDashboard>(
    path: web::Path<String>,
    posted: Posted,
    store: web::Data<Store>,
) -> PageResult
where
    K::Id: Record,
{
    let id: K::Id = record_id(&path)?;
    let member = posted.session.member;
    let made = blocking(&store, move |s| s.team().customer_from_lead::<K>(member, id)).await?;
    Ok(super::see_other(&format!("/app/customers/{}", made.customer.id)))
}

/// The company's active employees: who a lead can be given to.
pub(super) fn colleagues(
    store: &Store,
    company: lead_store::CompanyId,
) -> Result<Vec<lead_store::EmployeeRef>, lead_store::StoreError> {
    Ok(store
        .access()
        .list_employees(company)?
        .into_iter()
        .filter(|employee| employee.active)
        .map(|employee| lead_store::EmployeeRef {
            id: employee.id,
            name: employee.name,
        })
        .collect())
}

/// „Übernehmen“ and „Zuweisen“ on a lead's page or in a list: the lead given to the employee
/// the form names (`me`: the viewer; empty: nobody), then back.
pub(crate) async fn owner<K: OnDashboard>(
    path: web::Path<String>,
    posted: Posted,
    store: web::Data<Store>,
) -> PageResult
where
    K::Id: Record,
{
    let id: K::Id = record_id(&path)?;
    let member = posted.session.member;
    let owner = match posted.field("employee_id").unwrap_or_default().trim() {
        "" => None,
        "me" => Some(member.employee_id),
        number => Some(
            number
                .parse::<i64>()
                .ok()
                .filter(|&n| n > 0)
                .map(lead_store::EmployeeId::new)
                .ok_or_else(|| ApiError::InvalidField {
                    field: "employee_id",
                    message: "Bitte wählen Sie einen Mitarbeiter.".into(),
                })?,
        ),
    };
    blocking(&store, move |s| s.team().set_owner::<K>(member, id, owner)).await?;
    Ok(posted.back(&lead_present::link::<K>(id)))
}

/// A file of a lead („Anhänge“ on its page): a download — or, with `?vorschau`, a raster
/// image shown in the page; never a file the virus scanner has not let through.
pub(crate) async fn attachment(
    req: HttpRequest,
    path: web::Path<String>,
    session: Session,
    store: web::Data<Store>,
) -> PageResult {
    let id: lead_store::AttachmentId = record_id(&path)?;
    let company = session.member.company_id;
    let file = blocking(&store, move |s| s.team().attachment(company, id)).await?;
    let preview = req.query_string().split('&').any(|part| part == "vorschau");
    Ok(crate::attachments::download(file, preview)?)
}
