//! Reading a body's members once: the nesting bound, the top-level object with each value
//! kept as raw JSON text, and the known fields read from it.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Field, Invalid, JsonProblem, LeadError};
use crate::{Money, MoneyError};

/// How deeply arrays and objects may nest in a payload. Far beyond any real form, and low
/// enough that the stored payload can always be read back as a JSON value.
pub const MAX_NESTING: usize = 64;

/// The deepest nesting of `[` and `{` outside strings. Only meaningful for valid JSON; for
/// anything else the parser reports the syntax error.
pub(crate) fn nesting_depth(body: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &byte in body {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match byte {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    deepest
}

/// Takes the top-level member `name` out of a JSON object body: the body without it, and its
/// value — the text of a string, the raw JSON of anything else. A body that is not an object,
/// has no such member or has it twice (which the lead's reading refuses) is given back as it
/// was. A name spelled with escapes (`"\u0061ltcha"`) is the same name.
pub fn take_member(text: String, name: &str) -> (String, Option<String>) {
    if !text.contains(&format!("\"{name}\"")) && !text.contains("\\u") {
        return (text, None);
    }
    let Ok(TopLevel::Object(members)) = serde_json::from_str::<TopLevel<'_>>(&text) else {
        return (text, None);
    };
    let mut named = members.iter().filter(|(member, _)| member == name);
    let (Some((_, raw)), None) = (named.next(), named.next()) else {
        return (text, None);
    };
    let value = serde_json::from_str::<String>(raw.get()).unwrap_or_else(|_| raw.get().to_owned());
    let mut out = String::with_capacity(text.len());
    out.push('{');
    for (member, raw) in members.iter().filter(|(member, _)| member != name) {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&serde_json::Value::from(member.as_str()).to_string());
        out.push(':');
        out.push_str(raw.get());
    }
    out.push('}');
    (out, Some(value))
}

/// The top level of a body: an object's members, each value kept as raw JSON text.
pub(crate) enum TopLevel<'a> {
    Object(Vec<(String, &'a RawValue)>),
    NotAnObject,
}

impl<'de> Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopLevelVisitor)
    }
}

struct TopLevelVisitor;

impl<'de> Visitor<'de> for TopLevelVisitor {
    type Value = TopLevel<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            members.push((key, map.next_value::<&'de RawValue>()?));
        }
        Ok(TopLevel::Object(members))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TopLevel::NotAnObject)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAnObject)
    }
}

/// The members of the payload object, looked up by field.
pub(crate) struct Fields<'a> {
    pub(crate) members: Vec<(String, &'a RawValue)>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(members: Vec<(String, &'a RawValue)>) -> Result<Self, LeadError> {
        // A set, not pairwise comparisons: a body of thousands of members costs linear time.
        let mut names = std::collections::HashSet::with_capacity(members.len());
        if let Some((name, _)) = members.iter().find(|(name, _)| !names.insert(name.as_str())) {
            return Err(LeadError::InvalidJson(JsonProblem::DuplicateKey(name.clone())));
        }
        Ok(Fields { members })
    }

    pub(crate) fn raw(&self, field: Field) -> Option<&'a str> {
        let name = field.as_str();
        self.members
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.get())
    }

    /// A text field: `None` when absent, `null` or blank; an error for any other JSON type.
    pub(crate) fn text(&self, field: Field) -> Result<Option<String>, LeadError> {
        match self.raw(field) {
            None | Some("null") => Ok(None),
            Some(raw) if raw.starts_with('"') => {
                let text: String =
                    serde_json::from_str(raw).map_err(|_| LeadError::invalid(field, Invalid::WrongType))?;
                Ok((!text.trim().is_empty()).then_some(text))
            }
            Some(_) => Err(LeadError::invalid(field, Invalid::WrongType)),
        }
    }

    /// `total`: absent, `null` or a blank string is zero; a JSON number is rounded to cents
    /// on its decimal text; a string is read as people write amounts (`"1.234,50 €"`).
    pub(crate) fn total(&self) -> Result<Money, LeadError> {
        let invalid = |reason, value: &str| {
            LeadError::invalid(
                Field::Total,
                Invalid::Money {
                    reason,
                    value: value.to_owned(),
                },
            )
        };
        match self.raw(Field::Total) {
            None | Some("null") => Ok(Money::ZERO),
            Some(raw) if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                Money::from_json_number(raw).map_err(|reason| invalid(reason, raw))
            }
            Some(raw) if raw.starts_with('"') => {
                let text: String = serde_json::from_str(raw).map_err(|_| invalid(MoneyError::NotAnAmount, raw))?;
                if text.trim().is_empty() {
                    return Ok(Money::ZERO);
                }
                Money::from_text(&text).map_err(|reason| invalid(reason, &text))
            }
            Some(raw) => Err(invalid(MoneyError::NotAnAmount, raw)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::take_member;

    #[test]
    fn a_member_is_taken_out_and_the_rest_kept_as_sent() {
        let body = r#"{"type":"ticket", "altcha":"eyJh", "nested":{"altcha":1},"message":"Hallo"}"#;
        let (kept, value) = take_member(body.to_owned(), "altcha");
        assert_eq!(value.as_deref(), Some("eyJh"));
        assert_eq!(kept, r#"{"type":"ticket","nested":{"altcha":1},"message":"Hallo"}"#);
        // The only member, or one that is not a string.
        assert_eq!(
            take_member(r#"{"altcha":"x"}"#.to_owned(), "altcha"),
            ("{}".to_owned(), Some("x".to_owned()))
        );
        let (kept, value) = take_member(r#"{"a":1,"altcha":[1, 2]}"#.to_owned(), "altcha");
        assert_eq!((kept.as_str(), value.as_deref()), (r#"{"a":1}"#, Some("[1, 2]")));
        // Spelled with an escape, it is the same member.
        let (kept, value) = take_member(r#"{"\u0061ltcha":"y","b":2}"#.to_owned(), "altcha");
        assert_eq!((kept.as_str(), value.as_deref()), (r#"{"b":2}"#, Some("y")));
    }

    #[test]
    fn a_body_without_it_or_with_it_twice_stays_as_it_was() {
        for body in [
            r#"{"type":"order","email":"a@b.de"}"#,
            r#"{"note":"the word \"altcha\" in a text"}"#,
            r#"{"altcha":"a","altcha":"b"}"#,
            r#"["altcha"]"#,
            r#"{"altcha": "#,
        ] {
            assert_eq!(
                take_member(body.to_owned(), "altcha"),
                (body.to_owned(), None),
                "{body}"
            );
        }
    }
}
