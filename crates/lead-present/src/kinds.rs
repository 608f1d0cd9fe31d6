//! What each kind of lead shows of its own: the one place that states it per kind.

use lead_domain::{OrderStatus, TicketStatus};
use lead_store::{LeadKind, OrderRecord, TicketRecord};
use serde::Serialize;

use crate::csv::Dialect;
use crate::views::{OrderView, TicketView};

/// A kind of lead as it is shown: what differs between an order and a ticket, stated once.
pub trait Presented: LeadKind {
    /// The published JSON shape (team API, webhooks, the operator's `--json`).
    type View: Serialize + Send + 'static;

    /// Its dashboard list, where each lead has its page below: `/app/orders`.
    const LIST: &'static str;
    /// The dashboard's title of the list.
    const TITLE: &'static str;
    /// What the CSV export's file is called (before the day).
    const FILE: &'static str;
    /// The CSV columns of what only this kind holds, between the title and the message:
    /// (Excel, RFC 4180).
    const OWN_COLUMNS: &'static [(&'static str, &'static str)];
    /// The CSV columns of who changed the status last, and when: (Excel, RFC 4180).
    const CHANGED_COLUMNS: [(&'static str, &'static str); 2];

    /// The published view; the original request body only `with_payload`.
    fn view(self, with_payload: bool) -> Self::View;

    /// A status as the team reads it.
    fn label(status: Self::Status) -> &'static str;

    /// The CSV cells of [`Presented::OWN_COLUMNS`].
    fn own_cells(&self, dialect: Dialect) -> Vec<String>;
}

/// The dashboard page of the lead with `id` (a path; the public address goes in front).
pub fn link<K: Presented>(id: K::Id) -> String {
    format!("{}/{id}", K::LIST)
}

impl Presented for OrderRecord {
    type View = OrderView;

    const LIST: &'static str = "/app/orders";
    const TITLE: &'static str = "Web-Bestellungen";
    const FILE: &'static str = "bestellungen";
    const OWN_COLUMNS: &'static [(&'static str, &'static str)] = &[("Betrag (EUR)", "total")];
    const CHANGED_COLUMNS: [(&'static str, &'static str); 2] =
        [("Entschieden von", "decided_by"), ("Entschieden am", "decided_at")];

    fn view(self, with_payload: bool) -> OrderView {
        OrderView::new(self, with_payload)
    }

    fn label(status: OrderStatus) -> &'static str {
        match status {
            OrderStatus::New => "Neu",
            OrderStatus::Accepted => "Angenommen",
            OrderStatus::Rejected => "Abgelehnt",
        }
    }

    fn own_cells(&self, dialect: Dialect) -> Vec<String> {
        vec![match dialect {
            Dialect::Excel => self.total.to_decimal().replace('.', ","),
            Dialect::Rfc4180 => self.total.to_decimal(),
        }]
    }
}

impl Presented for TicketRecord {
    type View = TicketView;

    const LIST: &'static str = "/app/tickets";
    const TITLE: &'static str = "Tickets";
    const FILE: &'static str = "tickets";
    const OWN_COLUMNS: &'static [(&'static str, &'static str)] = &[];
    const CHANGED_COLUMNS: [(&'static str, &'static str); 2] = [
        ("Geändert von", "status_changed_by"),
        ("Geändert am", "status_changed_at"),
    ];

    fn view(self, with_payload: bool) -> TicketView {
        TicketView::new(self, with_payload)
    }

    fn label(status: TicketStatus) -> &'static str {
        match status {
            TicketStatus::Open => "Offen",
            TicketStatus::Pending => "Wartet auf Kunde",
            TicketStatus::Closed => "Geschlossen",
        }
    }

    fn own_cells(&self, _: Dialect) -> Vec<String> {
        Vec::new()
    }
}
