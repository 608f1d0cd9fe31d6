//! An e-mail taken apart by mail-parser (MIME, encodings, an HTML-only e-mail as text): what
//! filing needs of it — its ids and thread, sender, subject, text, files — and whether it is
//! automatic (an auto-reply, bulk mail) or a delivery failure and whose.

use std::borrow::Cow;

use lead_domain::Upload;
use lead_store::IncomingMail;
use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};

/// The most Message-IDs of a `References` kept (the first and the latest).
const MAX_REFERENCES: usize = 50;
/// The most Message-IDs of an `In-Reply-To`, or of a bounce's report, looked at.
const MAX_NAMED: usize = 20;
/// The longest Message-ID kept (a longer one is replaced by one made from the bytes).
const MAX_ID_CHARS: usize = 250;
/// The longest header text kept (subject, addresses, names), in characters.
const MAX_HEADER_CHARS: usize = 1000;

/// `raw` taken apart. `cut_from`: the e-mail was larger than the server takes, and `raw` is
/// its first part (its attachments are left out then: the last of them would be cut).
pub fn incoming(raw: Vec<u8>, cut_from: Option<u64>) -> IncomingMail {
    // A parser that fails on some e-mail must not stop the mailbox: it is filed as its text.
    let parsed = std::panic::catch_unwind(|| taken_apart(&raw, cut_from)).ok().flatten();
    match parsed {
        Some(mail) => IncomingMail { raw, ..mail },
        None => IncomingMail {
            message_id: made_id(&raw),
            in_reply_to: Vec::new(),
            references: Vec::new(),
            from: String::new(),
            from_name: None,
            to: String::new(),
            subject: String::new(),
            text: clean(&String::from_utf8_lossy(&raw), usize::MAX),
            automatic: false,
            bounce_of: None,
            files: Vec::new(),
            cut_from,
            raw,
        },
    }
}

/// What is filed in place of `mail` when filing it failed again and again (the database
/// refused something in it): a new ticket — nothing of it that could join a conversation —
/// from its sender (where that is an address), under its Message-ID (read again, it is
/// known), saying that its original is starred in the mailbox's `folder`.
pub fn unfiled(mail: &IncomingMail, folder: &str) -> IncomingMail {
    let from = match lead_domain::Email::parse(&mail.from) {
        Ok(_) => mail.from.clone(),
        Err(_) => String::new(),
    };
    let subject: String = mail.subject.chars().filter(|c| !c.is_control()).take(200).collect();
    IncomingMail {
        message_id: mail.message_id.clone(),
        in_reply_to: Vec::new(),
        references: Vec::new(),
        from,
        from_name: None,
        to: String::new(),
        subject: "Nicht abgelegte E-Mail".to_owned(),
        text: format!(
            "Die E-Mail „{subject}“ konnte nicht abgelegt werden. Das Original liegt mit Stern \
             markiert im Postfach, im Ordner „{folder}“."
        ),
        automatic: mail.automatic,
        bounce_of: None,
        files: Vec::new(),
        raw: Vec::new(),
        cut_from: None,
    }
}

/// The Message-ID an e-mail whose header is `header` is filed under — `None` where it has
/// none (it is filed under one made from its bytes).
pub fn message_id(header: &[u8]) -> Option<String> {
    MessageParser::default().parse_headers(header).as_ref().and_then(id_of)
}

/// The Message-ID of `message`, if it has a usable one.
fn id_of(message: &Message<'_>) -> Option<String> {
    message
        .message_id()
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.chars().count() <= MAX_ID_CHARS && !id.contains('\0'))
        .map(str::to_owned)
}

/// Text a sender controls as it may be stored: without NUL characters, at most `max`
/// characters.
fn clean(text: &str, max: usize) -> String {
    text.chars().filter(|&c| c != '\0').take(max).collect()
}

