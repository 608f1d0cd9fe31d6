//! Files the virus scanner could not judge as they came: judged later, and what it finds then
//! holds the lead back.

use diesel::prelude::*;

use crate::ids::{AttachmentId, CompanyId};
use crate::models::{Hold, Scan};
use crate::schema::{attachments, tickets, web_orders};
use crate::{Intake, Result, StoreError};

impl Intake<'_> {
    /// Up to `limit` files after `after` (in id order) that the scanner has not yet judged (it
    /// did not answer when they came): a walk that comes round to every one in turn.
    pub fn unscanned(&self, after: Option<AttachmentId>, limit: i64) -> Result<Vec<AttachmentId>> {
        self.store.read(|conn| {
            Ok(attachments::table
                .filter(attachments::scan.eq(Scan::Pending.as_str()))
                .filter(attachments::id.gt(after.map_or(0, AttachmentId::get)))
                .select(attachments::id)
                .order(attachments::id)
                .limit(limit)
                .load(conn)?)
        })
    }

    /// The bytes of file `id` while the scanner has not judged it (`None`: judged meanwhile,
    /// or gone with its lead).
    pub fn unscanned_data(&self, id: AttachmentId) -> Result<Option<Vec<u8>>> {
        self.store.read(|conn| {
            Ok(attachments::table
                .filter(attachments::id.eq(id))
                .filter(attachments::scan.eq(Scan::Pending.as_str()))
                .select(attachments::data)
                .first(conn)
                .optional()?)
        })
    }

    /// Records the scanner's late `verdict` on file `id`. Malware holds its lead back
    /// ([`Hold::Malware`]): the team no longer sees it, nor its files, nor its notifications;
    /// what it still owes (webhooks, e-mails, push messages not yet sent) is not sent; the
    /// audit log says so.
    pub fn record_scan(&self, id: AttachmentId, verdict: Scan) -> Result<()> {
        self.store.write(|conn| {
            let updated = diesel::update(
                attachments::table
                    .filter(attachments::id.eq(id))
                    .filter(attachments::scan.eq(Scan::Pending.as_str())),
            )
            .set(attachments::scan.eq(verdict.as_str()))
            .returning((attachments::company_id, attachments::order_id, attachments::ticket_id))
            .get_results::<(CompanyId, Option<i64>, Option<i64>)>(conn)?;
            let Some((company_id, order_id, ticket_id)) = updated.into_iter().next() else {
                return Ok(()); // judged meanwhile (another instance), or gone with its lead
            };
            if verdict != Scan::Infected {
                return Ok(());
            }
            let malware = Some(Hold::Malware.as_str());
            let (what, column, lead) = match (order_id, ticket_id) {
                (Some(order), _) => {
                    diesel::update(web_orders::table.find(order))
                        .set(web_orders::held.eq(malware))
                        .execute(conn)?;
                    (format!("order {order}"), "order_id", order)
                }
                (_, Some(ticket)) => {
                    diesel::update(tickets::table.find(ticket))
                        .set(tickets::held.eq(malware))
                        .execute(conn)?;
                    (format!("ticket {ticket}"), "ticket_id", ticket)
                }
                _ => return Err(StoreError::corrupt(format!("attachment {id} belongs to no lead"))),
            };
            // Ids the store read itself: safe in SQL. What tells of the lead goes; a reply the
            // team already wrote to its sender still leaves.
            crate::outbox::delete_deliveries(
                conn,
                &format!("{column} = {lead} AND status = 'pending' AND event <> 'message.reply'"),
            )?;
            let notifications = diesel::sql_query(format!("DELETE FROM notifications WHERE {column} = {lead}"));
            crate::db::dialect::each_backend!(conn, c => notifications.execute(c))?;
            crate::access::audit::record(
                conn,
                &self.store.actor,
                crate::access::audit::About::Company(company_id),
                "attachment.infected",
                &format!("{what} of company {company_id} held as malware: attachment {id}"),
            )?;
            crate::db::dialect::announce_commits(conn, std::iter::once(company_id))?;
            Ok(())
        })
    }
}
