//! What the dashboard shows of each kind of lead that the other has not: an order's amount
//! and decision, a ticket's message, close and reopen, and filing it under a customer. The
//! frames around them — the list with its filters and pages, a lead's page with what the
//! website sent and its history — are one for both (`lists.rs`, `record.rs`).

use lead_domain::{OrderStatus, TicketStatus, TimeZone};
use lead_present::Presented;
use lead_store::{CompanyId, Customer, OrderRecord, Store, StoreError, TicketRecord};
use maud::{html, Markup};

use super::{post_form, when};

/// A kind of lead in the dashboard.
pub(crate) trait OnDashboard: Presented {
    /// The navigation's tab of its pages (and the live list's name).
    const TAB: &'static str;
    /// The link back from a lead to its list.
    const BACK: &'static str;
    /// What a search or filter that finds nothing says.
    const NONE_FOUND: &'static str;
    /// What a lead's page needs besides the lead (a ticket: the customers it may be filed under).
    type Extra: Send + 'static;

    /// Reads [`OnDashboard::Extra`] for `lead`.
    fn extra(store: &Store, company: CompanyId, lead: &Self) -> Result<Self::Extra, StoreError>;
    /// What the list says before the first lead of this kind ever arrived.
    fn first_steps() -> Markup;
    /// The list's column heads.
    fn columns() -> Markup;
    /// The list's row of this lead.
    fn row(&self, on: &Listed) -> Markup;
    /// The top of its page: status, when, and what only this kind holds.
    fn head(&self, zone: &TimeZone) -> Markup;
    /// What the team can do with it on its page at `base`.
    fn actions(&self, extra: &Self::Extra, base: &str, csrf: &str) -> Markup;
}

/// The link to a customer's file where the lead is filed, else the address as sent.
fn email_or_file(email: &str, customer: Option<lead_store::CustomerId>) -> Markup {
    html! {
        @if let Some(customer) = customer {
            a href={ "/app/customers/" (customer) } { (email) }
        } @else { (email) }
    }
}

impl OnDashboard for OrderRecord {
    const TAB: &'static str = "orders";
    const BACK: &'static str = "← Alle Bestellungen";
    const NONE_FOUND: &'static str = "Keine Bestellungen gefunden.";
    type Extra = ();

    fn extra(_: &Store, _: CompanyId, _: &Self) -> Result<(), StoreError> {
        Ok(())
    }

    fn first_steps() -> Markup {
        html! {
            p class="empty" { "Noch keine Bestellungen. Sobald Ihre Website eine Bestellung sendet, erscheint sie hier – "
                "so binden Sie Ihr Formular an: unter " a href="/app/admin/keys" { "Verwaltung → API-Schlüssel" }
                " einen Schlüssel ausgeben; dort stehen ein fertiges HTML-Formular und ein fetch()-Beispiel dazu." }
        }
    }

    fn columns() -> Markup {
        html! { th { "Eingang" } th { "Betrag" } th { "E-Mail" } th { "Titel" } th { "Status" } th { "Zuständig" } th { span class="sr" { "Aktionen" } } }
    }

    fn row(&self, on: &Listed) -> Markup {
        let (back, csrf, zone) = (on.back, on.csrf, on.zone);
        html! {
            tr id={ "order-" (self.id) } {
                td { (when(self.created_at, zone)) }
                td class="amount" { (self.total.to_german()) }
                td { (email_or_file(&self.email, self.customer_id)) }
                td { a href={ "/app/orders/" (self.id) } { (self.title) } }
                td class="status" { (Self::label(self.status)) }
                td { (owner_cell(Self::LIST, self.id.get(), self.owner.as_ref(), on)) }
                td class="actions" {
                    @if self.status == OrderStatus::New {
                        form method="post" action={ "/app/orders/" (self.id) "/accept" } class="inline" {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="back" value=(back);
                            button type="submit" class="accept" { "Annehmen" }
                        }
                        form method="post" action={ "/app/orders/" (self.id) "/reject" } class="inline" {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="back" value=(back);
                            button type="submit" class="reject" { "Ablehnen" }
                        }
                    }
                }
            }
        }
    }

    fn head(&self, zone: &TimeZone) -> Markup {
        html! {
            p class="meta" { (Self::label(self.status)) " · " (when(self.created_at, zone)) }
            dl class="extra" id="order-fields" {
                dt { "Betrag" } dd class="amount" { (self.total.to_german()) }
                dt { "E-Mail" } dd { (self.email) }
                @if let Some(message) = &self.message { dt { "Nachricht" } dd { pre class="message" { (message) } } }
                dt { "Kundenakte" }
                dd {
                    @if let Some(customer) = self.customer_id {
                        a href={ "/app/customers/" (customer) } id="customer-link" { "Zur Kundenakte" }
                    } @else { "keiner zugeordnet" }
                }
            }
        }
    }

