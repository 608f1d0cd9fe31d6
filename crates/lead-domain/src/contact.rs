//! What a website's form tells of its sender beyond the address: a name, a phone number, a
//! firm and a postal address — found by the names forms give them, German or English, in any
//! case, at the top of the body or nested under an address object. A customer file made from
//! a lead starts with it.

use serde_json::{Map, Value};

/// What a lead's body tells of its sender; empty where it tells nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// `name`; else `vorname` and `nachname` (or `first_name` and `last_name`); else the firm.
    pub name: String,
    /// `phone`, `telefon`, `tel`, `mobil`.
    pub phone: String,
    /// `firma`, `company`.
    pub organization: String,
    /// `street`, `strasse`, `straße`.
    pub street: String,
    /// `zip`, `plz`, `postal_code`, as text.
    pub zip: String,
    /// `city`, `ort`.
    pub city: String,
    /// `country`, `land`.
    pub country: String,
}

/// Where forms nest an address, searched after the top of the body, in this order.
const NESTED: [&str; 5] = ["address", "billing", "shipping", "rechnungsadresse", "lieferadresse"];

/// The longest value taken, in characters (a customer's fields hold no more).
const MAX_CHARS: usize = 200;

/// The longest phone number taken.
const MAX_PHONE_CHARS: usize = 50;

impl Contact {
    /// The contact in `body`, a lead's JSON object (anything else tells nothing). Texts are
    /// trimmed, control characters become spaces, and each is cut to what a customer's field
    /// holds.
    pub fn of(body: &Value) -> Contact {
        let Some(top) = body.as_object() else {
            return Contact::default();
        };
        let mut places = vec![top];
        for nested in NESTED {
            if let Some(Value::Object(object)) = member(top, nested) {
                places.push(object);
            }
        }
        let find = |names: &[&str], max: usize| -> String {
            places
                .iter()
                .find_map(|place| names.iter().find_map(|name| text(member(place, name)?, max)))
                .unwrap_or_default()
        };
        let joined = |first: &str, last: &str| {
            let (first, last) = (find(&[first], MAX_CHARS), find(&[last], MAX_CHARS));
            cut(format!("{first} {last}").trim(), MAX_CHARS)
        };
        let organization = find(&["firma", "company"], MAX_CHARS);
        let mut name = find(&["name"], MAX_CHARS);
        for (first, last) in [
            ("vorname", "nachname"),
            ("first_name", "last_name"),
            ("firstname", "lastname"),
        ] {
            if name.is_empty() {
                name = joined(first, last);
            }
        }
        if name.is_empty() {
            name.clone_from(&organization);
        }
        Contact {
            name,
            phone: find(&["phone", "telefon", "tel", "mobil"], MAX_PHONE_CHARS),
            organization,
            street: find(&["street", "strasse", "straße"], MAX_CHARS),
            zip: find(&["zip", "plz", "postal_code"], MAX_CHARS),
            city: find(&["city", "ort"], MAX_CHARS),
            country: find(&["country", "land"], MAX_CHARS),
        }
    }
}

/// The member of `object` called `name` in any case.
fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.to_lowercase() == name)
            .map(|(_, value)| value)
    })
}

/// A text or a number as text, cleaned; `None` for anything else or nothing but blanks.
fn text(value: &Value, max: usize) -> Option<String> {
    let raw = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    let cleaned: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let cleaned = cut(cleaned.trim(), max);
    (!cleaned.is_empty()).then_some(cleaned)
}

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect::<String>().trim_end().to_owned()
}
