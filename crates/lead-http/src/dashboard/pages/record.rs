//! One order or ticket: everything the website sent, readable, and its history.

use lead_domain::{TimeZone, Timestamp};
use lead_store::Note;
use maud::{html, Markup};

use super::{when, OnDashboard};

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

/// The team's notes a record's page shows: a page of them, oldest first, and where the
/// older ones start.
pub(crate) struct NotesShown {
    /// The notes, oldest first.
    pub notes: Vec<Note>,
    /// Older notes are there: the page before this one starts below this note.
    pub older: Option<lead_store::NoteId>,
    /// Whether this is a page of older notes (not the newest).
    pub paged: bool,
}

impl NotesShown {
    /// Links to the older notes and back to the newest, on the record at `base`.
    pub(crate) fn pager(&self, base: &str) -> Markup {
        html! {
            @if self.older.is_some() || self.paged {
                p class="pager" id="notes-pager" {
                    @if self.paged { a href={ (base) "#timeline" } { "← Neueste Notizen" } " " }
                    @if let Some(id) = self.older { a href={ (base) "?notes_before=" (id) "#timeline" } { "Ältere Notizen →" } }
                }
            }
        }
    }
}

/// The history of a record: what happened, oldest first — `events`, its e-mails and the
/// team's notes (a page of them, with links to the others).
fn timeline(
    base: &str,
    events: Vec<(Timestamp, String)>,
    mails: &[lead_store::Message],
    notes: &NotesShown,
    zone: &TimeZone,
) -> Markup {
    let mut entries: Vec<(Timestamp, Markup)> = events.into_iter().map(|(at, text)| (at, html! { (text) })).collect();
    entries.extend(
        mails
            .iter()
            .map(|mail| (mail.created_at, super::conversation::entry(mail, zone))),
    );
    for note in &notes.notes {
        entries.push((
            note.created_at,
            html! { strong { (lead_present::german::author(note.author.as_ref())) } ": " span class="note-text" { (note.text) } },
        ));
    }
    entries.sort_by_key(|(at, _)| *at);
    html! {
        h2 { "Verlauf" }
        ol class="timeline" id="timeline" {
            @for (at, entry) in entries {
                li { time { (when(at, zone)) } " " (entry) }
            }
        }
        (notes.pager(base))
    }
}

/// The form for a new note on the record at `base`.
pub(super) fn note_form(base: &str, csrf: &str) -> Markup {
    html! {
        form method="post" action={ (base) "/notes" } class="note" {
            input type="hidden" name="csrf" value=(csrf);
            label for="note" { "Interne Notiz" }
            textarea id="note" name="text" rows="3" maxlength="10000" required {}
            button type="submit" { "Notiz speichern" }
        }
    }
}

/// Who owns a lead, who else could, and the changes so far.
pub(crate) struct Owning {
    /// The viewer.
    pub me: lead_store::EmployeeId,
    /// The company's active employees, the viewer among them.
    pub colleagues: Vec<lead_store::EmployeeRef>,
    /// The changes of the lead's owner, newest first.
    pub history: Vec<lead_store::OwnerChange>,
}

/// Who owns the lead at `base`: „Übernehmen“ for the viewer, and a choice of colleague (or
/// nobody).
fn owner_section(owner: Option<&lead_store::EmployeeRef>, owning: &Owning, base: &str, csrf: &str) -> Markup {
    let owner_id = owner.map(|owner| owner.id);
    html! {
        section class="owner" id="owner" aria-label="Zuständig" {
            p { "Zuständig: " strong { (owner.map_or("niemand", |owner| owner.name.as_str())) } }
            @if owner_id != Some(owning.me) {
                form method="post" action={ (base) "/owner" } class="inline" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="employee_id" value="me";
                    button type="submit" class="take" { "Übernehmen" }
                }
                " "
            }
            form method="post" action={ (base) "/owner" } class="inline" {
                input type="hidden" name="csrf" value=(csrf);
                label for="owner-choice" { "Zuweisen an" }
                " "
                select id="owner-choice" name="employee_id" {
                    option value="" selected[owner_id.is_none()] { "Niemand" }
                    @for colleague in &owning.colleagues {
                        option value=(colleague.id) selected[owner_id == Some(colleague.id)] { (colleague.name) }
                    }
                }
                " "
                button type="submit" { "Zuweisen" }
            }
        }
    }
}

