//! The built-in load generator: keep-alive HTTP/1.1 connections on one thread, closed loop
//! (each connection sends its next request when the answer is in) or open loop (requests at
//! fixed times, latency counted from the scheduled time).

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How requests are paced.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// As fast as the answers come.
    Closed,
    /// `rate` requests per second in total, spread over the connections.
    Open {
        /// Requests per second.
        rate: u64,
    },
}

/// What one phase produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Latencies in microseconds, one per answer, from the scheduled start (open loop) or the
    /// send (closed loop).
    latencies: Vec<u32>,
    /// Open loop only: how late the generator itself sent each request, in microseconds.
    lateness: Vec<u32>,
    /// Answers by HTTP status.
    pub statuses: HashMap<u16, u64>,
    /// Connections that failed or were closed under a request.
    pub io_errors: u64,
    /// How long the phase ran.
    pub elapsed: Duration,
}

impl Outcome {
    /// Adds the answers of `other`, a phase run right after this one.
    pub fn merge(&mut self, other: Outcome) {
        self.latencies.extend(other.latencies);
        self.lateness.extend(other.lateness);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.io_errors += other.io_errors;
        self.elapsed += other.elapsed;
        self.latencies.sort_unstable();
        self.lateness.sort_unstable();
    }

    /// Answers of any status.
    pub fn total(&self) -> u64 {
        self.statuses.values().sum()
    }

    /// Answers with status 200.
    pub fn ok(&self) -> u64 {
        self.statuses.get(&200).copied().unwrap_or(0)
    }

