//! Leads and customers as CSV, for the accountant's spreadsheet or another program.
//!
//! Two dialects. `Excel` (the default) is what German Excel opens by double-click: `;` between
//! cells, a decimal comma, UTF-8 with a byte order mark, times in the team's zone, German
//! words. `Rfc4180` is for programs: `,`, a decimal point, no mark, UTC times (RFC 3339) and
//! the API's words. In the Excel dialect a cell that a spreadsheet would run as a formula (it
//! starts with `=`, `+`, `-`, `@`, a tab or a carriage return — after any invisible characters,
//! and read as NFKC, so that a full-width `＝` counts) gets a `'` in front (OWASP); the RFC 4180
//! dialect is for programs and writes every value as it is.

use lead_domain::{TimeZone, Timestamp, Word};

use lead_store::Customer;

use crate::Presented;

/// How the CSV is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// German Excel: `;`, decimal comma, BOM, local time.
    Excel,
    /// RFC 4180: `,`, decimal point, UTC.
    Rfc4180,
}

impl Dialect {
    /// `rfc4180`, or anything else (nothing): Excel.
    pub fn named(name: Option<&str>) -> Dialect {
        match name {
            Some("rfc4180") => Dialect::Rfc4180,
            _ => Dialect::Excel,
        }
    }
}

/// The first lines of an export of leads of kind `K`: Excel's byte order mark, and the header.
pub fn head<K: Presented>(dialect: Dialect) -> Vec<u8> {
    let name = |(excel, rfc4180): &(&'static str, &'static str)| match dialect {
        Dialect::Excel => (*excel).to_owned(),
        Dialect::Rfc4180 => (*rfc4180).to_owned(),
    };
    let columns = [
        ("Nr.", "id"),
        ("Eingang", "created_at"),
        ("Status", "status"),
        ("E-Mail", "email"),
        ("Titel", "title"),
    ]
    .iter()
    .chain(K::OWN_COLUMNS)
    .chain(&[
        ("Nachricht", "message"),
        ("Kunde", "customer_id"),
        ("Zuständig", "owner"),
    ])
    .chain(&K::CHANGED_COLUMNS)
    .chain(&[
        ("Einwilligung", "consent"),
        ("Einwilligungstext", "consent_text"),
        ("Weitere Angaben", "extra"),
    ])
    .map(name)
    .collect();
    marked(dialect, encode(dialect, std::iter::once(columns)))
}

/// Excel's byte order mark before `bytes`.
fn marked(dialect: Dialect, bytes: Vec<u8>) -> Vec<u8> {
    match dialect {
        Dialect::Excel => ["\u{feff}".as_bytes(), &bytes].concat(),
        Dialect::Rfc4180 => bytes,
    }
}

/// A customer export's columns: German for Excel — the names an import reads back — and the
/// team API's for programs.
const CUSTOMER_COLUMNS: [(&str, &str); 11] = [
    ("Nr.", "id"),
    ("Name", "name"),
    ("E-Mail", "email"),
    ("Weitere E-Mail-Adressen", "emails"),
    ("Telefon", "phone"),
    ("Firma", "company"),
    ("Straße", "street"),
    ("PLZ", "zip"),
    ("Ort", "city"),
    ("Land", "country"),
    ("Kunde seit", "created_at"),
];

/// The first lines of a customer export: Excel's byte order mark, and the header.
pub fn customer_head(dialect: Dialect) -> Vec<u8> {
    let columns = CUSTOMER_COLUMNS
        .iter()
        .map(|(excel, rfc4180)| match dialect {
            Dialect::Excel => (*excel).to_owned(),
            Dialect::Rfc4180 => (*rfc4180).to_owned(),
        })
        .collect();
    marked(dialect, encode(dialect, std::iter::once(columns)))
}

