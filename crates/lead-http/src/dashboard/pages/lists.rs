//! The order inbox and the ticket list: filters, search, pages of 50.

use maud::{html, Markup};

use super::OnDashboard;

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
    /// Whose leads: `me`, `none`, or (empty) everyone's.
    pub owner: &'a str,
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
            ("owner", self.owner),
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

    /// This list (its status and search kept) of the leads of `owner`.
    fn with_owner(&self, owner: &str) -> String {
        ListView {
            owner,
            counts: Vec::new(),
            ..*self
        }
        .link("", self.status, None)
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
            nav class="filter" aria-label="Nach Zuständigen filtern" id="owner-tabs" {
                @for (value, label) in [("", "Alle Zuständigen"), ("me", "Meine"), ("none", "Ohne Zuständigen")] {
                    a href=(self.with_owner(value)) aria-current=[(self.owner == value).then_some("true")] { (label) }
                }
            }
            form method="get" action=(self.base) class="search" role="search" {
                @if let Some(status) = self.status { input type="hidden" name="status" value=(status); }
                @if !self.owner.is_empty() { input type="hidden" name="owner" value=(self.owner); }
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

/// A list of leads of kind `K` (the order inbox „Web-Bestellungen“, the tickets): 50 a
/// page, newest first.
pub(crate) fn leads<K: OnDashboard>(
    leads: &[K],
    view: &ListView,
    colleagues: &[lead_store::EmployeeRef],
    csrf: &str,
    zone: &lead_domain::TimeZone,
) -> Markup {
    let back = view.link("", view.status, view.before);
    let on = super::kinds::Listed {
        back: &back,
        csrf,
        zone,
        colleagues,
    };
    html! {
        h1 { (K::TITLE) }
        (view.filters())
        div data-live=(K::TAB) {
            @if leads.is_empty() {
                @if view.searching() || view.status.is_some() || !view.owner.is_empty() {
                    p class="empty" { (K::NONE_FOUND) }
                } @else {
                    (K::first_steps())
                }
            } @else {
                div class="scroll" {
                    table {
                        thead { tr { (K::columns()) } }
                        tbody {
                            @for lead in leads { (lead.row(&on)) }
                        }
                    }
                }
            }
            (view.pager())
        }
    }
}
