//! The operator's command line, run as a child process.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the binary with `args` on the database at `url` and returns its output.
pub fn cli(url: &str, args: &[&str]) -> Output {
    cli_with_stdin(url, args, "")
}

/// [`cli`], with `stdin` as the command's standard input.
pub fn cli_with_stdin(url: &str, args: &[&str], stdin: &str) -> Output {
    cli_with(url, args, stdin, &[])
}

/// [`cli`], with these environment variables.
pub fn cli_with_env(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    cli_with(url, args, "", env)
}

fn cli_with(url: &str, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut child = crate::isolate(&mut Command::new(crate::binary()))
        .args(args)
        .env("LEAD_DATABASE_URL", url)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The last line of a successful command's stdout (where ids and keys go).
pub fn last_line(output: &Output) -> String {
    assert!(
        output.status.success(),
        "command failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}
