//! A real clamd (Debian's `clamav-daemon`) for tests, on a port of its own, with a signature
//! database the test writes: the EICAR test file's hash (signature downloads are not possible
//! here, and the test needs nothing else).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The EICAR test file: harmless, and found by every virus scanner as if it were malware.
pub const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// The EICAR test file's MD5, as the file's publisher (eicar.org) gives it: a hash signature.
const EICAR_MD5: &str = "44d88612fea8a8f36de82e1278abb02f";

/// A running clamd, stopped when dropped.
pub struct Clamd {
    child: Child,
    /// Where it listens: `tcp://127.0.0.1:PORT`.
    pub address: String,
}

/// clamd, where Debian puts it (not on every user's `PATH`), if it is installed — or `None`
/// (the test skipped, saying so; in CI, a failure).
pub fn program() -> Option<&'static str> {
    let program = match Path::new("/usr/sbin/clamd").exists() {
        true => "/usr/sbin/clamd",
        false => "clamd",
    };
    super::browser::installed(program).then_some(program)
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Clamd {
    /// clamd on `port`, its files in `dir`; `None` (the test skipped, saying so) where it is not
    /// installed — except in CI, where that fails.
    pub fn start(dir: &Path, port: u16) -> Option<Clamd> {
        let program = program()?;
        let db = dir.join("signatures");
        std::fs::create_dir_all(&db).unwrap();
        std::fs::write(
            db.join("test.hdb"),
            format!("{EICAR_MD5}:{}:Eicar-Test-Signature\n", EICAR.len()),
        )
        .unwrap();
        let config = dir.join("clamd.conf");
        std::fs::write(
            &config,
            format!(
                "Foreground yes\nDatabaseDirectory {}\nTCPSocket {port}\nTCPAddr 127.0.0.1\nUser root\n\
                 LogFile {}\nStreamMaxLength 30M\n",
                db.display(),
                dir.join("clamd.log").display()
            ),
        )
        .unwrap();
        let child = Command::new(program)
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let clamd = Clamd {
            child,
            address: format!("tcp://127.0.0.1:{port}"),
        };
        lead_testkit::eventually("clamd to listen", Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Some(clamd)
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
