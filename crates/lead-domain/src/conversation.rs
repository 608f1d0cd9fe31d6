//! A lead's e-mail conversation: the tag that names a lead in a subject (`[#T42]` for ticket
//! 42, `[#B7]` for order 7 — „Bestellung“), a reply's subject, and the quoted history.

use crate::LeadType;

/// The tag of a lead in subjects: `[#T42]`, `[#B7]`.
pub fn tag(lead_type: LeadType, number: i64) -> String {
    let letter = match lead_type {
        LeadType::Ticket => 'T',
        LeadType::Order => 'B',
    };
    format!("[#{letter}{number}]")
}

/// The lead a subject's tag names, if it carries one (the last one, should it carry several:
/// a tag is appended).
pub fn find_tag(subject: &str) -> Option<(LeadType, i64)> {
    let mut found = None;
    let mut rest = subject;
    while let Some(at) = rest.find("[#") {
        let candidate = &rest[at + 2..];
        rest = candidate;
        let lead_type = match candidate.chars().next() {
            Some('T' | 't') => LeadType::Ticket,
            Some('B' | 'b') => LeadType::Order,
            _ => continue,
        };
        let Some((digits, _)) = candidate[1..].split_once(']') else {
            continue;
        };
        if !digits.is_empty() && digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit()) {
            found = digits.parse().ok().map(|number| (lead_type, number));
        }
    }
    found
}

/// The subject of a reply about a lead: `Re: <title> [#T42]` — with one `Re:`, and the tag
/// once.
pub fn reply_subject(title: &str, lead_type: LeadType, number: i64) -> String {
    let tag = tag(lead_type, number);
    let mut subject = title.trim();
    while let Some(rest) = strip_reply_prefix(subject) {
        subject = rest;
    }
    let subject: String = subject.chars().filter(|c| !c.is_control()).collect();
    let subject = subject.replace(&tag, "");
    let subject = subject.trim();
    if subject.is_empty() {
        format!("Re: {tag}")
    } else {
        format!("Re: {subject} {tag}")
    }
}

/// `Re: `, `RE: `, `AW: `, `Aw: ` taken off the front.
fn strip_reply_prefix(subject: &str) -> Option<&str> {
    let (prefix, rest) = subject.split_at_checked(3)?;
    matches!(prefix.to_ascii_lowercase().as_str(), "re:" | "aw:").then(|| rest.trim_start())
}

/// `text` quoted for a reply: every line behind `> `.
pub fn quote(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.is_empty() {
                ">".to_owned()
            } else {
                format!("> {line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert_eq!(tag(LeadType::Ticket, 42), "[#T42]");
        assert_eq!(tag(LeadType::Order, 7), "[#B7]");
        assert_eq!(find_tag("Re: Lieferung [#T42]"), Some((LeadType::Ticket, 42)));
        assert_eq!(find_tag("AW: Bestellung [#b7] danke"), Some((LeadType::Order, 7)));
        assert_eq!(find_tag("[#T1] und [#T2]"), Some((LeadType::Ticket, 2)));
        for none in [
            "Lieferung",
            "[#X1]",
            "[#T]",
            "[#T12",
            "[#T1a]",
            "[#T99999999999999999999]",
        ] {
            assert_eq!(find_tag(none), None, "{none}");
        }
    }

    #[test]
    fn reply_subjects() {
        assert_eq!(
            reply_subject("Lieferung am Samstag?", LeadType::Ticket, 42),
            "Re: Lieferung am Samstag? [#T42]"
        );
        assert_eq!(
            reply_subject("AW: Re: Lieferung [#T42]", LeadType::Ticket, 42),
            "Re: Lieferung [#T42]"
        );
        assert_eq!(
            reply_subject("Web-Bestellung", LeadType::Order, 7),
            "Re: Web-Bestellung [#B7]"
        );
        assert_eq!(reply_subject("a\r\nBcc: x", LeadType::Order, 7), "Re: aBcc: x [#B7]");
        assert_eq!(reply_subject("Re:", LeadType::Ticket, 1), "Re: [#T1]");
        assert_eq!(
            find_tag(&reply_subject("Frage", LeadType::Order, 99)),
            Some((LeadType::Order, 99))
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("Hallo,\n\nwann?"), "> Hallo,\n>\n> wann?");
    }
}
