//! An SMTP sink on `127.0.0.1:0`: takes every e-mail (plain SMTP, as a local relay would),
//! answers `MAIL FROM` from a script (a `451`, say), and decodes what it got.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine;

/// An e-mail the sink took.
#[derive(Debug, Clone)]
pub struct Mail {
    /// `MAIL FROM`.
    pub from: String,
    /// `RCPT TO`, each.
    pub to: Vec<String>,
    /// The message as sent (headers and body).
    pub data: String,
    /// Whether `MAIL FROM` asked for SMTPUTF8 (RFC 6531: an address beyond ASCII).
    pub smtputf8: bool,
}

impl Mail {
    /// A header's value, unfolded and with RFC 2047 encoded words decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut unfolded: Vec<String> = Vec::new();
        for line in head.split("\r\n") {
            match (line.starts_with([' ', '\t']), unfolded.last_mut()) {
                (true, Some(last)) => last.push_str(line),
                _ => unfolded.push(line.to_owned()),
            }
        }
        unfolded.iter().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| decode_words(value.trim()))
        })
    }

    /// Every text part's content, decoded (base64 or quoted-printable), one after the other.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for part in self.data.split("\r\n--") {
            let Some((head, body)) = part.split_once("\r\n\r\n") else {
                continue;
            };
            let head = head.to_ascii_lowercase();
            if !head.contains("content-type: text/") {
                continue;
            }
            let body = body.split("\r\n--").next().unwrap_or(body);
            let decoded = if head.contains("content-transfer-encoding: base64") {
                let joined: String = body.split_whitespace().collect();
                base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                    .unwrap_or_default()
            } else if head.contains("content-transfer-encoding: quoted-printable") {
                quoted_printable(body)
            } else {
                body.to_owned()
            };
            text.push_str(&decoded);
            text.push('\n');
        }
        text
    }
}

/// `=?utf-8?b?…?=` and `=?utf-8?q?…?=` words decoded; whitespace between two words dropped.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, after) = rest.split_at(start);
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let parts: Vec<&str> = after[2..].splitn(4, '?').collect();
        if parts.len() < 4 || !parts[3].starts_with('=') {
            out.push_str(after);
            return out;
        }
        let (encoding, text) = (parts[1], parts[2]);
        let bytes = if encoding.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap_or_default()
        } else {
            quoted_printable(&text.replace('_', " ")).into_bytes()
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        rest = &parts[3][1..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

fn quoted_printable(text: &str) -> String {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(byte) = u8::from_str_radix(hex, 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The sink: answers its script to `MAIL FROM` first, then `250`.
pub struct SmtpSink {
    /// `smtp://127.0.0.1:PORT`, lettre's URL of a plain relay.
    pub url: String,
    mails: Arc<Mutex<Vec<Mail>>>,
    refused: Arc<Mutex<Vec<u16>>>,
}

impl SmtpSink {
    /// Starts a sink that answers `MAIL FROM` with `script` first (e.g. `[451]`), and offers
    /// SMTPUTF8.
    pub fn start(script: Vec<u16>) -> SmtpSink {
        SmtpSink::start_offering(script, true)
    }

    /// [`SmtpSink::start`], offering SMTPUTF8 (RFC 6531) or not — a relay that takes only
    /// ASCII addresses.
    pub fn start_offering(script: Vec<u16>, smtputf8: bool) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink");
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let mails = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let (log, refusals) = (mails.clone(), refused.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, refusals, script) = (log.clone(), refusals.clone(), script.clone());
                std::thread::spawn(move || {
                    let _ = converse(stream, &log, &refusals, &script, smtputf8);
                });
            }
        });
        SmtpSink { url, mails, refused }
    }

    /// Every e-mail taken so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// The refusals sent so far (from the script).
    pub fn refused(&self) -> Vec<u16> {
        self.refused.lock().unwrap().clone()
    }
}

/// One SMTP conversation.
fn converse(
    stream: TcpStream,
    log: &Mutex<Vec<Mail>>,
    refusals: &Mutex<Vec<u16>>,
    script: &Mutex<VecDeque<u16>>,
    offers_smtputf8: bool,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    writer.write_all(b"220 sink ESMTP\r\n")?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut smtputf8 = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" if offers_smtputf8 => writer.write_all(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?,
            "EHLO" => writer.write_all(b"250-sink\r\n250 8BITMIME\r\n")?,
            "MAIL" => match script.lock().unwrap().pop_front() {
                Some(code) => {
                    refusals.lock().unwrap().push(code);
                    writer.write_all(format!("{code} not now, scripted\r\n").as_bytes())?;
                }
                None => {
                    from = address(&command);
                    smtputf8 = command
                        .to_ascii_uppercase()
                        .split_whitespace()
                        .any(|word| word == "SMTPUTF8");
                    to.clear();
                    writer.write_all(b"250 OK\r\n")?;
                }
            },
            "RCPT" => {
                to.push(address(&command));
                writer.write_all(b"250 OK\r\n")?;
            }
            "DATA" => {
                writer.write_all(b"354 go on\r\n")?;
                let mut data = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                log.lock().unwrap().push(Mail {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                    smtputf8,
                });
                writer.write_all(b"250 queued\r\n")?;
            }
            "QUIT" => {
                writer.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => writer.write_all(b"250 OK\r\n")?,
        }
    }
}

/// The address in `MAIL FROM:<a@b>` / `RCPT TO:<a@b>`.
fn address(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map_or(String::new(), |(address, _)| address.to_owned())
}
