//! One spelling for one JSON document, so that two bodies that say the same thing can be
//! recognised as the same (a double click, a blind retry).

use serde_json::value::RawValue;

use crate::lead::{nesting_depth, TopLevel};

/// The deepest nesting [`canonical_json`] reads: each level costs one more pass over its part
/// of the document, so the work stays linear in the size.
const MAX_DEPTH: usize = 128;

/// `json` in a canonical spelling: no whitespace, object members sorted by name, strings
/// with the escapes `serde_json` writes. Numbers keep their text exactly as sent (`1.0` and
/// `1` stay different), so no digit a website sent can be lost to a float. `None` when
/// `json` is not JSON, or nests arrays and objects deeper than 128 levels.
///
/// ```
/// use lead_domain::canonical_json;
///
/// let a = canonical_json(r#"{ "type": "order", "email": "a@b.de", "total": 49.90 }"#);
/// let b = canonical_json(r#"{"total":49.90,"email":"a@b.de","type":"order"}"#);
/// assert_eq!(a, b);
/// assert_eq!(a.as_deref(), Some(r#"{"email":"a@b.de","total":49.90,"type":"order"}"#));
/// ```
pub fn canonical_json(json: &str) -> Option<String> {
    if nesting_depth(json.as_bytes()) > MAX_DEPTH {
        return None;
    }
    let value: &RawValue = serde_json::from_str(json).ok()?;
    let mut out = String::with_capacity(json.len());
    write(value, &mut out)?;
    Some(out)
}

/// Writes `value` canonically. Each level re-reads its own members, so the work is the size
/// of the document times its depth (at most [`MAX_DEPTH`]).
fn write(value: &RawValue, out: &mut String) -> Option<()> {
    let text = value.get().trim();
    match text.as_bytes().first()? {
        b'{' => {
            let TopLevel::Object(mut members) = serde_json::from_str::<TopLevel<'_>>(text).ok()? else {
                return None;
            };
            // Stable: members of the same name (JSON allows them) keep their order.
            members.sort_by(|(a, _), (b, _)| a.cmp(b));
            out.push('{');
            for (i, (name, member)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(name).ok()?);
                out.push(':');
                write(member, out)?;
            }
            out.push('}');
        }
        b'[' => {
            let items: Vec<&RawValue> = serde_json::from_str(text).ok()?;
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out)?;
            }
            out.push(']');
        }
        b'"' => {
            let string: String = serde_json::from_str(text).ok()?;
            out.push_str(&serde_json::to_string(&string).ok()?);
        }
        // Numbers, true, false, null: their text is already canonical but for whitespace.
        _ => out.push_str(text),
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_member_order_and_escapes_do_not_matter() {
        let canonical = canonical_json(r#"{"b":[1, {"y":2,"x":"\u00fc"}],"a":null}"#).unwrap();
        assert_eq!(canonical, r#"{"a":null,"b":[1,{"x":"ü","y":2}]}"#);
        assert_eq!(
            canonical_json("\n{ \"a\" : null ,\t\"b\":[ 1 ,{\"x\":\"ü\",\"y\":2}] }\n").unwrap(),
            canonical
        );
    }

    #[test]
    fn every_digit_of_a_number_counts() {
        assert_ne!(
            canonical_json(r#"{"n":12345678901234567890123}"#),
            canonical_json(r#"{"n":12345678901234567890124}"#)
        );
        assert_eq!(canonical_json("[1.0]").as_deref(), Some("[1.0]"));
    }

    #[test]
    fn values_of_every_kind_and_not_json() {
        assert_eq!(canonical_json(" \"x\" ").as_deref(), Some("\"x\""));
        assert_eq!(canonical_json("true").as_deref(), Some("true"));
        assert_eq!(canonical_json("{}").as_deref(), Some("{}"));
        assert_eq!(
            canonical_json("{\"a\":1,\"a\":2}").as_deref(),
            Some("{\"a\":1,\"a\":2}")
        );
        assert_eq!(canonical_json("{"), None);
        assert_eq!(canonical_json("type=order"), None);
        assert!(canonical_json(&format!("{}{}", "[".repeat(128), "]".repeat(128))).is_some());
        assert_eq!(canonical_json(&format!("{}{}", "[".repeat(129), "]".repeat(129))), None);
        assert_eq!(
            canonical_json(&format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))),
            None
        );
    }
}
