//! A `lead-server` child process on port 0, and everything it prints.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use crate::{try_send, Response};

/// A `lead-server serve` child process and everything it printed.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
    /// Every line printed, with `true` for standard error.
    output: Arc<Mutex<Vec<(bool, String)>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Starts `serve --bind 127.0.0.1:0` on `url` and waits until it listens.
    pub fn start(url: &str, env: &[(&str, &str)]) -> Server {
        Server::spawn(&["--database-url", url, "serve", "--bind", "127.0.0.1:0"], env)
    }

    /// Starts `serve --bind 127.0.0.1:0` on `url` with the configuration file `config` and
    /// waits until it listens.
    pub fn start_with_config(url: &str, config: &str) -> Server {
        Server::spawn(
            &[
                "--config",
                config,
                "--database-url",
                url,
                "serve",
                "--bind",
                "127.0.0.1:0",
            ],
            &[],
        )
    }

    /// Starts the binary with `args` (and `env`) and waits until it listens.
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(crate::binary());
        crate::isolate(&mut command)
            .args(args)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start lead-server");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (listening, addr) = mpsc::channel();
        let mut readers = Vec::new();
        let streams = [
            (false, Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>),
            (true, Box::new(child.stderr.take().unwrap())),
        ];
        for (is_stderr, stream) in streams {
            let output = Arc::clone(&output);
            let listening = listening.clone();
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if let Some(at) = line.find("listening on http://") {
                        // As text or inside a JSON log line: the address up to what ends it.
                        let text: String = line[at + "listening on http://".len()..]
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '[' | ']'))
                            .collect();
                        let _ = listening.send(text.parse::<SocketAddr>().unwrap());
                    }
                    output.lock().unwrap().push((is_stderr, line));
                }
            }));
        }
        let addr = match addr.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let printed: Vec<String> = output.lock().unwrap().iter().map(|(_, line)| line.clone()).collect();
                panic!("lead-server did not start:\n{}", printed.join("\n"));
            }
        };
        Server {
            addr,
            child,
            output,
            readers,
        }
    }

    /// The process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The names of the process's threads (Linux; empty elsewhere).
    pub fn threads(&self) -> Vec<String> {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.child.id())) else {
            return Vec::new();
        };
        tasks
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .map(|name| name.trim().to_owned())
            .collect()
    }

    /// Everything the process printed so far (stdout and stderr, line by line).
    pub fn output(&self) -> String {
        self.lines(|_| true)
    }

    /// What the process printed to standard error (its log) so far.
    pub fn log(&self) -> String {
        self.lines(|is_stderr| is_stderr)
    }

    fn lines(&self, keep: impl Fn(bool) -> bool) -> String {
        let output = self.output.lock().unwrap();
        output
            .iter()
            .filter(|(is_stderr, _)| keep(*is_stderr))
            .map(|(_, line)| line.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until the output contains `needle` (stdout and stderr are read by separate
    /// threads, so a line printed earlier may arrive later).
    pub fn wait_for_output(&self, needle: &str) -> String {
        crate::wait_until(&format!("{needle:?} in the output"), Duration::from_secs(3), || {
            let output = self.output();
            output.contains(needle).then_some(output)
        })
    }

    /// Asks the process to stop as a service manager does (SIGTERM) and waits at most
    /// `within` for it to exit: how long it took, or `None` if it had not exited by then
    /// (it is killed then).
    pub fn terminate(&mut self, within: std::time::Duration) -> Option<std::time::Duration> {
        let started = std::time::Instant::now();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        while started.elapsed() < within {
            if let Some(status) = self.child.try_wait().expect("wait for lead-server") {
                assert!(status.success(), "lead-server exited with {status}");
                return Some(started.elapsed());
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }

    /// Kills the process (SIGKILL: like a crash, nothing is flushed on the way out) and waits
    /// for it, keeping the handle (for a test that starts another in its place).
    pub fn crash(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the process (SIGKILL: like a crash, nothing is flushed on the way out).
    pub fn kill(self) {
        self.finish();
    }

    /// Stops the process and returns everything it printed, complete.
    pub fn finish(self) -> String {
        self.stop().output()
    }

    /// Stops the process and returns it with its output complete (for `output()` / `log()`).
    pub fn stop(mut self) -> Server {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in std::mem::take(&mut self.readers) {
            let _ = reader.join();
        }
        self
    }

    /// Sends one request with `Connection: close` and reads the whole answer.
    /// `Content-Length` is added unless `headers` has one.
    pub fn request(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut raw = head.into_bytes();
        raw.extend_from_slice(body);
        self.send_raw(&raw)
    }

    /// Sends raw bytes and parses the answer.
    pub fn send_raw(&self, raw: &[u8]) -> Response {
        try_send(self.addr, raw).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