    fn actions(&self, _: &(), base: &str, csrf: &str) -> Markup {
        html! {
            @if self.status == OrderStatus::New {
                h2 { "Entscheidung" }
                form method="post" class="decision" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="back" value=(base);
                    label for="reason" { "Begründung (optional, erscheint im Verlauf)" }
                    textarea id="reason" name="reason" rows="2" maxlength="10000" {}
                    div class="actions" {
                        button type="submit" class="accept" formaction={ (base) "/accept" } { "Annehmen" }
                        button type="submit" class="reject" formaction={ (base) "/reject" } { "Ablehnen" }
                    }
                }
            }
            @if self.customer_id.is_none() {
                h2 { "Kundenakte" }
                p { "Aus dieser Bestellung eine Kundenakte anlegen – mit Name, Telefon und Anschrift, soweit die Website sie mitgeschickt hat – oder der Akte zuordnen, die diese E-Mail-Adresse schon hat." }
                div class="actions" { (post_form(&format!("{base}/customer"), csrf, "Kundenakte anlegen", "accept")) }
            }
        }
    }
}

impl OnDashboard for TicketRecord {
    const TAB: &'static str = "tickets";
    const BACK: &'static str = "← Alle Tickets";
    const NONE_FOUND: &'static str = "Keine Tickets gefunden.";
    /// The company's customers, where the ticket is in no file yet.
    type Extra = Vec<Customer>;

    fn extra(store: &Store, company: CompanyId, ticket: &Self) -> Result<Vec<Customer>, StoreError> {
        match ticket.customer_id {
            Some(_) => Ok(Vec::new()),
            None => store.team().list_customers(company, None, None, Some(500)),
        }
    }

    fn first_steps() -> Markup {
        html! {
            p class="empty" { "Noch keine Tickets. Kontaktformulare Ihrer Website, die an den Lead-Endpunkt senden, erscheinen hier." }
        }
    }

    fn columns() -> Markup {
        html! { th { "Eingang" } th { "Titel" } th { "Von" } th { "Status" } th { "Zuständig" } }
    }

    fn row(&self, on: &Listed) -> Markup {
        let zone = on.zone;
        html! {
            tr id={ "ticket-" (self.id) } {
                td { (when(self.created_at, zone)) }
                td { a href={ "/app/tickets/" (self.id) } { (self.title) } }
                td { (self.email) }
                td { (Self::label(self.status)) }
                td { (owner_cell(Self::LIST, self.id.get(), self.owner.as_ref(), on)) }
            }
        }
    }

    fn head(&self, zone: &TimeZone) -> Markup {
        html! {
            p class="meta" {
                (Self::label(self.status)) " · von " (self.email) " · " (when(self.created_at, zone))
            }
            h2 { "Nachricht" }
            pre class="message" id="message" { (self.message) }
        }
    }

    fn actions(&self, customers: &Vec<Customer>, base: &str, csrf: &str) -> Markup {
        html! {
            div class="actions" {
                @if self.status != TicketStatus::Closed {
                    (post_form(&format!("{base}/close"), csrf, "Schließen", "reject"))
                }
                @if self.status != TicketStatus::Open {
                    (post_form(&format!("{base}/reopen"), csrf, "Wieder öffnen", "accept"))
                }
            }
            h2 { "Kundenakte" }
            @if let Some(customer) = self.customer_id {
                p { a href={ "/app/customers/" (customer) } id="customer-link" { "Zur Kundenakte" } }
            } @else {
                div class="actions" { (post_form(&format!("{base}/customer"), csrf, "Kundenakte anlegen", "accept")) }
            }
            @if self.customer_id.is_none() && !customers.is_empty() {
                form method="post" action={ (base) "/assign" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="customer_id" { "Einem Kunden zuordnen" }
                    select id="customer_id" name="customer_id" {
                        @for customer in customers {
                            option value=(customer.id) { (customer.name) " (" (customer.email) ")" }
                        }
                    }
                    button type="submit" { "Zuordnen" }
                }
            }
        }
    }
}

/// What a list's rows share: where their forms come back to (the list as it was), the
/// session's CSRF token, the team's time zone, and the colleagues a lead can be given to.
pub(crate) struct Listed<'a> {
    pub back: &'a str,
    pub csrf: &'a str,
    pub zone: &'a TimeZone,
    pub colleagues: &'a [lead_store::EmployeeRef],
}

/// A list's cell of who owns a lead: their name or „Übernehmen“ (the viewer takes it), and a
/// choice of colleague.
fn owner_cell(list: &str, id: i64, owner: Option<&lead_store::EmployeeRef>, on: &Listed) -> Markup {
    let action = format!("{list}/{id}/owner");
    let owner_id = owner.map(|owner| owner.id);
    html! {
        @if let Some(owner) = owner {
            (owner.name)
        } @else {
            form method="post" action=(action) class="inline" {
                input type="hidden" name="csrf" value=(on.csrf);
                input type="hidden" name="back" value=(on.back);
                input type="hidden" name="employee_id" value="me";
                button type="submit" class="take" { "Übernehmen" }
            }
        }
        " "
        form method="post" action=(action) class="inline owner-choice" {
            input type="hidden" name="csrf" value=(on.csrf);
            input type="hidden" name="back" value=(on.back);
            label class="sr" for={ "owner-" (list.trim_start_matches("/app/")) "-" (id) } { "Zuweisen an" }
            select id={ "owner-" (list.trim_start_matches("/app/")) "-" (id) } name="employee_id" {
                option value="" selected[owner_id.is_none()] { "Niemand" }
                @for colleague in on.colleagues {
                    option value=(colleague.id) selected[owner_id == Some(colleague.id)] { (colleague.name) }
                }
            }
            " "
            button type="submit" { "Zuweisen" }
        }
    }
}
