//! Files the virus scanner could not judge as they came: judged later, and what it finds then
//! holds the lead back.

use diesel::prelude::*;

use crate::ids::{AttachmentId, CompanyId};
use crate::models::{Hold, Scan};
use crate::schema::{attachments, tickets, web_orders};
use crate::{Intake, Result, StoreError};

impl Intake<'_> {
    /// Up to `limit` files the scanner has not yet judged (it did not answer when they came),
    /// oldest first, with their bytes.
    pub fn unscanned(&self, limit: i64) -> Result<Vec<(AttachmentId, Vec<u8>)>> {
        self.store.read(|conn| {
            Ok(attachments::table
                .filter(attachments::scan.eq(Scan::Pending.as_str()))
                .select((attachments::id, attachments::data))
                .order(attachments::id)
                .limit(limit)
                .load(conn)?)
        })
    }

    /// Records the scanner's late `verdict` on file `id`. Malware holds its lead back
    /// ([`Hold::Malware`]): the team no longer sees it, nor its files; the audit log says so.
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
            let what = match (order_id, ticket_id) {
                (Some(order), _) => {
                    diesel::update(web_orders::table.find(order))
                        .set(web_orders::held.eq(malware))
                        .execute(conn)?;
                    format!("order {order}")
                }
                (_, Some(ticket)) => {
                    diesel::update(tickets::table.find(ticket))
                        .set(tickets::held.eq(malware))
                        .execute(conn)?;
                    format!("ticket {ticket}")
                }
                _ => return Err(StoreError::corrupt(format!("attachment {id} belongs to no lead"))),
            };
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