/// `raw` taken apart, its bytes left out (`None`: not even headers).
fn taken_apart(raw: &[u8], cut_from: Option<u64>) -> Option<IncomingMail> {
    let parsed = MessageParser::default().parse(raw);
    let message = parsed?;
    let from = message.from().and_then(|from| from.first());
    let text = (0..message.text_body_count())
        .filter_map(|n| message.body_text(n))
        .map(|text| clean(&text.replace("\r\n", "\n"), usize::MAX).trim().to_owned())
        .filter(|text| !text.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let bounce_of = bounce(&message).map(|mut ids| {
        ids.truncate(MAX_NAMED);
        ids
    });
    let files = match cut_from {
        Some(_) => Vec::new(),
        None => message
            .attachments()
            .filter(|part| !matches!(part.body, PartType::Multipart(_)))
            .map(|part| {
                let name = part.attachment_name().unwrap_or("Anhang");
                Upload::new(name, part.contents().to_vec())
            })
            .collect(),
    };
    let header = |text: &str| clean(text.trim(), MAX_HEADER_CHARS);
    Some(IncomingMail {
        message_id: id_of(&message).unwrap_or_else(|| made_id(raw)),
        in_reply_to: ids(message.in_reply_to()).into_iter().take(MAX_NAMED).collect(),
        references: shortened(ids(message.references())),
        from: header(from.and_then(|from| from.address()).unwrap_or("")),
        from_name: from
            .and_then(|from| from.name())
            .map(header)
            .filter(|name| !name.is_empty()),
        to: header(
            message
                .to()
                .and_then(|to| to.first())
                .and_then(|to| to.address())
                .unwrap_or(""),
        ),
        subject: header(message.subject().unwrap_or("")),
        text,
        automatic: automatic(&message),
        bounce_of,
        files,
        cut_from,
        raw: Vec::new(),
    })
}

/// A Message-ID for an e-mail without one, from its bytes: the same e-mail read twice gets
/// the same.
fn made_id(raw: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(raw);
    let hex: String = digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect();
    format!("{hex}@ohne-message-id.invalid")
}

/// The Message-IDs of a header (`In-Reply-To`, `References`).
fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let texts: Vec<&str> = match value {
        HeaderValue::Text(text) => vec![text.as_ref()],
        HeaderValue::TextList(list) => list.iter().map(Cow::as_ref).collect(),
        _ => Vec::new(),
    };
    texts
        .into_iter()
        .flat_map(str::split_whitespace)
        .map(|id| id.trim_matches(|c| c == '<' || c == '>'))
        .filter(|id| !id.is_empty() && id.chars().count() <= MAX_ID_CHARS && !id.contains('\0'))
        .map(str::to_owned)
        .collect()
}

/// A long `References` shortened to its first and latest Message-IDs.
fn shortened(mut ids: Vec<String>) -> Vec<String> {
    if ids.len() > MAX_REFERENCES {
        ids.drain(1..ids.len() - (MAX_REFERENCES - 1));
    }
    ids
}

/// Whether an e-mail was sent by a machine, not a person: an auto-reply (`Auto-Submitted`,
/// `X-Autoreply`), bulk or list mail (`Precedence`), or one nobody may answer (an empty
/// `Return-Path`, as bounces have).
fn automatic(message: &Message<'_>) -> bool {
    let header = |name: &str| {
        message
            .header_raw(name.to_owned())
            .map(|value| value.trim().to_ascii_lowercase())
    };
    let auto_submitted = header("Auto-Submitted").is_some_and(|value| !value.is_empty() && !value.starts_with("no"));
    let precedence =
        header("Precedence").is_some_and(|value| ["bulk", "auto_reply", "list", "junk"].contains(&value.as_str()));
    let autoreply = header("X-Autoreply").is_some() || header("X-Autorespond").is_some();
    let no_return = header("Return-Path").is_some_and(|value| {
        value
            .trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
            .is_empty()
    });
    auto_submitted || precedence || autoreply || no_return
}

