//! A customer list read from CSV, as spreadsheets and shops write it: German Excel (`;`, a
//! byte order mark or none, UTF-8 or Windows-1252), RFC 4180 (`,`), tabs, or UTF-16 with its
//! mark. The separator is the one the header line uses most. Columns are found by their usual
//! German or English names, in any case and spelling (`E-Mail`, `email`, `Straße`,
//! `strasse`, `first_name`) — the names the customer export writes among them, so that an
//! export reads back. A column no name fits is ignored, and said.

use lead_store::{CustomerChange, ImportLine};

/// A list read: its lines, and what was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerList {
    /// The lines that are not empty, in order.
    pub lines: Vec<ImportLine>,
    /// The headers of the columns ignored.
    pub ignored: Vec<String>,
    /// How the file was written: `UTF-8`, `Windows-1252` or `UTF-16`.
    pub encoding: &'static str,
    /// The separator between cells.
    pub separator: char,
}

/// Why a file is no customer list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListError {
    /// It has no line at all.
    Empty,
    /// Its header names no column of addresses (the headers it has).
    NoEmailColumn(Vec<String>),
    /// It cannot be read as CSV from this line on.
    Unreadable(u64),
}

impl std::fmt::Display for ListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListError::Empty => f.write_str("the file is empty"),
            ListError::NoEmailColumn(headers) => write!(
                f,
                "no column of email addresses (one headed E-Mail or email) among {headers:?}"
            ),
            ListError::Unreadable(line) => write!(f, "the file is not CSV from line {line} on"),
        }
    }
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    First,
    Last,
    Organization,
    Email,
    Emails,
    Phone,
    Street,
    HouseNumber,
    Zip,
    City,
    Country,
    /// Known, and not read back: the export's number and date.
    Skipped,
}

/// The column a header names, compared as [`key`] makes it.
fn column(header: &str) -> Option<Column> {
    Some(match key(header).as_str() {
        "name" | "kunde" | "kundenname" | "vollername" | "fullname" | "kontakt" | "ansprechpartner" | "contact"
        | "contactname" => Column::Name,
        "vorname" | "firstname" | "givenname" => Column::First,
        "nachname" | "lastname" | "familienname" | "surname" | "zuname" => Column::Last,
        "firma" | "company" | "unternehmen" | "organisation" | "organization" | "firmenname" | "companyname" => {
            Column::Organization
        }
        "email" | "emailadresse" | "mail" | "emailaddress" | "mailadresse" => Column::Email,
        "weitereemailadressen" | "emails" | "weitereemails" | "furtheremails" | "otheremails" => Column::Emails,
        "telefon" | "phone" | "tel" | "telefonnummer" | "phonenumber" | "mobil" | "handy" | "mobile"
        | "mobiltelefon" | "telephone" => Column::Phone,
        "strasse"
        | "street"
        | "adresse"
        | "address"
        | "anschrift"
        | "strasseundhausnummer"
        | "strassehausnummer"
        | "streetaddress"
        | "address1" => Column::Street,
        "hausnummer" | "housenumber" => Column::HouseNumber,
        "plz" | "zip" | "postleitzahl" | "postalcode" | "postcode" | "zipcode" => Column::Zip,
        "ort" | "stadt" | "city" | "wohnort" | "town" => Column::City,
        "land" | "country" => Column::Country,
        "nr" | "id" | "kundeseit" | "createdat" => Column::Skipped,
        _ => return None,
    })
}

