//! The pages of a kind of lead, one implementation for orders and tickets: the list with its
//! filters, search and pages, a lead's page, and a note on it. What only one kind does (decide
//! an order; close, reopen or file a ticket) is in `inbox.rs`.

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
    let query = filters.query::<K>(PAGE as i64 + 1);
    let status = query.status;
    let company = session.member.company_id;
    let (mut leads, counts) = blocking(&store, move |s| {
        Ok::<_, lead_store::StoreError>((
            s.team().leads(company, &query)?,
            s.team().count_leads::<K>(company, &query.search)?,
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
    let body = pages::leads(&leads, &view, &session.csrf, &session.zone);
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
    let (lead, extra, notes, released) = blocking(&store, move |s| {
        let lead = s.team().lead::<K>(company, id)?;
        let extra = K::extra(s, company, &lead)?;
        let notes = notes_page(s, company, Into::<NoteOn>::into(id), before)?;
        let released = s.access().released(company, Into::<lead_store::LeadId>::into(id))?;
        Ok::<_, ApiError>((lead, extra, notes, released))
    })
    .await?;
    let body = pages::lead(&lead, &extra, &notes, released, &session.csrf, &session.zone);
    page(&store, &session, lead.title(), K::TAB, body).await
}

/// A note on a lead, from its page.
pub(crate) async fn note<K: OnDashboard>(path: web::Path<String>, posted: Posted, store: web::Data<Store>) -> PageResult
where
    K::Id: Record + Into<NoteOn>,
{
    add_note::<K::Id>(path, posted, store, Into::into, K::LIST).await
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