/// Whether an e-mail reports a delivery failure (a DSN, `multipart/report;
/// report-type=delivery-status`, or a bounce from a mailer daemon), and the Message-IDs of the
/// e-mail it reports on: the returned message's or headers', else any `Message-ID:` line in
/// its text.
fn bounce(message: &Message<'_>) -> Option<Vec<String>> {
    let root = message.root_part();
    let report = root.content_type().is_some_and(|kind| {
        kind.ctype().eq_ignore_ascii_case("multipart")
            && kind.subtype().is_some_and(|sub| sub.eq_ignore_ascii_case("report"))
            && kind
                .attribute("report-type")
                .is_some_and(|report| report.eq_ignore_ascii_case("delivery-status"))
    });
    let daemon = message
        .from()
        .and_then(|from| from.first())
        .and_then(|from| from.address())
        .is_some_and(|address| {
            let local = address.split('@').next().unwrap_or("").to_ascii_lowercase();
            local == "mailer-daemon" || local == "postmaster"
        });
    if !report && !daemon {
        return None;
    }
    let mut found = Vec::new();
    for part in &message.parts {
        match &part.body {
            PartType::Message(returned) => found.extend(returned.message_id().map(str::to_owned)),
            _ if part.content_type().is_some_and(|kind| {
                kind.subtype()
                    .is_some_and(|sub| sub.eq_ignore_ascii_case("rfc822-headers"))
            }) =>
            {
                if let Some(headers) = MessageParser::default().parse_headers(part.contents()) {
                    found.extend(headers.message_id().map(str::to_owned));
                }
            }
            PartType::Text(text) => found.extend(message_id_lines(text)),
            _ => {}
        }
    }
    Some(found)
}

