//! The server under test: this same executable re-run as `lead-server`, in a process of its
//! own, with what /proc tells of its CPU time and memory.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use anyhow::{bail, Context};

use crate::SERVE;

/// The server under test, in a process of its own.
pub(crate) struct ServerProcess {
    child: Child,
    pub(crate) addr: SocketAddr,
    /// From starting the process to its "listening" line (migrations and bootstrap included).
    pub(crate) started_in: Duration,
}

impl ServerProcess {
    pub(crate) fn start(url: &str, config: &std::path::Path, log: &str) -> anyhow::Result<ServerProcess> {
        let started = std::time::Instant::now();
        let mut child = Command::new(std::env::current_exe()?)
            .arg(SERVE)
            .arg("--config")
            .arg(config)
            .args(["--database-url", url, "serve", "--bind", "127.0.0.1:0"])
            // The address comes from lead_server's own "listening on" line.
            .env("RUST_LOG", format!("{log},lead_server=info"))
            .env_remove("LEAD_RATE_LIMIT_PER_IP")
            .env_remove("LEAD_RATE_LIMIT_PER_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start the server")?;
        let stderr = child.stderr.take().expect("piped");
        let (found, addr) = mpsc::channel();
        // Keep draining the server's log so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some((_, rest)) = line.split_once("listening on http://") {
                    let _ = found.send(rest.trim().parse::<SocketAddr>());
                } else if line.contains("ERROR") || line.contains("WARN") {
                    eprintln!("server: {line}");
                }
            }
        });
        match addr.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(addr)) => Ok(ServerProcess {
                child,
                addr,
                started_in: started.elapsed(),
            }),
            _ => {
                let _ = child.kill();
                bail!("the server did not start")
            }
        }
    }

    /// The CPU time the server has used so far (user and system, all threads), where /proc
    /// tells it.
    pub(crate) fn cpu_time(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // The fields after the command name (which may hold spaces), from the state on.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        // USER_HZ is 100 on Linux.
        Some(Duration::from_millis(ticks * 10))
    }

    /// The CPU time the server's threads whose name starts with `name` have used so far.
    pub(crate) fn thread_cpu_time(&self, name: &str) -> Option<Duration> {
        let mut ticks = 0u64;
        for task in std::fs::read_dir(format!("/proc/{}/task", self.child.id()))
            .ok()?
            .flatten()
        {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if !comm.starts_with(name) {
                continue;
            }
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            ticks += fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        }
        Some(Duration::from_millis(ticks * 10))
    }

    /// The server's resident memory now, in KiB.
    pub(crate) fn rss_kib(&self) -> Option<u64> {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()?
            .lines()
            .find(|line| line.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    /// Samples the server's resident memory every 50 ms; the peak in KiB.
    pub(crate) fn watch_memory(&self) -> Arc<AtomicU64> {
        let peak = Arc::new(AtomicU64::new(0));
        let status = format!("/proc/{}/status", self.child.id());
        let watched = Arc::clone(&peak);
        std::thread::spawn(move || {
            while let Ok(text) = std::fs::read_to_string(&status) {
                // VmHWM is the kernel's own high-water mark of the resident set.
                for field in ["VmHWM:", "VmRSS:"] {
                    if let Some(kib) = text
                        .lines()
                        .find(|line| line.starts_with(field))
                        .and_then(|line| line.split_whitespace().nth(1))
                        .and_then(|v| v.parse::<u64>().ok())
                    {
                        watched.fetch_max(kib, Ordering::Relaxed);
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        peak
    }

    pub(crate) fn stop(&mut self) {
        // SIGTERM would be gentler, but every answer has been received already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