    /// Answers with status 200 per second (stored leads, on the database path).
    pub fn ok_per_second(&self) -> f64 {
        self.ok() as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// Answers per second (all statuses).
    pub fn per_second(&self) -> f64 {
        self.total() as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// The latency at quantile `q` (0..=1) in microseconds.
    pub fn percentile(&self, q: f64) -> Option<u32> {
        quantile(&self.latencies, q)
    }

    /// Open loop: the generator's own lateness at quantile `q`, in microseconds.
    pub fn lateness(&self, q: f64) -> Option<u32> {
        quantile(&self.lateness, q)
    }
}

fn quantile(sorted: &[u32], q: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    Some(sorted[((sorted.len() - 1) as f64 * q).round() as usize])
}

/// Where each request's own number goes into a body: every lead sent is a different one.
/// The server answers the same body with the same key again as a duplicate (the first answer,
/// nothing stored), so a benchmark that repeats bodies would measure that shortcut.
const SEQUENCE: &str = "{seq}";

/// Realistic lead bodies: a web order with a small cart, or a contact request, each with
/// [`SEQUENCE`] in its subject.
pub fn bodies(orders: bool, tickets: bool) -> Vec<String> {
    let mut bodies = Vec::new();
    for n in 0..32u32 {
        if orders {
            bodies.push(format!(
                r#"{{"type":"order","email":"kunde{n}@beispiel.de","subject":"Bestellung #{SEQUENCE}","message":"Bitte an die Packstation 123 liefern.","total":{}.{:02},"cart":[{{"sku":"A-{n}","qty":2,"price":19.99}},{{"sku":"B-7","qty":1,"price":9.50}}],"utm_source":"newsletter"}}"#,
                40 + n,
                (n * 7) % 100
            ));
        }
        if tickets {
            bodies.push(format!(
                r#"{{"type":"ticket","email":"interessent{n}@beispiel.de","subject":"Rückrufbitte {SEQUENCE}","message":"Hallo, bitte rufen Sie mich wegen eines Angebots für {n} Geräte zurück. Erreichbar werktags ab 9 Uhr.","phone":"+49 30 1234{n:03}"}}"#
            ));
        }
    }
    bodies
}

/// `bodies`, each with one file of `bytes` bytes in `attachments` (a JPEG's first bytes, then
/// filler): what a form with a photo sends.
pub fn with_file(bodies: Vec<String>, bytes: usize) -> Vec<String> {
    use base64::Engine as _;
    let mut data = vec![b'x'; bytes.max(4)];
    data[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
    bodies
        .into_iter()
        .map(|body| {
            let open = body.strip_suffix('}').expect("a JSON object");
            format!(r#"{open},"attachments":[{{"filename":"foto.jpg","data":"{encoded}"}}]}}"#)
        })
        .collect()
}

/// Keep-alive requests made from the bodies with `method`, with the key in `X-API-KEY` or
/// without one; each one built when it is sent, with a number of its own in the body.
pub struct Requests {
    /// The request line and headers up to (not including) `Content-Length`.
    head: String,
    bodies: Vec<String>,
}

impl Requests {
    /// The `n`-th request of a connection: the next body, with the next number of the run.
    fn build(&self, n: usize, sequence: &std::cell::Cell<u64>) -> Vec<u8> {
        let number = sequence.get();
        sequence.set(number + 1);
        let body = self.bodies[n % self.bodies.len()].replace(SEQUENCE, &number.to_string());
        format!("{}Content-Length: {}\r\n\r\n{body}", self.head, body.len()).into_bytes()
    }
}

/// The [`Requests`] for `bodies` with `method`, with the key in `X-API-KEY` or without one.
pub fn requests(bodies: &[String], method: &str, key: Option<&str>) -> Requests {
    let key_header = key.map(|k| format!("X-API-KEY: {k}\r\n")).unwrap_or_default();
    Requests {
        head: format!(
            "{method} /api/v1/lead.php HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{key_header}"
        ),
        bodies: bodies.to_vec(),
    }
}

/// The send times of the open loop, shared by all connections: whichever is free takes the
/// next one.
type Schedule = Rc<tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Instant>>>;

/// Drives `connections` connections with `requests` for `duration`.
pub fn run(
    addr: SocketAddr,
    requests: &Rc<Requests>,
    connections: usize,
    duration: Duration,
    mode: Mode,
) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let outcome = Rc::new(RefCell::new(Outcome::default()));
    // Numbers for the bodies: one sequence per run, shared by its connections, starting where
    // the last run of this process ended (warm-up and measurement never send the same lead).
    thread_local! {
        static SEQUENCE_START: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }
    let sequence = Rc::new(std::cell::Cell::new(SEQUENCE_START.with(|start| start.get())));
    let local = tokio::task::LocalSet::new();
    let start = Instant::now();
    let end = start + duration;
    let schedule: Option<Schedule> = match mode {
        Mode::Closed => None,
        Mode::Open { rate } => Some(Rc::new(tokio::sync::Mutex::new(pace(start, end, rate)))),
    };
    for connection in 0..connections {
        let (outcome, requests, schedule) = (Rc::clone(&outcome), Rc::clone(requests), schedule.clone());
        let sequence = Rc::clone(&sequence);
        local.spawn_local(drive(addr, requests, sequence, connection, end, schedule, outcome));
    }
    runtime.block_on(local);
    SEQUENCE_START.with(|start| start.set(sequence.get()));
    let mut outcome = Rc::try_unwrap(outcome).expect("all connections finished").into_inner();
    outcome.elapsed = start.elapsed();
    outcome.latencies.sort_unstable();
    outcome.lateness.sort_unstable();
    Ok(outcome)
}

/// The open loop's clock: a thread of its own releases one send time every `1 / rate`
/// seconds. (Tokio's timers tick in milliseconds, which alone would add up to a millisecond
/// of the generator's own lateness to every latency.)
fn pace(start: Instant, end: Instant, rate: u64) -> tokio::sync::mpsc::UnboundedReceiver<Instant> {
    let (release, schedule) = tokio::sync::mpsc::unbounded_channel();
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    std::thread::spawn(move || {
        let mut at = start;
        while at < end {
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
            if release.send(at).is_err() {
                return;
            }
            at += interval;
        }
    });
    schedule
}

/// One connection: send, read the answer, repeat until `end`; reconnect after a failure.
async fn drive(
    addr: SocketAddr,
    requests: Rc<Requests>,
    sequence: Rc<std::cell::Cell<u64>>,
    connection: usize,
    end: Instant,
    schedule: Option<Schedule>,
    outcome: Rc<RefCell<Outcome>>,
) {
    let mut next = connection;
    let mut buffer = Vec::with_capacity(4096);
    let mut stream: Option<TcpStream> = None;
    loop {
        let started = match &schedule {
            Some(schedule) => {
                let Some(at) = schedule.lock().await.recv().await else {
                    return;
                };
                let late = u32::try_from(at.elapsed().as_micros()).unwrap_or(u32::MAX);
                outcome.borrow_mut().lateness.push(late);
                at
            }
            None => Instant::now(),
        };
        if started >= end {
            return;
        }
        if stream.is_none() {
            match TcpStream::connect(addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    stream = Some(s);
                }
                Err(_) => {
                    outcome.borrow_mut().io_errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let conn = stream.as_mut().expect("connected");
        let request = requests.build(next, &sequence);
        next += 1;
        match exchange(conn, &request, &mut buffer).await {
            Some((status, keep_alive)) => {
                let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
                let mut outcome = outcome.borrow_mut();
                outcome.latencies.push(micros);
                *outcome.statuses.entry(status).or_default() += 1;
                if !keep_alive {
                    stream = None;
                }
            }
            None => {
                outcome.borrow_mut().io_errors += 1;
                stream = None;
            }
        }
    }
}

/// Writes one request and reads its answer: the status and whether the connection stays open.
async fn exchange(stream: &mut TcpStream, request: &[u8], buffer: &mut Vec<u8>) -> Option<(u16, bool)> {
    stream.write_all(request).await.ok()?;
    buffer.clear();
    let mut chunk = [0u8; 4096];
    let (head_end, length) = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end]).ok()?;
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            break (end + 4, length);
        }
    };
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let head = std::str::from_utf8(&buffer[..head_end]).ok()?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let keep_alive = !head.to_ascii_lowercase().contains("connection: close");
    Some((status, keep_alive))
}
