//! The `lead-server` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    lead_server::main_from(std::env::args_os())
}
