//! What the store answers, said to the team in German: a record that is not there (or is
//! another company's), and why an operation conflicts with what is stored — each said once,
//! whichever route meets it.

use lead_domain::{LeadType, TicketStatus};
use lead_store::{Clash, Entity, Event, ImportSkip, LeadRecord, Problem, MAX_FURTHER_EMAILS};

use crate::import::ListError;

/// The sentence for a record of `what` that is not there.
pub fn missing(what: Entity) -> &'static str {
    match what {
        Entity::Company => "Diese Firma gibt es nicht.",
        Entity::Key => "Diesen Schlüssel gibt es nicht.",
        Entity::Employee => "Diesen Mitarbeiter gibt es nicht.",
        Entity::Token => "Diesen Zugang gibt es nicht.",
        Entity::Customer => "Diesen Kunden gibt es nicht.",
        Entity::Order => "Diese Bestellung gibt es nicht.",
        Entity::Ticket => "Dieses Ticket gibt es nicht.",
        Entity::Notification => "Diese Benachrichtigung gibt es nicht.",
        Entity::Webhook => "Diesen Webhook gibt es nicht.",
        Entity::Delivery => "Diese Zustellung gibt es nicht.",
        Entity::Device => "Dieses Gerät gibt es nicht.",
        Entity::Attachment => "Diesen Anhang gibt es nicht.",
        Entity::Record => "Der Datensatz wurde nicht gefunden.",
    }
}

/// A file's size as the team reads it: `512 Bytes`, `13 KiB`, `2,5 MiB`, `10 MiB`.
pub fn file_size(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    match bytes {
        0..1024 => format!("{bytes} Bytes"),
        1024..MIB => format!("{} KiB", bytes.div_ceil(1024)),
        _ => {
            let tenths = (bytes * 10).div_ceil(MIB);
            match tenths % 10 {
                0 => format!("{} MiB", tenths / 10),
                rest => format!("{},{rest} MiB", tenths / 10),
            }
        }
    }
}

/// What the team reads of a file's virus scan (see [`lead_store::Scan`]).
pub fn scan(scan: lead_store::Scan) -> &'static str {
    match scan {
        lead_store::Scan::Clean => "geprüft",
        lead_store::Scan::Pending => "nicht geprüft",
        lead_store::Scan::Infected => "Schadsoftware gefunden",
        lead_store::Scan::Off => "ungeprüft (kein Virenscanner)",
    }
}

/// Who wrote a note, as the team reads it: the employee, or „Automatisch“ for the server's own
/// (a file it did not take as the lead arrived).
pub fn author(author: Option<&lead_store::EmployeeRef>) -> &str {
    author.map_or("Automatisch", |author| author.name.as_str())
}

/// The German name of a field of a customer file, as its history names it (`phone` →
/// „Telefon“); a field this does not know keeps its name.
pub fn customer_field(field: &str) -> &str {
    match field {
        "name" => "Name",
        "email" => "E-Mail",
        "emails" => "Weitere E-Mail-Adressen",
        "phone" => "Telefon",
        "company" => "Firma",
        "street" => "Straße",
        "zip" => "PLZ",
        "city" => "Ort",
        "country" => "Land",
        "merged" => "Zusammengeführt mit",
        other => other,
    }
}

/// The sentence for why an operation conflicts with what is stored.
pub fn clash(why: Clash) -> String {
    match why {
        Clash::Decided(_) => "Über diese Bestellung wurde bereits entschieden.".into(),
        Clash::Already(TicketStatus::Open) => "Das Ticket ist bereits offen.".into(),
        Clash::Already(TicketStatus::Pending) => "Das Ticket wartet bereits auf den Kunden.".into(),
        Clash::Already(TicketStatus::Closed) => "Das Ticket ist bereits geschlossen.".into(),
        Clash::Filed(LeadType::Ticket) => "Das Ticket liegt bereits in einer Kundenakte.".into(),
        Clash::Filed(LeadType::Order) => "Die Bestellung liegt bereits in einer Kundenakte.".into(),
        Clash::Taken(Entity::Customer) => "Ein Kunde mit dieser E-Mail-Adresse existiert bereits.".into(),
        Clash::Taken(Entity::Company) => "Eine Firma mit diesem Namen gibt es bereits.".into(),
        Clash::Taken(_) => "Das ist bereits eingetragen.".into(),
        Clash::Ambiguous => "Die Angabe passt auf mehrere Einträge; geben Sie die Nummer an.".into(),
        Clash::SessionEnded => "Diese Sitzung wurde inzwischen beendet; das Passwort wurde nicht geändert.".into(),
        Clash::NotRetryable => "Nur eine fehlgeschlagene Zustellung wird erneut versucht.".into(),
        Clash::PushOff => "Push-Benachrichtigungen sind auf diesem Server nicht eingerichtet.".into(),
        Clash::NoMailbox => "Für Ihre Firma ist kein E-Mail-Postfach eingerichtet; ein Administrator richtet es unter „E-Mail-Postfach“ ein.".into(),
        Clash::NoSmtp => "Für das E-Mail-Postfach Ihrer Firma ist kein Postausgang (SMTP) eingerichtet.".into(),
        Clash::NoAddress => "Diese Anfrage hat keine Absenderadresse mehr (anonymisiert); eine Antwort ist nicht möglich.".into(),
        Clash::DevicesFull => format!(
            "Es sind bereits {} Geräte für Sie eingetragen; entfernen Sie zuerst eines.",
            lead_store::MAX_DEVICES
        ),
        Clash::Target => "Das Ziel ist nicht so, wie es sein muss.".into(),
    }
}

