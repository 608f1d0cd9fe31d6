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
    /// Latencies in microseconds, one per answer.
    latencies: Vec<u32>,
    /// Answers by HTTP status.
    pub statuses: HashMap<u16, u64>,
    /// Connections that failed or were closed under a request.
    pub io_errors: u64,
    /// How long the phase ran.
    pub elapsed: Duration,
}

impl Outcome {
    /// Answers of any status.
    pub fn total(&self) -> u64 {
        self.statuses.values().sum()
    }

    /// Answers with status 200.
    pub fn ok(&self) -> u64 {
        self.statuses.get(&200).copied().unwrap_or(0)
    }

    /// Answers per second (all statuses).
    pub fn per_second(&self) -> f64 {
        self.total() as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// The latency at quantile `q` (0..=1) in microseconds.
    pub fn percentile(&self, q: f64) -> Option<u32> {
        if self.latencies.is_empty() {
            return None;
        }
        let index = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        Some(self.latencies[index])
    }
}

/// Realistic lead bodies: a web order with a small cart, or a contact request.
pub fn bodies(orders: bool, tickets: bool) -> Vec<String> {
    let mut bodies = Vec::new();
    for n in 0..32u32 {
        if orders {
            bodies.push(format!(
                r#"{{"type":"order","email":"kunde{n}@beispiel.de","subject":"Bestellung #{}","message":"Bitte an die Packstation 123 liefern.","total":{}.{:02},"cart":[{{"sku":"A-{n}","qty":2,"price":19.99}},{{"sku":"B-7","qty":1,"price":9.50}}],"utm_source":"newsletter"}}"#,
                10_000 + n,
                40 + n,
                (n * 7) % 100
            ));
        }
        if tickets {
            bodies.push(format!(
                r#"{{"type":"ticket","email":"interessent{n}@beispiel.de","subject":"Rückrufbitte","message":"Hallo, bitte rufen Sie mich wegen eines Angebots für {n} Geräte zurück. Erreichbar werktags ab 9 Uhr.","phone":"+49 30 1234{n:03}"}}"#
            ));
        }
    }
    bodies
}

/// Complete keep-alive requests for the bodies, with the key in `X-API-KEY` or without one.
pub fn requests(bodies: &[String], key: Option<&str>) -> Vec<Vec<u8>> {
    bodies
        .iter()
        .map(|body| {
            let key_header = key.map(|k| format!("X-API-KEY: {k}\r\n")).unwrap_or_default();
            format!(
                "POST /api/v1/lead.php HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{key_header}Content-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect()
}

/// Drives `connections` connections with `requests` for `duration`.
pub fn run(
    addr: SocketAddr,
    requests: &[Vec<u8>],
    connections: usize,
    duration: Duration,
    mode: Mode,
) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let outcome = Rc::new(RefCell::new(Outcome::default()));
    let requests: Rc<Vec<Vec<u8>>> = Rc::new(requests.to_vec());
    let local = tokio::task::LocalSet::new();
    let start = Instant::now();
    let end = start + duration;
    for connection in 0..connections {
        let (outcome, requests) = (Rc::clone(&outcome), Rc::clone(&requests));
        let pacing = match mode {
            Mode::Closed => None,
            Mode::Open { rate } => {
                let interval = Duration::from_secs_f64(connections as f64 / rate.max(1) as f64);
                let offset = Duration::from_secs_f64(connection as f64 / rate.max(1) as f64);
                Some((start + offset, interval))
            }
        };
        local.spawn_local(drive(addr, requests, connection, end, pacing, outcome));
    }
    runtime.block_on(local);
    let mut outcome = Rc::try_unwrap(outcome).expect("all connections finished").into_inner();
    outcome.elapsed = start.elapsed();
    outcome.latencies.sort_unstable();
    Ok(outcome)
}

/// One connection: send, read the answer, repeat until `end`; reconnect after a failure.
async fn drive(
    addr: SocketAddr,
    requests: Rc<Vec<Vec<u8>>>,
    connection: usize,
    end: Instant,
    pacing: Option<(Instant, Duration)>,
    outcome: Rc<RefCell<Outcome>>,
) {
    let mut next = connection;
    let mut scheduled = pacing.map(|(first, _)| first);
    let mut buffer = Vec::with_capacity(4096);
    let mut stream: Option<TcpStream> = None;
    loop {
        let started = match scheduled {
            Some(at) => {
                if at >= end {
                    return;
                }
                tokio::time::sleep_until(at.into()).await;
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
        let request = &requests[next % requests.len()];
        next += 1;
        match exchange(conn, request, &mut buffer).await {
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
        if let (Some(at), Some((_, interval))) = (scheduled.as_mut(), pacing) {
            *at += interval;
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
