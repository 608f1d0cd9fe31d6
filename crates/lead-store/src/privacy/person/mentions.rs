//! Where an address is named in free text: whole, as written or url-encoded, in any case —
//! never as part of a longer address. The rows an erasure deletes because they name the
//! person (notifications, deliveries, the submission log), and the records of others that
//! mention the address (a colleague's ticket, a note), which the export lists and an admin
//! can redact to „`[entfernt]`“ in one step.

use std::ops::Range;

use diesel::prelude::*;
use serde::Serialize;

use super::{address, find, lead_ids, Found};
use crate::access::audit;
use crate::db::dialect::{contains, lower};
use crate::db::DbConnection;
use crate::ids::{CompanyId, MessageId};
use crate::outbox::delete_deliveries;
use crate::privacy::deletion::list;
use crate::privacy::Privacy;
use crate::schema::{customers, messages, notes, notifications, outbox, submissions, tickets, web_orders};
use crate::{Result, StoreError};

/// What a redaction puts where the address was.
pub const REDACTED: &str = "[entfernt]";

/// The rows of a company whose free text names the address: notifications, deliveries,
/// submission log entries (body or note).
pub(super) struct Named {
    pub(super) notifications: Vec<i64>,
    pub(super) deliveries: Vec<i64>,
    pub(super) submissions: Vec<i64>,
}

impl Named {
    /// Deletes the rows (the deliveries with their attempts) that are still there — some may
    /// have gone with a lead meanwhile: how many submission log entries, notifications and
    /// deliveries.
    pub(super) fn delete(&self, conn: &mut DbConnection) -> Result<(usize, usize, usize)> {
        let submissions =
            diesel::delete(submissions::table.filter(submissions::id.eq_any(&self.submissions))).execute(conn)?;
        let notifications =
            diesel::delete(notifications::table.filter(notifications::id.eq_any(&self.notifications))).execute(conn)?;
        let deliveries: Vec<i64> = outbox::table
            .filter(outbox::id.eq_any(&self.deliveries))
            .select(outbox::id)
            .load(conn)?;
        let deliveries = match deliveries.is_empty() {
            true => 0,
            false => delete_deliveries(conn, &format!("id IN ({})", list(&deliveries)))?,
        };
        Ok((submissions, notifications, deliveries))
    }
}

/// The address url-encoded as a form body carries it (`@` as `%40`, `+` as `%2b`, other
/// characters as their UTF-8 bytes), lower-cased like the text it is looked for in.
fn encoded(email: &str) -> String {
    form_urlencoded::byte_serialize(email.as_bytes())
        .collect::<String>()
        .to_lowercase()
}

/// A `LIKE` pattern that finds `text` in any case on both databases: SQLite's `lower()` folds
/// ASCII letters only, so every other character matches any one character, and [`named_at`]
/// decides.
fn pattern(text: &str) -> String {
    contains(text)
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect()
}