/// What an event of the outbox says of its lead: a title and what happened — for a new (or
/// released) lead the published notification, its headline the title; for a decision, a
/// close or a reopen one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// The headline (a push message's title).
    pub title: String,
    /// What happened, if more than the title says.
    pub body: String,
}

impl Said {
    /// Title and body in one line (a chat message).
    pub fn whole(&self) -> String {
        match self.body.is_empty() {
            true => self.title.clone(),
            false => format!("{} {}", self.title, self.body),
        }
    }
}

/// Where a delivery (a webhook request, an e-mail) stands.
pub fn delivery(status: lead_store::DeliveryStatus) -> &'static str {
    match status {
        lead_store::DeliveryStatus::Pending => "ausstehend",
        lead_store::DeliveryStatus::Delivered => "zugestellt",
        lead_store::DeliveryStatus::Failed => "fehlgeschlagen",
    }
}

/// What `event` says of `lead` (see [`Said`]).
pub fn event(event: Event, lead: &LeadRecord) -> Said {
    let line = |text: String| Said {
        title: text,
        body: String::new(),
    };
    let notification = |text: lead_domain::NotificationText| Said {
        title: text.headline.to_owned(),
        body: text.sentence,
    };
    match (event, lead) {
        (Event::OrderAccepted, LeadRecord::Order(order)) => line(format!(
            "Bestellung {} über {} wurde angenommen.",
            order.id, order.total
        )),
        (Event::OrderRejected, LeadRecord::Order(order)) => {
            line(format!("Bestellung {} über {} wurde abgelehnt.", order.id, order.total))
        }
        (Event::TicketClosed, LeadRecord::Ticket(ticket)) => {
            line(format!("Ticket „{}“ wurde geschlossen.", ticket.title))
        }
        (Event::TicketReopened, LeadRecord::Ticket(ticket)) => {
            line(format!("Ticket „{}“ wurde wieder geöffnet.", ticket.title))
        }
        (Event::TicketPending, LeadRecord::Ticket(ticket)) => line(format!(
            "Ticket „{}“ wurde beantwortet und wartet auf den Kunden.",
            ticket.title
        )),
        (Event::OrderOwnerChanged | Event::TicketOwnerChanged, lead) => line(owned(lead)),
        (Event::Answered, LeadRecord::Order(order)) => {
            line(lead_domain::answer_notification(&order.email, &order.title))
        }
        (Event::Answered, LeadRecord::Ticket(ticket)) => {
            line(lead_domain::answer_notification(&ticket.email, &ticket.title))
        }
        (_, LeadRecord::Order(order)) => notification(lead_domain::order_notification(order.total)),
        (_, LeadRecord::Ticket(ticket)) => notification(lead_domain::ticket_notification(&ticket.title, &ticket.email)),
    }
}

/// Who owns a lead now, for the whole team: `Die Bestellung „Tisch“ ist jetzt bei Eva Roth.`
fn owned(lead: &LeadRecord) -> String {
    let (what, title, owner) = match lead {
        LeadRecord::Order(order) => ("Die Bestellung", &order.title, &order.owner),
        LeadRecord::Ticket(ticket) => ("Das Ticket", &ticket.title, &ticket.owner),
    };
    match owner {
        Some(owner) => format!("{what} „{title}“ ist jetzt bei {}.", owner.name),
        None => format!("{what} „{title}“ hat keinen Zuständigen mehr."),
    }
}

/// What the new owner of a lead is told, when a colleague gave it to them: „Ihnen
/// zugewiesen“, and `Eva Roth hat Ihnen die Bestellung „Tisch“ zugewiesen.`
pub fn assigned(lead: &LeadRecord) -> Said {
    let (lead_type, title, by) = match lead {
        LeadRecord::Order(order) => (LeadType::Order, &order.title, &order.owner_by),
        LeadRecord::Ticket(ticket) => (LeadType::Ticket, &ticket.title, &ticket.owner_by),
    };
    let by = by.as_ref().map_or("Jemand", |by| by.name.as_str());
    Said {
        title: "Ihnen zugewiesen".into(),
        body: lead_domain::assigned_notification(by, lead_type, title),
    }
}

