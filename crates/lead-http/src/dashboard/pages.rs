//! The dashboard's HTML, in German. maud escapes every value it interpolates, so whatever a
//! website sent (a ticket whose message is `<script>…`) is shown as text.

use lead_domain::{OrderStatus, TicketStatus, Timestamp};
use lead_store::{Customer, CustomerFile, LeadId, Note, Notification, OrderRecord, PushSubscription, TicketRecord};
use maud::{html, Markup, DOCTYPE};

/// Who is looking, for the page header.
pub(crate) struct Viewer<'a> {
    pub name: &'a str,
    pub csrf: &'a str,
    pub unread: usize,
    pub recent: &'a [Notification],
    /// An admin of the company: the navigation shows the admin pages.
    pub admin: bool,
}

/// The team's time zone (`[dashboard] time_zone`), set once when the server starts.
static TIME_ZONE: std::sync::OnceLock<lead_domain::TimeZone> = std::sync::OnceLock::new();

/// Sets the time zone every page shows its times in (the first call wins: one per server).
pub(crate) fn set_time_zone(zone: lead_domain::TimeZone) {
    let _ = TIME_ZONE.set(zone);
}

/// A time as the team reads it: German notation, in their zone.
fn when(at: Timestamp) -> String {
    at.to_german_in(TIME_ZONE.get().unwrap_or(&lead_domain::TimeZone::UTC))
}

pub(crate) fn order_status(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::New => "Neu",
        OrderStatus::Accepted => "Angenommen",
        OrderStatus::Rejected => "Abgelehnt",
    }
}

pub(crate) fn ticket_status(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::Open => "Offen",
        TicketStatus::Closed => "Geschlossen",
    }
}

/// A form that posts to `action` with the session's CSRF token.
fn post_form(action: &str, csrf: &str, label: &str, class: &str) -> Markup {
    html! {
        form method="post" action=(action) class="inline" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" class=(class) { (label) }
        }
    }
}

/// The frame of every page: header with navigation, the bell and logout.
pub(crate) fn layout(title: &str, active: &str, viewer: &Viewer, body: Markup) -> Markup {
    let mut nav = vec![
        ("/app/orders", "orders", "Web-Bestellungen"),
        ("/app/tickets", "tickets", "Tickets"),
        ("/app/customers", "customers", "Kunden"),
        ("/app/settings", "settings", "Einstellungen"),
    ];
    if viewer.admin {
        nav.push(("/app/admin", "admin", "Verwaltung"));
    }
    let content = html! {
                a href="#main" class="skip" { "Zum Inhalt springen" }
                header {
                    nav aria-label="Hauptnavigation" {
                        @for (href, key, label) in nav {
                            a href=(href) aria-current=[(key == active).then_some("page")] { (label) }
                        }
                    }
                    div class="bell" {
                        button type="button" id="bell-button" aria-expanded="false" aria-controls="bell-panel" {
                            "Benachrichtigungen "
                            span id="bell-count" class="count" data-count=(viewer.unread) { (viewer.unread) }
                        }
                        div id="bell-panel" hidden {
                            ul id="bell-list" {
                                @for note in viewer.recent {
                                    li class=(if note.read_at.is_none() { "unread" } else { "" }) { (note.text) }
                                }
                            }
                            a href="/app/notifications" { "Alle Benachrichtigungen" }
                        }
                    }
                    div class="me" {
                        span { (viewer.name) }
                        (post_form("/app/logout", viewer.csrf, "Abmelden", "link"))
                    }
                }
                main id="main" { (body) }
    };
    document(&format!("{title} – CRM"), Script::Dashboard, true, content)
}

/// The login page.
pub(crate) fn login(csrf: &str, email: &str, error: Option<&str>) -> Markup {
    let content = html! {
                main id="main" class="login" {
                    h1 { "Anmelden" }
                    @if let Some(error) = error {
                        p class="error" role="alert" { (error) }
                    }
                    form method="post" action="/app/login" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="email" { "E-Mail" }
                        input type="email" id="email" name="email" value=(email) autocomplete="username" required autofocus;
                        label for="password" { "Passwort" }
                        input type="password" id="password" name="password" autocomplete="current-password" required;
                        button type="submit" id="login" { "Anmelden" }
                    }
                }
    };
    document("Anmelden – CRM", Script::None, true, content)
}

/// A small filter by status, as links.
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

/// What a website sent beyond the known fields, readable: nested objects as definition
/// lists, lists of objects (a cart) as tables, numbers and amounts the German way — nothing
/// dropped, everything escaped, long values wrapped.
fn extra(payload: &str) -> Markup {
    let fields = lead_domain::extra_fields(payload);
    html! {
        @if !fields.is_empty() {
            h2 { "Weitere Angaben" }
            (object(&fields))
        }
    }
}

