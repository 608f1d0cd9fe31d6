//! A real browser for tests: headless Chromium under chromedriver, spoken to over the W3C
//! WebDriver protocol with the tests' own HTTP helper, and a tiny website to load pages from.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// Whether `program` runs; a test without it is skipped, saying so — except in CI
/// (`LEAD_TEST_REQUIRE_TOOLS`), where a missing tool fails.
pub fn installed(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        // CI installs every tool: there a missing one is a failure, not a skip.
        assert!(
            std::env::var_os("LEAD_TEST_REQUIRE_TOOLS").is_none(),
            "{program} is not installed, but LEAD_TEST_REQUIRE_TOOLS is set"
        );
        eprintln!("skipped: {program} is not installed (.ci/run installs it)");
    }
    found
}

/// Waits for `check` to give something, at most 15 seconds.
pub fn wait_for<T>(what: &str, check: impl FnMut() -> Option<T>) -> T {
    lead_testkit::wait_until(what, Duration::from_secs(15), check)
}

/// A website on a port of its own: serves its pages, any other path a plain page.
pub struct Website {
    listener: TcpListener,
    addr: SocketAddr,
}

impl Website {
    pub fn new() -> Website {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        Website { listener, addr }
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves `pages` (path → HTML) from now on.
    pub fn serve(self, pages: Vec<(&'static str, String)>) -> String {
        let origin = self.origin();
        std::thread::spawn(move || {
            for mut stream in self.listener.incoming().flatten() {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head);
                let target = head.split_whitespace().nth(1).unwrap_or("/");
                let path = target.split('?').next().unwrap_or("/");
                let body = pages.iter().find(|(p, _)| *p == path).map_or_else(
                    || format!("<!doctype html><title>{path}</title><p id=page>{path}</p>"),
                    |(_, b)| b.clone(),
                );
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        origin
    }
}

/// Headless Chromium under chromedriver, spoken to over the W3C WebDriver protocol.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub fn start() -> Option<Browser> {
        if !installed("chromium") || !installed("chromedriver") {
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser {
            driver,
            addr,
            session: String::new(),
            _profile: profile,
        };
        wait_for("chromedriver", || TcpStream::connect(addr).ok());
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            &format!("--user-data-dir={}", browser._profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}
        }}});
        let session = browser.call("POST", "/session", Some(capabilities));
        browser.session = session["sessionId"].as_str().expect("a WebDriver session").to_owned();
        Some(browser)
    }

    /// One WebDriver command; its `value`.
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let raw = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        let response = super::try_send(self.addr, raw.as_bytes()).unwrap();
        let answer = response.json();
        assert!(response.status < 400, "WebDriver {method} {path}: {answer}");
        answer["value"].clone()
    }

    pub fn session(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    pub fn open(&self, url: &str) {
        self.session("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn find(&self, css: &str) -> String {
        let found = self.session("POST", "/element", Some(json!({"using": "css selector", "value": css})));
        // A web element is an object with one member: the W3C element key and the reference.
        found
            .as_object()
            .and_then(|object| object.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.session(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn click(&self, css: &str) {
        let element = self.find(css);
        self.session("POST", &format!("/element/{element}/click"), Some(json!({})));
    }

    /// The rendered text of the first element matching `css` ("" when there is none), read
    /// in one step, so a list refreshed in between cannot make it stale.
    pub fn text(&self, css: &str) -> String {
        let script = "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';";
        let found = self.session(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [css] })),
        );
        found.as_str().unwrap_or_default().to_owned()
    }

    pub fn url(&self) -> String {
        self.session("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let raw = format!(
                "DELETE /session/{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                self.session, self.addr
            );
            let _ = super::try_send(self.addr, raw.as_bytes());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Runs `script` in the page and returns its result.
    pub fn execute(&self, script: &str) -> Value {
        self.session("POST", "/execute/sync", Some(json!({ "script": script, "args": [] })))
    }

    /// Runs `script` (which ends by calling `done(result)`) in the page; the result.
    pub fn execute_async(&self, script: &str) -> Value {
        let script = format!("const done = arguments[arguments.length - 1]; {script}");
        self.session("POST", "/execute/async", Some(json!({ "script": script, "args": [] })))
    }

    /// A command of the DevTools protocol (through chromedriver); its result.
    pub fn devtools(&self, command: &str, params: Value) -> Value {
        self.session(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": command, "params": params })),
        )
    }

    /// The browser's console errors (and failed loads) since the last call.
    pub fn console_errors(&self) -> Vec<String> {
        let entries = self.session("POST", "/se/log", Some(json!({ "type": "browser" })));
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Saves a screenshot of the page as `target/screenshots/NAME.png`.
    pub fn screenshot(&self, name: &str) {
        let encoded = self.session("GET", "/screenshot", None);
        let png = base64_decode(encoded.as_str().unwrap_or_default());
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

/// Standard base64 (WebDriver's screenshots), without a crate for it.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut bytes = Vec::with_capacity(sextets.len() * 3 / 4);
    for chunk in sextets.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &s)| n | (u32::from(s) << (18 - 6 * i)));
        let len = chunk.len() * 6 / 8;
        bytes.extend_from_slice(&n.to_be_bytes()[1..1 + len]);
    }
    bytes
}
