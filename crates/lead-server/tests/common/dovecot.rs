//! A real IMAP server (Debian's `dovecot-imapd`) for tests, on a port of its own, with its
//! state, mail and users in a temporary folder — never the system's instance: a passwd-file of
//! users, Maildir owned by `nobody` (so it needs root, as CI is), no chroot.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A running Dovecot, stopped when dropped.
pub struct Dovecot {
    dir: tempfile::TempDir,
    program: &'static str,
    /// Where it listens (IMAP on 127.0.0.1; STARTTLS offered with TLS).
    pub port: u16,
    /// Where it listens with TLS from the first byte, if it has a certificate (self-signed:
    /// one no client may trust).
    pub tls_port: Option<u16>,
    /// Settings added to its configuration.
    extra: String,
}

/// Dovecot, where Debian puts it, if it is installed — or `None` (the test skipped, saying
/// so; in CI, a failure).
fn program() -> Option<&'static str> {
    let program = match Path::new("/usr/sbin/dovecot").exists() {
        true => "/usr/sbin/dovecot",
        false => "dovecot",
    };
    super::browser::installed(program).then_some(program)
}

impl Dovecot {
    /// Dovecot with one user per `(login, password)`; `None` (the test skipped, saying so)
    /// where it is not installed — except in CI, where that fails.
    pub fn start(users: &[(&str, &str)]) -> Option<Dovecot> {
        Self::start_with(users, false)
    }

    /// Like [`Dovecot::start`], with TLS on a port of its own and STARTTLS, by a self-signed
    /// certificate made now with openssl.
    pub fn start_with_tls(users: &[(&str, &str)]) -> Option<Dovecot> {
        Self::start_with(users, true)
    }

    /// Like [`Dovecot::start`], offering only `capabilities` (without IDLE, a client must poll;
    /// without MOVE, copy).
    pub fn start_offering(users: &[(&str, &str)], capabilities: &str) -> Option<Dovecot> {
        Self::start_with_extra(users, false, &format!("imap_capability = {capabilities}\n"))
    }

    fn start_with(users: &[(&str, &str)], tls: bool) -> Option<Dovecot> {
        Self::start_with_extra(users, tls, "")
    }

    fn start_with_extra(users: &[(&str, &str)], tls: bool, extra: &str) -> Option<Dovecot> {
        let program = program()?;
        let uid = Command::new("id").arg("-u").output().unwrap();
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            eprintln!("skipped: Dovecot's mail must belong to nobody, which only root can arrange");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path();
        for sub in ["base", "state", "mail"] {
            std::fs::create_dir_all(path.join(sub)).unwrap();
        }
        // The mail belongs to `nobody`, as the static userdb says.
        assert!(Command::new("chown")
            .args(["nobody:nogroup", path.join("mail").to_str().unwrap()])
            .status()
            .unwrap()
            .success());
        let passwd: String = users
            .iter()
            .map(|(login, password)| format!("{login}:{{PLAIN}}{password}::::::\n"))
            .collect();
        std::fs::write(path.join("passwd"), passwd).unwrap();
        if tls {
            let made = super::self_signed("127.0.0.1", &path.join("cert.pem"), &path.join("key.pem"));
            assert!(made.is_some(), "openssl made no certificate");
        }
        let dovecot = Dovecot {
            port: super::clamd::free_port(),
            tls_port: tls.then(super::clamd::free_port),
            dir,
            program,
            extra: extra.to_owned(),
        };
        dovecot.write_config();
        dovecot.run();
        Some(dovecot)
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("dovecot.conf")
    }

    fn write_config(&self) {
        let dir = self.dir.path().display();
        let port = self.port;
        let (ssl, imaps) = match self.tls_port {
            Some(tls) => (
                format!("ssl = yes\nssl_cert = <{dir}/cert.pem\nssl_key = <{dir}/key.pem\n"),
                format!("address = 127.0.0.1\n    port = {tls}"),
            ),
            None => ("ssl = no\n".to_owned(), "port = 0".to_owned()),
        };
        std::fs::write(
            self.config(),
            format!(
                "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {dir}/base\nstate_dir = {dir}/state\n\
                 log_path = {dir}/dovecot.log\n{ssl}disable_plaintext_auth = no\n\
                 auth_mechanisms = plain login\nfirst_valid_uid = 1\nmail_location = maildir:{dir}/mail/%u\n\
                 passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {dir}/passwd\n}}\n\
                 userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={dir}/mail/%u\n}}\n\
                 service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n\
                 inet_listener imaps {{\n    {imaps}\n  }}\n  chroot =\n}}\n\
                 service anvil {{\n  chroot =\n}}\n\
                 service stats {{\n  unix_listener stats-writer {{\n    mode = 0666\n  }}\n}}\n{}",
                self.extra
            ),
        )
        .unwrap();
    }

    /// Starts it (it daemonizes) and waits until it listens.
    fn run(&self) {
        let status = Command::new(self.program)
            .arg("-c")
            .arg(self.config())
            .status()
            .unwrap();
        assert!(status.success(), "dovecot did not start: {}", self.log());
        let port = self.port;
        lead_testkit::eventually("dovecot to listen", Duration::from_secs(15), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    /// Its log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// The mailbox URL of `login` (plain `imap://`: tests allow private targets).
    pub fn url(&self, login: &str, password: &str, folder: &str) -> String {
        let login = login.replace('@', "%40");
        format!("imap://{login}:{password}@127.0.0.1:{}/{folder}", self.port)
    }

    /// Stops it and waits until it has exited and no longer listens.
    pub fn stop(&self) {
        let pid = self.dir.path().join("base/master.pid");
        if let Ok(pid) = std::fs::read_to_string(&pid) {
            let pid = pid.trim().to_owned();
            // Its processes too, the IMAP sessions under way among them: a server that is
            // down drops its connections.
            let children = Command::new("pgrep").args(["-P", &pid]).output().unwrap();
            let _ = Command::new("kill").arg(&pid).status();
            for child in String::from_utf8_lossy(&children.stdout).split_whitespace() {
                // Some have gone with their master already.
                let _ = Command::new("kill")
                    .args(["-KILL", child])
                    .stderr(std::process::Stdio::null())
                    .status();
            }
            lead_testkit::eventually("dovecot to exit", Duration::from_secs(15), || {
                !Command::new("kill")
                    .args(["-0", &pid])
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|status| status.success())
            });
        }
        let port = self.port;
        lead_testkit::eventually("dovecot to stop", Duration::from_secs(15), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        });
    }

    /// Starts it again, on the same port with the same mail.
    pub fn restart(&self) {
        self.run();
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}
