//! The customer list and a customer's file.

use lead_present::german::customer_field;
use lead_present::Presented;
use lead_store::{Customer, CustomerChangeEntry, CustomerFile, OrderRecord, TicketRecord};
use maud::{html, Markup};

use super::record::{note_form, NotesShown};
use super::{post_form, when};

/// The customer list, with a search.
pub(crate) fn customers(customers: &[Customer], q: &str) -> Markup {
    html! {
        h1 { "Kunden" }
        form method="get" action="/app/customers" class="search" {
            label for="q" { "Suchen (Name, E-Mail oder Firma)" }
            input type="search" id="q" name="q" value=(q);
            button type="submit" { "Suchen" }
        }
        p class="export" {
            a href="/app/customers/export.csv" download { "Alle Kunden als CSV exportieren (Excel)" }
            " · "
            a href="/app/customers/export.csv?dialect=rfc4180" download { "RFC 4180" }
        }
        @if customers.is_empty() {
            p class="empty" { "Keine Kunden gefunden." }
        } @else {
            ul class="plain" {
                @for customer in customers {
                    li { a href={ "/app/customers/" (customer.id) } { (customer.name) } " · " (customer.email) }
                }
            }
        }
    }
}

/// Where a customer's file page starts its lists (`None`: with the newest).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FilePaging {
    pub tickets_before: Option<i64>,
    pub orders_before: Option<i64>,
}

/// A customer's file: details, tickets and orders, newest first, a page of each, with links
/// to the older ones and back to the newest.
pub(crate) fn customer_file(
    file: &CustomerFile,
    paging: FilePaging,
    notes: &NotesShown,
    more: &FileMore,
    csrf: &str,
    zone: &lead_domain::TimeZone,
) -> Markup {
    let customer = &file.customer;
    let link = |tickets: Option<i64>, orders: Option<i64>| {
        let mut query = Vec::new();
        if let Some(id) = tickets {
            query.push(format!("tickets_before={id}"));
        }
        if let Some(id) = orders {
            query.push(format!("orders_before={id}"));
        }
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{}", query.join("&"))
        };
        format!("/app/customers/{}{query}", customer.id)
    };
    let older_tickets = file.tickets.last().filter(|_| file.more_tickets).map(|t| t.id.get());
    let older_orders = file.orders.last().filter(|_| file.more_orders).map(|o| o.id.get());
    html! {
        p { a href="/app/customers" { "← Alle Kunden" } }
        h1 { (customer.name) }
        p class="meta" { (customer.email) " · Kunde seit " (when(customer.created_at, zone)) }
        (contact(customer))
        (edit(customer, csrf))
        (history(&more.history, zone))
        @if !notes.notes.is_empty() {
            h2 { "Notizen" }
            ol class="timeline" id="timeline" {
                @for note in &notes.notes {
                    li { time { (when(note.created_at, zone)) } " " strong { (lead_present::german::author(note.author.as_ref())) } ": " span class="note-text" { (note.text) } }
                }
            }
            (notes.pager(&format!("/app/customers/{}", customer.id)))
        }
        (note_form(&format!("/app/customers/{}", customer.id), csrf))
        h2 { "Tickets" }
        @if file.tickets.is_empty() { p class="empty" { "Keine Tickets." } }
        ul class="plain" {
            @for ticket in &file.tickets {
                li { a href={ "/app/tickets/" (ticket.id) } { (ticket.title) } " · " (TicketRecord::label(ticket.status)) " · " (when(ticket.created_at, zone)) }
            }
        }
        p class="pager" {
            @if paging.tickets_before.is_some() { a href=(link(None, paging.orders_before)) { "← Neueste Tickets" } " " }
            @if let Some(id) = older_tickets { a href=(link(Some(id), paging.orders_before)) { "Ältere Tickets →" } }
        }
        h2 { "Bestellungen" }
        @if file.orders.is_empty() { p class="empty" { "Keine Bestellungen." } }
        ul class="plain" {
            @for order in &file.orders {
                li { (order.title) " · " (order.total.to_german()) " · " (OrderRecord::label(order.status)) " · " (when(order.created_at, zone)) }
            }
        }
        p class="pager" {
            @if paging.orders_before.is_some() { a href=(link(paging.tickets_before, None)) { "← Neueste Bestellungen" } " " }
            @if let Some(id) = older_orders { a href=(link(paging.tickets_before, Some(id))) { "Ältere Bestellungen →" } }
        }
        (merge(customer, more.merge.as_ref(), csrf))
    }
}