/// A header as compared: lower case, `ß` as `ss`, letters and digits only (`E-Mail` and
/// `e_mail` are `email`).
fn key(header: &str) -> String {
    header
        .to_lowercase()
        .replace('ß', "ss")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Reads a customer list (see the module's description).
pub fn read_customers(bytes: &[u8]) -> Result<CustomerList, ListError> {
    let (text, encoding) = decode(bytes);
    let separator = separator(text.lines().next().unwrap_or_default());
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator as u8)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let headers: Vec<String> = match records.next() {
        None => return Err(ListError::Empty),
        Some(Err(_)) => return Err(ListError::Unreadable(1)),
        Some(Ok(record)) => record.iter().map(|h| h.trim().to_owned()).collect(),
    };
    let mut columns: Vec<Option<Column>> = Vec::with_capacity(headers.len());
    let mut ignored = Vec::new();
    for header in &headers {
        // The first column of a kind is read; another of the same kind is ignored.
        let found = column(header).filter(|found| *found == Column::Skipped || !columns.contains(&Some(*found)));
        if found.is_none() && !header.is_empty() {
            ignored.push(header.clone());
        }
        columns.push(found);
    }
    if !columns.contains(&Some(Column::Email)) {
        return Err(ListError::NoEmailColumn(headers));
    }
    // Line numbers: the line breaks (`\r\n`, `\r` or `\n`) before where each record starts.
    // The reader may say a record starts at a break it has passed (the `\n` of a `\r\n`), and
    // a record never starts with one: breaks right at the start are skipped first.
    let bytes = text.as_bytes();
    let mut counted = (0usize, 1u64);
    let mut line_at = |byte: u64| {
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while matches!(bytes.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        let (mut at, mut line) = counted;
        while at < byte {
            match bytes[at] {
                b'\r' if bytes.get(at + 1) == Some(&b'\n') => {
                    line += 1;
                    at += 1;
                }
                b'\r' | b'\n' => line += 1,
                _ => {}
            }
            at += 1;
        }
        if byte >= counted.0 {
            counted = (byte, line);
        }
        counted.1
    };
    let mut lines = Vec::new();
    for record in records {
        let record =
            record.map_err(|error| ListError::Unreadable(error.position().map_or(0, |p| line_at(p.byte()))))?;
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        lines.push(line_of(line, &columns, &record));
    }
    Ok(CustomerList {
        lines,
        ignored,
        encoding,
        separator,
    })
}

/// One line's fields, by its columns.
fn line_of(line: u64, columns: &[Option<Column>], record: &csv::StringRecord) -> ImportLine {
    let mut fields = CustomerChange::default();
    let (mut first, mut last, mut number) = (String::new(), String::new(), String::new());
    for (column, cell) in columns.iter().zip(record.iter()) {
        let cell = unneutralised(cell.trim());
        let Some(column) = column.filter(|_| !cell.is_empty()) else {
            continue;
        };
        let text = Some(cell.to_owned());
        match column {
            Column::Name => fields.name = text,
            Column::First => first = cell.to_owned(),
            Column::Last => last = cell.to_owned(),
            Column::Organization => fields.organization = text,
            Column::Email => fields.email = text,
            Column::Emails => {
                fields.emails = Some(
                    cell.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                        .filter(|email| !email.is_empty())
                        .map(str::to_owned)
                        .collect(),
                );
            }
            Column::Phone => fields.phone = text,
            Column::Street => fields.street = text,
            Column::HouseNumber => number = cell.to_owned(),
            Column::Zip => fields.zip = text,
            Column::City => fields.city = text,
            Column::Country => fields.country = text,
            Column::Skipped => {}
        }
    }
    if fields.name.is_none() {
        let joined = format!("{first} {last}").trim().to_owned();
        fields.name = Some(joined)
            .filter(|name| !name.is_empty())
            .or_else(|| fields.organization.clone());
    }
    if !number.is_empty() {
        fields.street = Some(match fields.street.take() {
            Some(street) => format!("{street} {number}"),
            None => number,
        });
    }
    ImportLine { line, fields }
}

/// A cell without the `'` the export puts before what a spreadsheet would run as a formula
/// (`'+49 30 1` is `+49 30 1`), so that an export reads back as it was.
fn unneutralised(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if crate::csv::is_formula(rest) => rest,
        _ => cell,
    }
}

/// The file as text, and how it was written: UTF-16 or UTF-8 by their byte order mark; else
/// UTF-8 if it is, else Windows-1252 (what German Excel writes as „CSV (Trennzeichen-getrennt)“).
fn decode(bytes: &[u8]) -> (String, &'static str) {
    let utf16 = |bytes: &[u8], unit: fn([u8; 2]) -> u16| {
        let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
        (
            char::decode_utf16(units).map(|c| c.unwrap_or('\u{fffd}')).collect(),
            "UTF-16",
        )
    };
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        return utf16(rest, u16::from_be_bytes);
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), "UTF-8"),
        Err(_) => (bytes.iter().map(|&b| windows_1252(b)).collect(), "Windows-1252"),
    }
}

/// A byte of Windows-1252 as the character it stands for (the five bytes it leaves undefined
/// as the control characters of the same number, as browsers read them).
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}',
        '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9f => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// The separator the header line uses most, outside quotes: `;`, `,` or a tab (`,` when it
