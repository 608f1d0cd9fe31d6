//! A real nginx for tests, in a folder of the test's own (`nginx -p DIR -c FILE`, pid, logs
//! and temporary files inside it, `daemon off` under this process) — never the system's.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The nginx binary, if installed (also where `/usr/sbin` is not on the `PATH`); a test
/// without it is skipped, saying so — except in CI (`LEAD_TEST_REQUIRE_TOOLS`), where a
/// missing nginx fails.
pub fn binary() -> Option<PathBuf> {
    let found = ["nginx", "/usr/sbin/nginx"]
        .into_iter()
        .find(|program| {
            Command::new(program)
                .arg("-v")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
        .map(PathBuf::from);
    if found.is_none() {
        assert!(
            std::env::var_os("LEAD_TEST_REQUIRE_TOOLS").is_none(),
            "nginx is not installed, but LEAD_TEST_REQUIRE_TOOLS is set"
        );
        eprintln!("skipped: nginx is not installed (.ci/run installs it)");
    }
    found
}

/// What every test configuration needs besides its own `http` block: one process in the
/// foreground (killed with the test, no workers left behind, no change of user), the pid and
/// logs in `dir`.
pub fn preamble(dir: &Path) -> String {
    let dir = dir.display();
    format!(
        "daemon off;\nmaster_process off;\nerror_log {dir}/error.log info;\npid {dir}/nginx.pid;\n\
         events {{ worker_connections 1024; }}\n"
    )
}

/// The temporary paths of an `http` block, inside `dir`.
pub fn temp_paths(dir: &Path) -> String {
    let dir = dir.display();
    format!(
        "access_log {dir}/access.log;\nclient_body_temp_path {dir}/body;\nproxy_temp_path {dir}/proxy;\n\
         fastcgi_temp_path {dir}/fastcgi;\nuwsgi_temp_path {dir}/uwsgi;\nscgi_temp_path {dir}/scgi;\n"
    )
}

/// `nginx -t` on `config` with `dir` as its prefix — and, for a file written for a real
/// machine, `globals` given on the command line (`-g`, like a pid file inside `dir`): `Err`
/// with what nginx said.
pub fn check(nginx: &Path, dir: &Path, config: &Path, globals: Option<&str>) -> Result<(), String> {
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let mut command = Command::new(nginx);
    command.arg("-t").arg("-p").arg(dir).arg("-c").arg(config);
    if let Some(globals) = globals {
        command.args(["-g", globals]);
    }
    let output = command.output().unwrap();
    match output.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
    }
}

/// An nginx process running `config` (a whole file's text) in `dir`; stopped when dropped.
pub struct Nginx {
    child: Child,
    dir: PathBuf,
}

impl Nginx {
    /// Starts nginx and waits until it listens on `port`.
    pub fn start(nginx: &Path, dir: &Path, config: &str, port: u16) -> Nginx {
        let file = dir.join("nginx.conf");
        std::fs::write(&file, config).unwrap();
        check(nginx, dir, &file, None).unwrap_or_else(|said| panic!("nginx -t: {said}"));
        let child = Command::new(nginx)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let running = Nginx {
            child,
            dir: dir.to_path_buf(),
        };
        lead_testkit::wait_until("nginx to listen", Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        running
    }

    /// What nginx logged so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT would wait for open connections; the test is over.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