/// Customers as CSV lines, under [`customer_head`]; further addresses joined by `, `.
pub fn customer_rows(customers: &[Customer], dialect: Dialect, zone: &TimeZone) -> Vec<u8> {
    encode(
        dialect,
        customers.iter().map(|c| {
            let mut cells = vec![c.id.to_string()];
            cells.extend(
                [
                    c.name.as_str(),
                    &c.email,
                    &c.emails.join(", "),
                    &c.phone,
                    &c.organization,
                    &c.street,
                    &c.zip,
                    &c.city,
                    &c.country,
                ]
                .into_iter()
                .map(|text| safe(text, dialect)),
            );
            cells.push(time(c.created_at, dialect, zone));
            cells
        }),
    )
}

/// Leads of kind `K` as CSV lines, under [`head`].
pub fn rows<K: Presented>(leads: &[K], dialect: Dialect, zone: &TimeZone) -> Vec<u8> {
    encode(
        dialect,
        leads.iter().map(|lead| {
            let status = match dialect {
                Dialect::Excel => K::label(lead.status()),
                Dialect::Rfc4180 => lead.status().word(),
            };
            let (changed_by, changed_at) = lead.changed();
            let mut cells = vec![
                lead.id().to_string(),
                time(lead.created_at(), dialect, zone),
                status.to_owned(),
                safe(lead.email(), dialect),
                safe(lead.title(), dialect),
            ];
            cells.extend(lead.own_cells(dialect));
            cells.extend([
                safe(lead.message().unwrap_or_default(), dialect),
                lead.customer_id().map(|c| c.to_string()).unwrap_or_default(),
                safe(lead.owner().map_or("", |owner| owner.name.as_str()), dialect),
                safe(changed_by.map_or("", |e| e.name.as_str()), dialect),
                changed_at.map(|at| time(at, dialect, zone)).unwrap_or_default(),
                match (lead.consent().map(|consent| consent.given), dialect) {
                    (None, _) => String::new(),
                    (Some(true), Dialect::Excel) => "ja".to_owned(),
                    (Some(false), Dialect::Excel) => "nein".to_owned(),
                    (Some(given), Dialect::Rfc4180) => given.to_string(),
                },
                safe(
                    lead.consent()
                        .and_then(|consent| consent.text.as_deref())
                        .unwrap_or_default(),
                    dialect,
                ),
                safe(&extra(lead.payload()), dialect),
            ]);
            cells
        }),
    )
}

fn time(at: Timestamp, dialect: Dialect, zone: &TimeZone) -> String {
    match dialect {
        // `01.12.2026 07:03`: what German Excel reads as a date and time.
        Dialect::Excel => at.to_german_in(zone).replace(", ", " "),
        Dialect::Rfc4180 => at.to_string(),
    }
}

/// What the website sent beyond the known fields, as JSON in one cell.
fn extra(payload: &str) -> String {
    let fields = lead_domain::extra_fields(payload);
    if fields.is_empty() {
        String::new()
    } else {
        serde_json::Value::Object(fields).to_string()
    }
}

/// A text cell a spreadsheet will not run as a formula (see the module's description).
fn safe(text: &str, dialect: Dialect) -> String {
    if dialect == Dialect::Rfc4180 {
        return text.to_owned();
    }
    match is_formula(text) {
        true => format!("'{text}"),
        false => text.to_owned(),
    }
}