/// A form body decoded (`+` a space, `%40` an `@`), its fields joined as they came.
fn decoded(body: &str) -> String {
    form_urlencoded::parse(body.as_bytes())
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Finds [`Named`] rows: a `LIKE` for the address as written and url-encoded (as a form body
/// is logged) narrows them, then [`mentions`] keeps those that name this address — in a form
/// body also once decoded — and not a longer one that contains it (`joann@x.de` is not
/// `ann@x.de`).
pub(super) fn naming(conn: &mut DbConnection, company_id: CompanyId, email: &str) -> Result<Named> {
    let written = pattern(email);
    let encoded = pattern(&encoded(email));
    let keep = |rows: Vec<(i64, Option<String>, Option<String>)>| -> Vec<i64> {
        rows.into_iter()
            .filter(|(_, one, two)| {
                [one, two]
                    .into_iter()
                    .flatten()
                    .any(|text| mentions(text, email) || mentions(&decoded(text), email))
            })
            .map(|(id, _, _)| id)
            .collect()
    };
    let notifications: Vec<(i64, Option<String>, Option<String>)> = notifications::table
        .filter(notifications::company_id.eq(company_id))
        .filter(
            lower(notifications::text.nullable())
                .like(&written)
                .escape('\\')
                .or(lower(notifications::text.nullable()).like(&encoded).escape('\\')),
        )
        .select((
            notifications::id,
            notifications::text.nullable(),
            None::<String>.into_sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>(),
        ))
        .load(conn)?;
    let deliveries: Vec<(i64, Option<String>, Option<String>)> = outbox::table
        .filter(outbox::company_id.eq(company_id))
        .filter(
            lower(outbox::body)
                .like(&written)
                .escape('\\')
                .or(lower(outbox::body).like(&encoded).escape('\\')),
        )
        .select((outbox::id, outbox::body, outbox::last_error))
        .load(conn)?;
    let submissions: Vec<(i64, Option<String>, Option<String>)> = submissions::table
        .filter(submissions::company_id.eq(company_id))
        .filter(
            lower(submissions::body)
                .like(&written)
                .escape('\\')
                .or(lower(submissions::body).like(&encoded).escape('\\'))
                .or(lower(submissions::note).like(&written).escape('\\')),
        )
        .select((submissions::id, submissions::body, submissions::note))
        .load(conn)?;
    Ok(Named {
        notifications: keep(notifications),
        deliveries: keep(deliveries),
        submissions: keep(submissions),
    })
}

/// Where `text` names the address `email` (lower-case) whole, as written or url-encoded — not
/// as part of a longer address (`joann@x.de`, `ann@x.de.com`): the byte ranges in `text`.
fn named_at(text: &str, email: &str) -> Vec<Range<usize>> {
    // The text lower-cased, and for each of its bytes where in `text` its character starts
    // (lower-casing may change a character's length).
    let mut lowered = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for (at, c) in text.char_indices() {
        for lower in c.to_lowercase() {
            lowered.push(lower);
            origin.resize(lowered.len(), at);
        }
    }
    origin.push(text.len());
    let encoded = encoded(email);
    let local = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    let mut found: Vec<Range<usize>> = Vec::new();
    for needle in [email, encoded.as_str()] {
        for (at, _) in lowered.match_indices(needle) {
            let before = lowered[..at].chars().next_back();
            let end = at + needle.len();
            let mut after = lowered[end..].chars();
            let longer_domain = match after.next() {
                Some(c) if c.is_alphanumeric() || c == '-' => true,
                // A dot that goes on (`.com`) makes it another domain; one that ends a
                // sentence does not.
                Some('.') => after.next().is_some_and(char::is_alphanumeric),
                _ => false,
            };
            if !before.is_some_and(local) && !longer_domain {
                // Back to `text`: from the start of the first character to the end of the last.
                let start = origin[at];
                let stop = origin[end..]
                    .iter()
                    .copied()
                    .find(|&o| o > origin[end - 1])
                    .unwrap_or(text.len());
                found.push(start..stop);
            }
        }
    }
    found.sort_by_key(|range| range.start);
    found
}

/// Whether `text` names the address `email` (lower-case) whole (see [`named_at`]).
pub(crate) fn mentions(text: &str, email: &str) -> bool {
    !named_at(text, email).is_empty()
}

/// `text` with every place that names `email` replaced by [`REDACTED`].
pub(crate) fn redact(text: &str, email: &str) -> String {
    let mut redacted = String::with_capacity(text.len());
    let mut from = 0;
    for range in named_at(text, email) {
        if range.start < from {
            continue;
        }
        redacted.push_str(&text[from..range.start]);
        redacted.push_str(REDACTED);
        from = range.end;
    }
    redacted.push_str(&text[from..]);
    redacted
}

/// A record of someone else that mentions the address: a colleague's ticket that names it, a
/// note of the team. Not the person's own records (those the erasure deletes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mention {
    /// `order`, `ticket` or `customer`: the record it is in, or the note is on.
    pub record: &'static str,
    /// That record's id.
    pub id: i64,
    /// Where: `title`, `message`, `payload` (what the website sent), `name`, `note`, or
    /// `email` (an e-mail of its conversation).
    pub field: &'static str,
    /// For a `note`: the note's id; for an `email`: the message's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note_id: Option<i64>,
}

/// A note: its id, the order, ticket or customer it is on, its text.
type NoteText = (i64, Option<i64>, Option<i64>, Option<i64>, String);

/// A text column of a record that may name the address: the record, its id, the field, the
/// note's id, the text.
type Candidate = (&'static str, i64, &'static str, Option<i64>, String);

/// The records of others in the company that mention `email`, each place once.
pub(super) fn others(
    conn: &mut DbConnection,
    company_id: CompanyId,
    email: &str,
    found: &Found,
) -> Result<Vec<Mention>> {
    Ok(candidates(conn, company_id, email, found)?
        .into_iter()
        .filter(|(.., text)| mentions(text, email))
        .map(|(record, id, field, note_id, _)| Mention {
            record,
            id,
            field,
            note_id,
        })
        .collect())
}

/// What a `LIKE` finds of the address in the records' text columns, the person's own records
/// left out.
fn candidates(conn: &mut DbConnection, company_id: CompanyId, email: &str, found: &Found) -> Result<Vec<Candidate>> {
    let like = pattern(email);
    let (own_orders, own_tickets) = lead_ids(found);
    let own_customers: Vec<i64> = found.customers.iter().map(|c| c.id.get()).collect();
    let mut all: Vec<Candidate> = Vec::new();
    let orders: Vec<(i64, String, Option<String>, String)> = web_orders::table
        .filter(web_orders::company_id.eq(company_id))
        .filter(diesel::dsl::not(web_orders::id.eq_any(&own_orders)))
        .filter(
            lower(web_orders::title.nullable())
                .like(&like)
                .escape('\\')
                .or(lower(web_orders::message).like(&like).escape('\\'))
                .or(lower(web_orders::payload.nullable()).like(&like).escape('\\')),
        )
        .select((
            web_orders::id,
            web_orders::title,
            web_orders::message,
            web_orders::payload,
        ))
        .load(conn)?;
    for (id, title, message, payload) in orders {
        all.push(("order", id, "title", None, title));
        all.extend(message.map(|message| ("order", id, "message", None, message)));
        all.push(("order", id, "payload", None, payload));
    }
    let tickets: Vec<(i64, String, String, String)> = tickets::table
        .filter(tickets::company_id.eq(company_id))
        .filter(diesel::dsl::not(tickets::id.eq_any(&own_tickets)))
        .filter(
            lower(tickets::title.nullable())
                .like(&like)
                .escape('\\')
                .or(lower(tickets::message.nullable()).like(&like).escape('\\'))
                .or(lower(tickets::payload.nullable()).like(&like).escape('\\')),
        )
        .select((tickets::id, tickets::title, tickets::message, tickets::payload))
        .load(conn)?;
    for (id, title, message, payload) in tickets {
        all.push(("ticket", id, "title", None, title));
        all.push(("ticket", id, "message", None, message));
        all.push(("ticket", id, "payload", None, payload));
    }
    let names: Vec<(i64, String)> = customers::table
        .filter(customers::company_id.eq(company_id))
        .filter(diesel::dsl::not(customers::id.eq_any(&own_customers)))
        .filter(lower(customers::name.nullable()).like(&like).escape('\\'))
        .select((customers::id, customers::name))
        .load(conn)?;
    all.extend(names.into_iter().map(|(id, name)| ("customer", id, "name", None, name)));
    let written: Vec<NoteText> = notes::table
        .filter(notes::company_id.eq(company_id))
        .filter(lower(notes::text.nullable()).like(&like).escape('\\'))
        .select((
            notes::id,
            notes::order_id,
            notes::ticket_id,
            notes::customer_id,
            notes::text,
        ))
        .load(conn)?;
    for (note, order, ticket, customer, text) in written {
        let on = match (order, ticket, customer) {
            (Some(id), ..) if !own_orders.contains(&id) => ("order", id),
            (_, Some(id), _) if !own_tickets.contains(&id) => ("ticket", id),
            (.., Some(id)) if !own_customers.contains(&id) => ("customer", id),
            // On the person's own record: it goes with the erasure, and the export has it.
            _ => continue,
        };
        all.push((on.0, on.1, "note", Some(note), text));
    }
    let mails: Vec<(i64, Option<i64>, Option<i64>, String)> = messages::table
        .filter(messages::company_id.eq(company_id))
        .filter(lower(messages::text.nullable()).like(&like).escape('\\'))
        .select((messages::id, messages::order_id, messages::ticket_id, messages::text))
        .load(conn)?;
    for (message, order, ticket, text) in mails {
        let on = match (order, ticket) {
            (Some(id), _) if !own_orders.contains(&id) => ("order", id),
            (_, Some(id)) if !own_tickets.contains(&id) => ("ticket", id),
            _ => continue,
        };
        all.push((on.0, on.1, "email", Some(message), text));
    }
    Ok(all)
}

impl Privacy<'_> {
    /// The records of others in the company that mention `email` (a colleague's ticket that
    /// names it, a note of the team): what an erasure leaves, for an admin to look at and
    /// redact.
    pub fn person_mentions(&self, company_id: CompanyId, email: &str) -> Result<Vec<Mention>> {
        let email = address(email)?;
        self.store.read(|conn| {
            let found = find(conn, company_id, &email)?;
            others(conn, company_id, &email, &found)
        })
    }

    /// Replaces the address by „`[entfernt]`“ wherever records of others in the company mention
    /// it ([`Privacy::person_mentions`]), and deletes the notifications, deliveries and submission
    /// log entries that name it (as an erasure does), in one transaction; returns how many
    /// places in records. The audit log records it with a salted hash of the address, never
    /// the address.
    pub fn redact_mentions(&self, company_id: CompanyId, email: &str) -> Result<usize> {
        let email = address(email)?;
        let hashed = lead_auth::salted_hash(&email).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        self.store.write(|conn| {
            let found = find(conn, company_id, &email)?;
            naming(conn, company_id, &email)?.delete(conn)?;
            let places: Vec<Candidate> = candidates(conn, company_id, &email, &found)?
                .into_iter()
                .filter(|(.., text)| mentions(text, &email))
                .collect();
            for (record, id, field, note, text) in &places {
                let text = redact(text, &email);
                match (*record, *field, note) {
                    (_, "note", Some(note)) => {
                        diesel::update(notes::table.find(note)).set(notes::text.eq(&text)).execute(conn)?;
                    }
                    // The e-mail as it came names the address too: it goes.
                    (_, "email", Some(message)) => {
                        diesel::update(messages::table.find(MessageId::new(*message)))
                            .set((messages::text.eq(&text), messages::raw.eq(None::<Vec<u8>>)))
                            .execute(conn)?;
                    }
                    ("order", "title", _) => {
                        diesel::update(web_orders::table.find(id)).set(web_orders::title.eq(&text)).execute(conn)?;
                    }
                    ("order", "message", _) => {
                        diesel::update(web_orders::table.find(id)).set(web_orders::message.eq(&text)).execute(conn)?;
                    }
                    ("order", _, _) => {
                        diesel::update(web_orders::table.find(id)).set(web_orders::payload.eq(&text)).execute(conn)?;
                    }
                    ("ticket", "title", _) => {
                        diesel::update(tickets::table.find(id)).set(tickets::title.eq(&text)).execute(conn)?;
                    }
                    ("ticket", "message", _) => {
                        diesel::update(tickets::table.find(id)).set(tickets::message.eq(&text)).execute(conn)?;
                    }
                    ("ticket", _, _) => {
                        diesel::update(tickets::table.find(id)).set(tickets::payload.eq(&text)).execute(conn)?;
                    }
                    _ => {
                        diesel::update(customers::table.find(id))
                            .set((customers::name.eq(&text), customers::name_normalized.eq(text.to_lowercase())))
                            .execute(conn)?;
                    }
                }
            }
            audit::record(
                conn,
                &self.store.actor,
                audit::About::Company(company_id),
                "person.redact",
                &format!(
                    "company {company_id}: the address of {hashed} replaced by {REDACTED} in {} places of others' records",
                    places.len()
                ),
            )?;
            Ok(places.len())
        })
        .inspect(|_| self.store.wipe_log())
    }
}