/// The files a lead came with: name (a download where it may be served), size, type, what
/// the virus scanner said, and a preview of a raster image.
fn attachments(files: &[lead_store::Attachment]) -> Markup {
    if files.is_empty() {
        return html! {};
    }
    html! {
        h2 { "Anhänge" }
        ul class="attachments" {
            @for file in files {
                @let href = format!("/app/anhaenge/{}", file.id);
                li {
                    @if file.scan.servable() {
                        a href=(href) download { (file.filename) }
                    } @else {
                        span { (file.filename) }
                    }
                    " · " (lead_present::german::file_size(file.size as u64))
                    " · " (file.content_type)
                    " · " span class=(format!("scan scan-{}", file.scan.as_str())) { (lead_present::german::scan(file.scan)) }
                    @if file.scan.servable() && lead_domain::previewable(&file.content_type) {
                        br;
                        img class="preview" src=(format!("{href}?vorschau")) alt=(file.filename) loading="lazy";
                    }
                }
            }
        }
    }
}

/// A lead's consent on record: given or not, when, to which sentence, on which page, from
/// which network.
fn consent(consent: Option<&lead_store::Consent>, zone: &TimeZone) -> Markup {
    let Some(consent) = consent else {
        return html! {};
    };
    html! {
        h2 { "Einwilligung" }
        p class="consent" {
            strong { @if consent.given { "Erteilt" } @else { "Nicht erteilt" } }
            " am " (when(consent.at, zone))
            @if let Some(text) = &consent.text { br; "„" (text) "“" }
            @if let Some(page) = &consent.page { br; "Seite: " (page) }
            @if let Some(client) = &consent.client { br; "Netz des Besuchers: " (client) }
        }
    }
}

/// What a lead's history shows besides its owners: the team's notes, its e-mails, and when it
/// was released to the team (if it was held).
pub(crate) struct History<'a> {
    pub notes: &'a NotesShown,
    pub conversation: &'a super::Conversation,
    pub released: Option<(Timestamp, String)>,
}

/// One lead of kind `K`: everything the website sent, who owns it, what the team can do with
/// it, its history with its e-mails, a reply and a note.
pub(crate) fn lead<K: OnDashboard>(
    lead: &K,
    extra: &K::Extra,
    history: History,
    owning: &Owning,
    csrf: &str,
    zone: &TimeZone,
) -> Markup {
    let History {
        notes,
        conversation,
        released,
    } = history;
    let base = lead_present::link::<K>(lead.id());
    // A ticket made from an e-mail: its text is the lead's message, its files the lead's —
    // shown there, not again as the first e-mail of its history.
    let origin = lead_present::views::origin(lead, &conversation.messages);
    let mails = &conversation.messages[usize::from(origin.is_some())..];
    let files: Vec<lead_store::Attachment> = lead
        .attachments()
        .iter()
        .chain(origin.into_iter().flat_map(|mail| &mail.attachments))
        .cloned()
        .collect();
    let arrived = match origin {
        Some(_) => "Eingegangen per E-Mail",
        None => "Eingegangen",
    };
    let mut events = vec![(lead.created_at(), arrived.to_owned())];
    let named = |who: &Option<lead_store::EmployeeRef>| who.as_ref().map_or("niemand".to_owned(), |e| e.name.clone());
    for change in &owning.history {
        let by = change
            .by
            .as_ref()
            .map_or_else(String::new, |e| format!(" – von {}", e.name));
        events.push((
            change.at,
            format!(
                "Zuständig: {} (vorher {}){by}",
                named(&change.after),
                named(&change.before)
            ),
        ));
    }
    events.extend(released.map(|(at, by)| (at, format!("Für das Team freigegeben (war zurückgehalten) – {by}"))));
    if let (changed_by, Some(at)) = lead.changed() {
        let by = changed_by.map_or_else(String::new, |e| format!(" von {}", e.name));
        events.push((at, format!("{}{by}", K::label(lead.status()))));
    }
    html! {
        p { a href=(K::LIST) { (K::BACK) } }
        h1 { (lead.title()) }
        (lead.head(zone))
        (owner_section(lead.owner(), owning, &base, csrf))
        (self::extra(lead.payload()))
        (attachments(&files))
        (consent(lead.consent(), zone))
        (original(lead.payload()))
        (lead.actions(extra, &base, csrf))
        (timeline(&base, events, mails, notes, zone))
        (super::conversation::reply_form(&base, csrf, lead.email(), conversation))
        (note_form(&base, csrf))
    }
}