/// Whether a spreadsheet would run `text` as a formula (see the module's description).
pub(crate) fn is_formula(text: &str) -> bool {
    let first = text
        .chars()
        .find(|&c| !(invisible(c) || (c.is_whitespace() && c != '\t' && c != '\r')));
    first.is_some_and(|c| {
        let mut buffer = [0u8; 4];
        let normalized = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc().normalize(c.encode_utf8(&mut buffer));
        matches!(normalized.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'))
    })
}

/// A character that shows nothing: a byte order mark, zero-width spaces and joiners, a soft
/// hyphen, direction marks.
fn invisible(c: char) -> bool {
    matches!(c, '\u{feff}' | '\u{00ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{202a}'..='\u{202e}')
}

fn encode(dialect: Dialect, rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let delimiter = match dialect {
        Dialect::Excel => b';',
        Dialect::Rfc4180 => b',',
    };
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(&row);
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_other_text_kept() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            // Full-width and small forms, and what hides in front of a formula.
            "＝1+1",
            "＋1",
            "＠SUM(A1)",
            "﹦1",
            "\u{feff}=1",
            "\u{200b}=1",
            " =1",
        ] {
            assert_eq!(safe(formula, Dialect::Excel), format!("'{formula}"), "{formula:?}");
            assert_eq!(safe(formula, Dialect::Rfc4180), formula, "programs get it as it is");
        }
        for text in ["Max", "", "1-2", "a=b", "Köln", "\u{200b}Max", "ﬁ=x"] {
            assert_eq!(safe(text, Dialect::Excel), text);
        }
    }

    #[test]
    fn times_are_local_for_excel_across_the_change_to_summer_time_and_utc_otherwise() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        // 29 March 2026, 01:00 UTC: the clocks in Berlin go from 02:00 to 03:00.
        let before = Timestamp::from_millis(1_774_746_000_000 - 30 * 60_000);
        let after = Timestamp::from_millis(1_774_746_000_000 + 30 * 60_000);
        assert_eq!(time(before, Dialect::Excel, &berlin), "29.03.2026 01:30");
        assert_eq!(time(after, Dialect::Excel, &berlin), "29.03.2026 03:30");
        assert_eq!(time(after, Dialect::Rfc4180, &berlin), "2026-03-29T01:30:00.000Z");
    }

    #[test]
    fn each_kind_has_its_columns_between_those_every_lead_has() {
        let line = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
        assert_eq!(
            line(head::<lead_store::OrderRecord>(Dialect::Excel)),
            "\u{feff}Nr.;Eingang;Status;E-Mail;Titel;Betrag (EUR);Nachricht;Kunde;Zuständig;Entschieden von;Entschieden am;Einwilligung;Einwilligungstext;Weitere Angaben\r\n"
        );
        assert_eq!(
            line(head::<lead_store::OrderRecord>(Dialect::Rfc4180)),
            "id,created_at,status,email,title,total,message,customer_id,owner,decided_by,decided_at,consent,consent_text,extra\r\n"
        );
        assert_eq!(
            line(head::<lead_store::TicketRecord>(Dialect::Excel)),
            "\u{feff}Nr.;Eingang;Status;E-Mail;Titel;Nachricht;Kunde;Zuständig;Geändert von;Geändert am;Einwilligung;Einwilligungstext;Weitere Angaben\r\n"
        );
        assert_eq!(
            line(head::<lead_store::TicketRecord>(Dialect::Rfc4180)),
            "id,created_at,status,email,title,message,customer_id,owner,status_changed_by,status_changed_at,consent,consent_text,extra\r\n"
        );
    }

    #[test]
    fn the_dialects_differ_in_separator_and_mark() {
        let excel = head::<lead_store::OrderRecord>(Dialect::Excel);
        assert!(excel.starts_with("\u{feff}Nr.;Eingang;".as_bytes()));
        let plain = head::<lead_store::TicketRecord>(Dialect::Rfc4180);
        assert!(plain.starts_with(b"id,created_at,status,"));
        assert!(plain.ends_with(b"extra\r\n"));
        // A cell with the separator, a quote or a line break is quoted.
        let cells = encode(
            Dialect::Excel,
            std::iter::once(vec!["a;b".to_owned(), "say \"hi\"".to_owned(), "x\ny".to_owned()]),
        );
        assert_eq!(
            String::from_utf8(cells).unwrap(),
            "\"a;b\";\"say \"\"hi\"\"\";\"x\ny\"\r\n"
        );
    }
}