/// The ids of `Message-ID: <…>` lines in a text (a bounce that quotes the returned headers).
fn message_id_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.trim().split_once(':')?;
            name.eq_ignore_ascii_case("message-id").then(|| value.trim())
        })
        .filter_map(|value| {
            let id = value.trim_start_matches('<').split('>').next()?.trim();
            (!id.is_empty()).then(|| id.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(text: &str) -> IncomingMail {
        incoming(text.replace('\n', "\r\n").into_bytes(), None)
    }

    #[test]
    fn the_header_alone_gives_the_message_id_the_mail_is_filed_under() {
        let header = b"From: a@example.de\r\nMessage-ID:  <abc@mail.example.de> \r\nSubject: x\r\n\r\n";
        assert_eq!(message_id(header).as_deref(), Some("abc@mail.example.de"));
        assert_eq!(
            message_id(b"From: a@example.de\r\nSubject: x\r\n\r\n"),
            None,
            "made from all its bytes"
        );
    }

    #[test]
    fn the_note_in_place_of_an_unfiled_mail_joins_nothing() {
        let original = mail("From: kunde@example.de\nSubject: Re: Torte [#T42]\nIn-Reply-To: <ours@acme.de>\n\nGift\n");
        let note = unfiled(&original, "INBOX");
        assert_eq!(note.message_id, original.message_id);
        assert_eq!(note.from, "kunde@example.de");
        assert_eq!(note.subject, "Nicht abgelegte E-Mail");
        assert!(note.in_reply_to.is_empty() && note.references.is_empty());
        assert_eq!(
            note.text,
            "Die E-Mail „Re: Torte [#T42]“ konnte nicht abgelegt werden. Das Original liegt mit Stern markiert im \
             Postfach, im Ordner „INBOX“."
        );
    }

    #[test]
    fn an_answer_is_taken_apart() {
        let got = mail(
            "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>\n\
             To: service@baeckerei.de\n\
             Subject: Re: Torte [#T42]\n\
             Message-ID: <abc@mail.example.de>\n\
             In-Reply-To: <0190@baeckerei.de>\n\
             References: <first@baeckerei.de> <0190@baeckerei.de>\n\
             Content-Type: text/plain; charset=iso-8859-1\n\
             Content-Transfer-Encoding: quoted-printable\n\
             \n\
             Gr=FC=DFe, ja gerne.\n",
        );
        assert_eq!(got.message_id, "abc@mail.example.de");
        assert_eq!(got.in_reply_to, ["0190@baeckerei.de"]);
        assert_eq!(got.references, ["first@baeckerei.de", "0190@baeckerei.de"]);
        assert_eq!(got.from, "juergen@example.de");
        assert_eq!(got.from_name.as_deref(), Some("Jürgen Müller"));
        assert_eq!(got.to, "service@baeckerei.de");
        assert_eq!(got.subject, "Re: Torte [#T42]");
        assert_eq!(got.text, "Grüße, ja gerne.");
        assert!(!got.automatic);
        assert_eq!(got.bounce_of, None);
    }

    #[test]
    fn an_html_only_mail_becomes_text_and_a_missing_id_is_made_from_the_bytes() {
        let raw = "From: a@example.de\nSubject: Hallo\nContent-Type: text/html\n\n<p>Guten <b>Tag</b></p>\n";
        let got = mail(raw);
        assert_eq!(got.text, "Guten Tag");
        assert!(got.message_id.ends_with("@ohne-message-id.invalid"));
        assert_eq!(mail(raw).message_id, got.message_id, "the same bytes, the same id");
    }

    #[test]
    fn auto_replies_and_bulk_mail_are_automatic() {
        for header in [
            "Auto-Submitted: auto-replied",
            "Precedence: bulk",
            "Precedence: list",
            "X-Autoreply: yes",
            "Return-Path: <>",
        ] {
            let got = mail(&format!(
                "From: a@example.de\n{header}\nSubject: Abwesend\n\nBin weg.\n"
            ));
            assert!(got.automatic, "{header}");
        }
        assert!(!mail("From: a@example.de\nAuto-Submitted: no\nSubject: x\n\ny\n").automatic);
    }

    #[test]
    fn a_delivery_status_notification_names_the_returned_mail() {
        let got = mail(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.de>\n\
             Subject: Undelivered Mail Returned to Sender\n\
             Auto-Submitted: auto-replied\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\
             \n\
             --b\n\
             Content-Type: text/plain\n\
             \n\
             The mail could not be delivered.\n\
             --b\n\
             Content-Type: message/delivery-status\n\
             \n\
             Reporting-MTA: dns; mx.example.de\n\
             \n\
             Final-Recipient: rfc822; nobody@example.de\n\
             Action: failed\n\
             Status: 5.1.1\n\
             --b\n\
             Content-Type: text/rfc822-headers\n\
             \n\
             From: service@baeckerei.de\n\
             Message-ID: <0190abc@baeckerei.de>\n\
             Subject: Re: Torte [#T42]\n\
             --b--\n",
        );
        assert_eq!(got.bounce_of, Some(vec!["0190abc@baeckerei.de".to_owned()]));
        assert!(got.automatic);
    }

    #[test]
    fn attachments_are_kept_unless_the_mail_was_cut() {
        let raw = "From: a@example.de\nSubject: Foto\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
                   --b\nContent-Type: text/plain\n\nAnbei.\n\
                   --b\nContent-Type: text/plain; name=\"liste.txt\"\nContent-Disposition: attachment; filename=\"liste.txt\"\n\nEier\n\
                   --b--\n"
            .replace('\n', "\r\n");
        let got = incoming(raw.clone().into_bytes(), None);
        assert_eq!(got.text, "Anbei.");
        assert_eq!(got.files.len(), 1);
        assert_eq!(got.files[0].filename, "liste.txt");
        assert_eq!(got.files[0].data.trim_ascii(), b"Eier");
        assert!(incoming(raw.into_bytes(), Some(30_000_000)).files.is_empty());
    }

    #[test]
    fn what_a_sender_controls_is_cleaned_and_capped() {
        let long_id = "x".repeat(3000);
        let named: Vec<String> = (0..100).map(|n| format!("<{n}@x>")).collect();
        let got = mail(&format!(
            "From: =?utf-8?q?A=00B?= <a@example.de>\nSubject: =?utf-8?q?Hal=00lo?=\nMessage-ID: <{long_id}@x>\nIn-Reply-To: {}\n\ny\n",
            named.join(" ")
        ));
        assert_eq!(got.subject, "Hallo");
        assert_eq!(got.from_name.as_deref(), Some("AB"));
        assert!(
            got.message_id.ends_with("@ohne-message-id.invalid"),
            "{}",
            got.message_id
        );
        assert_eq!(got.in_reply_to.len(), MAX_NAMED);
    }

    #[test]
    fn a_long_references_keeps_its_first_and_latest() {
        let ids: Vec<String> = (0..80).map(|n| format!("<{n}@x>")).collect();
        let got = mail(&format!(
            "From: a@example.de\nReferences: {}\nSubject: x\n\ny\n",
            ids.join(" ")
        ));
        assert_eq!(got.references.len(), MAX_REFERENCES);
        assert_eq!(got.references[0], "0@x");
        assert_eq!(got.references[1], "31@x");
        assert_eq!(got.references.last().unwrap(), "79@x");
    }
}
