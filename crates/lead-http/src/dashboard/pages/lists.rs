//! The order inbox and the ticket list: filters, search, pages of 50.

use lead_domain::OrderStatus;
use lead_store::{OrderRecord, TicketRecord};
use maud::{html, Markup};

use super::{order_status, ticket_status, when};

/// What a list page shows (orders or tickets): its filters, and where its page starts.
pub(crate) struct ListView<'a> {
    /// `/app/orders` or `/app/tickets`.
    pub base: &'static str,
    /// The status shown (`None`: all).
    pub status: Option<&'a str>,
    /// The search, and the days (`YYYY-MM-DD`, both included), as typed.
    pub q: &'a str,
    pub since: &'a str,
    pub until: &'a str,
    /// This page starts below this id (`None`: with the newest).
    pub before: Option<i64>,
    /// The next page starts below this id (`None`: this is the last).
    pub older: Option<i64>,
    /// Each status (value, label) with how many the search finds.
    pub counts: Vec<(&'static str, &'static str, i64)>,
}

impl ListView<'_> {
    /// This list's address with `status` and `before` (the search kept), and `extra` path.
    fn link(&self, path: &str, status: Option<&str>, before: Option<i64>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("status", status.unwrap_or_default()),
            ("q", self.q),
            ("since", self.since),
            ("until", self.until),
        ] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        if let Some(before) = before {
            query.append_pair("before", &before.to_string());
        }
        let query = query.finish();
        match query.is_empty() {
            true => format!("{}{path}", self.base),
            false => format!("{}{path}?{query}", self.base),
        }
    }

    fn searching(&self) -> bool {
        !(self.q.is_empty() && self.since.is_empty() && self.until.is_empty())
    }

    /// The filter bar: the statuses with their counts, the search, the export.
    fn filters(&self) -> Markup {
        let total: i64 = self.counts.iter().map(|(_, _, n)| n).sum();
        html! {
            nav class="filter" aria-label="Nach Status filtern" {
                a href=(self.link("", None, None)) aria-current=[self.status.is_none().then_some("true")] { "Alle (" (total) ")" }
                @for (value, label, n) in &self.counts {
                    a href=(self.link("", Some(value), None)) aria-current=[(self.status == Some(*value)).then_some("true")] { (label) " (" (n) ")" }
                }
            }
            form method="get" action=(self.base) class="search" role="search" {
                @if let Some(status) = self.status { input type="hidden" name="status" value=(status); }
                label for="q" { "Suchen" }
                input type="search" id="q" name="q" value=(self.q) placeholder="E-Mail, Name, Text, Angaben";
                label for="since" { "von" }
                input type="date" id="since" name="since" value=(self.since);
                label for="until" { "bis" }
                input type="date" id="until" name="until" value=(self.until);
                button type="submit" { "Suchen" }
                @if self.searching() { " " a href=(self.link("", self.status, None)) { "Zurücksetzen" } }
            }
            p class="export" { a href=(self.link("/export.csv", self.status, None)) download { "Als CSV exportieren (Excel)" } }
        }
    }

    /// The links to the older page and back to the newest.
    fn pager(&self) -> Markup {
        html! {
            p class="pager" {
                @if self.before.is_some() { a href=(self.link("", self.status, None)) { "← Neueste" } " " }
                @if let Some(older) = self.older { a href=(self.link("", self.status, Some(older))) rel="next" { "Ältere →" } }
            }
        }
    }
}

/// The order inbox ("Web-Bestellungen"): 50 a page, newest first.
pub(crate) fn orders(orders: &[OrderRecord], view: &ListView, csrf: &str) -> Markup {
    let back = view.link("", view.status, view.before);
    html! {
        h1 { "Web-Bestellungen" }
        (view.filters())
        div data-live="orders" {
            @if orders.is_empty() {
                @if view.searching() || view.status.is_some() {
                    p class="empty" { "Keine Bestellungen gefunden." }
                } @else {
                    p class="empty" { "Noch keine Bestellungen. Sobald Ihre Website eine Bestellung sendet, erscheint sie hier – "
                        "so binden Sie Ihr Formular an: unter " a href="/app/admin/keys" { "Verwaltung → API-Schlüssel" }
                        " einen Schlüssel ausgeben; dort stehen ein fertiges HTML-Formular und ein fetch()-Beispiel dazu." }
                }
            } @else {
                div class="scroll" {
                    table {
                        thead { tr { th { "Eingang" } th { "Betrag" } th { "E-Mail" } th { "Titel" } th { "Status" } th { span class="sr" { "Aktionen" } } } }
                        tbody {
                            @for order in orders {
                                tr id={ "order-" (order.id) } {
                                    td { (when(order.created_at)) }
                                    td class="amount" { (order.total.to_german()) }
                                    td {
                                        @if let Some(customer) = order.customer_id {
                                            a href={ "/app/customers/" (customer) } { (order.email) }
                                        } @else { (order.email) }
                                    }
                                    td { a href={ "/app/orders/" (order.id) } { (order.title) } }
                                    td class="status" { (order_status(order.status)) }
                                    td class="actions" {
                                        @if order.status == OrderStatus::New {
                                            form method="post" action={ "/app/orders/" (order.id) "/accept" } class="inline" {
                                                input type="hidden" name="csrf" value=(csrf);
                                                input type="hidden" name="back" value=(back);
                                                button type="submit" class="accept" { "Annehmen" }
                                            }
                                            form method="post" action={ "/app/orders/" (order.id) "/reject" } class="inline" {
                                                input type="hidden" name="csrf" value=(csrf);
                                                input type="hidden" name="back" value=(back);
                                                button type="submit" class="reject" { "Ablehnen" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (view.pager())
        }
    }
}

/// The ticket list: 50 a page, newest first.
pub(crate) fn tickets(tickets: &[TicketRecord], view: &ListView) -> Markup {
    html! {
        h1 { "Tickets" }
        (view.filters())
        div data-live="tickets" {
            @if tickets.is_empty() {
                @if view.searching() || view.status.is_some() {
                    p class="empty" { "Keine Tickets gefunden." }
                } @else {
                    p class="empty" { "Noch keine Tickets. Kontaktformulare Ihrer Website, die an den Lead-Endpunkt senden, erscheinen hier." }
                }
            } @else {
                div class="scroll" {
                    table {
                        thead { tr { th { "Eingang" } th { "Titel" } th { "Von" } th { "Status" } } }
                        tbody {
                            @for ticket in tickets {
                                tr {
                                    td { (when(ticket.created_at)) }
                                    td { a href={ "/app/tickets/" (ticket.id) } { (ticket.title) } }
                                    td { (ticket.email) }
                                    td { (ticket_status(ticket.status)) }
                                }
                            }
                        }
                    }
                }
            }
            (view.pager())
        }
    }
}
