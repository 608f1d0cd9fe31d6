//! The customer's side of a mailbox in tests: a few IMAP commands to the test's Dovecot —
//! e-mails put in with APPEND (as a mail server delivers them), folders made, what is unread
//! counted. Plain IMAP on 127.0.0.1, one command at a time.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

/// A logged-in IMAP connection.
pub struct Imap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl Imap {
    /// Logs `login` in at `port`.
    pub fn login(port: u16, login: &str, password: &str) -> Imap {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut imap = Imap {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            tag: 0,
        };
        let mut greeting = String::new();
        imap.reader.read_line(&mut greeting).unwrap();
        assert!(greeting.starts_with("* OK"), "{greeting}");
        imap.command(&format!("LOGIN \"{login}\" \"{password}\""));
        imap
    }

    /// Runs `command`; the untagged lines it answered with (it must end OK).
    pub fn command(&mut self, command: &str) -> Vec<String> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        self.writer
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .unwrap();
        self.answer(&tag, command)
    }

    fn answer(&mut self, tag: &str, command: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            assert!(
                self.reader.read_line(&mut line).unwrap() > 0,
                "the server closed during {command}"
            );
            if let Some(status) = line.strip_prefix(&format!("{tag} ")) {
                assert!(status.starts_with("OK"), "{command}: {status}");
                return lines;
            }
            lines.push(line.trim_end().to_owned());
        }
    }

    /// Puts `raw` (an e-mail, lines ending in CRLF) into `folder`, unread.
    pub fn append(&mut self, folder: &str, raw: &[u8]) {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        self.writer
            .write_all(format!("{tag} APPEND \"{folder}\" {{{}}}\r\n", raw.len()).as_bytes())
            .unwrap();
        let mut go_on = String::new();
        self.reader.read_line(&mut go_on).unwrap();
        assert!(go_on.starts_with('+'), "APPEND: {go_on}");
        self.writer.write_all(raw).unwrap();
        self.writer.write_all(b"\r\n").unwrap();
        self.answer(&tag, "APPEND");
    }

    /// How many e-mails `folder` holds, and how many of them are unread.
    pub fn count(&mut self, folder: &str) -> (u32, u32) {
        let lines = self.command(&format!("STATUS \"{folder}\" (MESSAGES UNSEEN)"));
        let status = lines.iter().find(|line| line.starts_with("* STATUS")).unwrap();
        let number = |name: &str| -> u32 {
            let after = status.split(&format!("{name} ")).nth(1).unwrap();
            after
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        (number("MESSAGES"), number("UNSEEN"))
    }
}

/// An e-mail from `from` about `subject` saying `text`, with `headers` besides (each a full
/// line), lines ending in CRLF.
pub fn mail(from: &str, subject: &str, headers: &[&str], text: &str) -> Vec<u8> {
    let mut raw = format!(
        "From: {from}\r\nTo: service@acme.example\r\nSubject: {subject}\r\nDate: Mon, 7 Dec 2026 10:00:00 +0100\r\n\
         Message-ID: <{}@kunde.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n",
        uuid_like()
    );
    for header in headers {
        raw.push_str(header);
        raw.push_str("\r\n");
    }
    raw.push_str("\r\n");
    raw.push_str(&text.replace('\n', "\r\n"));
    raw.push_str("\r\n");
    raw.into_bytes()
}

/// A unique id for a Message-ID.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos}.{}.{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}
