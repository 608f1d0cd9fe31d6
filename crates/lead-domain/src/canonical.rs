//! One spelling for one JSON document, so that two bodies that say the same thing can be
//! recognised as the same (a double click, a blind retry).

use serde::de::IgnoredAny;

/// `json` in a canonical spelling: no whitespace, object members sorted by name (members of
/// the same name keep their order), strings with the escapes `serde_json` writes. Numbers
/// keep their text exactly as sent (`1.0` and `1` stay different), so no digit a website sent
/// can be lost to a float. `None` when `json` is not JSON, or nests arrays and objects deeper
/// than [`MAX_NESTING`](crate::MAX_NESTING) levels, as no lead may. The work grows with the size of the document (and the sorting of each
/// object's members), not with its depth.
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
    // Checked by serde_json first (in one pass), so the reader below only meets valid JSON.
    if crate::members::nesting_depth(json.as_bytes()) > crate::MAX_NESTING
        || serde_json::from_str::<IgnoredAny>(json).is_err()
    {
        return None;
    }
    let mut reader = Reader { text: json, at: 0 };
    let value = reader.value()?;
    let mut out = String::with_capacity(json.len());
    value.write(&mut out)?;
    Some(out)
}

/// The canonical spelling of an object whose members (name, raw value) were read and checked
/// already — as [`canonical_json`] spells the whole object, without reading it again.
pub(crate) fn canonical_members(members: &[(String, &serde_json::value::RawValue)]) -> Option<String> {
    // Stable: members of the same name keep their order, as in `Reader::value`.
    let mut sorted: Vec<&(String, &serde_json::value::RawValue)> = members.iter().collect();
    sorted.sort_by(|(a, _), (b, _)| a.cmp(b));
    let mut out = String::with_capacity(
        members
            .iter()
            .map(|(name, value)| name.len() + value.get().len() + 4)
            .sum(),
    );
    out.push('{');
    for (i, (name, value)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(name).ok()?);
        out.push(':');
        let text = value.get();
        Reader { text, at: 0 }.value()?.write(&mut out)?;
    }
    out.push('}');
    Some(out)
}

/// A JSON value read once: numbers and literals as their text, strings decoded.
enum Node<'a> {
    Literal(&'a str),
    Text(String),
    Array(Vec<Node<'a>>),
    Object(Vec<(String, Node<'a>)>),
}

impl Node<'_> {
    fn write(&self, out: &mut String) -> Option<()> {
        match self {
            Node::Literal(text) => out.push_str(text),
            Node::Text(text) => out.push_str(&serde_json::to_string(text).ok()?),
            Node::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out)?;
                }
                out.push(']');
            }
            Node::Object(members) => {
                out.push('{');
                for (i, (name, member)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(name).ok()?);
                    out.push(':');
                    member.write(out)?;
                }
                out.push('}');
            }
        }
        Some(())
    }
}

/// Reads valid JSON (checked beforehand) into [`Node`]s, each byte once.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn skip_whitespace(&mut self) {
        while self.text.as_bytes().get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.text.as_bytes().get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn value(&mut self) -> Option<Node<'a>> {
        match self.peek()? {
            b'{' => {
                let mut members = self.items(b'}', |reader| {
                    let name = reader.string()?;
                    reader.expect(b':')?;
                    Some((name, reader.value()?))
                })?;
                // Stable: members of the same name (JSON allows them) keep their order.
                members.sort_by(|(a, _), (b, _)| a.cmp(b));
                Some(Node::Object(members))
            }
            b'[' => self.items(b']', Self::value).map(Node::Array),
            b'"' => self.string().map(Node::Text),
            _ => {
                // A number, true, false or null: up to the next delimiter.
                let start = self.at;
                let bytes = self.text.as_bytes();
                while bytes
                    .get(self.at)
                    .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b',' | b']' | b'}'))
                {
                    self.at += 1;
                }
                (self.at > start).then(|| Node::Literal(&self.text[start..self.at]))
            }
        }
    }

    /// The items of an array or the members of an object, from the opening bracket up to
    /// `close`; `item` reads one.
    fn items<T>(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.at += 1;
        let mut items = Vec::new();
        if self.peek()? == close {
            self.at += 1;
            return Some(items);
        }
        loop {
            items.push(item(self)?);
            match self.peek()? {
                b',' => self.at += 1,
                byte if byte == close => {
                    self.at += 1;
                    return Some(items);
                }
                _ => return None,
            }
        }
    }

    /// A string literal, decoded (escapes and all) by serde_json.
    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut end = start + 1;
        while *bytes.get(end)? != b'"' {
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        self.at = end + 1;
        serde_json::from_str(&self.text[start..self.at]).ok()
    }
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
        assert_eq!(
            canonical_json(r#"{"k\"ey":"a\\b\"c","":[]}"#).as_deref(),
            Some(r#"{"":[],"k\"ey":"a\\b\"c"}"#)
        );
    }

    #[test]
    fn every_digit_of_a_number_counts() {
        assert_ne!(
            canonical_json(r#"{"n":12345678901234567890123}"#),
            canonical_json(r#"{"n":12345678901234567890124}"#)
        );
        assert_eq!(
            canonical_json("[1.0, -2e-3,true ,false,null]").as_deref(),
            Some("[1.0,-2e-3,true,false,null]")
        );
    }

    #[test]
    fn values_of_every_kind_and_not_json() {
        assert_eq!(canonical_json(" \"x\" ").as_deref(), Some("\"x\""));
        assert_eq!(canonical_json("true").as_deref(), Some("true"));
        assert_eq!(canonical_json("{}").as_deref(), Some("{}"));
        assert_eq!(canonical_json("[]").as_deref(), Some("[]"));
        assert_eq!(
            canonical_json("{\"a\":1,\"a\":2}").as_deref(),
            Some("{\"a\":1,\"a\":2}")
        );
        for not_json in ["{", "type=order", "", "[1,]", "{\"a\"}", "\"\\x\"", "[1] 2"] {
            assert_eq!(canonical_json(not_json), None, "{not_json:?}");
        }
        let deepest = crate::MAX_NESTING;
        assert!(canonical_json(&format!("{}{}", "[".repeat(deepest), "]".repeat(deepest))).is_some());
        assert_eq!(
            canonical_json(&format!("{}{}", "[".repeat(deepest + 1), "]".repeat(deepest + 1))),
            None
        );
        assert_eq!(
            canonical_json(&format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))),
            None
        );
    }

    #[test]
    fn the_canonical_spelling_is_canonical() {
        for json in [
            r#"{"z":{"b":[{"d":1,"c":"\n"}],"a":"é"},"y":[3,2,1]}"#,
            r#"[{"b":1,"a":2},"\u20ac",-0.0]"#,
        ] {
            let once = canonical_json(json).unwrap();
            assert_eq!(canonical_json(&once).as_deref(), Some(once.as_str()));
            let reread: serde_json::Value = serde_json::from_str(&once).unwrap();
            assert_eq!(reread, serde_json::from_str::<serde_json::Value>(json).unwrap());
        }
    }
}
