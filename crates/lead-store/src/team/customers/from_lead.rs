//! A customer file made from a lead in one step: prefilled from what the website sent, or the
//! file that already has the lead's address — and the lead filed into it, with the company's
//! other unfiled leads from its addresses.

use diesel::prelude::*;
use lead_domain::{Contact, Email};

use super::{claim, insert_customer, load_customer};
use crate::error::Clash;
use crate::ids::CustomerId;
use crate::models::{Claimed, Customer, Member};
use crate::schema::customer_emails;
use crate::team::records::{load, LeadKind};
use crate::team::Team;
use crate::{Result, StoreError};

/// What making a customer file from a lead came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromLead {
    /// The customer the lead is now filed under.
    pub customer: Customer,
    /// Whether it was made now (else it had the lead's address already).
    pub created: bool,
    /// The leads filed into it: this one, and the company's others from its addresses.
    pub claimed: Claimed,
}

impl Team<'_> {
    /// Files a lead of kind `K` of the member's company (one the team sees) under a customer:
    /// the one that has its address already, or a new one prefilled from the lead's body (name,
    /// phone, firm, postal address: [`Contact::of`]; without a name found, the address is
    /// the name). The company's other unfiled leads from the customer's addresses are filed
    /// with it, all in one transaction. A lead in a file already is a conflict
    /// (`Filed`), another company's or a held one is not found.
    pub fn customer_from_lead<K: LeadKind>(&self, member: Member, id: K::Id) -> Result<FromLead> {
        self.store.write(|conn| {
            let lead: K = load(conn, member.company_id, id)?;
            if lead.customer_id().is_some() {
                return Err(StoreError::Conflict(
                    Clash::Filed(K::TYPE),
                    format!("the {} is in a customer's file already", K::TYPE.as_str()),
                ));
            }
            let email =
                Email::parse(lead.email()).map_err(|_| StoreError::corrupt(format!("the address of lead {id}")))?;
            let existing: Option<CustomerId> = customer_emails::table
                .filter(customer_emails::company_id.eq(member.company_id))
                .filter(customer_emails::email_normalized.eq(email.normalized()))
                .select(customer_emails::customer_id)
                .first(conn)
                .optional()?;
            let (customer_id, created) = match existing {
                Some(customer_id) => (customer_id, false),
                None => {
                    let body = serde_json::from_str(lead.payload()).unwrap_or_default();
                    let contact = Contact::of(&body);
                    let name = if contact.name.is_empty() {
                        email.as_str().to_owned()
                    } else {
                        contact.name.clone()
                    };
                    let customer = insert_customer(conn, member.company_id, &name, &email, &contact)?;
                    (customer.id, true)
                }
            };
            let claimed = claim(conn, member.company_id, customer_id)?;
            Ok(FromLead {
                customer: load_customer(conn, member.company_id, customer_id)?,
                created,
                claimed,
            })
        })
    }
}