/// Why a line of a customer list was not imported.
pub fn import_skip(why: &ImportSkip) -> String {
    match why {
        ImportSkip::NoEmail => "keine E-Mail-Adresse".into(),
        ImportSkip::Invalid { field, problem } => format!("{}: {}", customer_field(field), problem_of(problem)),
        ImportSkip::Repeated { email, line } => format!("die Adresse „{email}“ steht schon in Zeile {line}"),
        ImportSkip::Taken { email, customer } => format!("die Adresse „{email}“ gehört zu Kunde Nr. {customer}"),
        ImportSkip::TooManyAddresses => format!("mehr als {MAX_FURTHER_EMAILS} weitere E-Mail-Adressen"),
    }
}

/// What is wrong with a value.
fn problem_of(problem: &Problem) -> String {
    match problem {
        Problem::Blank => "leer".into(),
        Problem::TooLong(max) => format!("länger als {max} Zeichen"),
        Problem::NotAnEmail(value) => format!("„{value}“ ist keine gültige E-Mail-Adresse"),
        Problem::Other(text) => text.clone(),
    }
}

/// Why a file is no customer list.
pub fn list_error(error: &ListError) -> String {
    match error {
        ListError::Empty => "Die Datei ist leer.".into(),
        ListError::NoEmailColumn(headers) => format!(
            "Die Datei hat keine Spalte mit E-Mail-Adressen (überschrieben mit „E-Mail“ oder „email“). Ihre Spalten: {}.",
            headers.iter().map(|h| format!("„{h}“")).collect::<Vec<_>>().join(", ")
        ),
        ListError::Unreadable(line) => format!("Die Datei ist ab Zeile {line} kein CSV."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_change_is_told_to_the_team_and_to_the_new_owner() {
        let person = |id: i64, name: &str| lead_store::EmployeeRef {
            id: lead_store::EmployeeId::new(id),
            name: name.into(),
        };
        let mut ticket = lead_store::TicketRecord {
            id: lead_store::TicketId::new(9),
            company_id: lead_store::CompanyId::new(1),
            customer_id: None,
            email: "a@b.de".into(),
            title: "Frage".into(),
            message: "Hallo".into(),
            status: TicketStatus::Open,
            payload: "{}".into(),
            created_at: lead_domain::Timestamp::from_millis(0),
            status_changed_by: None,
            status_changed_at: None,
            held: None,
            owner: Some(person(3, "Jonas")),
            owner_by: Some(person(2, "Erika")),
            attachments: Vec::new(),
            consent: None,
        };
        let said =
            |ticket: &lead_store::TicketRecord| event(Event::TicketOwnerChanged, &LeadRecord::Ticket(ticket.clone()));
        assert_eq!(said(&ticket).whole(), "Das Ticket „Frage“ ist jetzt bei Jonas.");
        let told = assigned(&LeadRecord::Ticket(ticket.clone()));
        assert_eq!(told.title, "Ihnen zugewiesen");
        assert_eq!(told.body, "Erika hat Ihnen das Ticket „Frage“ zugewiesen.");
        ticket.owner = None;
        assert_eq!(said(&ticket).whole(), "Das Ticket „Frage“ hat keinen Zuständigen mehr.");
    }

    #[test]
    fn every_record_and_every_clash_is_one_german_sentence() {
        for &entity in Entity::ALL {
            let said = missing(entity);
            assert!(said.ends_with('.') && !said.ends_with(".."), "{said}");
        }
        for why in [
            Clash::Decided(lead_domain::OrderStatus::Accepted),
            Clash::Already(TicketStatus::Open),
            Clash::Already(TicketStatus::Closed),
            Clash::Filed(LeadType::Ticket),
            Clash::Filed(LeadType::Order),
            Clash::Taken(Entity::Customer),
            Clash::Taken(Entity::Key),
            Clash::Ambiguous,
            Clash::SessionEnded,
            Clash::NotRetryable,
            Clash::PushOff,
            Clash::DevicesFull,
            Clash::Target,
            Clash::Already(TicketStatus::Pending),
            Clash::NoMailbox,
            Clash::NoSmtp,
            Clash::NoAddress,
        ] {
            let said = clash(why);
            assert!(said.ends_with('.') && !said.ends_with(".."), "{said}");
        }
        assert_ne!(
            clash(Clash::PushOff),
            clash(Clash::DevicesFull),
            "push off is not a full list"
        );
    }
}
