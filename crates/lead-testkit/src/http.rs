//! Raw HTTP/1.1 to the server under test: requests, answers, server-sent events.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// Sends raw bytes to `addr` and parses the answer; an error when there is no complete answer
/// (the connection failed or the server died).
pub fn try_send(addr: SocketAddr, raw: &[u8]) -> Result<Response, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("cannot connect: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may answer (and close) before reading everything; that is allowed.
    let _ = stream.write_all(raw);
    let mut answer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(e) if !answer.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => return Err(format!("reading the answer failed: {e}")),
        }
        if Response::complete(&answer) {
            break;
        }
    }
    if Response::complete(&answer) {
        Ok(Response::parse(&answer))
    } else {
        Err(format!("no complete answer: {:?}", String::from_utf8_lossy(&answer)))
    }
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// Its `id:`.
    pub id: Option<String>,
    /// Its `event:`.
    pub event: Option<String>,
    /// Its `data:` lines, joined.
    pub data: String,
}

/// A raw client of a `text/event-stream` answer (chunked transfer encoding decoded here).
pub struct SseClient {
    stream: TcpStream,
    raw: Vec<u8>,
    text: String,
    /// The answer's status.
    pub status: u16,
    /// The answer's head.
    pub head: String,
    /// Comment lines (heartbeats) seen so far.
    pub comments: usize,
    /// The server ended the stream (the last, empty chunk arrived, or the connection closed).
    pub ended: bool,
}

impl SseClient {
    /// Opens `GET path` with `headers` and reads the answer's head.
    pub fn open(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> SseClient {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut client = SseClient {
            stream,
            raw: Vec::new(),
            text: String::new(),
            status: 0,
            head: String::new(),
            comments: 0,
            ended: false,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(end) = client.raw.windows(4).position(|w| w == b"\r\n\r\n") {
                client.head = String::from_utf8_lossy(&client.raw[..end]).into_owned();
                client.raw.drain(..end + 4);
                client.status = client.head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
                return client;
            }
            assert!(std::time::Instant::now() < deadline, "no answer head");
            client.fill();
        }
    }

    /// Reads what the socket has (waits at most 100 ms) and decodes complete chunks.
    fn fill(&mut self) {
        let mut buf = [0u8; 8192];
        match self.stream.read(&mut buf) {
            Ok(0) => self.ended = true,
            Ok(n) => self.raw.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(e) => panic!("stream read failed: {e}"),
        }
        if self.status == 0 {
            return;
        }
        loop {
            let Some(line_end) = self.raw.windows(2).position(|w| w == b"\r\n") else {
                return;
            };
            let size = usize::from_str_radix(String::from_utf8_lossy(&self.raw[..line_end]).trim(), 16).unwrap();
            if size == 0 {
                self.ended = true;
            }
            if self.raw.len() < line_end + 2 + size + 2 {
                return;
            }
            let chunk = self.raw[line_end + 2..line_end + 2 + size].to_vec();
            self.raw.drain(..line_end + 2 + size + 2);
            self.text.push_str(&String::from_utf8(chunk).unwrap());
        }
    }

    /// The next data event within `timeout` (comments are counted and skipped), or `None`.
    pub fn next_event(&mut self, timeout: Duration) -> Option<SseEvent> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            while let Some(end) = self.text.find("\n\n") {
                let block: String = self.text.drain(..end + 2).collect();
                let mut event = SseEvent {
                    id: None,
                    event: None,
                    data: String::new(),
                };
                let mut is_data = false;
                for line in block.lines() {
                    if line.starts_with(':') {
                        self.comments += 1;
                    } else if let Some(id) = line.strip_prefix("id: ") {
                        event.id = Some(id.to_owned());
                    } else if let Some(name) = line.strip_prefix("event: ") {
                        event.event = Some(name.to_owned());
                    } else if let Some(data) = line.strip_prefix("data: ") {
                        event.data.push_str(data);
                        is_data = true;
                    }
                }
                if is_data {
                    return Some(event);
                }
            }
            if std::time::Instant::now() >= deadline || self.ended {
                return None;
            }
            self.fill();
        }
    }
}

/// A parsed HTTP answer.
#[derive(Debug)]
pub struct Response {
    /// The status.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    fn split(raw: &[u8]) -> Option<(usize, usize)> {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[..end]);
        let length = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        Some((end + 4, length))
    }

    /// Whether the head says `Transfer-Encoding: chunked` (a streamed answer).
    fn chunked(raw: &[u8], start: usize) -> bool {
        String::from_utf8_lossy(&raw[..start]).lines().any(|line| {
            line.split_once(':').is_some_and(|(name, value)| {
                name.eq_ignore_ascii_case("transfer-encoding") && value.trim().eq_ignore_ascii_case("chunked")
            })
        })
    }

    /// The body of a chunked answer, once its last chunk has arrived.
    fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
            let size = std::str::from_utf8(&rest[..line_end]).ok()?.split(';').next()?.trim();
            let size = usize::from_str_radix(size, 16).ok()?;
            rest = &rest[line_end + 2..];
            if size == 0 {
                return Some(body);
            }
            if rest.len() < size + 2 {
                return None;
            }
            body.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
    }

    fn complete(raw: &[u8]) -> bool {
        Self::split(raw).is_some_and(|(start, length)| match Self::chunked(raw, start) {
            true => Self::dechunk(&raw[start..]).is_some(),
            false => raw.len() >= start + length,
        })
    }

    fn parse(raw: &[u8]) -> Response {
        let (start, length) =
            Self::split(raw).unwrap_or_else(|| panic!("no HTTP answer: {:?}", String::from_utf8_lossy(raw)));
        let head = String::from_utf8_lossy(&raw[..start - 4]).into_owned();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let body = match Self::chunked(raw, start) {
            true => Self::dechunk(&raw[start..]).unwrap_or_default(),
            false => raw[start..(start + length).min(raw.len())].to_vec(),
        };
        Response { status, headers, body }
    }

    /// A header's value (the first, if it came more than once).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts an error answer: status, JSON content type, code, field, a German message.
    pub fn assert_error(&self, status: u16, code: &str, field: Option<&str>) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/json; charset=utf-8"));
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(self.header("cache-control"), Some("no-store"));
        let body = self.json();
        let object = body.as_object().expect("an object");
        assert_eq!(object["status"], "error", "{body}");
        assert_eq!(object["code"], code, "{body}");
        assert_eq!(object.get("field").and_then(Value::as_str), field, "{body}");
        assert!(object["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
        let allowed = ["status", "code", "message", "field"];
        assert!(object.keys().all(|k| allowed.contains(&k.as_str())), "{body}");
    }
}