/// „Akte bearbeiten“: every field of the file in one form, folded until opened.
fn edit(customer: &Customer, csrf: &str) -> Markup {
    let fields: [(&str, &str, &str, &str); 8] = [
        ("name", "Name", &customer.name, "text"),
        ("email", "E-Mail", &customer.email, "email"),
        ("phone", "Telefon", &customer.phone, "tel"),
        ("company", "Firma", &customer.organization, "text"),
        ("street", "Straße", &customer.street, "text"),
        ("zip", "PLZ", &customer.zip, "text"),
        ("city", "Ort", &customer.city, "text"),
        ("country", "Land", &customer.country, "text"),
    ];
    html! {
        details id="customer-edit" {
            summary { "Akte bearbeiten" }
            form method="post" action={ "/app/customers/" (customer.id) "/edit" } class="edit" {
                input type="hidden" name="csrf" value=(csrf);
                @for (name, label, value, kind) in fields {
                    label for=(name) { (label) }
                    input type=(kind) id=(name) name=(name) value=(value) maxlength="200";
                }
                label for="emails" { "Weitere E-Mail-Adressen (eine je Zeile)" }
                textarea id="emails" name="emails" rows="3" { (customer.emails.join("\n")) }
                div class="actions" { button type="submit" class="accept" { "Speichern" } }
            }
        }
    }
}

/// What a customer's page shows besides the file itself.
pub(crate) struct FileMore {
    /// The file's history, newest first.
    pub history: Vec<CustomerChangeEntry>,
    /// A search for another file to merge into this one: the text and what it found.
    pub merge: Option<(String, Vec<Customer>)>,
}

/// Who changed what in the file, newest first.
fn history(entries: &[CustomerChangeEntry], zone: &lead_domain::TimeZone) -> Markup {
    html! {
        @if !entries.is_empty() {
            h2 { "Verlauf der Akte" }
            ol class="timeline" id="customer-history" {
                @for entry in entries {
                    li {
                        time { (when(entry.at, zone)) } " "
                        strong { (entry.employee.as_ref().map_or("Betreiber", |e| e.name.as_str())) } ": "
                        @for (n, (field, before, after)) in entry.fields.iter().enumerate() {
                            @if n > 0 { "; " }
                            (customer_field(field))
                            @if field == "merged" { " " (before) } @else { " „" (before) "“ → „" (after) "“" }
                        }
                    }
                }
            }
        }
    }
}

/// „Zusammenführen“: a search for another file of the same person, each found with a button
/// that merges it into this one.
fn merge(customer: &Customer, search: Option<&(String, Vec<Customer>)>, csrf: &str) -> Markup {
    let q = search.map_or("", |(q, _)| q.as_str());
    html! {
        h2 { "Zusammenführen" }
        p { "Dieselbe Person in einer anderen Akte? Die andere Akte geht in diese über – Bestellungen, Tickets, Notizen, Verlauf und ihre E-Mail-Adressen – und wird danach gelöscht." }
        form method="get" action={ "/app/customers/" (customer.id) } class="search" {
            label for="merge_q" { "Andere Akte suchen" }
            input type="search" id="merge_q" name="merge_q" value=(q);
            button type="submit" { "Suchen" }
        }
        @if let Some((_, found)) = search {
            @if found.is_empty() { p class="empty" { "Keine andere Akte gefunden." } }
            ul class="plain" id="merge-candidates" {
                @for other in found {
                    li {
                        (other.name) " · " (other.email) " "
                        (post_form(&format!("/app/customers/{}/merge/{}", customer.id, other.id), csrf, "In diese Akte übernehmen", "accept"))
                    }
                }
            }
        }
    }
}

/// What the team keeps of a customer besides name and main address, as far as known.
fn contact(customer: &Customer) -> Markup {
    let place = format!("{} {}", customer.zip, customer.city).trim().to_owned();
    let address: Vec<&str> = [customer.street.as_str(), place.as_str(), customer.country.as_str()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect();
    html! {
        dl class="contact" {
            @if !customer.emails.is_empty() { dt { "Weitere E-Mail-Adressen" } dd { (customer.emails.join(", ")) } }
            @if !customer.phone.is_empty() { dt { "Telefon" } dd { (customer.phone) } }
            @if !customer.organization.is_empty() { dt { "Firma" } dd { (customer.organization) } }
            @if !address.is_empty() { dt { "Anschrift" } dd { (address.join(", ")) } }
        }
    }
}