#[cfg(test)]
mod tests {
    use super::{decoded, mentions, pattern, redact};

    #[test]
    fn form_bodies_are_read_as_a_form_sends_them_and_any_case_is_found_in_sql() {
        // `+` is a space in a form body, and an address with `+` is sent as `%2B`.
        assert!(
            !mentions("message=Bitte+an+max%40x.de", "max@x.de"),
            "raw, the + looks like part of it"
        );
        assert!(mentions(&decoded("message=Bitte+an+max%40x.de"), "max@x.de"));
        assert!(mentions("email=max%2Bshop%40x.de&total=1", "max+shop@x.de"));
        assert!(mentions("email=j%C3%BCrgen%40m%C3%BCller.de", "jürgen@müller.de"));
        // SQLite lower-cases ASCII only: other letters match any one character.
        assert_eq!(pattern("Jürgen@Müller.de"), "%j_rgen@m_ller.de%");
        assert_eq!(pattern("a_b%c@x.de"), "%a\\_b\\%c@x.de%");
    }

    #[test]
    fn a_redaction_replaces_every_place_that_names_the_address_and_nothing_else() {
        let ann = "ann@x.de";
        assert_eq!(
            redact("Rückruf an ANN@X.DE, Kopie an joann@x.de und ann%40x.de.", ann),
            "Rückruf an [entfernt], Kopie an joann@x.de und [entfernt]."
        );
        assert_eq!(
            redact(r#"{"cc":"Ann@x.de","n":1}"#, ann),
            r#"{"cc":"[entfernt]","n":1}"#
        );
        assert_eq!(redact("nichts", ann), "nichts");
        // Characters whose lower case is longer or shorter than they are stay in place.
        assert_eq!(redact("İİ ann@x.de ẞ", ann), "İİ [entfernt] ẞ");
        assert_eq!(
            redact("jürgen@müller.de schrieb", "jürgen@müller.de"),
            "[entfernt] schrieb"
        );
        assert_eq!(redact("JÜRGEN@MÜLLER.DE", "jürgen@müller.de"), "[entfernt]");
    }

    #[test]
    fn an_address_is_named_whole_not_inside_a_longer_one() {
        let ann = "ann@x.de";
        for text in [
            "ann@x.de",
            "Mail von ANN@X.DE.",
            "{\"email\":\"ann@x.de\"}",
            "email=ann%40x.de&total=1",
            "<ann@x.de>",
        ] {
            assert!(mentions(text, ann), "{text}");
        }
        for text in [
            "joann@x.de",
            "ann@x.de.com",
            "ann@x.deutsch.de",
            "ann@x.de-shop.de",
            "jo.ann@x.de",
            "anna@x.de",
        ] {
            assert!(!mentions(text, ann), "{text}");
        }
    }
}