/// uses none: a list of one column).
fn separator(header: &str) -> char {
    let mut counts = [(';', 0usize), (',', 0), ('\t', 0)];
    let mut quoted = false;
    for c in header.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(count) = counts.iter_mut().find(|(s, _)| *s == c) {
                count.1 += 1;
            }
        }
    }
    let (most, count) = counts
        .iter()
        .fold((',', 0), |best, &(s, n)| if n > best.1 { (s, n) } else { best });
    if count == 0 {
        ','
    } else {
        most
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> CustomerList {
        read_customers(text).unwrap()
    }

    #[test]
    fn german_excel_in_windows_1252_with_first_and_last_names() {
        // „Müller“, „Straße“ and „Köln“ as Windows-1252 writes them.
        let file = b"Vorname;Nachname;E-Mail;Stra\xdfe;Hausnummer;PLZ;Ort;Notiz\r\nJ\xfcrgen;M\xfcller;j@m.de;Hauptstra\xdfe;5;01234;K\xf6ln;x\r\n;;;;;;;\r\n";
        let list = read(file);
        assert_eq!((list.encoding, list.separator), ("Windows-1252", ';'));
        assert_eq!(list.ignored, ["Notiz"]);
        assert_eq!(list.lines.len(), 1, "the empty line is no line");
        let line = &list.lines[0];
        assert_eq!(line.line, 2);
        assert_eq!(line.fields.name.as_deref(), Some("Jürgen Müller"));
        assert_eq!(line.fields.email.as_deref(), Some("j@m.de"));
        assert_eq!(line.fields.street.as_deref(), Some("Hauptstraße 5"));
        assert_eq!(
            line.fields.zip.as_deref(),
            Some("01234"),
            "a postal code keeps its zero"
        );
        assert_eq!(line.fields.city.as_deref(), Some("Köln"));
    }

    #[test]
    fn the_export_reads_back() {
        let customer = lead_store::Customer {
            id: lead_store::CustomerId::new(7),
            company_id: lead_store::CompanyId::new(1),
            name: "Eva; \"Evi\" Roth".into(),
            email: "eva@x.de".into(),
            emails: vec!["e@y.de".into(), "roth@z.de".into()],
            phone: "+49 30 1".into(),
            organization: "=Roth GmbH".into(),
            street: "Weg 1".into(),
            zip: "10115".into(),
            city: "Berlin".into(),
            country: "DE".into(),
            created_at: lead_domain::Timestamp::from_millis(0),
        };
        let zone = lead_domain::TimeZone::get("Europe/Berlin").unwrap();
        for dialect in [crate::csv::Dialect::Excel, crate::csv::Dialect::Rfc4180] {
            let mut file = crate::csv::customer_head(dialect);
            file.extend(crate::csv::customer_rows(
                std::slice::from_ref(&customer),
                dialect,
                &zone,
            ));
            let list = read(&file);
            assert!(list.ignored.is_empty(), "{dialect:?}: {:?}", list.ignored);
            let fields = &list.lines[0].fields;
            assert_eq!(fields.name.as_deref(), Some("Eva; \"Evi\" Roth"));
            assert_eq!(fields.email.as_deref(), Some("eva@x.de"));
            assert_eq!(fields.emails, Some(vec!["e@y.de".to_owned(), "roth@z.de".to_owned()]));
            assert_eq!(fields.phone.as_deref(), Some("+49 30 1"));
            assert_eq!(fields.country.as_deref(), Some("DE"));
            // What the Excel export neutralised against formulas reads back as it was.
            assert_eq!(fields.organization.as_deref(), Some("=Roth GmbH"));
        }
    }

    #[test]
    fn headers_in_english_with_commas_quotes_and_utf16() {
        let list =
            read(b"\"First Name\",last_name,\"Email Address\",Company,Phone\n\"Ann\",\"Lee, Jr.\",a@b.com,ACME,\n");
        assert_eq!(list.separator, ',');
        assert_eq!(list.lines[0].fields.name.as_deref(), Some("Ann Lee, Jr."));
        assert_eq!(list.lines[0].fields.phone, None, "an empty cell gives nothing");
        let only_firm = read(b"Firma\tE-Mail\nACME\ta@b.com\n");
        assert_eq!(only_firm.separator, '\t');
        assert_eq!(only_firm.lines[0].fields.name.as_deref(), Some("ACME"));
        let utf16: Vec<u8> = "\u{feff}E-Mail\tName\r\nö@x.de\tÖzil\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let list = read(&utf16);
        assert_eq!(list.encoding, "UTF-16");
        assert_eq!(list.lines[0].fields.name.as_deref(), Some("Özil"));
    }

    #[test]
    fn a_file_without_addresses_or_lines_is_no_list() {
        assert_eq!(read_customers(b""), Err(ListError::Empty));
        assert_eq!(
            read_customers(b"Name;Ort\nA;B\n"),
            Err(ListError::NoEmailColumn(vec!["Name".into(), "Ort".into()]))
        );
        let lines = read(b"E-Mail\n\n").lines;
        assert!(lines.is_empty());
    }

    #[test]
    fn line_numbers_count_every_kind_of_line_break_and_blank_lines() {
        let numbers = |text: &str| -> Vec<u64> { read(text.as_bytes()).lines.iter().map(|l| l.line).collect() };
        assert_eq!(numbers("E-Mail\r\na@x.de\r\n\r\nb@x.de\r\n"), [2, 4]);
        assert_eq!(numbers("E-Mail\na@x.de\n\nb@x.de\n"), [2, 4]);
        assert_eq!(numbers("E-Mail\ra@x.de\r\rb@x.de\r"), [2, 4], "old Mac files");
        // A cell with line breaks of its own: the next record is on the line after them.
        assert_eq!(
            numbers("E-Mail;Ort\r\na@x.de;\"Zeile\r\nzwei\"\r\nb@x.de;X\r\n"),
            [2, 4]
        );
    }

    #[test]
    fn only_the_exports_mark_before_a_formula_is_taken_off() {
        assert_eq!(unneutralised("'+49 30 1"), "+49 30 1");
        assert_eq!(unneutralised("'=1"), "=1");
        assert_eq!(unneutralised("'t Hooft"), "'t Hooft");
        assert_eq!(unneutralised("+49 30 1"), "+49 30 1");
    }

    #[test]
    fn every_byte_of_windows_1252_is_a_character() {
        assert_eq!(windows_1252(0x80), '€');
        assert_eq!(windows_1252(0x9f), 'Ÿ');
        assert_eq!(windows_1252(0xe4), 'ä');
        assert_eq!(windows_1252(b'a'), 'a');
    }
}