fn object(members: &serde_json::Map<String, serde_json::Value>) -> Markup {
    html! {
        dl class="extra" {
            @for (name, value) in members {
                dt { (name) }
                dd { (field(name, value)) }
            }
        }
    }
}

/// One value of a custom field named `name`.
fn field(name: &str, value: &serde_json::Value) -> Markup {
    use serde_json::Value;
    match value {
        Value::Null => html! { "–" },
        Value::Bool(yes) => html! { (if *yes { "ja" } else { "nein" }) },
        Value::Number(number) => html! { (german_number(name, &number.to_string())) },
        Value::String(text) => html! { (text) },
        Value::Object(members) => object(members),
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            // The columns: every member of any row, in the order they first appear.
            let mut columns: Vec<&String> = Vec::new();
            for item in items.iter().filter_map(Value::as_object) {
                for key in item.keys() {
                    if !columns.contains(&key) {
                        columns.push(key);
                    }
                }
            }
            html! {
                div class="scroll" {
                    table class="nested" {
                        thead { tr { @for column in &columns { th { (column) } } } }
                        tbody {
                            @for item in items.iter().filter_map(Value::as_object) {
                                tr {
                                    @for column in &columns {
                                        td class=[item.get(*column).filter(|v| v.is_number()).map(|_| "amount")] {
                                            @if let Some(value) = item.get(*column) { (field(column, value)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        Value::Array(items) => html! {
            ul class="plain" { @for item in items { li { (field(name, item)) } } }
        },
    }
}

/// A number as Germans write it (`1.234,5`); under a name that says it is money (price,
/// total, Betrag …) an amount (`1.234,50 €`).
fn german_number(name: &str, text: &str) -> String {
    const MONEY: [&str; 9] = [
        "price", "preis", "amount", "betrag", "total", "summe", "sum", "cost", "kosten",
    ];
    let lower = name.to_lowercase();
    if MONEY.iter().any(|word| lower.contains(word)) {
        if let Ok(money) = lead_domain::Money::from_json_number(text) {
            return money.to_german();
        }
    }
    if text.contains(['e', 'E']) {
        return text.to_owned(); // 1e300: kept as sent
    }
    let (sign, digits) = text.strip_prefix('-').map_or(("", text), |rest| ("-", rest));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    match fraction {
        "" => format!("{sign}{grouped}"),
        fraction => format!("{sign}{grouped},{fraction}"),
    }
}

/// The original request body, collapsed.
fn original(payload: &str) -> Markup {
    let pretty = serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| payload.to_owned());
    html! {
        details class="original" {
            summary { "Originale Anfrage der Website" }
            pre { (pretty) }
        }
    }
}

/// The history of a record: what happened, oldest first — `events` and the team's notes.
fn timeline(events: Vec<(Timestamp, String)>, notes: &[Note]) -> Markup {
    let mut entries: Vec<(Timestamp, Markup)> = events.into_iter().map(|(at, text)| (at, html! { (text) })).collect();
    for note in notes {
        entries.push((
            note.created_at,
            html! { strong { (note.author.name) } ": " span class="note-text" { (note.text) } },
        ));
    }
    entries.sort_by_key(|(at, _)| *at);
    html! {
        h2 { "Verlauf" }
        ol class="timeline" id="timeline" {
            @for (at, entry) in entries {
                li { time { (when(at)) } " " (entry) }
            }
        }
    }
}

/// The form for a new note on the record at `base`.
fn note_form(base: &str, csrf: &str) -> Markup {
    html! {
        form method="post" action={ (base) "/notes" } class="note" {
            input type="hidden" name="csrf" value=(csrf);
            label for="note" { "Interne Notiz" }
            textarea id="note" name="text" rows="3" maxlength="10000" required {}
            button type="submit" { "Notiz speichern" }
        }
    }
}

/// One web order: everything the website sent, the customer, the decision, the history.
pub(crate) fn order(order: &OrderRecord, notes: &[Note], released: Option<(Timestamp, String)>, csrf: &str) -> Markup {
    let base = format!("/app/orders/{}", order.id);
    let mut events = vec![(order.created_at, "Eingegangen".to_owned())];
    events.extend(released.map(|(at, by)| (at, format!("Für das Team freigegeben (war zurückgehalten) – {by}"))));
    if let (Some(at), true) = (order.decided_at, order.status != OrderStatus::New) {
        let by = order
            .decided_by
            .as_ref()
            .map_or_else(String::new, |e| format!(" von {}", e.name));
        events.push((at, format!("{}{by}", order_status(order.status))));
    }
    html! {
        p { a href="/app/orders" { "← Alle Bestellungen" } }
        h1 { (order.title) }
        p class="meta" { (order_status(order.status)) " · " (when(order.created_at)) }
        dl class="extra" id="order-fields" {
            dt { "Betrag" } dd class="amount" { (order.total.to_german()) }
            dt { "E-Mail" } dd { (order.email) }
            @if let Some(message) = &order.message { dt { "Nachricht" } dd { pre class="message" { (message) } } }
            dt { "Kundenakte" }
            dd {
                @if let Some(customer) = order.customer_id {
                    a href={ "/app/customers/" (customer) } id="customer-link" { "Zur Kundenakte" }
                } @else { "keiner zugeordnet" }
            }
        }
        (extra(&order.payload))
        (original(&order.payload))
        @if order.status == OrderStatus::New {
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
        (timeline(events, notes))
        (note_form(&base, csrf))
    }
}

/// One ticket: the original message, custom fields, status, customer file.
pub(crate) fn ticket(
    ticket: &TicketRecord,
    customers: &[Customer],
    notes: &[Note],
    released: Option<(Timestamp, String)>,
    csrf: &str,
) -> Markup {
    let base = format!("/app/tickets/{}", ticket.id);
    let mut events = vec![(ticket.created_at, "Eingegangen".to_owned())];
    events.extend(released.map(|(at, by)| (at, format!("Für das Team freigegeben (war zurückgehalten) – {by}"))));
    if let Some(at) = ticket.status_changed_at {
        let by = ticket
            .status_changed_by
            .as_ref()
            .map_or_else(String::new, |e| format!(" von {}", e.name));
        events.push((at, format!("{}{by}", ticket_status(ticket.status))));
    }
    html! {
        p { a href="/app/tickets" { "← Alle Tickets" } }
        h1 { (ticket.title) }
        p class="meta" {
            (ticket_status(ticket.status)) " · von " (ticket.email) " · " (when(ticket.created_at))
        }
        h2 { "Nachricht" }
        pre class="message" id="message" { (ticket.message) }
        (extra(&ticket.payload))
        (original(&ticket.payload))
        div class="actions" {
            @if ticket.status == TicketStatus::Open {
                (post_form(&format!("{base}/close"), csrf, "Schließen", "reject"))
            } @else {
                (post_form(&format!("{base}/reopen"), csrf, "Wieder öffnen", "accept"))
            }
        }
        h2 { "Kundenakte" }
        @if let Some(customer) = ticket.customer_id {
            p { a href={ "/app/customers/" (customer) } id="customer-link" { "Zur Kundenakte" } }
        } @else if customers.is_empty() {
            p { "Noch keiner Kundenakte zugeordnet; es gibt noch keine Kunden." }
        } @else {
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
        (timeline(events, notes))
        (note_form(&base, csrf))
    }
}

/// The customer list, with a search.
pub(crate) fn customers(customers: &[Customer], q: &str) -> Markup {
    html! {
        h1 { "Kunden" }
        form method="get" action="/app/customers" class="search" {
            label for="q" { "Suchen (Name oder E-Mail)" }
            input type="search" id="q" name="q" value=(q);
            button type="submit" { "Suchen" }
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
pub(crate) fn customer_file(file: &CustomerFile, paging: FilePaging, notes: &[Note], csrf: &str) -> Markup {
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
        p class="meta" { (customer.email) " · Kunde seit " (when(customer.created_at)) }
        @if !notes.is_empty() {
            h2 { "Notizen" }
            ol class="timeline" id="timeline" {
                @for note in notes {
                    li { time { (when(note.created_at)) } " " strong { (note.author.name) } ": " span class="note-text" { (note.text) } }
                }
            }
        }
        (note_form(&format!("/app/customers/{}", customer.id), csrf))
        h2 { "Tickets" }
        @if file.tickets.is_empty() { p class="empty" { "Keine Tickets." } }
        ul class="plain" {
            @for ticket in &file.tickets {
                li { a href={ "/app/tickets/" (ticket.id) } { (ticket.title) } " · " (ticket_status(ticket.status)) " · " (when(ticket.created_at)) }
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
                li { (order.title) " · " (order.total.to_german()) " · " (order_status(order.status)) " · " (when(order.created_at)) }
            }
        }
        p class="pager" {
            @if paging.orders_before.is_some() { a href=(link(paging.tickets_before, None)) { "← Neueste Bestellungen" } " " }
            @if let Some(id) = older_orders { a href=(link(paging.tickets_before, Some(id))) { "Ältere Bestellungen →" } }
        }
    }
}

/// All of one's notifications.
pub(crate) fn notifications(notes: &[Notification], csrf: &str) -> Markup {
    html! {
        h1 { "Benachrichtigungen" }
        (post_form("/app/notifications/read-all", csrf, "Alle als gelesen markieren", "accept"))
        div data-live="notifications" {
            @if notes.is_empty() { p class="empty" { "Keine Benachrichtigungen." } }
            ul class="plain notes" {
                @for note in notes {
                    li class=(if note.read_at.is_none() { "unread" } else { "" }) {
                        @match note.lead {
                            Some(LeadId::Order(order)) => a href={ "/app/orders/" (order) } { (note.text) },
                            Some(LeadId::Ticket(ticket)) => a href={ "/app/tickets/" (ticket) } { (note.text) },
                            None => span { (note.text) },
                        }
                        " · " (when(note.created_at))
                        @if note.read_at.is_none() {
                            " " (post_form(&format!("/app/notifications/{}/read", note.id), csrf, "Gelesen", "link"))
                        }
                    }
                }
            }
        }
    }
}

/// What the settings page shows of the employee and the server.
pub(crate) struct Settings<'a> {
    pub csrf: &'a str,
    /// E-mail and push per new lead.
    pub notify_email: bool,
    pub notify_push: bool,
    /// The server's VAPID public key; none when push is not enabled here.
    pub push_key: Option<&'a str>,
    pub devices: &'a [PushSubscription],
    /// How many devices a test message just went to.
    pub tested: Option<usize>,
}

/// The settings page: which notifications, and push on this device.
pub(crate) fn settings(settings: &Settings) -> Markup {
    let csrf = settings.csrf;
    html! {
        h1 { "Einstellungen" }
        section aria-labelledby="notify-title" {
            h2 id="notify-title" { "Benachrichtigungen" }
            p { "Bei jeder neuen Web-Bestellung und jedem neuen Ticket benachrichtigen wir Sie:" }
            form method="post" action="/app/settings/notify" {
                input type="hidden" name="csrf" value=(csrf);
                div class="check" {
                    input type="checkbox" id="notify-email" name="email" value="on" checked[settings.notify_email];
                    label for="notify-email" { "per E-Mail" }
                }
                div class="check" {
                    input type="checkbox" id="notify-push" name="push" value="on" checked[settings.notify_push];
                    label for="notify-push" { "per Push-Benachrichtigung auf meinen Geräten" }
                }
                button type="submit" { "Speichern" }
            }
        }
        section aria-labelledby="push-title" {
            h2 id="push-title" { "Push auf diesem Gerät" }
            p { "Push-Benachrichtigungen erreichen Sie auf dem Handy und am Computer, auch wenn das Dashboard geschlossen ist." }
            p class="meta" { "Auf dem iPhone und iPad (ab iOS 16.4) fügen Sie das Dashboard zuerst in Safari über „Teilen“ → „Zum Home-Bildschirm“ hinzu und öffnen es von dort – erst dann bietet Apple Push an." }
            button type="button" id="push-enable" hidden data-key=[settings.push_key] data-csrf=(csrf) { "Push auf diesem Gerät aktivieren" }
            p id="push-status" role="status" aria-live="polite" {
                @if settings.push_key.is_none() { "Push-Benachrichtigungen sind auf diesem Server nicht eingerichtet." }
            }
            h3 { "Ihre Geräte" }
            @if let Some(count) = settings.tested {
                p role="status" { "Test an " (count) (if count == 1 { " Gerät" } else { " Geräte" }) " gesendet." }
            }
            @if settings.devices.is_empty() {
                p class="empty" { "Noch kein Gerät eingetragen." }
            } @else {
                table id="devices" {
                    thead { tr { th { "Gerät" } th { "Push-Dienst" } th { "Eingetragen" } th { "Zuletzt erreicht" } th { span class="sr" { "Aktionen" } } } }
                    tbody {
                        @for device in settings.devices {
                            tr {
                                td { (device.device) }
                                td { (device.service) }
                                td { (when(device.created_at)) }
                                td { @if let Some(at) = device.last_success_at { (when(at)) } @else { "noch nie" } }
                                td { (post_form(&format!("/app/settings/push/{}/delete", device.id), csrf, "Entfernen", "link")) }
                            }
                        }
                    }
                }
                @if settings.push_key.is_some() {
                    (post_form("/app/settings/push/test", csrf, "Test senden", ""))
                }
            }
        }
    }
}

/// The admin pages, as a list.
pub(crate) fn admin_index() -> Markup {
    html! {
        h1 { "Verwaltung" }
        p { "Diese Seiten sehen nur die Administratoren Ihrer Firma. Jede Änderung steht mit Ihrem Namen im Audit-Log." }
        ul class="plain" {
            li { a href="/app/admin/mitarbeiter" { "Mitarbeiter" } " – hinzufügen, deaktivieren, Rolle, Einmal-Passwort, Sperre aufheben" }
            li { a href="/app/admin/keys" { "API-Schlüssel" } " – für Ihre Websites ausgeben und widerrufen, Websites, Tagesgrenze, Bestätigungs-E-Mails" }
            li { a href="/app/admin/protokoll" { "Formular-Protokoll" } " – jede Anfrage Ihrer Formulare, und warum eine fehlschlug" }
            li { a href="/app/admin/webhooks" { "Webhooks & Zustellungen" } " – Ihre Systeme benachrichtigen, und ob es ankam" }
            li { a href="/app/admin/audit" { "Audit-Log" } " – wer wann was an Zugängen, Schlüsseln und Daten geändert hat" }
            li { a href="/app/admin/datenschutz" { "Datenschutz" } " – Auskunft über die Daten einer Person und ihre Löschung (DSGVO Art. 15 und 17)" }
        }
    }
}

/// The company's employees, with what an admin can do to each.
pub(crate) fn admin_employees(
    employees: &[lead_store::Employee],
    me: lead_store::EmployeeId,
    csrf: &str,
    password: Option<(&lead_store::Employee, &str)>,
) -> Markup {
    let action = |id: lead_store::EmployeeId, what: &str, label: &str, class: &str| {
        post_form(&format!("/app/admin/mitarbeiter/{id}/{what}"), csrf, label, class)
    };
    html! {
        p { a href="/app/admin" { "← Verwaltung" } }
        h1 { "Mitarbeiter" }
        @if let Some((employee, password)) = password {
            div role="status" class="notice" id="one-time-password" {
                p { "Einmal-Passwort für " strong { (employee.name) } " (" (employee.email) "): " }
                p { code { (password) } }
                p class="meta" { "Nur jetzt sichtbar. Geben Sie es persönlich weiter; bisherige Anmeldungen dieses Mitarbeiters sind beendet." }
            }
        }
        div class="scroll" {
            table id="employees" {
                thead { tr { th { "Name" } th { "E-Mail" } th { "Rolle" } th { "Status" } th { span class="sr" { "Aktionen" } } } }
                tbody {
                    @for employee in employees {
                        tr {
                            td { (employee.name) @if employee.id == me { " (Sie)" } }
                            td { (employee.email) }
                            td { (if employee.role == lead_store::Role::Admin { "Administrator" } else { "Mitarbeiter" }) }
                            td { (if employee.active { "aktiv" } else { "deaktiviert" }) }
                            td class="actions" {
                                @if employee.id != me {
                                    @if employee.active { (action(employee.id, "deactivate", "Deaktivieren", "reject")) }
                                    @else { (action(employee.id, "activate", "Aktivieren", "accept")) }
                                    @if employee.role == lead_store::Role::Admin { (action(employee.id, "member", "Verwaltung entziehen", "link")) }
                                    @else { (action(employee.id, "admin", "Zum Administrator machen", "link")) }
                                }
                                (action(employee.id, "password", "Einmal-Passwort setzen", "link"))
                                (action(employee.id, "unlock", "Sperre aufheben", "link"))
                            }
                        }
                    }
                }
            }
        }
        h2 { "Mitarbeiter hinzufügen" }
        form method="post" action="/app/admin/mitarbeiter/add" {
            input type="hidden" name="csrf" value=(csrf);
            label for="new-name" { "Name" }
            input type="text" id="new-name" name="name" required maxlength="200";
            label for="new-email" { "E-Mail-Adresse" }
            input type="email" id="new-email" name="email" required;
            div class="check" {
                input type="checkbox" id="new-admin" name="admin" value="on";
                label for="new-admin" { "Administrator (darf diese Seiten nutzen)" }
            }
            button type="submit" { "Hinzufügen" }
        }
    }
}

/// The company's API keys; `issued` a key just issued, shown this once with a form and a
/// `fetch` that use it.
pub(crate) fn admin_keys(keys: &[lead_store::KeyInfo], csrf: &str, issued: Option<&str>) -> Markup {
    let action = |id: lead_store::KeyId, what: &str| format!("/app/admin/keys/{id}/{what}");
    html! {
        p { a href="/app/admin" { "← Verwaltung" } }
        h1 { "API-Schlüssel" }
        @if let Some(key) = issued {
            div role="status" class="notice" id="issued-key" {
                p { strong { "Neuer Schlüssel – nur jetzt sichtbar:" } }
                p { code id="new-key" { (key) } }
                p { "So bindet ein HTML-Formular ihn ein:" }
                pre class="snippet" { (format!(
                    "<form method=\"post\" action=\"https://IHR-SERVER/api/v1/lead\">\n  <input type=\"hidden\" name=\"key\" value=\"{key}\">\n  <input type=\"hidden\" name=\"type\" value=\"ticket\">\n  <input type=\"email\" name=\"email\" required>\n  <textarea name=\"message\" required></textarea>\n  <button>Senden</button>\n</form>"
                )) }
                p { "… oder ein Skript:" }
                pre class="snippet" { (format!(
                    "await fetch(\"https://IHR-SERVER/api/v1/lead\", {{\n  method: \"POST\",\n  headers: {{ \"X-API-KEY\": \"{key}\", \"Content-Type\": \"application/json\" }},\n  body: JSON.stringify({{ type: \"order\", email, total }}),\n}});"
                )) }
            }
        }
        @if keys.is_empty() {
            p class="empty" { "Noch keine Schlüssel. Ihre Website braucht einen, um Bestellungen und Tickets zu senden." }
        }
        @for key in keys {
            section class="key" aria-label={ "Schlüssel " (key.prefix) } {
                h2 { code { (key.prefix) "…" } " " (key.label) @if !key.active { " – widerrufen" } }
                p class="meta" {
                    "Ausgegeben " (when(key.created_at))
                    @if let Some(at) = key.last_used_at { " · zuletzt benutzt " (when(at)) } @else { " · noch nie benutzt" }
                }
                @if key.active {
                    form method="post" action=(action(key.id, "origins")) {
                        input type="hidden" name="csrf" value=(csrf);
                        label for={ "origins-" (key.id) } { "Websites (eine je Zeile, z. B. https://shop.example.de; leer: jede)" }
                        textarea id={ "origins-" (key.id) } name="origins" rows="2" { (key.origins.join("\n")) }
                        button type="submit" { "Websites speichern" }
                    }
                    form method="post" action=(action(key.id, "cap")) {
                        input type="hidden" name="csrf" value=(csrf);
                        label for={ "cap-" (key.id) } { "Tagesgrenze (Leads je Tag; leer: keine)" }
                        input type="number" min="0" id={ "cap-" (key.id) } name="cap" value=[key.daily_cap];
                        button type="submit" { "Grenze speichern" }
                    }
                    form method="post" action=(action(key.id, "confirm")) {
                        input type="hidden" name="csrf" value=(csrf);
                        div class="check" {
                            input type="checkbox" id={ "confirm-" (key.id) } name="confirm" value="on" checked[key.confirm_sender];
                            label for={ "confirm-" (key.id) } { "Absendern eine Bestätigungs-E-Mail schicken" }
                        }
                        button type="submit" { "Speichern" }
                    }
                    (post_form(&action(key.id, "revoke"), csrf, "Widerrufen", "reject"))
                }
            }
        }
        h2 { "Neuen Schlüssel ausgeben" }
        form method="post" action="/app/admin/keys/issue" {
            input type="hidden" name="csrf" value=(csrf);
            label for="label" { "Bezeichnung (z. B. die Website)" }
            input type="text" id="label" name="label" maxlength="200";
            button type="submit" { "Ausgeben" }
        }
    }
}

/// The company's webhook endpoints and deliveries; `secret` a new endpoint's signing secret,
/// shown this once.
pub(crate) fn admin_webhooks(
    endpoints: &[lead_store::Webhook],
    deliveries: &[lead_store::Delivery],
    status: Option<lead_store::DeliveryStatus>,
    csrf: &str,
    secret: Option<&str>,
    tested: Option<&str>,
) -> Markup {
    use lead_store::DeliveryStatus;
    let status_label = |status: DeliveryStatus| match status {
        DeliveryStatus::Pending => "ausstehend",
        DeliveryStatus::Delivered => "zugestellt",
        DeliveryStatus::Failed => "fehlgeschlagen",
    };
    html! {
        p { a href="/app/admin" { "← Verwaltung" } }
        h1 { "Webhooks & Zustellungen" }
        @if let Some(secret) = secret {
            div role="status" class="notice" id="new-secret" {
                p { strong { "Signatur-Schlüssel des neuen Webhooks – nur jetzt sichtbar:" } }
                p { code { (secret) } }
                p class="meta" { "Ihr System prüft damit jede Anfrage (Standard Webhooks: webhook-signature)." }
            }
        }
        @if let Some(tested) = tested {
            p role="status" class="notice" id="tested" { "Test: " (tested) }
        }
        h2 { "Webhooks" }
        @if endpoints.is_empty() { p class="empty" { "Noch keine Webhooks. Mit einem erfährt Ihr System (CRM, Slack, Teams) sofort von jeder Bestellung und jedem Ticket." } }
        @else {
            div class="scroll" {
                table id="webhooks" {
                    thead { tr { th { "Adresse" } th { "Format" } th { "Zustand" } th { "Zuletzt zugestellt" } th { span class="sr" { "Aktionen" } } } }
                    tbody {
                        @for endpoint in endpoints {
                            tr {
                                td { code { (endpoint.url) } }
                                td { (endpoint.format.as_str()) }
                                td {
                                    @if endpoint.active { "aktiv" }
                                    @else { "abgeschaltet" @if let Some(reason) = &endpoint.disabled_reason { ": " (reason) } }
                                }
                                td { @if let Some(at) = endpoint.last_success_at { (when(at)) } @else { "noch nie" } }
                                td class="actions" {
                                    (post_form(&format!("/app/admin/webhooks/{}/test", endpoint.id), csrf, "Test senden", "link"))
                                    @if !endpoint.active { (post_form(&format!("/app/admin/webhooks/{}/enable", endpoint.id), csrf, "Wieder einschalten", "link")) }
                                    (post_form(&format!("/app/admin/webhooks/{}/remove", endpoint.id), csrf, "Entfernen", "link"))
                                }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action="/app/admin/webhooks/add" {
            input type="hidden" name="csrf" value=(csrf);
            label for="webhook-url" { "Neuer Webhook: Adresse (https://…)" }
            input type="url" id="webhook-url" name="url" required;
            label for="webhook-format" { "Format" }
            select id="webhook-format" name="format" {
                option value="standard" { "Standard Webhooks (JSON, signiert)" }
                option value="slack" { "Slack, Teams, Mattermost (Text)" }
            }
            button type="submit" { "Hinzufügen" }
        }
        h2 { "Zustellungen" }
        nav class="filter" aria-label="Nach Zustand filtern" {
            a href="/app/admin/webhooks" aria-current=[status.is_none().then_some("true")] { "Alle" }
            @for each in DeliveryStatus::ALL {
                a href={ "/app/admin/webhooks?status=" (each.as_str()) } aria-current=[(status == Some(*each)).then_some("true")] { (status_label(*each)) }
            }
        }
        @if deliveries.is_empty() { p class="empty" { "Keine Zustellungen." } }
        @else {
            div class="scroll" {
                table id="deliveries" {
                    thead { tr { th { "Angelegt" } th { "Weg" } th { "Ziel" } th { "Ereignis" } th { "Versuche" } th { "Zustand" } th { span class="sr" { "Aktionen" } } } }
                    tbody {
                        @for delivery in deliveries {
                            tr {
                                td { (when(delivery.created_at)) }
                                td { (delivery.channel.as_str()) }
                                td { code { (delivery.target) } }
                                td { (delivery.event.as_str()) }
                                td { (delivery.attempts) }
                                td {
                                    (status_label(delivery.status))
                                    @if let Some(code) = delivery.last_status { " · HTTP " (code) }
                                    @if let Some(error) = &delivery.last_error { br; span class="meta" { (error) } }
                                }
                                td class="actions" {
                                    @if delivery.status == DeliveryStatus::Failed {
                                        (post_form(&format!("/app/admin/deliveries/{}/retry", delivery.id), csrf, "Erneut versuchen", "link"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The company's audit log, newest first.
pub(crate) fn admin_audit(entries: &[lead_store::AuditEntry], older: Option<i64>) -> Markup {
    html! {
        p { a href="/app/admin" { "← Verwaltung" } }
        h1 { "Audit-Log" }
        @if entries.is_empty() { p class="empty" { "Noch keine Einträge." } }
        @else {
            div class="scroll" {
                table id="audit" {
                    thead { tr { th { "Zeit" } th { "Wer" } th { "Was" } th { "Woran" } } }
                    tbody {
                        @for entry in entries {
                            tr {
                                td { (when(entry.at)) }
                                td { (entry.actor) }
                                td { code { (entry.action) } }
                                td { (entry.subject) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(older) = older {
            p class="pager" { a rel="next" href={ "/app/admin/audit?before=" (older) } { "Ältere →" } }
        }
    }
}

/// The submission log of the company's keys: every request, and why one failed.
pub(crate) fn admin_submissions(
    entries: &[lead_store::Submission],
    key: &str,
    failed: bool,
    (since, until): (&str, &str),
    older: Option<i64>,
) -> Markup {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("key", key),
        ("failed", if failed { "on" } else { "" }),
        ("since", since),
        ("until", until),
    ] {
        if !value.is_empty() {
            query.append_pair(name, value);
        }
    }
    let query = query.finish();
    html! {
        p { a href="/app/admin" { "← Verwaltung" } }
        h1 { "Formular-Protokoll" }
        form method="get" action="/app/admin/protokoll" class="search" {
            label for="key" { "Schlüssel (Anfang)" }
            input type="search" id="key" name="key" value=(key) placeholder="lgw_…";
            div class="check" {
                input type="checkbox" id="failed" name="failed" value="on" checked[failed];
                label for="failed" { "nur fehlgeschlagene" }
            }
            label for="since" { "von" }
            input type="date" id="since" name="since" value=(since);
            label for="until" { "bis" }
            input type="date" id="until" name="until" value=(until);
            button type="submit" { "Filtern" }
        }
        @if entries.is_empty() {
            p class="empty" { "Keine Anfragen." }
        } @else {
            div class="scroll" {
                table id="submissions" {
                    thead { tr { th { "Zeit" } th { "Schlüssel" } th { "Website" } th { "Antwort" } th { "Inhalt" } } }
                    tbody {
                        @for entry in entries {
                            tr {
                                td { (when(entry.at)) }
                                td { code { (entry.key_prefix.as_deref().unwrap_or("–")) } }
                                td { (entry.origin.as_deref().unwrap_or("–")) }
                                td { (entry.status) @if let Some(code) = &entry.code { " " code { (code) } } }
                                td {
                                    @if let Some(body) = &entry.body {
                                        details { summary { "Gesendet" } pre { (body) } }
                                    }
                                    @if let Some(note) = &entry.note { p class="meta" { (note) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(older) = older {
            p class="pager" { a rel="next" href={ "/app/admin/protokoll?" (query) (if query.is_empty() { "" } else { "&" }) "before=" (older) } { "Ältere →" } }
        }
    }
}

/// A person's data on request: the export and the erasure, and what an erasure just did.
pub(crate) fn privacy(csrf: &str, keep_orders: bool, erased: Option<&lead_store::Erased>) -> Markup {
    html! {
        h1 { "Datenschutz" }
        @if let Some(erased) = erased {
            div role="status" class="notice" {
                p { strong { "Gelöscht." } " "
                    (erased.customers) " Kundenakten, " (erased.orders) " Bestellungen"
                    @if erased.orders_anonymised > 0 { " (" (erased.orders_anonymised) " anonymisiert aufbewahrt)" }
                    ", " (erased.tickets) " Tickets, " (erased.submissions) " Einträge im Formular-Protokoll, "
                    (erased.notifications) " weitere Benachrichtigungen, " (erased.deliveries) " weitere Zustellungen. "
                    "Das Audit-Log vermerkt die Löschung ohne die Adresse." }
            }
        }
        section aria-labelledby="export-title" {
            h2 id="export-title" { "Auskunft (Art. 15 DSGVO)" }
            p { "Alles, was zu einer E-Mail-Adresse in Ihrer Firma gespeichert ist – Kundenakte, Bestellungen und Tickets mit allen übermittelten Feldern, Benachrichtigungen, Zustellungen, Einträge im Formular-Protokoll –, als eine JSON-Datei." }
            form method="post" action="/app/admin/datenschutz/export" {
                input type="hidden" name="csrf" value=(csrf);
                label for="export-email" { "E-Mail-Adresse" }
                input type="email" id="export-email" name="email" required autocomplete="off";
                button type="submit" { "Daten herunterladen" }
            }
        }
        section aria-labelledby="erase-title" {
            h2 id="erase-title" { "Löschung (Art. 17 DSGVO)" }
            p { "Löscht alles, was zu der Adresse in Ihrer Firma gespeichert ist, auf einmal. Das lässt sich nicht rückgängig machen." }
            p class="meta" {
                @if keep_orders {
                    "Bestellungen bleiben als Geschäftsunterlagen erhalten – Betrag, Status, Datum –, aber ohne jedes persönliche Feld."
                } @else {
                    "Bestellungen werden mitgelöscht."
                }
                " Datensicherungen enthalten die Daten weiter, bis sie ersetzt werden."
            }
            form method="post" action="/app/admin/datenschutz/erase" {
                input type="hidden" name="csrf" value=(csrf);
                label for="erase-email" { "E-Mail-Adresse" }
                input type="email" id="erase-email" name="email" required autocomplete="off";
                label for="erase-confirm" { "Zur Bestätigung noch einmal" }
                input type="email" id="erase-confirm" name="confirm" required autocomplete="off";
                button type="submit" class="reject" { "Endgültig löschen" }
            }
        }
    }
}

/// An error page (not found, refused) with a way back.
pub(crate) fn message(title: &str, text: &str) -> Markup {
    standalone(
        &format!("{title} – CRM"),
        html! { h1 { (title) } p { (text) } p { a href="/app/orders" { "Zur Übersicht" } } },
    )
}

/// A page of its own, without the dashboard's frame: German, this server's stylesheet,
/// nothing from elsewhere, no script.
pub(crate) fn standalone(title: &str, body: Markup) -> Markup {
    document(title, Script::None, false, html! { main id="main" { (body) } })
}

/// Whether a page loads the dashboard's script.
#[derive(PartialEq, Eq)]
enum Script {
    Dashboard,
    None,
}

/// An HTML document: German, this server's stylesheet, `content` as its body.
/// A page of the dashboard itself (`app`) names its manifest and icons; the pages a website's
/// visitors may see (a form's answer) do not.
fn document(title: &str, script: Script, app: bool, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="de" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                @if app {
                    meta name="theme-color" content="#0b4f8a";
                    link rel="manifest" href="/app/manifest.webmanifest";
                    link rel="icon" type="image/png" sizes="32x32" href="/app/favicon-32.png";
                    link rel="apple-touch-icon" href="/app/icon-192.png";
                }
                link rel="stylesheet" href="/app/app.css";
                @if script == Script::Dashboard {
                    script src="/app/app.js" defer {}
                }
            }
            body { (content) }
        }
    }
}
